/**
 * nginx `auth_request` (`/api/forward-auth/nginx`). nginx's subrequest carries the client's own
 * headers and replaces the Host with the upstream's, so the original request travels in headers
 * the `auth_request` location sets (`proxy_set_header` replaces a client-sent header of the same
 * name): `X-Original-Method $request_method`, `X-Original-Host $host`, `X-Original-URI $request_uri`
 * (the name nginx's own documentation uses) and `X-Original-Proto $scheme`.
 * May import: the forward-auth contract.
 */
import { defineForwardAuthDialect, originalFromHeaders } from '../originalRequest.js';

const NAMES = {
  method: 'X-Original-Method',
  host: 'X-Original-Host',
  uri: 'X-Original-URI',
  proto: 'X-Original-Proto',
} as const;

/** The nginx dialect. */
export const nginxDialect = defineForwardAuthDialect({
  name: 'nginx',
  docs: 'nginx auth_request: X-Original-Method ($request_method), X-Original-Host ($host), X-Original-URI ($request_uri), X-Original-Proto ($scheme).',
  factHeaders: Object.values(NAMES),
  read: (call) => originalFromHeaders(call.headers, NAMES),
});
