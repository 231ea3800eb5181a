/**
 * Policies, named locations and settings in Table Storage. One table holds the documents
 * (partition = kind, row key = id, the document as JSON) plus one `meta/version` entity whose
 * value changes with every write (other instances poll that single entity); a second table holds
 * the audit trail (partition = month, row key = inverted time so the newest come first).
 * May import: @azure/data-tables, node:crypto, ports, the store error mapping.
 */
import type { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { StoreError, type AuditEntry, type Clock, type ConfigKind, type PolicyStore, type StoredDocument } from '../ports.js';
import { toStoreError } from './tableTrustedCaStore.js';

const KINDS: readonly ConfigKind[] = ['app', 'policy', 'location', 'settings'];
const META = 'meta';
const MAX_TIME = 9_999_999_999_999;

interface DocumentEntity {
  partitionKey: string;
  rowKey: string;
  document: string;
  updatedAt: string;
  updatedBy: string;
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  at: string;
  actor: string;
  action: string;
  kind: string;
  id: string;
  before?: string;
  after?: string;
}

/** Table Storage caps a string property at 32 K characters; documents are kept well under it. */
const MAX_DOCUMENT_CHARS = 30_000;

/** {@link PolicyStore} over two tables. */
export class TablePolicyStore implements PolicyStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly documents: TableClient,
    private readonly auditTable: TableClient,
    private readonly clock: Clock,
  ) {}

  private ensureTables(): Promise<void> {
    this.ready ??= Promise.all([this.documents.createTable(), this.auditTable.createTable()]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw toStoreError(error, 'create policy tables');
      },
    );
    return this.ready;
  }

  private static fromEntity(entity: DocumentEntity & { etag: string }): StoredDocument {
    return {
      kind: entity.partitionKey as ConfigKind,
      id: entity.rowKey,
      document: JSON.parse(entity.document) as unknown,
      etag: entity.etag,
      updatedAt: entity.updatedAt,
      updatedBy: entity.updatedBy,
    };
  }

  async list(): Promise<StoredDocument[]> {
    await this.ensureTables();
    try {
      const out: StoredDocument[] = [];
      for await (const entity of this.documents.listEntities<DocumentEntity>()) {
        if (KINDS.includes(entity.partitionKey as ConfigKind)) out.push(TablePolicyStore.fromEntity(entity));
      }
      return out;
    } catch (error) {
      throw toStoreError(error, 'list policies');
    }
  }

  async get(kind: ConfigKind, id: string): Promise<StoredDocument | undefined> {
    await this.ensureTables();
    try {
      return TablePolicyStore.fromEntity(await this.documents.getEntity<DocumentEntity>(kind, id));
    } catch (error) {
      const mapped = toStoreError(error, `${kind} ${id}`);
      if (mapped.code === 'not-found') return undefined;
      throw mapped;
    }
  }

  async put(kind: ConfigKind, id: string, document: unknown, actor: string, ifMatch?: string): Promise<StoredDocument> {
    await this.ensureTables();
    const json = JSON.stringify(document);
    if (json.length > MAX_DOCUMENT_CHARS) throw new StoreError('conflict', `${kind} ${id}: the document is larger than ${MAX_DOCUMENT_CHARS} characters`);
    const before = ifMatch === undefined ? undefined : await this.get(kind, id);
    const now = this.clock.now().toISOString();
    const entity: DocumentEntity = { partitionKey: kind, rowKey: id, document: json, updatedAt: now, updatedBy: actor };
    let etag: string | undefined;
    try {
      if (ifMatch === undefined) etag = (await this.documents.createEntity(entity)).etag;
      else if (before === undefined && ifMatch !== '*') throw new StoreError('not-found', `${kind} ${id}: not found`);
      else if (before === undefined) etag = (await this.documents.createEntity(entity)).etag;
      else etag = (await this.documents.updateEntity(entity, 'Replace', { etag: ifMatch })).etag;
    } catch (error) {
      throw toStoreError(error, `${kind} ${id}`);
    }
    await this.recordChange({ at: now, actor, action: before ? 'update' : 'create', kind, id, ...(before ? { before: before.document } : {}), after: document });
    return { kind, id, document, etag: etag ?? '', updatedAt: now, updatedBy: actor };
  }

  async remove(kind: ConfigKind, id: string, actor: string, ifMatch?: string): Promise<void> {
    await this.ensureTables();
    const before = await this.get(kind, id);
    if (!before) throw new StoreError('not-found', `${kind} ${id}: not found`);
    try {
      await this.documents.deleteEntity(kind, id, { etag: ifMatch ?? before.etag });
    } catch (error) {
      throw toStoreError(error, `${kind} ${id}`);
    }
    await this.recordChange({ at: this.clock.now().toISOString(), actor, action: 'delete', kind, id, before: before.document });
  }

  async version(): Promise<string> {
    await this.ensureTables();
    try {
      const meta = await this.documents.getEntity<{ stamp: string }>(META, 'version');
      return meta.stamp;
    } catch (error) {
      const mapped = toStoreError(error, 'policy version');
      if (mapped.code === 'not-found') return 'none';
      throw mapped;
    }
  }

  async audit(limit: number): Promise<AuditEntry[]> {
    await this.ensureTables();
    const out: AuditEntry[] = [];
    try {
      for await (const page of this.auditTable.listEntities<AuditEntity>().byPage({ maxPageSize: Math.min(limit, 1000) })) {
        for (const entity of page) {
          out.push({
            at: entity.at,
            actor: entity.actor,
            action: entity.action as AuditEntry['action'],
            kind: entity.kind as ConfigKind,
            id: entity.id,
            ...(entity.before ? { before: JSON.parse(entity.before) as unknown } : {}),
            ...(entity.after ? { after: JSON.parse(entity.after) as unknown } : {}),
          });
        }
        if (out.length >= limit) break;
      }
    } catch (error) {
      throw toStoreError(error, 'read audit trail');
    }
    // Partitions are months, listed oldest first; row keys sort newest first within a month.
    return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
  }

  /** Audit entry first-class with the change, then the version stamp (every writer sets a new random stamp). */
  private async recordChange(entry: AuditEntry): Promise<void> {
    const time = Date.parse(entry.at);
    const audit: AuditEntity = {
      partitionKey: entry.at.slice(0, 7),
      rowKey: `${String(MAX_TIME - time).padStart(13, '0')}-${randomUUID()}`,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      kind: entry.kind,
      id: entry.id,
      ...(entry.before !== undefined ? { before: JSON.stringify(entry.before).slice(0, MAX_DOCUMENT_CHARS) } : {}),
      ...(entry.after !== undefined ? { after: JSON.stringify(entry.after).slice(0, MAX_DOCUMENT_CHARS) } : {}),
    };
    try {
      await this.auditTable.createEntity(audit);
      await this.documents.upsertEntity({ partitionKey: META, rowKey: 'version', stamp: `${entry.at}/${randomUUID()}` }, 'Replace');
    } catch (error) {
      throw toStoreError(error, 'record the change');
    }
  }
}
