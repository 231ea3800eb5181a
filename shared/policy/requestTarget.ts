/**
 * The host and path of a request as matching sees them, in one place for app resolution and the
 * policies' app matchers (two normalisations would let a request be one app for one and another
 * app for the other). Pure.
 * May import: nothing.
 */

/** Lower-cased host without port or trailing dot; undefined when absent or empty. */
export function normaliseHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let value = host.trim().toLowerCase();
  const port = /:\d{1,5}$/.exec(value);
  // A port follows a name, an IPv4 address or a bracketed IPv6 address; a bare IPv6 address has no port.
  if (port && (value.startsWith('[') ? value.endsWith(`]${port[0]}`) : !value.slice(0, port.index).includes(':')))
    value = value.slice(0, port.index);
  if (value.endsWith('.')) value = value.slice(0, -1);
  return value === '' ? undefined : value;
}

/**
 * A request path as path-prefix matching sees it: query and fragment dropped, percent-decoded,
 * backslashes as slashes, repeated slashes collapsed, dot segments resolved, lower-cased (backends
 * differ on case; matching case-insensitively keeps `/ADMIN` from slipping past an `/admin` block).
 * Null when the percent-encoding is malformed.
 */
export function normalisePath(raw: string): string | null {
  let path = raw;
  const cut = path.search(/[?#]/);
  if (cut !== -1) path = path.slice(0, cut);
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  const segments: string[] = [];
  for (const segment of path.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = path.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.join('/')}${trailing}`.toLowerCase();
}

/**
 * A path prefix for whole-segment matching: normalised, no trailing slash ('/' stays '/'); null when it cannot be
 * decoded.
 */
export function normalisePathPrefix(prefix: string): string | null {
  const normalised = normalisePath(prefix);
  if (normalised === null) return null;
  return normalised.endsWith('/') && normalised !== '/' ? normalised.slice(0, -1) : normalised;
}

/**
 * Whether a normalised path lies under a normalised prefix, by whole segments (`/admin` covers `/admin/x`, not
 * `/administrator`).
 */
export function pathUnder(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/** Whether a normalised host matches a route host: exact, or `*.suffix` for subdomains only. */
export function hostMatches(host: string, routeHost: string): boolean {
  const pattern = routeHost.toLowerCase();
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}
