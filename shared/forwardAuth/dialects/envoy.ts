/**
 * Envoy `ext_authz`, HTTP service mode (`/api/forward-auth/envoy`). Envoy sends the authorization
 * request with the original method, the original path (with its query) appended to the configured
 * `path_prefix`, the original `:authority` as `Host`, `Content-Length: 0`, `Authorization`, and the
 * headers `authorization_request.allowed_headers` lets through. So the method is the call's, the
 * URI is the call's path after the route base, the host is the call's Host header.
 * May import: the forward-auth contract.
 */
import { checkOriginalRequest, defineForwardAuthDialect } from '../originalRequest.js';

function uriAfter(url: string, routeBase: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const base = routeBase.toLowerCase();
  const path = parsed.pathname;
  // The route matches case-insensitively; the original path keeps its case.
  if (!path.toLowerCase().startsWith(base)) return undefined;
  const rest = path.slice(base.length);
  if (rest === '') return undefined;
  return `${rest}${parsed.search}`;
}

/** The Envoy dialect. */
export const envoyDialect = defineForwardAuthDialect({
  name: 'envoy',
  docs: 'Envoy ext_authz (HTTP service): the method and the path (after path_prefix /api/forward-auth/envoy) are the original request’s; Host is its :authority.',
  factHeaders: [],
  queryIsOriginal: true,
  read: (call, routeBase) =>
    checkOriginalRequest({
      method: { value: call.method, from: 'the request method' },
      host: { value: call.headers.get('host')?.trim() || undefined, from: 'Host' },
      uri: { value: uriAfter(call.url, routeBase), from: `the path after ${routeBase}` },
      proto: call.headers.get('x-forwarded-proto') ?? undefined,
    }),
});
