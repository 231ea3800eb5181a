/**
 * The client context of a request behind gateways: the client IP (X-Forwarded-For walked right to
 * left, only through hops inside the trusted proxy ranges), the original host and path (the
 * forwarding headers count only when a configured gateway proved itself, otherwise Host and the
 * request URL), and the user agent. Never throws.
 * May import: intake types, gateway proof, address ranges.
 */
import { parseIpAddress } from './addressRanges.js';
import { isTrustedProxyAddress, proveGateway } from './gatewayProof.js';
import type { ForwardedRequest, GatewayConfig } from './types.js';

/** What certgate knows about the client from the request (every field optional: headers may be absent or unusable). */
export interface ClientContext {
  readonly clientIp?: string;
  readonly host?: string;
  readonly path?: string;
  readonly userAgent?: string;
}

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_USER_AGENT = 1024;

function headerValues(request: ForwardedRequest, name: string): string[] {
  const all = request.headers.getAll?.(name);
  const joined = all ? all.join(',') : request.headers.get(name);
  return joined === null ? [] : joined.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * Walks the forwarding hops right to left: the immediate peer, then X-Forwarded-For entries
 * from the nearest proxy back. A hop inside the trusted ranges is skipped; the first hop that is
 * not trusted is the client. An entry that is not an IP address ends the walk with no answer.
 */
function clientIpOf(request: ForwardedRequest, gateways: readonly GatewayConfig[]): string | undefined {
  const hops = headerValues(request, 'x-forwarded-for');
  if (request.remoteAddress !== undefined && request.remoteAddress.trim() !== '') hops.push(request.remoteAddress);
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = parseIpAddress(hops[index] ?? '');
    if (!hop) return undefined;
    if (index === 0 || !isTrustedProxyAddress(gateways, hop)) return hop.address;
  }
  return undefined;
}

function validHost(value: string | undefined): string | undefined {
  return value !== undefined && HOST.test(value) ? value.toLowerCase() : undefined;
}

function parsedUrl(value: string, base?: string): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/** Only the path: the query may carry secrets and is not used by policies. */
function pathOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const pathname = parsedUrl(value, value.startsWith('/') ? 'http://certgate.invalid' : undefined)?.pathname;
  return pathname?.startsWith('/') ? pathname : undefined;
}

/** Reads the client context of a request, trusting forwarding headers only from a proven gateway. */
export function readClientContext(request: ForwardedRequest & { readonly url: string }, gateways: readonly GatewayConfig[]): ClientContext {
  let trustedForwarder: boolean;
  try {
    trustedForwarder = gateways.some((gateway) => proveGateway(gateway, request).proven);
  } catch {
    return {};
  }
  return clientContextOf(request, gateways, trustedForwarder);
}

/** The client context when whether a configured gateway proved itself is already known. */
export function clientContextOf(request: ForwardedRequest & { readonly url: string }, gateways: readonly GatewayConfig[], trustedForwarder: boolean): ClientContext {
  try {
    const forwardedHost = trustedForwarder
      ? validHost(headerValues(request, 'x-forwarded-host').at(-1)) ?? validHost(request.headers.get('x-original-host')?.trim())
      : undefined;
    const url = parsedUrl(request.url);
    const host = forwardedHost ?? validHost(request.headers.get('host')?.trim()) ?? validHost(url?.host || undefined);
    const forwardedPath = trustedForwarder
      ? pathOf(request.headers.get('x-original-url')?.trim()) ?? pathOf(request.headers.get('x-forwarded-uri')?.trim())
      : undefined;
    const path = forwardedPath ?? (url?.pathname.startsWith('/') ? url.pathname : undefined);
    const clientIp = clientIpOf(request, gateways);
    const userAgent = request.headers.get('user-agent')?.slice(0, MAX_USER_AGENT);
    return {
      ...(clientIp !== undefined ? { clientIp } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(userAgent !== undefined && userAgent !== '' ? { userAgent } : {}),
    };
  } catch {
    // A headers object that throws leaves the context empty; policies then see no facts.
    return {};
  }
}
