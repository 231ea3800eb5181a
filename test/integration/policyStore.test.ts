import { storeCodeOf } from '../support/storeErrors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { TablePolicyStore } from '../../shared/adapters/tablePolicyStore.js';

let azurite: Azurite;
let store: TablePolicyStore;
const clock = { t: Date.parse('2026-11-22T12:00:00.000Z'), now() { this.t += 1000; return new Date(this.t); } };

beforeAll(async () => {
  azurite = await startAzurite();
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  store = new TablePolicyStore(createTableClient(storage, 'storeTestPolicies'), createTableClient(storage, 'storeTestAudit'), clock);
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
    expect((await store.list()).map((d) => `${d.kind}/${d.id}`).sort()).toEqual(['location/corporate', 'policy/block-outside']);
  });

  it('replaces with the current ETag, refuses a stale one, and one of two concurrent writers wins', async () => {
    const current = (await store.get('policy', 'block-outside'))!;
    const updated = await store.put('policy', 'block-outside', { id: 'block-outside', action: 'monitor' }, 'carol', current.etag);
    expect(updated.document).toEqual({ id: 'block-outside', action: 'monitor' });
    expect(await storeCodeOf(store.put('policy', 'block-outside', { lost: true }, 'dave', current.etag))).toBe('precondition-failed');
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
    expect(entries[0]).toMatchObject({ action: 'delete', kind: 'location', id: 'corporate', actor: 'alice', before: { id: 'corporate', ranges: ['10.0.0.0/8'] } });
    const update = entries.find((e) => e.action === 'update' && e.actor === 'carol');
    expect(update).toMatchObject({ before: { id: 'block-outside', action: 'block' }, after: { id: 'block-outside', action: 'monitor' } });
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort().reverse());
    expect(entries.filter((e) => e.action === 'create')).toHaveLength(2);
  });
});

describe('propagation to other instances', () => {
  it('a second worker sees a change within its refresh interval, with one point read per interval', async () => {
    const { PolicyCache } = await import('../../shared/trust/policyCache.js');
    const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
    const shared = { t: Date.parse('2026-11-22T13:00:00.000Z'), now() { return new Date(this.t); } };
    const instanceA = new TablePolicyStore(createTableClient(storage, 'propPolicies'), createTableClient(storage, 'propAudit'), shared);
    const instanceB = new TablePolicyStore(createTableClient(storage, 'propPolicies'), createTableClient(storage, 'propAudit'), shared);
    let listsOnB = 0;
    const countingB = Object.assign(Object.create(instanceB) as TablePolicyStore, { list: async () => { listsOnB++; return instanceB.list(); } });
    const cacheB = new PolicyCache(countingB, shared, 10);
    expect((await cacheB.get()).configuration.policies).toHaveLength(0);
    await instanceA.put('policy', 'p1', { id: 'p1', name: 'P1', state: 'enabled', priority: 1, conditions: {}, action: 'block' }, 'admin');
    shared.t += 9_999;
    expect((await cacheB.get()).configuration.policies).toHaveLength(0);
    shared.t += 1;
    expect((await cacheB.get()).configuration.policies.map((p) => p.id)).toEqual(['p1']);
    const listsAfterChange = listsOnB;
    shared.t += 10_000;
    await cacheB.get();
    expect(listsOnB).toBe(listsAfterChange);
  });
});
