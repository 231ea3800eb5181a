/**
 * OCSP reason codes (RFC 6960): why an OCSP answer was accepted as good / revoked / unknown, or why
 * it could not be used. A closed union of stable kebab-case codes (they are API: traces, health and
 * alerts key on them), each with a one-line description for humans; human text is derived from the
 * code at the edge. The transport codes (why no answer arrived) are here too so that the adapter and
 * the revocation checker share one vocabulary.
 * May import: nothing.
 */

/** Codes for a verified answer from the responder about our certificate. */
export const OCSP_ANSWER_REASONS = {
  'ocsp-good': 'The OCSP responder says the certificate is good (verified, fresh response).',
  'ocsp-revoked': 'The OCSP responder says the certificate is revoked (verified, fresh response).',
  'ocsp-cert-unknown': 'The OCSP responder does not know the certificate (verified, fresh response).',
} as const;

/** Codes for a response that cannot be used; the certificate's status is then unknown. */
export const OCSP_FAILURE_REASONS = {
  'ocsp-response-malformed': 'The OCSP response is not a well-formed DER OCSPResponse / BasicOCSPResponse.',
  'ocsp-responder-malformed-request': 'The OCSP responder answered malformedRequest: it could not parse our request.',
  'ocsp-responder-internal-error': 'The OCSP responder answered internalError.',
  'ocsp-responder-try-later': 'The OCSP responder answered tryLater: it is temporarily unable to answer.',
  'ocsp-responder-sig-required': 'The OCSP responder answered sigRequired: it wants signed requests.',
  'ocsp-responder-unauthorized':
    'The OCSP responder answered unauthorized: it is not authoritative for this certificate.',
  'ocsp-responder-unknown-status':
    'The OCSP responder answered with a responseStatus value that RFC 6960 does not define.',
  'ocsp-response-not-basic': 'The OCSP response is not of type id-pkix-ocsp-basic, the only type certgate understands.',
  'ocsp-issuer-malformed': 'The issuer certificate given for the check cannot be parsed.',
  'ocsp-responder-id-mismatch':
    'The responder id (byName / byKey) names neither the issuing CA nor any certificate included in the response.',
  'ocsp-signer-not-issued-by-ca':
    'The delegated responder certificate was not issued (signature-checked) by the CA that issued the certificate being checked.',
  'ocsp-signer-missing-eku':
    'The delegated responder certificate does not carry the id-kp-OCSPSigning extended key usage.',
  'ocsp-signer-outside-validity': 'The delegated responder certificate is expired or not yet valid.',
  'ocsp-signature-algorithm-unsupported':
    'The response is signed with an algorithm certgate does not verify (supported: RSA PKCS#1 v1.5, RSA-PSS, ECDSA, Ed25519, Ed448).',
  'ocsp-signature-invalid': "The signature on the OCSP response does not verify with the signer's key.",
  'ocsp-cert-id-not-found':
    'The response holds no SingleResponse for the certificate we asked about (hash algorithm, hashes and serial).',
  'ocsp-response-not-yet-valid': "The response's thisUpdate lies in the future beyond the allowed clock skew.",
  'ocsp-response-stale':
    'The response is too old: nextUpdate has passed, or (without nextUpdate) thisUpdate is older than the allowed maximum age.',
  'ocsp-nonce-mismatch':
    'The response echoes a nonce different from the one we sent (a replayed or misrouted response).',
} as const;

/** Codes for why no OCSP response was obtained over the network. */
export const OCSP_TRANSPORT_REASONS = {
  'ocsp-url-unsupported': 'The responder URL is not an http: or https: URL.',
  'ocsp-fetch-failed': 'The OCSP responder could not be reached or answered with an HTTP status other than 200.',
  'ocsp-fetch-timeout': 'The OCSP responder did not answer within the time-out.',
  'ocsp-response-too-large': 'The OCSP responder sent more bytes than the size cap allows.',
} as const;

/** A code for a verified answer. */
export type OcspAnswerReason = keyof typeof OCSP_ANSWER_REASONS;
/** A code for an unusable response. */
export type OcspFailureReason = keyof typeof OCSP_FAILURE_REASONS;
/** A code carried by an OCSP verdict: an answer or a failure. */
export type OcspReason = OcspAnswerReason | OcspFailureReason;
/** A code for a transport failure. */
export type OcspTransportReason = keyof typeof OCSP_TRANSPORT_REASONS;

/** Whether a code means a verified answer from the responder (as opposed to an unusable response). */
export function isOcspAnswerReason(value: string): value is OcspAnswerReason {
  return Object.prototype.hasOwnProperty.call(OCSP_ANSWER_REASONS, value);
}

/** Whether a string is one of the OCSP evaluation codes. */
export function isOcspReason(value: string): value is OcspReason {
  return isOcspAnswerReason(value) || Object.prototype.hasOwnProperty.call(OCSP_FAILURE_REASONS, value);
}
