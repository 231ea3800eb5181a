/**
 * The local mTLS gateway over real TLS on 127.0.0.1, in front of an upstream that echoes what it
 * received: the certificate header and the verdict as App Gateway sends them, forged headers
 * stripped, every gateway format decodable by certgate's intake, strict mode, upstream down.
 * The dev PKI is generated once for this file. Its `now` is the start of the current UTC day,
 * not a constant: the gateway's TLS stack checks validity against the real clock.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../dev/gateway/index.js';
import { ensureDevPki, type DevPki } from '../../dev/pki/index.js';
import {
  DEFAULT_HEADER_NAMES,
  encodeForwardedCertificate,
  GATEWAY_KINDS,
  readForwardedCertificate,
  type GatewayKind,
} from '../../shared/cert/intake/index.js';

const SECRET_HEADER = 'X-Certgate-Gateway-Secret';
const SECRET = 'local-gateway-test-secret-0123456789';

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

let base: string;
let pki: DevPki;
let upstream: Server;
let upstreamUrl: string;
const gateways: LocalGateway[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'certgate-gateway-'));
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  pki = await ensureDevPki({ dir: join(base, 'pki'), crlBaseUrl: 'http://127.0.0.1:9/crl', now: today });
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(JSON.stringify(echo));
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await new Promise<void>((resolve) => {
    upstream.close(() => {
      resolve();
    });
  });
  await rm(base, { recursive: true, force: true });
});

async function gateway(options: Partial<LocalGatewayOptions> = {}): Promise<LocalGateway> {
  const started = await startLocalGateway({
    host: '127.0.0.1',
    port: 0,
    upstream: upstreamUrl,
    serverCertPem: pki.gateway.chainPem,
    serverKeyPem: pki.gateway.keyPem,
    clientCaPems: [pki.root.certPem, pki.intermediate.certPem],
    secretHeader: SECRET_HEADER,
    secret: SECRET,
    ...options,
  });
  gateways.push(started);
  return started;
}

function send(
  target: LocalGateway,
  client: string | undefined,
  init: { path?: string; method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Answer> {
  const certificate = client === undefined ? undefined : pki.users[client];
  if (client !== undefined && !certificate) throw new Error(`dev PKI has no ${client}`);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(init.path ?? '/api/authorize', target.url),
      {
        method: init.method ?? 'GET',
        ca: pki.root.certPem,
        agent: false,
        headers: init.headers ?? {},
        ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function echoOf(answer: Answer): Echo {
  expect(answer.status).toBe(200);
  expect(answer.headers['x-upstream']).toBe('echo');
  return JSON.parse(answer.text) as Echo;
}

/** All values the upstream received for a header, case-insensitively. */
function received(echo: Echo, name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index + 1 < echo.rawHeaders.length; index += 2) {
    if (echo.rawHeaders[index]?.toLowerCase() === name.toLowerCase()) values.push(echo.rawHeaders[index + 1] ?? '');
  }
  return values;
}

function asForwardedRequest(echo: Echo) {
  return {
    headers: {
      get: (name: string) => (received(echo, name).length > 0 ? received(echo, name).join(', ') : null),
      getAll: (name: string) => received(echo, name),
    },
  };
}

describe('local gateway, App Gateway format, passthrough', () => {
  let target: LocalGateway;
  beforeAll(async () => {
    target = await gateway();
  });

  it('forwards alice with her certificate encoded as App Gateway does, SUCCESS and the secret', async () => {
    const echo = echoOf(await send(target, 'alice'));
    const expected = encodeForwardedCertificate('app-gateway', pki.users.alice!.certDer, [], {
      verification: { status: 'success' },
    });
    expect(received(echo, 'x-client-certificate')).toEqual([expected['X-Client-Certificate']]);
    expect(decodeURIComponent(received(echo, 'x-client-certificate')[0] ?? '')).toBe(pki.users.alice!.certPem);
    expect(received(echo, 'x-client-certificate-verification')).toEqual(['SUCCESS']);
    expect(received(echo, SECRET_HEADER)).toEqual([SECRET]);
    expect(received(echo, 'x-forwarded-proto')).toEqual(['https']);
    expect(received(echo, 'x-forwarded-host')).toEqual([`127.0.0.1:${target.port}`]);
    expect(received(echo, 'x-forwarded-for')[0]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('the intake accepts what the gateway forwarded and finds alice as the leaf', async () => {
    const echo = echoOf(await send(target, 'alice'));
    const result = readForwardedCertificate(asForwardedRequest(echo), [
      { kind: 'app-gateway', secrets: [SECRET], secretHeader: SECRET_HEADER },
    ]);
    expect(result.kind).toBe('present');
    if (result.kind === 'present') {
      expect(Buffer.from(result.leaf).equals(Buffer.from(pki.users.alice!.certDer))).toBe(true);
      expect(result.gatewayVerification.status).toBe('success');
    }
  });

  it('no client certificate: NONE and no certificate header', async () => {
    const echo = echoOf(await send(target, undefined));
    expect(received(echo, 'x-client-certificate')).toEqual([]);
    expect(received(echo, 'x-client-certificate-verification')).toEqual(['NONE']);
    expect(received(echo, SECRET_HEADER)).toEqual([SECRET]);
  });

  it.each(['untrusted', 'expired', 'not-yet-valid'])(
    '%s: FAILED:<reason>, still forwarded with the certificate',
    async (name) => {
      const echo = echoOf(await send(target, name));
      const [verification] = received(echo, 'x-client-certificate-verification');
      expect(verification).toMatch(/^FAILED:.+/);
      expect(decodeURIComponent(received(echo, 'x-client-certificate')[0] ?? '')).toBe(pki.users[name]!.certPem);
    },
  );

  it('forwards method, path with query, body and ordinary headers; streams the response back', async () => {
    const body = JSON.stringify({ activity: 'download', file: 'report.pdf' }).repeat(200);
    const echo = echoOf(
      await send(target, 'bob', {
        method: 'POST',
        path: '/api/session/download?file=a%20b',
        headers: { 'content-type': 'application/json', 'x-custom': 'kept', 'user-agent': 'certgate-test' },
        body,
      }),
    );
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/api/session/download?file=a%20b');
    expect(echo.body).toBe(body);
    expect(received(echo, 'x-custom')).toEqual(['kept']);
    expect(received(echo, 'user-agent')).toEqual(['certgate-test']);
  });

  describe("forged headers are stripped; the gateway's own values win", () => {
    const forgedNames = [
      ...new Set([
        ...GATEWAY_KINDS.flatMap((kind) => Object.values(DEFAULT_HEADER_NAMES[kind])),
        SECRET_HEADER,
        'X-Client-Certificate-Fingerprint',
        'X-Azure-ClientCertificate-Fingerprint',
        'X-Forwarded-For',
        'X-Forwarded-Host',
        'X-Forwarded-Proto',
        'X-Forwarded-Port',
        'Forwarded',
        'X-Original-Host',
        'X-Original-URL',
        'X-Real-IP',
      ]),
    ];
    // Mixed case and repeated, as an attacker would send them.
    const forged = Object.fromEntries(
      forgedNames.map((name, index) => [
        index % 2 === 0 ? name.toUpperCase() : name.toLowerCase(),
        ['forged-1', 'forged-2'],
      ]),
    );

    it.each([
      { label: 'with alice', client: 'alice', verification: 'SUCCESS' },
      { label: 'without a certificate', client: undefined, verification: 'NONE' },
    ])('$label', async ({ client, verification }) => {
      const echo = echoOf(await send(target, client, { headers: { ...forged, 'x-custom': 'kept' } }));
      for (const name of forgedNames) {
        expect(
          received(echo, name).filter((value) => value.startsWith('forged')),
          name,
        ).toEqual([]);
      }
      expect(received(echo, 'x-client-certificate-verification')).toEqual([verification]);
      expect(received(echo, SECRET_HEADER)).toEqual([SECRET]);
      expect(received(echo, 'x-client-certificate')).toHaveLength(client === undefined ? 0 : 1);
      expect(received(echo, 'x-forwarded-for')[0]).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(received(echo, 'x-custom')).toEqual(['kept']);
    });

    it('a custom secret header name is stripped too', async () => {
      const custom = await gateway({ secretHeader: 'X-Contoso-Proof' });
      const echo = echoOf(await send(custom, 'alice', { headers: { 'x-contoso-proof': 'forged' } }));
      expect(received(echo, 'x-contoso-proof')).toEqual([SECRET]);
    });
  });
});

describe('local gateway, every format the intake reads', () => {
  it.each(GATEWAY_KINDS.map((kind) => ({ kind })))(
    '$kind: the intake decodes alice from what the gateway forwarded',
    async ({ kind }: { kind: GatewayKind }) => {
      const target = await gateway({ format: kind });
      const echo = echoOf(await send(target, 'alice'));
      const result = readForwardedCertificate(asForwardedRequest(echo), [
        { kind, secrets: [SECRET], secretHeader: SECRET_HEADER },
      ]);
      expect(result.kind).toBe('present');
      if (result.kind === 'present')
        expect(Buffer.from(result.leaf).equals(Buffer.from(pki.users.alice!.certDer))).toBe(true);
    },
  );
});

describe('local gateway, strict mode', () => {
  it.each([
    { client: 'alice', status: 200 },
    { client: 'untrusted', status: 403 },
    { client: 'expired', status: 403 },
    { client: undefined, status: 403 },
  ])('$client → $status', async ({ client, status }) => {
    const target = await gateway({ mode: 'strict' });
    const answer = await send(target, client);
    expect(answer.status).toBe(status);
    if (status === 403) {
      expect(answer.headers['x-upstream']).toBeUndefined();
      expect((JSON.parse(answer.text) as { error: string }).error).toBe('client-certificate-rejected-by-gateway');
    }
  });
});

describe('local gateway, upstream down', () => {
  it('answers 502 with a short JSON body', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      closed.close(() => {
        resolve();
      });
    });
    const target = await gateway({ upstream: `http://127.0.0.1:${port}` });
    const answer = await send(target, 'alice');
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'upstream-unavailable' });
  });
});

describe('local gateway lifecycle', () => {
  it('close() stops accepting connections', async () => {
    const target = await startLocalGateway({
      port: 0,
      upstream: upstreamUrl,
      serverCertPem: pki.gateway.chainPem,
      serverKeyPem: pki.gateway.keyPem,
      clientCaPems: [pki.root.certPem, pki.intermediate.certPem],
      secretHeader: SECRET_HEADER,
      secret: SECRET,
    });
    expect((await send(target, 'alice')).status).toBe(200);
    await target.close();
    await expect(send(target, 'alice')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('local gateway, malformed input (answered, never a crash)', () => {
  let target: LocalGateway;
  beforeAll(async () => {
    target = await gateway();
  });

  /** Writes raw bytes over TLS (no client certificate) and reads until the gateway closes the connection. */
  function rawTls(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect(
        {
          host: '127.0.0.1',
          port: target.port,
          ca: pki.root.certPem,
          servername: 'localhost',
          rejectUnauthorized: false,
        },
        () => {
          socket.write(bytes, 'latin1');
        },
      );
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(Buffer.concat(chunks).toString('latin1'));
      });
    });
  }

  /** The JSON body of a raw answer, de-chunked when the gateway relayed it chunked. */
  function bodyOf(answer: string): unknown {
    const split = answer.indexOf('\r\n\r\n');
    let body = answer.slice(split + 4);
    if (/\r\ntransfer-encoding: chunked\r\n/i.test(`${answer.slice(0, split)}\r\n`)) {
      let decoded = '';
      for (;;) {
        const lineEnd = body.indexOf('\r\n');
        const size = parseInt(body.slice(0, lineEnd), 16);
        if (!(size > 0)) break;
        decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
        body = body.slice(lineEnd + 2 + size + 2);
      }
      body = decoded;
    }
    return JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
  }

  it('headers named like Object.prototype members are forwarded as ordinary headers', async () => {
    const answer = await rawTls(
      'GET /api/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\n__proto__: p\r\nconstructor: c\r\nconstructor: d\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const echo = bodyOf(answer) as Echo;
    expect(received(echo, '__proto__')).toEqual(['p']);
    expect(received(echo, 'constructor')).toEqual(['c', 'd']);
  });

  it('an absolute-form target is forwarded in origin form; one naming another authority is refused', async () => {
    const same = await rawTls(
      `GET https://127.0.0.1:${target.port}/api/authorize?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(same).toMatch(/^HTTP\/1\.1 200 /);
    expect((bodyOf(same) as Echo).url).toBe('/api/authorize?x=1');
    const other = await rawTls(
      'GET http://evil.example/api/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(other).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(other)).toMatchObject({ error: { code: 'host-header-mismatch' } });
  });

  it.each([
    { label: 'Host a b', request: 'GET /api/authorize HTTP/1.1\r\nHost: a b\r\n', code: 'invalid-host-header' },
    {
      label: 'two Hosts',
      request: 'GET /api/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n',
      code: 'duplicate-host-header',
    },
    { label: 'no Host', request: 'GET /api/authorize HTTP/1.1\r\n', code: 'missing-host-header' },
    { label: 'asterisk target', request: 'GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n', code: 'invalid-request-target' },
    {
      label: 'unknown method',
      request: 'FOO /api/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      code: 'malformed-request',
    },
    { label: 'HTTP/9.9', request: 'GET /api/authorize HTTP/9.9\r\nHost: 127.0.0.1\r\n', code: 'malformed-request' },
  ])('$label → 400 $code from the gateway itself, nothing forwarded', async ({ request, code }) => {
    const answer = await rawTls(`${request}Connection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toMatch(/x-upstream/i);
    expect(bodyOf(answer)).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it("a head over Node's limit → 431; CONNECT → 405; the gateway keeps serving", async () => {
    expect(
      await rawTls(
        `GET /api/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nx-big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      ),
    ).toMatch(/^HTTP\/1\.1 431 /);
    expect(await rawTls('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect((await send(target, 'alice')).status).toBe(200);
  });
});
