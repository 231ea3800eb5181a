/**
 * Policies, named locations, registered apps and settings in Table Storage, written atomically.
 *
 * Layout. Every document lives in ONE partition (`config`) of the documents table, under the
 * generation the `meta` row points at: row key `d.<generation>.<kind>.<id>.<chunk>`. A document's
 * JSON is cut into parts of at most 30,000 UTF-16 units (Table Storage caps a string property at
 * 64 KiB of UTF-16), 14 parts to a row (an entity is at most 1 MiB), as many rows as it needs, so
 * any document the schema allows is stored and read back byte for byte. One partition because
 * entity-group transactions (all-or-nothing, at most 100 operations) span one partition only; the
 * configuration is small and read once per version change, so one partition is not a hot spot.
 *
 * Writes (`commit`) are atomic and conditional on the version the caller read (`meta`'s stamp):
 * - a small change (≤ 100 row operations including `meta`, ≤ 3 MiB) is one transaction in the
 *   current generation that also updates `meta` under its ETag;
 * - a larger one (an import) writes the whole next configuration under a new generation, which
 *   nothing points at yet (invisible), then flips `meta` to it under its ETag. A failure before
 *   the flip leaves the old generation in force and removes the staged rows; after the flip the
 *   old generation is removed (and any generation an interrupted write left behind for an hour).
 * Two writers that read the same version cannot both win: the second `meta` write fails its ETag
 * condition and the commit is `precondition-failed`, with nothing of it visible.
 *
 * Reads (`snapshot`) read `meta`, list its generation and read `meta` again; when it changed
 * meanwhile (a commit landed, or the generation was removed after a flip) they read again, so a
 * reader never assembles a configuration that was not committed as a whole. `version()` is the
 * one point read other instances poll.
 *
 * Audit. One entry per changed document in the audit table (partition = month, row key =
 * inverted time so the newest come first), before and after in full (cut into parts like
 * documents, continuation rows `<row key>.<n>` right after the head). Entries are written before
 * the commit, so no change is ever unaudited, and removed again when the commit does not happen.
 *
 * Documents written by earlier versions (partition = kind, `meta/version`) are moved into a
 * generation on first use.
 * May import: @azure/data-tables, node:crypto, ports, the store error mapping.
 */
import { odata, RestError, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import {
  StoreError,
  type AuditEntry,
  type Clock,
  type CommitResult,
  type ConfigKind,
  type ConfigurationSnapshot,
  type DocumentChange,
  type PolicyStore,
  type StoredDocument,
} from '../ports.js';
import { toStoreError } from './tableTrustedCaStore.js';

const KINDS: readonly ConfigKind[] = ['app', 'policy', 'session-policy', 'location', 'settings'];
const PARTITION = 'config';
const META_ROW = 'meta';
const MAX_TIME = 9_999_999_999_999;

/** Table Storage: a string property holds 64 KiB of UTF-16 (32 K units); 30,000 leaves room. */
export const PART_CHARS = 30_000;
/** Parts per row: 14 × 60 KB stays under the 1 MiB entity limit with the other properties. */
const PARTS_PER_ROW = 14;
/** Entity-group transactions: at most 100 operations and a 4 MiB body; 3 MiB leaves room for the envelope. */
const MAX_BATCH_OPERATIONS = 100;
const MAX_BATCH_BYTES = 3 * 1024 * 1024;
/**
 * A generation no `meta` points at, older than this, is left over from an interrupted write (no write takes an hour).
 */
const ABANDONED_GENERATION_MS = 60 * 60 * 1000;
const READ_ATTEMPTS = 5;
const WRITE_ATTEMPTS = 5;

type Parts = Record<string, string>;

/** A row as listed: the keys always present. */
type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

// A type alias, not an interface: the SDK's entity type wants an index signature.
type MetaEntity = {
  partitionKey: string;
  rowKey: string;
  generation: string;
  stamp: string;
};

interface Meta {
  readonly generation: string;
  readonly stamp: string;
  readonly etag: string;
}

/** The head row of a document (chunk 0); continuation rows carry only parts. */
interface DocumentHead {
  kind: string;
  id: string;
  revision: string;
  updatedAt: string;
  updatedBy: string;
  /** How many rows the document spans, and its JSON's length: a reader checks both. */
  rows: number;
  length: number;
}

/** A document as the store keeps it: its JSON text, exactly as written. */
interface DocumentRecord {
  readonly kind: ConfigKind;
  readonly id: string;
  readonly json: string;
  readonly revision: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** The rows it occupies in the generation it was read from. */
  readonly rowKeys: readonly string[];
}

interface State {
  readonly meta: Meta | undefined;
  readonly records: ReadonlyMap<string, DocumentRecord>;
}

interface AuditHead {
  at: string;
  actor: string;
  action: string;
  kind: string;
  id: string;
  /**
   * Rows and length of `{ before, after }` as JSON; absent on entries written by earlier versions (which kept `before`
   * / `after` whole).
   */
  rows?: number;
  length?: number;
  before?: string;
  after?: string;
}

/**
 * Cuts text into parts of at most `size` UTF-16 units, never between the two halves of a
 * surrogate pair (each part is then valid UTF-16 on its own).
 */
export function splitText(text: string, size: number = PART_CHARS): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts.length > 0 ? parts : [''];
}

/** The rows' worth of parts (`p0` … `p13` each) for a text. */
function partRows(text: string): Parts[] {
  const parts = splitText(text);
  const rows: Parts[] = [];
  for (let index = 0; index < parts.length; index += PARTS_PER_ROW) {
    rows.push(
      Object.fromEntries(parts.slice(index, index + PARTS_PER_ROW).map((part, position) => [`p${position}`, part])),
    );
  }
  return rows;
}

function joinParts(rows: readonly Record<string, unknown>[]): string {
  let text = '';
  for (const row of rows) {
    for (let position = 0; typeof row[`p${position}`] === 'string'; position++) text += row[`p${position}`] as string;
  }
  return text;
}

const documentKey = (kind: string, id: string) => `${kind}/${id}`;
const generationPrefix = (generation: string) => `d.${generation}.`;
const documentPrefix = (generation: string, kind: string, id: string) => `d.${generation}.${kind}.${id}.`;
const rowKeyOf = (generation: string, kind: string, id: string, chunk: number) =>
  `${documentPrefix(generation, kind, id)}${String(chunk).padStart(3, '0')}`;
/** `[from, to)` of row keys starting with `prefix` ('.' + 1 = '/', which no key segment contains). */
const rangeOf = (prefix: string) => ({ from: prefix, to: `${prefix.slice(0, -1)}/` });

/** A generation's name starts with its creation time, so abandoned ones can be recognised. */
function newGeneration(now: Date): string {
  return `g${String(now.getTime()).padStart(13, '0')}-${randomUUID().slice(0, 8)}`;
}

function generationTime(generation: string): number {
  const time = Number(generation.slice(1, 14));
  return Number.isFinite(time) ? time : Number.NaN;
}

const etagOf = (revision: string) => `"${revision}"`;

/** Two ETags name the same revision (weak or strong, quoted or not). */
function sameEtag(a: string, b: string): boolean {
  const bare = (etag: string) => etag.trim().replace(/^W\//, '').replaceAll('"', '');
  return bare(a) === bare(b);
}

/** Rows grouped by partition (a transaction spans one partition). */
function byPartition<T extends { partitionKey: string }>(rows: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(row.partitionKey, [...(groups.get(row.partitionKey) ?? []), row]);
  return [...groups.values()];
}

/** An audit body written by an earlier version may have been cut short: then it is kept as text. */
function parseAuditJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isKind(value: unknown): value is ConfigKind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

/** The rows of a document under a generation: the head with the metadata, then continuations. */
function documentRows(generation: string, record: Omit<DocumentRecord, 'rowKeys'>): TableEntity[] {
  const rows = partRows(record.json);
  return rows.map((parts, chunk) => {
    const head: DocumentHead | undefined =
      chunk === 0
        ? {
            kind: record.kind,
            id: record.id,
            revision: record.revision,
            updatedAt: record.updatedAt,
            updatedBy: record.updatedBy,
            rows: rows.length,
            length: record.json.length,
          }
        : undefined;
    return { partitionKey: PARTITION, rowKey: rowKeyOf(generation, record.kind, record.id, chunk), ...head, ...parts };
  });
}

function toStored(record: Omit<DocumentRecord, 'rowKeys'>): StoredDocument {
  return {
    kind: record.kind,
    id: record.id,
    document: JSON.parse(record.json) as unknown,
    etag: etagOf(record.revision),
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
  };
}

/** Approximate bytes a row adds to a transaction body (its JSON in UTF-8). */
function rowBytes(entity: TableEntity): number {
  return Buffer.byteLength(JSON.stringify(entity)) + 200;
}

/** Splits operations into transactions of at most 100 operations and 3 MiB. */
function batches(actions: readonly TransactionAction[]): TransactionAction[][] {
  const out: TransactionAction[][] = [];
  let current: TransactionAction[] = [];
  let bytes = 0;
  for (const action of actions) {
    const size = rowBytes(action[1]);
    if (current.length > 0 && (current.length >= MAX_BATCH_OPERATIONS || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(action);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The service answered (a 4xx: the write was refused, nothing of it applied); anything else may have landed. */
function isAnswered(error: unknown): boolean {
  return (
    error instanceof RestError &&
    typeof error.statusCode === 'number' &&
    error.statusCode >= 400 &&
    error.statusCode < 500
  );
}

/** A write whose outcome is unknown: it may have been applied (its audit entries stay). */
class OutcomeUnknown extends StoreError {
  constructor(cause: unknown) {
    super(
      'unavailable',
      'table storage did not answer the write of the configuration; it may still be applied: read the configuration before retrying',
      { cause },
    );
  }
}

/**
 * A refused conditional write (another writer got there first) as `precondition-failed`; anything else as the store
 * error it is.
 */
function commitError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  if (
    error instanceof RestError &&
    (error.statusCode === 404 || error.statusCode === 409 || error.statusCode === 412)
  ) {
    return new StoreError(
      'precondition-failed',
      'the configuration changed while the change was being written; nothing of it was applied',
      { cause: error },
    );
  }
  return toStoreError(error, 'write the configuration');
}

/** {@link PolicyStore} over two tables. */
export class TablePolicyStore implements PolicyStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly documents: TableClient,
    private readonly auditTable: TableClient,
    private readonly clock: Clock,
  ) {}

  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await Promise.all([this.documents.createTable(), this.auditTable.createTable()]);
      } catch (error) {
        throw toStoreError(error, 'create policy tables');
      }
      await this.migrateEarlierLayout();
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Documents written by earlier versions (partition = kind) become the first generation, as they were. */
  private async migrateEarlierLayout(): Promise<void> {
    if (await this.readMeta()) return;
    const records: DocumentRecord[] = [];
    try {
      const filter = KINDS.map((kind) => odata`PartitionKey eq ${kind}`).join(' or ');
      for await (const entity of this.documents.listEntities<{
        document?: string;
        updatedAt?: string;
        updatedBy?: string;
      }>({ queryOptions: { filter } })) {
        if (!isKind(entity.partitionKey) || entity.rowKey === undefined || typeof entity.document !== 'string')
          continue;
        records.push({
          kind: entity.partitionKey,
          id: entity.rowKey,
          json: entity.document,
          revision: randomUUID(),
          updatedAt: entity.updatedAt ?? '',
          updatedBy: entity.updatedBy ?? '',
          rowKeys: [],
        });
      }
    } catch (error) {
      throw toStoreError(error, 'read documents of the earlier layout');
    }
    if (records.length === 0) return;
    try {
      await this.writeGeneration(
        { meta: undefined, records: new Map() },
        records,
        `${this.clock.now().toISOString()}/${randomUUID()}`,
      );
    } catch (error) {
      // Another instance migrated first: its generation is in force.
      if (!(error instanceof StoreError && error.code === 'precondition-failed')) throw error;
    }
  }

  private async readMeta(): Promise<Meta | undefined> {
    try {
      const meta = await this.documents.getEntity<MetaEntity>(PARTITION, META_ROW);
      return { generation: meta.generation, stamp: meta.stamp, etag: meta.etag };
    } catch (error) {
      const mapped = toStoreError(error, 'policy version');
      if (mapped.code === 'not-found') return undefined;
      throw mapped;
    }
  }

  private async listRows(prefix: string, select?: string[]): Promise<Row[]> {
    const { from, to } = rangeOf(prefix);
    const rows: Row[] = [];
    try {
      const filter = odata`PartitionKey eq ${PARTITION} and RowKey ge ${from} and RowKey lt ${to}`;
      for await (const entity of this.documents.listEntities({
        queryOptions: { filter, ...(select ? { select } : {}) },
      })) {
        rows.push({ ...entity, partitionKey: entity.partitionKey ?? PARTITION, rowKey: entity.rowKey ?? '' });
      }
    } catch (error) {
      throw toStoreError(error, 'list policies');
    }
    return rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  }

  /** Reassembles documents from their rows; a document with missing rows means the read overlapped a change. */
  private static assemble(rows: readonly Row[]): Map<string, DocumentRecord> | undefined {
    const records = new Map<string, DocumentRecord>();
    for (let index = 0; index < rows.length;) {
      const head = rows[index] as Row & Partial<DocumentHead>;
      if (
        !head.rowKey.endsWith('.000') ||
        !isKind(head.kind) ||
        typeof head.id !== 'string' ||
        typeof head.rows !== 'number'
      )
        return undefined;
      const own = rows.slice(index, index + head.rows);
      const prefix = head.rowKey.slice(0, -3);
      if (
        own.length !== head.rows ||
        own.some((row, chunk) => row.rowKey !== `${prefix}${String(chunk).padStart(3, '0')}`)
      )
        return undefined;
      const json = joinParts(own);
      if (json.length !== head.length) return undefined;
      records.set(documentKey(head.kind, head.id), {
        kind: head.kind,
        id: head.id,
        json,
        revision: String(head.revision),
        updatedAt: String(head.updatedAt),
        updatedBy: String(head.updatedBy),
        rowKeys: own.map((row) => row.rowKey),
      });
      index += head.rows;
    }
    return records;
  }

  /**
   * `meta`, its generation, `meta` again: equal ETags mean no commit landed in between, so the
   * rows are one committed configuration. `prefix` narrows the listing to one document.
   */
  private async readState(narrow?: { kind: ConfigKind; id: string }): Promise<State> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const meta = await this.readMeta();
      if (!meta) return { meta: undefined, records: new Map() };
      const rows = await this.listRows(
        narrow ? documentPrefix(meta.generation, narrow.kind, narrow.id) : generationPrefix(meta.generation),
      );
      const again = await this.readMeta();
      if (again?.etag !== meta.etag) continue;
      const records = TablePolicyStore.assemble(rows);
      if (!records)
        throw new StoreError('unavailable', `the policy configuration ${meta.stamp} has incomplete documents`);
      return { meta, records };
    }
    throw new StoreError('unavailable', 'the policy configuration kept changing while it was being read');
  }

  async snapshot(): Promise<ConfigurationSnapshot> {
    await this.ensureReady();
    const state = await this.readState();
    return { version: state.meta?.stamp ?? 'none', documents: [...state.records.values()].map(toStored) };
  }

  async list(): Promise<StoredDocument[]> {
    return [...(await this.snapshot()).documents];
  }

  async get(kind: ConfigKind, id: string): Promise<StoredDocument | undefined> {
    await this.ensureReady();
    const record = (await this.readState({ kind, id })).records.get(documentKey(kind, id));
    return record ? toStored(record) : undefined;
  }

  async version(): Promise<string> {
    await this.ensureReady();
    return (await this.readMeta())?.stamp ?? 'none';
  }

  async commit(
    changes: readonly DocumentChange[],
    options: { readonly actor: string; readonly baseVersion: string; readonly dryRun?: boolean },
  ): Promise<CommitResult> {
    await this.ensureReady();
    const state = await this.readState();
    const current = state.meta?.stamp ?? 'none';
    if (current !== options.baseVersion)
      throw new StoreError('precondition-failed', `the configuration is at ${current}, not at ${options.baseVersion}`);
    const at = this.clock.now().toISOString();
    const written: DocumentRecord[] = [];
    const removed: DocumentRecord[] = [];
    const audit: AuditEntry[] = [];
    const wanted = new Map(changes.map((change) => [documentKey(change.kind, change.id), change]));
    for (const change of wanted.values()) {
      if (!isKind(change.kind)) throw new StoreError('unavailable', `unknown document kind ${String(change.kind)}`);
      const before = state.records.get(documentKey(change.kind, change.id));
      const beforeDocument = before ? { before: JSON.parse(before.json) as unknown } : {};
      if (change.document === null || change.document === undefined) {
        if (!before) continue;
        removed.push(before);
        audit.push({ at, actor: options.actor, action: 'delete', kind: change.kind, id: change.id, ...beforeDocument });
        continue;
      }
      const json = JSON.stringify(change.document);
      if (before?.json === json) continue;
      written.push({
        kind: change.kind,
        id: change.id,
        json,
        revision: randomUUID(),
        updatedAt: at,
        updatedBy: options.actor,
        rowKeys: [],
      });
      audit.push({
        at,
        actor: options.actor,
        action: before ? 'update' : 'create',
        kind: change.kind,
        id: change.id,
        ...beforeDocument,
        after: JSON.parse(json) as unknown,
      });
    }
    if (written.length === 0 && removed.length === 0) return { version: current, documents: [] };
    const stamp = `${at}/${randomUUID()}`;
    const inPlace = this.planInPlace(state, written, removed, stamp);
    if (options.dryRun) {
      // Everything but the writes: the rows are cut and batched as they would be.
      if (!inPlace)
        batches(
          this.generationRows('dry-run', state, written, removed).map(
            (row) => ['upsert', row, 'Replace'] as TransactionAction,
          ),
        );
      return { version: current, documents: [] };
    }
    const auditRows = await this.writeAudit(audit);
    try {
      if (inPlace) await this.submitCommit(inPlace, stamp);
      else await this.writeGeneration(state, written, stamp, removed);
    } catch (error) {
      // An outcome nobody knows may still be applied: its audit entries stay.
      if (!(error instanceof OutcomeUnknown)) await this.removeAudit(auditRows).catch(() => undefined);
      throw error;
    }
    return { version: stamp, documents: written.map(toStored) };
  }

  /**
   * After a write whose answer did not arrive (a lost connection, a deadline, a 5xx): `meta`
   * says whether it landed. `true` = it did; otherwise it did not, or has not yet.
   */
  private async landed(stamp: string): Promise<boolean> {
    const meta = await this.readMeta().catch(() => undefined);
    return meta?.stamp === stamp;
  }

  /** The in-place transaction; an unanswered one counts as done when `meta` carries its stamp. */
  private async submitCommit(actions: TransactionAction[], stamp: string): Promise<void> {
    try {
      await this.documents.submitTransaction(actions);
    } catch (error) {
      if (isAnswered(error)) throw commitError(error);
      if (await this.landed(stamp)) return;
      throw new OutcomeUnknown(error);
    }
  }

  /** The change as one transaction in the current generation with the `meta` update, when it fits in one. */
  private planInPlace(
    state: State,
    written: readonly DocumentRecord[],
    removed: readonly DocumentRecord[],
    stamp: string,
  ): TransactionAction[] | undefined {
    if (!state.meta) return undefined;
    const generation = state.meta.generation;
    const actions: TransactionAction[] = [];
    for (const record of written) {
      const rows = documentRows(generation, record);
      for (const row of rows) actions.push(['upsert', row, 'Replace']);
      const keep = new Set(rows.map((row) => row.rowKey));
      for (const rowKey of state.records.get(documentKey(record.kind, record.id))?.rowKeys ?? [])
        if (!keep.has(rowKey)) actions.push(['delete', { partitionKey: PARTITION, rowKey }]);
    }
    for (const record of removed)
      for (const rowKey of record.rowKeys) actions.push(['delete', { partitionKey: PARTITION, rowKey }]);
    const meta: MetaEntity = { partitionKey: PARTITION, rowKey: META_ROW, generation, stamp };
    actions.push(['update', meta, 'Replace', { etag: state.meta.etag }]);
    const bytes = actions.reduce((sum, action) => sum + rowBytes(action[1]), 0);
    return actions.length <= MAX_BATCH_OPERATIONS && bytes <= MAX_BATCH_BYTES ? actions : undefined;
  }

  /** Every row of the next configuration (the current one with the changes) under `generation`. */
  private generationRows(
    generation: string,
    state: State,
    written: readonly DocumentRecord[],
    removed: readonly DocumentRecord[] = [],
  ): TableEntity[] {
    const next = new Map(state.records);
    for (const record of removed) next.delete(documentKey(record.kind, record.id));
    for (const record of written) next.set(documentKey(record.kind, record.id), record);
    return [...next.values()].flatMap((record) => documentRows(generation, record));
  }

  /**
   * Writes the next configuration under a new generation (invisible until `meta` points at it),
   * then flips `meta` under its ETag. On failure the staged rows go; on success the old generation does.
   */
  private async writeGeneration(
    state: State,
    written: readonly DocumentRecord[],
    stamp: string,
    removed: readonly DocumentRecord[] = [],
  ): Promise<void> {
    const generation = newGeneration(this.clock.now());
    const rows = this.generationRows(generation, state, written, removed);
    try {
      for (const batch of batches(rows.map((row) => ['upsert', row, 'Replace'] as TransactionAction)))
        await this.documents.submitTransaction(batch);
    } catch (error) {
      // Nothing points at the staged rows: they go (what a lost answer leaves, the hourly sweep takes).
      await this.removeGenerations((candidate) => candidate === generation).catch(() => undefined);
      throw commitError(error);
    }
    try {
      const meta: MetaEntity = { partitionKey: PARTITION, rowKey: META_ROW, generation, stamp };
      if (state.meta) await this.documents.updateEntity(meta, 'Replace', { etag: state.meta.etag });
      else await this.documents.createEntity(meta);
    } catch (error) {
      if (isAnswered(error)) {
        await this.removeGenerations((candidate) => candidate === generation).catch(() => undefined);
        throw commitError(error);
      }
      // The flip may have landed (or may still): never remove a generation `meta` might point at.
      if (!(await this.landed(stamp))) throw new OutcomeUnknown(error);
    }
    const replaced = state.meta?.generation;
    const now = this.clock.now().getTime();
    await this.removeGenerations(
      (candidate) =>
        candidate !== generation &&
        (candidate === replaced || now - generationTime(candidate) > ABANDONED_GENERATION_MS),
    ).catch(() => undefined);
  }

  /**
   * Deletes every row of the generations `doomed` picks (never the one `meta` points at: callers pass the current one
   * out).
   */
  private async removeGenerations(doomed: (generation: string) => boolean): Promise<void> {
    const rows = await this.listRows('d.', ['RowKey']);
    const actions: TransactionAction[] = rows
      .filter((row) => doomed(row.rowKey.split('.')[1] ?? ''))
      .map((row) => ['delete', { partitionKey: PARTITION, rowKey: row.rowKey }]);
    for (const batch of batches(actions)) await this.documents.submitTransaction(batch);
  }

  async put(kind: ConfigKind, id: string, document: unknown, actor: string, ifMatch?: string): Promise<StoredDocument> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.readStateReady();
      const before = state.records.get(documentKey(kind, id));
      if (ifMatch === undefined && before) throw new StoreError('conflict', `${kind} ${id}: already exists`);
      if (ifMatch !== undefined && ifMatch !== '*' && !before)
        throw new StoreError('not-found', `${kind} ${id}: not found`);
      if (ifMatch !== undefined && ifMatch !== '*' && before && !sameEtag(ifMatch, etagOf(before.revision))) {
        throw new StoreError('precondition-failed', `${kind} ${id}: changed by someone else (ETag mismatch)`);
      }
      try {
        const result = await this.commit([{ kind, id, document }], { actor, baseVersion: state.meta?.stamp ?? 'none' });
        const stored = result.documents[0] ?? (before ? toStored(before) : undefined);
        if (!stored) throw new StoreError('unavailable', `${kind} ${id}: not stored`);
        return stored;
      } catch (error) {
        if (error instanceof StoreError && error.code === 'precondition-failed' && attempt < WRITE_ATTEMPTS) continue;
        if (error instanceof StoreError && error.code === 'precondition-failed')
          throw new StoreError('unavailable', 'the configuration kept changing; retry', { cause: error });
        throw error;
      }
    }
  }

  async remove(kind: ConfigKind, id: string, actor: string, ifMatch?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.readStateReady();
      const before = state.records.get(documentKey(kind, id));
      if (!before) throw new StoreError('not-found', `${kind} ${id}: not found`);
      if (ifMatch !== undefined && ifMatch !== '*' && !sameEtag(ifMatch, etagOf(before.revision)))
        throw new StoreError('precondition-failed', `${kind} ${id}: changed by someone else (ETag mismatch)`);
      try {
        await this.commit([{ kind, id, document: null }], { actor, baseVersion: state.meta?.stamp ?? 'none' });
        return;
      } catch (error) {
        if (error instanceof StoreError && error.code === 'precondition-failed' && attempt < WRITE_ATTEMPTS) continue;
        if (error instanceof StoreError && error.code === 'precondition-failed')
          throw new StoreError('unavailable', 'the configuration kept changing; retry', { cause: error });
        throw error;
      }
    }
  }

  private async readStateReady(): Promise<State> {
    await this.ensureReady();
    return this.readState();
  }

  async audit(limit: number): Promise<AuditEntry[]> {
    await this.ensureReady();
    const entries: { head: AuditHead & Row; rows: Row[] }[] = [];
    try {
      // Rows of one entry are adjacent (continuations sort right after their head), so once the
      // entry after the last wanted one starts, every wanted entry is complete.
      outer: for await (const page of this.auditTable
        .listEntities()
        .byPage({ maxPageSize: Math.min(Math.max(limit, 1) * 2, 1000) })) {
        for (const entity of page) {
          const row: Row = { ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' };
          const last = entries.at(-1);
          if (last && row.rowKey.startsWith(`${last.head.rowKey}.`) && row.partitionKey === last.head.partitionKey) {
            last.rows.push(row);
            continue;
          }
          if (row.rowKey.includes('.')) continue; // a continuation whose head is gone
          if (entries.length === limit) break outer;
          entries.push({ head: row as AuditHead & Row, rows: [row] });
        }
      }
    } catch (error) {
      throw toStoreError(error, 'read audit trail');
    }
    const out = entries.map(({ head, rows }): AuditEntry => {
      let before: unknown;
      let after: unknown;
      if (typeof head.rows === 'number') {
        const body = JSON.parse(joinParts(rows)) as { before?: unknown; after?: unknown };
        ({ before, after } = body);
      } else {
        before = head.before ? parseAuditJson(head.before) : undefined;
        after = head.after ? parseAuditJson(head.after) : undefined;
      }
      return {
        at: head.at,
        actor: head.actor,
        action: head.action as AuditEntry['action'],
        kind: head.kind as ConfigKind,
        id: head.id,
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
      };
    });
    // Partitions are months, listed oldest first; row keys sort newest first within a month.
    return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
  }

  /**
   * Writes the audit entries (before the change they describe) and returns their rows, to remove them if the change
   * does not happen.
   */
  private async writeAudit(entries: readonly AuditEntry[]): Promise<{ partitionKey: string; rowKey: string }[]> {
    const rows: TableEntity[] = [];
    for (const entry of entries) {
      const body = JSON.stringify({
        ...(entry.before !== undefined ? { before: entry.before } : {}),
        ...(entry.after !== undefined ? { after: entry.after } : {}),
      });
      const parts = partRows(body);
      const partitionKey = entry.at.slice(0, 7);
      const rowKey = `${String(MAX_TIME - Date.parse(entry.at)).padStart(13, '0')}-${randomUUID()}`;
      const head: AuditHead = {
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        kind: entry.kind,
        id: entry.id,
        rows: parts.length,
        length: body.length,
      };
      parts.forEach((part, chunk) =>
        rows.push({
          partitionKey,
          rowKey: chunk === 0 ? rowKey : `${rowKey}.${String(chunk).padStart(3, '0')}`,
          ...(chunk === 0 ? head : {}),
          ...part,
        }),
      );
    }
    const written: { partitionKey: string; rowKey: string }[] = [];
    try {
      for (const partitionRows of byPartition(rows)) {
        for (const batch of batches(partitionRows.map((row) => ['upsert', row, 'Replace'] as TransactionAction))) {
          await this.auditTable.submitTransaction(batch);
          written.push(...batch.map((action) => ({ partitionKey: action[1].partitionKey, rowKey: action[1].rowKey })));
        }
      }
    } catch (error) {
      await this.removeAudit(written).catch(() => undefined);
      throw toStoreError(error, 'record the change');
    }
    return written;
  }

  private async removeAudit(rows: readonly { partitionKey: string; rowKey: string }[]): Promise<void> {
    for (const partitionRows of byPartition(rows)) {
      for (const batch of batches(partitionRows.map((row) => ['delete', row] as TransactionAction)))
        await this.auditTable.submitTransaction(batch);
    }
  }
}
