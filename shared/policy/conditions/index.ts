/**
 * The registry of policy conditions: one file per condition in this folder, listed here once, in
 * the order conditions are evaluated and traced. Everything that used to repeat the list derives
 * from it: the `conditions` schema of a policy, the condition names, the engine's `AccessRequest`
 * (the intersection of the request parts the conditions read), compiling a policy's conditions,
 * the reference checks, and what the directory is asked. Adding a condition: write its file (see
 * `../condition.ts` for the contract), add it to {@link POLICY_CONDITIONS}, add its row to
 * docs/policies.md (a test compares the rows with each file's `docs`).
 * May import: zod, the condition contract, the condition files.
 */
import { z } from 'zod';
import type {
  CompileContext,
  ConditionDefinition,
  ConditionEvaluator,
  ConditionGroupReference,
  ReferenceCatalogue,
  ReferenceIssue,
} from '../condition.js';
import type { DeviceTag } from '../fieldSchemas.js';
import { apps, type AppsRequest } from './apps.js';
import { certificate } from './certificate.js';
import { clientApps } from './clientApps.js';
import { deviceTags, type DeviceTagsRequest } from './deviceTags.js';
import { locations } from './locations.js';
import { timeWindow } from './timeWindow.js';
import { userAgents } from './userAgents.js';
import { users } from './users.js';

/** Every condition, in the order they are evaluated and traced. */
export const POLICY_CONDITIONS = [
  apps,
  clientApps,
  users,
  deviceTags,
  locations,
  userAgents,
  certificate,
  timeWindow,
] as const;

type Registered = (typeof POLICY_CONDITIONS)[number];

/** The names of conditions, in the order they are evaluated and traced. */
export type ConditionName = Registered['name'];

/** The names of conditions, in order. */
export const CONDITION_NAMES: readonly ConditionName[] = POLICY_CONDITIONS.map((condition) => condition.name);

type ConditionsShape = { [C in Registered as C['name']]: z.ZodOptional<C['schema']> };

/** The conditions of a policy: all optional; a policy applies when every condition it lists matches. */
export const PolicyConditionsSchema = z.strictObject(
  Object.fromEntries(
    POLICY_CONDITIONS.map((condition) => [condition.name, condition.schema.optional()]),
  ) as ConditionsShape,
);

/** The conditions of an access policy. */
export type PolicyConditions = z.infer<typeof PolicyConditionsSchema>;

type RequestPartOf<C> = C extends ConditionDefinition<string, z.ZodType, infer Request> ? Request : never;
type Intersection<U> = (U extends unknown ? (part: U) => void : never) extends (part: infer I) => void ? I : never;
type Flat<T> = { [K in keyof T]: T[K] } & {};

/**
 * What the engine knows about one request (translated from transport types at the edge): the app
 * it is for and the device's tags (the baseline reads them), and every field some condition reads.
 */
export type AccessRequest = Flat<AppsRequest & DeviceTagsRequest & Intersection<RequestPartOf<Registered>>>;

/** A condition with its types erased to what the engine needs. */
type AnyCondition = ConditionDefinition<ConditionName, z.ZodType, AccessRequest>;

const CONDITIONS: readonly AnyCondition[] = POLICY_CONDITIONS;

/** A policy's conditions compiled, in evaluation order. */
export type CompiledConditions = readonly (readonly [ConditionName, ConditionEvaluator<AccessRequest>])[];

/** The value of each condition a policy lists, with its definition, in registry order. */
function listed(conditions: PolicyConditions): (readonly [AnyCondition, unknown])[] {
  const values: Partial<Record<ConditionName, unknown>> = conditions;
  const out: (readonly [AnyCondition, unknown])[] = [];
  for (const condition of CONDITIONS) {
    const value = values[condition.name];
    if (value !== undefined) out.push([condition, value]);
  }
  return out;
}

/** Compiles the conditions a policy lists, in evaluation order. */
export function compileConditions(conditions: PolicyConditions, context: CompileContext): CompiledConditions {
  return listed(conditions).map(([condition, value]) => [condition.name, condition.compile(value, context)] as const);
}

/** References to named locations or registered apps that do not exist; paths start at the policy's `conditions`. */
export function conditionReferenceIssues(
  conditions: PolicyConditions,
  catalogue: ReferenceCatalogue,
): ReferenceIssue[] {
  return listed(conditions).flatMap(([condition, value]) =>
    (condition.references?.(value, catalogue) ?? []).map((issue) => ({
      ...issue,
      path: `conditions.${condition.name}.${issue.path}`,
    })),
  );
}

/** The group ids the conditions name; paths start at the policy's `conditions`. */
export function conditionGroupReferences(conditions: PolicyConditions): ConditionGroupReference[] {
  return listed(conditions).flatMap(([condition, value]) =>
    (condition.groups?.(value) ?? []).map((reference) => ({
      groupId: reference.groupId,
      path: `conditions.${condition.name}.${reference.path}`,
    })),
  );
}

/** The device tags the conditions test. */
export function conditionDeviceTags(conditions: PolicyConditions): DeviceTag[] {
  return listed(conditions).flatMap(([condition, value]) => [...(condition.deviceTags?.(value) ?? [])]);
}
