/**
 * The header names each gateway kind uses by default (from the format registry), and their
 * resolution against a gateway's overrides. Names are returned lower-cased (HTTP header names are
 * case-insensitive).
 * May import: intake types, the format registry.
 */
import { DEFAULT_HEADER_NAMES } from './formats/index.js';
import type { GatewayConfig, HeaderRole } from './types.js';

export { DEFAULT_HEADER_NAMES };

/** Default name of the gateway secret header. */
export const DEFAULT_SECRET_HEADER = 'X-Certgate-Gateway-Secret';

/** Roles whose headers carry certificate bytes (their presence means "a certificate was forwarded"). */
export const CERTIFICATE_ROLES: readonly HeaderRole[] = ['certificate', 'leaf', 'chain'];

/**
 * Resolved names per gateway configuration (configurations are built once per worker and not
 * changed, as the gateway proof's compiled form assumes too): several look-ups per request.
 */
const resolvedNames = new WeakMap<GatewayConfig, Map<HeaderRole, string | undefined>>();

/** The header name a gateway uses for a role, lower-cased; undefined when it has none or it is switched off. */
export function headerNameFor(gateway: GatewayConfig, role: HeaderRole): string | undefined {
  let names = resolvedNames.get(gateway);
  if (names === undefined) resolvedNames.set(gateway, (names = new Map<HeaderRole, string | undefined>()));
  if (names.has(role)) return names.get(role);
  const override = gateway.headers?.[role];
  const name = override ?? DEFAULT_HEADER_NAMES[gateway.kind][role];
  const trimmed = name?.trim();
  const resolved = trimmed ? trimmed.toLowerCase() : undefined;
  names.set(role, resolved);
  return resolved;
}

/** The secret header name of a gateway, lower-cased. */
export function secretHeaderFor(gateway: GatewayConfig): string {
  return (gateway.secretHeader?.trim() || DEFAULT_SECRET_HEADER).toLowerCase();
}

/** Header of the app hint a proven gateway may send (read by the app resolution, under the gateway proof). */
export const APP_HINT_HEADER = 'x-certgate-app';

/** Query parameter of the app hint a proven gateway may put in the forward-auth URL. */
export const APP_HINT_QUERY = 'app';

/**
 * Every forwarding header certgate reads a fact from besides the certificate, in the order the
 * decision trace lists them. Each is honoured only on a gateway's proof (the same proof as the
 * certificate headers); without it, it is dropped and named in the client context's `dropped`.
 * The app hint may also come as the `?app=` query parameter, named `?app` there.
 */
export const FORWARDED_FACT_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-host',
  'x-original-host',
  'x-original-url',
  'x-forwarded-uri',
  APP_HINT_HEADER,
] as const;

/** A forwarded fact's name in `ClientContext.dropped`. */
export type ForwardedFact = (typeof FORWARDED_FACT_HEADERS)[number] | `?${typeof APP_HINT_QUERY}`;
