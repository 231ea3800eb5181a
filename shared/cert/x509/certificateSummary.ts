/**
 * A compact, log-friendly summary of a certificate (what decision logs and block pages show).
 * May import: node:crypto, ./certificate.js, ./generalNames.js.
 */
import { createHash } from 'node:crypto';
import type { ParsedCertificate } from './certificate.js';
import { formatGeneralName } from './generalNames.js';

/** Summary fields of a certificate; dates are ISO 8601 strings. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  /** Lowercase hex SHA-256 of the DER. */
  readonly sha256Thumbprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** SANs as `dns:…`, `email:…`, `uri:…`, `ip:…`, `upn:…`, `dirname:…`. */
  readonly subjectAltNames: string[];
  /**
   * Certificate policy OIDs (templates and assurance levels, as enterprise CAs write them), as the certificate lists
   * them.
   */
  readonly policyOids: string[];
  /**
   * Only on the leaf of a valid path: the user-constrained policy set RFC 5280 §6.1 path
   * validation produced (in the trust anchor's policy domain; `2.5.29.32.0` when the whole path
   * asserts anyPolicy). What access policies on certificate policies match against.
   */
  readonly validatedPolicyOids?: string[];
}

const summaries = new WeakMap<ParsedCertificate, CertificateSummary>();

/** Summarise a parsed certificate (memoised per parsed certificate, so anchors cost once). */
export function certificateSummary(certificate: ParsedCertificate): CertificateSummary {
  const known = summaries.get(certificate);
  if (known !== undefined)
    return { ...known, subjectAltNames: [...known.subjectAltNames], policyOids: [...known.policyOids] };
  const summary = {
    subject: certificate.subject.text,
    issuer: certificate.issuer.text,
    serialNumber: certificate.serialNumber,
    sha256Thumbprint: createHash('sha256').update(certificate.der).digest('hex'),
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    subjectAltNames: (certificate.extensions.subjectAltName?.names ?? []).map(formatGeneralName),
    policyOids: (certificate.extensions.certificatePolicies?.policies ?? []).map((policy) => policy.policyIdentifier),
  };
  summaries.set(certificate, summary);
  return { ...summary, subjectAltNames: [...summary.subjectAltNames], policyOids: [...summary.policyOids] };
}
