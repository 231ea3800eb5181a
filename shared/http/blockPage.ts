/**
 * The page a person sees when a browser request is blocked: what happened in plain words, what
 * they can do about it, the admin's custom message if any, and the correlation id to quote to
 * support, and how IT support looks that reference up in the decision log (`certgate decisions show <id>`).
 * Nothing internal (no subjects, thumbprints, policy names or traces). Small, accessible
 * (one heading, landmark, lang, readable contrast), no scripts, no external resources.
 * May import: the decision type.
 */
import type { AnyReason } from '../policy/certificateDecision.js';

/** What a person can do, by the decision's first specific reason. Derived text, never internals. */
function remediationFor(reasons: readonly AnyReason[]): string {
  const codes = new Set<string>(reasons);
  if (codes.has('client-certificate-required'))
    return 'Your device did not present a certificate. Use a device your organisation has enrolled, or ask IT support to install your certificate.';
  if (codes.has('certificate-expired'))
    return 'The certificate on your device has expired. Ask IT support to renew it (re-enrolling the device usually does).';
  if (codes.has('certificate-not-yet-valid'))
    return "The certificate on your device is not valid yet. Check your device's date and time, or try again later.";
  if (codes.has('certificate-revoked')) return 'The certificate on your device has been revoked. Contact IT support.';
  if (codes.has('certificate-untrusted'))
    return "The certificate on your device was not issued by your organisation's certificate authority. Use your organisation's device certificate.";
  if (codes.has('certificate-leaf-is-ca'))
    return "Your device presented a certificate authority's certificate, not a personal or device certificate. Use the certificate your organisation issued to you or your device.";
  if (codes.has('certificate-eku-missing'))
    return 'The certificate on your device cannot be used to sign in to applications. Ask IT support for a client authentication certificate.';
  if (codes.has('client-certificate-not-bound-to-user'))
    return 'The certificate on your device belongs to someone else. Sign in on your own device, or ask IT support to issue a certificate to you.';
  if (codes.has('client-certificate-binding-unknown') || codes.has('policy-unknown-fail-closed'))
    return 'We could not confirm your account or device details just now. Please try again in a few minutes.';
  if (codes.has('decision-unavailable'))
    return 'We could not check your device just now. Please try again in a few minutes.';
  return 'Your device does not meet the requirements to open this application. Contact IT support.';
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The HTML block page. */
export function renderBlockPage(input: {
  reasons: readonly AnyReason[];
  correlationId: string;
  customMessage?: string;
}): string {
  const custom = input.customMessage ? `<p class="custom">${escapeHtml(input.customMessage)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access blocked</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f5f5;color:#1b1b1b}
main{max-width:36rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin-top:0}
.custom{padding:.75rem 1rem;border-left:4px solid #005a9e;background:#eef5fb}
.ref{font-size:.9rem;color:#444}
code{font-size:1rem;background:#f0f0f0;padding:.1rem .3rem;border-radius:3px}
</style>
</head>
<body>
<main>
<h1>Access blocked</h1>
${custom}
<p>${escapeHtml(remediationFor(input.reasons))}</p>
<p class="ref">If you contact support, quote this reference: <code>${escapeHtml(input.correlationId)}</code></p>
<p class="ref">For IT support: the reference is the decision's correlation id; <code>certgate decisions show ${escapeHtml(input.correlationId)}</code> (or <code>GET /api/manage/decisions/${escapeHtml(input.correlationId)}</code>) shows what was checked and which check failed.</p>
</main>
</body>
</html>
`;
}
