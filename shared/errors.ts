/**
 * The one base of certgate's exceptions, and the closed union of their codes.
 *
 * Exceptions are for malfunctions (a store down, a setting invalid, bytes that are not DER), never
 * for verdicts: those are reason codes (`reasons.ts`). Every exception carries a stable `code`
 * (tests and callers branch on it, never on the message) and, when it wraps another failure, that
 * failure as `cause`. Pure: the cores may import it.
 * May import: nothing.
 */

/** Every code a {@link CertgateError} may carry, by the module that throws it. */
export type CertgateErrorCode =
  // session/verdict.ts: the multipart guard stopped a request body carrying a file
  | 'session-upload-blocked'
  // config.ts, adapters/jwksTokenVerifier.ts, policy/evaluateAccess.ts: a setting or document unusable
  | 'config-invalid'
  | 'token-verifier-config-invalid'
  | 'policy-configuration-invalid'
  // ports.ts StoreError: a store operation that did not happen
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'unavailable'
  // adapters/storageClients.ts: a storage call past its deadline
  | 'storage-deadline-exceeded'
  // adapters/tableBatch.ts: a Table Storage transaction the service refused
  | 'table-transaction-refused'
  // ports.ts DirectoryError: Graph gave no answer (`directory-` + its kind)
  | 'directory-throttled'
  | 'directory-unavailable'
  | 'directory-timeout'
  | 'directory-denied'
  | 'directory-invalid'
  // cert/revocation/ocsp.ts: an OCSP request that cannot be built
  | 'ocsp-request-certificate-malformed'
  | 'ocsp-request-issuer-malformed'
  | 'ocsp-request-nonce-invalid'
  // cert/x509/derNodes.ts: bytes that are not the expected DER (turned into a reason at the API edge)
  | 'der-structure-invalid'
  // cert/validation/pathValidation.ts: a path check failed (turned into its reason inside the validator)
  | 'certificate-path-check-failed'
  // identity/accessTokenVerification.ts: the signing key lookup failed (not the token)
  | 'signing-key-lookup-failed'
  // cli/: an input file that cannot be read, a command line that cannot be used
  | 'cli-input-file-unreadable'
  | 'cli-usage-invalid'
  // adapters/graphSubscriptions.ts, events/graphChangeNotifications.ts: change notifications (events in)
  | 'graph-subscription-failed'
  | 'notification-body-invalid'
  // alerts/alertDelivery.ts, adapters/*AlertDestination.ts: a destination did not take an alert event
  | 'alert-delivery-failed'
  // gate/identityHeaders.ts: gate mode without its assertion signing key
  | 'gate-signing-key-missing'
  // gate/upstreamProxy.ts: the upstream gave no answer (time-out, connection failure)
  | 'gate-upstream-failed';

/**
 * The base of every certgate exception: a stable {@link code} from {@link CertgateErrorCode} and,
 * for a wrapped failure, its `cause` (Error's own `{ cause }` option, passed through). Subclasses
 * declare their code (a field, or a constructor parameter property) and keep their own name.
 */
export abstract class CertgateError extends Error {
  /** Stable, kebab-case: what callers and tests branch on. */
  abstract readonly code: CertgateErrorCode;
}

/** The message of anything thrown: an Error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
