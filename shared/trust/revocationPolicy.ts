/**
 * Turns each trusted CA's revocation policy into what the validator asks per certificate, and
 * lists the CRL distribution points certgate should keep fresh.
 *
 * A certificate's policy is its issuing CA's when that CA is stored; a certificate issued by a CA
 * certgate does not store (an intermediate forwarded by the gateway) gets `preferred`: checked
 * when data exists, so a listed revocation always blocks.
 * May import: node:crypto, ports (types), the cert core.
 */
import { createHash } from 'node:crypto';
import type { ParsedCertificate, RevocationMode } from '../cert/validation/index.js';
import type { RevocationPolicy, TrustedCa } from '../ports.js';

/** The mode the validator applies for a CA's policy (`allow-and-alert` is enforced as `preferred` plus an alert). */
export function validatorModeOf(policy: RevocationPolicy): RevocationMode {
  if (policy.mode === 'required' && policy.unknown === 'allow-and-alert') return 'preferred';
  return policy.mode;
}

const thumbprints = new WeakMap<ParsedCertificate, string>();

/** SHA-256 of a certificate's DER, memoised per parsed certificate. */
export function thumbprintOf(certificate: ParsedCertificate): string {
  let thumbprint = thumbprints.get(certificate);
  if (thumbprint === undefined) {
    thumbprint = createHash('sha256').update(certificate.der).digest('hex');
    thumbprints.set(certificate, thumbprint);
  }
  return thumbprint;
}

/** Per-certificate revocation mode from the stored CAs' policies. */
export function revocationModeResolver(
  cas: ReadonlyMap<string, TrustedCa>,
): (certificate: ParsedCertificate, issuer: ParsedCertificate) => RevocationMode {
  return (_certificate, issuer) => {
    const ca = cas.get(thumbprintOf(issuer));
    return ca ? validatorModeOf(ca.revocation) : 'preferred';
  };
}

/** Whether the issuer's CA asked to be told when revocation status is unknown. */
export function alertsOnUnknown(cas: ReadonlyMap<string, TrustedCa>, issuer: ParsedCertificate): boolean {
  const ca = cas.get(thumbprintOf(issuer));
  return ca?.revocation.mode === 'required' && ca.revocation.unknown === 'allow-and-alert';
}

/**
 * The URLs a certificate names in its CRL distribution points, in order: http(s) ones, which
 * certgate fetches, and others (AD CS writes `ldap:///CN=…` first), which the CRL cache notes as
 * skipped and never fetches.
 */
export function crlUrlsOf(certificate: ParsedCertificate): string[] {
  const points = certificate.extensions.crlDistributionPoints?.points ?? [];
  return points.flatMap((point) =>
    (point.fullName ?? []).flatMap((name) =>
      name.kind === 'uniformResourceIdentifier' && name.value ? [name.value] : [],
    ),
  );
}

/** Whether certgate fetches CRLs from this URL (http: and https: only). */
export function isFetchableCrlUrl(url: string): boolean {
  return /^https?:\/\//iu.test(url);
}

/** The scheme of a URL (`scheme://…`) that names one other than http(s) (`ldap`, `file`, …), else undefined. */
export function unsupportedCrlUrlScheme(url: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//iu.exec(url.trim())?.[1]?.toLowerCase();
  return scheme === undefined || scheme === 'http' || scheme === 'https' ? undefined : scheme;
}

/** Why a distribution point with this URL is not fetched, for the revocation status and error details. */
export function unsupportedCrlUrlNote(url: string): string {
  const scheme = unsupportedCrlUrlScheme(url) ?? 'this';
  return `${scheme}: distribution points are not fetched (certgate fetches CRLs over HTTP(S)); AD CS publishes the same CRL at an http:// distribution point, which is used when the certificate or the CA names one`;
}

/**
 * The first CRL URL in an admin's `crlUrls` (as sent, before schema checks) whose scheme is not
 * http(s), so the API can answer `crl-url-unsupported` instead of a generic invalid URL.
 */
export function firstUnsupportedCrlUrl(
  crlUrls: unknown,
): { readonly url: string; readonly scheme: string } | undefined {
  if (!Array.isArray(crlUrls)) return undefined;
  for (const url of crlUrls) {
    if (typeof url !== 'string') continue;
    const scheme = unsupportedCrlUrlScheme(url);
    if (scheme !== undefined) return { url, scheme };
  }
  return undefined;
}

/**
 * The CRL URLs that bear on one certificate path (leaf … anchor, by SHA-256 thumbprint): those the
 * leaf names, those configured on the stored CAs on the path, and those their certificates name.
 * What a request waits for when a CRL was never fetched: not every CA's distribution points.
 */
export function crlUrlsForPath(
  leaf: ParsedCertificate | undefined,
  pathThumbprints: readonly string[],
  cas: ReadonlyMap<string, TrustedCa>,
  anchors: readonly ParsedCertificate[],
): string[] {
  const onPath = new Set(pathThumbprints);
  const configured = pathThumbprints.flatMap((thumbprint) => cas.get(thumbprint)?.crlUrls ?? []);
  const named = anchors.filter((anchor) => onPath.has(thumbprintOf(anchor))).flatMap(crlUrlsOf);
  return [...new Set([...(leaf ? crlUrlsOf(leaf) : []), ...configured, ...named])];
}
