/**
 * Where the gate's two sides differ, it translates: the upstream URL a request goes to (the
 * upstream's origin and base path + the request's path and query, byte for byte), and, in
 * responses, a `Location` that points at the upstream (absolute, or an absolute path under the
 * upstream's base path) and a `Set-Cookie` whose `Domain` names the upstream's host. Nothing is
 * rewritten when the upstream's host is the public host (a same-host deployment) or when a value
 * points elsewhere: only the upstream's own address is translated, never a third party's.
 * Pure: strings in, strings out; never throws (an unparsable value passes unchanged).
 * May import: nothing (WHATWG URL is a global).
 */

/** The two sides of the gate for one request. */
export interface GateSides {
  /** The upstream as registered (`https://backend.internal:8443/base`), parsed. */
  readonly upstream: URL;
  /** The public origin the client used (`https://files.contoso.com`), from the proven host. */
  readonly publicOrigin: URL;
}

/** The upstream's base path without a trailing slash (`''` for the root). */
function basePathOf(upstream: URL): string {
  return upstream.pathname.replace(/\/+$/, '');
}

/**
 * The URL the upstream request goes to: the upstream's origin and base path, then the request's
 * path and query as received (percent-encoding untouched; `pathAndQuery` starts with `/`).
 */
export function upstreamUrlFor(upstream: URL, pathAndQuery: string): string {
  return `${upstream.origin}${basePathOf(upstream)}${pathAndQuery}`;
}

/** Whether the two sides are one host (then nothing is rewritten). */
export function sameHost(sides: GateSides): boolean {
  return sides.upstream.hostname.toLowerCase() === sides.publicOrigin.hostname.toLowerCase();
}

function stripBasePath(path: string, base: string): string | undefined {
  if (base === '') return path;
  if (path === base) return '/';
  return path.startsWith(`${base}/`) || path.startsWith(`${base}?`) ? path.slice(base.length) : undefined;
}

/** A `Location` for the client: the upstream's own URLs moved to the public origin; anything else unchanged. */
export function rewriteLocation(location: string, sides: GateSides): string {
  if (sameHost(sides)) return location;
  const base = basePathOf(sides.upstream);
  if (location.startsWith('/') && !location.startsWith('//')) return stripBasePath(location, base) ?? location;
  let target: URL;
  try {
    target = new URL(location);
  } catch {
    return location;
  }
  if (target.origin !== sides.upstream.origin) return location;
  const rest = stripBasePath(`${target.pathname}${target.search}`, base);
  if (rest === undefined) return location;
  return `${sides.publicOrigin.origin}${rest}${target.hash}`;
}

/** Whether `host` is `domain` or one of its subdomains (RFC 6265 §5.1.3 domain-match). */
function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * A `Set-Cookie` for the client: a `Domain` attribute that names the upstream's host (or a parent
 * of it that is no parent of the public host) becomes the public host; anything else unchanged.
 */
export function rewriteSetCookie(setCookie: string, sides: GateSides): string {
  if (sameHost(sides)) return setCookie;
  const upstreamHost = sides.upstream.hostname.toLowerCase();
  const publicHost = sides.publicOrigin.hostname.toLowerCase();
  return setCookie.replace(/(;\s*domain\s*=\s*)([^;]*)/gi, (whole, prefix: string, value: string) => {
    const domain = value.trim().replace(/^\./, '').toLowerCase();
    if (domain === '' || !domainMatches(upstreamHost, domain) || domainMatches(publicHost, domain)) return whole;
    return `${prefix}${publicHost}`;
  });
}
