/**
 * Access policies end to end: managed through the API on Azurite, enforced by authorize on the
 * next request (CONFIG_REFRESH 0), explained in the response and the per-policy trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

let stack: Stack;
const secret = 'policies-gateway-secret-0123456789';
const key = () => ({ 'x-functions-key': 'policies-function-key', authorization: `Bearer ${stack.tokens.adminToken}` });

beforeAll(async () => {
  stack = await startEphemeralStack('policies', {
    CERTGATE_GATEWAY_SECRETS: secret,
    CERTGATE_TRUSTED_PROXIES: '127.0.0.1/32',
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function authorize(from: string, certificate?: 'alice') {
  const headers: Record<string, string> = {
    'x-forwarded-for': from,
    'x-forwarded-host': 'portal.contoso.example',
    'x-certgate-gateway-secret': secret,
    accept: 'application/json',
  };
  if (certificate) headers['x-client-certificate'] = encodeURIComponent(stack.pki.users[certificate]!.certPem);
  const res = await fetch(`${stack.hostUrl}/api/authorize`, { headers });
  return {
    status: res.status,
    body: (await res.json()) as { decision: string; reasons: string[]; decidedBy?: string; blockMessage?: string },
  };
}

async function manage(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: { ...key(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
  };
}

const outsidePolicy = {
  name: 'Require a certificate outside the corporate network',
  state: 'enabled',
  priority: 10,
  conditions: {
    locations: { include: ['any'], exclude: ['tag:corporate'] },
    deviceTags: { notEquals: ['valid-client-certificate'] },
  },
  action: 'block',
  blockMessage: 'Use a device managed by Contoso.',
};

describe('access policies through the management API', () => {
  it('without policies the built-in rule stands: a valid client certificate is required', async () => {
    expect((await authorize('10.20.1.1')).body.reasons).toEqual(['client-certificate-required']);
  });

  it('rejects documents that do not fit the model, naming the field', async () => {
    const bad = await manage('PUT', 'policies/require-cert-outside', { ...outsidePolicy, action: 'deny' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'policy-invalid', issues: [expect.objectContaining({ path: 'action' })] },
    });
    const missingLocation = await manage('PUT', 'policies/require-cert-outside', outsidePolicy);
    expect(missingLocation.status).toBe(400);
    expect(missingLocation.body).toMatchObject({
      error: {
        issues: [expect.objectContaining({ path: 'conditions.locations.exclude[0]', code: 'unknown-location-tag' })],
      },
    });
  });

  it('blocks outside the corporate range without a certificate, and allows inside or with one', async () => {
    expect(
      (
        await manage('PUT', 'locations/corporate', {
          name: 'Corporate network',
          ranges: ['10.20.0.0/16', 'fd00:20::/32'],
          tags: ['corporate'],
        })
      ).status,
    ).toBe(201);
    expect(
      (await manage('PUT', 'apps/portal', { name: 'Portal', hosts: [{ host: 'portal.contoso.example' }] })).status,
    ).toBe(201);
    expect((await manage('PUT', 'settings', { baseline: 'allow', failMode: 'closed' })).status).toBe(200);
    expect((await manage('PUT', 'policies/require-cert-outside', outsidePolicy)).status).toBe(201);

    const outside = await authorize('203.0.113.5');
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({
      decision: 'block',
      reasons: ['policy-block', 'client-certificate-required'],
      decidedBy: 'require-cert-outside',
      blockMessage: 'Use a device managed by Contoso.',
    });
    expect((await authorize('10.20.1.1')).body).toMatchObject({
      decision: 'allow',
      reasons: ['baseline-allow', 'client-certificate-required'],
    });
    expect((await authorize('203.0.113.5', 'alice')).body).toMatchObject({
      decision: 'allow',
      reasons: ['baseline-allow', 'client-certificate-valid', 'certificate-valid'],
    });
  });

  it('report-only is evaluated but not enforced', async () => {
    const current = await manage('GET', 'policies/require-cert-outside');
    const updated = await manage(
      'PUT',
      'policies/require-cert-outside',
      { ...outsidePolicy, state: 'report-only' },
      { 'if-match': current.etag! },
    );
    expect(updated.status).toBe(200);
    expect((await authorize('203.0.113.5')).body).toMatchObject({
      decision: 'allow',
      reasons: ['baseline-allow', 'client-certificate-required'],
    });
    expect(
      (await manage('PUT', 'policies/require-cert-outside', outsidePolicy, { 'if-match': current.etag! })).status,
    ).toBe(412);
    const again = await manage('GET', 'policies/require-cert-outside');
    expect(
      (await manage('PUT', 'policies/require-cert-outside', outsidePolicy, { 'if-match': again.etag! })).status,
    ).toBe(200);
  });

  it('what-if evaluates a hypothetical request with the full trace', async () => {
    const without = await manage('POST', 'whatif', {
      clientIp: '203.0.113.5',
      app: { host: 'portal.contoso.example', path: '/' },
    });
    expect(without.status).toBe(200);
    expect(without.body).toMatchObject({
      effect: 'block',
      reasons: ['policy-block', 'client-certificate-required'],
      policy: { decidedBy: 'require-cert-outside' },
    });
    const policies = (
      without.body.policy as {
        policies: { id: string; outcome: string; conditions: { condition: string; result: string }[] }[];
      }
    ).policies;
    expect(policies[0]).toMatchObject({
      id: 'require-cert-outside',
      outcome: 'applies',
      conditions: expect.arrayContaining([expect.objectContaining({ condition: 'locations', result: 'match' })]),
    });
    const alice = await manage('POST', 'whatif', {
      certificate: stack.pki.users.alice!.certPem,
      clientIp: '203.0.113.5',
      app: { host: 'portal.contoso.example' },
    });
    expect(alice.body).toMatchObject({
      effect: 'allow',
      deviceTags: ['valid-client-certificate'],
      trace: expect.arrayContaining([expect.objectContaining({ check: 'signature' })]),
    });
    const later = await manage('POST', 'whatif', {
      certificate: stack.pki.users.alice!.certPem,
      clientIp: '203.0.113.5',
      time: '2099-01-01T00:00:00Z',
      app: { id: 'portal' },
    });
    expect(later.body).toMatchObject({
      effect: 'block',
      reasons: ['policy-block', 'client-certificate-invalid', 'certificate-expired'],
    });
    expect((await manage('POST', 'whatif', { clientIp: 'not-an-ip' })).status).toBe(400);
  });

  it('refuses to delete a location a policy uses', async () => {
    expect(await manage('DELETE', 'locations/corporate')).toMatchObject({
      status: 409,
      body: { error: { code: 'location-in-use' } },
    });
  });

  it('exports, dry-runs and imports the whole configuration', async () => {
    const exported = await manage('GET', 'configuration');
    expect(exported.body).toMatchObject({
      schemaVersion: 1,
      policies: [expect.objectContaining({ id: 'require-cert-outside' })],
      locations: [expect.objectContaining({ id: 'corporate' })],
    });
    expect((await manage('POST', 'configuration?dryRun=true', exported.body)).body).toEqual({
      dryRun: true,
      changes: [],
    });
    const changed = {
      ...exported.body,
      policies: [],
      settings: { baseline: 'require-valid-certificate', failMode: 'closed' },
    };
    const dry = await manage('POST', 'configuration?dryRun=true', changed);
    expect(dry.body.changes).toEqual(
      expect.arrayContaining([
        { kind: 'policy', id: 'require-cert-outside', change: 'remove' },
        { kind: 'settings', id: 'settings', change: 'update' },
      ]),
    );
    expect((await authorize('203.0.113.5')).status).toBe(403);
    expect((await manage('POST', 'configuration', changed, { 'if-match': 'stale-version' })).status).toBe(412);
    expect((await manage('POST', 'configuration', changed, { 'if-match': exported.etag! })).status).toBe(200);
    // No policy left: the baseline, a valid client certificate is required.
    expect((await authorize('10.20.1.1')).body.reasons).toEqual(['client-certificate-required']);
  });

  it('keeps an audit trail of the changes', async () => {
    const audit = await manage('GET', 'audit?limit=20');
    const entries = audit.body.entries as { action: string; kind: string; id: string; actor: string }[];
    expect(entries[0]).toMatchObject({ kind: expect.any(String), actor: 'admin@contoso.example' });
    expect(
      entries.some((e) => e.action === 'remove' || (e.action === 'delete' && e.id === 'require-cert-outside')),
    ).toBe(true);
    expect(entries.some((e) => e.action === 'create' && e.id === 'corporate')).toBe(true);
  });
});
