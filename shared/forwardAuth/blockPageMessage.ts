/**
 * The admin's message on a block page that a proxy fetches (`/api/blocked?…&policy=<id>`): looked
 * up in the configuration in force by the deciding policy's id, never taken from the link, so a
 * hand-made link can at most show another policy's own message. An access policy's
 * `blockMessage`; for a session reason, the message of that policy's first control of the
 * matching type. Pure.
 * May import: the policy model's types, the session reasons.
 */
import type { PolicyConfiguration } from '../policy/model.js';

const CONTROL_OF_REASON: Readonly<Record<string, 'block-upload' | 'block-download'>> = {
  'session-upload-blocked': 'block-upload',
  'session-download-blocked': 'block-download',
};

/** The message the deciding policy has for the person blocked, if any. */
export function blockPageMessage(
  configuration: PolicyConfiguration,
  policyId: string,
  reasons: readonly string[],
): string | undefined {
  const control = reasons.map((reason) => CONTROL_OF_REASON[reason]).find((type) => type !== undefined);
  if (control !== undefined) {
    const policy = configuration.sessionPolicies.find((candidate) => candidate.id === policyId);
    return policy?.controls.find((candidate) => candidate.type === control)?.message;
  }
  return configuration.policies.find((candidate) => candidate.id === policyId)?.blockMessage;
}
