/**
 * A forward-auth call as an access attempt: the proxy's dialect reads the original method, host
 * and URI, and the attempt is read by the same intake as every request (accessAttemptOf), through
 * a header view in which the generic forwarded-fact headers (X-Forwarded-Host, X-Original-Host,
 * X-Original-URL, X-Forwarded-Uri) say exactly what the dialect read and nothing a client sent
 * through the proxy. So the original host and path are believed on the one gateway proof, like
 * every forwarded fact: without it the intake drops them and the call is refused
 * (`forward-auth-untrusted-forwarder`) before anything is decided.
 * May import: the pipeline's edge (requestAttempt), intake types, the forward-auth contract.
 */
import { accessAttemptOf, type IncomingRequest } from '../access/requestAttempt.js';
import type { AccessAttempt, HeaderReader } from '../access/decideAccess.js';
import type { AppConfig } from '../config.js';
import type { ForwardAuthDialect, OriginalRequest, OriginalRequestReading } from './originalRequest.js';

/** The question a proxy asked: its reading of the original request and the attempt to decide. */
export interface ForwardAuthQuestion {
  readonly reading: OriginalRequestReading;
  /** The attempt; its `client.proven` says whether the forwarded facts (and the reading) may be believed. */
  readonly attempt: AccessAttempt;
}

// Where the intake reads the original host and path (shared/cert/intake/headerNames.ts).
const HOST_FACTS = ['x-forwarded-host', 'x-original-host'] as const;
const PATH_FACTS = ['x-original-url', 'x-forwarded-uri'] as const;

/**
 * The call's headers with the forwarded facts replaced: host and path the dialect's (or none, when
 * it read nothing), its own fact headers hidden.
 */
function headerView(
  headers: HeaderReader & { getAll?(name: string): string[] },
  dialect: ForwardAuthDialect,
  original: OriginalRequest | undefined,
): HeaderReader {
  const replaced = new Map<string, string | null>();
  for (const name of [...HOST_FACTS, ...PATH_FACTS, ...dialect.factHeaders]) replaced.set(name, null);
  if (original) {
    replaced.set('x-forwarded-host', original.host);
    replaced.set('x-original-url', original.uri);
  }
  return {
    get(name: string): string | null {
      const key = name.toLowerCase();
      return replaced.has(key) ? (replaced.get(key) ?? null) : headers.get(name);
    },
  };
}

const NO_QUERY = { getAll: (): string[] => [] };

/** Reads a forward-auth call (see the module comment). Never throws. */
export function forwardAuthQuestionOf(
  call: IncomingRequest & { readonly method: string },
  dialect: ForwardAuthDialect,
  routeBase: string,
  config: AppConfig,
  now: Date,
  correlationId: string,
): ForwardAuthQuestion {
  let reading: OriginalRequestReading;
  try {
    reading = dialect.read(call, routeBase);
  } catch {
    // A headers object that throws: nothing was described.
    reading = { ok: false, reason: 'forward-auth-original-uri-missing', detail: 'the request headers are unreadable' };
  }
  const headers = headerView(call.headers, dialect, reading.ok ? reading.original : undefined);
  const query = dialect.queryIsOriginal ? NO_QUERY : call.query;
  const attempt = accessAttemptOf({ url: call.url, headers, query }, config, now, correlationId);
  return { reading, attempt };
}
