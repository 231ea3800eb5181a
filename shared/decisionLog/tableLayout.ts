/**
 * How the decision log lies in Table Storage (docs/decision-log.md), as plain rows: the adapters
 * write and read these with the SDK; this module decides keys and properties and does no I/O.
 *
 * Two tables.
 * - `<prefix>Decisions`, one row per decision with the full trace: PartitionKey = the UTC hour
 *   (`yyyyMMddHH`), RowKey = inverted milliseconds (13 digits, so the newest sort first), the
 *   correlation id and a writer-unique suffix. A time-range list reads the hours of the range,
 *   newest first, each with a RowKey range; app / decision / reason filters run in the service.
 * - `<prefix>DecisionIndex`, small summary rows (no trace) for the lookups that do not start
 *   from time: by correlation id (`c|`), user UPN or object id (`u|`), device thumbprint or Entra
 *   device id (`d|`), and report-only policy outcome (`p|`). PartitionKey = UTC day and a bucket
 *   of the looked-up key (`yyyyMMdd-b`, 8 buckets), RowKey = `<kind>|<key>|<the decision's
 *   RowKey>`. A lookup knows its key, hence its bucket: one RowKey range per day, never a scan;
 *   the buckets spread one day's index writes over several partitions.
 * Keys are lower-cased and URI-encoded (RowKeys may not hold `/ \ # ?`); summary properties
 * `r0`…`r5` hold the reasons one each, so "any reason equals" is a service-side filter.
 * Retention removes whole hours (`PartitionKey lt <hour>`) and days of index.
 * May import: the logged decision shape and its helpers, the impact row shape, ports (types).
 */
import type { PolicyOutcomeRow } from './impact.js';
import {
  boundedJson,
  compactPolicies,
  compactTrace,
  detailsOf,
  loggedDecisionOf,
  readStored,
  type CompactPolicyOutcome,
  type CompactTraceEntry,
  type DecisionDetails,
  type LoggedDecision,
  type LoggedDecisionDetail,
} from './loggedDecision.js';
import type { DecisionRecord } from '../ports.js';

/** Index partitions per day: a lookup reads one, writes spread over all. Changing it orphans what is stored. */
export const INDEX_BUCKETS = 8;
/** Reasons kept one per property for filtering. */
export const REASON_SLOTS = 6;
const MAX_TIME = 9_999_999_999_999;

/** A row as written and read: keys plus string / boolean properties. */
export type Row = Record<string, string | boolean | undefined> & { partitionKey: string; rowKey: string };

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `yyyyMMddHH` (UTC) of a time in milliseconds: the Decisions partition. */
export function hourKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}`;
}

/** `yyyyMMdd` (UTC): the day part of an index partition. */
export function dayKey(ms: number): string {
  return hourKey(ms).slice(0, 8);
}

/** Inverted milliseconds, 13 digits: lexicographic order is newest first. */
export function invertedTime(ms: number): string {
  return String(MAX_TIME - ms).padStart(13, '0');
}

/** A key as it goes into a RowKey: lower case, URI-encoded (so `|`, `/`, `#`, `?` never appear raw). */
export function keyPart(value: string): string {
  return encodeURIComponent(value.trim().toLowerCase());
}

/** FNV-1a over the key: which of the {@link INDEX_BUCKETS} a lookup key's rows live in. */
export function bucketOf(indexKey: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < indexKey.length; i++) {
    hash ^= indexKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % INDEX_BUCKETS;
}

/** The kinds of index rows. */
export type IndexKind = 'c' | 'u' | 'd' | 'p';

/** The RowKey prefix of one looked-up key (`u|alice%40contoso.example|`). */
export function indexPrefix(kind: IndexKind, value: string): string {
  return `${kind}|${keyPart(value)}|`;
}

/** The index partition of a key on a day. */
export function indexPartition(day: string, kind: IndexKind, value: string): string {
  return `${day}-${bucketOf(indexPrefix(kind, value))}`;
}

/** Hours from the one holding `to` back to the one holding `from`, newest first. */
export function hoursBetween(from: Date, to: Date): string[] {
  const hours: string[] = [];
  const first = Math.floor(from.getTime() / 3_600_000);
  for (let hour = Math.floor(to.getTime() / 3_600_000); hour >= first; hour--) hours.push(hourKey(hour * 3_600_000));
  return hours;
}

/** Days from the one holding `to` back to the one holding `from`, newest first. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const first = Math.floor(from.getTime() / 86_400_000);
  for (let day = Math.floor(to.getTime() / 86_400_000); day >= first; day--) days.push(dayKey(day * 86_400_000));
  return days;
}

/** The RowKey bounds (`ge`, `lt`) of a time range under a prefix: newest first, both ends inclusive. */
export function rowKeyRange(prefix: string, from: Date, to: Date): { readonly lower: string; readonly upper: string } {
  return { lower: `${prefix}${invertedTime(to.getTime())}`, upper: `${prefix}${invertedTime(from.getTime())}~` };
}

/** The rows of one decision: its Decisions row and its index rows. */
export interface DecisionRows {
  readonly main: Row;
  readonly index: readonly Row[];
}

function summaryProperties(logged: LoggedDecision): Record<string, string | undefined> {
  const properties: Record<string, string | undefined> = {
    at: logged.at,
    correlationId: logged.correlationId,
    app: logged.app,
    user: logged.user,
    userKey: logged.user?.toLowerCase(),
    userId: logged.userId,
    certificateThumbprint: logged.certificateThumbprint,
    deviceId: logged.deviceId,
    clientIp: logged.clientIp,
    decision: logged.decision,
    reasons: logged.reasons.join(' '),
    failedCheck: logged.failedCheck,
    decidedBy: logged.decidedBy,
    policyReason: logged.policyReason,
    reportOnlyChanges: logged.reportOnlyChanges.length > 0 ? logged.reportOnlyChanges.join(' ') : undefined,
  };
  for (let slot = 0; slot < REASON_SLOTS; slot++) properties[`r${slot}`] = logged.reasons[slot];
  return properties;
}

/** Drops undefined properties (the SDK would send them as nulls). */
function defined(row: Record<string, string | boolean | undefined>): Row {
  for (const key of Object.keys(row)) if (row[key] === undefined) Reflect.deleteProperty(row, key);
  return row as Row;
}

/** The validation trace's JSON, once per trace array: a cached verdict's trace is one array shared by its decisions. */
const traceJson = new WeakMap<object, ReturnType<typeof boundedJson>>();

function boundedTrace(trace: DecisionRecord['decision']['trace']): ReturnType<typeof boundedJson> {
  let json = traceJson.get(trace);
  if (!json) {
    json = boundedJson(compactTrace(trace));
    traceJson.set(trace, json);
  }
  return json;
}

/**
 * The rows of one recorded decision. `unique` makes the RowKey unique per writer (same
 * millisecond, same correlation id). Users named `unauthenticated (…)` (a refused token) are not
 * indexed as users.
 */
export function decisionRows(record: DecisionRecord, unique: string): DecisionRows {
  const logged = loggedDecisionOf(record);
  const ms = Date.parse(logged.at);
  const rowKey = `${invertedTime(ms)}-${keyPart(logged.correlationId)}-${unique}`;
  const summary = summaryProperties(logged);
  const trace = boundedTrace(record.decision.trace);
  const policies = boundedJson(compactPolicies(record.decision.policy?.policies ?? []));
  const details = boundedJson(detailsOf(record));
  const truncated = [trace.truncated && 'trace', policies.truncated && 'policies', details.truncated && 'details']
    .filter((name) => name)
    .join(' ');
  const partitionKey = hourKey(ms);
  const main = defined({
    partitionKey,
    rowKey,
    ...summary,
    trace: trace.text,
    policies: policies.text,
    details: details.text,
    truncated: truncated || undefined,
  });
  const day = dayKey(ms);
  const pointer = { ...summary, pk: partitionKey, rk: rowKey };
  const index: Row[] = [];
  const add = (kind: IndexKind, value: string | undefined, extra: Record<string, string | boolean> = {}) => {
    if (value === undefined || value === '') return;
    index.push(
      defined({
        partitionKey: indexPartition(day, kind, value),
        rowKey: `${indexPrefix(kind, value)}${rowKey}`,
        ...pointer,
        ...extra,
      }),
    );
  };
  add('c', logged.correlationId);
  const upn = logged.user?.startsWith('unauthenticated (') ? undefined : logged.user?.toLowerCase();
  add('u', upn);
  if (logged.userId !== upn) add('u', logged.userId);
  add('d', logged.certificateThumbprint);
  if (logged.deviceId !== logged.certificateThumbprint) add('d', logged.deviceId);
  const changes = new Set(logged.reportOnlyChanges);
  for (const policy of record.decision.policy?.policies ?? []) {
    if (policy.state !== 'report-only' || (policy.outcome !== 'applies' && policy.outcome !== 'unknown')) continue;
    add('p', policy.id, {
      policyOutcome: policy.outcome,
      policyAction: policy.action,
      wouldChange: changes.has(policy.id),
    });
  }
  return { main, index };
}

const text = (row: Record<string, unknown>, name: string): string | undefined => {
  const value = row[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The summary of a Decisions or index row. */
export function loggedDecisionFromRow(row: Record<string, unknown>): LoggedDecision {
  const optional = (name: string) => {
    const value = text(row, name);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    at: text(row, 'at') ?? '',
    correlationId: text(row, 'correlationId') ?? '',
    ...optional('app'),
    ...optional('user'),
    ...optional('userId'),
    ...optional('certificateThumbprint'),
    ...optional('deviceId'),
    ...optional('clientIp'),
    decision: text(row, 'decision') === 'allow' ? 'allow' : 'block',
    reasons: (text(row, 'reasons') ?? '').split(' ').filter((reason) => reason !== ''),
    ...optional('failedCheck'),
    ...optional('decidedBy'),
    ...optional('policyReason'),
    reportOnlyChanges: (text(row, 'reportOnlyChanges') ?? '').split(' ').filter((id) => id !== ''),
  };
}

/** A Decisions row with its trace, policies and details read back. */
export function loggedDecisionDetailFromRow(row: Record<string, unknown>): LoggedDecisionDetail {
  return {
    ...loggedDecisionFromRow(row),
    trace: readStored<readonly CompactTraceEntry[]>(text(row, 'trace'), []),
    policies: readStored<readonly CompactPolicyOutcome[]>(text(row, 'policies'), []),
    details: readStored<DecisionDetails>(text(row, 'details'), { deviceTags: [], client: {} }),
  };
}

/** A policy index row as the impact report reads it. */
export function policyOutcomeFromRow(row: Record<string, unknown>): PolicyOutcomeRow {
  const logged = loggedDecisionFromRow(row);
  const action = text(row, 'policyAction');
  return {
    at: logged.at,
    correlationId: logged.correlationId,
    ...(logged.app !== undefined ? { app: logged.app } : {}),
    ...(logged.user !== undefined ? { user: logged.user } : {}),
    ...(logged.userId !== undefined ? { userId: logged.userId } : {}),
    ...(logged.certificateThumbprint !== undefined ? { certificateThumbprint: logged.certificateThumbprint } : {}),
    ...(logged.deviceId !== undefined ? { deviceId: logged.deviceId } : {}),
    decision: logged.decision,
    outcome: text(row, 'policyOutcome') === 'unknown' ? 'unknown' : 'applies',
    action: action === 'allow' || action === 'monitor' ? action : 'block',
    wouldChange: row.wouldChange === true,
  };
}

/** Properties the impact report reads from a policy index row. */
export const POLICY_OUTCOME_COLUMNS = [
  'at',
  'correlationId',
  'app',
  'user',
  'userId',
  'certificateThumbprint',
  'deviceId',
  'decision',
  'reasons',
  'policyOutcome',
  'policyAction',
  'wouldChange',
];

/** An estimate of a row's size on the wire (UTF-16 strings, plus envelope), for the 4 MiB transaction limit. */
export function rowBytes(row: Row): number {
  let bytes = 256;
  for (const key in row) {
    const value = row[key];
    bytes += key.length * 2 + (typeof value === 'string' ? value.length * 2 : 8) + 32;
  }
  return bytes;
}
