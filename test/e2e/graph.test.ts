/**
 * Microsoft Graph end to end: policies on a group and on the `compliant` device tag, evaluated
 * through the local mTLS gateway with user tokens; memberships (nested) and device state come from
 * the Graph stand-in over https through the production adapter and the directory cache. A cache
 * hit makes no Graph call; a throttled Graph gives no 5xx and the decision follows the fail mode;
 * group ids are checked against Graph when a policy is saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, issuerCredentialsOf } from '../../dev/pki/index.js';
import { DEV_APP_AUDIENCE, startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';

const FINANCE = '2d8e4f60-7a1b-4c3d-8e9f-0a1b2c3d4e5f';
const VENDORS = '6f1c2a9e-3b4d-4e8f-9a01-5c7d2e4b8f10';
let stack: Stack;

const configuration = (failMode: 'closed' | 'open') => ({
  schemaVersion: 1,
  settings: { baseline: 'allow', failMode },
  locations: [],
  apps: [
    { id: 'finance-app', name: 'Finance', hosts: [{ host: 'finance-app.contoso.example' }] },
    { id: 'hr-app', name: 'HR', hosts: [{ host: 'hr-app.contoso.example' }] },
  ],
  policies: [
    {
      id: 'finance-needs-compliant-device',
      name: 'Finance needs a compliant device',
      state: 'enabled',
      priority: 10,
      conditions: {
        apps: { include: [{ appId: 'finance-app' }] },
        users: { include: { groups: [FINANCE] } },
        deviceTags: { notEquals: ['compliant'] },
      },
      action: 'block',
      blockMessage: 'Finance apps need a compliant device.',
    },
    {
      id: 'no-vendors-in-hr',
      name: 'Vendors have no access to HR',
      state: 'enabled',
      priority: 20,
      conditions: { apps: { include: [{ appId: 'hr-app' }] }, users: { include: { groups: [VENDORS] } } },
      action: 'block',
    },
  ],
});

async function manage(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: {
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

type Body = { decision: string; reasons: string[]; decidedBy?: string; deviceTags: string[] };
async function decide(app: string, upn: string, certificate?: 'device' | 'alice') {
  const token = await stack.tokens.mint(upn, [], DEV_APP_AUDIENCE);
  const client = certificate
    ? { certPath: stack.pki.users[certificate]!.certPath, keyPath: stack.pki.users[certificate]!.keyPath }
    : undefined;
  const result = await gatewayRequest(stack, '/api/authorize', client, {
    host: `${app}.contoso.example`,
    authorization: `Bearer ${token}`,
    accept: 'application/json',
  });
  return { status: result.status, body: result.body as Body };
}

beforeAll(async () => {
  stack = await startEphemeralStack('graphe2e', { CERTGATE_CONFIG_REFRESH_SECONDS: '0' });
  const imported = await manage('POST', 'configuration', configuration('closed'));
  expect(imported.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

// Before the throttling test: afterwards the cache honours Graph's Retry-After for 30 s.
describe('device certificates', () => {
  it('a certificate with a GUID that is no Entra device is a user certificate: bob cannot use one that is not his', async () => {
    const issued = await issueCertificate({
      subject: 'CN=7d0c4e55-1f2a-4b3c-9d8e-0a1b2c3d4e5f, O=Contoso Dev',
      issuer: await issuerCredentialsOf(stack.pki.intermediate),
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 86_400_000),
      extKeyUsage: ['clientAuth'],
      san: { upn: ['alice@contoso.example'] },
      crlDistributionUrl: stack.pki.crls.intermediate.url,
    });
    const token = await stack.tokens.mint('bob@contoso.example', [], DEV_APP_AUDIENCE);
    const res = await fetch(`${stack.hostUrl}/api/authorize`, {
      headers: {
        'x-forwarded-host': 'finance-app.contoso.example',
        'x-client-certificate': encodeURIComponent(issued.cert.pem),
        [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
        authorization: `Bearer ${token}`,
        accept: 'application/json',
      },
    });
    // The policies decide the effect (bob is not in Finance: default allow), but the certificate
    // does not count as his: no valid-client-certificate tag, and the reason says why.
    const body = (await res.json()) as Body;
    expect(body.reasons, JSON.stringify(body)).toContain('client-certificate-not-bound-to-user');
    expect(body.deviceTags).not.toContain('valid-client-certificate');
  });
});

describe('policies on Graph data, through the gateway', () => {
  it('a nested Finance member on the compliant, hybrid-joined device is allowed; the device tags come from Graph', async () => {
    const result = await decide('finance-app', 'dave@contoso.example', 'device');
    expect(result.status).toBe(200);
    expect(result.body.deviceTags).toEqual(
      expect.arrayContaining(['valid-client-certificate', 'compliant', 'hybrid-joined']),
    );
  });

  it('the same member without the device is blocked by the Finance policy', async () => {
    const result = await decide('finance-app', 'dave@contoso.example');
    expect(result.status).toBe(403);
    expect(result.body).toMatchObject({
      reasons: expect.arrayContaining(['policy-block']),
      decidedBy: 'finance-needs-compliant-device',
    });
  });

  it('a user outside Finance is not targeted; a vendor is blocked from HR by group', async () => {
    expect((await decide('finance-app', 'alice@contoso.example', 'alice')).status).toBe(200);
    const vendor = await decide('hr-app', 'vendor.erin@contoso.example');
    expect(vendor.status).toBe(403);
    expect(vendor.body.decidedBy).toBe('no-vendors-in-hr');
  });

  it('a decision whose Graph data is cached makes no Graph call', async () => {
    await decide('finance-app', 'dave@contoso.example', 'device');
    stack.graph.reset();
    const result = await decide('finance-app', 'dave@contoso.example', 'device');
    expect(result.status).toBe(200);
    expect(stack.graph.calls().total).toBe(0);
  });

  it('Graph throttling: no 5xx; cached answers still decide; unknown memberships follow the fail mode (closed, then open)', async () => {
    stack.graph.faults.set({ throttle: { forSeconds: 30, retryAfterSeconds: 30 } });
    try {
      const closed = await decide('finance-app', 'carol@contoso.example');
      expect(closed.status).toBe(403);
      expect(closed.body.reasons).toContain('policy-unknown-fail-closed');
      expect((await decide('finance-app', 'dave@contoso.example', 'device')).status).toBe(200);
      const calls = stack.graph.calls().total;
      for (let i = 0; i < 5; i++) expect((await decide('finance-app', 'carol@contoso.example')).status).toBe(403);
      expect(stack.graph.calls().total).toBe(calls); // Retry-After honoured: no call until it passes
      expect((await manage('PUT', 'settings', { baseline: 'allow', failMode: 'open' })).status).toBe(200);
      const open = await decide('finance-app', 'carol@contoso.example');
      expect(open.status).toBe(200);
    } finally {
      stack.graph.faults.clear();
      await manage('PUT', 'settings', { baseline: 'allow', failMode: 'closed' });
    }
  });
});

describe('group ids are checked against Graph when a policy is saved', () => {
  it('an unknown group id is a 422 naming it; an existing one is accepted', async () => {
    const typo = '2d8e4f60-7a1b-4c3d-8e9f-0a1b2c3d4e50';
    const policy = (group: string) => ({
      name: 'Typo test',
      state: 'report-only',
      priority: 90,
      conditions: { users: { include: { groups: [group] } } },
      action: 'monitor',
    });
    const refused = await manage('PUT', 'policies/typo-test', policy(typo));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: {
        code: 'policy-unknown-group',
        issues: [{ path: 'conditions.users.include.groups[0]', code: 'unknown-group' }],
      },
    });
    expect((await manage('PUT', 'policies/typo-test', policy(FINANCE))).status).toBe(201);
  });
});
