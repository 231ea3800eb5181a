/**
 * The trusted CA store in Table Storage: one entity per CA, partition `ca`, row key = SHA-256
 * thumbprint, DER kept as base64. ETags give optimistic concurrency.
 * May import: @azure/data-tables, ports, ./storageClients.js (the deadline's error).
 */
import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import {
  DEFAULT_BINDING_RULE_NAMES,
  DEFAULT_REVOCATION_POLICY,
  StoreError,
  type RevocationPolicy,
  type TrustedCa,
  type TrustedCaChanges,
  type TrustedCaStore,
} from '../ports.js';
import { storeUnavailable } from './storageClients.js';

const PARTITION = 'ca';

interface CaEntity {
  partitionKey: string;
  rowKey: string;
  der: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  kind: string;
  label: string;
  enabled: boolean;
  revocationMode?: string;
  revocationUnknown?: string;
  /** JSON array of URLs. */
  crlUrls?: string;
  /** JSON array of binding rule names; absent = the defaults. */
  bindingRules?: string;
  addedAt: string;
  addedBy: string;
}

/**
 * Maps an SDK failure to a {@link StoreError}: HTTP answers to codes, everything else (no answer,
 * the deadline passed, a server error) to `unavailable`.
 */
export function toStoreError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof RestError) {
    if (error.statusCode === 404) return new StoreError('not-found', `${what}: not found`, { cause: error });
    if (error.statusCode === 409) return new StoreError('conflict', `${what}: already exists`, { cause: error });
    if (error.statusCode === 412)
      return new StoreError('precondition-failed', `${what}: changed by someone else (ETag mismatch)`, {
        cause: error,
      });
  }
  return storeUnavailable(what, 'table storage', error);
}

function revocationOf(entity: CaEntity): RevocationPolicy {
  const mode = entity.revocationMode;
  const unknown = entity.revocationUnknown;
  return {
    mode: mode === 'off' || mode === 'preferred' || mode === 'required' ? mode : DEFAULT_REVOCATION_POLICY.mode,
    unknown: unknown === 'block' || unknown === 'allow-and-alert' ? unknown : DEFAULT_REVOCATION_POLICY.unknown,
  };
}

function stringsOf(json: string | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

function fromEntity(entity: TableEntityResult<CaEntity>): TrustedCa {
  return {
    thumbprint: entity.rowKey,
    der: new Uint8Array(Buffer.from(entity.der, 'base64')),
    subject: entity.subject,
    issuer: entity.issuer,
    serialNumber: entity.serialNumber,
    notBefore: entity.notBefore,
    notAfter: entity.notAfter,
    kind: entity.kind === 'root' ? 'root' : 'intermediate',
    label: entity.label,
    enabled: entity.enabled,
    revocation: revocationOf(entity),
    crlUrls: stringsOf(entity.crlUrls),
    bindingRules: entity.bindingRules === undefined ? [...DEFAULT_BINDING_RULE_NAMES] : stringsOf(entity.bindingRules),
    addedAt: entity.addedAt,
    addedBy: entity.addedBy,
    etag: entity.etag,
  };
}

/** {@link TrustedCaStore} over one table. */
export class TableTrustedCaStore implements TrustedCaStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw toStoreError(error, 'create CA table');
    });
    return this.ready;
  }

  async list(): Promise<TrustedCa[]> {
    await this.ensureTable();
    try {
      const out: TrustedCa[] = [];
      for await (const entity of this.table.listEntities<CaEntity>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
      })) {
        out.push(fromEntity(entity));
      }
      return out;
    } catch (error) {
      throw toStoreError(error, 'list CAs');
    }
  }

  async get(thumbprint: string): Promise<TrustedCa | undefined> {
    await this.ensureTable();
    try {
      return fromEntity(await this.table.getEntity<CaEntity>(PARTITION, thumbprint));
    } catch (error) {
      const mapped = toStoreError(error, `CA ${thumbprint}`);
      if (mapped.code === 'not-found') return undefined;
      throw mapped;
    }
  }

  async add(ca: Omit<TrustedCa, 'etag'>): Promise<TrustedCa> {
    await this.ensureTable();
    const entity: CaEntity = {
      partitionKey: PARTITION,
      rowKey: ca.thumbprint,
      der: Buffer.from(ca.der).toString('base64'),
      subject: ca.subject,
      issuer: ca.issuer,
      serialNumber: ca.serialNumber,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      kind: ca.kind,
      label: ca.label,
      enabled: ca.enabled,
      revocationMode: ca.revocation.mode,
      revocationUnknown: ca.revocation.unknown,
      crlUrls: JSON.stringify(ca.crlUrls),
      bindingRules: JSON.stringify(ca.bindingRules),
      addedAt: ca.addedAt,
      addedBy: ca.addedBy,
    };
    try {
      const response = await this.table.createEntity(entity);
      return { ...ca, etag: response.etag ?? '' };
    } catch (error) {
      throw toStoreError(error, `CA ${ca.thumbprint}`);
    }
  }

  async update(thumbprint: string, changes: TrustedCaChanges, ifMatch: string): Promise<TrustedCa> {
    await this.ensureTable();
    const patch: Partial<CaEntity> & { partitionKey: string; rowKey: string } = {
      partitionKey: PARTITION,
      rowKey: thumbprint,
    };
    if (changes.label !== undefined) patch.label = changes.label;
    if (changes.enabled !== undefined) patch.enabled = changes.enabled;
    if (changes.revocation !== undefined) {
      patch.revocationMode = changes.revocation.mode;
      patch.revocationUnknown = changes.revocation.unknown;
    }
    if (changes.crlUrls !== undefined) patch.crlUrls = JSON.stringify(changes.crlUrls);
    if (changes.bindingRules !== undefined) patch.bindingRules = JSON.stringify(changes.bindingRules);
    try {
      await this.table.updateEntity(patch, 'Merge', { etag: ifMatch });
    } catch (error) {
      throw toStoreError(error, `CA ${thumbprint}`);
    }
    const updated = await this.get(thumbprint);
    if (!updated) throw new StoreError('not-found', `CA ${thumbprint}: not found`);
    return updated;
  }

  async remove(thumbprint: string, ifMatch?: string): Promise<void> {
    await this.ensureTable();
    try {
      await this.table.deleteEntity(PARTITION, thumbprint, ifMatch ? { etag: ifMatch } : {});
    } catch (error) {
      throw toStoreError(error, `CA ${thumbprint}`);
    }
  }

  async ping(): Promise<void> {
    await this.ensureTable();
    try {
      const page = this.table
        .listEntities({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'`, select: ['RowKey'] } })
        .byPage({ maxPageSize: 1 });
      await page.next();
    } catch (error) {
      throw toStoreError(error, 'ping table storage');
    }
  }
}
