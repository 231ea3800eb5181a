/**
 * The local Microsoft Graph stand-in over real https on 127.0.0.1: the dev directory agrees with
 * the dev PKI, the token issuer and the demo policies; the token endpoint checks the client like
 * Entra ID; Graph routes need a valid token (401) and the right application permission (403);
 * every route, paging, JSON batching, each fault switch (in code and over HTTP) and the counters.
 * Needs `NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt` (set by the npm scripts).
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FINANCE_GROUP_ID, VENDORS_GROUP_ID } from '../../dev/demoPolicies.js';
import { GraphFaults } from '../../dev/graph/faults.js';
import {
  GRAPH_AUDIENCE,
  loadDirectoryFile,
  startGraphStandIn,
  type DirectoryFile,
  type GraphStandIn,
} from '../../dev/graph/index.js';
import { DEV_DEVICE } from '../../dev/pki/index.js';
import { DEV_TENANT_ID } from '../../dev/tokens/index.js';
import { devObjectIdFor } from '../../dev/tokens/mint.js';

const ALL_STAFF = '9a630510-0157-4e36-bb3a-add5e31234b6';
const FINANCE_APPROVERS = 'f9bb1ef4-714c-4bc8-a2b7-7d33d9b6a5f6';
const PILOT = '6eb7c7b3-ea2f-4d71-a09f-d9750e9979e8';
const ALICE = devObjectIdFor('alice@contoso.example');
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const DEVICE_PATH = `/v1.0/devices?$filter=deviceId eq '${DEV_DEVICE.entraDeviceId}'`;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

let standIn: GraphStandIn;
let token: string;

async function call(
  path: string,
  init: { method?: string; token?: string | null; body?: unknown; form?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const bearer = init.token === undefined ? token : init.token;
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (init.form !== undefined) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${standIn.url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: the test looks at `text`
  }
  return { status: response.status, headers: response.headers, text, json };
}

function errorCode(reply: Reply): unknown {
  return (reply.json.error as { code?: unknown } | undefined)?.code;
}

function clientCredentials(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: standIn.clientId,
    client_secret: standIn.clientSecret,
    scope: GRAPH_SCOPE,
    ...overrides,
  };
}

const checkMemberGroups = (user: string, groupIds: readonly string[]) =>
  call(`/v1.0/users/${encodeURIComponent(user)}/checkMemberGroups`, { body: { groupIds } });

beforeAll(async () => {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined)
    throw new Error('run with NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt (the npm scripts set it)');
  standIn = await startGraphStandIn();
  const reply = await call(`/${standIn.tenantId}/oauth2/v2.0/token`, { token: null, form: clientCredentials() });
  token = reply.json.access_token as string;
});

afterAll(async () => {
  await standIn.close();
});

afterEach(() => {
  standIn.faults.clear();
  standIn.reset();
});

describe('the dev directory file', () => {
  let file: DirectoryFile;
  beforeAll(async () => {
    file = await loadDirectoryFile();
  });

  it('gives alice and bob the object ids the dev token issuer gives them, in its tenant', () => {
    expect(file.tenantId).toBe(DEV_TENANT_ID);
    for (const upn of ['alice@contoso.example', 'bob@contoso.example']) {
      expect(file.users.find((user) => user.userPrincipalName === upn)?.id).toBe(devObjectIdFor(upn));
    }
  });

  it("holds the dev PKI's device as compliant and hybrid joined, plus a non-compliant and a disabled one", () => {
    expect(file.devices.find((device) => device.deviceId === DEV_DEVICE.entraDeviceId)).toMatchObject({
      accountEnabled: true,
      isCompliant: true,
      trustType: 'ServerAd',
    });
    expect(file.devices.some((device) => device.accountEnabled && device.isCompliant === false)).toBe(true);
    expect(file.devices.some((device) => !device.accountEnabled)).toBe(true);
  });

  it("uses the demo policies' group ids for Vendors and Finance, and nests Finance in All Staff", () => {
    expect(file.groups.find((group) => group.displayName === 'Vendors')?.id).toBe(VENDORS_GROUP_ID);
    expect(file.groups.find((group) => group.displayName === 'Finance')?.id).toBe(FINANCE_GROUP_ID);
    expect(file.groups.find((group) => group.id === ALL_STAFF)?.members).toContain(FINANCE_GROUP_ID);
  });

  it('has enough Conditional Access policies to page, in every state, one with a session control', () => {
    const policies = file.conditionalAccessPolicies;
    expect(policies.length).toBeGreaterThan(file.conditionalAccessPageSize * 2);
    expect(new Set(policies.map((policy) => policy.state))).toEqual(
      new Set(['enabled', 'disabled', 'enabledForReportingButNotEnforced']),
    );
    expect(
      policies.some(
        (policy) => policy.state === 'enabled' && policy.sessionControls?.cloudAppSecurity?.isEnabled === true,
      ),
    ).toBe(true);
  });
});

describe('token endpoint (login.microsoftonline.com)', () => {
  it('serves OpenID metadata and keys that verify the tokens it issues', async () => {
    const metadata = await call(`/${standIn.tenantId}/v2.0/.well-known/openid-configuration`, { token: null });
    expect(metadata.status).toBe(200);
    expect(metadata.json.token_endpoint).toBe(`${standIn.url}/${standIn.tenantId}/oauth2/v2.0/token`);
    const keys = createRemoteJWKSet(new URL(metadata.json.jwks_uri as string));
    const { payload } = await jwtVerify(token, keys, {
      issuer: metadata.json.issuer as string,
      audience: GRAPH_AUDIENCE,
    });
    expect(payload.roles).toEqual(standIn.directory.application.roles);
    expect(payload.appid).toBe(standIn.clientId);
    expect(payload.idtyp).toBe('app');
  });

  it.each<{ label: string; form: Record<string, string>; status: number; error: string; code: number }>([
    {
      label: 'a wrong secret',
      form: { client_secret: 'not-the-secret-of-this-app' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
    },
    {
      label: 'an unknown client',
      form: { client_id: '11111111-2222-4333-8444-555555555555' },
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
    },
    {
      label: 'another scope',
      form: { scope: 'https://vault.azure.net/.default' },
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
    },
    { label: 'a delegated scope', form: { scope: 'User.Read' }, status: 400, error: 'invalid_scope', code: 1002012 },
    {
      label: 'another grant',
      form: { grant_type: 'password' },
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
    },
  ])('refuses $label like Entra ID ($error)', async ({ form, status, error, code }) => {
    const reply = await call(`/${standIn.tenantId}/oauth2/v2.0/token`, { token: null, form: clientCredentials(form) });
    expect(reply.status).toBe(status);
    expect(reply.json.error).toBe(error);
    expect(reply.json.error_codes).toEqual([code]);
  });

  it('refuses another tenant', async () => {
    const reply = await call('/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token', {
      token: null,
      form: clientCredentials(),
    });
    expect(reply.status).toBe(400);
    expect(reply.json.error_codes).toEqual([90002]);
  });

  it('issues Graph tokens whose roles are the permissions in the directory file', async () => {
    const custom = await startGraphStandIn({
      directory: {
        ...standIn.directory,
        application: { ...standIn.directory.application, roles: ['Device.Read.All'] },
      },
    });
    try {
      const response = await fetch(`${custom.url}/${custom.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams(clientCredentials()),
      });
      const body = (await response.json()) as { access_token: string };
      expect(decodeJwt(body.access_token).roles).toEqual(['Device.Read.All']);
    } finally {
      await custom.close();
    }
  });
});

describe('Graph authentication and permissions', () => {
  it.each([
    { label: 'no token', token: () => Promise.resolve(null) },
    { label: 'a garbled token', token: () => Promise.resolve('not.a.jwt') },
    { label: 'an expired token', token: () => standIn.mintToken({ expiresInSeconds: -120 }) },
    { label: 'a token for another audience', token: () => standIn.mintToken({ audience: 'https://vault.azure.net' }) },
  ])('answers 401 InvalidAuthenticationToken to $label', async ({ token: make }) => {
    const reply = await call('/v1.0/devices', { token: await make() });
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('InvalidAuthenticationToken');
  });

  it('answers 401 to a batch without a token', async () => {
    const reply = await call('/v1.0/$batch', {
      token: null,
      body: { requests: [{ id: '1', method: 'GET', url: '/devices' }] },
    });
    expect(reply.status).toBe(401);
  });

  it.each([
    {
      route: 'checkMemberGroups',
      path: `/v1.0/users/${ALICE}/checkMemberGroups`,
      body: { groupIds: [ALL_STAFF] },
      missing: ['User.Read.All'],
      enough: ['Directory.Read.All'],
    },
    {
      route: 'devices',
      path: '/v1.0/devices',
      body: undefined,
      missing: ['User.Read.All', 'GroupMember.Read.All'],
      enough: ['Device.Read.All'],
    },
    {
      route: 'user',
      path: `/v1.0/users/${ALICE}?$select=authorizationInfo`,
      body: undefined,
      missing: ['Device.Read.All'],
      enough: ['User.Read.All'],
    },
    {
      route: 'group',
      path: `/v1.0/groups/${ALL_STAFF}?$select=id,displayName`,
      body: undefined,
      missing: ['User.Read.All'],
      enough: ['GroupMember.Read.All'],
    },
    {
      route: 'conditionalAccessPolicies',
      path: '/v1.0/identity/conditionalAccess/policies',
      body: undefined,
      missing: ['Directory.Read.All'],
      enough: ['Policy.Read.All'],
    },
  ])(
    '$route: 403 Authorization_RequestDenied without its permission, 200 with it',
    async ({ path, body, missing, enough }) => {
      const refused = await call(path, { token: await standIn.mintToken({ roles: missing }), body });
      expect(refused.status).toBe(403);
      expect(errorCode(refused)).toBe('Authorization_RequestDenied');
      const allowed = await call(path, { token: await standIn.mintToken({ roles: enough }), body });
      expect(allowed.status).toBe(200);
    },
  );
});

describe('Graph routes', () => {
  it.each([
    {
      label: 'dave: Finance Approvers ⊂ Finance ⊂ All Staff',
      user: 'dave@contoso.example',
      expected: [ALL_STAFF, FINANCE_GROUP_ID, FINANCE_APPROVERS],
    },
    { label: 'carol: Finance ⊂ All Staff', user: 'carol@contoso.example', expected: [ALL_STAFF, FINANCE_GROUP_ID] },
    { label: 'alice by object id: All Staff', user: ALICE, expected: [ALL_STAFF] },
    { label: 'erin: Vendors only', user: 'vendor.erin@contoso.example', expected: [VENDORS_GROUP_ID] },
  ])('checkMemberGroups is transitive ($label)', async ({ user, expected }) => {
    const reply = await checkMemberGroups(user, [
      ALL_STAFF,
      FINANCE_GROUP_ID,
      FINANCE_APPROVERS,
      VENDORS_GROUP_ID,
      PILOT,
    ]);
    expect(reply.status).toBe(200);
    expect(reply.json.value).toEqual(expected);
  });

  it('checkMemberGroups: more than 20 ids is a 400, an unknown user a 404 Request_ResourceNotFound', async () => {
    const tooMany = await checkMemberGroups(
      ALICE,
      Array.from({ length: 21 }, () => ALL_STAFF),
    );
    expect(tooMany.status).toBe(400);
    const unknown = await checkMemberGroups('11111111-2222-4333-8444-555555555555', [ALL_STAFF]);
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('Request_ResourceNotFound');
  });

  it('devices: filtered by deviceId with $select, empty when none, 400 for a filter it does not support', async () => {
    const found = await call(
      `/v1.0/devices?$filter=deviceId eq '${DEV_DEVICE.entraDeviceId}'&$select=id,deviceId,isCompliant,isManaged,trustType,accountEnabled`,
    );
    expect(found.json.value).toEqual([
      {
        id: 'd9675ad6-bebb-4680-8127-09788e9a4f49',
        deviceId: DEV_DEVICE.entraDeviceId,
        isCompliant: true,
        isManaged: true,
        trustType: 'ServerAd',
        accountEnabled: true,
      },
    ]);
    const none = await call("/v1.0/devices?$filter=deviceId eq '11111111-2222-4333-8444-555555555555'");
    expect(none.json.value).toEqual([]);
    const unsupported = await call("/v1.0/devices?$filter=displayName eq 'dev-laptop-01'");
    expect(unsupported.status).toBe(400);
  });

  it('users/{id}?$select=authorizationInfo: the certificate user ids; 404 for an unknown user', async () => {
    const alice = await call(`/v1.0/users/${ALICE}?$select=authorizationInfo`);
    expect(alice.json).toMatchObject({
      id: ALICE,
      authorizationInfo: {
        certificateUserIds: ['X509:<PN>alice@contoso.example', 'X509:<RFC822>alice@contoso.example'],
      },
    });
    const plain = await call(`/v1.0/users/${ALICE}`);
    expect(plain.json.authorizationInfo).toBeUndefined();
    const unknown = await call('/v1.0/users/nobody@contoso.example?$select=authorizationInfo');
    expect(unknown.status).toBe(404);
  });

  it('groups/{id}: the group ($select honoured); 404 for a user, a device or an unknown id; 400 for a non-GUID', async () => {
    const reply = await call(`/v1.0/groups/${ALL_STAFF}?$select=id,displayName`);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ id: ALL_STAFF, displayName: 'All Staff' });
    expect(Object.keys(reply.json as object).filter((key) => !key.startsWith('@'))).toEqual(['id', 'displayName']);
    const devDevice = standIn.directory.devices.find((candidate) => candidate.deviceId === DEV_DEVICE.entraDeviceId);
    for (const id of [
      ALICE,
      devDevice?.id ?? 'the dev device is missing',
      DEV_DEVICE.entraDeviceId,
      '11111111-2222-4333-8444-555555555555',
    ]) {
      const missing = await call(`/v1.0/groups/${id}?$select=id,displayName`);
      expect(missing.status).toBe(404);
      expect(errorCode(missing)).toBe('Request_ResourceNotFound');
    }
    expect((await call('/v1.0/groups/not-a-guid')).status).toBe(400);
  });

  it("conditionalAccess/policies pages with @odata.nextLink (the file's page size, or $top) until every policy is read", async () => {
    const all = standIn.directory.conditionalAccessPolicies.map((policy) => policy.id);
    for (const [query, pageSize] of [
      ['', standIn.directory.conditionalAccessPageSize],
      ['?$top=4', 4],
    ] as const) {
      const seen: string[] = [];
      let next: string | undefined = `${standIn.url}/v1.0/identity/conditionalAccess/policies${query}`;
      let pages = 0;
      while (next !== undefined) {
        const reply = await call(next.slice(standIn.url.length));
        const value = reply.json.value as { id: string }[];
        expect(value.length).toBeLessThanOrEqual(pageSize);
        seen.push(...value.map((policy) => policy.id));
        next = reply.json['@odata.nextLink'] as string | undefined;
        pages += 1;
      }
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / pageSize));
    }
    expect((await call('/v1.0/identity/conditionalAccess/policies?$skiptoken=bogus')).status).toBe(400);
  });

  it('answers an unknown segment with 400 and a wrong method with 405', async () => {
    expect((await call('/v1.0/groups')).status).toBe(400);
    expect((await call('/v1.0/devices', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('JSON batching', () => {
  it('serves each inner request by the same routing and answers by id', async () => {
    const reply = await call('/v1.0/$batch', {
      body: {
        requests: [
          {
            id: 'a',
            method: 'POST',
            url: `/users/${ALICE}/checkMemberGroups`,
            body: { groupIds: [ALL_STAFF, VENDORS_GROUP_ID] },
            headers: { 'Content-Type': 'application/json' },
          },
          {
            id: 'b',
            method: 'GET',
            url: `/devices?$filter=deviceId eq '${DEV_DEVICE.entraDeviceId}'&$select=id,isCompliant`,
          },
          { id: 'c', method: 'GET', url: 'users/nobody@contoso.example?$select=authorizationInfo' },
          { id: 'd', method: 'GET', url: '/groups' },
        ],
      },
    });
    expect(reply.status).toBe(200);
    const responses = new Map(
      (reply.json.responses as { id: string; status: number; body: Record<string, unknown> }[]).map((inner) => [
        inner.id,
        inner,
      ]),
    );
    expect(responses.get('a')).toMatchObject({ status: 200, body: { value: [ALL_STAFF] } });
    expect(responses.get('b')).toMatchObject({ status: 200, body: { value: [{ isCompliant: true }] } });
    expect(responses.get('c')?.status).toBe(404);
    expect(responses.get('d')?.status).toBe(400);
    expect(standIn.calls()).toMatchObject({
      total: 1,
      byRoute: { batch: 1, devices: 0 },
      inBatch: { checkMemberGroups: 1, devices: 1, user: 1 },
      unmatched: 1,
    });
  });

  it('groups/{id} inside a batch: 200 or 404 per item, 403 per item without a group-reading permission, counted as group reads', async () => {
    const requests = [ALL_STAFF, ALICE, VENDORS_GROUP_ID].map((id, index) => ({
      id: String(index),
      method: 'GET',
      url: `/groups/${id}?$select=id,displayName`,
    }));
    const statuses = (reply: Reply) =>
      (reply.json.responses as { id: string; status: number }[]).map((inner) => [inner.id, inner.status]);
    const reply = await call('/v1.0/$batch', { body: { requests } });
    expect(statuses(reply)).toEqual([
      ['0', 200],
      ['1', 404],
      ['2', 200],
    ]);
    expect((reply.json.responses as { body: unknown }[])[2]?.body).toMatchObject({
      id: VENDORS_GROUP_ID,
      displayName: 'Vendors',
    });
    for (const roles of [['GroupMember.Read.All'], ['Group.Read.All'], ['Directory.Read.All']]) {
      const allowed = await call('/v1.0/$batch', { token: await standIn.mintToken({ roles }), body: { requests } });
      expect(statuses(allowed)).toEqual([
        ['0', 200],
        ['1', 404],
        ['2', 200],
      ]);
    }
    const refused = await call('/v1.0/$batch', {
      token: await standIn.mintToken({ roles: ['User.Read.All', 'Device.Read.All', 'Policy.Read.All'] }),
      body: { requests },
    });
    expect(refused.status).toBe(200);
    expect(statuses(refused)).toEqual([
      ['0', 403],
      ['1', 403],
      ['2', 403],
    ]);
    expect(
      (refused.json.responses as { body: { error: { code: string } } }[]).map((inner) => inner.body.error.code),
    ).toEqual(Array.from({ length: 3 }, () => 'Authorization_RequestDenied'));
    expect(standIn.calls()).toMatchObject({ byRoute: { batch: 5, group: 0 }, inBatch: { group: 15 } });
  });

  it.each([
    {
      label: 'more than 20 requests',
      requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/devices' })),
    },
    {
      label: 'a body without Content-Type',
      requests: [{ id: '1', method: 'POST', url: `/users/${ALICE}/checkMemberGroups`, body: { groupIds: [] } }],
    },
    {
      label: 'a repeated id',
      requests: [
        { id: '1', method: 'GET', url: '/devices' },
        { id: '1', method: 'GET', url: '/devices' },
      ],
    },
    { label: 'no requests', requests: [] },
  ])('refuses $label with 400', async ({ requests }) => {
    expect((await call('/v1.0/$batch', { body: { requests } })).status).toBe(400);
  });
});

describe('fault switches', () => {
  const device = DEVICE_PATH;

  it('throttle: 429 TooManyRequests with Retry-After on Graph routes, never on the token endpoint, then ends', async () => {
    standIn.faults.set({ throttle: { requests: 2, retryAfterSeconds: 7 } });
    const throttled = await call(device);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(errorCode(throttled)).toBe('TooManyRequests');
    expect(
      (await call(`/${standIn.tenantId}/oauth2/v2.0/token`, { token: null, form: clientCredentials() })).status,
    ).toBe(200);
    expect((await call(device)).status).toBe(429);
    expect((await call(device)).status).toBe(200);
  });

  it('throttle on named routes only', async () => {
    standIn.faults.set({ throttle: { routes: ['conditionalAccessPolicies'], retryAfterSeconds: 1 } });
    expect((await call(device)).status).toBe(200);
    expect((await call('/v1.0/identity/conditionalAccess/policies')).status).toBe(429);
  });

  it('throttle inside a batch: each inner request gets its 429 and Retry-After, the envelope is 200 unless the batch route is named', async () => {
    standIn.faults.set({ throttle: { retryAfterSeconds: 3 } });
    const requests = [
      { id: '1', method: 'GET', url: '/devices' },
      { id: '2', method: 'GET', url: `/users/${ALICE}` },
    ];
    const inner = await call('/v1.0/$batch', { body: { requests } });
    expect(inner.status).toBe(200);
    expect(inner.json.responses).toEqual([
      expect.objectContaining({ id: '1', status: 429, headers: expect.objectContaining({ 'Retry-After': '3' }) }),
      expect.objectContaining({ id: '2', status: 429, headers: expect.objectContaining({ 'Retry-After': '3' }) }),
    ]);
    standIn.faults.set({ throttle: { routes: ['batch'], retryAfterSeconds: 3 } });
    const envelope = await call('/v1.0/$batch', { body: { requests } });
    expect(envelope.status).toBe(429);
  });

  it.each([500, 503, 504] as const)(
    'serverError %i for a number of requests, with Retry-After only when asked',
    async (status) => {
      standIn.faults.set({ serverError: { status, requests: 1 } });
      const failed = await call(device);
      expect(failed.status).toBe(status);
      expect(failed.headers.get('retry-after')).toBeNull();
      expect((await call(device)).status).toBe(200);
      standIn.faults.set({ serverError: { status, requests: 1, retryAfterSeconds: 2 } });
      expect((await call(device)).headers.get('retry-after')).toBe('2');
    },
  );

  it('latency: the answer is held back (a client that gives up sooner gets nothing)', async () => {
    standIn.faults.set({ latency: { delayMs: 10_000, requests: 1 } });
    await expect(
      fetch(`${standIn.url}${device}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toThrow();
    expect((await call(device)).status).toBe(200);
  });

  it('malformed: a 200 whose JSON is cut off', async () => {
    standIn.faults.set({ malformed: { requests: 1 } });
    const reply = await call(device);
    expect(reply.status).toBe(200);
    expect(() => JSON.parse(reply.text) as unknown).toThrow();
  });

  it('time windows end by the clock, request counts by use', () => {
    let now = 1_000_000;
    const faults = new GraphFaults(() => now);
    faults.set({ throttle: { forSeconds: 30 }, serverError: { requests: 1, routes: ['group'] } });
    expect(faults.verdictFor('devices').answer).toEqual({ kind: 'throttle', retryAfterSeconds: 30 });
    now += 29_000;
    expect(faults.verdictFor('devices').answer).toEqual({ kind: 'throttle', retryAfterSeconds: 1 });
    now += 1_000;
    expect(faults.verdictFor('devices').answer).toBeUndefined();
    expect(faults.verdictFor('group').answer).toEqual({
      kind: 'server-error',
      status: 503,
      retryAfterSeconds: undefined,
    });
    expect(faults.verdictFor('group').answer).toBeUndefined();
    expect(faults.current()).toEqual({});
  });

  it('are settable, readable and clearable over HTTP as JSON; bad settings are a 400', async () => {
    const set = await call('/_standin/faults', {
      method: 'PUT',
      token: null,
      body: { throttle: { retryAfterSeconds: 5, routes: ['devices'] } },
    });
    expect(set.status).toBe(200);
    expect((await call(device)).status).toBe(429);
    expect((await call('/_standin/faults', { token: null })).json).toEqual({
      throttle: { retryAfterSeconds: 5, routes: ['devices'] },
    });
    expect(
      (await call('/_standin/faults', { method: 'PUT', token: null, body: { throttle: { routes: ['nowhere'] } } }))
        .status,
    ).toBe(400);
    expect((await call('/_standin/faults', { method: 'DELETE', token: null })).json).toEqual({});
    expect((await call(device)).status).toBe(200);
  });
});

describe('call counters', () => {
  it('count Graph round trips by route, batches once with their inner requests apart, and tokens apart', async () => {
    await call(DEVICE_PATH);
    await call(DEVICE_PATH);
    await call('/v1.0/identity/conditionalAccess/policies');
    await call(`/${standIn.tenantId}/oauth2/v2.0/token`, { token: null, form: clientCredentials() });
    await call('/v1.0/$batch', { body: { requests: [{ id: '1', method: 'GET', url: '/devices' }] } });
    const counts = standIn.calls();
    expect(counts).toMatchObject({
      total: 4,
      byRoute: { devices: 2, conditionalAccessPolicies: 1, batch: 1 },
      inBatch: { devices: 1 },
      token: 1,
    });
    expect((await call('/_standin/calls', { token: null })).json).toMatchObject({ total: 4 });
    expect((await call('/_standin/calls', { method: 'DELETE', token: null })).json).toMatchObject({ total: 0 });
    expect(standIn.calls().total).toBe(0);
  });
});

describe('start-up', () => {
  it('binds loopback only', async () => {
    await expect(startGraphStandIn({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('refuses a directory file that does not hold together', async () => {
    const broken = {
      ...standIn.directory,
      groups: [{ id: PILOT, displayName: 'x', members: ['11111111-2222-4333-8444-555555555555'] }],
    };
    await expect(startGraphStandIn({ directory: broken })).rejects.toThrow(/neither a user nor a group/);
  });
});
