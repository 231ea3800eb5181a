/**
 * Which session policies apply to an allowed request. The configuration's session policies are
 * compiled once per configuration object (a new generation of the policy cache is a new object;
 * a WeakMap keeps the compiled form for exactly as long as the configuration lives): sorted by
 * priority, conditions compiled through the same registry as access policies, control lists
 * turned into sets. `selectSessionControls` evaluates the conditions against the same request the
 * access policies saw and returns the controls in force, with a trace of every session policy
 * considered (what-if shows it).
 *
 * Rules (docs/policies.md, "Session policies"):
 *  - session controls act only on requests the access decision allowed;
 *  - a policy applies when every condition it lists matches (three-valued, as access policies);
 *  - disabled policies are listed, not evaluated; report-only policies are evaluated, their
 *    controls reported (what they would have done) and never enforced or alerted;
 *  - an enforced policy whose conditions are unknown (data missing: Graph down) keeps its block
 *    controls when the fail mode is closed (a file is withheld rather than given away); its monitor
 *    controls do not record. Report-only policies follow the same rule for what they report;
 *  - no session policies configured → `undefined` without allocating.
 * Pure: no I/O, no clock.
 * May import: the policy model, the condition contract and registry, the session controls.
 */
import { and, RequestFacts, type ConditionResult } from '../policy/condition.js';
import { compileConditions, type AccessRequest, type CompiledConditions } from '../policy/conditions/index.js';
import type { PolicyConfiguration, SessionPolicy } from '../policy/model.js';
import type { SessionControl } from '../policy/sessionControls.js';
import type { SessionAlertRequest } from './verdict.js';

/** A block-download control, compiled. */
export interface CompiledDownloadControl {
  readonly type: 'block-download';
  readonly attachment: boolean;
  readonly contentTypes: ReadonlySet<string>;
  /** Top-level types listed as `type/*`. */
  readonly wholeContentTypes: ReadonlySet<string>;
  readonly extensions: readonly string[];
  readonly largerThan?: { readonly bytes: number; readonly unknownSize: 'file' | 'not-file' };
  readonly message?: string;
  readonly alert?: SessionAlertRequest;
}

/** A block-upload control, compiled. */
export interface CompiledUploadControl {
  readonly type: 'block-upload';
  readonly multipartFile: boolean;
  readonly contentTypes: ReadonlySet<string>;
  readonly wholeContentTypes: ReadonlySet<string>;
  readonly methods: ReadonlySet<string>;
  readonly message?: string;
  readonly alert?: SessionAlertRequest;
}

/** A monitor control, compiled. */
export interface CompiledMonitorControl {
  readonly type: 'monitor';
  readonly message?: string;
  readonly alert?: SessionAlertRequest;
}

/** A control as the checks use it. */
export type CompiledSessionControl = CompiledDownloadControl | CompiledUploadControl | CompiledMonitorControl;

/** A session policy in force for one allowed request. */
export interface AppliedSessionPolicy {
  readonly policyId: string;
  readonly name: string;
  /** False for report-only policies: their controls are reported, never enforced. */
  readonly enforced: boolean;
  /** `unknown`: conditions could not be evaluated and the fail mode is closed (block controls only). */
  readonly outcome: 'applies' | 'unknown';
  readonly controls: readonly CompiledSessionControl[];
}

/** One session policy in the trace (what-if, decision records). */
export interface SessionPolicyTrace {
  readonly id: string;
  readonly name: string;
  readonly state: SessionPolicy['state'];
  readonly enforced: boolean;
  readonly outcome: 'applies' | 'does-not-apply' | 'unknown' | 'disabled';
  readonly controls: readonly SessionControl['type'][];
  readonly conditions: readonly {
    readonly condition: string;
    readonly result: ConditionResult;
    readonly detail: string;
  }[];
}

/** The session controls in force for one allowed request: what the gate and forward auth check against. */
export interface SessionControls {
  /** In priority order; enforced and report-only. */
  readonly policies: readonly AppliedSessionPolicy[];
  /** Every session policy considered, in priority order. */
  readonly trace: readonly SessionPolicyTrace[];
}

interface CompiledSessionPolicy {
  readonly policy: SessionPolicy;
  readonly conditions: CompiledConditions;
  readonly controls: readonly CompiledSessionControl[];
  /** The controls' types, as every trace names them (built once, not per request). */
  readonly types: readonly SessionControl['type'][];
}

const compiledByConfiguration = new WeakMap<PolicyConfiguration, readonly CompiledSessionPolicy[]>();

function mediaTypeSets(types: readonly string[] | undefined): {
  contentTypes: ReadonlySet<string>;
  wholeContentTypes: ReadonlySet<string>;
} {
  const exact = new Set<string>();
  const whole = new Set<string>();
  for (const type of types ?? []) {
    if (type.endsWith('/*')) whole.add(type.slice(0, -2));
    else exact.add(type);
  }
  return { contentTypes: exact, wholeContentTypes: whole };
}

/** Compiles one control (validated: media types and extensions already lower-case). */
export function compileSessionControl(control: SessionControl): CompiledSessionControl {
  const extras = {
    ...(control.message !== undefined ? { message: control.message } : {}),
    ...(control.alert !== undefined ? { alert: { severity: control.alert.severity } } : {}),
  };
  switch (control.type) {
    case 'block-download':
      return {
        type: 'block-download',
        attachment: control.files.attachment === true,
        ...mediaTypeSets(control.files.contentTypes),
        // Longest first, so a trace names `tar.gz` rather than `gz`.
        extensions: [...(control.files.extensions ?? [])].sort((a, b) => b.length - a.length),
        ...(control.files.largerThan ? { largerThan: { ...control.files.largerThan } } : {}),
        ...extras,
      };
    case 'block-upload':
      return {
        type: 'block-upload',
        multipartFile: control.files.multipartFile === true,
        ...mediaTypeSets(control.files.contentTypes),
        methods: new Set(control.files.methods ?? []),
        ...extras,
      };
    case 'monitor':
      return { type: 'monitor', ...extras };
  }
}

/** The configuration's session policies compiled (memoised per configuration object). */
export function compileSessionPolicies(configuration: PolicyConfiguration): readonly CompiledSessionPolicy[] {
  const cached = compiledByConfiguration.get(configuration);
  if (cached) return cached;
  const compiled = Object.freeze(
    configuration.sessionPolicies
      .map((policy, index) => ({ policy, index }))
      .sort((a, b) => a.policy.priority - b.policy.priority || a.index - b.index)
      .map(({ policy }) => ({
        policy,
        conditions: compileConditions(policy.conditions, { locations: configuration.locations }),
        controls: policy.controls.map(compileSessionControl),
        types: Object.freeze(policy.controls.map((control) => control.type)),
      })),
  );
  compiledByConfiguration.set(configuration, compiled);
  return compiled;
}

/**
 * The session controls in force for an allowed request (see the module comment for the rules);
 * `undefined` when the configuration has no session policies or none applies. `facts`: the
 * request's derived facts when the caller shares them with the access policies (same request).
 */
export function selectSessionControls(
  configuration: PolicyConfiguration,
  request: AccessRequest,
  facts: RequestFacts<AccessRequest> = new RequestFacts(request),
): SessionControls | undefined {
  if (configuration.sessionPolicies.length === 0) return undefined;
  const compiled = compileSessionPolicies(configuration);
  const failClosed = configuration.settings.failMode === 'closed';
  const policies: AppliedSessionPolicy[] = [];
  const trace: SessionPolicyTrace[] = [];
  for (const { policy, conditions, controls, types } of compiled) {
    const enforced = policy.state === 'enabled';
    if (policy.state === 'disabled') {
      trace.push({
        id: policy.id,
        name: policy.name,
        state: policy.state,
        enforced,
        outcome: 'disabled',
        controls: types,
        conditions: [],
      });
      continue;
    }
    let combined: ConditionResult = 'match';
    const conditionTraces: SessionPolicyTrace['conditions'][number][] = [];
    for (const [condition, evaluate] of conditions) {
      const { result, detail } = evaluate(facts);
      combined = and(combined, result);
      conditionTraces.push({ condition, result, detail });
    }
    const outcome = combined === 'match' ? 'applies' : combined === 'no-match' ? 'does-not-apply' : 'unknown';
    trace.push({
      id: policy.id,
      name: policy.name,
      state: policy.state,
      enforced,
      outcome,
      controls: types,
      conditions: conditionTraces,
    });
    if (outcome === 'applies') policies.push({ policyId: policy.id, name: policy.name, enforced, outcome, controls });
    else if (outcome === 'unknown' && failClosed) {
      const blocking = controls.filter((control) => control.type !== 'monitor');
      if (blocking.length > 0)
        policies.push({ policyId: policy.id, name: policy.name, enforced, outcome, controls: blocking });
    }
  }
  return policies.length > 0 || trace.length > 0 ? { policies, trace } : undefined;
}
