/**
 * Certificate validation reason codes: the outcome of path validation. A closed union of stable
 * kebab-case codes (they are API: decision logs, alerts and block pages key on them), each with a
 * one-line description for humans.
 * May import: nothing.
 */

/** Every validation outcome code with its description. */
export const CERTIFICATE_REASONS = {
  'certificate-valid': 'The certificate chains to a trusted CA and passed every check.',
  'certificate-malformed':
    'A certificate (or CRL) is not valid DER/X.509: bad encoding, duplicate extension, or a field outside its allowed form.',
  'certificate-expired': 'A certificate in the path is past its notAfter date (allowing the configured clock skew).',
  'certificate-not-yet-valid':
    'A certificate in the path is before its notBefore date (allowing the configured clock skew).',
  'certificate-untrusted': 'No path from the certificate to any trusted CA could be built.',
  'certificate-signature-invalid': "A signature in the path does not verify with the issuer's public key.",
  'certificate-signature-algorithm-weak':
    'A signature or key in the path is too weak for the algorithm policy: SHA-1 (unless allowed), MD5 or MD2, or an RSA key below the minimum size. Not a bad signature: the signature was not checked.',
  'certificate-signature-algorithm-unsupported':
    'A signature or key in the path uses an algorithm, curve or parameter set certgate does not implement (an unknown OID, a curve other than P-256/P-384/P-521, explicit curve parameters, RSA-PSS parameters it does not support). Not a bad signature: the signature was not checked.',
  'certificate-algorithm-dsa-refused':
    'A signature or key in the path is DSA, which certgate refuses by design (no current CA issues DSA; no option allows it). Not a bad signature: the signature was not checked.',
  'certificate-eku-missing':
    'The certificate does not list the required extended key usage (Client Authentication by default) — no EKU extension or only anyExtendedKeyUsage does not count for a client certificate — or a CA above it does not allow it.',
  'certificate-leaf-is-ca':
    'The certificate presented as the client certificate is a CA certificate (basicConstraints cA, keyUsage keyCertSign, or a trusted CA itself), not an end-entity certificate.',
  'certificate-issuer-not-ca':
    'An issuing certificate in the path is not a CA (basicConstraints cA is absent or false).',
  'certificate-path-length-exceeded': "A CA's pathLenConstraint allows fewer intermediates than the path contains.",
  'certificate-key-usage-invalid':
    'A key usage forbids the use: an issuer without keyCertSign, a CRL issuer without cRLSign, or an inconsistent key usage.',
  'certificate-name-constraints-violated':
    'A name in the certificate falls outside the name constraints of a CA above it.',
  'certificate-policy-invalid':
    "Certificate policy processing (RFC 5280 §6.1.3-6.1.5) failed: an explicit policy is required (by a CA's requireExplicitPolicy or the relying party's explicitPolicy) but no acceptable policy remains, or a CA maps a policy to or from anyPolicy.",
  'certificate-unknown-critical-extension':
    'A certificate carries a critical extension the validator does not process.',
  'certificate-revoked': 'A certificate in the path is listed as revoked on a valid CRL from its issuer.',
  'certificate-revocation-unknown':
    'Revocation checking is required but no valid, current CRL covers a certificate in the path.',
  'certificate-path-too-long':
    'Every path to a trusted CA needs more intermediates than the configured maximum chain depth.',
  'certificate-path-building-exhausted':
    'Path building stopped at its work bound before finding a valid path (too many candidate issuers).',
  'certificate-profile-violation':
    'A certificate breaks an RFC 5280 profile rule (serial number form, extension criticality, missing key identifiers, CA-only extensions in a non-CA, malformed SAN).',
  'certificate-validation-input-invalid':
    'The validation request itself is invalid (an invalid time or option); this is a caller error, not a verdict on the certificate.',
  'certificate-key-invalid': 'A public key in the path cannot be loaded or does not match its declared algorithm.',
} as const;

/** A certificate validation outcome code. */
export type CertificateReason = keyof typeof CERTIFICATE_REASONS;

/** Whether a string is one of the certificate validation codes. */
export function isCertificateReason(value: string): value is CertificateReason {
  return Object.prototype.hasOwnProperty.call(CERTIFICATE_REASONS, value);
}
