/**
 * The forward-auth dialects, one file each, and the registry the route, the docs test and the
 * `ForwardAuthProxy` union derive from. A new proxy is a new file, its line here, its contract test
 * (test/forwardAuth/) and its section in docs/gateways.md.
 * May import: the dialect files, the forward-auth contract.
 */
import type { ForwardAuthDialect } from '../originalRequest.js';
import { apimDialect } from './apim.js';
import { envoyDialect } from './envoy.js';
import { nginxDialect } from './nginx.js';
import { traefikDialect } from './traefik.js';

/** Every dialect, in docs order. */
export const FORWARD_AUTH_DIALECTS = [nginxDialect, envoyDialect, traefikDialect, apimDialect] as const;

/** A proxy certgate answers forward-auth questions from: the `{proxy}` route segment. */
export type ForwardAuthProxy = (typeof FORWARD_AUTH_DIALECTS)[number]['name'];

const BY_NAME: ReadonlyMap<string, ForwardAuthDialect> = new Map(FORWARD_AUTH_DIALECTS.map((d) => [d.name, d]));

/** The dialect of a route segment (case-insensitive, as routes are), or undefined. */
export function forwardAuthDialectOf(proxy: string | undefined): ForwardAuthDialect | undefined {
  return proxy === undefined ? undefined : BY_NAME.get(proxy.toLowerCase());
}
