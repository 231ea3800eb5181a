/**
 * The gate's HTTP client: sends one request to an upstream with the body streamed from the
 * client (a WHATWG ReadableStream, as `@azure/functions` gives it with HTTP streams on) and
 * resolves once the upstream's status and headers arrive, with its body as a Node stream that
 * has not been read (the caller decides, from the headers, whether any byte goes to the client).
 * Back-pressure is Node's own (`pipeline`): memory stays flat however large the bodies are. The
 * answer's body goes back to the client ({@link relayedBodyOf}) as the bytes themselves when the
 * whole of a small body came with its headers, else as a web stream ({@link webBodyOf}) without a
 * copy per chunk.
 *
 * Why node:http and not fetch (undici): fetch decodes `Content-Encoding` (gzip, br) on the way in
 * while the header stays, so a proxy built on it would hand the client decoded bytes labelled as
 * compressed; node:http passes the bytes as they are.
 *
 * Failures are typed: no response headers within `timeoutMs` of the request's end (of its body, as
 * an upload may take long; without a body, of the call), or, while a body is sent, a connection idle
 * that long before them → `timeout`; a refused, reset or
 * unresolvable connection, a TLS failure, or a response Node cannot parse → `unavailable`.
 * May import: node built-ins, errors.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { finished, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import { CertgateError } from '../errors.js';

/** Why the upstream gave no answer. */
export type UpstreamFailureKind = 'timeout' | 'unavailable';

/** The upstream did not answer (the request may or may not have reached it). */
export class UpstreamError extends CertgateError {
  readonly code = 'gate-upstream-failed';
  constructor(
    readonly kind: UpstreamFailureKind,
    /** Node's error code (`ECONNREFUSED`, `ECONNRESET`, …) or `timeout`, for the log. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`upstream ${kind}: ${detail}`, options);
    this.name = 'UpstreamError';
  }
}

/**
 * Where a request goes, already split: the upstream's scheme, host and port as parsed, and the
 * request-target in URL form (a parsed URL's `pathname` + `search`), taken as is. The same as the
 * URL `${origin}${path}` would give, without parsing it again.
 */
export interface UpstreamTarget {
  readonly origin: Readonly<Pick<URL, 'protocol' | 'hostname' | 'port'>>;
  readonly path: string;
}

/** One request to an upstream. */
export interface UpstreamRequest {
  /** An absolute URL, or the target already split ({@link UpstreamTarget}). */
  readonly url: string | UpstreamTarget;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's body; null for none (GET, HEAD, or an empty body). */
  readonly body: ReadableStream<Uint8Array> | null;
  /** Deadline for the response headers once the request is sent, and the longest idle time before them, in ms. */
  readonly timeoutMs: number;
}

/** The upstream's answer, body unread. */
export interface UpstreamResponse {
  readonly status: number;
  /** Node's raw header list: name, value, name, value, … (repeated headers kept apart). */
  readonly rawHeaders: readonly string[];
  readonly body: IncomingMessage;
}

// Keep-alive pools, shared by every request of the worker.
const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 64 });

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'error';
}

function targetOf(url: string | UpstreamTarget): UpstreamTarget {
  if (typeof url !== 'string') return url;
  const parsed = new URL(url);
  return { origin: parsed, path: `${parsed.pathname}${parsed.search}` };
}

/** Sends the request; resolves with the response head, rejects with {@link UpstreamError}. */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  const { origin: url, path } = targetOf(request.url);
  const secure = url.protocol === 'https:';
  return new Promise<UpstreamResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: UpstreamError): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      outgoing.destroy();
      reject(error);
    };
    const outgoing = (secure ? httpsRequest : httpRequest)(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path,
        method: request.method,
        headers: request.headers,
        agent: secure ? httpsAgent : httpAgent,
        ...(secure ? { servername: url.hostname } : {}),
      },
      (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        if (timer) clearTimeout(timer);
        // From here the body streams for as long as it takes (downloads, server-sent events).
        if (request.body) outgoing.setTimeout(0);
        resolve({ status: response.statusCode ?? 502, rawHeaders: response.rawHeaders, body: response });
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const startDeadline = (): void => {
      timer = setTimeout(() => {
        fail(new UpstreamError('timeout', `no response headers within ${request.timeoutMs} ms of the request`));
      }, request.timeoutMs);
    };
    outgoing.on('error', (error) => {
      fail(new UpstreamError('unavailable', errorCode(error), { cause: error }));
    });
    if (request.body) {
      // An upload may take long: the deadline starts once its last byte is sent, and until then
      // the connection must not stay idle that long.
      outgoing.on('finish', startDeadline);
      outgoing.setTimeout(request.timeoutMs, () => {
        fail(new UpstreamError('timeout', `connection idle for ${request.timeoutMs} ms before the response`));
      });
      // A client that goes away mid-upload aborts the upstream request (pipeline destroys both).
      pipeline(Readable.fromWeb(request.body), outgoing).catch((error: unknown) => {
        fail(new UpstreamError('unavailable', `request body: ${errorCode(error)}`, { cause: error }));
      });
    } else {
      // No body: the request ends here, so one deadline covers connecting, sending and the answer's headers.
      outgoing.end();
      startDeadline();
    }
  });
}

/** How many bytes the web stream of an upstream body holds before it pauses the socket: two 64 KiB reads. */
const RELAY_HIGH_WATER_MARK = 128 * 1024;

/** The largest body handed on as bytes when it has wholly arrived with the headers (one socket read). */
const ARRIVED_BODY_LIMIT = 64 * 1024;

/**
 * The upstream's body as the client's response body: when the whole body has already arrived (the
 * parser saw the message's end in the reads that brought the headers: a small answer) and is at
 * most {@link ARRIVED_BODY_LIMIT} bytes, those bytes, taken from the response's buffer (nothing
 * waits for them: they are here; reading them to the end returns the connection to the pool);
 * otherwise a web stream ({@link webBodyOf}) that relays it as it comes. A web stream per answer
 * (its construction, a reader, a promise per read) was a fifth of the gate's CPU per small GET.
 */
export function relayedBodyOf(body: IncomingMessage): Uint8Array | ReadableStream<Uint8Array> {
  if (!body.complete || body.readableLength > ARRIVED_BODY_LIMIT) return webBodyOf(body);
  // Ended and unread: read() without a size gives every buffered byte at once (null for none) and ends the stream.
  return (body.read() as Buffer | null) ?? new Uint8Array(0);
}

/**
 * The upstream's body as a WHATWG ReadableStream (what a Functions response body with HTTP streams
 * is), relayed chunk by chunk with back-pressure: the socket is paused once {@link RELAY_HIGH_WATER_MARK}
 * bytes wait and resumed when the reader pulls; cancelling the web stream destroys the body (and
 * its upstream connection); a body that ends early (the upstream reset or closed mid-answer) errors
 * the web stream, so the client's response ends abruptly rather than looking complete.
 *
 * The same semantics as `Readable.toWeb`, without its copy of every chunk (Node 20 copies each
 * Buffer into a new Uint8Array to detach it from Buffer's pool, for consumers that transfer the
 * ArrayBuffer; a profile of a 256 MiB download through the gate put that copy at about an eighth of
 * the CPU). The chunks here are the socket's own reads and nothing downstream transfers them.
 */
export function webBodyOf(body: Readable): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) body.pause();
        });
        // As Readable.toWeb: the end closes the stream; an error or a premature close errors it.
        finished(body, (error) => {
          if (!open) return;
          open = false;
          if (error) controller.error(error);
          else controller.close();
        });
      },
      pull() {
        body.resume();
      },
      cancel() {
        open = false;
        // Without the reason: the client going away is no error of the upstream connection's.
        body.destroy();
      },
    },
    { highWaterMark: RELAY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
}
