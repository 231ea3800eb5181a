/**
 * Reason codes of the forward-auth edge: why a proxy's question could not be asked of the decision
 * pipeline at all (an unknown proxy, no gateway proof, the original request not described). They
 * are API: stable, kebab-case, each with the text a person reads. A question that can be asked gets a
 * Decision and its own reasons instead.
 * May import: nothing.
 */

/** Every forward-auth reason, with its description. */
export const FORWARD_AUTH_REASONS = {
  'forward-auth-proxy-unknown':
    'The forward-auth route names a proxy certgate does not speak (nginx, envoy, traefik, apim).',
  'forward-auth-untrusted-forwarder':
    'The forward-auth request did not prove it came through a configured gateway, so the original request it describes cannot be believed.',
  'forward-auth-original-method-missing': "The proxy did not send the original request's method.",
  'forward-auth-original-method-invalid': "The original request's method the proxy sent is not an HTTP method token.",
  'forward-auth-original-host-missing': "The proxy did not send the original request's host.",
  'forward-auth-original-host-invalid':
    "The original request's host the proxy sent is not a host name or address (with an optional port).",
  'forward-auth-original-uri-missing': "The proxy did not send the original request's URI.",
  'forward-auth-original-uri-invalid':
    "The original request's URI the proxy sent is not an origin-form path (or, for apim, an absolute http(s) URL).",
} as const;

/** A forward-auth reason code. */
export type ForwardAuthReason = keyof typeof FORWARD_AUTH_REASONS;
