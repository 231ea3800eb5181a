/**
 * Reason codes of the access-policy engine and issue codes of policy validation: closed unions of
 * stable kebab-case codes (they are API), each with the sentence an admin reads. Human text for
 * end users is derived from the code at the edge; these descriptions are for the admin trace.
 * May import: nothing.
 */

/** Why an access decision came out the way it did. */
export const POLICY_REASONS = {
  'policy-allow': 'An enabled allow policy applied and no enabled block policy did.',
  'policy-monitor':
    'An enabled monitor policy applied and no enabled block policy did: the request is allowed and recorded.',
  'policy-block': 'An enabled block policy applied (block wins over allow and monitor).',
  'policy-unknown-fail-closed':
    'An enabled block policy could not be evaluated (data it needs is unknown) and the fail mode is closed, so the request is blocked.',
  'baseline-certificate-valid':
    'No enabled policy decided; the baseline requires a valid client certificate and the request has one.',
  'baseline-certificate-required':
    'No enabled policy decided; the baseline requires a valid client certificate and the request has none (see the certificate reason).',
  'baseline-allow': 'No enabled policy decided; the configured baseline is allow.',
  'baseline-block': 'No enabled policy decided; the configured baseline is block.',
} as const;

/** A reason code of an access decision. */
export type PolicyReason = keyof typeof POLICY_REASONS;

/** Every {@link PolicyReason}, for exhaustive checks and tests. */
export const POLICY_REASON_CODES = Object.freeze(Object.keys(POLICY_REASONS)) as readonly PolicyReason[];

/** Why a policy document (or configuration) was rejected; one issue per problem, with its path. */
export const POLICY_ISSUE_CODES = {
  required: 'A required field is missing.',
  'invalid-type': 'The field has the wrong type (for example a string where a list is expected).',
  'invalid-value': 'The value is not one of the allowed values.',
  'unknown-field': 'The field is not part of the schema (a typo would otherwise be silently ignored).',
  'too-short': 'The value is empty or has too few entries.',
  'too-long': 'The value is longer than allowed.',
  'invalid-slug': 'Ids are kebab-case slugs: lower-case letters, digits and single hyphens, at most 64 characters.',
  'invalid-integer': 'The value must be an integer in the allowed range.',
  'invalid-group-id': 'Entra group ids are GUIDs (object ids).',
  'invalid-cidr': 'The range is not an IPv4 or IPv6 CIDR (or a single address).',
  'invalid-oid': 'The value is not a dotted object identifier (for example 1.3.6.1.4.1.311.21.8.1).',
  'invalid-thumbprint': 'A CA thumbprint is the SHA-256 of its DER: 64 hexadecimal characters (colons allowed).',
  'invalid-location-reference': 'A location reference is a named-location id, `tag:<tag>` or `any`.',
  'invalid-pattern':
    'A pattern is plain text with `*` as the only wildcard, at most 256 characters, no control characters.',
  'invalid-text': 'Plain text only: no control characters and no markup.',
  'empty-app-matcher': 'An app matcher needs at least one of appId, host or pathPrefix.',
  'invalid-host': 'A host is a DNS name, or `*.` followed by a DNS suffix.',
  'invalid-path-prefix': 'A path prefix starts with `/`.',
  'unsupported-schema-version': 'This certgate understands schemaVersion 1 only.',
  'duplicate-id': 'Another policy or location already uses this id.',
  'unknown-location': 'The policy refers to a named location that does not exist.',
  'unknown-location-tag': 'The policy refers to a location tag that no named location carries.',
  'unknown-app': 'The policy refers to an app id that is not registered (register it at /api/manage/apps first).',
  'duplicate-app-route': 'Another registered app (or route) already claims this host and path prefix.',
  'invalid-entra-app-id': 'An Entra application (client) id is a GUID.',
  'invalid-media-type': 'A media type is type/subtype or type/* (for example application/pdf), without parameters.',
  'invalid-extension': 'A file name extension is letters, digits, _ + - (for example xlsx, .xlsx or tar.gz).',
  'invalid-method': 'An HTTP method is letters only (for example PUT).',
  'empty-file-filter':
    "A session control's `files` must list at least one criterion (for a download: attachment, contentTypes, extensions or largerThan; for an upload: multipartFile, contentTypes or methods).",
  'invalid-upstream':
    'An upstream is an https URL without credentials, query or fragment (http only to loopback, for development).',
} as const;

/** An issue code of policy validation. */
export type PolicyIssueCode = keyof typeof POLICY_ISSUE_CODES;
