/**
 * Session-control fixtures for the unit tests: configurations with one or more session policies,
 * validated through the model (as the store's documents are), and the controls selected for a
 * request, so the tests exercise the real compile and selection path.
 */
import { validatePolicyConfiguration, type PolicyConfiguration } from '../../shared/policy/model.js';
import type { AccessRequest } from '../../shared/policy/conditions/index.js';
import { selectSessionControls, type SessionControls } from '../../shared/session/index.js';

/** A session policy document with defaults for what a test does not care about. */
export function sessionPolicy(id: string, controls: unknown[], extra: Record<string, unknown> = {}) {
  return { id, name: `Session ${id}`, state: 'enabled', priority: 10, conditions: {}, controls, ...extra };
}

/** A validated configuration holding these session policies (throws with the issues when invalid). */
export function configurationWith(
  sessionPolicies: unknown[],
  extra: Record<string, unknown> = {},
): PolicyConfiguration {
  const validated = validatePolicyConfiguration({ schemaVersion: 1, policies: [], sessionPolicies, ...extra });
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return validated.value;
}

/** A request as the engine sees it: an app, device tags. */
export function accessRequest(partial: Partial<AccessRequest> = {}): AccessRequest {
  return { app: { id: 'files' }, deviceTags: new Set(), ...partial };
}

/** The controls of one enforced policy with these controls, for a request every condition matches. */
export function controlsOf(controls: unknown[], state = 'enabled'): SessionControls {
  const selected = selectSessionControls(configurationWith([sessionPolicy('p', controls, { state })]), accessRequest());
  if (!selected) throw new Error('no session controls selected');
  return selected;
}
