/**
 * The local mTLS gateway: an HTTPS reverse proxy on loopback that behaves like Azure Application
 * Gateway v2 mutual authentication. It asks for a client certificate, verifies it against the
 * configured CAs itself (the verdict becomes `SUCCESS`, `FAILED:<error>` or `NONE`, as App
 * Gateway's `client_certificate_verification`), strips every certificate / secret / forwarding
 * header a client sent, and forwards the request to the upstream with the certificate encoded in
 * the configured gateway format, the verdict, the gateway secret and X-Forwarded-For/-Proto/-Host.
 * Passthrough mode forwards whatever the verdict; strict mode answers 403 unless it is SUCCESS.
 * Malformed input never stops it: a bad Host or request target, a request line or header Node's
 * parser refuses, CONNECT, a header Node will not forward: each gets a 4xx with
 * `{ error: { code, message } }` (see ../httpInput.ts); only absolute-form targets are rewritten
 * (to origin form) before forwarding.
 * Dev and test only: it is not a production proxy (no timeouts tuning, no HTTP/2, http upstream only).
 * May import: the intake's encoder and types, the dev HTTP input checks, node built-ins.
 */
import {
  Agent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { createServer } from 'node:https';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';
import {
  encodeForwardedCertificate,
  encodeGatewayVerification,
  type GatewayKind,
  type GatewayVerification,
} from '../../shared/cert/intake/index.js';
import { connectionListedHeaders, gatewayOwnedHeaderMatcher, isHopByHopHeader } from './gatewayOwnedHeaders.js';
import { answerClientError, answerRefusal, readRequestTarget, refuseConnect } from '../httpInput.js';
import { listenOn } from '../listen.js';
import { messageOf } from '../../shared/errors.js';

/** Options of {@link startLocalGateway}. */
export interface LocalGatewayOptions {
  /** Listen address (default `127.0.0.1`). */
  readonly host?: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
  /** Base URL of the backend, `http://…` (e.g. `http://127.0.0.1:7071`). */
  readonly upstream: string;
  /** The gateway's TLS certificate chain, PEM (leaf first). */
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** The CAs the gateway advertises to clients and verifies client certificates against. */
  readonly clientCaPems: readonly string[];
  /** Which gateway's header format to send (default `app-gateway`). */
  readonly format?: GatewayKind;
  /** Header that carries the gateway secret to the backend. */
  readonly secretHeader: string;
  readonly secret: string;
  /**
   * `passthrough` (default) forwards every request with the verdict; `strict` answers 403 unless the verdict is
   * SUCCESS.
   */
  readonly mode?: 'passthrough' | 'strict';
}

/** A running local gateway. */
export interface LocalGateway {
  /** `https://<host>:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Most issuer certificates taken from the peer's chain (a loop guard as much as a limit). */
const MAX_CHAIN = 8;

interface PeerCertificates {
  readonly leaf: Uint8Array;
  readonly chain: Uint8Array[];
}

/**
 * The client's certificate and the issuers Node attached to it (`issuerCertificate`), DER; undefined when none was
 * sent.
 */
function peerCertificates(socket: TLSSocket): PeerCertificates | undefined {
  // Node returns an empty object when the client sent no certificate.
  const peer = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate>;
  if (!peer.raw) return undefined;
  const chain: Uint8Array[] = [];
  let current: Partial<DetailedPeerCertificate> = peer;
  while (chain.length < MAX_CHAIN) {
    const issuer: Partial<DetailedPeerCertificate> | undefined = current.issuerCertificate;
    // A self-signed root is its own issuerCertificate.
    if (!issuer?.raw || issuer === current || issuer.raw.equals(current.raw ?? Buffer.alloc(0))) break;
    chain.push(new Uint8Array(issuer.raw));
    current = issuer;
  }
  return { leaf: new Uint8Array(peer.raw), chain };
}

/**
 * The verdict App Gateway computes: NONE without a certificate, SUCCESS when it chains to the CAs,
 * FAILED:<error> otherwise. The error is Node's `authorizationError` (an OpenSSL code such as
 * `CERT_HAS_EXPIRED`); App Gateway / nginx write OpenSSL's text instead ("certificate has expired").
 * Only the prefix is meaningful to certgate. No CRL is consulted, as App Gateway by default.
 */
function verificationOf(socket: TLSSocket, peer: PeerCertificates | undefined): GatewayVerification {
  if (!peer) return { status: 'none' };
  if (socket.authorized) return { status: 'success' };
  const error = socket.authorizationError as Error | string | null | undefined;
  const detail = error instanceof Error ? error.message : (error ?? 'unknown');
  return { status: 'failed', detail };
}

function verificationText(verification: GatewayVerification): string {
  return verification.status === 'success'
    ? 'SUCCESS'
    : verification.status === 'none'
      ? 'NONE'
      : `FAILED:${verification.detail ?? ''}`;
}

function forwardedForOf(socket: TLSSocket): string | undefined {
  const address = socket.remoteAddress;
  if (address === undefined) return undefined;
  // App Gateway writes client address and port.
  const port = socket.remotePort;
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Copies raw headers into a header object (repeated headers as arrays), dropping hop-by-hop headers and those `drop`
 * names.
 */
function copyHeaders(
  rawHeaders: readonly string[],
  drop: (lowerCaseName: string) => boolean,
): Record<string, string | string[]> {
  const connection: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'connection') connection.push(rawHeaders[index + 1] ?? '');
  }
  const listed = connectionListedHeaders(connection);
  // A Map, not an object: `__proto__`, `constructor` and the like are header names like any other.
  const headers = new Map<string, string[]>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? '').toLowerCase();
    const value = rawHeaders[index + 1] ?? '';
    if (name === '' || isHopByHopHeader(name, listed) || drop(name)) continue;
    const values = headers.get(name);
    if (values) values.push(value);
    else headers.set(name, [value]);
  }
  // Node wants a single value as a string (and insists on it for Host); own properties, no prototype.
  const result = Object.create(null) as Record<string, string | string[]>;
  for (const [name, values] of headers)
    result[name] = values.length === 1 || name === 'host' ? (values[0] ?? '') : values;
  return result;
}

/**
 * Whether an error is Node refusing a header, path or method it was asked to send (a client's input, not a gateway
 * fault).
 */
function isRefusedInput(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  return [
    'ERR_INVALID_CHAR',
    'ERR_INVALID_HTTP_TOKEN',
    'ERR_HTTP_INVALID_HEADER_VALUE',
    'ERR_UNESCAPED_CHARACTERS',
    'ERR_INVALID_ARG_VALUE',
  ].includes(code);
}

function answerJson(res: ServerResponse, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Starts the gateway; resolves once it listens. */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const host = options.host ?? '127.0.0.1';
  const format = options.format ?? 'app-gateway';
  const mode = options.mode ?? 'passthrough';
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:')
    throw new Error(`local gateway: upstream must be an http:// URL, got ${options.upstream}`);
  if (options.secret === '') throw new Error('local gateway: the gateway secret must not be empty');
  const upstreamBasePath = upstream.pathname.replace(/\/+$/, '');
  const isGatewayOwned = gatewayOwnedHeaderMatcher(options.secretHeader);
  const agent = new Agent({ keepAlive: true });

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket)) {
      answerJson(res, 500, { error: 'not-a-tls-connection' });
      return;
    }
    // Host and request target are checked before anything is forwarded: the backend gets origin form only.
    const target = readRequestTarget(req);
    if (!target.ok) {
      req.resume();
      answerRefusal(res, target.refusal);
      return;
    }
    const peer = peerCertificates(socket);
    const verification = verificationOf(socket, peer);
    if (mode === 'strict' && verification.status !== 'success') {
      req.resume();
      answerJson(res, 403, {
        error: 'client-certificate-rejected-by-gateway',
        verification: verificationText(verification),
      });
      return;
    }

    const headers: OutgoingHttpHeaders = copyHeaders(req.rawHeaders, isGatewayOwned);
    if (peer) {
      Object.assign(
        headers,
        encodeForwardedCertificate(format, peer.leaf, format === 'app-gateway' ? [] : peer.chain, { verification }),
      );
    } else {
      // No certificate: the format's own "none" verdict (App Gateway's NONE), if it sends one.
      Object.assign(headers, encodeGatewayVerification(format, verification));
    }
    headers[options.secretHeader] = options.secret;
    const forwardedFor = forwardedForOf(socket);
    if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
    headers['x-forwarded-proto'] = 'https';
    if (target.host !== '') headers['x-forwarded-host'] = target.host;

    const upstreamRequest = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${upstreamBasePath}${target.originForm}`,
        headers,
        agent,
      },
      (upstreamResponse) => {
        upstreamResponse.on('error', (error) => {
          res.destroy(error);
        });
        try {
          const responseHeaders = copyHeaders(upstreamResponse.rawHeaders, () => false);
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.statusMessage, responseHeaders);
        } catch (error) {
          // A status line or header Node will not write back: the backend's fault, answered, never thrown.
          upstreamResponse.resume();
          if (res.headersSent) res.destroy();
          else
            answerJson(res, 502, {
              error: 'upstream-response-not-relayable',
              detail: error instanceof Error && 'code' in error ? String(error.code) : 'error',
            });
          return;
        }
        upstreamResponse.pipe(res);
      },
    );
    upstreamRequest.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      answerJson(res, 502, { error: 'upstream-unavailable', detail: error.code ?? 'error' });
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamRequest.destroy();
    });
    req.pipe(upstreamRequest);
  };

  const server = createServer(
    {
      cert: options.serverCertPem,
      key: options.serverKeyPem,
      ca: [...options.clientCaPems],
      requestCert: true,
      rejectUnauthorized: false,
      // A missing Host is answered by readRequestTarget, with a body, rather than by Node.
      requireHostHeader: false,
    },
    (req, res) => {
      try {
        forward(req, res);
      } catch (error) {
        // A request the proxy cannot forward is answered, never a crash: a 400 when Node refuses the
        // client's header, path or method, a 502 for anything else.
        req.resume();
        if (res.headersSent) res.destroy();
        else if (isRefusedInput(error))
          answerRefusal(res, {
            status: 400,
            code: 'request-not-forwardable',
            message: `The gateway cannot forward this request: ${messageOf(error)}`,
          });
        else
          answerJson(res, 502, {
            error: 'request-not-forwardable',
            detail: error instanceof Error && 'code' in error ? String(error.code) : 'error',
          });
      }
    },
  );
  // A failed handshake or a malformed request is the client's problem; it must not stop the gateway.
  // What Node's parser refuses gets a 4xx with a JSON body (as the local host answers); CONNECT a 405.
  server.on('tlsClientError', () => undefined);
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);

  const authority = await listenOn(server, options.port, host);
  const port = Number(authority.slice(authority.lastIndexOf(':') + 1));
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
