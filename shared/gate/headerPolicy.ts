/**
 * Which headers the gate passes between a client and an upstream, both ways. Dropped in both
 * directions: hop-by-hop headers (RFC 9110 §7.6.1, and those a `Connection` header lists); every
 * header a gateway or certgate owns: the gateway secret headers (every configured gateway's, and
 * the default name), the certificate / chain / verification / fingerprint headers of every gateway
 * format (default names and configured overrides, and the prefixes their variants share), the
 * forwarding headers (`Forwarded`, `X-Forwarded-*`, `X-Original-*`, `X-Real-IP`, `X-Azure-*`, …),
 * `X-Certgate-*` (so a client cannot forge the identity headers, and an upstream cannot speak for
 * certgate), and the platform's own (`X-MS-CLIENT-PRINCIPAL*`, `X-MS-TOKEN-*`, `X-ARR-*`,
 * `X-Functions-Key`, `X-MS-Invocation-Id`, `Disguised-Host`, …). Towards the upstream the identity
 * headers are then added (identityHeaders.ts); Host is the upstream's (the HTTP client sets it).
 * Pure: names in, names out.
 * May import: the intake's header-name table, gateway settings, config types.
 */
import { DEFAULT_HEADER_NAMES, DEFAULT_SECRET_HEADER, GATEWAY_KINDS } from '../cert/intake/index.js';
import { headerNameFor, secretHeaderFor } from '../cert/intake/headerNames.js';
import type { HeaderRole } from '../cert/intake/types.js';
import type { AppConfig } from '../config.js';
import { gatewayConfigs } from '../gateways.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded by a proxy. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** Exact names owned by gateways, certgate or the platform (besides the per-config ones). */
const OWNED_EXACT: readonly string[] = [
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'x-functions-key',
  'x-ms-invocation-id',
  'disguised-host',
  'was-default-hostname',
  'x-site-deployment-id',
  'x-waws-unencoded-url',
  'x-appservice-proto',
  'x-client-port',
];

/**
 * Name prefixes owned by gateways, certgate or the platform; the certificate ones cover the
 * variants gateways add (`-Verification`, `-Fingerprint`, `-Leaf`, `-Chain`, …).
 */
const OWNED_PREFIXES: readonly string[] = [
  'x-forwarded-',
  'x-original-',
  'x-certgate-',
  'x-azure-',
  'x-fd-',
  'x-arr-',
  'x-ms-client-principal',
  'x-ms-token-',
  'x-client-certificate',
  'x-ssl-client',
  'x-amzn-mtls-',
  'cf-client-cert',
  'client-cert',
];

const ROLES: readonly HeaderRole[] = ['certificate', 'chain', 'leaf', 'verification', 'frontDoorId'];

/** The owned-header predicate for one configuration. */
export interface HeaderPolicy {
  /** True for a (lower-case) header name the gate never passes, in either direction. */
  isOwned(lowerCaseName: string): boolean;
}

const policies = new WeakMap<AppConfig, HeaderPolicy>();

/** Whether a (lower-case) name starts with one of {@link OWNED_PREFIXES} (a loop: no closure per header). */
function hasOwnedPrefix(lowerCaseName: string): boolean {
  for (const prefix of OWNED_PREFIXES) if (lowerCaseName.startsWith(prefix)) return true;
  return false;
}

/** The header policy for a configuration (built once per configuration). */
export function headerPolicyFor(config: AppConfig): HeaderPolicy {
  let policy = policies.get(config);
  if (policy) return policy;
  const exact = new Set<string>([...OWNED_EXACT, DEFAULT_SECRET_HEADER.toLowerCase()]);
  for (const kind of GATEWAY_KINDS) {
    for (const name of Object.values(DEFAULT_HEADER_NAMES[kind])) if (name) exact.add(name.toLowerCase());
  }
  for (const gateway of gatewayConfigs(config)) {
    exact.add(secretHeaderFor(gateway));
    for (const role of ROLES) {
      const name = headerNameFor(gateway, role);
      if (name) exact.add(name);
    }
  }
  policy = {
    isOwned: (name) => exact.has(name) || hasOwnedPrefix(name),
  };
  policies.set(config, policy);
  return policy;
}

/** What a message without a `Connection` header lists: nothing (one shared empty set, never changed). */
const NONE_LISTED: ReadonlySet<string> = new Set();

/** The header names a message's `Connection` header lists (lower case): hop-by-hop for that message. */
export function connectionListed(connection: string | null | undefined): ReadonlySet<string> {
  if (!connection) return NONE_LISTED;
  const listed = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '') listed.add(name);
  }
  return listed;
}

/** Whether a header crosses the gate (in either direction). */
export function passesGate(lowerCaseName: string, listed: ReadonlySet<string>, policy: HeaderPolicy): boolean {
  return !HOP_BY_HOP.has(lowerCaseName) && !listed.has(lowerCaseName) && !policy.isOwned(lowerCaseName);
}

/**
 * The headers for the upstream request: the client's, filtered, then the identity headers. Host
 * is left out (the HTTP client names the upstream's host); a client's `Expect` too (the gate
 * streams the body itself).
 */
export function upstreamRequestHeaders(
  incoming: Iterable<readonly [string, string]> & { get(name: string): string | null },
  policy: HeaderPolicy,
  identity: Readonly<Record<string, string>>,
): Record<string, string> {
  const listed = connectionListed(incoming.get('connection'));
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, value] of incoming) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'expect' || !passesGate(lower, listed, policy)) continue;
    headers[lower] = value;
  }
  for (const name of Object.keys(identity)) headers[name] = identity[name] as string;
  return headers;
}

/**
 * The upstream's response headers for the client, from Node's raw header list (name, value, …;
 * repeated headers kept apart, Set-Cookie above all), filtered. Values are returned as lists.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], policy: HeaderPolicy): [string, string][] {
  let connection: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    // The length first: most names are not `Connection` and need no lower-casing to tell.
    if (name?.length === 10 && name.toLowerCase() === 'connection')
      connection = connection === undefined ? rawHeaders[index + 1] : `${connection},${rawHeaders[index + 1] ?? ''}`;
  }
  const listed = connectionListed(connection);
  const out: [string, string][] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const lower = (rawHeaders[index] ?? '').toLowerCase();
    if (lower === '' || !passesGate(lower, listed, policy)) continue;
    out.push([lower, rawHeaders[index + 1] ?? '']);
  }
  return out;
}
