/**
 * The reason codes a block page link may carry: every code a decision can list (decision, intake,
 * certificate and policy reasons), from their own dictionaries, so the page route can drop what is
 * not certgate's.
 * May import: the reason dictionaries.
 */
import { INTAKE_REASONS } from '../cert/intake/reasons.js';
import { CERTIFICATE_REASONS } from '../cert/validation/reasons.js';
import type { AnyReason } from '../policy/certificateDecision.js';
import { POLICY_REASONS } from '../policy/policyReasons.js';
import { DECISION_REASONS } from '../reasons.js';

const KNOWN: ReadonlySet<string> = new Set([
  ...Object.keys(DECISION_REASONS),
  ...Object.keys(INTAKE_REASONS),
  ...Object.keys(CERTIFICATE_REASONS),
  ...Object.keys(POLICY_REASONS),
]);

/** Whether a string is a reason code a decision can carry. */
export function isKnownDecisionReason(value: string): value is AnyReason {
  return KNOWN.has(value);
}
