/**
 * Traefik `forwardAuth` (`/api/forward-auth/traefik`). Traefik asks the configured address with a
 * GET and describes the original request in its documented forward-request headers:
 * `X-Forwarded-Method`, `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Forwarded-Uri` (and
 * `X-Forwarded-For`). It sets them itself unless `trustForwardHeader` is on, which must stay off
 * at the edge (a client could then describe its own request).
 * May import: the forward-auth contract.
 */
import { defineForwardAuthDialect, originalFromHeaders } from '../originalRequest.js';

const NAMES = {
  method: 'X-Forwarded-Method',
  host: 'X-Forwarded-Host',
  uri: 'X-Forwarded-Uri',
  proto: 'X-Forwarded-Proto',
} as const;

/** The Traefik dialect. */
export const traefikDialect = defineForwardAuthDialect({
  name: 'traefik',
  docs: 'Traefik forwardAuth: X-Forwarded-Method, X-Forwarded-Host, X-Forwarded-Uri, X-Forwarded-Proto (set by Traefik; trustForwardHeader off).',
  factHeaders: Object.values(NAMES),
  read: (call) => originalFromHeaders(call.headers, NAMES),
});
