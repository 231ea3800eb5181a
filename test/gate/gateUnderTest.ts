/**
 * Test support for gate mode: the ephemeral local stack (Azurite, the local host serving the
 * real functions with HTTP streams on, the local mTLS gateway in front), a local upstream app on
 * 127.0.0.1 that shows what reached it and can answer in every shape the tests need (echo with a
 * streamed SHA-256 of the body, generated downloads of any size, redirects and cookies, headers
 * it should not leak, slow answers), and an HTTPS client that talks to the gateway with a chosen
 * Host and client certificate, streaming both ways.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

export const GATE_SECRET = 'gate-gateway-secret-0123456789abcdef';

/** A running upstream app. */
export interface Upstream {
  readonly url: string;
  readonly port: number;
  /** The headers of the last request that reached it. */
  last?: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[] };
  /** How many requests reached it. */
  hits: number;
  close(): Promise<void>;
}

/** Bytes of a generated download: a repeating pattern, produced as read, never stored. */
export function generatedBytes(total: number, chunkSize = 64 * 1024): Readable {
  const chunk = Buffer.alloc(chunkSize);
  for (let index = 0; index < chunkSize; index++) chunk[index] = index % 251;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(chunkSize, total - sent);
      sent += size;
      this.push(size === chunkSize ? chunk : chunk.subarray(0, size));
    },
  });
}

/** Starts the upstream app on 127.0.0.1 (port 0). */
export async function startUpstream(): Promise<Upstream> {
  let selfUrl = '';
  const upstream: Upstream = {
    url: '',
    port: 0,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server: Server = createServer((req, res) => {
    upstream.hits++;
    upstream.last = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders };
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/download') {
      req.resume();
      const bytes = Number(url.searchParams.get('bytes') ?? '0');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
      generatedBytes(bytes).pipe(res);
      return;
    }
    if (url.pathname === '/report.xlsx') {
      req.resume();
      res.writeHead(200, {
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': 'attachment; filename="q3 report.xlsx"',
        'content-length': String(64 * 1024),
      });
      generatedBytes(64 * 1024).pipe(res);
      return;
    }
    if (url.pathname === '/slow') {
      req.resume();
      // Answers only after the gate has given up (the test sets a short upstream time-out).
      setTimeout(() => {
        if (!res.destroyed) res.end('late');
      }, 3000).unref();
      return;
    }
    if (url.pathname === '/redirect') {
      req.resume();
      res.setHeader('location', `${selfUrl}/landing?from=redirect`);
      res.setHeader('set-cookie', [
        'session=abc=; Path=/; Domain=127.0.0.1; HttpOnly; Secure',
        'other=1; Path=/; Domain=example.org',
        'plain=2; Path=/',
      ]);
      res.statusCode = 302;
      res.end();
      return;
    }
    if (url.pathname === '/relative-redirect') {
      req.resume();
      res.writeHead(303, { location: '/landing' });
      res.end();
      return;
    }
    if (url.pathname === '/leaky') {
      req.resume();
      res.writeHead(200, [
        ['content-type', 'text/plain'],
        ['x-certgate-user', 'mallory@contoso.example'],
        ['x-certgate-assertion', 'forged'],
        ['x-forwarded-for', '10.0.0.1'],
        ['x-client-certificate', 'forged'],
        ['x-ms-client-principal', 'forged'],
        ['connection', 'x-hop'],
        ['x-hop', 'hop-by-hop'],
        ['x-app', 'kept'],
      ]);
      res.end('ok');
      return;
    }
    if (url.pathname === '/no-content') {
      req.resume();
      res.writeHead(204, { 'x-app': 'kept' });
      res.end();
      return;
    }
    // Echo: what arrived, with the body's length and SHA-256 computed as it streams in.
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-app': 'kept' });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          bodyLength: length,
          bodySha256: hash.digest('hex'),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  selfUrl = `http://127.0.0.1:${port}`;
  Object.assign(upstream, { url: selfUrl, port });
  return upstream;
}

/** Creates a session policy through the management API; returns the status. */
export async function addSessionPolicy(
  stack: Stack,
  policy: Record<string, unknown> & { id: string },
): Promise<number> {
  const res = await fetch(`${stack.hostUrl}/api/manage/session-policies/${policy.id}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
    },
    body: JSON.stringify(policy),
  });
  if (res.status !== 201) throw new Error(`session policy ${policy.id}: ${res.status} ${await res.text()}`);
  return res.status;
}

/** The stack for gate tests: short upstream time-out, policies re-read on every request. */
export async function startGateStack(name: string, settings: Record<string, string> = {}): Promise<Stack> {
  return startEphemeralStack(name, {
    CERTGATE_GATEWAY_SECRETS: GATE_SECRET,
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
    CERTGATE_GATE_UPSTREAM_TIMEOUT_MS: '1000',
    // As in Azure, the host's request body limit; uploads through the gate are larger.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(1024 * 1024 * 1024),
    ...settings,
  });
}

/** Registers (creates) an app through the management API. */
export async function registerApp(
  stack: Stack,
  app: { id: string; name: string; hosts: { host: string; pathPrefix?: string }[]; upstream?: string },
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.hostUrl}/api/manage/apps/${app.id}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
    },
    body: JSON.stringify(app),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** One answer through the gateway, body consumed as a stream. */
export interface GateAnswer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  /** The body (unless `discardBody`), and its length either way. */
  readonly body: Buffer;
  readonly length: number;
}

/** A request through the local gateway with a Host and (optionally) a client certificate. */
export function throughGateway(
  stack: Stack,
  options: {
    host: string;
    path: string;
    method?: string;
    headers?: Record<string, string | string[]>;
    certificate?: string;
    body?: Readable | Buffer | string;
    discardBody?: boolean;
    onData?: (length: number) => void;
  },
): Promise<GateAnswer> {
  const gateway = new URL(stack.gatewayUrl);
  const certificate = options.certificate ? stack.pki.users[options.certificate] : undefined;
  return new Promise<GateAnswer>((resolve, reject) => {
    const req = httpsRequest(
      {
        hostname: gateway.hostname,
        port: gateway.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { host: options.host, ...(options.headers ?? {}) },
        servername: 'localhost',
        ca: stack.pki.root.certPem,
        ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
          options.onData?.(length);
          if (!options.discardBody) chunks.push(chunk);
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            length,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}
