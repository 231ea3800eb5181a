/**
 * Public surface of certificate path validation (and the X.509 / CRL helpers callers need).
 * May import: the modules of this folder, ../x509/*, ../revocation/*.
 */
export { validateCertificatePath } from './validateCertificatePath.js';
export type { ValidationInput, ValidationResult } from './validateCertificatePath.js';
export { createTrustStore } from './trustStore.js';
export type { TrustStore } from './trustStore.js';
export { CERTIFICATE_REASONS, isCertificateReason } from './reasons.js';
export type { CertificateReason } from './reasons.js';
export type { TraceEntry, ValidationCheck } from './trace.js';
export type { RevocationMode } from './pathValidation.js';
export type { LeafProfile } from './certificateProfile.js';
export type { RevocationStatus } from './revocationCheck.js';
export { certificateSummary, parseCertificates } from '../x509/index.js';
export type { CertificateSummary, ParsedCertificate, ParseCertificatesResult } from '../x509/index.js';
export { parseCrl, findRevokedEntry, isCrlParseFailure } from '../revocation/crl.js';
export type { ParsedCrl, RevokedEntry, CrlParseFailure } from '../revocation/crl.js';
