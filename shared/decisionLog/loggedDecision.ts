/**
 * A decision as the decision log keeps it: which decisions are recorded (every block, every allow
 * a report-only policy would have turned into a block, and allows as sampled), and the record's
 * shape: who (user UPN and object id), which device (certificate thumbprint, Entra device id), from
 * where (client IP), for which app, the outcome with its reasons, the deciding policy, and the
 * validation trace and per-policy outcomes as compact JSON that fits Table Storage's limits (a
 * property holds at most 64 KiB: a longer JSON text is cut and marked truncated, never dropped).
 * Pure: no I/O, no clock (the decision carries its time), randomness passed in.
 * May import: decision and trace types, ports (types).
 */
import type { TraceEntry } from '../cert/validation/index.js';
import type { Decision } from '../policy/certificateDecision.js';
import type { PolicyTrace } from '../policy/evaluateAccess.js';
import type { DecisionRecord } from '../ports.js';

/** How allowed decisions are recorded: all, none, or a sampled fraction (blocks are never sampled). */
export type AllowSampling =
  { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'rate'; readonly rate: number };

/** Table Storage caps a string property at 64 KiB of UTF-16: 32,768 units. Cut below it, with room for the marker. */
export const MAX_JSON_CHARS = 30_000;
/** What ends a JSON text that was cut to {@link MAX_JSON_CHARS}. */
export const TRUNCATION_MARKER = '…[truncated]';

/**
 * The report-only policies whose verdict differs from the decision's effect: a report-only block
 * that applies to an allowed request (it would have blocked), or a report-only allow / monitor
 * that applies to a request the baseline blocked (it would have allowed; an enforced block policy
 * or a certificate that failed intake would have blocked anyway). A report-only block that is
 * only `unknown` counts as a block when the decision failed closed on an unknown block, so it is
 * not listed as changing anything there.
 */
export function reportOnlyChanges(decision: Decision): string[] {
  const verdict = decision.policy;
  if (!verdict) return [];
  let changes: string[] | undefined;
  const baselineBlock = decision.effect === 'block' && verdict.reason.startsWith('baseline-');
  for (const policy of verdict.policies) {
    if (policy.state !== 'report-only' || policy.outcome !== 'applies') continue;
    const changed = policy.action === 'block' ? decision.effect === 'allow' : baselineBlock;
    if (changed) (changes ??= []).push(policy.id);
  }
  return changes ?? [];
}

/**
 * Whether an allowed decision is recorded under `sampling`; blocks always are (the caller records
 * them without asking). `random` is a number in [0, 1). An allow a report-only policy would have
 * changed is always recorded: the impact report counts it.
 */
export function recordsAllow(decision: Decision, sampling: AllowSampling, random: () => number): boolean {
  if (sampling.kind === 'all') return true;
  if (sampling.kind === 'rate' && random() < sampling.rate) return true;
  return changedByReportOnly(decision);
}

/** Whether {@link reportOnlyChanges} is not empty, without building the list (every unsampled allow asks). */
function changedByReportOnly(decision: Decision): boolean {
  const verdict = decision.policy;
  if (!verdict) return false;
  const baselineBlock = decision.effect === 'block' && verdict.reason.startsWith('baseline-');
  for (const policy of verdict.policies) {
    if (policy.state !== 'report-only' || policy.outcome !== 'applies') continue;
    if (policy.action === 'block' ? decision.effect === 'allow' : baselineBlock) return true;
  }
  return false;
}

/** The compact form of one policy's outcome: `[id, state, action, outcome, [[condition, result, detail], …]]`. */
export type CompactPolicyOutcome = readonly [
  id: string,
  state: PolicyTrace['state'],
  action: PolicyTrace['action'],
  outcome: PolicyTrace['outcome'],
  conditions: readonly (readonly [condition: string, result: string, detail: string])[],
];

/** The compact form of one validation trace entry: `[check, certificate, outcome, reason?, detail?, rule?]`. */
export type CompactTraceEntry = readonly [
  check: string,
  certificate: string,
  outcome: TraceEntry['outcome'],
  reason?: string,
  detail?: string,
  rule?: string,
];

/** A JSON property as read back: the value, or the text cut at {@link MAX_JSON_CHARS} when it was longer. */
export type Stored<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly truncated: string };

/** The record of one decision, as stored and as the query API shows it. */
export interface LoggedDecision {
  /** The decision's time (ISO 8601). */
  readonly at: string;
  readonly correlationId: string;
  /** The registered app's id; absent for an unregistered host (the baseline decided). */
  readonly app?: string;
  /** The signed-in user's UPN, or why a bearer token was not accepted. */
  readonly user?: string;
  /** The signed-in user's Entra object id. */
  readonly userId?: string;
  /** The client certificate's SHA-256 thumbprint. */
  readonly certificateThumbprint?: string;
  /** The Entra device id the certificate names. */
  readonly deviceId?: string;
  readonly clientIp?: string;
  readonly decision: Decision['effect'];
  readonly reasons: readonly string[];
  readonly failedCheck?: string;
  /** The policy that decided; absent when the baseline or the certificate rule did. */
  readonly decidedBy?: string;
  /** The access policies' reason (`policy-block`, `baseline-certificate-required`, …). */
  readonly policyReason?: string;
  /** Report-only policies that would have changed this decision. */
  readonly reportOnlyChanges: readonly string[];
}

/** A logged decision with its full trace (what explain renders). */
export interface LoggedDecisionDetail extends LoggedDecision {
  /** The validation trace, in the order the checks ran. */
  readonly trace: Stored<readonly CompactTraceEntry[]>;
  /** Every access policy considered, in priority order, with its conditions. */
  readonly policies: Stored<readonly CompactPolicyOutcome[]>;
  /** The rest: certificate summary, device tags, directory trace, client context, gateway verification, app. */
  readonly details: Stored<DecisionDetails>;
}

/** The parts of a decision the list does not show but explain does. */
export interface DecisionDetails {
  readonly certificate?: Decision['certificate'];
  readonly deviceTags: Decision['deviceTags'];
  readonly unknownDeviceTags?: Decision['unknownDeviceTags'];
  readonly gatewayVerification?: string;
  readonly directory?: Decision['directory'];
  readonly app?: Decision['app'];
  readonly blockMessage?: string;
  readonly client: DecisionRecord['client'];
}

/** The summary fields of a record (what lists and indexes carry). */
export function loggedDecisionOf(record: DecisionRecord): LoggedDecision {
  const { decision, client } = record;
  const app = decision.app?.status === 'registered' ? decision.app.id : undefined;
  return {
    at: decision.decidedAt,
    correlationId: decision.correlationId,
    app,
    user: record.user,
    userId: record.userId?.toLowerCase(),
    certificateThumbprint: decision.certificate?.sha256Thumbprint.toLowerCase(),
    deviceId: decision.directory?.device?.deviceId?.toLowerCase(),
    clientIp: client.clientIp,
    decision: decision.effect,
    reasons: decision.reasons,
    failedCheck: decision.failedCheck,
    decidedBy: decision.policy?.decidedBy,
    policyReason: decision.policy?.reason,
    reportOnlyChanges: reportOnlyChanges(decision),
  };
}

/** The validation trace in compact form. */
export function compactTrace(trace: readonly TraceEntry[]): CompactTraceEntry[] {
  return trace.map((entry): CompactTraceEntry => {
    const tail = [entry.reason, entry.detail, entry.rule];
    while (tail.length > 0 && tail[tail.length - 1] === undefined) tail.pop();
    return [
      entry.check,
      entry.certificate,
      entry.outcome,
      ...tail.map((part) => part ?? ''),
    ] as unknown as CompactTraceEntry;
  });
}

/** The per-policy trace in compact form. */
export function compactPolicies(policies: readonly PolicyTrace[]): CompactPolicyOutcome[] {
  return policies.map((policy): CompactPolicyOutcome => [
    policy.id,
    policy.state,
    policy.action,
    policy.outcome,
    policy.conditions.map((condition) => [condition.condition, condition.result, condition.detail] as const),
  ]);
}

/** The details of a record. */
export function detailsOf(record: DecisionRecord): DecisionDetails {
  const { decision } = record;
  return {
    certificate: decision.certificate,
    deviceTags: decision.deviceTags,
    unknownDeviceTags: decision.unknownDeviceTags,
    gatewayVerification: decision.gatewayVerification,
    directory: decision.directory,
    app: decision.app,
    blockMessage: decision.blockMessage,
    client: record.client,
  };
}

/** JSON text that fits one Table Storage property: cut to {@link MAX_JSON_CHARS} with the marker when longer. */
export function boundedJson(value: unknown): { readonly text: string; readonly truncated: boolean } {
  const text = JSON.stringify(value);
  if (text.length <= MAX_JSON_CHARS) return { text, truncated: false };
  return { text: text.slice(0, MAX_JSON_CHARS - TRUNCATION_MARKER.length) + TRUNCATION_MARKER, truncated: true };
}

/** A stored JSON property read back: parsed, or the cut text when it was truncated (or does not parse). */
export function readStored<T>(text: string | undefined, fallback: T): Stored<T> {
  if (text === undefined || text === '') return { ok: true, value: fallback };
  if (text.endsWith(TRUNCATION_MARKER)) return { ok: false, truncated: text };
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch {
    return { ok: false, truncated: text };
  }
}
