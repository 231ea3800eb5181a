/**
 * The forward-auth contract: what a proxy that asks before it forwards (nginx `auth_request`, Envoy
 * `ext_authz`, Traefik `forwardAuth`, API Management `send-request`) tells certgate about the
 * request it holds, and the checks every proxy's description passes. Each proxy is one dialect file
 * in dialects/ (which headers or URL parts carry the original method, host and URI), registered in
 * dialects/index.ts. A dialect only reads; whether the description may be believed is the gateway
 * proof's business (forwardAuthAttempt.ts), the same proof as every forwarded fact. Pure: no @azure,
 * no process.env, no clock. Never throws.
 * May import: the forward-auth reasons, the pipeline's header reader type.
 */
import type { HeaderReader } from '../access/decideAccess.js';
import type { ForwardAuthReason } from './reasons.js';

/** The request the proxy holds, as its dialect described it, checked. */
export interface OriginalRequest {
  /** The method as sent (a token; HTTP methods are case-sensitive). */
  readonly method: string;
  /** Host name or address, lower-cased, with the port when one was given. */
  readonly host: string;
  /** Origin-form: the path and the query, starting with `/`. */
  readonly uri: string;
  /** The scheme the client used, when the proxy says. */
  readonly proto?: 'http' | 'https';
}

/** The forward-auth call as the Functions host handed it to the worker. */
export interface ForwardAuthCall {
  readonly method: string;
  /** The absolute URL of the call to certgate (path and query as sent). */
  readonly url: string;
  readonly headers: HeaderReader;
}

/** A dialect's reading: the original request, or why there is none. */
export type OriginalRequestReading =
  | { readonly ok: true; readonly original: OriginalRequest }
  | { readonly ok: false; readonly reason: ForwardAuthReason; readonly detail: string };

/** One proxy's way of describing the original request. */
export interface ForwardAuthDialect<Name extends string = string> {
  /** The `{proxy}` route segment: `/api/forward-auth/<name>/…`. */
  readonly name: Name;
  /** One line for the docs: which headers carry what. */
  readonly docs: string;
  /**
   * Request headers the dialect reads the original request from. The attempt hides them (and the
   * generic forwarded-fact headers) from everything else, so a client-sent copy that a proxy passed
   * through cannot describe the request a second way.
   */
  readonly factHeaders: readonly string[];
  /**
   * Whether the call's query string is the original request's (Envoy appends the original path and
   * query to its path prefix); then it is not read as certgate's own (`?app=`).
   */
  readonly queryIsOriginal?: boolean;
  /** Reads the original request from the call (`routeBase`: `/api/forward-auth/<name>`). */
  read(call: ForwardAuthCall, routeBase: string): OriginalRequestReading;
}

/** Declares a dialect (a typed identity, frozen). */
export function defineForwardAuthDialect<const Name extends string>(
  dialect: ForwardAuthDialect<Name>,
): ForwardAuthDialect<Name> {
  return Object.freeze({ ...dialect, factHeaders: Object.freeze(dialect.factHeaders.map((h) => h.toLowerCase())) });
}

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
// The intake's host rule (shared/cert/intake/clientContext.ts): a DNS name or a bracketed IPv6
// literal, an optional port. Checked here too, because a host the intake refuses would make it fall
// back to the Host header of the call, which names certgate, not the app.
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_URI = 8192;
// Visible ASCII only, no spaces: what a proxy's $request_uri / RequestURI holds (non-ASCII is percent-encoded).
const URI_CHARACTERS = /^[\x21-\x7e]+$/;

function failure(reason: ForwardAuthReason, detail: string): OriginalRequestReading {
  return { ok: false, reason, detail };
}

function single(headers: HeaderReader, name: string): string | undefined {
  const value = headers.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The three facts a dialect found (raw), checked into an {@link OriginalRequest}; names say where each came from. */
export function checkOriginalRequest(found: {
  readonly method: { readonly value: string | undefined; readonly from: string };
  readonly host: { readonly value: string | undefined; readonly from: string };
  readonly uri: { readonly value: string | undefined; readonly from: string };
  readonly proto?: string | undefined;
}): OriginalRequestReading {
  const { method, host, uri } = found;
  if (method.value === undefined) return failure('forward-auth-original-method-missing', `${method.from} is absent`);
  if (!METHOD.test(method.value))
    return failure('forward-auth-original-method-invalid', `${method.from} is not a method`);
  if (host.value === undefined) return failure('forward-auth-original-host-missing', `${host.from} is absent`);
  if (!HOST.test(host.value)) return failure('forward-auth-original-host-invalid', `${host.from} is not a host`);
  if (uri.value === undefined) return failure('forward-auth-original-uri-missing', `${uri.from} is absent`);
  if (
    !uri.value.startsWith('/') ||
    uri.value.startsWith('//') ||
    uri.value.length > MAX_URI ||
    !URI_CHARACTERS.test(uri.value)
  )
    return failure('forward-auth-original-uri-invalid', `${uri.from} is not an origin-form URI`);
  const proto = found.proto?.trim().toLowerCase();
  return {
    ok: true,
    original: {
      method: method.value,
      host: host.value.toLowerCase(),
      uri: uri.value,
      ...(proto === 'http' || proto === 'https' ? { proto } : {}),
    },
  };
}

/** Reads a header-described original request (nginx, Traefik): each fact from its own header. */
export function originalFromHeaders(
  headers: HeaderReader,
  names: { readonly method: string; readonly host: string; readonly uri: string; readonly proto: string },
): OriginalRequestReading {
  return checkOriginalRequest({
    method: { value: single(headers, names.method), from: names.method },
    host: { value: single(headers, names.host), from: names.host },
    uri: { value: single(headers, names.uri), from: names.uri },
    proto: single(headers, names.proto),
  });
}
