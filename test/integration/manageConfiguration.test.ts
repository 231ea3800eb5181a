/**
 * The management API for the policy configuration through its real handlers (real `HttpRequest`
 * / `InvocationContext` objects) on Azurite over a socket: atomic imports (one of two imports
 * with the same If-Match wins; a failure half-way leaves nothing applied; the dry run predicts
 * the real import), strict query parameters, ids checked before storage, documents of any size
 * the schema allows, issuer thumbprints checked against the trusted CAs, errors that name ids.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { TablePolicyStore } from '../../shared/adapters/tablePolicyStore.js';
import { TableTrustedCaStore } from '../../shared/adapters/tableTrustedCaStore.js';
import {
  handleConfiguration,
  handleDocumentCollection,
  handleSettings,
  type ConfigApi,
} from '../../shared/http/configDocuments.js';
import { PolicyCache } from '../../shared/trust/policyCache.js';

const KNOWN_CA = 'a1'.repeat(32);
const OTHER_CA = 'b2'.repeat(32);
const clock = { now: () => new Date() };

let azurite: Azurite;
let trustedCas: TableTrustedCaStore;
let tableSeq = 0;

interface Answer {
  status: number;
  etag: string | null;
  body: Record<string, unknown>;
}

/**
 * A fresh store (own tables) and the handlers bound to it; `wrap` lets a test put a failing transport in front of the
 * documents table.
 */
function fixture(wrap: (table: TableClient) => TableClient = (table) => table) {
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  tableSeq++;
  const store = new TablePolicyStore(
    wrap(createTableClient(storage, `mcPolicies${tableSeq}`)),
    createTableClient(storage, `mcAudit${tableSeq}`),
    clock,
  );
  const api = (): ConfigApi => ({
    store,
    cache: new PolicyCache(store, clock, 0),
    actor: 'admin@contoso.example',
    context: new InvocationContext({
      invocationId: 'manage-configuration-test',
      functionName: 'manage',
      logHandler: () => undefined,
    }),
    trustedCas,
  });
  async function send(
    handler: (request: HttpRequest, api: ConfigApi) => Promise<HttpResponseInit>,
    method: string,
    url: string,
    options: { body?: unknown; headers?: Record<string, string>; params?: Record<string, string> } = {},
  ): Promise<Answer> {
    const request = new HttpRequest({
      method,
      url: `http://127.0.0.1/api/manage/${url}`,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.body === undefined
        ? {}
        : { body: { string: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } }),
      ...(options.params ? { params: options.params } : {}),
    });
    const response = await handler(request, api());
    const headers = new Headers(response.headers);
    return {
      status: response.status ?? 200,
      etag: headers.get('etag'),
      body: (response.jsonBody ?? {}) as Record<string, unknown>,
    };
  }
  return {
    store,
    configuration: (method: string, query = '', options: { body?: unknown; headers?: Record<string, string> } = {}) =>
      send(handleConfiguration, method, `configuration${query}`, options),
    policies: (
      method: string,
      id?: string,
      options: { body?: unknown; headers?: Record<string, string>; query?: string } = {},
    ) =>
      send(
        (request, a) => handleDocumentCollection('policy', request, a),
        method,
        `policies${id ? `/${encodeURIComponent(id)}` : ''}${options.query ?? ''}`,
        { ...options, ...(id !== undefined ? { params: { id } } : {}) },
      ),
    locations: (method: string, id?: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
      send(
        (request, a) => handleDocumentCollection('location', request, a),
        method,
        `locations${id ? `/${encodeURIComponent(id)}` : ''}`,
        { ...options, ...(id !== undefined ? { params: { id } } : {}) },
      ),
    settings: (method: string, options: { body?: unknown; headers?: Record<string, string>; query?: string } = {}) =>
      send(handleSettings, method, `settings${options.query ?? ''}`, options),
  };
}

const corporate = { id: 'corporate', name: 'Corporate network', ranges: ['10.20.0.0/16'], tags: ['corporate'] };

function policy(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Policy ${id}`,
    state: 'enabled',
    priority: 10,
    conditions: { locations: { include: ['any'], exclude: ['tag:corporate'] } },
    action: 'block',
    ...extra,
  };
}

function configuration(
  policies: readonly Record<string, unknown>[],
  settings: Record<string, unknown> = { failMode: 'closed' },
): Record<string, unknown> {
  return { schemaVersion: 1, locations: [corporate], policies, settings };
}

/**
 * A policy naming `count` users with long, partly non-ASCII UPNs (what the schema allows: 1000 of up to 256
 * characters).
 */
function bigPolicy(id: string, count: number): Record<string, unknown> {
  const users = Array.from(
    { length: count },
    (_, index) => `${'user-'.padEnd(200, 'x')}-${index}-é€😀@contoso.example`,
  );
  return policy(id, { conditions: { users: { include: { users }, exclude: { users: users.slice(0, count) } } } });
}

beforeAll(async () => {
  azurite = await startAzurite();
  trustedCas = new TableTrustedCaStore(
    createTableClient({ kind: 'connection-string', connectionString: azurite.connectionString }, 'mcTrustedCas'),
  );
  await trustedCas.add({
    thumbprint: KNOWN_CA,
    der: new Uint8Array([0x30, 0x00]),
    subject: 'CN=Contoso Issuing CA',
    issuer: 'CN=Contoso Root CA',
    serialNumber: '01',
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2036-01-01T00:00:00Z',
    kind: 'intermediate',
    label: 'Contoso Issuing CA',
    enabled: true,
    revocation: { mode: 'off', unknown: 'block' },
    crlUrls: [],
    bindingRules: [],
    addedAt: '2026-01-01T00:00:00Z',
    addedBy: 'test',
  });
});
afterAll(async () => {
  await azurite.close();
});

describe('imports are atomic', () => {
  it('two imports with the same If-Match: exactly one wins, the other is 412 configuration-changed (5 of 5 tries)', async () => {
    const api = fixture();
    expect((await api.configuration('POST', '', { body: configuration([policy('base')]) })).status).toBe(200);
    for (let attempt = 0; attempt < 5; attempt++) {
      const exported = await api.configuration('GET');
      const [first, second] = await Promise.all([
        api.configuration('POST', '', {
          body: configuration([policy(`first-${attempt}`)]),
          headers: { 'if-match': exported.etag! },
        }),
        api.configuration('POST', '', {
          body: configuration([policy(`second-${attempt}`)]),
          headers: { 'if-match': exported.etag! },
        }),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 412]);
      const loser = first.status === 412 ? first : second;
      expect(loser.body).toMatchObject({ error: { code: 'configuration-changed' } });
      const ids = ((await api.configuration('GET')).body.policies as { id: string }[]).map((p) => p.id);
      expect(ids).toEqual([first.status === 200 ? `first-${attempt}` : `second-${attempt}`]);
    }
  });

  it('an import that fails half-way leaves nothing of it applied, and the next one succeeds', async () => {
    let failWritesAfter = Infinity;
    const api = fixture((table) => {
      // Every kind of write counts, so the failure lands after the first write whatever the store does.
      const failing = (
        name: 'submitTransaction' | 'createEntity' | 'updateEntity' | 'upsertEntity' | 'deleteEntity',
      ) => {
        const original = (table[name] as (...args: unknown[]) => Promise<unknown>).bind(table);
        return (...args: unknown[]) =>
          failWritesAfter-- <= 0
            ? Promise.reject(Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' }))
            : original(...args);
      };
      return Object.assign(Object.create(table) as TableClient, {
        submitTransaction: failing('submitTransaction'),
        createEntity: failing('createEntity'),
        updateEntity: failing('updateEntity'),
        upsertEntity: failing('upsertEntity'),
        deleteEntity: failing('deleteEntity'),
      });
    });
    const before = configuration([policy('keep-a'), policy('keep-b')]);
    expect((await api.configuration('POST', '', { body: before })).status).toBe(200);
    const exported = await api.configuration('GET');
    // 300 policies: more than one transaction, so the failure lands after the first write.
    const wanted = configuration(
      Array.from({ length: 300 }, (_, index) => policy(`p-${String(index).padStart(3, '0')}`)),
      { failMode: 'open' },
    );
    failWritesAfter = 1;
    const failed = await api.configuration('POST', '', { body: wanted, headers: { 'if-match': exported.etag! } });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: { code: 'store-unavailable' } });
    const after = await api.configuration('GET');
    expect(after.etag).toBe(exported.etag);
    expect(after.body).toEqual(exported.body);
    expect((await api.store.audit(1000)).filter((entry) => entry.id.startsWith('p-'))).toEqual([]);
    failWritesAfter = Infinity;
    expect(
      (await api.configuration('POST', '', { body: wanted, headers: { 'if-match': exported.etag! } })).status,
    ).toBe(200);
    expect(((await api.configuration('GET')).body.policies as unknown[]).length).toBe(300);
  });

  it.each([
    { label: 'imports written as a new generation (150 policies)', count: 150 },
    { label: 'imports written in one transaction (20 policies)', count: 20 },
  ])('a reader never compiles a half-applied import: $label', async ({ count }) => {
    const api = fixture();
    const marked = (mark: string) =>
      configuration(
        Array.from({ length: count }, (_, index) => policy(`p-${String(index).padStart(3, '0')}`, { name: mark })),
      );
    expect((await api.configuration('POST', '', { body: marked('A') })).status).toBe(200);
    const reader = new PolicyCache(api.store, clock, 0);
    const seen: string[] = [];
    let importing = true;
    const reading = (async () => {
      while (importing) {
        const { configuration: current } = await reader.get();
        const marks = [...new Set(current.policies.map((p) => p.name))];
        seen.push(`${current.policies.length}:${marks.join('+')}`);
        reader.invalidate();
      }
    })();
    for (const mark of ['B', 'C', 'D', 'E'])
      expect((await api.configuration('POST', '', { body: marked(mark) })).status).toBe(200);
    importing = false;
    await reading;
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.filter((entry) => !/^\d+:[A-E]$/.test(entry) || !entry.startsWith(`${count}:`))).toEqual([]);
  });

  it('the dry run goes the same way as the import it predicts, and changes nothing', async () => {
    const api = fixture();
    expect((await api.configuration('POST', '', { body: configuration([policy('old')]) })).status).toBe(200);
    const exported = await api.configuration('GET');
    const wanted = configuration([bigPolicy('big', 1000), policy('old', { action: 'monitor' })]);
    const dry = await api.configuration('POST', '?dryRun=true', {
      body: wanted,
      headers: { 'if-match': exported.etag! },
    });
    expect(dry.status).toBe(200);
    expect((await api.configuration('GET')).etag).toBe(exported.etag);
    const real = await api.configuration('POST', '', { body: wanted, headers: { 'if-match': exported.etag! } });
    expect(real.status).toBe(dry.status);
    expect(real.body.changes).toEqual(dry.body.changes);
    expect(real.body.dryRun).toBe(false);
    // A stale If-Match: the dry run says so too.
    expect(
      (await api.configuration('POST', '?dryRun=true', { body: wanted, headers: { 'if-match': exported.etag! } }))
        .status,
    ).toBe(412);
  });
});

describe('query parameters are strict', () => {
  it.each([
    { label: 'dryrun in lower case is not dryRun: 400, nothing imported', query: '?dryrun=true' },
    { label: 'dryRun=yes is neither true nor false', query: '?dryRun=yes' },
    { label: 'dryRun given twice', query: '?dryRun=true&dryRun=false' },
    { label: 'an unknown parameter', query: '?force=1' },
  ])('$label', async ({ query }) => {
    const api = fixture();
    const answer = await api.configuration('POST', query, { body: configuration([policy('never')]) });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'request-query-invalid' } });
    expect((await api.configuration('GET')).body.policies).toEqual([]);
  });

  it('dryRun=TRUE is a dry run (values are case-insensitive); the function key in ?code= is allowed', async () => {
    const api = fixture();
    const dry = await api.configuration('POST', '?dryRun=TRUE&code=function-key', {
      body: configuration([policy('dry')]),
    });
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true } });
    expect((await api.configuration('GET')).body.policies).toEqual([]);
    expect(
      (await api.configuration('POST', '?dryRun=False', { body: configuration([policy('real')]) })).body,
    ).toMatchObject({ dryRun: false });
    expect(((await api.configuration('GET')).body.policies as { id: string }[]).map((p) => p.id)).toEqual(['real']);
  });

  it('unknown parameters on the document routes are 400 too', async () => {
    const api = fixture();
    expect((await api.policies('GET', undefined, { query: '?top=5' })).body).toMatchObject({
      error: { code: 'request-query-invalid' },
    });
    expect((await api.settings('PUT', { body: { failMode: 'open' }, query: '?dryRun=true' })).status).toBe(400);
    expect((await api.settings('GET')).body).toMatchObject({ failMode: 'closed' });
  });
});

describe('ids and bodies', () => {
  it.each(['a/b', 'a%2Fb', 'Upper', 'a--b', '-a', 'x'.repeat(65), "a'b"])(
    'the id %j is refused with 400 id-invalid before storage is asked',
    async (id) => {
      const api = fixture();
      for (const method of ['GET', 'DELETE'] as const) {
        const answer = await api.policies(method, id);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ error: { code: 'id-invalid' } });
      }
      expect((await api.policies('PUT', id, { body: policy('x') })).body).toMatchObject({
        error: { code: 'id-invalid' },
      });
    },
  );

  it('a body whose id differs from the URL is 400 id-mismatch and creates nothing', async () => {
    const api = fixture();
    await api.locations('PUT', 'corporate', { body: corporate });
    const answer = await api.policies('PUT', 'other-id', { body: policy('block-outside') });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'id-mismatch' } });
    expect((await api.policies('GET', 'other-id')).status).toBe(404);
    expect((await api.policies('GET', 'block-outside')).status).toBe(404);
    // Without an id in the body the URL's id is used.
    const { id: _id, ...withoutId } = policy('ignored');
    expect((await api.policies('PUT', 'from-url', { body: withoutId })).status).toBe(201);
  });

  it('a policy of 1000 long UPNs (include and exclude) is stored and read back byte for byte; its audit entry is complete JSON', async () => {
    const api = fixture();
    await api.locations('PUT', 'corporate', { body: corporate });
    const big = bigPolicy('many-users', 1000);
    expect(JSON.stringify(big).length).toBeGreaterThan(400_000);
    const created = await api.policies('PUT', 'many-users', { body: big });
    expect(created.status).toBe(201);
    const read = await api.policies('GET', 'many-users');
    const { etag: _etag, updatedAt: _at, updatedBy: _by, ...document } = read.body;
    expect(JSON.stringify(document)).toBe(JSON.stringify(big));
    const updated = { ...big, name: 'Renamed' };
    expect(
      (await api.policies('PUT', 'many-users', { body: updated, headers: { 'if-match': read.etag! } })).status,
    ).toBe(200);
    const [entry] = await api.store.audit(1);
    expect(entry).toMatchObject({ action: 'update', id: 'many-users' });
    expect(JSON.stringify(entry!.before)).toBe(JSON.stringify(big));
    expect(JSON.stringify(entry!.after)).toBe(JSON.stringify(updated));
    const exported = await api.configuration('GET');
    expect(JSON.stringify((exported.body.policies as unknown[])[0])).toBe(JSON.stringify(updated));
  });

  it('409 only ever means the document exists', async () => {
    const api = fixture();
    await api.locations('PUT', 'corporate', { body: corporate });
    expect((await api.policies('PUT', 'big', { body: bigPolicy('big', 1000) })).status).toBe(201);
    expect((await api.policies('PUT', 'big', { body: bigPolicy('big', 10) })).body).toMatchObject({
      error: { code: 'policy-already-exists' },
    });
  });
});

describe('issuer thumbprints are checked against the trusted CAs', () => {
  const withIssuers = (id: string, include: string[], exclude?: string[]) =>
    policy(id, { conditions: { certificate: { issuers: { include, ...(exclude ? { exclude } : {}) } } } });

  it('on save: 422 policy-unknown-issuer naming each unknown thumbprint; a known one (any case, with colons) is accepted', async () => {
    const api = fixture();
    const refused = await api.policies('PUT', 'vendors', {
      body: withIssuers('vendors', [KNOWN_CA, OTHER_CA], ['c3'.repeat(32)]),
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: {
        code: 'policy-unknown-issuer',
        issues: [
          { path: 'conditions.certificate.issuers.include[1]', code: 'unknown-issuer' },
          { path: 'conditions.certificate.issuers.exclude[0]', code: 'unknown-issuer' },
        ],
      },
    });
    const colons = KNOWN_CA.toUpperCase().match(/../g)!.join(':');
    expect((await api.policies('PUT', 'vendors', { body: withIssuers('vendors', [colons]) })).status).toBe(201);
  });

  it('on import: 422 naming the policy by id, nothing imported', async () => {
    const api = fixture();
    const answer = await api.configuration('POST', '', {
      body: configuration([policy('first'), withIssuers('vendors-require-issued-certificate', [OTHER_CA])]),
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      error: {
        code: 'policy-unknown-issuer',
        issues: [
          { path: 'policies[1].conditions.certificate.issuers.include[0]', id: 'vendors-require-issued-certificate' },
        ],
      },
    });
    expect((answer.body.error as { detail: string }).detail).toContain('vendors-require-issued-certificate');
    expect((await api.configuration('GET')).body.policies).toEqual([]);
  });
});

describe('errors name documents by id', () => {
  it('import validation issues carry the id of the policy they are about', async () => {
    const api = fixture();
    const answer = await api.configuration('POST', '', {
      body: configuration([
        policy('fine'),
        policy('broken', { action: 'deny' }),
        policy('lost', { conditions: { locations: { include: ['nowhere'] } } }),
      ]),
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: {
        code: 'policy-invalid',
        issues: [{ path: 'policies[1].action', id: 'broken', kind: 'policy' }],
      },
    });
    expect((answer.body.error as { detail: string }).detail).toContain('policies[id=broken].action');
  });

  it('location-in-use names the policies that use it', async () => {
    const api = fixture();
    await api.configuration('POST', '', { body: configuration([policy('first'), policy('uses-corporate')]) });
    const answer = await api.locations('DELETE', 'corporate');
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      error: {
        code: 'location-in-use',
        issues: [expect.objectContaining({ id: 'first' }), expect.objectContaining({ id: 'uses-corporate' })],
      },
    });
    expect((answer.body.error as { detail: string }).detail).toContain('policies[id=uses-corporate]');
  });
});
