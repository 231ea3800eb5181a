/**
 * Public surface of the X.509 decoding layer.
 * May import: the modules of this folder.
 */
export { parseCertificateDer, isCertificateParseFailure } from './certificate.js';
export type {
  ParsedCertificate,
  CertificateParseFailure,
  AlgorithmIdentifier,
  SubjectPublicKeyInfo,
} from './certificate.js';
export { parseCertificates, parseSingleCertificate } from './certificateInput.js';
export type { ParseCertificatesResult } from './certificateInput.js';
export { certificateSummary } from './certificateSummary.js';
export type { CertificateSummary } from './certificateSummary.js';
export type { GeneralName, GeneralSubtree } from './generalNames.js';
export type { DistinguishedName, NameAttribute } from './names.js';
export type { CertificateExtensions, KeyUsageName } from './extensions.js';
