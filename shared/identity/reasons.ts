/**
 * Identity reason codes: why a bearer token, an App Service principal, a management role or a
 * certificate ↔ user binding was refused. Closed unions of stable kebab-case codes (they are API:
 * logs, alerts and responses key on them), each with a one-line description; human text is derived
 * from the code at the edge, the `detail` strings that travel with a code are for the admin trace.
 * May import: nothing.
 */

/**
 * Why an Entra ID access token was refused. All are "401 + WWW-Authenticate" at the edge except
 * `token-keys-unavailable`, which is a malfunction (the issuer's keys could not be fetched): 503.
 */
export const TOKEN_REASONS = {
  'token-missing': 'No bearer token: the Authorization header is absent or empty.',
  'token-malformed':
    'The Authorization header is not "Bearer <JWT>", the JWT is not well-formed, or a claim certgate needs (oid, tid, exp) is missing or of the wrong type.',
  'token-expired': 'The token has expired (exp is past, beyond the configured clock tolerance).',
  'token-not-yet-valid': 'The token is not valid yet (nbf is in the future, beyond the configured clock tolerance).',
  'token-signature-invalid':
    "The signature does not verify with the issuer's published key, or the token names a key (kid) the issuer does not publish.",
  'token-issuer-invalid': 'The token was issued by another issuer (iss) than the configured Entra tenant.',
  'token-audience-invalid':
    "The token was issued for another application (aud is not this app's client id or App ID URI).",
  'token-keys-unavailable':
    "The issuer's signing keys (JWKS) could not be fetched or read: a malfunction, not a verdict on the token (answer 503).",
  'token-algorithm-not-allowed':
    'The token is not signed with RS256 (as Entra ID signs); "none" and HMAC algorithms are refused.',
} as const;

/** A token refusal code. */
export type TokenReason = keyof typeof TOKEN_REASONS;

/** Why the management API refuses a verified principal. */
export const ROLE_REASONS = {
  'role-missing':
    "The caller's token does not carry the app role this operation needs (Certgate.Admin, or Certgate.Reader for reads).",
} as const;

/** A management role refusal code. */
export type RoleReason = keyof typeof ROLE_REASONS;

/** Why App Service Authentication headers did not give a principal. */
export const APP_SERVICE_PRINCIPAL_REASONS = {
  'app-service-principal-missing':
    'No X-MS-CLIENT-PRINCIPAL header: App Service Authentication did not sign anyone in.',
  'app-service-principal-untrusted':
    'X-MS-CLIENT-PRINCIPAL* headers arrived but the app is not configured to run behind App Service Authentication, so they may be spoofed.',
  'app-service-principal-malformed':
    'The X-MS-CLIENT-PRINCIPAL header is not base64 JSON of the expected shape, lacks the object id or tenant id, or disagrees with X-MS-CLIENT-PRINCIPAL-ID.',
} as const;

/** An App Service principal refusal code. */
export type AppServicePrincipalReason = keyof typeof APP_SERVICE_PRINCIPAL_REASONS;

/** Outcomes of binding a client certificate to a user (ok / fail pair plus the ambiguous case). */
export const CERTIFICATE_BINDING_REASONS = {
  'certificate-bound-to-user': 'A configured username binding rule matched the certificate to the signed-in user.',
  'certificate-not-bound-to-user':
    'No configured username binding rule matched the certificate to the signed-in user: the certificate may belong to someone else.',
  'certificate-binding-ambiguous':
    'No rule bound the certificate, and at least one could not decide because the certificate names several different principals in the field it reads.',
} as const;

/** A certificate binding outcome code. */
export type CertificateBindingReason = keyof typeof CERTIFICATE_BINDING_REASONS;

/** Every identity code, for documentation and exhaustiveness tests. */
export const IDENTITY_REASONS = {
  ...TOKEN_REASONS,
  ...ROLE_REASONS,
  ...APP_SERVICE_PRINCIPAL_REASONS,
  ...CERTIFICATE_BINDING_REASONS,
} as const;

/** Any identity reason code. */
export type IdentityReason = keyof typeof IDENTITY_REASONS;

/** Whether a string is one of the token refusal codes. */
export function isTokenReason(value: string): value is TokenReason {
  return Object.prototype.hasOwnProperty.call(TOKEN_REASONS, value);
}
