/**
 * The access-policy decision engine. `compilePolicyConfiguration` turns a configuration document
 * into a compiled form once (policies sorted by priority, CIDRs parsed into address lists,
 * location references resolved, globs split into literal pieces, names lower-cased);
 * `evaluateAccess` decides one request against it and returns the decision with a trace of every
 * policy considered and every condition it listed. Pure: no I/O, no clock; the only per-request
 * allocations beyond the trace are the request's own normalised facts, computed lazily once.
 *
 * The conditions live one per file in `conditions/` (the registry says their order); the
 * three-valued logic they and this module combine results with is stated once, in `condition.ts`.
 *
 * Rules (documented in docs/policies.md):
 *  - a condition evaluates to match / no-match / unknown (data it needs is missing: groups not
 *    known, client IP absent or unparseable, a device tag the directory could not say);
 *  - a policy applies when every condition it lists matches, does not apply when one does not
 *    match (even if others are unknown), and is unknown otherwise; no conditions = applies;
 *  - disabled policies are listed, not evaluated; report-only policies are evaluated and listed
 *    with `enforced: false` and never change the effect nor raise alerts;
 *  - among enforced policies block wins; an enforced block policy that is unknown blocks when the
 *    fail mode is closed (reason `policy-unknown-fail-closed`) and is skipped when it is open; a
 *    block that certainly applies is named before one that is only unknown;
 *  - otherwise the first applying allow or monitor policy (priority order) names the reason;
 *    allow and monitor policies that are unknown do not apply;
 *  - otherwise the baseline (`settings.baseline`, see {@link decideBaseline}): by default a valid
 *    client certificate is required (`baseline-certificate-valid` / `-required`); `baseline-allow`,
 *    `baseline-block` when the admin set it so. Report-only and disabled policies never reach it.
 * May import: the model, the condition contract and registry, reason codes, the registered apps.
 */
import { and, RequestFacts, type ConditionResult } from './condition.js';
import {
  compileConditions,
  type AccessRequest,
  type CompiledConditions,
  type ConditionName,
} from './conditions/index.js';
import {
  validatePolicyConfiguration,
  type AccessPolicy,
  type DeviceTag,
  type PolicyConfiguration,
  type PolicyConfigurationInput,
  type PolicyIssue,
  type PolicySettings,
} from './model.js';
import type { PolicyReason } from './policyReasons.js';
import { compileRegisteredApps, type CompiledApps } from './registeredApps.js';
import { CertgateError } from '../errors.js';

export type { AccessRequest, ConditionName, ConditionResult };

/** One condition of one policy in the trace. */
export interface ConditionTrace {
  readonly condition: ConditionName;
  readonly result: ConditionResult;
  readonly detail: string;
}

/** One policy in the trace. */
export interface PolicyTrace {
  readonly id: string;
  readonly name: string;
  readonly state: AccessPolicy['state'];
  readonly action: AccessPolicy['action'];
  /** True for enabled policies: report-only and disabled policies never change the effect. */
  readonly enforced: boolean;
  readonly outcome: 'applies' | 'does-not-apply' | 'unknown' | 'disabled';
  readonly conditions: readonly ConditionTrace[];
}

/** An alert a policy asks for. */
export interface PolicyAlert {
  readonly policyId: string;
  readonly severity: 'low' | 'medium' | 'high';
}

/** The decision, with every policy considered in priority order. */
export interface PolicyDecision {
  readonly effect: 'allow' | 'block';
  readonly reason: PolicyReason;
  /** The policy that decided; absent for a default decision. */
  readonly decidedBy?: string;
  /** The deciding block policy's message for the user. */
  readonly blockMessage?: string;
  readonly alerts: readonly PolicyAlert[];
  readonly policies: readonly PolicyTrace[];
}

/**
 * Thrown by {@link compilePolicyConfiguration} for a document that does not validate (a malfunction: callers fail
 * closed).
 */
export class PolicyConfigurationError extends CertgateError {
  readonly code = 'policy-configuration-invalid';
  constructor(readonly issues: readonly PolicyIssue[]) {
    super(
      `policy configuration invalid: ${issues
        .slice(0, 3)
        .map((issue) => `${issue.path}: ${issue.code}`)
        .join('; ')}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`,
    );
    this.name = 'PolicyConfigurationError';
  }
}

interface CompiledPolicy {
  readonly policy: AccessPolicy;
  readonly conditions: CompiledConditions;
}

/** A configuration compiled for evaluation; build it once per configuration version. */
export interface CompiledPolicyConfiguration {
  readonly settings: PolicySettings;
  /** The registered apps, for resolving which app a request is for. */
  readonly apps: CompiledApps;
  /** Sorted by priority; equal priorities keep document order. */
  readonly policies: readonly CompiledPolicy[];
}

function compilePolicy(policy: AccessPolicy, locations: PolicyConfiguration['locations']): CompiledPolicy {
  return { policy, conditions: compileConditions(policy.conditions, { locations }) };
}

/**
 * Validates and compiles a configuration for {@link evaluateAccess}. Throws
 * {@link PolicyConfigurationError} when the document does not validate (callers fail closed).
 */
export function compilePolicyConfiguration(
  configuration: PolicyConfiguration | PolicyConfigurationInput,
): CompiledPolicyConfiguration {
  const validated = validatePolicyConfiguration(configuration);
  if (!validated.ok) throw new PolicyConfigurationError(validated.issues);
  const { policies, locations, settings, apps } = validated.value;
  const ordered = policies
    .map((policy, index) => ({ policy, index }))
    .sort((a, b) => a.policy.priority - b.policy.priority || a.index - b.index);
  return Object.freeze({
    settings: Object.freeze({ ...settings }),
    apps: compileRegisteredApps(apps),
    policies: Object.freeze(ordered.map(({ policy }) => compilePolicy(policy, locations))),
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

// Object spread (`{ ...base, outcome }`) takes a slow path in V8 here (~1.5 µs per object,
// measured), so traces are built field by field.
function policyTrace(
  policy: AccessPolicy,
  outcome: PolicyTrace['outcome'],
  conditions: readonly ConditionTrace[],
): PolicyTrace {
  return {
    id: policy.id,
    name: policy.name,
    state: policy.state,
    action: policy.action,
    enforced: policy.state === 'enabled',
    outcome,
    conditions,
  };
}

/**
 * Decides one request against a compiled configuration (see the module comment for the rules).
 * `facts`: the request's derived facts when the caller shares them with the session policies.
 */
export function evaluateAccess(
  request: AccessRequest,
  configuration: CompiledPolicyConfiguration,
  facts: RequestFacts<AccessRequest> = new RequestFacts(request),
): PolicyDecision {
  const traces: PolicyTrace[] = [];
  const alerts: PolicyAlert[] = [];
  let block: AccessPolicy | undefined;
  let unknownBlock: AccessPolicy | undefined;
  let permit: AccessPolicy | undefined;
  const failClosed = configuration.settings.failMode === 'closed';

  for (const { policy, conditions } of configuration.policies) {
    if (policy.state === 'disabled') {
      traces.push(policyTrace(policy, 'disabled', []));
      continue;
    }
    let combined: ConditionResult = 'match';
    const conditionTraces: ConditionTrace[] = [];
    for (const [condition, evaluate] of conditions) {
      const { result, detail } = evaluate(facts);
      combined = and(combined, result);
      conditionTraces.push({ condition, result, detail });
    }
    const outcome = combined === 'match' ? 'applies' : combined === 'no-match' ? 'does-not-apply' : 'unknown';
    traces.push(policyTrace(policy, outcome, conditionTraces));
    if (policy.state !== 'enabled') continue;
    let fires = outcome === 'applies';
    if (policy.action === 'block') {
      if (outcome === 'applies') block ??= policy;
      else if (outcome === 'unknown' && failClosed) {
        unknownBlock ??= policy;
        fires = true;
      }
    } else if (outcome === 'applies') permit ??= policy;
    if (fires && policy.alert) alerts.push({ policyId: policy.id, severity: policy.alert.severity });
  }

  const decider = block ?? unknownBlock;
  if (decider) {
    const reason = block ? 'policy-block' : 'policy-unknown-fail-closed';
    if (decider.blockMessage === undefined)
      return { effect: 'block', reason, decidedBy: decider.id, alerts, policies: traces };
    return {
      effect: 'block',
      reason,
      decidedBy: decider.id,
      blockMessage: decider.blockMessage,
      alerts,
      policies: traces,
    };
  }
  if (permit)
    return {
      effect: 'allow',
      reason: permit.action === 'monitor' ? 'policy-monitor' : 'policy-allow',
      decidedBy: permit.id,
      alerts,
      policies: traces,
    };
  return decideBaseline(configuration.settings, request.deviceTags, alerts, traces);
}

/**
 * The baseline's decision, for a request no enforced policy decided (or one for an app that is
 * not registered, which no policy sees): `require-valid-certificate` allows exactly the devices
 * tagged `valid-client-certificate` (a tag that is unknown is not there: fail closed), `allow` and
 * `block` are what they say.
 */
export function decideBaseline(
  settings: Pick<PolicySettings, 'baseline'>,
  deviceTags: ReadonlySet<DeviceTag>,
  alerts: readonly PolicyAlert[] = [],
  policies: readonly PolicyTrace[] = [],
): PolicyDecision {
  switch (settings.baseline) {
    case 'allow':
      return { effect: 'allow', reason: 'baseline-allow', alerts, policies };
    case 'block':
      return { effect: 'block', reason: 'baseline-block', alerts, policies };
    case 'require-valid-certificate':
      return deviceTags.has('valid-client-certificate')
        ? { effect: 'allow', reason: 'baseline-certificate-valid', alerts, policies }
        : { effect: 'block', reason: 'baseline-certificate-required', alerts, policies };
  }
}
