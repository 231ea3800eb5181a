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
import azureFunctions, { type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError, answerRefusal, decodeRouteValue, readRequestTarget, refuseConnect } from '../httpInput.js';
import type { RegisteredFunction } from './functionsCore.js';
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
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) headers[name] = values.join(', ');
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

async function writeResponse(res: ServerResponse, result: unknown): Promise<void> {
  const response = result instanceof HttpResponse ? result : new HttpResponse(result as HttpResponseInit | undefined);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.end(body);
}

function keyOf(url: URL, req: IncomingMessage): string | undefined {
  const header = req.headers['x-functions-key'];
  return url.searchParams.get('code') ?? (typeof header === 'string' ? header : undefined);
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Methods the fetch `Request` inside `HttpRequest` refuses to carry (forbidden methods); Azure would pass them on. */
const METHODS_REQUEST_REFUSES = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Starts the local host; resolves once it listens. */
export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const routes = buildRoutes(options.functions, options.routePrefix ?? 'api');
  const log = options.log ?? (() => undefined);
  const listenHost = options.host ?? '127.0.0.1';
  /** `host:port` the host listens on: the URL's authority when a request names none (HTTP/1.0, empty Host). */
  let listenAuthority = listenHost;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Host, request target and percent-encoding are checked before anything parses them.
    const target = readRequestTarget(req);
    if (!target.ok) {
      req.resume();
      answerRefusal(res, target.refusal);
      return;
    }
    const url = new URL(`http://${target.host === '' ? listenAuthority : target.host}${target.originForm}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = routes.filter((r) => r.pattern.test(target.path));
    const route = candidates.find((r) => !r.methods || r.methods.has(method));
    if (!route) {
      req.resume();
      res.statusCode = 404;
      res.end();
      return;
    }
    if (route.authLevel !== 'anonymous') {
      const key = keyOf(url, req);
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
    for (const [i, name] of route.paramNames.entries()) {
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
    let body: Buffer | 'too-large';
    try {
      body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, 100 * 1024 * 1024);
    } catch {
      // The client went away or sent a broken body (Node's parser has answered it): nothing to run.
      res.destroy();
      return;
    }
    if (body === 'too-large') {
      answerRefusal(res, {
        status: 413,
        code: 'request-body-too-large',
        message: 'The request body is larger than 100 MiB.',
      });
      return;
    }
    let request: InstanceType<typeof HttpRequest>;
    try {
      request = new HttpRequest({
        method,
        url: url.toString(),
        headers: joinedHeaders(req),
        query: Object.fromEntries(url.searchParams),
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
      logHandler: (level, ...args) => {
        log(`[${route.fn.name}] ${level}: ${args.map(String).join(' ')}`);
      },
    });
    try {
      await writeResponse(res, await route.fn.handler(request, context));
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
