/**
 * The access and session policies' verdict for a request, remembered: evaluating them is a pure
 * function of the compiled configuration and the request's facts (the condition registry says which
 * request fields a condition reads; every field but the time goes into the key), so the same device
 * and user asking for the same app from the same address get the same, shared verdict instead of a
 * new trace per request. A configuration with a condition that reads the time (`timeWindow`) is
 * evaluated every time. The key:
 *  - by identity, what the pipeline shares between requests: the device-tag sets, the user's group
 *    set (one per cached directory answer, see {@link sharedSet}) and the certificate facts (frozen,
 *    one per cached validation); a request holding a set or facts of its own is evaluated, not
 *    remembered;
 *  - by value, the rest: the app (id, host, path), user agent, client IP, user id, UPN and whether
 *    the user's memberships are unknown.
 * Remembered verdicts are frozen (they are shared); bounded per identity path (oldest out first); a
 * new configuration (a new compiled object) starts afresh.
 * May import: the policy core, the condition registry, the session policies.
 */
import { RequestFacts } from '../policy/condition.js';
import { POLICY_CONDITIONS } from '../policy/conditions/index.js';
import {
  evaluateAccess,
  type AccessRequest,
  type CompiledPolicyConfiguration,
  type PolicyDecision,
} from '../policy/evaluateAccess.js';
import type { PolicyConfiguration } from '../policy/model.js';
import { selectSessionControls, type SessionControls } from '../session/sessionPolicies.js';

/** The policies' verdict for one request: the access decision, and the session controls of an allow. */
export interface PolicyEvaluation {
  readonly policy: PolicyDecision;
  /** Session controls in force (allowed requests only; undefined when none is configured). */
  readonly session: SessionControls | undefined;
}

/** The configuration the verdict is read against (a policy cache snapshot). */
export interface EvaluatedConfiguration {
  readonly configuration: PolicyConfiguration;
  readonly compiled: CompiledPolicyConfiguration;
}

/** Sets the pipeline shares between requests and never changes (see {@link sharedSet}). */
const sharedSets = new WeakSet<ReadonlySet<string>>();

/** Marks a set the caller will share between requests and never change: requests holding it can share a verdict. */
export function sharedSet<T extends ReadonlySet<string>>(set: T): T {
  sharedSets.add(set);
  return set;
}

/** Names of conditions that read the time: a configuration listing one is evaluated every time. */
const TIMED_CONDITIONS: ReadonlySet<string> = new Set(
  POLICY_CONDITIONS.filter((condition) => (condition.reads as readonly string[]).includes('at')).map(
    (condition) => condition.name,
  ),
);

const VERDICTS_PER_PATH = 512;

/** One level of the identity key; the last level holds the verdicts by the value key. */
class KeyNode {
  readonly next = new WeakMap<object, KeyNode>();
  verdicts: Map<string, PolicyEvaluation> | undefined;

  child(key: object): KeyNode {
    let node = this.next.get(key);
    if (node === undefined) this.next.set(key, (node = new KeyNode()));
    return node;
  }
}

interface ConfigurationMemo {
  readonly configuration: PolicyConfiguration;
  /** Some policy lists a condition that reads the time: no verdict is remembered. */
  readonly timed: boolean;
  readonly root: KeyNode;
}

const memos = new WeakMap<CompiledPolicyConfiguration, ConfigurationMemo>();

/** Stands for an absent set or certificate in the identity key. */
const ABSENT = Object.freeze({});

function memoOf(snapshot: EvaluatedConfiguration): ConfigurationMemo {
  let memo = memos.get(snapshot.compiled);
  if (memo === undefined || memo.configuration !== snapshot.configuration) {
    const timed = [...snapshot.configuration.policies, ...snapshot.configuration.sessionPolicies].some((policy) =>
      Object.keys(policy.conditions).some((name) => TIMED_CONDITIONS.has(name)),
    );
    memo = { configuration: snapshot.configuration, timed, root: new KeyNode() };
    memos.set(snapshot.compiled, memo);
  }
  return memo;
}

/** Evaluates the access policies and, for an allow, the session policies (one set of derived facts). */
function evaluate(snapshot: EvaluatedConfiguration, request: AccessRequest): PolicyEvaluation {
  const facts = new RequestFacts(request);
  const policy = evaluateAccess(request, snapshot.compiled, facts);
  const session = policy.effect === 'allow' ? selectSessionControls(snapshot.configuration, request, facts) : undefined;
  return { policy, session };
}

function sharedOrAbsent(set: ReadonlySet<string> | undefined): object | undefined {
  if (set === undefined) return ABSENT;
  return sharedSets.has(set) ? set : undefined;
}

/**
 * The request fields {@link keyOf} keys. `EVERY_REQUEST_FIELD_KEYED` does not compile when the
 * request gains a field (or loses one) until the key says how it is keyed.
 */
type Keyed = 'app' | 'userAgent' | 'clientIp' | 'user' | 'at' | 'deviceTags' | 'unknownDeviceTags' | 'certificate';
export const EVERY_REQUEST_FIELD_KEYED: [keyof AccessRequest] extends [Keyed]
  ? [Keyed] extends [keyof AccessRequest]
    ? true
    : never
  : never = true;

/**
 * Where a request's verdict is kept: its identity parts (undefined when one is the request's own)
 * and its value key. `at` is left out, and is why timed configurations are not remembered.
 */
function keyOf(request: AccessRequest): { readonly path: readonly object[]; readonly value: string } | undefined {
  const { app, user, certificate } = request;
  const deviceTags = sharedOrAbsent(request.deviceTags);
  const unknownDeviceTags = sharedOrAbsent(request.unknownDeviceTags);
  const groups = user === undefined ? ABSENT : sharedOrAbsent(user.groups);
  const facts = certificate === undefined ? ABSENT : Object.isFrozen(certificate) ? certificate : undefined;
  if (deviceTags === undefined || unknownDeviceTags === undefined || groups === undefined || facts === undefined)
    return undefined;
  return {
    path: [deviceTags, unknownDeviceTags, facts, groups],
    value: JSON.stringify([
      app.id,
      app.host,
      app.path,
      request.userAgent,
      request.clientIp,
      user === undefined,
      user?.id,
      user?.upn,
      user?.groupsUnknown,
    ]),
  };
}

/** The policies' verdict for a request: remembered when it can be (see the module comment), else evaluated. */
export function evaluatePolicySets(snapshot: EvaluatedConfiguration, request: AccessRequest): PolicyEvaluation {
  const memo = memoOf(snapshot);
  if (memo.timed) return evaluate(snapshot, request);
  const key = keyOf(request);
  if (key === undefined) return evaluate(snapshot, request);
  let node = memo.root;
  for (const part of key.path) node = node.child(part);
  const verdicts = (node.verdicts ??= new Map<string, PolicyEvaluation>());
  const known = verdicts.get(key.value);
  if (known !== undefined) return known;
  const evaluation = deepFreeze(evaluate(snapshot, request));
  if (verdicts.size >= VERDICTS_PER_PATH) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key.value, evaluation);
  return evaluation;
}

/**
 * Freezes a verdict and the arrays and plain objects it holds (traces, alerts, applied session
 * policies); compiled session controls (with their sets) are frozen as objects, their sets left as
 * they are (nothing changes them).
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Set || value instanceof Map) return value;
  for (const field of Object.values(value)) deepFreeze(field);
  return Object.freeze(value);
}
