/**
 * Where the gate's two sides differ, it translates: the upstream URL a request goes to (the
 * upstream's origin and base path + the request's path and query, byte for byte), and, in
 * responses, a `Location` that points at the upstream (absolute, or an absolute path under the
 * upstream's base path) and a `Set-Cookie` whose `Domain` names the upstream's host. Nothing is
 * rewritten when the upstream's host is the public host (a same-host deployment) or when a value
 * points elsewhere: only the upstream's own address is translated, never a third party's.
 * The rewrites are pure: strings in, strings out; they never throw (an unparsable value passes
 * unchanged). The only state is two bounded memos, so that a request parses no URL seen lately
 * again: {@link parsedUrl}'s of the upstreams and public origins, {@link pathAndQueryOf}'s of the
 * request URLs.
 * May import: nothing (WHATWG URL is a global).
 */

/** What the gate reads of a parsed URL (a `URL` has it; {@link parsedUrl} keeps a frozen copy). */
export type ParsedUrl = Readonly<Pick<URL, 'protocol' | 'host' | 'hostname' | 'port' | 'origin' | 'pathname'>>;

/** The two sides of the gate for one request. */
export interface GateSides {
  /** The upstream as registered (`https://backend.internal:8443/base`), parsed. */
  readonly upstream: ParsedUrl;
  /** The public origin the client used (`https://files.contoso.com`), from the proven host. */
  readonly publicOrigin: ParsedUrl;
}

/** How many parsed URLs {@link parsedUrl} keeps: the registered upstreams and the public origins in use. */
export const PARSED_URL_ENTRIES = 256;

const parsedUrls = new Map<string, ParsedUrl>();

/**
 * `new URL(text)`'s parts, parsed once per distinct string (the whole string is the key) and kept,
 * frozen; past {@link PARSED_URL_ENTRIES} strings the oldest is dropped. Throws as `new URL` does
 * (and keeps nothing then).
 */
export function parsedUrl(text: string): ParsedUrl {
  const kept = parsedUrls.get(text);
  if (kept) return kept;
  const url = new URL(text);
  const parts: ParsedUrl = Object.freeze({
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    port: url.port,
    origin: url.origin,
    pathname: url.pathname,
  });
  if (parsedUrls.size >= PARSED_URL_ENTRIES) parsedUrls.delete(parsedUrls.keys().next().value as string);
  parsedUrls.set(text, parts);
  return parts;
}

/** How many request URLs {@link pathAndQueryOf} keeps the path and query of. */
export const PATH_AND_QUERY_ENTRIES = 256;

const pathsAndQueries = new Map<string, string>();

/**
 * A request URL's path and query exactly as received (percent-encoding kept): `new URL(url)`'s
 * `pathname` + `search`, kept for the URLs seen lately by their whole text (a repeated URL is
 * not parsed again); past {@link PATH_AND_QUERY_ENTRIES} URLs the oldest is dropped. Throws as
 * `new URL` does (and keeps nothing then).
 */
export function pathAndQueryOf(url: string): string {
  const kept = pathsAndQueries.get(url);
  if (kept !== undefined) return kept;
  const parsed = new URL(url);
  const pathAndQuery = `${parsed.pathname}${parsed.search}`;
  if (pathsAndQueries.size >= PATH_AND_QUERY_ENTRIES)
    pathsAndQueries.delete(pathsAndQueries.keys().next().value as string);
  pathsAndQueries.set(url, pathAndQuery);
  return pathAndQuery;
}

/** How many entries the two memos hold now (for tests: both stay within their bounds). */
export function keptUrlCounts(): { readonly parsedUrls: number; readonly pathsAndQueries: number } {
  return { parsedUrls: parsedUrls.size, pathsAndQueries: pathsAndQueries.size };
}

/** The upstream's base path without a trailing slash (`''` for the root). */
export function basePathOf(upstream: ParsedUrl): string {
  return upstream.pathname.replace(/\/+$/, '');
}

/**
 * The path (and query) the upstream request asks its origin for: the upstream's base path, then the
 * request's path and query as received (percent-encoding untouched; `pathAndQuery` starts with `/`).
 */
export function upstreamPathFor(upstream: ParsedUrl, pathAndQuery: string): string {
  return `${basePathOf(upstream)}${pathAndQuery}`;
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
