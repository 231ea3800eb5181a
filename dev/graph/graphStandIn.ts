/**
 * The local Microsoft Graph stand-in: one https server on loopback that plays both
 * login.microsoftonline.com (OpenID metadata and the client-credentials token endpoint, see
 * ./entraTokenEndpoint.ts) and graph.microsoft.com (`/v1.0/…` routes and JSON batching, see
 * ./graphRoutes.ts), serving a dev directory file. Fault switches (./faults.ts) inject throttling,
 * server errors, latency and malformed answers; counters record every Graph round trip (a `$batch`
 * counts once, its inner requests are counted apart) so tests and the benchmark can count calls.
 *
 * Routes besides Graph's: `POST /{tenant}/oauth2/v2.0/token`, `GET /{tenant}/v2.0/.well-known/openid-configuration`,
 * `GET /{tenant}/discovery/v2.0/keys`, `GET /common/discovery/instance`; control routes (no auth,
 * loopback only): `GET|PUT|POST|DELETE /_standin/faults` (JSON {@link GraphFaultSettings}),
 * `GET|DELETE /_standin/calls`.
 *
 * TLS: the committed dev certificate in `dev/graph/tls/`; the process must trust `ca.crt` from
 * start-up (`NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt`). Dev and test only: binds loopback only.
 * May import: node built-ins, the modules of this folder.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DirectoryIndex, loadDirectoryFile, parseDirectoryFile, type DirectoryFile } from './directoryFile.js';
import { EntraTokenService, InvalidGraphToken, type GraphCaller, type JsonAnswer } from './entraTokenEndpoint.js';
import {
  GRAPH_ROUTES,
  GraphFaults,
  GraphFaultSettingsSchema,
  type FaultVerdict,
  type GraphFaultSettings,
  type GraphRouteName,
} from './faults.js';
import {
  GRAPH_JSON,
  graphError,
  matchGraphRoute,
  serveGraphRoute,
  unmatchedGraphRequest,
  type GraphAnswer,
  type GraphRouteContext,
} from './graphRoutes.js';
import { readGraphStandInTls } from './tlsFiles.js';
import { StandInSubscriptions } from './subscriptions.js';
import { listenOn } from '../listen.js';
import { messageOf } from '../../shared/errors.js';

/** Most requests in one JSON batch, as Graph enforces it. */
export const BATCH_LIMIT = 20;
const MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Options of {@link startGraphStandIn}. */
export interface GraphStandInOptions {
  /** The directory: an object, a file path, or (default) the committed `dev/graph/directory.json`. */
  readonly directory?: DirectoryFile | string;
  /** Port, 0 (default) for any free one. */
  readonly port?: number;
  /** A loopback address (default 127.0.0.1). */
  readonly host?: string;
  /** Overrides the directory file's tenant id. */
  readonly tenantId?: string;
}

/** Graph round trips the stand-in has served since start or the last reset. */
export interface GraphCallCounts {
  /** Graph HTTP requests (a `$batch` is one), whatever their outcome. */
  readonly total: number;
  /** Graph HTTP requests by route (`batch` for the `$batch` envelopes). */
  readonly byRoute: Readonly<Record<GraphRouteName, number>>;
  /** Requests inside `$batch` envelopes, by route. */
  readonly inBatch: Readonly<Record<Exclude<GraphRouteName, 'batch'>, number>>;
  /** Graph requests that matched no route (direct or inside a batch). */
  readonly unmatched: number;
  /** Token endpoint requests. */
  readonly token: number;
  /** TLS connections accepted (all routes): stays flat while clients keep connections alive. */
  readonly connections: number;
}

/** A running stand-in. */
export interface GraphStandIn {
  /** `https://127.0.0.1:<port>`: both the Graph base URL and the authority host. */
  readonly url: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The directory served. */
  readonly directory: DirectoryFile;
  /** Change-notification subscriptions (also listed at `/_standin/subscriptions`). */
  readonly subscriptions: StandInSubscriptions;
  /** Adds or removes a group member and notifies subscribers (also `POST /_standin/directory/membership`). */
  editMembership(edit: MembershipEdit): Promise<void>;
  /** Fault switches (also at `/_standin/faults`). */
  readonly faults: { set(settings: GraphFaultSettings): void; clear(): void; current(): GraphFaultSettings };
  /** Call counters (also at `/_standin/calls`). */
  calls(): GraphCallCounts;
  /** Zeroes the call counters. */
  reset(): void;
  /**
   * A Graph token signed by the stand-in, by default with the application's roles (tests use it to make 401s and 403s).
   */
  mintToken(options?: {
    readonly roles?: readonly string[];
    readonly audience?: string;
    readonly expiresInSeconds?: number;
  }): Promise<string>;
  /**
   * The `@azure/identity` environment that signs in to this stand-in (EnvironmentCredential):
   * AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST, and
   * AZURE_TOKEN_CREDENTIALS=EnvironmentCredential so DefaultAzureCredential tries nothing else.
   */
  credentialEnvironment(): Readonly<Record<string, string>>;
  close(): Promise<void>;
}

function emptyCounts(): {
  total: number;
  byRoute: Record<GraphRouteName, number>;
  inBatch: Record<Exclude<GraphRouteName, 'batch'>, number>;
  unmatched: number;
  token: number;
  connections: number;
} {
  return {
    total: 0,
    byRoute: Object.fromEntries(GRAPH_ROUTES.map((route) => [route, 0])) as Record<GraphRouteName, number>,
    inBatch: Object.fromEntries(GRAPH_ROUTES.filter((route) => route !== 'batch').map((route) => [route, 0])) as Record<
      Exclude<GraphRouteName, 'batch'>,
      number
    >,
    unmatched: 0,
    token: 0,
    connections: 0,
  };
}

class BodyTooLarge extends Error {}

const MembershipEditSchema = z.strictObject({
  op: z.enum(['add', 'remove']),
  groupId: z.string().min(1),
  memberId: z.string().min(1),
});

/** A membership edit made through the stand-in's control route. */
export type MembershipEdit = z.infer<typeof MembershipEditSchema>;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

function sendJson(response: ServerResponse, answer: JsonAnswer | GraphAnswer): void {
  send(
    response,
    answer.status,
    { 'content-type': 'application/json; charset=utf-8', ...(answer.headers ?? {}) },
    JSON.stringify(answer.body),
  );
}

function faultAnswer(verdict: FaultVerdict): GraphAnswer | 'malformed' | undefined {
  const answer = verdict.answer;
  if (answer === undefined) return undefined;
  switch (answer.kind) {
    case 'throttle':
      return graphError(
        429,
        'TooManyRequests',
        'Too many requests from this application. Retry after the time in Retry-After.',
        { 'Retry-After': String(answer.retryAfterSeconds) },
      );
    case 'server-error': {
      const code =
        answer.status === 503 ? 'serviceNotAvailable' : answer.status === 504 ? 'gatewayTimeout' : 'generalException';
      const headers: Record<string, string> =
        answer.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(answer.retryAfterSeconds) };
      return graphError(answer.status, code, 'The service is temporarily unavailable (stand-in fault).', headers);
    }
    case 'malformed':
      return 'malformed';
  }
}

/** The first characters of a Graph answer, cut off mid-JSON: what the `malformed` fault sends. */
const TRUNCATED_JSON = '{"@odata.context":"$metadata","value":[{"id":';

interface InnerRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

function parseBatch(text: string): { readonly requests: readonly InnerRequest[] } | GraphAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return graphError(400, 'BadRequest', 'Invalid batch payload: the body is not JSON.');
  }
  const requests =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).requests : undefined;
  if (!Array.isArray(requests) || requests.length === 0)
    return graphError(400, 'BadRequest', "Invalid batch payload: 'requests' must be a non-empty array.");
  if (requests.length > BATCH_LIMIT)
    return graphError(
      400,
      'BadRequest',
      `Invalid batch payload: the number of requests (${requests.length}) exceeds the maximum of ${BATCH_LIMIT}.`,
    );
  const ids = new Set<string>();
  const result: InnerRequest[] = [];
  for (const raw of requests as unknown[]) {
    const item = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const { id, method, url, body, headers } = item;
    if (typeof id !== 'string' || id === '' || typeof method !== 'string' || typeof url !== 'string') {
      return graphError(
        400,
        'BadRequest',
        "Invalid batch payload: every request needs string 'id', 'method' and 'url'.",
      );
    }
    if (ids.has(id)) return graphError(400, 'BadRequest', `Invalid batch payload: request id ${id} is used twice.`);
    ids.add(id);
    if (/^https?:/i.test(url))
      return graphError(
        400,
        'BadRequest',
        `Invalid batch payload: request ${id} has an absolute url; batch urls are relative to the version.`,
      );
    const headerMap = typeof headers === 'object' && headers !== null ? (headers as Record<string, string>) : undefined;
    const hasContentType =
      headerMap !== undefined && Object.keys(headerMap).some((name) => name.toLowerCase() === 'content-type');
    if (body !== undefined && !hasContentType)
      return graphError(400, 'BadRequest', `Write request id : ${id} does not contain Content-Type header or body.`);
    result.push({
      id,
      method,
      url,
      ...(body === undefined ? {} : { body }),
      ...(headerMap === undefined ? {} : { headers: headerMap }),
    });
  }
  return { requests: result };
}

function isGraphAnswer(value: unknown): value is GraphAnswer {
  return typeof value === 'object' && value !== null && 'status' in value;
}

/** Starts the stand-in. */
export async function startGraphStandIn(options: GraphStandInOptions = {}): Promise<GraphStandIn> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the Graph stand-in binds loopback only, not ${host}`);
  const loaded =
    options.directory === undefined || typeof options.directory === 'string'
      ? await loadDirectoryFile(options.directory)
      : parseDirectoryFile(options.directory);
  const directory: DirectoryFile = options.tenantId === undefined ? loaded : { ...loaded, tenantId: options.tenantId };
  let index = new DirectoryIndex(directory);
  const subscriptions = new StandInSubscriptions(directory.tenantId);

  /** A membership edit, as an admin makes it in Entra: the directory changes, then Graph notifies subscribers. */
  async function editMembership(edit: MembershipEdit): Promise<JsonAnswer> {
    const group = directory.groups.find((g) => g.id.toLowerCase() === edit.groupId.toLowerCase());
    if (!group) return { status: 404, body: { error: `no group ${edit.groupId}` } };
    const member = edit.memberId.toLowerCase();
    const present = group.members.some((m) => m.toLowerCase() === member);
    if (edit.op === 'remove' && present) group.members = group.members.filter((m) => m.toLowerCase() !== member);
    else if (edit.op === 'add' && !present) group.members = [...group.members, edit.memberId];
    else return { status: 200, body: { changed: false, members: group.members } };
    index = new DirectoryIndex(directory);
    const isGroup = directory.groups.some((g) => g.id.toLowerCase() === member);
    await subscriptions.notify('groups', {
      id: group.id,
      changeType: 'updated',
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Group',
        '@odata.id': `Groups/${group.id}`,
        'members@delta': [
          {
            id: edit.memberId,
            ...(isGroup ? { '@odata.type': '#Microsoft.Graph.Group' } : {}),
            ...(edit.op === 'remove' ? { '@removed': 'deleted' } : {}),
          },
        ],
      },
    });
    return { status: 200, body: { changed: true, members: group.members } };
  }
  const tls = await readGraphStandInTls();
  const faults = new GraphFaults();
  let counts = emptyCounts();
  const closing = new AbortController();

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem });
  const url = `https://${await listenOn(server, options.port ?? 0, host)}`;
  const tokens = await EntraTokenService.create(url, directory.tenantId, directory.application);

  async function delay(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: closing.signal });
  }

  async function authenticate(authorization: string | undefined): Promise<GraphCaller | GraphAnswer> {
    try {
      return await tokens.verify(authorization);
    } catch (error) {
      const message = error instanceof InvalidGraphToken ? error.message : 'Access token validation failure.';
      return graphError(401, 'InvalidAuthenticationToken', message);
    }
  }

  /** One Graph request (direct or inside a batch), already authenticated: faults, then the route. */
  async function serveOne(
    method: string,
    target: URL,
    body: unknown,
    caller: GraphCaller,
    inBatch: boolean,
  ): Promise<GraphAnswer | 'malformed'> {
    const path = decodeURIComponent(target.pathname).replace(/^\/v1\.0/i, '');
    const route = matchGraphRoute(method, path);
    if (route === undefined) {
      counts.unmatched += 1;
      return unmatchedGraphRequest(method, path);
    }
    if (inBatch) counts.inBatch[route.name] += 1;
    else counts.byRoute[route.name] += 1;
    const verdict = faults.verdictFor(route.name);
    await delay(verdict.delayMs);
    const fault = faultAnswer(verdict);
    if (fault !== undefined) return fault;
    const context: GraphRouteContext = { directory: index, roles: caller.roles, origin: url };
    return serveGraphRoute(route, { method, path, query: target.searchParams, body }, context);
  }

  async function serveBatch(text: string, caller: GraphCaller): Promise<GraphAnswer | 'malformed'> {
    const verdict = faults.verdictFor('batch');
    await delay(verdict.delayMs);
    const fault = faultAnswer(verdict);
    if (fault !== undefined) return fault;
    const batch = parseBatch(text);
    if (isGraphAnswer(batch)) return batch;
    const responses = await Promise.all(
      batch.requests.map(async (inner) => {
        const target = new URL(`/v1.0${inner.url.startsWith('/') ? '' : '/'}${inner.url}`, url);
        const answer = await serveOne(inner.method.toUpperCase(), target, inner.body, caller, true);
        if (answer === 'malformed')
          return { id: inner.id, status: 200, headers: { 'Content-Type': GRAPH_JSON }, body: TRUNCATED_JSON };
        const headers: Record<string, string> = { 'Content-Type': answer.headers['content-type'] ?? GRAPH_JSON };
        const retryAfter = answer.headers['Retry-After'];
        if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
        return { id: inner.id, status: answer.status, headers, body: answer.body };
      }),
    );
    return { status: 200, headers: { 'content-type': GRAPH_JSON, 'request-id': randomUUID() }, body: { responses } };
  }

  async function serveGraph(request: IncomingMessage, response: ServerResponse, target: URL): Promise<void> {
    counts.total += 1;
    const method = (request.method ?? 'GET').toUpperCase();
    const text = await readBody(request);
    const caller = await authenticate(request.headers.authorization);
    const isBatch = /^\/v1\.0\/\$batch$/i.test(decodeURIComponent(target.pathname));
    let answer: GraphAnswer | 'malformed';
    if (isBatch) {
      counts.byRoute.batch += 1;
      if (isGraphAnswer(caller)) answer = caller;
      else if (method !== 'POST')
        answer = graphError(
          405,
          'Request_BadRequest',
          'Specified HTTP method is not allowed for the request uri: $batch.',
        );
      else answer = await serveBatch(text, caller);
    } else if (isGraphAnswer(caller)) {
      const route = matchGraphRoute(method, decodeURIComponent(target.pathname).replace(/^\/v1\.0/i, ''));
      if (route === undefined) counts.unmatched += 1;
      else counts.byRoute[route.name] += 1;
      answer = caller;
    } else {
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          sendJson(response, graphError(400, 'BadRequest', 'Unable to read JSON request payload.'));
          return;
        }
      }
      const subscriptionAnswer = await subscriptions.serve(
        method,
        decodeURIComponent(target.pathname).replace(/^\/v1\.0/i, ''),
        body,
        caller.appId,
      );
      answer = subscriptionAnswer
        ? {
            status: subscriptionAnswer.status,
            headers: { 'content-type': GRAPH_JSON },
            body: subscriptionAnswer.body ?? '',
          }
        : await serveOne(method, target, body, caller, false);
    }
    if (answer === 'malformed') {
      send(response, 200, { 'content-type': GRAPH_JSON }, TRUNCATED_JSON);
      return;
    }
    sendJson(response, answer);
  }

  /** The control routes' answers (faults and counters). */
  async function control(request: IncomingMessage, path: string): Promise<JsonAnswer> {
    const method = (request.method ?? 'GET').toUpperCase();
    if (path === '/_standin/faults' && (method === 'PUT' || method === 'POST')) {
      let settings: unknown;
      try {
        settings = JSON.parse(await readBody(request));
      } catch {
        return { status: 400, body: { error: 'the body is not JSON' } };
      }
      const parsed = GraphFaultSettingsSchema.safeParse(settings);
      if (!parsed.success)
        return {
          status: 400,
          body: { error: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') },
        };
      faults.set(settings as GraphFaultSettings);
      return { status: 200, body: faults.current() };
    }
    if (path === '/_standin/faults' && method === 'DELETE') faults.clear();
    if (path === '/_standin/faults' && (method === 'GET' || method === 'DELETE'))
      return { status: 200, body: faults.current() };
    if (path === '/_standin/directory/membership' && method === 'POST') {
      const parsed = MembershipEditSchema.safeParse(JSON.parse((await readBody(request)) || 'null'));
      if (!parsed.success)
        return { status: 400, body: { error: 'expected { op: "add" | "remove", groupId, memberId }' } };
      return editMembership(parsed.data);
    }
    if (path === '/_standin/subscriptions' && method === 'GET') return { status: 200, body: subscriptions.list() };
    if (path === '/_standin/calls' && method === 'DELETE') counts = emptyCounts();
    if (path === '/_standin/calls' && (method === 'GET' || method === 'DELETE')) return { status: 200, body: counts };
    return { status: 404, body: { error: `no control route ${method} ${path}` } };
  }

  /** The login.microsoftonline.com routes' answers. */
  async function login(request: IncomingMessage, method: string, path: string): Promise<JsonAnswer> {
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (tokenPath !== null && method === 'POST') {
      counts.token += 1;
      const form = new URLSearchParams(await readBody(request));
      return tokens.token(decodeURIComponent(tokenPath[1] ?? ''), form, request.headers.authorization);
    }
    const metadataPath = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (metadataPath !== null && method === 'GET')
      return tokens.openIdConfiguration(decodeURIComponent(metadataPath[1] ?? ''));
    if (/^\/[^/]+\/discovery\/v2\.0\/keys$/.test(path) && method === 'GET') return tokens.keys();
    if (path === '/common/discovery/instance' && method === 'GET') return tokens.instanceDiscovery();
    return {
      status: 404,
      body: { error: 'not_found', error_description: `The Graph stand-in has no route ${method} ${path}.` },
    };
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = new URL(request.url ?? '/', url);
    const path = target.pathname;
    const method = (request.method ?? 'GET').toUpperCase();
    if (/^\/v1\.0(\/|$)/i.test(path)) {
      await serveGraph(request, response, target);
      return;
    }
    sendJson(
      response,
      path.startsWith('/_standin/') ? await control(request, path) : await login(request, method, path),
    );
  }

  server.on('secureConnection', () => {
    counts.connections += 1;
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    response.on('error', () => undefined);
    serve(request, response).catch((error: unknown) => {
      if (closing.signal.aborted) {
        response.destroy();
        return;
      }
      if (error instanceof BodyTooLarge) {
        sendJson(
          response,
          graphError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`),
        );
        return;
      }
      sendJson(response, graphError(500, 'generalException', `stand-in failure: ${messageOf(error)}`));
    });
  });

  return {
    url,
    subscriptions,
    editMembership: async (edit) => {
      const answer = await editMembership(edit);
      if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
    },
    tenantId: directory.tenantId,
    clientId: directory.application.clientId,
    clientSecret: directory.application.clientSecret,
    directory,
    faults: {
      set: (settings) => {
        faults.set(settings);
      },
      clear: () => {
        faults.clear();
      },
      current: () => faults.current(),
    },
    calls: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
    },
    mintToken: (mintOptions) => tokens.mint(mintOptions),
    credentialEnvironment: () => ({
      AZURE_TENANT_ID: directory.tenantId,
      AZURE_CLIENT_ID: directory.application.clientId,
      AZURE_CLIENT_SECRET: directory.application.clientSecret,
      AZURE_AUTHORITY_HOST: url,
      AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
