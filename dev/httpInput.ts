/**
 * What the dev HTTP servers (the local Functions host and the local gateway) accept from a client,
 * and how they refuse the rest: one Host header that is a valid authority (empty allowed, as
 * Kestrel allows it), a request target in origin form (`/path?query`) or absolute form
 * (`http://authority/path`, authority equal to Host), printable ASCII only, well-formed
 * percent-encoding in the path. Anything else is a 4xx with `{ error: { code, message } }`, never
 * an exception: a malformed request must not stop a dev server. Also the `clientError` and
 * `connect` handlers that answer what Node's own parser refuses (malformed request lines and
 * headers, oversized heads, CONNECT) with the same body instead of a bare close.
 * Dev and test only.
 * May import: node built-ins.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A refusal of a client's request: a 4xx status, a stable kebab-case code and a message. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** A request target the servers can route or forward. */
export interface AcceptedTarget {
  readonly ok: true;
  /** The single Host header value ('' when absent on HTTP/1.0 or sent empty). */
  readonly host: string;
  /** Origin form as the client sent it (`/path?query`), absolute form reduced to it. */
  readonly originForm: string;
  /** The path with dot segments removed (as Kestrel does), still percent-encoded. */
  readonly path: string;
  /** The query with its `?`, or ''. */
  readonly search: string;
}

export type RequestTarget = AcceptedTarget | { readonly ok: false; readonly refusal: Refusal };

const refuse = (status: number, code: string, message: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { status, code, message },
});

/**
 * RFC 3986 reg-name / IPv4 characters (unreserved and sub-delims, no percent-encoding), or an IP literal; optional
 * port.
 */
const HOST_SHAPE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::[0-9]{0,5})?$/;

/** Whether a Host header value is an authority a URL can carry (empty is allowed, as in Kestrel). */
export function isValidHostHeader(value: string): boolean {
  if (value === '') return true;
  if (!HOST_SHAPE.test(value)) return false;
  try {
    // The WHATWG parser also refuses what the shape lets through: `1.2.3.4.5`, `[zz]`, ports over 65535.
    return new URL(`http://${value}/`).host !== '';
  } catch {
    return false;
  }
}

/** Whether every `%` in `text` starts a triplet and the triplets decode as UTF-8 (no overlong forms, no surrogates). */
export function isWellFormedPercentEncoding(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Percent-decodes a route value; undefined when it is not well-formed. */
export function decodeRouteValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function hostHeadersOf(req: IncomingMessage): string[] {
  const values: string[] = [];
  for (let index = 0; index + 1 < req.rawHeaders.length; index += 2) {
    if (req.rawHeaders[index]?.toLowerCase() === 'host') values.push(req.rawHeaders[index + 1] ?? '');
  }
  return values;
}

/** Printable ASCII only: raw spaces, controls and non-ASCII bytes must be percent-encoded. */
const TARGET_CHARACTERS = /^[\x21-\x7e]+$/;

/** Most accepted (Host, target) pairs remembered (the checks are a pure function of the two), and the longest. */
const REMEMBERED_TARGETS = 256;
const REMEMBERED_KEY_LENGTH = 2048;
const acceptedTargets = new Map<string, AcceptedTarget>();

/**
 * Checks the Host header and the request target as Kestrel (the Functions host's server) does,
 * and gives back the target in origin form; never throws. With one Host header the answer depends
 * on that header and the target alone, so an accepted pair seen recently is answered from memory
 * (at most {@link REMEMBERED_TARGETS} recent pairs of up to 2 KiB; refusals are checked each time).
 */
export function readRequestTarget(req: IncomingMessage): RequestTarget {
  const hosts = hostHeadersOf(req);
  if (hosts.length > 1) return refuse(400, 'duplicate-host-header', 'The request has more than one Host header.');
  const host = hosts[0];
  if (host === undefined) return checkRequestTarget(req, undefined);
  const key = `${host} ${req.url ?? ''}`; // a space: in neither a valid Host nor a request target
  let accepted = acceptedTargets.get(key);
  if (accepted === undefined) {
    const checked = checkRequestTarget(req, host);
    if (!checked.ok || key.length > REMEMBERED_KEY_LENGTH) return checked;
    if (acceptedTargets.size >= REMEMBERED_TARGETS) acceptedTargets.delete(acceptedTargets.keys().next().value!);
    accepted = Object.freeze(checked);
    acceptedTargets.set(key, accepted);
  }
  return accepted;
}

function checkRequestTarget(req: IncomingMessage, host: string | undefined): RequestTarget {
  if (host === undefined && !(req.httpVersionMajor === 1 && req.httpVersionMinor === 0))
    return refuse(400, 'missing-host-header', 'An HTTP/1.1 request needs a Host header.');
  if (host !== undefined && !isValidHostHeader(host))
    return refuse(400, 'invalid-host-header', 'The Host header is not a valid host[:port].');
  const target = req.url ?? '';
  if (!TARGET_CHARACTERS.test(target))
    return refuse(
      400,
      'invalid-request-target',
      'The request target must be printable ASCII; percent-encode anything else.',
    );
  let url: URL;
  let originForm: string;
  if (target.startsWith('/')) {
    originForm = target;
    try {
      // Prefixed, not resolved against a base: `//x/y` is a path here, not another authority.
      url = new URL(`http://localhost${target}`);
    } catch {
      return refuse(400, 'invalid-request-target', 'The request target is not a valid path.');
    }
  } else if (/^https?:\/\//i.test(target)) {
    try {
      url = new URL(target);
    } catch {
      return refuse(400, 'invalid-request-target', 'The request target is not a valid absolute URL.');
    }
    if (url.username !== '' || url.password !== '')
      return refuse(400, 'invalid-request-target', 'The request target must not carry user information.');
    // A valid, non-empty Host parses; HTTP/1.0 may leave it out; an empty one names no authority.
    if (host !== undefined && (host === '' || url.host !== new URL(`http://${host}/`).host)) {
      return refuse(
        400,
        'host-header-mismatch',
        'The Host header must name the authority of an absolute request target.',
      );
    }
    originForm = `${url.pathname}${url.search}`;
    if (host === undefined) return accepted(url.host, originForm, url);
  } else {
    return refuse(400, 'invalid-request-target', 'The request target must be a path (/…) or an absolute http(s) URL.');
  }
  return accepted(host ?? '', originForm, url);
}

function accepted(host: string, originForm: string, url: URL): RequestTarget {
  if (!isWellFormedPercentEncoding(url.pathname))
    return refuse(
      400,
      'invalid-percent-encoding',
      'The path has a malformed percent-encoding (a % not followed by two hex digits, or bytes that are not UTF-8).',
    );
  return { ok: true, host, originForm, path: url.pathname, search: url.search };
}

/** The JSON body of a refusal. */
export function refusalBody(refusal: Refusal): string {
  return JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
}

/** Answers a refusal on a response that has not started; destroys the response when it has. */
export function answerRefusal(res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = refusalBody(refusal);
  res.writeHead(refusal.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

/** A complete HTTP/1.1 response for a refusal, with `Connection: close`, to write on a raw socket. */
export function rawRefusal(refusal: Refusal): string {
  const body = refusalBody(refusal);
  return `HTTP/1.1 ${refusal.status} ${REASON_PHRASES[refusal.status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** What Node's HTTP parser error means for the client (Node's own mapping, with a body). */
export function refusalOfParserError(error: NodeJS.ErrnoException & { reason?: string }): Refusal {
  const detail = `${error.code ?? 'error'}${error.reason ? `: ${error.reason}` : ''}`;
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'request-header-too-large',
        message: `The request line and headers are larger than this server accepts (${detail}).`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'chunk-extensions-too-large',
        message: `The chunk extensions are larger than this server accepts (${detail}).`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request-timeout', message: 'The request did not arrive in time.' };
    default:
      return { status: 400, code: 'malformed-request', message: `The request is not valid HTTP/1.1 (${detail}).` };
  }
}

const ignore = (): void => undefined;

/**
 * The `clientError` handler: answers what Node's parser refused with a 4xx and a JSON body, as
 * Node's default handler does with an empty one, unless a response already started or the peer is
 * gone; then closes the connection. Never throws.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  socket.on('error', ignore);
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(rawRefusal(refusalOfParserError(error)), () => socket.destroy());
}

/** The `connect` handler: the dev servers are not forward proxies; CONNECT gets a 405. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  // Node hands the socket over without its error listener; a reset must not become an uncaught error.
  socket.on('error', ignore);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    rawRefusal({
      status: 405,
      code: 'method-not-supported',
      message: 'CONNECT is not supported: this is not a forward proxy.',
    }),
    () => socket.destroy(),
  );
}
