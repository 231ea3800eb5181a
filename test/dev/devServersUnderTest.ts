/**
 * Test support for the dev-server fuzz test: the local Functions host with a few functions shaped
 * like certgate's (a catch-all authorize route that accepts every method, a route with a required
 * and an optional parameter, a keyed route, a body reader, a probe), the local gateway in front of
 * it, and a raw-socket client (node:net / node:tls) that can send any bytes at all, malformed
 * request lines included. Every function but the probe answers a 4xx, so any request that is not
 * the probe must come back as a 4xx. Also run as a child process (see devServersProcess.ts).
 */
import { app, type HttpRequest } from '@azure/functions';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startLocalGateway, type LocalGateway } from '../../dev/gateway/index.js';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { startFunctionsHost, type FunctionsHost } from '../../dev/host/server.js';
import type { DevPki } from '../../dev/pki/index.js';

export const SECRET_HEADER = 'X-Certgate-Gateway-Secret';
export const SECRET = 'dev-servers-fuzz-secret-0123456789';

/** The running pair: the host on plain HTTP, the gateway on HTTPS in front of it. */
export interface DevServers {
  readonly host: FunctionsHost;
  readonly gateway: LocalGateway;
  close(): Promise<void>;
}

let registered = false;

function registerFunctions(): void {
  if (registered) return;
  registered = true;
  installFunctionsCore();
  app.http('probe', {
    methods: ['GET'],
    authLevel: 'anonymous',
    route: 'probe',
    handler: (request: HttpRequest) => ({
      jsonBody: { ok: true, verification: request.headers.get('x-client-certificate-verification') },
    }),
  });
  app.http('gate', {
    methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
    authLevel: 'anonymous',
    route: 'authorize/{*path}',
    handler: (request: HttpRequest) => ({
      status: 403,
      jsonBody: { decision: 'deny', path: request.params.path ?? null },
    }),
  });
  app.http('items', {
    methods: ['GET', 'DELETE'],
    authLevel: 'anonymous',
    route: 'items/{id}/{name?}',
    handler: (request: HttpRequest) => ({
      status: 404,
      jsonBody: { error: { code: 'item-not-found', message: `no item ${request.params.id ?? ''}` } },
    }),
  });
  app.http('keyed', { methods: ['GET'], authLevel: 'function', route: 'keyed/{id}', handler: () => ({ status: 204 }) });
  app.http('upload', {
    methods: ['POST', 'PUT'],
    authLevel: 'anonymous',
    route: 'upload/{id?}',
    handler: async (request: HttpRequest) => ({
      status: 422,
      jsonBody: { error: { code: 'upload-refused', message: `${(await request.text()).length} bytes refused` } },
    }),
  });
}

/** Starts the host (port 0) and the gateway (port 0, passthrough) in front of it. */
export async function startDevServers(pki: DevPki): Promise<DevServers> {
  registerFunctions();
  const host = await startFunctionsHost({
    functions: registeredFunctions(),
    port: 0,
    functionKeys: ['fuzz-function-key'],
    masterKey: 'fuzz-master-key',
  });
  const gateway = await startLocalGateway({
    host: '127.0.0.1',
    port: 0,
    upstream: host.url,
    serverCertPem: pki.gateway.chainPem,
    serverKeyPem: pki.gateway.keyPem,
    clientCaPems: [pki.root.certPem, pki.intermediate.certPem],
    secretHeader: SECRET_HEADER,
    secret: SECRET,
  });
  return {
    host,
    gateway,
    close: async () => {
      await gateway.close();
      await host.close();
    },
  };
}

/** Where raw bytes go: the host over TCP or the gateway over TLS. */
export interface RawTarget {
  readonly name: 'host' | 'gateway';
  readonly port: number;
  readonly tls: boolean;
  /** CA bundle the gateway's certificate chains to (TLS only). */
  readonly ca?: string;
}

/** What came back on one connection. */
export interface RawAnswer {
  /** The status of the first response, undefined when none came. */
  readonly status: number | undefined;
  readonly head: string;
  readonly body: string;
  /** `closed`: the server closed the connection; `reset`: it reset it; `timeout`: nothing ended it in time. */
  readonly ending: 'closed' | 'reset' | 'timeout';
}

/**
 * Opens a connection, writes `bytes` (optionally ending the sending side, or resetting the connection
 * after a while), and collects what comes
 * back until the server closes the connection or `timeoutMs` passes.
 */
export function rawExchange(
  target: RawTarget,
  bytes: Buffer,
  options: { timeoutMs?: number; halfClose?: boolean; abandonAfterMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ending: RawAnswer['ending'] = 'closed';
    const socket: Socket = target.tls
      ? tlsConnect({
          host: '127.0.0.1',
          port: target.port,
          ca: target.ca,
          servername: 'localhost',
          rejectUnauthorized: false,
        })
      : tcpConnect({ host: '127.0.0.1', port: target.port });
    const timer = setTimeout(() => {
      ending = 'timeout';
      socket.destroy();
    }, options.timeoutMs ?? 4000);
    socket.on(target.tls ? 'secureConnect' : 'connect', () => {
      socket.write(bytes);
      if (options.halfClose) socket.end();
      // A client that goes away mid-request (or mid-response) without a word.
      if (options.abandonAfterMs !== undefined) {
        setTimeout(() => {
          // An RST on TCP; TLS sockets cannot send one, so they close without close_notify.
          if (target.tls) socket.destroy();
          else socket.resetAndDestroy();
        }, options.abandonAfterMs);
      }
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (ending !== 'timeout') ending = error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed';
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      resolve({
        status: status === undefined ? undefined : Number(status),
        head,
        body: split >= 0 ? text.slice(split + 4) : '',
        ending,
      });
    });
  });
}

/** A well-formed request for the probe; the answer must be a 200 with `{ ok: true }`. */
export function probeBytes(): Buffer {
  return Buffer.from('GET /api/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1');
}
