/**
 * Gate mode end to end: client → local mTLS gateway (real TLS) → local host (HTTP streams on) →
 * the gate → a local upstream app, with the decision from the one pipeline (baseline: a valid
 * client certificate is required). Methods, query strings, bodies streamed both ways, header
 * stripping both ways, redirects and cookies rewritten, certgate's own routes winning over the
 * catch-all, the upstream down or slow, hosts that are no gate app.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStreamEnabled } from '../../dev/host/functionsCore.js';
import type { Stack } from '../../dev/stack.js';
import {
  addSessionPolicy,
  generatedBytes,
  registerApp,
  startGateStack,
  startUpstream,
  throughGateway,
  type Upstream,
} from './gateUnderTest.js';

const HOST = 'files.gate.test';
const GUARDED = 'guarded.gate.test';
let stack: Stack;
let upstream: Upstream;

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
  bodySha256: string;
}

beforeAll(async () => {
  stack = await startGateStack('gate');
  upstream = await startUpstream();
  const registered = await registerApp(stack, {
    id: 'contoso-files',
    name: 'Contoso Files',
    hosts: [{ host: HOST }],
    upstream: upstream.url,
  });
  expect(registered.status).toBe(201);
  await registerApp(stack, { id: 'no-upstream', name: 'No upstream', hosts: [{ host: 'plain.gate.test' }] });
  await registerApp(stack, {
    id: 'guarded',
    name: 'Guarded files',
    hosts: [{ host: GUARDED }],
    upstream: upstream.url,
  });
  await addSessionPolicy(stack, {
    id: 'no-files-either-way',
    name: 'No downloads or uploads on the guarded host',
    state: 'enabled',
    priority: 10,
    conditions: { apps: { include: [{ appId: 'guarded' }] } },
    controls: [
      {
        type: 'block-download',
        files: { attachment: true, extensions: ['.xlsx'] },
        message: 'Downloads need a managed device.',
      },
      { type: 'block-upload', files: { multipartFile: true }, message: 'Uploads need a managed device.' },
    ],
  });
  await registerApp(stack, {
    id: 'down',
    name: 'Down',
    hosts: [{ host: 'down.gate.test' }],
    // A port nothing listens on: the upstream server's own port once it is closed is not reliable, port 9 (discard) is.
    upstream: 'http://127.0.0.1:9',
  });
}, 120_000);

afterAll(async () => {
  await upstream.close();
  await stack.close();
});

interface JsonAnswer {
  reasons?: string[];
  error?: { code: string };
  version?: string;
  keys?: unknown[];
}

function jsonOf(body: Buffer): JsonAnswer {
  return JSON.parse(body.toString('utf8')) as JsonAnswer;
}

function echoOf(body: Buffer): Echo {
  return JSON.parse(body.toString('utf8')) as Echo;
}

describe('gate mode: decisions', () => {
  it('blocks without a certificate (JSON 403 with the reason), and nothing reaches the upstream', async () => {
    const before = upstream.hits;
    const answer = await throughGateway(stack, { host: HOST, path: '/files', headers: { accept: 'application/json' } });
    expect(answer.status).toBe(403);
    expect(jsonOf(answer.body).reasons).toContain('client-certificate-required');
    expect(upstream.hits).toBe(before);
  });

  it('blocks a browser with the block page', async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/', headers: { accept: 'text/html' } });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.body.toString()).toContain('Access blocked');
  });

  it('a host that is no registered app with an upstream gets 404 gate-app-not-found', async () => {
    for (const host of ['unknown.gate.test', 'plain.gate.test']) {
      const answer = await throughGateway(stack, { host, path: '/x', certificate: 'alice' });
      expect(answer.status).toBe(404);
      expect(jsonOf(answer.body).error?.code).toBe('gate-app-not-found');
    }
  });

  it('a request straight to the host (no gateway proof) gets 401 gate-request-unproven', async () => {
    const res = await fetch(`${stack.hostUrl}/files`, { headers: { 'x-forwarded-host': HOST } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('gate-request-unproven');
  });

  it('the app turned HTTP streams on, and the local host saw it (as the Functions host would)', () => {
    expect(httpStreamEnabled()).toBe(true);
  });

  it("certgate's own routes win over the catch-all on a gate host", async () => {
    const health = await throughGateway(stack, { host: HOST, path: '/api/health', certificate: 'alice' });
    expect(health.status).toBe(200);
    expect(jsonOf(health.body).version).toBeDefined();
    const decision = await throughGateway(stack, {
      host: HOST,
      path: '/api/authorize',
      certificate: 'alice',
      headers: { accept: 'application/json' },
    });
    expect(JSON.parse(decision.body.toString())).toMatchObject({ decision: 'allow', app: { id: 'contoso-files' } });
    const jwks = await throughGateway(stack, { host: HOST, path: '/api/.well-known/jwks.json' });
    expect(jsonOf(jwks.body).keys).toHaveLength(1);
  });
});

describe('gate mode: registering an upstream', () => {
  it.each([
    ['http to a non-loopback host', 'http://files.internal.example'],
    ['credentials in the URL', 'https://user:pw@files.internal.example'],
    ['a query', 'https://files.internal.example/?a=1'],
    ['not a URL', 'files.internal.example'],
  ])('%s is refused with invalid-upstream at upstream', async (_label, value) => {
    const answer = await registerApp(stack, {
      id: 'bad-upstream',
      name: 'Bad',
      hosts: [{ host: 'bad.gate.test' }],
      upstream: value,
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('invalid-upstream');
    expect(JSON.stringify(answer.body)).toContain('"path":"upstream"');
  });
});

describe('gate mode: proxying', () => {
  it.each(['GET', 'DELETE', 'OPTIONS', 'PATCH'])(
    '%s with a query string reaches the upstream as sent',
    async (method) => {
      const answer = await throughGateway(stack, {
        host: HOST,
        method,
        path: '/files/q3%20report.xlsx?download=1&a=%2F&a=2',
        certificate: 'alice',
      });
      expect(answer.status).toBe(200);
      const echo = echoOf(answer.body);
      expect(echo.method).toBe(method);
      expect(echo.url).toBe('/files/q3%20report.xlsx?download=1&a=%2F&a=2');
      expect(answer.headers['x-app']).toBe('kept');
    },
  );

  it('HEAD gets the headers and no body', async () => {
    const answer = await throughGateway(stack, { host: HOST, method: 'HEAD', path: '/files', certificate: 'alice' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-app']).toBe('kept');
    expect(answer.length).toBe(0);
  });

  it('a 204 passes without a body', async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/no-content', certificate: 'alice' });
    expect(answer.status).toBe(204);
    expect(answer.headers['x-app']).toBe('kept');
  });

  it('streams a 200 MiB request body (PUT, chunked) to the upstream intact', async () => {
    const size = 200 * 1024 * 1024;
    const expected = createHash('sha256');
    const source = generatedBytes(size);
    source.on('data', (chunk: Buffer) => expected.update(chunk));
    const answer = await throughGateway(stack, {
      host: HOST,
      method: 'PUT',
      path: '/upload',
      certificate: 'alice',
      body: source,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(answer.status).toBe(200);
    const echo = echoOf(answer.body);
    expect(echo.bodyLength).toBe(size);
    expect(echo.bodySha256).toBe(expected.digest('hex'));
  }, 120_000);

  it('a POST with Content-Length keeps it, and the body arrives whole', async () => {
    const body = 'name=q3.xlsx&size=10';
    const answer = await throughGateway(stack, {
      host: HOST,
      method: 'POST',
      path: '/form',
      certificate: 'alice',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
    });
    const echo = echoOf(answer.body);
    expect(echo.bodyLength).toBe(body.length);
    expect(echo.headers['content-length']).toBe(String(body.length));
    expect(echo.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });
});

describe('gate mode: headers both ways', () => {
  it('what a client sends in certgate / gateway / forwarding headers never reaches the upstream; the rest does', async () => {
    const answer = await throughGateway(stack, {
      host: HOST,
      path: '/echo',
      certificate: 'alice',
      headers: {
        'x-certgate-user': 'mallory@contoso.example',
        'x-certgate-device-tags': 'compliant',
        'x-certgate-assertion': 'forged',
        'x-certgate-gateway-secret': 'guess',
        'x-client-certificate': 'forged',
        'x-arr-clientcert': 'forged',
        'x-forwarded-client-cert': 'forged',
        'x-ms-client-principal-name': 'mallory',
        'x-original-url': '/admin',
        forwarded: 'for=1.2.3.4',
        connection: 'keep-alive, x-hop',
        'x-hop': 'hop-by-hop',
        'x-app-header': 'kept',
        cookie: 'a=1; b=2',
        authorization: 'Bearer app-token',
      },
    });
    expect(answer.status).toBe(200);
    const { headers } = echoOf(answer.body);
    const names = Object.keys(headers);
    expect(names.filter((name) => name.startsWith('x-certgate-')).sort()).toEqual([
      'x-certgate-assertion',
      'x-certgate-decision-id',
      'x-certgate-device-tags',
    ]);
    expect(headers['x-certgate-assertion']).not.toBe('forged');
    expect(headers['x-certgate-device-tags']).toBe('valid-client-certificate');
    for (const name of [
      'x-client-certificate',
      'x-client-certificate-verification',
      'x-arr-clientcert',
      'x-forwarded-client-cert',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-ms-client-principal-name',
      'x-original-url',
      'forwarded',
      'x-hop',
    ])
      expect(headers[name], name).toBeUndefined();
    expect(headers['x-app-header']).toBe('kept');
    expect(headers.cookie).toBe('a=1; b=2');
    expect(headers.authorization).toBe('Bearer app-token');
    expect(headers.host).toBe(`127.0.0.1:${upstream.port}`);
  });

  it("an upstream's certgate / forwarding / certificate / hop-by-hop headers never reach the client", async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/leaky', certificate: 'alice' });
    expect(answer.status).toBe(200);
    for (const name of [
      'x-certgate-user',
      'x-certgate-assertion',
      'x-forwarded-for',
      'x-client-certificate',
      'x-ms-client-principal',
      'x-hop',
    ])
      expect(answer.headers[name], name).toBeUndefined();
    expect(answer.headers['x-app']).toBe('kept');
    expect(answer.body.toString()).toBe('ok');
  });
});

describe('gate mode: redirects and cookies', () => {
  it("the upstream's own URLs in Location and its Domain in Set-Cookie become the public host's", async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/redirect', certificate: 'alice' });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe(`https://${HOST}/landing?from=redirect`);
    expect(answer.headers['set-cookie']).toEqual([
      `session=abc=; Path=/; Domain=${HOST}; HttpOnly; Secure`,
      'other=1; Path=/; Domain=example.org',
      'plain=2; Path=/',
    ]);
  });

  it('a relative Location passes unchanged', async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/relative-redirect', certificate: 'alice' });
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/landing');
  });
});

describe('gate mode: upstream failures', () => {
  it('an upstream that refuses connections: 502 gate-upstream-unavailable', async () => {
    const answer = await throughGateway(stack, { host: 'down.gate.test', path: '/', certificate: 'alice' });
    expect(answer.status).toBe(502);
    expect(jsonOf(answer.body).error?.code).toBe('gate-upstream-unavailable');
  });

  it('an upstream that does not answer in time: 504 gate-upstream-timeout', async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/slow', certificate: 'alice' });
    expect(answer.status).toBe(504);
    expect(jsonOf(answer.body).error?.code).toBe('gate-upstream-timeout');
  });
});

describe('gate mode: session controls', () => {
  const multipart = (fileName: string | undefined) => {
    const boundary = 'certgate-test-boundary';
    const part = fileName
      ? `Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\nSECRET-FILE-BYTES`
      : 'Content-Disposition: form-data; name="comment"\r\n\r\nhello';
    return {
      boundary,
      body: `--${boundary}\r\n${part}\r\n--${boundary}--\r\n`,
    };
  };

  it('a download the controls call a file becomes JSON 403 before any byte of it; the same on the unguarded host passes', async () => {
    const blocked = await throughGateway(stack, {
      host: GUARDED,
      path: '/report.xlsx?download=1',
      certificate: 'alice',
      headers: { accept: 'application/json' },
    });
    expect(blocked.status).toBe(403);
    const body = JSON.parse(blocked.body.toString()) as { reasons: string[]; rule: string; decidedBy: string };
    expect(body).toMatchObject({
      reasons: ['session-download-blocked'],
      rule: 'attachment',
      decidedBy: 'no-files-either-way',
    });
    expect(blocked.headers['content-disposition']).toBeUndefined();
    const open = await throughGateway(stack, { host: HOST, path: '/report.xlsx', certificate: 'alice' });
    expect(open.status).toBe(200);
    expect(open.length).toBe(64 * 1024);
  });

  it('a browser gets the block page with the control message', async () => {
    const blocked = await throughGateway(stack, {
      host: GUARDED,
      path: '/report.xlsx',
      certificate: 'alice',
      headers: { accept: 'text/html' },
    });
    expect(blocked.status).toBe(403);
    expect(blocked.body.toString()).toContain('Downloads need a managed device.');
  });

  it('a multipart upload with a file part is stopped before the part reaches the upstream; a form without one passes', async () => {
    const file = multipart('q3.xlsx');
    const hits = upstream.hits;
    const blocked = await throughGateway(stack, {
      host: GUARDED,
      method: 'POST',
      path: '/upload',
      certificate: 'alice',
      body: file.body,
      headers: { 'content-type': `multipart/form-data; boundary=${file.boundary}`, accept: 'application/json' },
    });
    expect(blocked.status).toBe(403);
    expect((JSON.parse(blocked.body.toString()) as { reasons: string[] }).reasons).toEqual(['session-upload-blocked']);
    // The upstream may have seen the request start, never the file's bytes.
    if (upstream.hits > hits) expect(upstream.last?.url).toBe('/upload');
    const form = multipart(undefined);
    const passed = await throughGateway(stack, {
      host: GUARDED,
      method: 'POST',
      path: '/upload',
      certificate: 'alice',
      body: form.body,
      headers: { 'content-type': `multipart/form-data; boundary=${form.boundary}` },
    });
    expect(passed.status).toBe(200);
    expect(echoOf(passed.body).bodyLength).toBe(Buffer.byteLength(form.body));
  });
});

describe('gate mode: the assertion', () => {
  it('what reached the upstream verifies against the published JWKS, names the app, device and decision; tampered or expired it fails', async () => {
    const answer = await throughGateway(stack, { host: HOST, path: '/whoami', certificate: 'alice' });
    const { headers } = echoOf(answer.body);
    const assertion = headers['x-certgate-assertion'] as string;
    const jwksAnswer = await throughGateway(stack, { host: HOST, path: '/api/.well-known/jwks.json' });
    const keys = createLocalJWKSet(JSON.parse(jwksAnswer.body.toString()) as JSONWebKeySet);
    const { payload, protectedHeader } = await jwtVerify(assertion, keys, {
      issuer: 'certgate',
      audience: 'contoso-files',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBeDefined();
    // The decision that issued the assertion (this request's, or an earlier allow of the same user,
    // device and app within half the assertion's lifetime: assertionSigner.ts); the request's own
    // decision is in X-Certgate-Decision-Id.
    expect(payload.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.device_tags).toEqual(['valid-client-certificate']);
    expect(payload.device_thumbprint).toBe(createHash('sha256').update(stack.pki.users.alice!.certDer).digest('hex'));
    expect(payload.jti).toEqual(expect.any(String));
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    expect(answer.headers['x-correlation-id']).toBe(headers['x-certgate-decision-id']);
    // The next request is decided anew (its own decision id) and carries the same assertion, unless
    // that one had reached half its lifetime.
    const again = echoOf((await throughGateway(stack, { host: HOST, path: '/whoami', certificate: 'alice' })).body);
    expect(again.headers['x-certgate-decision-id']).not.toBe(headers['x-certgate-decision-id']);
    const reissued = again.headers['x-certgate-assertion'] as string;
    if (reissued !== assertion) expect(decodeJwt(reissued).iat).toBeGreaterThanOrEqual((payload.iat ?? 0) + 30);

    // Another app's audience, a changed claim, a later time: each fails.
    await expect(jwtVerify(assertion, keys, { audience: 'payroll' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
    const [head, body, signature] = assertion.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...decodeJwt(assertion), device_tags: ['valid-client-certificate', 'compliant'] }),
    ).toString('base64url');
    await expect(jwtVerify(`${head}.${forged}.${signature}`, keys)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    expect(body).not.toBe(forged);
    await expect(
      jwtVerify(assertion, keys, { currentDate: new Date(((payload.exp ?? 0) + 1) * 1000) }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });
});
