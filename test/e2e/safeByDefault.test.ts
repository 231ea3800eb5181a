/**
 * Safe by default, end to end on the functions host (Azurite, the dev PKI), for review findings
 * 1–3 of step 6: report-only and disabled policies never change an effect, an enabled policy for
 * one app never opens another, the app comes from the host the gateway saw (never from the
 * client), and forwarded facts count only with the gateway proof. Written to fail on the code
 * before registered apps and the baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';
import type { DevPkiClientName } from '../../dev/pki/devPki.js';

let stack: Stack;
const secret = 'safe-default-gateway-secret-0123456789';
const key = () => ({
  'x-functions-key': 'safedefault-function-key',
  authorization: `Bearer ${stack.tokens.adminToken}`,
});

beforeAll(async () => {
  stack = await startEphemeralStack('safedefault', {
    CERTGATE_GATEWAY_SECRETS: secret,
    CERTGATE_TRUSTED_PROXIES: '127.0.0.1/32',
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

interface Answer {
  readonly status: number;
  readonly body: { decision: string; reasons: string[]; decidedBy?: string; app?: { id?: string; reason?: string } };
}

/**
 * A request as the gateway forwards it (secret, XFF, original host), or as an attacker sends it straight to the
 * functions.
 */
async function authorize(
  options: {
    certificate?: DevPkiClientName;
    host?: string;
    from?: string;
    viaGateway?: boolean;
    query?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.viaGateway !== false) headers['x-certgate-gateway-secret'] = secret;
  if (options.from) headers['x-forwarded-for'] = options.from;
  if (options.host) headers['x-forwarded-host'] = options.host;
  if (options.certificate)
    headers['x-client-certificate'] = encodeURIComponent(stack.pki.users[options.certificate]!.certPem);
  const res = await fetch(`${stack.hostUrl}/api/authorize${options.query ?? ''}`, { headers });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
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

const BAD_CERTIFICATES = ['expired', 'untrusted', 'no-client-auth', 'not-yet-valid'] as const;

async function expectCertificateRule(host?: string): Promise<void> {
  for (const certificate of BAD_CERTIFICATES) {
    expect(
      (await authorize({ certificate, ...(host ? { host } : {}) })).status,
      `${certificate} at ${host ?? 'no host'}`,
    ).toBe(403);
  }
  expect((await authorize(host ? { host } : {})).status, `no certificate at ${host ?? 'no host'}`).toBe(403);
  const alice = await authorize({ certificate: 'alice', ...(host ? { host } : {}) });
  expect(alice.status, `alice at ${host ?? 'no host'}: ${JSON.stringify(alice.body)}`).toBe(200);
}

const officePolicy = {
  name: 'Payroll from the office without a certificate',
  state: 'enabled',
  priority: 10,
  conditions: { apps: { include: [{ appId: 'payroll' }] }, locations: { include: ['tag:corporate'] } },
  action: 'allow',
};

describe('safe by default', () => {
  it('with no policies, a valid client certificate is required', async () => {
    await expectCertificateRule();
  });

  it('registers apps by host, validated, with an unknown app id refused in a policy', async () => {
    expect(
      (await manage('PUT', 'locations/office', { name: 'Office', ranges: ['10.20.0.0/16'], tags: ['corporate'] }))
        .status,
    ).toBe(201);
    expect(
      (await manage('PUT', 'apps/payroll', { name: 'Payroll', hosts: [{ host: 'payroll.contoso.example' }] })).status,
    ).toBe(201);
    expect((await manage('PUT', 'apps/wiki', { name: 'Wiki', hosts: [{ host: 'wiki.contoso.example' }] })).status).toBe(
      201,
    );
    const clash = await manage('PUT', 'apps/payroll-copy', {
      name: 'Copy',
      hosts: [{ host: 'PAYROLL.contoso.example' }],
    });
    expect(clash).toMatchObject({
      status: 400,
      body: { error: { code: 'policy-invalid', issues: [expect.objectContaining({ code: 'duplicate-app-route' })] } },
    });
    const unknownApp = await manage('PUT', 'policies/office-payroll', {
      ...officePolicy,
      conditions: { ...officePolicy.conditions, apps: { include: [{ appId: 'pay-roll' }] } },
    });
    expect(unknownApp).toMatchObject({
      status: 400,
      body: {
        error: { issues: [expect.objectContaining({ path: 'conditions.apps.include[0].appId', code: 'unknown-app' })] },
      },
    });
    expect(
      (await manage('PUT', 'apps/x', { name: 'X', hosts: [{ host: 'x.example', pathPrefix: 'no-slash' }] })).status,
    ).toBe(400);
  });

  it('a report-only policy for another app changes no effect (finding 1)', async () => {
    const reportOnly = {
      name: 'Wiki report-only',
      state: 'report-only',
      priority: 5,
      conditions: { apps: { include: [{ appId: 'wiki' }] } },
      action: 'allow',
    };
    expect((await manage('PUT', 'policies/wiki-report-only', reportOnly)).status).toBe(201);
    await expectCertificateRule();
    await expectCertificateRule('wiki.contoso.example');
    await expectCertificateRule('payroll.contoso.example');
  });

  it('an enabled policy for one app leaves every other app under the baseline (finding 1)', async () => {
    expect((await manage('PUT', 'policies/office-payroll', officePolicy)).status).toBe(201);
    // From the office, payroll needs no certificate: the policy says so.
    expect(await authorize({ host: 'payroll.contoso.example', from: '10.20.1.1' })).toMatchObject({
      status: 200,
      body: {
        reasons: ['policy-allow', 'client-certificate-required'],
        decidedBy: 'office-payroll',
        app: { id: 'payroll' },
      },
    });
    // Everything the policy does not cover stays under "a valid certificate is required".
    await expectCertificateRule('payroll.contoso.example');
    await expectCertificateRule('wiki.contoso.example');
    await expectCertificateRule('unregistered.contoso.example');
    expect((await authorize({ host: 'unregistered.contoso.example', from: '10.20.1.1' })).body).toMatchObject({
      decision: 'block',
      reasons: ['client-certificate-required'],
      app: { reason: 'app-unregistered' },
    });
  });

  it('the client cannot choose the app (finding 2)', async () => {
    for (const choice of [{ query: '?app=payroll' }, { headers: { 'x-certgate-app': 'payroll' } }]) {
      expect((await authorize({ ...choice, host: 'wiki.contoso.example', from: '10.20.1.1' })).status).toBe(403);
      expect((await authorize({ ...choice, from: '10.20.1.1' })).status).toBe(403);
    }
  });

  it('forwarded facts count only with the gateway proof (finding 3)', async () => {
    // Straight to the functions, no secret: the office address and the payroll host are the client's word.
    const spoofed = await authorize({ viaGateway: false, host: 'payroll.contoso.example', from: '10.20.1.1' });
    expect(spoofed.status).toBe(403);
    expect(spoofed.body.decidedBy).toBeUndefined();
  });

  it('disabling and report-only never open what the baseline closes; baseline allow / block only by setting', async () => {
    const current = await manage('GET', 'policies/office-payroll');
    expect(
      (
        await manage(
          'PUT',
          'policies/office-payroll',
          { ...officePolicy, state: 'report-only' },
          { 'if-match': current.etag! },
        )
      ).status,
    ).toBe(200);
    expect((await authorize({ host: 'payroll.contoso.example', from: '10.20.1.1' })).status).toBe(403);
    expect((await manage('PUT', 'settings', { defaultAction: 'allow', failMode: 'closed' })).body).toMatchObject({
      error: { issues: [expect.objectContaining({ path: 'defaultAction' })] },
    });
    expect((await manage('PUT', 'settings', { baseline: 'allow', failMode: 'closed' })).status).toBe(200);
    expect(await authorize({ host: 'wiki.contoso.example', certificate: 'expired' })).toMatchObject({
      status: 200,
      body: { reasons: ['baseline-allow', 'client-certificate-invalid', 'certificate-expired'] },
    });
    expect((await manage('PUT', 'settings', { baseline: 'block', failMode: 'closed' })).status).toBe(200);
    expect(await authorize({ host: 'wiki.contoso.example', certificate: 'alice' })).toMatchObject({
      status: 403,
      body: { reasons: ['baseline-block', 'client-certificate-valid', 'certificate-valid'] },
    });
    expect(
      (await manage('PUT', 'settings', { baseline: 'require-valid-certificate', failMode: 'closed' })).status,
    ).toBe(200);
    await expectCertificateRule('wiki.contoso.example');
  });

  it('an app a policy names cannot be deleted', async () => {
    expect(await manage('DELETE', 'apps/payroll')).toMatchObject({
      status: 409,
      body: { error: { code: 'app-in-use' } },
    });
    expect((await manage('DELETE', 'apps/wiki')).status).toBe(409);
    expect((await manage('DELETE', 'policies/wiki-report-only')).status).toBe(204);
    expect((await manage('DELETE', 'apps/wiki')).status).toBe(204);
  });
});
