/**
 * Azure API Management `send-request` (`/api/forward-auth/apim`). APIM has no forward-auth protocol
 * of its own: the policy in docs/gateways.md sends `X-Original-Method` =
 * `context.Request.Method` and `X-Original-URL` = `context.Request.OriginalUrl.ToString()` (the
 * absolute URL the client called, scheme, host, port, path and query), and the headers the decision
 * needs (Authorization, User-Agent, Accept, Content-Type, the client certificate, the secret).
 * May import: the forward-auth contract.
 */
import { checkOriginalRequest, defineForwardAuthDialect } from '../originalRequest.js';

function absoluteUrl(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The API Management dialect. */
export const apimDialect = defineForwardAuthDialect({
  name: 'apim',
  docs: 'API Management send-request: X-Original-Method (context.Request.Method), X-Original-URL (context.Request.OriginalUrl, absolute).',
  factHeaders: ['X-Original-Method', 'X-Original-URL'],
  read: (call) => {
    const given = call.headers.get('x-original-url')?.trim() || undefined;
    const url = absoluteUrl(given);
    const from = 'X-Original-URL';
    // The URL carries host and URI together: absent, it is the URI that is missing.
    if (given === undefined)
      return { ok: false, reason: 'forward-auth-original-uri-missing', detail: `${from} is absent` };
    if (url === undefined || url.username !== '' || url.password !== '')
      return {
        ok: false,
        reason: 'forward-auth-original-uri-invalid',
        detail: `${from} is not an absolute http(s) URL`,
      };
    return checkOriginalRequest({
      method: { value: call.headers.get('x-original-method')?.trim() || undefined, from: 'X-Original-Method' },
      host: { value: url.host, from },
      uri: { value: `${url.pathname}${url.search}`, from },
      proto: url.protocol.slice(0, -1),
    });
  },
});
