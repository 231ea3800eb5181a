/**
 * The directory changes every worker follows: what one worker learned (a Graph change
 * notification, an admin's revocation of a user or device) is written to the
 * `<prefix>DirectoryChanges` table, and every other worker reads new rows at most every
 * CERTGATE_DIRECTORY_CHANGES_POLL_SECONDS (default 5), started by its requests without waiting
 * for it, and forgets the same answers. So on a plan with many instances the change reaches them
 * all within the poll interval, not the cache TTL.
 *
 * Rows: PartitionKey `changes`, RowKey `<ms since epoch, 15 digits>-<uuid>`, the forgetting as
 * JSON. A worker starts reading a minute before it started (its cache is empty anyway), re-reads a
 * 30 s overlap each time (rows written by a slower clock or a late write are not missed) and keeps
 * the row keys it applied, so a row is applied once. The publisher deletes rows older than a day.
 * Failures are logged and retried at the next poll: forgetting is best effort on top of the TTL.
 * May import: @azure/data-tables, node:crypto, ../ports.js (Clock), ../trust/directoryCache.js (types), ../errors.js.
 */
import type { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { messageOf } from '../errors.js';
import type { Clock } from '../ports.js';
import type { DirectoryForgetting } from '../trust/directoryCache.js';

const PARTITION = 'changes';
const OVERLAP_MS = 30_000;
const START_BACK_MS = 60_000;
const KEEP_MS = 24 * 3600_000;
const SEEN_LIMIT = 10_000;

interface ChangeRow {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly change: string;
}

/** Options of {@link TableDirectoryChanges}. */
export interface DirectoryChangesOptions {
  /** At most one read per this many seconds; 0: never read (publish only). */
  readonly pollSeconds: number;
  /** What a change read from another worker does (the directory cache forgets). */
  apply(change: DirectoryForgetting): void;
  log(event: Record<string, unknown>): void;
}

function rowKeyAt(ms: number, suffix = ''): string {
  return `${String(Math.max(0, ms)).padStart(15, '0')}-${suffix}`;
}

/** The shared feed of directory changes, on Table Storage. */
export class TableDirectoryChanges {
  private ready: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  private cursorMs: number;
  private lastPollMs = -Infinity;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
    private readonly options: DirectoryChangesOptions,
  ) {
    this.cursorMs = clock.now().getTime() - START_BACK_MS;
  }

  /** Writes a change for the other workers (this one already applied it). */
  async publish(change: DirectoryForgetting): Promise<void> {
    await this.ensureTable();
    const now = this.clock.now().getTime();
    const rowKey = rowKeyAt(now, randomUUID());
    this.remember(rowKey);
    await this.table.createEntity<ChangeRow>({ partitionKey: PARTITION, rowKey, change: JSON.stringify(change) });
    void this.prune(now);
  }

  /**
   * Reads new changes when the poll interval has passed and no read is running; never waits for
   * it (O(1) otherwise). Returns the read in flight, for tests.
   */
  maybeFollow(): Promise<void> | undefined {
    if (this.options.pollSeconds <= 0 || this.polling) return undefined;
    const now = this.clock.now().getTime();
    if (now - this.lastPollMs < this.options.pollSeconds * 1000) return undefined;
    this.lastPollMs = now;
    this.polling = this.follow()
      .catch((error: unknown) => {
        this.options.log({ event: 'certgate.directory.changes-unavailable', detail: messageOf(error) });
      })
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  private async follow(): Promise<void> {
    await this.ensureTable();
    const from = rowKeyAt(this.cursorMs - OVERLAP_MS);
    const rows = this.table.listEntities<ChangeRow>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}' and RowKey gt '${from}'` },
    });
    for await (const row of rows) {
      const at = Number(row.rowKey.slice(0, 15));
      if (Number.isFinite(at)) this.cursorMs = Math.max(this.cursorMs, at);
      if (this.seen.has(row.rowKey)) continue;
      this.remember(row.rowKey);
      try {
        this.options.apply(JSON.parse(row.change) as DirectoryForgetting);
      } catch (error) {
        this.options.log({
          event: 'certgate.directory.change-unreadable',
          rowKey: row.rowKey,
          detail: messageOf(error),
        });
      }
    }
  }

  private remember(rowKey: string): void {
    if (this.seen.size >= SEEN_LIMIT) this.seen.clear();
    this.seen.add(rowKey);
  }

  private async prune(now: number): Promise<void> {
    try {
      const old = this.table.listEntities<ChangeRow>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}' and RowKey lt '${rowKeyAt(now - KEEP_MS)}'` },
      });
      for await (const row of old) await this.table.deleteEntity(PARTITION, row.rowKey);
    } catch (error) {
      this.options.log({ event: 'certgate.directory.changes-prune-failed', detail: messageOf(error) });
    }
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}
