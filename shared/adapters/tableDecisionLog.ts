/**
 * The decision log in Table Storage (layout: shared/decisionLog/tableLayout.ts), written off the
 * critical path. `record()` is synchronous and only enqueues: every block, allows as sampled
 * (never blocks), into a bounded in-memory buffer. A flush (every CERTGATE_DECISION_LOG_FLUSH_MS,
 * or as soon as a transaction's worth is waiting) turns the entries into rows and writes them as
 * entity-group transactions: one partition each, at most 100 rows and 3 MiB. Decisions rows go
 * first, then their index rows, so an index row never points at a row that was not written.
 * Upserts with writer-unique keys make a retried transaction harmless.
 *
 * When the buffer is full an entry is dropped and counted (`stats()`: health and metrics); allows
 * are dropped first (they may not fill the last tenth of the buffer), so blocks survive a burst. A
 * transaction that fails is retried on the next flushes (up to 3 attempts), then counted as
 * dropped. Drops are also reported as a warning line, at most once a minute.
 * May import: @azure/data-tables, the $batch writer, ports, the decision log core, the store error mapping.
 */
import type { TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { upsertBatch } from './tableBatch.js';
import { messageOf } from '../errors.js';
import { recordsAllow, type AllowSampling } from '../decisionLog/loggedDecision.js';
import type { DecisionLogWriterStats } from '../decisionLog/query.js';
import { decisionRows, rowBytes, type Row } from '../decisionLog/tableLayout.js';
import type { DecisionLog, DecisionRecord, InvocationScoped, LogWriter } from '../ports.js';

/** Options of the writer (from the CERTGATE_DECISION_LOG_* settings). */
export interface TableDecisionLogOptions {
  readonly allows: AllowSampling;
  /** Most entries waiting to be written. */
  readonly capacity: number;
  /** How often the buffer is flushed, in milliseconds. */
  readonly flushMs: number;
  /** Where warnings go (drops, write failures). */
  readonly log?: (event: Record<string, unknown>) => void;
  /** In [0, 1); injected for tests. */
  readonly random?: () => number;
}

/** Table Storage's limits of one entity-group transaction (4 MiB body: 3 MiB leaves room for the envelope). */
const MAX_TRANSACTION_ROWS = 100;
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Entries turned into rows per flush round; a full buffer takes several rounds. */
const MAX_ENTRIES_PER_ROUND = 1000;
const MAX_ATTEMPTS = 3;
/** Transactions in flight at once per flush. */
const CONCURRENCY = 4;
const DROP_REPORT_INTERVAL_MS = 60_000;

interface Pending {
  readonly record: DecisionRecord;
  /** This writer's sequence number of the entry (its row keys' unique part is built at the flush). */
  readonly sequence: number;
  attempts: number;
  mainWritten: boolean;
}

interface Chunk {
  readonly partitionKey: string;
  readonly rows: Row[];
  readonly owners: Pending[];
}

/** Groups rows by partition into transactions of at most 100 rows and 3 MiB. */
function chunksOf(entries: readonly { row: Row; owner: Pending }[]): Chunk[] {
  const open = new Map<string, { chunk: Chunk; bytes: number }>();
  const done: Chunk[] = [];
  for (const { row, owner } of entries) {
    const bytes = rowBytes(row);
    let current = open.get(row.partitionKey);
    if (
      current &&
      (current.chunk.rows.length >= MAX_TRANSACTION_ROWS || current.bytes + bytes > MAX_TRANSACTION_BYTES)
    ) {
      done.push(current.chunk);
      current = undefined;
    }
    if (!current) {
      current = { chunk: { partitionKey: row.partitionKey, rows: [], owners: [] }, bytes: 0 };
      open.set(row.partitionKey, current);
    }
    current.chunk.rows.push(row);
    if (!current.chunk.owners.includes(owner)) current.chunk.owners.push(owner);
    current.bytes += bytes;
  }
  for (const { chunk } of open.values()) done.push(chunk);
  return done;
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  });
  await Promise.all(workers);
}

/** {@link DecisionLog} into Table Storage, buffered and batched (see the module comment). */
export class TableDecisionLog implements InvocationScoped<DecisionLog> {
  private buffer: Pending[] = [];
  private readonly allowLimit: number;
  private readonly random: () => number;
  private readonly instance = randomBytes(3).toString('hex');
  private sequence = 0;
  private recorded = 0;
  private written = 0;
  private sampledOut = 0;
  private droppedFull = 0;
  private droppedFailed = 0;
  private droppedBlocks = 0;
  private lastError: { at: string; message: string } | undefined;
  private lastDropReport = 0;
  private flushing: Promise<void> | undefined;
  private soon: ReturnType<typeof setTimeout> | undefined;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly decisions: TableClient,
    private readonly index: TableClient,
    private readonly options: TableDecisionLogOptions,
  ) {
    this.allowLimit = Math.floor(options.capacity * 0.9);
    this.random = options.random ?? Math.random;
    if (options.flushMs > 0) {
      this.timer = setInterval(() => {
        void this.flush();
      }, options.flushMs);
      this.timer.unref();
    }
  }

  /** Enqueues the decision (or counts it sampled out / dropped). Synchronous, no I/O, never throws. */
  record(entry: DecisionRecord): void {
    const block = entry.decision.effect === 'block';
    if (!block && !recordsAllow(entry.decision, this.options.allows, this.random)) {
      this.sampledOut++;
      return;
    }
    if (this.buffer.length >= (block ? this.options.capacity : this.allowLimit)) {
      this.droppedFull++;
      if (block) this.droppedBlocks++;
      this.reportDrops();
      return;
    }
    this.recorded++;
    // The entry as given and a number: its rows (and their key text) are built at the flush, off the request.
    this.buffer.push({ record: entry, sequence: this.sequence++, attempts: 0, mainWritten: false });
    if (this.buffer.length >= MAX_TRANSACTION_ROWS && this.soon === undefined && this.flushing === undefined) {
      this.soon = setTimeout(() => {
        this.soon = undefined;
        void this.flush();
      }, 0);
      this.soon.unref();
    }
  }

  /** The table adapter writes no log lines: the same instance serves every invocation. */
  forInvocation(_log: LogWriter): DecisionLog {
    return this;
  }

  /** Counters for `/api/health` and metrics. */
  stats(): DecisionLogWriterStats {
    return {
      buffered: this.buffer.length,
      capacity: this.options.capacity,
      recorded: this.recorded,
      written: this.written,
      sampledOut: this.sampledOut,
      dropped: { bufferFull: this.droppedFull, writeFailed: this.droppedFailed, blocks: this.droppedBlocks },
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  /**
   * Writes what is buffered now (one round at a time; a call during a flush waits for it and then
   * flushes again). Resolves when the round is done, failed transactions requeued or counted.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.flushRounds().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** Writes everything buffered now (at most `rounds` attempts: a failing entry is retried, then counted). */
  async drain(rounds = MAX_ATTEMPTS + 1): Promise<void> {
    for (let round = 0; round < rounds && this.buffer.length > 0; round++) await this.flush();
  }

  /** Stops the timer and writes everything left, for tests and tools that end with the writer. */
  async close(rounds = MAX_ATTEMPTS + 1): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.drain(rounds);
  }

  private async flushRounds(): Promise<void> {
    // Only what is buffered when the flush starts: entries that fail go back for the next flush.
    let rounds = Math.ceil(this.buffer.length / MAX_ENTRIES_PER_ROUND);
    while (rounds-- > 0 && this.buffer.length > 0) {
      const taken = this.buffer.splice(0, MAX_ENTRIES_PER_ROUND);
      const retry = await this.writeRound(taken);
      this.requeue(retry);
    }
  }

  private ensureTables(): Promise<void> {
    this.ready ??= Promise.all([this.decisions.createTable(), this.index.createTable()]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  /** Writes one round; returns the entries that must be tried again. */
  private async writeRound(taken: Pending[]): Promise<Pending[]> {
    const failed = new Set<Pending>();
    try {
      await this.ensureTables();
    } catch (error) {
      this.noteError(error);
      return taken;
    }
    const rows = new Map<Pending, ReturnType<typeof decisionRows>>();
    for (const pending of taken) {
      try {
        rows.set(pending, decisionRows(pending.record, `${this.instance}${pending.sequence.toString(36)}`));
      } catch (error) {
        // A decision that cannot be turned into rows (a bug): count it, never block the others.
        this.droppedFailed++;
        this.noteError(error);
      }
    }
    const mains = [...rows].filter(([pending]) => !pending.mainWritten).map(([owner, r]) => ({ row: r.main, owner }));
    await this.submit(this.decisions, chunksOf(mains), failed);
    for (const { owner } of mains) if (!failed.has(owner)) owner.mainWritten = true;
    const indexRows = [...rows]
      .filter(([pending]) => pending.mainWritten)
      .flatMap(([owner, r]) => r.index.map((row) => ({ row, owner })));
    await this.submit(this.index, chunksOf(indexRows), failed);
    for (const [pending] of rows) if (!failed.has(pending)) this.written++;
    return [...failed];
  }

  private async submit(table: TableClient, chunks: readonly Chunk[], failed: Set<Pending>): Promise<void> {
    await inParallel(chunks, CONCURRENCY, async (chunk) => {
      if (chunk.owners.every((owner) => failed.has(owner))) return;
      try {
        await upsertBatch(table, chunk.rows);
      } catch (error) {
        this.noteError(error);
        for (const owner of chunk.owners) failed.add(owner);
      }
    });
  }

  private requeue(entries: readonly Pending[]): void {
    for (const pending of entries) {
      pending.attempts++;
      const block = pending.record.decision.effect === 'block';
      if (pending.attempts >= MAX_ATTEMPTS || this.buffer.length >= this.options.capacity) {
        this.droppedFailed++;
        if (block) this.droppedBlocks++;
        continue;
      }
      this.buffer.push(pending);
    }
    if (entries.length > 0) this.reportDrops();
  }

  private noteError(error: unknown): void {
    this.lastError = { at: new Date().toISOString(), message: messageOf(error).slice(0, 500) };
  }

  private reportDrops(): void {
    const now = Date.now();
    if (now - this.lastDropReport < DROP_REPORT_INTERVAL_MS) return;
    this.lastDropReport = now;
    this.options.log?.({ event: 'certgate.decision-log.degraded', ...this.stats() });
  }
}

/**
 * The table log plus the `certgate.decision` log lines (CERTGATE_DECISION_LOG_LINES=on): the table is the record, the
 * lines are what Application Insights queries read.
 */
export function withLogLines(
  table: TableDecisionLog,
  lines: InvocationScoped<DecisionLog>,
): InvocationScoped<DecisionLog> {
  return new TableAndLines(table, lines);
}

/** One decision recorded in both logs. */
class BothLogs implements DecisionLog {
  constructor(
    private readonly table: TableDecisionLog,
    private readonly lines: DecisionLog,
  ) {}

  record(entry: DecisionRecord): void {
    this.table.record(entry);
    this.lines.record(entry);
  }
}

/** Both logs, and per invocation one small object (no closures): `forInvocation` runs per request. */
class TableAndLines extends BothLogs implements InvocationScoped<DecisionLog> {
  constructor(
    private readonly tableLog: TableDecisionLog,
    private readonly lineLog: InvocationScoped<DecisionLog>,
  ) {
    super(tableLog, lineLog);
  }

  forInvocation(log: LogWriter): DecisionLog {
    return new BothLogs(this.tableLog, this.lineLog.forInvocation(log));
  }
}
