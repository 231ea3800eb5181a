/**
 * Questions the decision log answers, and the store that answers them: decisions in a time range
 * (newest first, paged with an opaque continuation token) filtered by user, device, app, decision
 * and reason; one decision by correlation id; the per-policy outcomes of a policy over a range (for
 * the impact report); and removal of what is past retention. Parsing of the query API's
 * parameters lives here too, so the trigger and the CLI agree on names and limits.
 * Pure: no I/O, the current time passed in.
 * May import: the logged decision shape, the impact row shape.
 */
import type { PolicyOutcomeRow } from './impact.js';
import type { LoggedDecision, LoggedDecisionDetail } from './loggedDecision.js';

/** One page's worth of filters, as the list route takes them. */
export interface DecisionQuery {
  /** UPN or Entra object id (case-insensitive). */
  readonly user?: string;
  /** Certificate SHA-256 thumbprint or Entra device id (case-insensitive). */
  readonly device?: string;
  readonly app?: string;
  readonly decision?: 'allow' | 'block';
  /** A reason code the decision carries (any position). */
  readonly reason?: string;
  readonly from: Date;
  readonly to: Date;
  readonly limit: number;
  /** The token a previous page returned. */
  readonly continuation?: string;
}

/** One page of decisions, newest first; `continuation` when there may be more. */
export interface DecisionPage {
  readonly items: readonly LoggedDecision[];
  readonly continuation?: string;
}

/** What the decision log keeps, queried (Table Storage in production). Failures are `StoreError`s. */
export interface DecisionLogStore {
  list(query: DecisionQuery): Promise<DecisionPage>;
  /** Decisions with this correlation id, newest first (more than one when a client reused an id); empty when none. */
  get(correlationId: string): Promise<LoggedDecisionDetail[]>;
  /** The rows of one report-only policy's outcomes in the range, newest first, at most `maxRows`. */
  policyOutcomes(
    policyId: string,
    range: { readonly from: Date; readonly to: Date },
    maxRows: number,
  ): Promise<{ readonly rows: PolicyOutcomeRow[]; readonly truncated: boolean }>;
  /** Deletes everything recorded before `before`, at most `maxRows` rows per call; `more` when some are left. */
  purge(before: Date, maxRows: number): Promise<{ readonly deleted: number; readonly more: boolean }>;
}

/** How the writer is doing: for `/api/health` and metrics. */
export interface DecisionLogWriterStats {
  /** Entries waiting in the buffer. */
  readonly buffered: number;
  readonly capacity: number;
  /** Entries accepted into the buffer since start. */
  readonly recorded: number;
  /** Entries written to the table. */
  readonly written: number;
  /** Allowed decisions not recorded because of sampling. */
  readonly sampledOut: number;
  /** Entries dropped: the buffer was full (allows first), or the table refused them after retries. */
  readonly dropped: { readonly bufferFull: number; readonly writeFailed: number; readonly blocks: number };
  readonly lastError?: { readonly at: string; readonly message: string };
}

/** Default page size and the largest one a caller may ask for. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
/** The range a list covers when `from` is not given. */
export const DEFAULT_RANGE_MS = 24 * 3600 * 1000;

const LIST_PARAMETERS = ['user', 'device', 'app', 'decision', 'reason', 'from', 'to', 'limit', 'continuation'] as const;
const IMPACT_PARAMETERS = ['from', 'to'] as const;
const REASON = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_FILTER_LENGTH = 256;

/** Query parameters as the trigger reads them (`URLSearchParams`-like). */
export interface QueryParameters {
  get(name: string): string | null;
  getAll(name: string): string[];
  keys(): Iterable<string>;
}

/** A parsed query, or why it is refused (a 400 `request-query-invalid` with this detail). */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly detail: string };

function checkNames(query: QueryParameters, allowed: readonly string[]): string | undefined {
  const names = [...query.keys()].filter((name) => name !== 'code');
  const unknown = [...new Set(names.filter((name) => !allowed.includes(name)))];
  if (unknown.length > 0)
    return `unknown query parameter ${unknown.join(', ')}: this route takes ${allowed.join(', ')}`;
  const repeated = allowed.filter((name) => query.getAll(name).length > 1);
  if (repeated.length > 0) return `${repeated.join(', ')} given more than once`;
  return undefined;
}

function time(query: QueryParameters, name: 'from' | 'to'): Parsed<Date | undefined> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: undefined };
  const value = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(value.getTime()))
    return {
      ok: false,
      detail: `${name} is an ISO 8601 time such as 2026-01-15T10:00:00Z, not ${JSON.stringify(raw)}`,
    };
  return { ok: true, value };
}

/** The time range of a query: `to` defaults to now, `from` to a day before `to`, never before retention. */
function range(
  query: QueryParameters,
  now: Date,
  retentionDays: number,
): Parsed<{ readonly from: Date; readonly to: Date }> {
  const from = time(query, 'from');
  if (!from.ok) return from;
  const to = time(query, 'to');
  if (!to.ok) return to;
  const end = to.value ?? now;
  const oldest = new Date(now.getTime() - retentionDays * 86_400_000);
  const start = from.value ?? new Date(end.getTime() - DEFAULT_RANGE_MS);
  if (start.getTime() > end.getTime()) return { ok: false, detail: 'from is after to' };
  return { ok: true, value: { from: start < oldest ? oldest : start, to: end } };
}

function filter(query: QueryParameters, name: string): Parsed<string | undefined> {
  const raw = query.get(name)?.trim();
  if (raw === undefined || raw === '') return { ok: true, value: undefined };
  if (raw.length > MAX_FILTER_LENGTH)
    return { ok: false, detail: `${name} is longer than ${MAX_FILTER_LENGTH} characters` };
  return { ok: true, value: raw };
}

/** Parses the list route's query (`user, device, app, decision, reason, from, to, limit, continuation`). */
export function parseDecisionQuery(query: QueryParameters, now: Date, retentionDays: number): Parsed<DecisionQuery> {
  const names = checkNames(query, LIST_PARAMETERS);
  if (names) return { ok: false, detail: names };
  const times = range(query, now, retentionDays);
  if (!times.ok) return times;
  const values: Record<string, string | undefined> = {};
  for (const name of ['user', 'device', 'app', 'decision', 'reason', 'continuation'] as const) {
    const parsed = filter(query, name);
    if (!parsed.ok) return parsed;
    values[name] = parsed.value;
  }
  const { decision, reason } = values;
  if (decision !== undefined && decision !== 'allow' && decision !== 'block')
    return { ok: false, detail: `decision is allow or block, not ${JSON.stringify(decision)}` };
  if (reason !== undefined && !REASON.test(reason))
    return {
      ok: false,
      detail: `reason is a kebab-case reason code such as certificate-expired, not ${JSON.stringify(reason)}`,
    };
  const rawLimit = query.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? DEFAULT_PAGE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    return { ok: false, detail: `limit is an integer from 1 to ${MAX_PAGE}, not ${JSON.stringify(rawLimit)}` };
  return {
    ok: true,
    value: {
      ...times.value,
      limit,
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(values.device !== undefined ? { device: values.device } : {}),
      ...(values.app !== undefined ? { app: values.app } : {}),
      ...(decision !== undefined ? { decision } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(values.continuation !== undefined ? { continuation: values.continuation } : {}),
    },
  };
}

/** Parses the impact route's query (`from`, `to`; default the last 7 days, never before retention). */
export function parseImpactQuery(
  query: QueryParameters,
  now: Date,
  retentionDays: number,
): Parsed<{ readonly from: Date; readonly to: Date }> {
  const names = checkNames(query, IMPACT_PARAMETERS);
  if (names) return { ok: false, detail: names };
  const from = query.get('from');
  if (from === null || from === '') {
    const to = time(query, 'to');
    if (!to.ok) return to;
    const end = to.value ?? now;
    const oldest = new Date(now.getTime() - retentionDays * 86_400_000);
    const start = new Date(end.getTime() - 7 * 86_400_000);
    return { ok: true, value: { from: start < oldest ? oldest : start, to: end } };
  }
  return range(query, now, retentionDays);
}

/** What a correlation id looks like (the ones certgate makes, and the `X-Correlation-Id` values it accepts). */
export function isCorrelationId(text: string): boolean {
  return /^[A-Za-z0-9._-]{8,128}$/.test(text);
}
