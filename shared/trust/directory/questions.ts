/**
 * The directory cache's questions and how their answers are shaped: one cache key per question
 * (ids trimmed and lower-cased), a user's memberships cut into questions of at most 20 sorted group
 * ids, an adapter's membership answer believed only for the groups asked, and the facts of several
 * questions combined into one (partial knowledge is no knowledge).
 * May import: ports (types and limits), the facts union.
 */
import { MEMBER_GROUPS_LIMIT } from '../../ports.js';
import type { DirectoryAnswers, DirectoryQuestion } from '../../ports.js';
import type { DirectoryFacts, MissingFacts, StaleFacts } from './facts.js';

export type QuestionKind = DirectoryQuestion['kind'];
/** An answer to any question. */
export type Answer = DirectoryAnswers[QuestionKind];

/** A question and its cache key. */
export interface Item<K extends QuestionKind = QuestionKind> {
  readonly key: string;
  readonly question: DirectoryQuestion & { readonly kind: K };
}

export function normalizeId(id: string): string {
  return id.trim().toLowerCase();
}

/** The question for a device (its id already normalized and not empty). */
export function deviceItem(deviceId: string): Item<'device'> {
  return { key: `device|${deviceId}`, question: { kind: 'device', deviceId } };
}

/** The question for a user's certificate user ids (the id already normalized and not empty). */
export function certificateUserIdsItem(userId: string): Item<'certificate-user-ids'> {
  return { key: `certificate-user-ids|${userId}`, question: { kind: 'certificate-user-ids', userId } };
}

/**
 * The questions for a user's memberships: group ids lower-cased, de-duplicated, sorted and cut
 * into chunks of 20 (one cache entry per chunk), with the caller's spellings to answer in.
 */
export type MemberGroupsPlan =
  | { readonly items: Item<'member-groups'>[]; readonly spellings: ReadonlyMap<string, readonly string[]> }
  | 'empty-user';

/** Plans by group-id list (the policies' list is one array per configuration), then by user. */
const plans = new WeakMap<readonly string[], Map<string, MemberGroupsPlan>>();
const PLANS_PER_LIST = 10_000;

/** The plan for a user and a list of group ids, remembered per list (the warm path plans nothing). */
export function memberGroupsPlan(userId: string, groupIds: readonly string[]): MemberGroupsPlan {
  let byUser = plans.get(groupIds);
  if (!byUser) plans.set(groupIds, (byUser = new Map<string, MemberGroupsPlan>()));
  const known = byUser.get(userId);
  if (known) return known;
  const plan = planMemberGroups(userId, groupIds);
  if (byUser.size >= PLANS_PER_LIST) byUser.clear();
  byUser.set(userId, plan);
  return plan;
}

function planMemberGroups(userId: string, groupIds: readonly string[]): MemberGroupsPlan {
  const user = normalizeId(userId);
  if (user === '') return 'empty-user';
  const spellings = new Map<string, string[]>();
  for (const id of groupIds) {
    const normalized = normalizeId(id);
    if (normalized === '') continue;
    const known = spellings.get(normalized);
    if (known) known.push(id);
    else spellings.set(normalized, [id]);
  }
  const sorted = [...spellings.keys()].sort();
  const items: Item<'member-groups'>[] = [];
  for (let start = 0; start < sorted.length; start += MEMBER_GROUPS_LIMIT) {
    const chunk = sorted.slice(start, start + MEMBER_GROUPS_LIMIT);
    items.push({
      key: `member-groups|${user}|${chunk.join(',')}`,
      question: { kind: 'member-groups', userId: user, groupIds: chunk },
    });
  }
  return { items, spellings };
}

/** Lower-cased group ids, limited to the ones asked (an adapter that answers more is not believed). */
export function normalizeAnswer(question: DirectoryQuestion, value: Answer): Answer {
  if (question.kind !== 'member-groups') return value;
  if (!Array.isArray(value)) throw new TypeError('member-groups answer is not a list');
  const asked = new Set(question.groupIds);
  const ids: unknown[] = value;
  return [...new Set(ids.filter((id) => typeof id === 'string').map(normalizeId))].filter((id) => asked.has(id)).sort();
}

/** Combined membership facts as a set of the caller's spellings. */
export function asMembers(
  combined: DirectoryFacts<readonly string[]>,
  spellings: ReadonlyMap<string, readonly string[]>,
): DirectoryFacts<ReadonlySet<string>> {
  if (combined.value === undefined) return combined;
  const members = new Set<string>();
  for (const groupId of combined.value) for (const spelling of spellings.get(groupId) ?? []) members.add(spelling);
  return { ...combined, value: members };
}

/** The facts of several questions as one: nothing when any is missing, stale when any is stale. */
export function combineFacts(facts: readonly DirectoryFacts<readonly string[]>[]): DirectoryFacts<readonly string[]> {
  const missing = facts.find((fact): fact is MissingFacts => fact.value === undefined);
  if (missing) return { source: 'unavailable', ...(missing.detail !== undefined ? { detail: missing.detail } : {}) };
  const value = facts.flatMap((fact) => fact.value ?? []);
  const ageSeconds = Math.max(0, ...facts.map((fact) => fact.ageSeconds ?? 0));
  const stale = facts.find((fact): fact is StaleFacts<readonly string[]> => fact.source === 'stale');
  if (stale) return { value, source: 'stale', ageSeconds, detail: stale.detail };
  return { value, source: facts.some((fact) => fact.source === 'directory') ? 'directory' : 'cache', ageSeconds };
}
