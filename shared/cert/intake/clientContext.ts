/**
 * The client context of a request behind gateways: the client IP, the original host and path, the
 * user agent, and which forwarded facts were believed. One proof for everything forwarded: the
 * forwarding headers (X-Forwarded-For, X-Forwarded-Host / X-Original-Host, X-Original-URL /
 * X-Forwarded-Uri, the app hint) count only when a configured gateway proved the request came
 * through it with every factor it has configured: the same proof that guards the certificate
 * header (gatewayProof.ts). Without it they are dropped and named in `dropped`, and the client
 * IP is the immediate peer, the host the Host header, the path the request URL's. With it the
 * client IP is X-Forwarded-For walked right to left through the trusted proxy hops. Never throws.
 * May import: intake types, header names, gateway proof, address ranges, the forwarded-request edge.
 */
import { parseIpAddress } from './addressRanges.js';
import { forwardedForEntries } from './forwardedRequest.js';
import { checkGateways, chosenGateway, isTrustedProxyAddress, type CheckedGateway } from './gatewayProof.js';
import { APP_HINT_QUERY, FORWARDED_FACT_HEADERS, type ForwardedFact } from './headerNames.js';
import type { ForwardedRequest, GatewayConfig, GatewayKind } from './types.js';

/** What certgate knows about the client from the request (every fact optional: headers may be absent or unusable). */
export interface ClientContext {
  readonly clientIp?: string;
  readonly host?: string;
  readonly path?: string;
  readonly userAgent?: string;
  /**
   * Whether a configured gateway proved the request came through it, so that the forwarded facts
   * above were believed. Always set by the intake's readers ({@link ForwardedClientContext});
   * absent in a context built elsewhere (the what-if endpoint states its facts directly).
   */
  readonly proven?: boolean;
  /** The kind of the gateway whose proof held (the one the certificate was read from, too). */
  readonly provenBy?: GatewayKind;
  /** Forwarded facts the request carried that were ignored because no gateway proved itself, for the decision trace. */
  readonly dropped?: readonly ForwardedFact[];
}

/** A client context as the intake reads it: whether forwarded facts were believed is always stated. */
export interface ForwardedClientContext extends ClientContext {
  readonly proven: boolean;
  readonly dropped: readonly ForwardedFact[];
}

/** The context of a request whose headers cannot be read: no facts, nothing proven. */
export const UNREADABLE_CONTEXT: ForwardedClientContext = Object.freeze({ proven: false, dropped: Object.freeze([]) });

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_USER_AGENT = 1024;

/** The last non-empty item of a comma-separated header (every line of it), trimmed. */
function lastHeaderValue(request: ForwardedRequest, name: string): string | undefined {
  const all = request.headers.getAll?.(name);
  const joined = all ? all.join(',') : request.headers.get(name);
  if (joined === null) return undefined;
  // From the end, without splitting the whole header: this runs per request.
  let end = joined.length;
  while (end > 0) {
    const start = joined.lastIndexOf(',', end - 1);
    const item = joined.slice(start + 1, end).trim();
    if (item !== '') return item;
    end = start < 0 ? 0 : start;
  }
  return undefined;
}

/** The X-Forwarded-For entries the peer forwarded (the peer itself excluded when the caller split it off). */
function forwardedChain(request: ForwardedRequest): string[] {
  const entries = request.forwardedFor ?? forwardedForEntries(request.headers);
  const chain: string[] = [];
  for (const entry of entries) if (entry.trim() !== '') chain.push(entry);
  return chain;
}

/**
 * The client IP. Without proof: the immediate peer, nothing forwarded. With proof: the hops right
 * to left, the peer first, then the X-Forwarded-For entries from the nearest proxy back; a hop
 * inside the trusted ranges is skipped, the first hop that is not is the client. An unknown peer,
 * or an entry that is not an IP address where the walk needs one, gives no answer.
 */
function clientIpOf(
  request: ForwardedRequest,
  gateways: readonly GatewayConfig[],
  proven: boolean,
): string | undefined {
  const peer = request.remoteAddress === undefined ? undefined : parseIpAddress(request.remoteAddress);
  if (!proven || !peer) return peer?.address;
  if (!isTrustedProxyAddress(gateways, peer)) return peer.address;
  const hops = forwardedChain(request);
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = parseIpAddress(hops[index] ?? '');
    if (!hop) return undefined;
    if (index === 0 || !isTrustedProxyAddress(gateways, hop)) return hop.address;
  }
  return peer.address;
}

/** The forwarded facts a request carries (each header non-empty; the app hint also as `?app=`). */
function forwardedFactsOf(request: ForwardedRequest & { readonly url: string }, url: RequestUrlParts): ForwardedFact[] {
  const facts: ForwardedFact[] = [];
  for (const name of FORWARDED_FACT_HEADERS) {
    const present =
      name === 'x-forwarded-for'
        ? forwardedChain(request).length > 0
        : (request.headers.get(name)?.trim() ?? '') !== '';
    if (present) facts.push(name);
  }
  if (url.hasAppHint) facts.push(`?${APP_HINT_QUERY}`);
  return facts;
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

/** What the context reads of the request URL: its host, its path and whether it carries the app hint. */
interface RequestUrlParts {
  readonly host: string | undefined;
  readonly pathname: string | undefined;
  readonly hasAppHint: boolean;
}

const UNPARSEABLE_URL: RequestUrlParts = Object.freeze({ host: undefined, pathname: undefined, hasAppHint: false });

/**
 * Parts of request URLs parsed lately, by the exact URL text (parsing is a pure function of it, and
 * a WHATWG URL parse is a good part of the intake's cost; a forward-auth URL repeats per app).
 * Bounded: the oldest goes first.
 */
const urlParts = new Map<string, RequestUrlParts>();
const URL_PARTS_ENTRIES = 256;

function urlPartsOf(value: string): RequestUrlParts {
  const known = urlParts.get(value);
  if (known !== undefined) return known;
  const url = parsedUrl(value);
  const parts: RequestUrlParts = url
    ? Object.freeze({
        host: url.host,
        pathname: url.pathname,
        hasAppHint: url.searchParams.has(APP_HINT_QUERY),
      })
    : UNPARSEABLE_URL;
  if (urlParts.size >= URL_PARTS_ENTRIES) urlParts.delete(urlParts.keys().next().value as string);
  urlParts.set(value, parts);
  return parts;
}

/** Only the path: the query may carry secrets and is not used by policies. */
function pathOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const pathname = parsedUrl(value, value.startsWith('/') ? 'http://certgate.invalid' : undefined)?.pathname;
  return pathname?.startsWith('/') ? pathname : undefined;
}

/** Reads the client context of a request, believing forwarded facts only on a configured gateway's proof. */
export function readClientContext(
  request: ForwardedRequest & { readonly url: string },
  gateways: readonly GatewayConfig[],
): ForwardedClientContext {
  let checked: CheckedGateway[];
  try {
    checked = checkGateways(request, gateways);
  } catch {
    return UNREADABLE_CONTEXT;
  }
  return clientContextOf(request, gateways, checked);
}

const NOTHING_DROPPED: readonly ForwardedFact[] = Object.freeze([]);

/**
 * The client context when the gateways have already been checked (readForwardedRequest: one proof for the certificate
 * and the context).
 */
export function clientContextOf(
  request: ForwardedRequest & { readonly url: string },
  gateways: readonly GatewayConfig[],
  checked: readonly CheckedGateway[],
): ForwardedClientContext {
  const provenBy = chosenGateway(checked)?.gateway.kind;
  const proven = provenBy !== undefined;
  try {
    const url = urlPartsOf(request.url);
    const forwardedHost = proven
      ? (validHost(lastHeaderValue(request, 'x-forwarded-host')) ??
        validHost(request.headers.get('x-original-host')?.trim()))
      : undefined;
    const host = forwardedHost ?? validHost(request.headers.get('host')?.trim()) ?? validHost(url.host || undefined);
    const forwardedPath = proven
      ? (pathOf(request.headers.get('x-original-url')?.trim()) ??
        pathOf(request.headers.get('x-forwarded-uri')?.trim()))
      : undefined;
    const path = forwardedPath ?? (url.pathname?.startsWith('/') ? url.pathname : undefined);
    const clientIp = clientIpOf(request, gateways, proven);
    const userAgent = request.headers.get('user-agent')?.slice(0, MAX_USER_AGENT);
    // One literal, absent facts undefined (JSON drops them): conditional spreads are slow per request.
    return {
      clientIp,
      host,
      path,
      userAgent: userAgent === '' ? undefined : userAgent,
      proven,
      provenBy,
      dropped: proven ? NOTHING_DROPPED : forwardedFactsOf(request, url),
    };
  } catch {
    // A headers object that throws leaves the context without facts; policies then see none.
    return { proven, ...(provenBy !== undefined ? { provenBy } : {}), dropped: [] };
  }
}
