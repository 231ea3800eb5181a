/**
 * Decision-level reason codes: a closed union of stable kebab-case codes (they are API), in
 * ok / fail pairs where both exist. The specific check codes live next to their checks
 * (`shared/cert/validation/reasons.ts`, `shared/cert/intake/reasons.ts`); a decision lists its
 * outcome code first and then the check code that caused it.
 * May import: nothing.
 */

/** Codes for the outcome of the certificate requirement and for malfunctions. */
export const DECISION_REASONS = {
  'client-certificate-valid': 'The request carried a valid client certificate from a trusted CA.',
  'client-certificate-required':
    "No client certificate was presented: this endpoint requires one from the organisation's PKI.",
  'client-certificate-invalid': 'The client certificate was presented but is not valid (see the check that failed).',
  'client-certificate-not-bound-to-user':
    'The certificate is valid but does not belong to the signed-in user (no binding rule matched): it does not count as a valid certificate for them.',
  'client-certificate-binding-unknown':
    "The certificate is valid, but whether it belongs to the signed-in user could not be established (the directory did not answer for certificateUserIds): blocked unless a policy's fail mode is open.",
  'forwarded-certificate-rejected': 'The forwarded certificate header could not be accepted (see the intake reason).',
  'decision-unavailable':
    'certgate could not decide because a dependency failed; the request is blocked (fail closed).',
  'app-unregistered':
    'No registered app claims the host and path the gateway saw, so no policy applies and the baseline decided (by default: a valid client certificate is required). Register the app at /api/manage/apps.',
} as const;

/** A decision-level reason code. */
export type DecisionReason = keyof typeof DECISION_REASONS;

/** Codes the management API answers with (4xx for input, 5xx for malfunctions). */
export const MANAGEMENT_REASONS = {
  'ca-added': 'The CA certificate was added to the trusted CAs.',
  'ca-malformed': 'The body is not a certificate in PEM or DER form.',
  'ca-bundle-empty': 'The body contains no certificate.',
  'ca-not-a-ca':
    'The certificate is not a CA certificate (basicConstraints cA is not set), so it cannot be a trust anchor.',
  'ca-expired': 'The CA certificate has expired (or is not yet valid).',
  'ca-already-present': 'A CA with this SHA-256 thumbprint is already trusted.',
  'ca-upload-contains-private-key':
    'The upload contains a private key (a PEM PRIVATE KEY block, a DER key, or a PKCS#12 / PFX file). Upload only the CA certificate (PEM "BEGIN CERTIFICATE" or a DER .cer file); nothing was stored and the key was neither echoed nor logged. A CA key that left the CA by mistake should be treated as exposed.',
  'crl-url-unsupported':
    'certgate fetches CRLs over HTTP(S) only, so an ldap:// or file:// CRL URL cannot be used. AD CS publishes the same CRL at an HTTP distribution point (the http:// URL in the CDP extension of the certificates it issues): add that URL instead. An ldap:// distribution point named in a certificate is skipped.',
  'ca-not-found': 'No trusted CA has this SHA-256 thumbprint.',
  'thumbprint-invalid': 'A thumbprint is 64 hexadecimal characters (SHA-256 of the DER).',
  'request-body-invalid': 'The request body does not match the expected shape.',
  'request-query-invalid':
    'A query parameter is unknown to this route, given twice, or has a value it does not take (`dryRun` is true or false): nothing was done.',
  'id-invalid':
    'The id in the path is not an id: a kebab-case slug of lower-case letters, digits and single hyphens, 1-64 characters.',
  'id-mismatch':
    'The body names another id than the path: leave `id` out of the body, or send the same one. Nothing was saved.',
  'if-match-required': 'This change needs the current ETag in an If-Match header.',
  'etag-mismatch': 'The resource changed since you read it (stale If-Match ETag): read it again and retry.',
  'store-unavailable': 'Table Storage did not answer; nothing was changed. Retry later.',
  'config-invalid': "The app's settings are invalid; see the log for the setting name.",
  'policy-invalid': 'The document does not match the policy model; `issues` lists each field path and what is wrong.',
  'policy-not-found': 'No policy, named location or settings document has this id.',
  'policy-already-exists': 'A document with this id exists: send If-Match with its ETag to replace it.',
  'location-in-use': 'A policy refers to this named location: change the policy first.',
  'app-in-use': 'A policy refers to this registered app: change the policy first.',
  'policy-unknown-group':
    "A group id the policy names is not a group in the tenant (checked in Microsoft Graph): `issues` names each one. Correct the id (the group's Object ID in Entra ID); nothing was saved.",
  'policy-unknown-issuer':
    "An issuer thumbprint the policy names is not a trusted CA's (conditions.certificate.issuers): `issues` names each one. Upload the CA first (/api/manage/cas) or correct the SHA-256 thumbprint; nothing was saved.",
  'policy-groups-unverifiable':
    'Microsoft Graph did not answer, so the group ids could not be checked; nothing was saved. Retry later (after Retry-After when given).',
  'configuration-changed': 'The configuration changed since the version given in If-Match: export it again and retry.',
  'posture-report-not-found':
    'No Conditional Access posture report yet: the hourly timer writes one, or POST /api/manage/posture runs one now.',
  'posture-graph-disabled':
    'Microsoft Graph is turned off (CERTGATE_GRAPH_ENABLED=false), so the Conditional Access policies cannot be read: turn it on and grant the app Policy.Read.All.',
  'posture-graph-unavailable':
    'Microsoft Graph did not answer (throttled, down or timed out); the report was saved as failed. Retry later (after Retry-After when given).',
  'posture-graph-denied':
    "Microsoft Graph refused the call: grant the app's managed identity the Policy.Read.All application permission (see the README).",
  'posture-graph-rejected':
    "Microsoft Graph rejected certgate's request as invalid; the report was saved as failed. See the log and report the detail.",
  'decision-not-found':
    'The decision log has no decision with this correlation id: it is older than CERTGATE_DECISION_LOG_RETENTION_DAYS, was an allow that sampling left out (CERTGATE_DECISION_LOG_ALLOWS), was made seconds ago and is not written yet (retry), or the id is mistyped.',
  'decision-continuation-invalid':
    'The continuation token is not one this API gave for this query: send the same filters as the first page, or start again without it.',
  'graph-notifications-off':
    'Graph change notifications are not configured: set CERTGATE_GRAPH_NOTIFICATION_URL and CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES (see docs/events-in.md).',
  'notification-body-invalid':
    'The body is not a Microsoft Graph notification collection: expected JSON { "value": [ … ] }.',
  'notification-body-too-large': 'A Graph notification body is at most 1 MiB; this one is larger, so it is not one.',
  'notification-client-state-mismatch':
    "No notification in the body carried a clientState certgate subscribed with (a forgery, or another app's subscription); nothing was applied.",
  'directory-object-kind-invalid':
    'Use POST /api/manage/revocation/user/{object id or UPN} or /api/manage/revocation/device/{device id}.',
  'graph-subscription-failed':
    'Microsoft Graph refused or did not answer a subscription call; see the detail (certgate must be reachable at CERTGATE_GRAPH_NOTIFICATION_URL for the validation handshake, and the app needs User.Read.All and GroupMember.Read.All).',
} as const;

/** A management API reason code. */
export type ManagementReason = keyof typeof MANAGEMENT_REASONS;
