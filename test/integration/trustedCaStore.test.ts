import { storeCodeOf } from '../support/storeErrors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { TableTrustedCaStore } from '../../shared/adapters/tableTrustedCaStore.js';
import type { TrustedCa } from '../../shared/ports.js';
import { startAzurite, type Azurite } from '../../dev/azurite.js';

let azurite: Azurite;
let store: TableTrustedCaStore;

const ca = (thumbprint: string): Omit<TrustedCa, 'etag'> => ({
  thumbprint,
  der: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
  subject: 'CN=Test CA',
  issuer: 'CN=Test CA',
  serialNumber: '01',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2036-01-01T00:00:00.000Z',
  kind: 'root',
  label: 'Test CA',
  enabled: true,
  revocation: { mode: 'required', unknown: 'allow-and-alert' },
  crlUrls: ['http://127.0.0.1:9/ca.crl'],
  bindingRules: ['PrincipalName', 'SKI'],
  addedAt: '2026-11-22T00:00:00.000Z',
  addedBy: 'test',
});

beforeAll(async () => {
  azurite = await startAzurite();
  store = new TableTrustedCaStore(
    createTableClient({ kind: 'connection-string', connectionString: azurite.connectionString }, 'storeTestCas'),
  );
});
afterAll(async () => {
  await azurite.close();
});

describe('TableTrustedCaStore against Azurite', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);

  it('adds, lists, gets, and keeps the DER byte for byte', async () => {
    await store.ping();
    const added = await store.add(ca(a));
    expect(added.etag).toMatch(/^W\//);
    await store.add(ca(b));
    const listed = await store.list();
    expect(listed.map((c) => c.thumbprint).sort()).toEqual([a, b]);
    const got = await store.get(a);
    expect(got?.der).toEqual(ca(a).der);
    expect(got?.kind).toBe('root');
    expect(got?.revocation).toEqual({ mode: 'required', unknown: 'allow-and-alert' });
    expect(got?.crlUrls).toEqual(['http://127.0.0.1:9/ca.crl']);
    expect(got?.bindingRules).toEqual(['PrincipalName', 'SKI']);
    expect(await store.get('c'.repeat(64))).toBeUndefined();
  });

  it('refuses a second copy with conflict', async () => {
    expect(await storeCodeOf(store.add(ca(a)))).toBe('conflict');
  });

  it('updates with the current ETag and refuses a stale one with precondition-failed', async () => {
    const current = await store.get(a);
    const updated = await store.update(
      a,
      { label: 'renamed', enabled: false, revocation: { mode: 'off', unknown: 'block' }, crlUrls: [] },
      current!.etag,
    );
    expect(updated.revocation).toEqual({ mode: 'off', unknown: 'block' });
    expect(updated.crlUrls).toEqual([]);
    expect(updated.label).toBe('renamed');
    expect(updated.enabled).toBe(false);
    expect(updated.etag).not.toBe(current!.etag);
    expect(await storeCodeOf(store.update(a, { label: 'lost update' }, current!.etag))).toBe('precondition-failed');
    expect((await store.get(a))?.label).toBe('renamed');
  });

  it('two concurrent writers with the same ETag: exactly one wins', async () => {
    const current = await store.get(b);
    const results = await Promise.all([
      storeCodeOf(store.update(b, { label: 'writer one' }, current!.etag)),
      storeCodeOf(store.update(b, { label: 'writer two' }, current!.etag)),
    ]);
    expect(results.sort()).toEqual(['precondition-failed', 'resolved']);
  });

  it('removes, with a stale ETag refused, and answers not-found afterwards', async () => {
    const current = await store.get(b);
    await store.update(b, { label: 'moved on' }, current!.etag);
    expect(await storeCodeOf(store.remove(b, current!.etag))).toBe('precondition-failed');
    await store.remove(b);
    expect(await storeCodeOf(store.remove(b))).toBe('not-found');
    expect(await storeCodeOf(store.update(b, { label: 'x' }, '*'))).toBe('not-found');
  });

  it('reports unavailable when storage does not answer', async () => {
    const dead = new TableTrustedCaStore(
      createTableClient(
        {
          kind: 'connection-string',
          connectionString: azurite.connectionString.replace(
            /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
            'TableEndpoint=http://127.0.0.1:9',
          ),
        },
        'deadCas',
      ),
    );
    expect(await storeCodeOf(dead.list())).toBe('unavailable');
  }, 60_000);
});
