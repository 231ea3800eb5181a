/**
 * The `users` condition: the signed-in user, by UPN or object id, or by group membership. The
 * groups it names are what the directory is asked about (`checkMemberGroups`).
 * May import: zod, the condition contract, the field schemas.
 */
import { z } from 'zod';
import {
  defineCondition,
  defineFact,
  type ConditionGroupReference,
  type ConditionResult,
  type RequestFacts,
} from '../condition.js';
import { groupId, principal } from '../fieldSchemas.js';

/** What `users` reads: the signed-in user and the memberships known for it. */
export interface UsersRequest {
  readonly user?: {
    readonly id?: string;
    readonly upn?: string;
    /** Groups the user is known to be a member of. Absent = memberships not known. */
    readonly groups?: ReadonlySet<string>;
    /** The directory could not answer: a group not in `groups` may still be a membership. */
    readonly groupsUnknown?: boolean;
  };
}

/** The user's object id and UPN, lower-cased, when given. */
const userKeys = defineFact('userKeys', (request: UsersRequest): readonly string[] => {
  const keys: string[] = [];
  const id = request.user?.id?.toLowerCase();
  const upn = request.user?.upn?.toLowerCase();
  if (id !== undefined && id !== '') keys.push(id);
  if (upn !== undefined && upn !== '') keys.push(upn);
  return keys;
});

/** Whether any key is in the set (a loop, not a closure: this runs per request and policy). */
function anyIn(keys: readonly string[], set: ReadonlySet<string>): boolean {
  for (const key of keys) if (set.has(key)) return true;
  return false;
}

/** Known group memberships, lower-cased (the request's own set when it already is: no copy per request). */
const knownGroups = defineFact('groups', (request: UsersRequest): ReadonlySet<string> | undefined => {
  const groups = request.user?.groups;
  if (groups === undefined) return undefined;
  for (const group of groups)
    if (group !== group.toLowerCase()) return new Set([...groups].map((each) => each.toLowerCase()));
  return groups;
});

/** True when every membership is known (a group not in `groups` is not a membership). */
function groupsKnown(request: UsersRequest): boolean {
  return request.user?.groups !== undefined && request.user.groupsUnknown !== true;
}

function inGroups(
  facts: RequestFacts<UsersRequest>,
  groups: readonly string[],
): { result: ConditionResult; group?: string } {
  if (groups.length === 0) return { result: 'no-match' };
  const known = facts.get(knownGroups);
  if (known) for (const group of groups) if (known.has(group)) return { result: 'match', group };
  return { result: groupsKnown(facts.request) ? 'no-match' : 'unknown' };
}

/** The `users` condition. */
export const users = defineCondition<UsersRequest>()({
  name: 'users',
  schema: z.strictObject({
    include: z
      .strictObject({
        all: z.literal(true).optional(),
        users: z.array(principal).min(1).max(1000).optional(),
        groups: z.array(groupId).min(1).max(100).optional(),
      })
      .refine((include) => include.all === true || include.users !== undefined || include.groups !== undefined, {
        message: 'include needs all, users or groups',
        params: { code: 'too-short' },
      }),
    exclude: z
      .strictObject({
        users: z.array(principal).max(1000).optional(),
        groups: z.array(groupId).max(100).optional(),
      })
      .optional(),
  }),
  reads: ['user'],
  compile(condition) {
    const includeAll = condition.include.all === true;
    const includeUsers = new Set((condition.include.users ?? []).map((user) => user.toLowerCase()));
    const includeGroups = (condition.include.groups ?? []).map((group) => group.toLowerCase());
    const excludeUsers = new Set((condition.exclude?.users ?? []).map((user) => user.toLowerCase()));
    const excludeGroups = (condition.exclude?.groups ?? []).map((group) => group.toLowerCase());
    const hasExclusions = excludeUsers.size > 0 || excludeGroups.length > 0;
    return (facts) => {
      const user = facts.request.user;
      const keys = facts.get(userKeys);
      if (keys.length === 0) {
        if (includeAll && !hasExclusions) return { result: 'match', detail: 'all users (no signed-in user)' };
        return { result: 'unknown', detail: 'no signed-in user: cannot tell whether the user is targeted' };
      }
      const who = user?.upn ?? user?.id ?? '';
      if (anyIn(keys, excludeUsers)) return { result: 'no-match', detail: `${who} is excluded` };
      const excludedByGroup = inGroups(facts, excludeGroups);
      if (excludedByGroup.result === 'match')
        return { result: 'no-match', detail: `${who} is excluded by group ${excludedByGroup.group ?? ''}` };
      let included: ConditionResult;
      let includedBy: string;
      if (includeAll) {
        included = 'match';
        includedBy = 'all users';
      } else if (anyIn(keys, includeUsers)) {
        included = 'match';
        includedBy = 'listed user';
      } else {
        const byGroup = inGroups(facts, includeGroups);
        included = byGroup.result;
        includedBy = `group ${byGroup.group ?? ''}`;
      }
      if (included === 'no-match')
        return { result: 'no-match', detail: `${who} is not an included user or group member` };
      if (included === 'unknown')
        return { result: 'unknown', detail: `group memberships of ${who} are unknown (included groups)` };
      if (excludedByGroup.result === 'unknown')
        return { result: 'unknown', detail: `group memberships of ${who} are unknown (excluded groups)` };
      return { result: 'match', detail: `${who} is included (${includedBy})` };
    };
  },
  groups(condition) {
    const references: ConditionGroupReference[] = [];
    (condition.include.groups ?? []).forEach((id, position) =>
      references.push({ groupId: id, path: `include.groups[${position}]` }),
    );
    (condition.exclude?.groups ?? []).forEach((id, position) =>
      references.push({ groupId: id, path: `exclude.groups[${position}]` }),
    );
    return references;
  },
  example: {
    include: { groups: ['6f1c2a9e-3b4d-4e8f-9a01-5c7d2e4b8f10'] },
    exclude: { users: ['break-glass@contoso.example'] },
  },
  docs: {
    shape:
      '`{ include: { all?: true, users?: (UPN \\| object id)[], groups?: GUID[] }, exclude?: { users?, groups? } }`',
    matchesWhen: 'included (all, listed user, or member of a listed group) and not excluded. Case-insensitive.',
  },
});
