/**
 * What an upstream learns about an allowed request, in gate mode and in forward-auth answers
 * alike: `X-Certgate-User` (the identified user's UPN), `X-Certgate-Device-Tags` (comma-separated
 * device tags), `X-Certgate-Decision-Id` (the decision's correlation id, to find it in the
 * decision log) and `X-Certgate-Assertion`, a short-lived ES256 JWT carrying the same facts,
 * signed with the gate key (assertionSigner.ts) and verifiable against
 * `/api/.well-known/jwks.json`. The plain headers are a convenience; an upstream that can be
 * reached other than through certgate must verify the assertion instead of trusting them.
 * May import: the gate's signer, decision / outcome / service types, errors.
 */
import type { AccessOutcome } from '../access/decideAccess.js';
import type { Services } from '../composition.js';
import { CertgateError } from '../errors.js';
import { assertionSignerFor } from './assertionSigner.js';

/** The identity headers certgate sets towards an upstream (lower case), in a stable order. */
export const UPSTREAM_IDENTITY_HEADERS = [
  'x-certgate-user',
  'x-certgate-device-tags',
  'x-certgate-decision-id',
  'x-certgate-assertion',
] as const;

/** One of {@link UPSTREAM_IDENTITY_HEADERS}. */
export type UpstreamIdentityHeader = (typeof UPSTREAM_IDENTITY_HEADERS)[number];

/** Which app the request is for: the assertion's audience. */
export interface IdentityTarget {
  readonly appId: string;
}

/** Gate mode (or a forward-auth answer) needs CERTGATE_GATE_SIGNING_KEY and it is not set. */
export class GateSigningKeyMissingError extends CertgateError {
  readonly code = 'gate-signing-key-missing';
  constructor() {
    super(
      'Setting CERTGATE_GATE_SIGNING_KEY: missing: the gate signs X-Certgate-Assertion for upstreams with it (a PKCS#8 PEM P-256 key)',
    );
    this.name = 'GateSigningKeyMissingError';
  }
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A header-safe value: printable ASCII as is, anything else percent-encoded (UTF-8). */
function headerValue(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : encodeURIComponent(text);
}

/**
 * The identity headers for an allowed outcome (lower-case names → values). The user header is
 * absent when no user was identified. Throws {@link GateSigningKeyMissingError} when no signing
 * key is configured: an upstream must never get identity headers without the assertion.
 */
export async function upstreamIdentityHeaders(
  services: Services,
  outcome: AccessOutcome,
  target: IdentityTarget,
): Promise<Record<UpstreamIdentityHeader, string> | Omit<Record<UpstreamIdentityHeader, string>, 'x-certgate-user'>> {
  const signer = assertionSignerFor(services.config);
  if (!signer) throw new GateSigningKeyMissingError();
  const { decision, upn } = outcome;
  const validCertificate = decision.deviceTags.includes('valid-client-certificate');
  const thumbprint = validCertificate ? decision.certificate?.sha256Thumbprint : undefined;
  const assertion = await (
    await signer
  ).sign(
    {
      appId: target.appId,
      subject: upn ?? (validCertificate ? decision.certificate?.subject : undefined) ?? 'anonymous',
      ...(upn !== undefined ? { upn } : {}),
      ...(thumbprint !== undefined ? { thumbprint } : {}),
      deviceTags: decision.deviceTags,
      decisionId: decision.correlationId,
    },
    services.clock.now(),
  );
  const common = {
    'x-certgate-device-tags': decision.deviceTags.join(','),
    'x-certgate-decision-id': headerValue(decision.correlationId),
    'x-certgate-assertion': assertion,
  };
  return upn !== undefined ? { 'x-certgate-user': headerValue(upn), ...common } : common;
}
