import { storeCodeOf } from '../support/storeErrors.js';
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { splitText, TablePolicyStore } from '../../shared/adapters/tablePolicyStore.js';

let azurite: Azurite;
let store: TablePolicyStore;
const clock = {
  t: Date.parse('2026-11-22T12:00:00.000Z'),
  now() {
    this.t += 1000;
    return new Date(this.t);
  },
};

beforeAll(async () => {
  azurite = await startAzurite();
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  store = new TablePolicyStore(
    createTableClient(storage, 'storeTestPolicies'),
    createTableClient(storage, 'storeTestAudit'),
    clock,
  );
});
afterAll(async () => {
  await azurite.close();
});

describe('TablePolicyStore against Azurite', () => {
  it('creates documents, refuses a second create, and bumps the version stamp on every write', async () => {
    const v0 = await store.version();
    await store.put('policy', 'block-outside', { id: 'block-outside', action: 'block' }, 'alice');
    const v1 = await store.version();
    expect(v1).not.toBe(v0);
    expect(await storeCodeOf(store.put('policy', 'block-outside', { id: 'block-outside' }, 'bob'))).toBe('conflict');
    await store.put('location', 'corporate', { id: 'corporate', ranges: ['10.20.0.0/16'] }, 'alice');
    expect(await store.version()).not.toBe(v1);
    expect((await store.list()).map((d) => `${d.kind}/${d.id}`).sort()).toEqual([
      'location/corporate',
      'policy/block-outside',
    ]);
  });

  it('replaces with the current ETag, refuses a stale one, and one of two concurrent writers wins', async () => {
    const current = (await store.get('policy', 'block-outside'))!;
    const updated = await store.put(
      'policy',
      'block-outside',
      { id: 'block-outside', action: 'monitor' },
      'carol',
      current.etag,
    );
    expect(updated.document).toEqual({ id: 'block-outside', action: 'monitor' });
    expect(await storeCodeOf(store.put('policy', 'block-outside', { lost: true }, 'dave', current.etag))).toBe(
      'precondition-failed',
    );
    const fresh = (await store.get('policy', 'block-outside'))!;
    const results = await Promise.all([
      storeCodeOf(store.put('policy', 'block-outside', { writer: 1 }, 'w1', fresh.etag)),
      storeCodeOf(store.put('policy', 'block-outside', { writer: 2 }, 'w2', fresh.etag)),
    ]);
    expect(results.sort()).toEqual(['precondition-failed', 'resolved']);
    expect(await storeCodeOf(store.put('policy', 'missing', {}, 'x', 'W/"stale"'))).toBe('not-found');
  });

  it('deletes with If-Match, answers not-found afterwards', async () => {
    const current = (await store.get('location', 'corporate'))!;
    await store.put('location', 'corporate', { id: 'corporate', ranges: ['10.0.0.0/8'] }, 'alice', current.etag);
    expect(await storeCodeOf(store.remove('location', 'corporate', 'alice', current.etag))).toBe('precondition-failed');
    await store.remove('location', 'corporate', 'alice');
    expect(await storeCodeOf(store.remove('location', 'corporate', 'alice'))).toBe('not-found');
  });

  it('keeps an audit trail of every change with who, when, before and after, newest first', async () => {
    const entries = await store.audit(50);
    expect(entries[0]).toMatchObject({
      action: 'delete',
      kind: 'location',
      id: 'corporate',
      actor: 'alice',
      before: { id: 'corporate', ranges: ['10.0.0.0/8'] },
    });
    const update = entries.find((e) => e.action === 'update' && e.actor === 'carol');
    expect(update).toMatchObject({
      before: { id: 'block-outside', action: 'block' },
      after: { id: 'block-outside', action: 'monitor' },
    });
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort().reverse());
    expect(entries.filter((e) => e.action === 'create')).toHaveLength(2);
  });
});

describe('propagation to other instances', () => {
  it('a second worker sees a change within its refresh interval, with one point read per interval', async () => {
    const { PolicyCache } = await import('../../shared/trust/policyCache.js');
    const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
    const shared = {
      t: Date.parse('2026-11-22T13:00:00.000Z'),
      now() {
        return new Date(this.t);
      },
    };
    const instanceA = new TablePolicyStore(
      createTableClient(storage, 'propPolicies'),
      createTableClient(storage, 'propAudit'),
      shared,
    );
    const instanceB = new TablePolicyStore(
      createTableClient(storage, 'propPolicies'),
      createTableClient(storage, 'propAudit'),
      shared,
    );
    let listsOnB = 0;
    const countingB = Object.assign(Object.create(instanceB) as TablePolicyStore, {
      list: async () => {
        listsOnB++;
        return instanceB.list();
      },
      snapshot: async () => {
        listsOnB++;
        return instanceB.snapshot();
      },
    });
    const cacheB = new PolicyCache(countingB, shared, 10);
    expect((await cacheB.get()).configuration.policies).toHaveLength(0);
    await instanceA.put(
      'policy',
      'p1',
      { id: 'p1', name: 'P1', state: 'enabled', priority: 1, conditions: {}, action: 'block' },
      'admin',
    );
    shared.t += 9_999;
    expect((await cacheB.get()).configuration.policies).toHaveLength(0);
    shared.t += 1;
    expect((await cacheB.get()).configuration.policies.map((p) => p.id)).toEqual(['p1']);
    const listsAfterChange = listsOnB;
    expect(listsAfterChange).toBeGreaterThan(0);
    shared.t += 10_000;
    await cacheB.get();
    expect(listsOnB).toBe(listsAfterChange);
  });
});

describe('atomic commits, documents of any size, the earlier layout', () => {
  const storage = () => ({ kind: 'connection-string' as const, connectionString: azurite.connectionString });
  let tables = 0;
  const freshStore = () => {
    tables++;
    return new TablePolicyStore(
      createTableClient(storage(), `atomicPolicies${tables}`),
      createTableClient(storage(), `atomicAudit${tables}`),
      clock,
    );
  };

  it('two commits made against the same version: exactly one is applied, the other is precondition-failed with nothing of it visible', async () => {
    const fresh = freshStore();
    await fresh.put('policy', 'base', { id: 'base' }, 'alice');
    for (const size of [3, 150]) {
      const { version } = await fresh.snapshot();
      const changes = (writer: string) =>
        Array.from({ length: size }, (_, index) => ({
          kind: 'policy' as const,
          id: `p-${index}`,
          document: { id: `p-${index}`, writer },
        }));
      const results = await Promise.all([
        storeCodeOf(fresh.commit(changes('w1'), { actor: 'w1', baseVersion: version })),
        storeCodeOf(fresh.commit(changes('w2'), { actor: 'w2', baseVersion: version })),
      ]);
      expect(results.sort()).toEqual(['precondition-failed', 'resolved']);
      const writers = new Set(
        (await fresh.list()).filter((d) => d.id.startsWith('p-')).map((d) => (d.document as { writer: string }).writer),
      );
      expect(writers.size).toBe(1);
    }
  });

  it('a commit against an old version is refused; a dry run writes nothing', async () => {
    const fresh = freshStore();
    const { version } = await fresh.snapshot();
    await fresh.put('location', 'corporate', { id: 'corporate' }, 'alice');
    expect(
      await storeCodeOf(
        fresh.commit([{ kind: 'policy', id: 'late', document: { id: 'late' } }], {
          actor: 'bob',
          baseVersion: version,
        }),
      ),
    ).toBe('precondition-failed');
    const now = await fresh.snapshot();
    expect(
      await fresh.commit([{ kind: 'policy', id: 'dry', document: { id: 'dry' } }], {
        actor: 'bob',
        baseVersion: now.version,
        dryRun: true,
      }),
    ).toEqual({ version: now.version, documents: [] });
    expect((await fresh.snapshot()).version).toBe(now.version);
    expect(await fresh.get('policy', 'dry')).toBeUndefined();
  });

  it('a document of a million characters (non-ASCII, emoji across part boundaries) is stored, read back byte for byte, shrunk, and audited whole', async () => {
    const fresh = freshStore();
    const users = Array.from({ length: 4000 }, (_, index) => `${'ü😀'.repeat(80)}-${index}@contoso.example`);
    const big = { id: 'huge', users };
    expect(JSON.stringify(big).length).toBeGreaterThan(1_000_000);
    await fresh.put('policy', 'huge', big, 'alice');
    expect(JSON.stringify((await fresh.get('policy', 'huge'))!.document)).toBe(JSON.stringify(big));
    const small = { id: 'huge', users: users.slice(0, 2) };
    await fresh.put('policy', 'huge', small, 'alice', '*');
    expect((await fresh.list()).map((d) => JSON.stringify(d.document))).toEqual([JSON.stringify(small)]);
    const [update, create] = await fresh.audit(2);
    expect(update).toMatchObject({ action: 'update', id: 'huge' });
    expect(JSON.stringify(update!.before)).toBe(JSON.stringify(big));
    expect(JSON.stringify(update!.after)).toBe(JSON.stringify(small));
    expect(JSON.stringify(create!.after)).toBe(JSON.stringify(big));
  });

  it('parts never split a surrogate pair and join back to the text', () => {
    const text = `a${'😀'.repeat(20)}`;
    for (const size of [2, 3, 4, 7]) {
      const parts = splitText(text, size);
      expect(parts.join('')).toBe(text);
      // No part ends in a lone high surrogate or starts with a lone low one.
      for (const part of parts) expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(part)).toBe(false);
    }
  });

  it('documents written by the earlier layout (partition = kind) are read as they were, and the next write keeps them', async () => {
    tables++;
    const documents = createTableClient(storage(), `legacyPolicies${tables}`);
    await documents.createTable();
    await documents.createEntity({
      partitionKey: 'policy',
      rowKey: 'old-policy',
      document: JSON.stringify({ id: 'old-policy', action: 'block' }),
      updatedAt: '2025-01-01T00:00:00.000Z',
      updatedBy: 'alice',
    });
    await documents.createEntity({
      partitionKey: 'location',
      rowKey: 'old-location',
      document: JSON.stringify({ id: 'old-location' }),
      updatedAt: '2025-01-01T00:00:00.000Z',
      updatedBy: 'bob',
    });
    await documents.createEntity({ partitionKey: 'meta', rowKey: 'version', stamp: 'old' });
    const migrated = new TablePolicyStore(documents, createTableClient(storage(), `legacyAudit${tables}`), clock);
    const listed = await migrated.list();
    expect(listed.map((d) => [d.kind, d.id, d.document, d.updatedBy]).sort()).toEqual([
      ['location', 'old-location', { id: 'old-location' }, 'bob'],
      ['policy', 'old-policy', { id: 'old-policy', action: 'block' }, 'alice'],
    ]);
    await migrated.put('policy', 'new-policy', { id: 'new-policy' }, 'carol');
    const again = new TablePolicyStore(documents, createTableClient(storage(), `legacyAudit${tables}`), clock);
    expect((await again.list()).map((d) => d.id).sort()).toEqual(['new-policy', 'old-location', 'old-policy']);
  });
});

describe('writes whose outcome the client did not see', () => {
  const storage = () => ({ kind: 'connection-string' as const, connectionString: azurite.connectionString });
  let tables = 0;
  /**
   * A documents table whose chosen writes reach the service but answer with a lost connection (a deadline that fired
   * too late).
   */
  const lossyStore = (lose: (method: string, args: unknown[]) => boolean) => {
    tables++;
    const table = createTableClient(storage(), `lossyPolicies${tables}`);
    const lossy = (method: 'submitTransaction' | 'updateEntity' | 'createEntity') => {
      const original = (table[method] as (...args: unknown[]) => Promise<unknown>).bind(table);
      return async (...args: unknown[]) => {
        const result = await original(...args);
        if (lose(method, args))
          throw Object.assign(new Error('injected: socket hang up after the request was sent'), { code: 'ECONNRESET' });
        return result;
      };
    };
    const wrapped = Object.assign(Object.create(table) as TableClient, {
      submitTransaction: lossy('submitTransaction'),
      updateEntity: lossy('updateEntity'),
      createEntity: lossy('createEntity'),
    });
    return new TablePolicyStore(wrapped, createTableClient(storage(), `lossyAudit${tables}`), clock);
  };
  const many = (mark: string) =>
    Array.from({ length: 150 }, (_, index) => ({
      kind: 'policy' as const,
      id: `p-${index}`,
      document: { id: `p-${index}`, mark },
    }));
  const isMeta = (args: unknown[]) => (args[0] as { rowKey?: string }).rowKey === 'meta';

  it('a generation flip that landed although the answer was lost: the commit succeeds and the configuration stays whole', async () => {
    let loseFlip = false;
    const store = lossyStore((method, args) => loseFlip && method === 'updateEntity' && isMeta(args));
    await store.commit(many('A'), { actor: 'a', baseVersion: (await store.snapshot()).version });
    loseFlip = true;
    const result = await store.commit(many('B'), { actor: 'b', baseVersion: (await store.snapshot()).version });
    loseFlip = false;
    const after = await store.snapshot();
    expect(after.version).toBe(result.version);
    expect(after.documents.map((d) => (d.document as { mark: string }).mark)).toEqual(
      Array.from({ length: 150 }, () => 'B'),
    );
  });

  it('a small commit that landed although the answer was lost: the commit succeeds, audited once', async () => {
    let lose = false;
    const store = lossyStore((method) => lose && method === 'submitTransaction');
    await store.put('policy', 'one', { id: 'one', v: 1 }, 'a');
    lose = true;
    const stored = await store.put('policy', 'one', { id: 'one', v: 2 }, 'a', '*');
    lose = false;
    expect(stored.document).toEqual({ id: 'one', v: 2 });
    expect((await store.get('policy', 'one'))?.document).toEqual({ id: 'one', v: 2 });
    expect((await store.audit(10)).filter((entry) => entry.action === 'update')).toHaveLength(1);
  });
});
