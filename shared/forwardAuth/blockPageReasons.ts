/**
 * The reason codes a block page link may carry: every code a decision can list (decision, intake,
 * certificate and policy reasons) and the session reasons, from their own dictionaries, so the page
 * route can drop what is not certgate's.
 * May import: the reason dictionaries.
 */
import { INTAKE_REASONS } from '../cert/intake/reasons.js';
import { CERTIFICATE_REASONS } from '../cert/validation/reasons.js';
import type { AnyReason } from '../policy/certificateDecision.js';
import { POLICY_REASONS } from '../policy/policyReasons.js';
import { DECISION_REASONS } from '../reasons.js';
import { SESSION_REASONS, type SessionReason } from '../session/verdict.js';

const DECISION: ReadonlySet<string> = new Set([
  ...Object.keys(DECISION_REASONS),
  ...Object.keys(INTAKE_REASONS),
  ...Object.keys(CERTIFICATE_REASONS),
  ...Object.keys(POLICY_REASONS),
]);

/** Whether a string is a reason code a decision can carry. */
export function isDecisionReason(value: string): value is AnyReason {
  return DECISION.has(value);
}

/** Whether a string is a reason a block page may show: a decision's or a session control's. */
export function isBlockPageReason(value: string): value is AnyReason | SessionReason {
  return DECISION.has(value) || Object.hasOwn(SESSION_REASONS, value);
}
