/**
 * The graph.microsoft.com half of the stand-in: the v1.0 routes certgate uses, answered from a dev
 * directory in Graph's response shapes, with Graph's error body (`{error:{code,message,innerError}}`)
 * and Graph's application-permission checks (403 `Authorization_RequestDenied`). Requests arrive
 * already authenticated; the same functions serve direct requests and the inner requests of a JSON
 * batch, so both behave alike. Dev and test only.
 * May import: node built-ins, ./directoryFile.js, ./faults.js.
 */
import { randomUUID } from 'node:crypto';
import type { DirectoryDeviceRecord, DirectoryIndex } from './directoryFile.js';
import type { GraphRouteName } from './faults.js';

/** Graph's JSON content type. */
export const GRAPH_JSON =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Most group ids in one checkMemberGroups call, as Graph enforces it. */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One Graph request, relative to `/v1.0`. */
export interface GraphRequestIn {
  readonly method: string;
  /** Path below `/v1.0`, e.g. `/users/abc/checkMemberGroups`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The JSON body, parsed; undefined when there was none. */
  readonly body: unknown;
}

/** One Graph answer. */
export interface GraphAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A request matched to a route. */
export interface MatchedRoute {
  readonly name: Exclude<GraphRouteName, 'batch'>;
  /** The `{id}` path segment, when the route has one. */
  readonly id?: string;
}

/** What a route needs besides the request: the directory, the caller's roles, and the stand-in origin for links. */
export interface GraphRouteContext {
  readonly directory: DirectoryIndex;
  readonly roles: readonly string[];
  readonly origin: string;
}

/** Graph's error answer. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): GraphAnswer {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': GRAPH_JSON, 'request-id': requestId, ...headers },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': requestId,
          'client-request-id': requestId,
        },
      },
    },
  };
}

function ok(body: unknown): GraphAnswer {
  return { status: 200, headers: { 'content-type': GRAPH_JSON, 'request-id': randomUUID() }, body };
}

const SEGMENT = '([^/]+)';
const ROUTES: readonly { readonly method: string; readonly pattern: RegExp; readonly name: MatchedRoute['name'] }[] = [
  { method: 'POST', pattern: new RegExp(`^/users/${SEGMENT}/checkMemberGroups$`, 'i'), name: 'checkMemberGroups' },
  { method: 'GET', pattern: /^\/devices$/i, name: 'devices' },
  { method: 'GET', pattern: new RegExp(`^/users/${SEGMENT}$`, 'i'), name: 'user' },
  { method: 'GET', pattern: new RegExp(`^/groups/${SEGMENT}$`, 'i'), name: 'group' },
  { method: 'GET', pattern: /^\/identity\/conditionalAccess\/policies$/i, name: 'conditionalAccessPolicies' },
];

/** The route a request is for, or undefined (Graph then answers 400, or 405 for a known path with another method). */
export function matchGraphRoute(method: string, path: string): MatchedRoute | undefined {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match === null || route.method !== method.toUpperCase()) continue;
    const id = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    return id === undefined ? { name: route.name } : { name: route.name, id };
  }
  return undefined;
}

/** The answer when no route matches: 405 for a known path with the wrong method, else Graph's "segment not found". */
export function unmatchedGraphRequest(method: string, path: string): GraphAnswer {
  if (ROUTES.some((route) => route.pattern.test(path)))
    return graphError(
      405,
      'Request_BadRequest',
      `Specified HTTP method is not allowed for the request uri: ${method} ${path}.`,
    );
  const segment = path.split('/').filter((part) => part !== '')[0] ?? '';
  return graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}

/**
 * The application permissions each route accepts: any one of the sets (every role of a set needed),
 * as Microsoft documents them (application permissions, least privileged first).
 */
export const ROUTE_PERMISSIONS: Readonly<Record<MatchedRoute['name'], readonly (readonly string[])[]>> = {
  checkMemberGroups: [
    ['User.Read.All', 'GroupMember.Read.All'],
    ['User.Read.All', 'Group.Read.All'],
    ['Directory.Read.All'],
  ],
  devices: [['Device.Read.All'], ['Directory.Read.All']],
  user: [['User.Read.All'], ['Directory.Read.All']],
  group: [['GroupMember.Read.All'], ['Group.Read.All'], ['Directory.Read.All']],
  conditionalAccessPolicies: [['Policy.Read.All']],
};

/** Whether the caller's roles satisfy the route. */
export function isPermitted(route: MatchedRoute['name'], roles: readonly string[]): boolean {
  return ROUTE_PERMISSIONS[route].some((set) => set.every((role) => roles.includes(role)));
}

function selectFields(object: Readonly<Record<string, unknown>>, query: URLSearchParams): Record<string, unknown> {
  const select = query.get('$select');
  if (select === null || select.trim() === '') return { ...object };
  const wanted = select.split(',').map((field) => field.trim().toLowerCase());
  const result: Record<string, unknown> = { id: object.id };
  for (const [key, value] of Object.entries(object)) {
    if (wanted.includes(key.toLowerCase())) result[key] = value;
  }
  return result;
}

function deviceJson(device: DirectoryDeviceRecord): Record<string, unknown> {
  return { ...device, operatingSystem: 'Windows', operatingSystemVersion: '10.0.22631.4317' };
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

function checkMemberGroups(id: string, body: unknown, context: GraphRouteContext): GraphAnswer {
  const groupIds =
    typeof body === 'object' && body !== null ? stringArray((body as Record<string, unknown>).groupIds) : undefined;
  if (groupIds === undefined)
    return graphError(400, 'Request_BadRequest', "The request body must contain 'groupIds', a collection of strings.");
  if (groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) {
    return graphError(
      400,
      'Request_BadRequest',
      `The number of groupIds is ${groupIds.length}; at most ${CHECK_MEMBER_GROUPS_LIMIT} are allowed.`,
    );
  }
  const malformed = groupIds.find((groupId) => !GUID.test(groupId));
  if (malformed !== undefined) return graphError(400, 'Request_BadRequest', `Invalid GUID:${malformed}`);
  const user = context.directory.user(id);
  if (user === undefined) {
    return graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const memberOf = context.directory.transitiveGroupsOf(user.id);
  return ok({
    '@odata.context': `${context.origin}/v1.0/$metadata#Collection(Edm.String)`,
    value: groupIds.filter((groupId) => memberOf.has(groupId.toLowerCase())),
  });
}

const DEVICE_ID_FILTER = /^\s*deviceId\s+eq\s+'([^']*)'\s*$/i;

function devices(query: URLSearchParams, context: GraphRouteContext): GraphAnswer {
  const filter = query.get('$filter');
  let found: readonly DirectoryDeviceRecord[];
  if (filter === null) {
    found = context.directory.file.devices;
  } else {
    const match = DEVICE_ID_FILTER.exec(filter);
    if (match === null)
      return graphError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported query: the stand-in filters devices by deviceId eq '<guid>' only, not ${filter}.`,
      );
    const deviceId = match[1] ?? '';
    if (!GUID.test(deviceId)) return graphError(400, 'Request_BadRequest', `Invalid GUID:${deviceId}`);
    const device = context.directory.deviceByDeviceId(deviceId);
    found = device === undefined ? [] : [device];
  }
  return ok({
    '@odata.context': `${context.origin}/v1.0/$metadata#devices`,
    value: found.map((device) => selectFields(deviceJson(device), query)),
  });
}

function user(id: string, query: URLSearchParams, context: GraphRouteContext): GraphAnswer {
  const found = context.directory.user(id);
  if (found === undefined) {
    return graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const full = {
    id: found.id,
    displayName: found.displayName,
    userPrincipalName: found.userPrincipalName,
    mail: found.userPrincipalName,
    authorizationInfo: { certificateUserIds: found.certificateUserIds },
  };
  const select = query.get('$select');
  // Graph's default property set does not include authorizationInfo.
  const shown =
    select === null
      ? { id: full.id, displayName: full.displayName, userPrincipalName: full.userPrincipalName, mail: full.mail }
      : selectFields(full, query);
  return ok({ '@odata.context': `${context.origin}/v1.0/$metadata#users/$entity`, ...shown });
}

function group(id: string, query: URLSearchParams, context: GraphRouteContext): GraphAnswer {
  if (!GUID.test(id)) return graphError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`);
  const found = context.directory.group(id);
  if (found === undefined) {
    return graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const full = {
    id: found.id,
    displayName: found.displayName,
    description: null,
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
  };
  return ok({
    '@odata.context': `${context.origin}/v1.0/$metadata#groups/$entity`,
    ...(query.get('$select') === null ? full : selectFields(full, query)),
  });
}

/** The opaque `$skiptoken` of a page: the offset, base64url-encoded. */
function skipToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function offsetOf(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function conditionalAccessPolicies(query: URLSearchParams, context: GraphRouteContext): GraphAnswer {
  const topText = query.get('$top');
  const top = topText === null ? context.directory.file.conditionalAccessPageSize : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > 999)
    return graphError(400, 'BadRequest', `Invalid value '${topText ?? ''}' for $top: an integer from 1 to 999.`);
  const token = query.get('$skiptoken') ?? query.get('$skipToken');
  const offset = token === null ? 0 : offsetOf(token);
  if (offset === undefined) return graphError(400, 'BadRequest', 'Invalid $skiptoken.');
  const all = context.directory.file.conditionalAccessPolicies;
  const page = all.slice(offset, offset + top);
  const next =
    offset + top < all.length
      ? `${context.origin}/v1.0/identity/conditionalAccess/policies?$top=${top}&$skiptoken=${skipToken(offset + top)}`
      : undefined;
  return ok({
    '@odata.context': `${context.origin}/v1.0/$metadata#identity/conditionalAccess/policies`,
    value: page,
    ...(next === undefined ? {} : { '@odata.nextLink': next }),
  });
}

/** Answers one authenticated request on a matched route, checking the caller's permissions first. */
export function serveGraphRoute(route: MatchedRoute, request: GraphRequestIn, context: GraphRouteContext): GraphAnswer {
  if (!isPermitted(route.name, context.roles)) {
    return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
  switch (route.name) {
    case 'checkMemberGroups':
      return checkMemberGroups(route.id ?? '', request.body, context);
    case 'devices':
      return devices(request.query, context);
    case 'user':
      return user(route.id ?? '', request.query, context);
    case 'group':
      return group(route.id ?? '', request.query, context);
    case 'conditionalAccessPolicies':
      return conditionalAccessPolicies(request.query, context);
  }
}
