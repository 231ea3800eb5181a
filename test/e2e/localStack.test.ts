/**
 * End to end, with real parts: Azurite on a socket, the app's functions on the local host, the
 * local mTLS gateway over real TLS, the dev PKI. Runs the tour and the boundary cases.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest, tourSteps } from '../../dev/tour.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let stack: Stack;

beforeAll(async () => {
  stack = await startEphemeralStack('e2e', {
    CERTGATE_GATEWAY_SECRETS: 'e2e-gateway-secret-0123456789,e2e-gateway-secret-rotated-0123456789',
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
}, 120_000);

afterAll(async () => {
  await stack.close();
});

describe('the tour, through the gateway', () => {
  it('every tour step gives the outcome it states', async () => {
    for (const step of tourSteps(stack, root)) {
      const result = await step.run();
      expect({ step: step.title, status: result.status }).toEqual({ step: step.title, status: step.expected.status });
      for (const reason of step.expected.reasons) expect(result.reasons, step.title).toContain(reason);
    }
  });
});

describe('authorize through the gateway', () => {
  it('allows alice with a certificate summary, device tag and correlation id', async () => {
    const { status, body } = await gatewayRequest(stack, '/api/authorize', stack.pki.users.alice);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      decision: 'allow',
      deviceTags: ['valid-client-certificate'],
      certificate: {
        subject: expect.stringContaining('alice'),
        sha256Thumbprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      correlationId: expect.any(String),
    });
  });

  it('names the failing check for each bad certificate', async () => {
    const cases = [
      { name: 'expired', reason: 'certificate-expired' },
      { name: 'not-yet-valid', reason: 'certificate-not-yet-valid' },
      { name: 'untrusted', reason: 'certificate-untrusted' },
      { name: 'no-client-auth', reason: 'certificate-eku-missing' },
    ];
    for (const c of cases) {
      const { status, body } = await gatewayRequest(stack, '/api/authorize', stack.pki.users[c.name]);
      expect(status, c.name).toBe(403);
      expect(body, c.name).toMatchObject({
        decision: 'block',
        reasons: ['client-certificate-invalid', c.reason],
        failedCheck: expect.any(String),
        deviceTags: [],
      });
    }
  });

  it('shows a browser the block page, with the correlation id and nothing internal', async () => {
    const { status, body } = await gatewayRequest(stack, '/api/authorize', stack.pki.users.expired, {
      accept: 'text/html,application/xhtml+xml',
    });
    expect(status).toBe(403);
    expect(String(body)).toContain('<h1>Access blocked</h1>');
    expect(String(body)).toContain('has expired');
    expect(String(body)).not.toContain('expired,');
  });

  it('strips a forged X-Client-Certificate: the TLS certificate wins', async () => {
    const forged = encodeURIComponent(stack.pki.users.alice!.certPem);
    const withoutCert = await gatewayRequest(stack, '/api/authorize', undefined, {
      'X-Client-Certificate': forged,
      [stack.config.gateway.secretHeader]: 'guessing-the-secret-000',
    });
    expect(withoutCert.status).toBe(403);
    expect(withoutCert.body).toMatchObject({ reasons: ['client-certificate-required'] });
    const asExpired = await gatewayRequest(stack, '/api/authorize', stack.pki.users.expired, {
      'X-Client-Certificate': forged,
    });
    expect(asExpired.body).toMatchObject({ reasons: ['client-certificate-invalid', 'certificate-expired'] });
  });
});

describe('the functions without the gateway', () => {
  it('refuses a certificate header that lacks the gateway secret (401)', async () => {
    const res = await fetch(`${stack.hostUrl}/api/authorize`, {
      headers: { 'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem) },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      decision: 'block',
      reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-untrusted-forwarder'],
    });
  });

  it('accepts the same header with the secret (what the gateway adds)', async () => {
    const res = await fetch(`${stack.hostUrl}/api/authorize`, {
      headers: {
        'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem),
        [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
      },
    });
    expect(res.status).toBe(200);
  });

  it('accepts both secrets during a rotation, and nothing else', async () => {
    const pem = encodeURIComponent(stack.pki.users.alice!.certPem);
    const statusWith = async (secret: string) =>
      (
        await fetch(`${stack.hostUrl}/api/authorize`, {
          headers: { 'x-client-certificate': pem, [stack.config.gateway.secretHeader]: secret },
        })
      ).status;
    expect(await statusWith('e2e-gateway-secret-0123456789')).toBe(200);
    expect(await statusWith('e2e-gateway-secret-rotated-0123456789')).toBe(200);
    expect(await statusWith('e2e-gateway-secret-012345678')).toBe(401);
  });

  it('answers garbage in the header with a 400 and a reason, never a 500', async () => {
    for (const value of [
      '%%%',
      '-----BEGIN CERTIFICATE----- not base64 -----END CERTIFICATE-----',
      'A'.repeat(20_000),
      '',
    ]) {
      const res = await fetch(`${stack.hostUrl}/api/authorize`, {
        headers: {
          'x-client-certificate': value,
          [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
        },
      });
      expect(res.status, value.slice(0, 20)).toBeLessThan(500);
      const body = (await res.json()) as { reasons: string[] };
      expect(body.reasons.length).toBeGreaterThan(0);
    }
  });

  it('reports health with the version and storage reachability', async () => {
    const res = await fetch(`${stack.hostUrl}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'healthy',
      version: expect.any(String),
      storage: { reachable: true },
      graph: { enabled: true, circuit: 'closed' },
    });
  });
});

describe('managing trusted CAs', () => {
  const key = () => ({ 'x-functions-key': 'e2e-function-key', authorization: `Bearer ${stack.tokens.adminToken}` });

  it('lists the registered dev CAs and refuses calls without a key', async () => {
    expect((await fetch(`${stack.hostUrl}/api/manage/cas`)).status).toBe(401);
    const res = await fetch(`${stack.hostUrl}/api/manage/cas`, { headers: key() });
    const body = (await res.json()) as { cas: { subject: string; kind: string }[] };
    expect(body.cas.map((c) => c.kind).sort()).toEqual(['intermediate', 'root']);
  });

  it("binding rules are the issuing CA's: with SKI only, alice's UPN no longer binds her certificate", async () => {
    const list = (await (await fetch(`${stack.hostUrl}/api/manage/cas`, { headers: key() })).json()) as {
      cas: { thumbprint: string; kind: string; etag: string; bindingRules: string[] }[];
    };
    const issuing = list.cas.find((c) => c.kind === 'intermediate')!;
    expect(issuing.bindingRules).toEqual(['PrincipalName', 'RFC822Name', 'SKI', 'SHA1PublicKey']);
    const token = await stack.tokens.mint('alice@contoso.example', [], 'api://contoso-portal', []);
    const asAlice = () =>
      gatewayRequest(stack, '/api/authorize', stack.pki.users.alice, { authorization: `Bearer ${token}` });
    expect((await asAlice()).status).toBe(200);
    const url = `${stack.hostUrl}/api/manage/cas/${issuing.thumbprint}`;
    const skiOnly = await fetch(url, {
      method: 'PATCH',
      headers: { ...key(), 'content-type': 'application/json', 'if-match': issuing.etag },
      body: JSON.stringify({ bindingRules: ['SKI'] }),
    });
    expect(skiOnly.status).toBe(200);
    expect((await asAlice()).body).toMatchObject({
      reasons: ['client-certificate-not-bound-to-user', 'certificate-valid'],
    });
    const restored = await fetch(url, {
      method: 'PATCH',
      headers: { ...key(), 'content-type': 'application/json', 'if-match': skiOnly.headers.get('etag')! },
      body: JSON.stringify({ bindingRules: ['PrincipalName', 'RFC822Name', 'SKI', 'SHA1PublicKey'] }),
    });
    expect(restored.status).toBe(200);
    expect(
      (
        await fetch(url, {
          method: 'PATCH',
          headers: { ...key(), 'content-type': 'application/json', 'if-match': '*' },
          body: JSON.stringify({ bindingRules: ['Fingerprint'] }),
        })
      ).status,
    ).toBe(400);
  });

  it('needs a token with the right app role as well as the function key', async () => {
    const url = `${stack.hostUrl}/api/manage/cas`;
    const noToken = await fetch(url, { headers: { 'x-functions-key': 'e2e-function-key' } });
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ error: { code: 'token-missing' } });
    const garbage = await fetch(url, {
      headers: { 'x-functions-key': 'e2e-function-key', authorization: 'Bearer not.a.jwt' },
    });
    expect(garbage.status).toBe(401);
    const reader = await stack.tokens.mint('reader@contoso.example', ['Certgate.Reader']);
    expect(
      (await fetch(url, { headers: { 'x-functions-key': 'e2e-function-key', authorization: `Bearer ${reader}` } }))
        .status,
    ).toBe(200);
    const write = await fetch(url, {
      method: 'POST',
      headers: {
        'x-functions-key': 'e2e-function-key',
        authorization: `Bearer ${reader}`,
        'content-type': 'application/x-pem-file',
      },
      body: stack.pki.root.certPem,
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: { code: 'role-missing' } });
  });

  it.each([
    { label: 'a leaf certificate', body: () => stack.pki.users.alice!.certPem, status: 422, code: 'ca-not-a-ca' },
    { label: 'a CA already present', body: () => stack.pki.root.certPem, status: 409, code: 'ca-already-present' },
    { label: 'not a certificate', body: () => 'hello', status: 400, code: 'ca-malformed' },
    { label: 'nothing', body: () => '', status: 400, code: 'ca-bundle-empty' },
  ])('refuses $label with $code', async ({ body, status, code }) => {
    const res = await fetch(`${stack.hostUrl}/api/manage/cas`, {
      method: 'POST',
      headers: { ...key(), 'content-type': 'application/x-pem-file' },
      body: body(),
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code } });
  });

  it('disabling the intermediate with If-Match blocks alice; a stale ETag gets 412; re-enabling allows again', async () => {
    const list = (await (await fetch(`${stack.hostUrl}/api/manage/cas`, { headers: key() })).json()) as {
      cas: { thumbprint: string; kind: string; etag: string }[];
    };
    const intermediate = list.cas.find((c) => c.kind === 'intermediate')!;
    const root = list.cas.find((c) => c.kind === 'root')!;
    const url = `${stack.hostUrl}/api/manage/cas/${intermediate.thumbprint}`;
    const patch = (etag: string | undefined, enabled: boolean) =>
      fetch(url, {
        method: 'PATCH',
        headers: { ...key(), 'content-type': 'application/json', ...(etag ? { 'if-match': etag } : {}) },
        body: JSON.stringify({ enabled }),
      });

    expect((await patch(undefined, false)).status).toBe(428);
    // Disabling the root as well: with neither anchor enabled, alice has no path.
    const rootRes = await fetch(`${stack.hostUrl}/api/manage/cas/${root.thumbprint}`, {
      method: 'PATCH',
      headers: { ...key(), 'content-type': 'application/json', 'if-match': root.etag },
      body: JSON.stringify({ enabled: false }),
    });
    expect(rootRes.status).toBe(200);
    const disabled = await patch(intermediate.etag, false);
    expect(disabled.status).toBe(200);
    expect((await patch(intermediate.etag, true)).status).toBe(412);
    expect((await gatewayRequest(stack, '/api/authorize', stack.pki.users.alice)).status).toBe(403);

    const newEtag = disabled.headers.get('etag')!;
    expect((await patch(newEtag, true)).status).toBe(200);
    expect((await gatewayRequest(stack, '/api/authorize', stack.pki.users.alice)).status).toBe(200);
  });
});
