/**
 * Public entry for turning caller input (PEM with one or many certificates, or DER) into parsed
 * certificates. Never throws.
 * May import: ./certificate.js, ./pemBlocks.js.
 */
import { isCertificateParseFailure, parseCertificateDer, type ParsedCertificate } from './certificate.js';
import { derBlobsFromInput } from './pemBlocks.js';

/** Outcome of {@link parseCertificates}. */
export type ParseCertificatesResult =
  | { readonly ok: true; readonly certificates: ParsedCertificate[] }
  | { readonly ok: false; readonly reason: 'certificate-malformed'; readonly detail: string };

const CERTIFICATE_LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];

/**
 * Parse PEM (one or many `CERTIFICATE` blocks; whitespace and CRLF tolerated) or DER into
 * certificates. Any unparseable certificate fails the whole input with `certificate-malformed`.
 */
export function parseCertificates(input: string | Uint8Array): ParseCertificatesResult {
  const blobs = derBlobsFromInput(input, CERTIFICATE_LABELS);
  if (!blobs.ok) return { ok: false, reason: 'certificate-malformed', detail: blobs.detail };
  const certificates: ParsedCertificate[] = [];
  for (const [index, der] of blobs.blobs.entries()) {
    const parsed = parseCertificateDer(der);
    if (isCertificateParseFailure(parsed))
      return { ok: false, reason: 'certificate-malformed', detail: `certificate ${index}: ${parsed.detail}` };
    certificates.push(parsed);
  }
  return { ok: true, certificates };
}

/** Parse input expected to hold exactly one certificate. */
export function parseSingleCertificate(
  input: string | Uint8Array,
):
  | { readonly ok: true; readonly certificate: ParsedCertificate }
  | { readonly ok: false; readonly reason: 'certificate-malformed'; readonly detail: string } {
  const result = parseCertificates(input);
  if (!result.ok) return result;
  const [certificate] = result.certificates;
  if (certificate === undefined || result.certificates.length !== 1) {
    return {
      ok: false,
      reason: 'certificate-malformed',
      detail: `expected one certificate, found ${result.certificates.length}`,
    };
  }
  return { ok: true, certificate };
}
