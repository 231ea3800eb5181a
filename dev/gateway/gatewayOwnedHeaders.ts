/**
 * Which incoming request headers the local gateway owns and therefore strips before forwarding:
 * every certificate / verification / fingerprint header of every gateway format certgate reads,
 * the gateway secret, and the forwarding headers. A client that sends any of them is trying to
 * forge what only the gateway may say (App Gateway needs the same rewrite on every listener).
 * Also the hop-by-hop headers a proxy must not pass on. Dev and test only.
 * May import: the intake's header-name table, the gate's hop-by-hop list, node built-ins.
 */
import { DEFAULT_HEADER_NAMES, DEFAULT_SECRET_HEADER, GATEWAY_KINDS } from '../../shared/cert/intake/index.js';
import { HOP_BY_HOP } from '../../shared/gate/headerPolicy.js';

/**
 * Name prefixes of certificate headers, covering the variants gateways add (`-Verification`, `-Fingerprint`, `-Leaf`,
 * `-Chain`, …).
 */
const CERTIFICATE_HEADER_PREFIXES = [
  'x-client-certificate',
  'x-azure-clientcertificate',
  'x-arr-clientcert',
  'x-ssl-client',
  'x-forwarded-tls-client-cert',
  'x-forwarded-client-cert',
  'x-amzn-mtls-clientcert',
  'cf-client-cert',
  'client-cert',
  'x-certgate-',
];

/** Forwarding headers the gateway sets itself (or that name the original request and could be forged). */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'x-original-host',
  'x-original-url',
  'x-azure-fdid',
  'x-azure-clientip',
  'x-azure-socketip',
];
const FORWARDING_PREFIX = 'x-forwarded-';

/** Builds the predicate for one gateway: true for headers a client must not be able to send through it. */
export function gatewayOwnedHeaderMatcher(secretHeader: string): (lowerCaseName: string) => boolean {
  const exact = new Set<string>([
    ...FORWARDING_HEADERS,
    DEFAULT_SECRET_HEADER.toLowerCase(),
    secretHeader.trim().toLowerCase(),
  ]);
  for (const kind of GATEWAY_KINDS) {
    for (const name of Object.values(DEFAULT_HEADER_NAMES[kind])) exact.add(name.toLowerCase());
  }
  return (name) =>
    exact.has(name) ||
    name.startsWith(FORWARDING_PREFIX) ||
    CERTIFICATE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Whether a header is hop-by-hop, including those the message's own `Connection` header lists. */
export function isHopByHopHeader(lowerCaseName: string, connectionListed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(lowerCaseName) || connectionListed.has(lowerCaseName);
}

/** The header names a `Connection` header value lists (lower-cased). */
export function connectionListedHeaders(values: readonly string[]): Set<string> {
  return new Set(
    values
      .flatMap((value) => value.split(','))
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}
