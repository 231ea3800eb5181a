/**
 * What a policy condition is, for the files in `conditions/` (one per condition) and the registry
 * that lists them: its schema, how it compiles to an evaluator over the request's facts, the
 * request fields it reads, what it asks of the directory, the references it makes to other parts
 * of the configuration, and its row in docs/policies.md. Also the three-valued logic every
 * condition and the engine combine results with (stated here once), and the per-request memo of
 * derived facts. Pure: no I/O, no clock.
 * May import: zod (types), the device tags, the policy issue codes (types).
 */
import type { z } from 'zod';
import type { DeviceTag } from './fieldSchemas.js';
import type { PolicyIssueCode } from './policyReasons.js';

// ---------------------------------------------------------------------------------------------
// Three-valued logic

/** The result of one condition: `unknown` when data it needs is missing. */
export type ConditionResult = 'match' | 'no-match' | 'unknown';

/** A known no-match wins over unknown; otherwise unknown wins over match. */
export function and(left: ConditionResult, right: ConditionResult): ConditionResult {
  if (left === 'no-match' || right === 'no-match') return 'no-match';
  return left === 'unknown' || right === 'unknown' ? 'unknown' : 'match';
}

/** A known match wins over unknown; otherwise unknown wins over no-match. */
export function or(left: ConditionResult, right: ConditionResult): ConditionResult {
  if (left === 'match' || right === 'match') return 'match';
  return left === 'unknown' || right === 'unknown' ? 'unknown' : 'no-match';
}

/** Unknown stays unknown. */
export function not(value: ConditionResult): ConditionResult {
  return value === 'match' ? 'no-match' : value === 'no-match' ? 'match' : 'unknown';
}

/** A condition's result with the sentence the trace shows. */
export interface Evaluated {
  readonly result: ConditionResult;
  readonly detail: string;
}

// ---------------------------------------------------------------------------------------------
// Facts: values derived from the request at most once per evaluation, shared by every policy

/** A value derived from (part of) the request; see {@link defineFact}. */
export interface Fact<Request, T> {
  readonly slot: number;
  readonly name: string;
  readonly derive: (request: Request) => T;
}

let slots = 0;

/**
 * A fact a condition reads: `derive` runs at most once per request, however many policies read
 * it (a parsed IP address, a lower-cased User-Agent, the local time in a zone). Define facts once,
 * at module level.
 */
export function defineFact<Request, T>(name: string, derive: (request: Request) => T): Fact<Request, T> {
  return { slot: slots++, name, derive };
}

const UNSET = Symbol('unset');

/** One request and the facts derived from it so far. */
export class RequestFacts<Request> {
  // A sparse array by slot is the cheapest memo here (no Map per request).
  private readonly values: unknown[] = [];

  constructor(readonly request: Request) {}

  /** The fact's value for this request, derived on first use. */
  get<T>(fact: Fact<Request, T>): T {
    const value = this.values[fact.slot];
    if (value !== undefined) return (value === UNSET ? undefined : value) as T;
    const derived = fact.derive(this.request);
    this.values[fact.slot] = derived === undefined ? UNSET : derived;
    return derived;
  }
}

// ---------------------------------------------------------------------------------------------
// The contract of a condition

/** A named location as a condition sees it (structurally the model's NamedLocation). */
export interface LocationRanges {
  readonly id: string;
  readonly tags: readonly string[];
  readonly ranges: readonly string[];
}

/** What compiling a condition may look at besides the condition itself. */
export interface CompileContext {
  readonly locations: readonly LocationRanges[];
}

/** Known location ids and tags (and registered app ids), for checking the references a policy makes. */
export interface ReferenceCatalogue {
  readonly ids: ReadonlySet<string>;
  readonly tags: ReadonlySet<string>;
  /** Registered app ids; when given, a policy's `appId` references are checked against them. */
  readonly appIds?: ReadonlySet<string>;
}

/** A problem with a reference, its path relative to the condition (`include[0]`). */
export interface ReferenceIssue {
  readonly path: string;
  readonly code: PolicyIssueCode;
  readonly message: string;
}

/** A group id a condition names, its path relative to the condition (`include.groups[0]`). */
export interface ConditionGroupReference {
  readonly groupId: string;
  readonly path: string;
}

/** A condition compiled for one policy: evaluates one request's facts. */
export type ConditionEvaluator<Request> = (facts: RequestFacts<Request>) => Evaluated;

/** A condition kind: everything about it lives in its file under `conditions/`. */
export interface ConditionDefinition<Name extends string, Schema extends z.ZodType, Request> {
  /** The key under a policy's `conditions`. */
  readonly name: Name;
  /** The condition's value in a policy (strict: unknown fields are issues). */
  readonly schema: Schema;
  /** The request fields it reads (the rest of the request is nothing to it). */
  readonly reads: readonly (keyof Request & string)[];
  /** Compiles a validated condition once per configuration. */
  compile(condition: z.output<Schema>, context: CompileContext): ConditionEvaluator<Request>;
  /** The group ids it names: the directory is asked about them, and they are checked when saved. */
  groups?(condition: z.output<Schema>): readonly ConditionGroupReference[];
  /** The device tags it tests (the directory is asked for the Graph-backed ones). */
  deviceTags?(condition: z.output<Schema>): readonly DeviceTag[];
  /** References to named locations or registered apps that do not exist. */
  references?(condition: z.output<Schema>, catalogue: ReferenceCatalogue): readonly ReferenceIssue[];
  /** A valid value, for the docs and the registry's tests. */
  readonly example: z.input<Schema>;
  /** Its row in the conditions table of docs/policies.md (markdown; a test keeps them equal). */
  readonly docs: { readonly shape: string; readonly matchesWhen: string };
}

/**
 * Declares a condition reading the request part `Request` (the registry intersects the parts into
 * the engine's `AccessRequest`): `defineCondition<{ readonly at?: Date }>()({ name: 'timeWindow', … })`.
 */
export function defineCondition<Request>() {
  return <const Name extends string, Schema extends z.ZodType>(
    definition: ConditionDefinition<Name, Schema, Request>,
  ): ConditionDefinition<Name, Schema, Request> => definition;
}
