/**
 * Intake reason codes: why a forwarded client-certificate header was not accepted. A closed union
 * of stable kebab-case codes (they are API: logs, alerts and block pages key on them), each with a
 * one-line description for humans. Human text is derived from the code at the edge.
 * May import: nothing.
 */

/** Every intake rejection code with its description. */
export const INTAKE_REASONS = {
  'forwarded-certificate-untrusted-forwarder':
    'A client-certificate header arrived without proof that it came through a configured gateway (secret, Front Door id or trusted proxy address): it may be spoofed.',
  'forwarded-certificate-duplicate-header':
    'A header that must appear once appeared several times (or its values were joined with a comma).',
  'forwarded-certificate-header-too-large': 'A forwarded-certificate header is larger than the configured size cap.',
  'forwarded-certificate-empty': 'The forwarded-certificate header is present but carries no certificate.',
  'forwarded-certificate-malformed-encoding':
    "The header value is not valid in the gateway's encoding (bad percent-encoding, bad base64, bad structured field or XFCC syntax).",
  'forwarded-certificate-malformed-pem':
    'The PEM armour is wrong (missing, unbalanced, or text outside the certificate blocks).',
  'forwarded-certificate-not-der':
    'The decoded bytes are not the DER encoding of an ASN.1 SEQUENCE, so they cannot be a certificate.',
  'forwarded-certificate-multiple-leaves':
    'More than one client (leaf) certificate was forwarded where exactly one is expected, or two headers disagree on the leaf.',
  'forwarded-certificate-chain-too-long':
    'The forwarded certificate chain has more certificates than the configured cap.',
  'forwarded-certificate-verification-unrecognised':
    'The gateway verification header holds a value other than SUCCESS, NONE or FAILED:<reason>.',
  'forwarded-certificate-gateway-verification-failed':
    'The gateway reported FAILED verification of the client certificate and the gateway mode is strict.',
} as const;

/** An intake rejection code. */
export type IntakeReason = keyof typeof INTAKE_REASONS;

/** Whether a string is one of the intake rejection codes. */
export function isIntakeReason(value: string): value is IntakeReason {
  return Object.prototype.hasOwnProperty.call(INTAKE_REASONS, value);
}
