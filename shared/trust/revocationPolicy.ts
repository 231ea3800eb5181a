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
export function revocationModeResolver(cas: ReadonlyMap<string, TrustedCa>): (certificate: ParsedCertificate, issuer: ParsedCertificate) => RevocationMode {
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

/** The http(s) CRL URLs a certificate names in its CRL distribution points. */
export function crlUrlsOf(certificate: ParsedCertificate): string[] {
  const points = certificate.extensions.crlDistributionPoints?.points ?? [];
  return points.flatMap((point) => (point.fullName ?? []).flatMap((name) => (name.kind === 'uniformResourceIdentifier' && name.value && /^https?:\/\//i.test(name.value) ? [name.value] : [])));
}
