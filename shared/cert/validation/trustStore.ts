/**
 * The trust store: every CA an admin uploaded (root or intermediate) is a trust anchor. Anchors
 * are parsed once and indexed by subject (comparison form) and by subject key identifier so path
 * building finds candidate issuers without scanning.
 * May import: ../x509/*.
 */
import { isCertificateParseFailure, parseCertificateDer, type ParsedCertificate } from '../x509/certificate.js';
import { parseCertificates } from '../x509/certificateInput.js';

/** An indexed, immutable set of trust anchors. */
export interface TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  /** Anchors by normalised subject name. */
  readonly bySubject: ReadonlyMap<string, readonly ParsedCertificate[]>;
  /** Anchors by subject key identifier (hex). */
  readonly bySubjectKeyIdentifier: ReadonlyMap<string, readonly ParsedCertificate[]>;
  /** DER (hex) of every anchor, to recognise an anchor forwarded again as an intermediate. */
  readonly derKeys: ReadonlySet<string>;
  /** Uploaded certificates that could not be parsed (index in the input and why). */
  readonly rejected: readonly { readonly index: number; readonly detail: string }[];
}

function push<K>(map: Map<K, ParsedCertificate[]>, key: K, certificate: ParsedCertificate): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [certificate]);
  else list.push(certificate);
}

/**
 * Parse and index trust anchors once. Each input is DER, or PEM with one or more certificates.
 * Unparseable inputs are listed in `rejected` and left out; duplicates are kept once.
 */
export function createTrustStore(anchors: readonly (Uint8Array | string)[]): TrustStore {
  const parsed: ParsedCertificate[] = [];
  const rejected: { index: number; detail: string }[] = [];
  const derKeys = new Set<string>();
  anchors.forEach((input, index) => {
    let certificates: ParsedCertificate[];
    if (input instanceof Uint8Array && input[0] === 0x30) {
      const one = parseCertificateDer(input);
      if (isCertificateParseFailure(one)) {
        rejected.push({ index, detail: one.detail });
        return;
      }
      certificates = [one];
    } else {
      const many = parseCertificates(input);
      if (!many.ok) {
        rejected.push({ index, detail: many.detail });
        return;
      }
      certificates = many.certificates;
    }
    for (const certificate of certificates) {
      const key = Buffer.from(certificate.der).toString('hex');
      if (derKeys.has(key)) continue;
      derKeys.add(key);
      parsed.push(certificate);
    }
  });
  const bySubject = new Map<string, ParsedCertificate[]>();
  const bySubjectKeyIdentifier = new Map<string, ParsedCertificate[]>();
  for (const certificate of parsed) {
    push(bySubject, certificate.subject.normalized, certificate);
    const ski = certificate.extensions.subjectKeyIdentifier?.keyIdentifier;
    if (ski !== undefined) push(bySubjectKeyIdentifier, ski, certificate);
  }
  return { anchors: parsed, bySubject, bySubjectKeyIdentifier, derKeys, rejected };
}
