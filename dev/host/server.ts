/**
 * The local Functions host: serves every registered HTTP function at
 * `http://<host>:<port>/<routePrefix>/<route>` with the Functions routing and auth-level
 * semantics, because Core Tools cannot be installed on these machines.
 *
 * What it copies from the real host: route templates (`{name}`, `{name?}`, `{*rest}`, `:constraint`
 * ignored), the default route (the function name), case-insensitive matching, method filtering,
 * `authLevel` (`anonymous`; `function` = a function key or the master key in `?code=` or
 * `x-functions-key`; `admin` = the master key), the ban on routes starting with `admin`, repeated
 * headers joined with ", ", and the client address appended to `X-Forwarded-For` as App Service's
 * front end does, request headers up to 32 KiB (Kestrel's default). Timer functions run every
 * `timerSeconds` (schedules are not interpreted). A handler that throws gets a
 * 500, as in Azure. Malformed input never stops it: a bad Host, request target or percent-encoding,
 * a request line or header Node's parser refuses, CONNECT, TRACE (which the fetch Request cannot
 * carry), a broken body: each gets a 4xx with `{ error: { code, message } }` (see ../httpInput.ts),
 * and a fault of the host itself a logged 500, never an unhandled rejection. Dev-only.
 * May import: @azure/functions, node built-ins, the functions-core stand-in, the dev HTTP input checks.
 */
import azureFunctions, { type HttpRequestInit, type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { answerClientError, answerRefusal, decodeRouteValue, readRequestTarget, refuseConnect } from '../httpInput.js';
import { httpStreamEnabled, type RegisteredFunction } from './functionsCore.js';
import { messageOf } from '../../shared/errors.js';

// The package is a CommonJS bundle whose classes Node's ESM named-export detection misses; the
// default import (module.exports) has them all.
const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/**
 * The route prefix the real host reads from `host.json` (`extensions.http.routePrefix`, "api" when
 * unset). certgate sets it to "" so the gate can answer every path of a registered host; its own
 * routes carry `api/` themselves.
 */
export function hostJsonRoutePrefix(hostJsonPath = new URL('../../host.json', import.meta.url)): string {
  const hostJson = JSON.parse(readFileSync(hostJsonPath, 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  return hostJson.extensions?.http?.routePrefix ?? 'api';
}

/** Options of {@link startFunctionsHost}. */
export interface FunctionsHostOptions {
  readonly functions: readonly RegisteredFunction[];
  readonly host?: string;
  readonly port?: number;
  readonly routePrefix?: string;
  /** Keys accepted for `authLevel: 'function'` (the master key is accepted too). */
  readonly functionKeys: readonly string[];
  readonly masterKey: string;
  readonly log?: (line: string) => void;
  /** How often timer functions run locally (their NCRONTAB schedules are not interpreted); 0 = never. */
  readonly timerSeconds?: number;
  /**
   * Stream request and response bodies (default: whether the app called `app.setup({ enableHttpStream: true })`),
   * as the Functions host does with HTTP streams on: the handler reads `request.body` as it arrives, and a
   * response body is written as it is produced, with back-pressure.
   */
  readonly httpStream?: boolean;
  /** Largest request body, in bytes (default: the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else 100 MiB). */
  readonly requestBodyLimitBytes?: number;
}

/** A running local host. */
export interface FunctionsHost {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Route {
  readonly fn: RegisteredFunction;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly methods: ReadonlySet<string> | undefined;
  readonly authLevel: 'anonymous' | 'function' | 'admin';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a Functions route template (ASP.NET style) into a regular expression. */
export function compileRouteTemplate(prefix: string, template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const segments = [prefix, ...template.split('/')].filter((s) => s.length > 0);
  let source = '';
  for (const segment of segments) {
    const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/.exec(segment);
    if (!param) {
      source += '/' + escapeRegExp(segment);
      continue;
    }
    const [, catchAll, name, optional] = param;
    paramNames.push(name!);
    if (catchAll) source += '(?:/(.*))?';
    else if (optional) source += '(?:/([^/]+))?';
    else source += '/([^/]+)';
  }
  return { pattern: new RegExp(`^${source}/?$`, 'i'), paramNames };
}

function buildRoutes(functions: readonly RegisteredFunction[], prefix: string): Route[] {
  const routes: Route[] = [];
  for (const fn of functions) {
    if (fn.trigger.type !== 'httpTrigger') continue;
    const template = fn.trigger.route ?? fn.name;
    if (/^admin/i.test(template) || /^admin/i.test(fn.name)) {
      throw new Error(
        `function ${fn.name}: routes and names starting with "admin" conflict with the Functions host's built-in routes`,
      );
    }
    const { pattern, paramNames } = compileRouteTemplate(prefix, template);
    const level = fn.trigger.authLevel ?? 'function';
    routes.push({
      fn,
      pattern,
      paramNames,
      methods: fn.trigger.methods ? new Set(fn.trigger.methods.map((m) => m.toUpperCase())) : undefined,
      authLevel: level === 'anonymous' || level === 'admin' ? level : 'function',
    });
  }
  // Literal segments beat parameters, as in ASP.NET routing: longer literal prefixes first.
  return routes.sort(
    (a, b) => b.pattern.source.replace(/\(.*?\)/g, '').length - a.pattern.source.replace(/\(.*?\)/g, '').length,
  );
}

function joinedHeaders(req: IncomingMessage): Record<string, string> {
  // No prototype: a header named `__proto__` or `constructor` is a header like any other.
  const headers = Object.create(null) as Record<string, string>;
  // The raw lines, names lower-cased, repeats joined in order: what `headersDistinct` joined gives,
  // without building its arrays per request.
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}, ${value}`;
  }
  const peer = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${peer}` : peer;
  return headers;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Statuses a fetch Response carries no body with (the library drops `jsonBody` for them). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
/** A header name `Headers` keeps as it is: an HTTP token, already lower case. */
const LOWER_CASE_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A header value `Headers` keeps as it is: printable ASCII without leading or trailing spaces, or empty. */
const KEPT_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/**
 * The entries `new Headers(init)` would iterate for a plain object of lower-case names and string values that
 * need no normalising (sorted by name, content-type added when missing), without building the `Headers`;
 * undefined for any other shape (arrays, `Headers`, names to lower-case, values to trim or refuse), which
 * goes through `Headers` itself.
 */
function keptHeaderEntries(init: unknown, contentType: string): [string, string][] | undefined {
  const entries: [string, string][] = [];
  let typed = false;
  if (init !== undefined) {
    if (typeof init !== 'object' || init === null) return;
    const prototype = Object.getPrototypeOf(init) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return;
    if (Object.getOwnPropertySymbols(init).length > 0) return;
    for (const name of Object.keys(init)) {
      const value = (init as Record<string, unknown>)[name];
      if (typeof value !== 'string' || !LOWER_CASE_TOKEN.test(name) || !KEPT_VALUE.test(value)) return;
      if (name === 'content-type') typed = true;
      entries.push([name, value]);
    }
  }
  if (!typed) entries.push(['content-type', contentType]);
  // Names are unique (object keys, all lower case): the order Headers iterates in.
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * The status, headers and JSON text `new HttpResponse(init)` would give for the commonest result, a
 * plain `{ status?, headers?, jsonBody }`: the same header entries (validation, lower-cased and sorted
 * names, `content-type: application/json` unless set) and the same JSON bytes, without the fetch Response
 * and its body stream. Undefined for anything else (cookies, `body`, a null-body or out-of-range status, JSON
 * that serialises to nothing), which goes through `HttpResponse`.
 */
function plainJsonResponse(
  result: unknown,
): { status: number; headers: Iterable<[string, string]>; body: string | Buffer } | undefined {
  if (typeof result !== 'object' || result === null || Object.getPrototypeOf(result) !== Object.prototype) return;
  const init = result as HttpResponseInit & Record<string, unknown>;
  for (const key in init) if (key !== 'status' && key !== 'headers' && key !== 'jsonBody') return;
  const status = init.status ?? 200;
  if (init.jsonBody === undefined || init.jsonBody === null) return;
  if (!Number.isInteger(status) || status < 200 || status > 599 || NULL_BODY_STATUSES.has(status)) return;
  const json = JSON.stringify(init.jsonBody) as string | undefined; // first, as the library does
  if (json === undefined) return;
  const kept = keptHeaderEntries(init.headers, 'application/json');
  // With ASCII headers the text itself: Node sends the head and a string body in one write (a string body goes
  // out with the head as UTF-8, so headers that may hold Latin-1 bytes keep the body as bytes).
  if (kept) return { status, headers: kept, body: json };
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return { status, headers, body: Buffer.from(json) };
}

/**
 * HTTP streams, a result of bytes already in hand (`{ status?, headers?, body: Uint8Array }`, as the gate
 * relays a small answer that came whole): what `new HttpResponse(init)` and the streamed write make of it
 * (the same `Headers`, no content type added for bytes, the bytes as the one chunk, then the end), without
 * the fetch Response, its body stream and a read per chunk; the head, the chunk and the end corked into one
 * socket write. Undefined for anything else (cookies, other bodies, a null-body or out-of-range status).
 */
function plainBytesResponse(result: unknown): { status: number; headers: Headers; body: Uint8Array } | undefined {
  if (typeof result !== 'object' || result === null || Object.getPrototypeOf(result) !== Object.prototype) return;
  const init = result as HttpResponseInit & Record<string, unknown>;
  for (const key in init) if (key !== 'status' && key !== 'headers' && key !== 'body') return;
  const status = init.status ?? 200;
  if (!(init.body instanceof Uint8Array)) return;
  if (!Number.isInteger(status) || status < 200 || status > 599 || NULL_BODY_STATUSES.has(status)) return;
  // A Headers of the handler's own is what HttpResponse's copy of it would hold (the same entries): used as is.
  return {
    status,
    headers: init.headers instanceof Headers ? init.headers : new Headers(init.headers),
    body: init.body,
  };
}

/**
 * Writes a streamed body as it is produced: what `pipeline(Readable.fromWeb(body), res)` does (back-pressure;
 * a body that fails destroys the response; a client that goes away cancels the body and rejects with
 * "Premature close"), read straight from the web stream's reader, without the Node stream wrapper and
 * pipeline's AbortController, whose abort at the end builds a DOMException (a stack trace) per response.
 */
async function writeStreamedBody(res: ServerResponse, body: WebReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  // Set by the 'close' listener when the client goes away first (a field: TypeScript does not narrow it away).
  const state: { gone?: Error } = {};
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    if (!res.writableFinished && state.gone === undefined) {
      state.gone = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      reader.cancel(state.gone).catch(() => undefined);
    }
    wake?.();
  };
  const onDrainOrFinish = (): void => wake?.();
  res.on('close', onClose);
  res.on('drain', onDrainOrFinish);
  res.on('finish', onDrainOrFinish);
  const throwIfGone = (): void => {
    if (state.gone) throw state.gone;
  };
  const until = (ready: () => boolean): Promise<void> | undefined =>
    ready() ? undefined : new Promise<void>((resolve) => (wake = resolve));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      throwIfGone();
      if (done) break;
      if (!res.write(value)) await until(() => state.gone !== undefined || !res.writableNeedDrain);
      throwIfGone();
    }
    res.end();
    await until(() => state.gone !== undefined || res.writableFinished);
    throwIfGone();
  } catch (error) {
    if (error !== state.gone) {
      reader.cancel(error).catch(() => undefined);
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
    throw error;
  } finally {
    wake = undefined;
    res.off('close', onClose);
    res.off('drain', onDrainOrFinish);
    res.off('finish', onDrainOrFinish);
  }
}

async function writeResponse(res: ServerResponse, result: unknown, stream = false): Promise<void> {
  const plain = plainJsonResponse(result);
  if (plain) {
    res.statusCode = plain.status;
    for (const [name, value] of plain.headers) res.setHeader(name, value);
    if (plain.headers instanceof Headers) {
      const plainCookies = plain.headers.getSetCookie();
      if (plainCookies.length > 1) res.setHeader('set-cookie', plainCookies);
    }
    res.end(plain.body);
    return;
  }
  const bytes = stream ? plainBytesResponse(result) : undefined;
  if (bytes) {
    res.statusCode = bytes.status;
    bytes.headers.forEach((value, name) => res.setHeader(name, value));
    const bytesCookies = bytes.headers.getSetCookie();
    if (bytesCookies.length > 1) res.setHeader('set-cookie', bytesCookies);
    res.cork();
    if (bytes.body.byteLength > 0) res.write(bytes.body);
    res.end();
    return;
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result as HttpResponseInit | undefined);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  // forEach gives each Set-Cookie apart and setHeader keeps the last: write them all.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 1) res.setHeader('set-cookie', cookies);
  if (stream && response.body) {
    // HTTP streams: written as produced, with back-pressure; a body that fails ends the response abruptly.
    await writeStreamedBody(res, response.body as WebReadableStream<Uint8Array>);
    return;
  }
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.end(body);
}

/** The request body as it arrives, failing once it passes `limit` bytes (the host's body size limit). */
function streamedBody(req: IncomingMessage, limit: number): Readable {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) callback(new Error(`request body larger than ${limit} bytes`));
      else callback(null, chunk);
    },
  });
  pipeline(req, counter).catch(() => undefined);
  return counter;
}

function keyOf(query: URLSearchParams, req: IncomingMessage): string | undefined {
  const header = req.headers['x-functions-key'];
  return query.get('code') ?? (typeof header === 'string' ? header : undefined);
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The body of a request without one (only its length is read). */
const NO_BODY = Buffer.alloc(0);

/** Methods the fetch `Request` inside `HttpRequest` refuses to carry (forbidden methods); Azure would pass them on. */
const METHODS_REQUEST_REFUSES = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Starts the local host; resolves once it listens. */
export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const routes = buildRoutes(options.functions, options.routePrefix ?? 'api');
  const stream = options.httpStream ?? httpStreamEnabled();
  const bodyLimit =
    options.requestBodyLimitBytes ?? (Number(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) || 100 * 1024 * 1024);
  const log = options.log ?? (() => undefined);
  const listenHost = options.host ?? '127.0.0.1';
  /** `host:port` the host listens on: the URL's authority when a request names none (HTTP/1.0, empty Host). */
  let listenAuthority = listenHost;

  // The routes matching a path, remembered for the paths seen most recently (the routes never change).
  const routesByPath = new Map<string, Route[]>();
  const routesFor = (path: string): Route[] => {
    let found = routesByPath.get(path);
    if (!found) {
      found = routes.filter((r) => r.pattern.test(path));
      if (routesByPath.size >= 256) routesByPath.delete(routesByPath.keys().next().value as string);
      routesByPath.set(path, found);
    }
    return found;
  };
  // One log handler per function, not a closure per invocation; none formats a line when nothing takes it.
  const discard = (): void => undefined;
  const logHandlers = new Map<string, (level: string, ...args: unknown[]) => void>();
  const logHandlerOf = (name: string) => {
    let handler = logHandlers.get(name);
    if (!handler) {
      handler = options.log
        ? (level: string, ...args: unknown[]) => {
            log(`[${name}] ${level}: ${args.map(String).join(' ')}`);
          }
        : discard;
      logHandlers.set(name, handler);
    }
    return handler;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Host, request target and percent-encoding are checked before anything parses them.
    const target = readRequestTarget(req);
    if (!target.ok) {
      req.resume();
      answerRefusal(res, target.refusal);
      return;
    }
    // The Request parses (and normalises) the URL itself; the query is read from the checked target.
    const url = `http://${target.host === '' ? listenAuthority : target.host}${target.originForm}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = routesFor(target.path);
    const route = candidates.find((r) => !r.methods || r.methods.has(method));
    if (!route) {
      req.resume();
      res.statusCode = 404;
      res.end();
      return;
    }
    if (route.authLevel !== 'anonymous') {
      const key = keyOf(new URLSearchParams(target.search), req);
      const accepted = route.authLevel === 'admin' ? [options.masterKey] : [options.masterKey, ...options.functionKeys];
      if (key === undefined || !accepted.includes(key)) {
        req.resume();
        res.statusCode = 401;
        res.end();
        return;
      }
    }
    if (METHODS_REQUEST_REFUSES.has(method)) {
      req.resume();
      answerRefusal(res, {
        status: 405,
        code: 'method-not-supported',
        message: `The local host cannot pass ${method} to a function: the fetch Request that @azure/functions builds refuses it.`,
      });
      return;
    }
    const match = route.pattern.exec(target.path);
    const params: Record<string, string> = {};
    for (let i = 0; i < route.paramNames.length; i++) {
      const name = route.paramNames[i]!;
      const value = match?.[i + 1];
      if (value === undefined) continue;
      const decoded = decodeRouteValue(value);
      if (decoded === undefined) {
        req.resume();
        answerRefusal(res, {
          status: 400,
          code: 'invalid-percent-encoding',
          message: `The route value ${name} has a malformed percent-encoding.`,
        });
        return;
      }
      params[name] = decoded;
    }
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    const streamed = stream && method !== 'GET' && method !== 'HEAD' && declaredLength <= bodyLimit;
    let body: Buffer | 'too-large';
    try {
      body =
        method === 'GET' || method === 'HEAD' || streamed
          ? NO_BODY
          : stream
            ? 'too-large'
            : await readBody(req, bodyLimit);
    } catch {
      // The client went away or sent a broken body (Node's parser has answered it): nothing to run.
      res.destroy();
      return;
    }
    if (body === 'too-large') {
      answerRefusal(res, {
        status: 413,
        code: 'request-body-too-large',
        message: `The request body is larger than ${bodyLimit} bytes.`,
      });
      return;
    }
    let request: InstanceType<typeof HttpRequest>;
    try {
      const headers = joinedHeaders(req);
      request = stream
        ? // HTTP streams: as the worker builds it (createStreamRequest), the fetch Request over the incoming body
          // and the query read from its URL (the worker ignores the host's query).
          new HttpRequest(<HttpRequestInit>{
            params,
            nativeRequest: new Request(url, {
              method,
              headers,
              // A Node stream is an async iterable, which Node's fetch takes as a body.
              ...(streamed ? { body: streamedBody(req, bodyLimit) as unknown as ReadableStream } : {}),
              duplex: 'half',
            }),
          })
        : new HttpRequest({
            method,
            url,
            headers,
            query: Object.fromEntries(new URLSearchParams(target.search)),
            params,
            ...(body.length > 0 ? { body: { bytes: body } } : {}),
          });
    } catch (error) {
      answerRefusal(res, {
        status: 400,
        code: 'request-not-representable',
        message: `The request cannot be handed to a function: ${messageOf(error)}`,
      });
      return;
    }
    const invocationId = randomUUID();
    const context = new InvocationContext({
      invocationId,
      functionName: route.fn.name,
      logHandler: logHandlerOf(route.fn.name),
    });
    try {
      await writeResponse(res, await route.fn.handler(request, context), stream);
    } catch (error) {
      log(`[${route.fn.name}] unhandled error: ${describeError(error)}`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    }
  };

  // 32 KiB of request headers, as Kestrel (the Functions host's web server) allows by default.
  // A missing Host is answered by readRequestTarget, with a body, rather than by Node.
  const server: Server = createServer({ maxHeaderSize: 32 * 1024, requireHostHeader: false }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A fault of the local host itself: logged and answered, never an unhandled rejection.
      log(`local host: request ${req.method ?? ''} ${req.url ?? ''} failed: ${describeError(error)}`);
      if (res.headersSent) res.destroy();
      else
        answerRefusal(res, {
          status: 500,
          code: 'local-host-error',
          message: 'The local host failed on this request; see its log.',
        });
    });
  });
  // What Node's parser refuses (request line, headers, sizes, bodies) gets a 4xx with a body; CONNECT a 405.
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);
  server.keepAliveTimeout = 5_000;
  const timers =
    (options.timerSeconds ?? 0) > 0
      ? options.functions
          .filter((fn) => fn.trigger.type === 'timerTrigger')
          .map((fn) =>
            setInterval(
              () => {
                const context = new InvocationContext({ invocationId: randomUUID(), functionName: fn.name });
                Promise.resolve(
                  fn.handler({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: {} }, context),
                ).catch((error: unknown) => {
                  log(`[${fn.name}] timer failed: ${String(error)}`);
                });
              },
              (options.timerSeconds ?? 0) * 1000,
            ).unref(),
          )
      : [];
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, listenHost, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  listenAuthority = `${urlHost}:${port}`;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
