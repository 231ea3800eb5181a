/**
 * `/api/manage/posture` through its real handler: real `HttpRequest` / `InvocationContext`
 * objects, real Entra-shaped tokens from the dev token issuer, the report store and the policy
 * store on Azurite, and an in-memory Directory whose answers each test sets.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { DEV_TENANT_ID, DEV_TOKEN_AUDIENCE, startDevTokenIssuer, type DevTokenIssuer } from '../../dev/tokens/index.js';
import { BlobPostureReports } from '../../shared/adapters/blobPostureReports.js';
import { createContainerClient } from '../../shared/adapters/storageClients.js';
import { buildServices, type Services } from '../../shared/composition.js';
import { DirectoryError, type ConditionalAccessPolicy, type Directory } from '../../shared/ports.js';

const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
const clock = { now: () => new Date() };

let azurite: Azurite;
let issuer: DevTokenIssuer;
let base: Services;
let handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
let services: Services;
let listing: () => Promise<ConditionalAccessPolicy[]>;
const tokens = { admin: '', reader: '', none: '' };

const directory: Directory = {
  answer: () => Promise.reject(new Error('not used by the posture report')),
  findGroups: () => Promise.reject(new Error('not used by the posture report')),
  listConditionalAccessPolicies: () => listing(),
};

const routingForSomeUsers: ConditionalAccessPolicy = {
  id: 'ca-route',
  displayName: 'Route browser sessions',
  state: 'enabled',
  conditions: {
    applications: { includeApplications: ['All'] },
    users: { includeUsers: ['All'], excludeUsers: ['22222222-2222-4333-8444-555555555555'] },
    clientAppTypes: ['browser'],
  },
  sessionControls: { cloudAppSecurity: { isEnabled: true, cloudAppSecurityType: 'mcasConfigured' } },
};

async function call(
  method: 'GET' | 'POST',
  token?: string,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const request = new HttpRequest({
    method,
    url: 'http://127.0.0.1/api/manage/posture',
    headers: { 'x-functions-key': 'unused-by-the-handler', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const context = new InvocationContext({
    invocationId: 'posture-test',
    functionName: 'manage-posture',
    logHandler: () => undefined,
  });
  const response = await handler(request, context);
  return {
    status: response.status ?? 200,
    headers: new Headers(response.headers),
    body: response.jsonBody as Record<string, unknown>,
  };
}

beforeAll(async () => {
  installFunctionsCore();
  azurite = await startAzurite();
  issuer = await startDevTokenIssuer({ host: '127.0.0.1', port: 0, tenantId: DEV_TENANT_ID });
  base = buildServices(
    {
      CERTGATE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      CERTGATE_TABLE_PREFIX: 'posture',
      CERTGATE_GATEWAY_SECRETS: 'posture-gateway-secret-0123456789',
      CERTGATE_MANAGEMENT_TOKEN_ISSUER: issuer.issuer,
      CERTGATE_MANAGEMENT_TOKEN_AUDIENCE: DEV_TOKEN_AUDIENCE,
      CERTGATE_MANAGEMENT_JWKS_URI: issuer.jwksUri,
      CERTGATE_CONFIG_REFRESH_SECONDS: '0',
      CERTGATE_GRAPH_ENABLED: 'false',
    },
    clock,
  );
  services = { ...base, directory };
  const { createManagePosture } = await import('../../functions/managePosture.js');
  handler = createManagePosture(() => services);
  await base.policyStore.put(
    'app',
    'portal',
    { id: 'portal', name: 'Portal', hosts: [{ host: 'portal.contoso.example' }], entraAppId: APP },
    'test',
  );
  await base.policyStore.put(
    'policy',
    'portal',
    {
      id: 'portal',
      name: 'Portal',
      state: 'enabled',
      priority: 1,
      conditions: { apps: { include: [{ appId: 'portal' }] } },
      action: 'block',
    },
    'test',
  );
  tokens.admin = await issuer.mint({
    oid: '00000000-0000-4000-8000-0000000000ad',
    upn: 'admin@contoso.example',
    roles: ['Certgate.Admin'],
    audience: DEV_TOKEN_AUDIENCE,
  });
  tokens.reader = await issuer.mint({
    oid: '00000000-0000-4000-8000-0000000000ee',
    upn: 'reader@contoso.example',
    roles: ['Certgate.Reader'],
    audience: DEV_TOKEN_AUDIENCE,
  });
  tokens.none = await issuer.mint({
    oid: '00000000-0000-4000-8000-0000000000ff',
    upn: 'nobody@contoso.example',
    roles: [],
    audience: DEV_TOKEN_AUDIENCE,
  });
});
afterAll(async () => {
  await issuer.close();
  await azurite.close();
});

describe('/api/manage/posture', () => {
  it('registers GET and POST on manage/posture behind a function key', () => {
    expect(registeredFunctions().find((f) => f.name === 'manage-posture')?.trigger).toMatchObject({
      type: 'httpTrigger',
      route: 'api/manage/posture',
      authLevel: 'function',
      methods: ['GET', 'POST'],
    });
  });

  it('before any run: 404 posture-report-not-found', async () => {
    const answer = await call('GET', tokens.reader);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: 'posture-report-not-found' } });
  });

  it.each([
    { label: 'no token', method: 'GET' as const, token: undefined, status: 401, code: 'token-missing' },
    { label: 'no role', method: 'GET' as const, token: 'none' as const, status: 403, code: 'role-missing' },
    {
      label: 'reader running the report',
      method: 'POST' as const,
      token: 'reader' as const,
      status: 403,
      code: 'role-missing',
    },
  ])('refuses $label', async ({ method, token, status, code }) => {
    const answer = await call(method, token ? tokens[token] : undefined);
    expect(answer.status).toBe(status);
    expect((answer.body.error as { code: string }).code).toBe(code);
  });

  it('an admin runs it: 200 with the report, which readers then get', async () => {
    listing = () => Promise.resolve([routingForSomeUsers]);
    const run = await call('POST', tokens.admin);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      kind: 'conditional-access-posture',
      summary: { status: 'complete', protectedApps: 1, gaps: { high: 0, medium: 1 } },
      gaps: [{ code: 'app-routed-for-some-users', severity: 'medium', appId: APP }],
    });
    const latest = await call('GET', tokens.reader);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual(run.body);
  });

  it.each([
    { kind: 'throttled' as const, retryAfter: 30, status: 503, code: 'posture-graph-unavailable' },
    { kind: 'unavailable' as const, retryAfter: undefined, status: 503, code: 'posture-graph-unavailable' },
    { kind: 'timeout' as const, retryAfter: undefined, status: 503, code: 'posture-graph-unavailable' },
    { kind: 'denied' as const, retryAfter: undefined, status: 503, code: 'posture-graph-denied' },
    { kind: 'invalid' as const, retryAfter: undefined, status: 502, code: 'posture-graph-rejected' },
  ])(
    'Graph $kind: $status $code with the failed report; the last complete report stays the latest, marked',
    async ({ kind, retryAfter, status, code }) => {
      listing = () => Promise.reject(new DirectoryError(kind, `Graph ${kind}`, retryAfter));
      const run = await call('POST', tokens.admin);
      expect(run.status).toBe(status);
      expect(run.body).toMatchObject({ error: { code, report: { summary: { status: 'failed', error: { kind } } } } });
      expect(run.headers.get('retry-after')).toBe(retryAfter === undefined ? null : String(retryAfter));
      expect((await call('GET', tokens.reader)).body).toMatchObject({
        summary: { status: 'complete' },
        lastFailedRun: { error: { kind, message: `Graph ${kind}` } },
      });
    },
  );

  it('Graph turned off: 409 posture-graph-disabled, and the saved report says so', async () => {
    services = base;
    try {
      const run = await call('POST', tokens.admin);
      expect(run.status).toBe(409);
      expect(run.body).toMatchObject({
        error: { code: 'posture-graph-disabled', report: { summary: { status: 'graph-disabled' } } },
      });
      expect((await call('GET', tokens.reader)).body).toMatchObject({ summary: { status: 'graph-disabled' } });
    } finally {
      services = { ...base, directory };
    }
  });

  it('report storage down: 503 store-unavailable, not 500', async () => {
    const dead = azurite.connectionString.replace(
      /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      'BlobEndpoint=http://127.0.0.1:9',
    );
    services = {
      ...base,
      directory,
      postureReports: new BlobPostureReports(
        createContainerClient({ kind: 'connection-string', connectionString: dead }, 'posture-reports'),
      ),
    };
    listing = () => Promise.resolve([routingForSomeUsers]);
    try {
      expect(await call('GET', tokens.reader)).toMatchObject({
        status: 503,
        body: { error: { code: 'store-unavailable' } },
      });
      expect(await call('POST', tokens.admin)).toMatchObject({
        status: 503,
        body: { error: { code: 'store-unavailable' } },
      });
    } finally {
      services = { ...base, directory };
    }
  }, 60_000);
});
