/**
 * Reads the decision log from Table Storage (layout: shared/decisionLog/tableLayout.ts) and removes
 * what is past retention. Every read names its partitions and a RowKey range: a time-range list
 * reads the hours of the range newest first (app / decision / reason as service-side filters); a
 * user or device filter reads that key's index rows, one range per day; a correlation id is one
 * range per day of retention, read a week at a time, newest first; a policy's impact reads its
 * index rows per day. A page reads at most {@link MAX_PARTITIONS_PER_PAGE} partitions and returns
 * a continuation token where it stopped, so no request scans without bound.
 * May import: @azure/data-tables, ports, the decision log core, the store error mapping.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import { StoreError } from '../ports.js';
import type { PolicyOutcomeRow } from '../decisionLog/impact.js';
import type { LoggedDecision, LoggedDecisionDetail } from '../decisionLog/loggedDecision.js';
import type { DecisionLogStore, DecisionPage, DecisionQuery } from '../decisionLog/query.js';
import {
  dayKey,
  daysBetween,
  hourKey,
  hoursBetween,
  indexPartition,
  indexPrefix,
  loggedDecisionDetailFromRow,
  loggedDecisionFromRow,
  POLICY_OUTCOME_COLUMNS,
  policyOutcomeFromRow,
  REASON_SLOTS,
  rowKeyRange,
  type IndexKind,
} from '../decisionLog/tableLayout.js';
import { toStoreError } from './tableTrustedCaStore.js';

/** Partitions one list page reads at most before it returns a continuation token. */
export const MAX_PARTITIONS_PER_PAGE = 48;
/** Days of index read at once when looking up a correlation id. */
const LOOKUP_DAYS_AT_ONCE = 7;
const DELETE_BATCH = 100;

/** What a continuation token carries: the query it belongs to, the range, and where to go on. */
interface Continuation {
  readonly v: 1;
  /** Hash of the filters: a token is refused for another query. */
  readonly q: string;
  readonly from: string;
  readonly to: string;
  /** The partition to go on in. */
  readonly p: string;
  /** The last RowKey returned in it, when the page stopped inside it. */
  readonly a?: string;
}

/** A continuation token that is not one this store gave for this query. */
export class ContinuationError extends StoreError {
  constructor(message: string) {
    super('precondition-failed', message);
    this.name = 'ContinuationError';
  }
}

function filtersHash(query: DecisionQuery): string {
  const { user, device, app, decision, reason } = query;
  return createHash('sha256')
    .update(JSON.stringify([user?.toLowerCase(), device?.toLowerCase(), app, decision, reason]))
    .digest('base64url')
    .slice(0, 12);
}

function encodeContinuation(token: Continuation): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinuation(text: string, query: DecisionQuery): Continuation {
  let token: Partial<Continuation>;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Continuation>;
  } catch {
    throw new ContinuationError('continuation is not a token this API gave');
  }
  if (token.v !== 1 || typeof token.p !== 'string' || typeof token.from !== 'string' || typeof token.to !== 'string')
    throw new ContinuationError('continuation is not a token this API gave');
  if (token.q !== filtersHash(query))
    throw new ContinuationError('continuation belongs to another query: send the same filters as the first page');
  return token as Continuation;
}

/** {@link DecisionLogStore} over the two decision log tables. */
export class TableDecisionLogStore implements DecisionLogStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly decisions: TableClient,
    private readonly index: TableClient,
    private readonly retentionDays: number,
    private readonly now: () => Date,
  ) {}

  private ensureTables(): Promise<void> {
    this.ready ??= Promise.all([this.decisions.createTable(), this.index.createTable()]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw toStoreError(error, 'create the decision log tables');
      },
    );
    return this.ready;
  }

  async list(query: DecisionQuery): Promise<DecisionPage> {
    await this.ensureTables();
    const token = query.continuation === undefined ? undefined : decodeContinuation(query.continuation, query);
    const from = token ? new Date(token.from) : query.from;
    const to = token ? new Date(token.to) : query.to;
    // The most selective lookup key first: a device, then a user; otherwise time alone.
    const lookup: { kind: IndexKind; value: string } | undefined =
      query.device !== undefined
        ? { kind: 'd', value: query.device }
        : query.user !== undefined
          ? { kind: 'u', value: query.user }
          : undefined;
    const partitions = lookup
      ? daysBetween(from, to).map((day) => indexPartition(day, lookup.kind, lookup.value))
      : hoursBetween(from, to);
    const prefix = lookup ? indexPrefix(lookup.kind, lookup.value) : '';
    const { lower, upper } = rowKeyRange(prefix, from, to);
    const extra = this.extraFilter(query, lookup?.kind);
    const table = lookup ? this.index : this.decisions;
    let start = 0;
    if (token) {
      start = partitions.indexOf(token.p);
      if (start < 0) throw new ContinuationError('continuation does not fit the range it was given for');
    }
    const items: LoggedDecision[] = [];
    const end = Math.min(partitions.length, start + MAX_PARTITIONS_PER_PAGE);
    for (let i = start; i < end; i++) {
      const partition = partitions[i] as string;
      const after = token && i === start ? token.a : undefined;
      const rowFilter =
        after === undefined
          ? odata`PartitionKey eq ${partition} and RowKey ge ${lower} and RowKey lt ${upper}`
          : odata`PartitionKey eq ${partition} and RowKey gt ${after} and RowKey lt ${upper}`;
      const filter = extra ? `${rowFilter} and ${extra}` : rowFilter;
      const need = query.limit - items.length;
      let last: string | undefined;
      try {
        pages: for await (const page of table
          .listEntities({ queryOptions: { filter } })
          .byPage({ maxPageSize: Math.min(1000, need) })) {
          for (const row of page) {
            items.push(loggedDecisionFromRow(row));
            last = row.rowKey;
            if (items.length >= query.limit) break pages;
          }
        }
      } catch (error) {
        throw toStoreError(error, 'list decisions');
      }
      if (items.length >= query.limit) {
        const continuation = encodeContinuation({
          v: 1,
          q: filtersHash(query),
          from: from.toISOString(),
          to: to.toISOString(),
          p: partition,
          ...(last !== undefined ? { a: last } : {}),
        });
        return { items, continuation };
      }
    }
    if (end < partitions.length) {
      const continuation = encodeContinuation({
        v: 1,
        q: filtersHash(query),
        from: from.toISOString(),
        to: to.toISOString(),
        p: partitions[end] as string,
      });
      return { items, continuation };
    }
    return { items };
  }

  /** The service-side filter for what the partition and RowKey do not select. */
  private extraFilter(query: DecisionQuery, lookup: IndexKind | undefined): string | undefined {
    const parts: string[] = [];
    if (query.app !== undefined) parts.push(odata`app eq ${query.app}`);
    if (query.decision !== undefined) parts.push(odata`decision eq ${query.decision}`);
    if (query.reason !== undefined) {
      const reason = query.reason;
      const slots = Array.from({ length: REASON_SLOTS }, (_, slot) => odata`r${slot} eq ${reason}`);
      parts.push(`(${slots.join(' or ')})`);
    }
    if (query.user !== undefined && lookup !== 'u') {
      const user = query.user.toLowerCase();
      parts.push(odata`(userKey eq ${user} or userId eq ${user})`);
    }
    if (query.device !== undefined && lookup !== 'd') {
      const device = query.device.toLowerCase();
      parts.push(odata`(certificateThumbprint eq ${device} or deviceId eq ${device})`);
    }
    return parts.length > 0 ? parts.join(' and ') : undefined;
  }

  async get(correlationId: string): Promise<LoggedDecisionDetail[]> {
    await this.ensureTables();
    const now = this.now();
    const days = daysBetween(new Date(now.getTime() - this.retentionDays * 86_400_000), now);
    const prefix = indexPrefix('c', correlationId);
    for (let i = 0; i < days.length; i += LOOKUP_DAYS_AT_ONCE) {
      const found = (
        await Promise.all(
          days
            .slice(i, i + LOOKUP_DAYS_AT_ONCE)
            .map((day) =>
              this.collect(
                this.index,
                odata`PartitionKey eq ${indexPartition(day, 'c', correlationId)} and RowKey ge ${prefix} and RowKey lt ${`${prefix}~`}`,
                ['pk', 'rk'],
                'look up a decision',
              ),
            ),
        )
      ).flat();
      if (found.length === 0) continue;
      const details = await Promise.all(
        found.map(async (pointer) => {
          try {
            const row = await this.decisions.getEntity(String(pointer.pk), String(pointer.rk));
            return loggedDecisionDetailFromRow(row);
          } catch (error) {
            const mapped = toStoreError(error, 'read a decision');
            if (mapped.code === 'not-found') return undefined;
            throw mapped;
          }
        }),
      );
      return details
        .filter((detail): detail is LoggedDecisionDetail => detail !== undefined)
        .sort((a, b) => b.at.localeCompare(a.at));
    }
    return [];
  }

  async policyOutcomes(
    policyId: string,
    range: { readonly from: Date; readonly to: Date },
    maxRows: number,
  ): Promise<{ readonly rows: PolicyOutcomeRow[]; readonly truncated: boolean }> {
    await this.ensureTables();
    const prefix = indexPrefix('p', policyId);
    const { lower, upper } = rowKeyRange(prefix, range.from, range.to);
    const rows: PolicyOutcomeRow[] = [];
    for (const day of daysBetween(range.from, range.to)) {
      const filter = odata`PartitionKey eq ${indexPartition(day, 'p', policyId)} and RowKey ge ${lower} and RowKey lt ${upper}`;
      try {
        for await (const page of this.index
          .listEntities({ queryOptions: { filter, select: POLICY_OUTCOME_COLUMNS } })
          .byPage({ maxPageSize: 1000 })) {
          for (const row of page) {
            if (rows.length >= maxRows) return { rows, truncated: true };
            rows.push(policyOutcomeFromRow(row));
          }
        }
      } catch (error) {
        throw toStoreError(error, 'read policy outcomes');
      }
    }
    return { rows, truncated: false };
  }

  async purge(before: Date, maxRows: number): Promise<{ readonly deleted: number; readonly more: boolean }> {
    await this.ensureTables();
    let deleted = 0;
    // Whole hours of decisions, whole days of index (an index day outlives its first hours by < 1 day).
    for (const [table, boundary] of [
      [this.decisions, hourKey(before.getTime())],
      [this.index, dayKey(before.getTime())],
    ] as const) {
      const old = await this.collect(
        table,
        odata`PartitionKey lt ${boundary}`,
        ['PartitionKey', 'RowKey'],
        'list expired decisions',
        maxRows - deleted + 1,
      );
      const more = old.length > maxRows - deleted;
      const doomed = old.slice(0, maxRows - deleted);
      const byPartition = new Map<string, string[]>();
      for (const row of doomed) {
        const keys = byPartition.get(String(row.partitionKey)) ?? [];
        keys.push(String(row.rowKey));
        byPartition.set(String(row.partitionKey), keys);
      }
      for (const [partition, rowKeys] of byPartition) {
        for (let i = 0; i < rowKeys.length; i += DELETE_BATCH) {
          try {
            await table.submitTransaction(
              rowKeys
                .slice(i, i + DELETE_BATCH)
                .map((rowKey) => ['delete', { partitionKey: partition, rowKey }] as const),
            );
          } catch (error) {
            throw toStoreError(error, 'delete expired decisions');
          }
          deleted += Math.min(DELETE_BATCH, rowKeys.length - i);
        }
      }
      if (more) return { deleted, more: true };
    }
    return { deleted, more: false };
  }

  private async collect(
    table: TableClient,
    filter: string,
    select: string[],
    what: string,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    try {
      for await (const row of table.listEntities({ queryOptions: { filter, select } })) {
        rows.push(row);
        if (rows.length >= limit) break;
      }
    } catch (error) {
      throw toStoreError(error, what);
    }
    return rows;
  }
}
