/**
 * The transport edge of the intake: a request as the Azure Functions host hands it to the Node
 * worker, turned into a {@link ForwardedRequest}. The worker never sees the socket; the host
 * appends the TCP peer's address as the LAST X-Forwarded-For entry, in any of the forms
 * `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`. So the peer is split off the
 * header here, once, and the entries before it are the chain the peer forwarded (the client-IP
 * walk must not count the peer twice). Never throws.
 * May import: intake types, address ranges.
 */
import { parseIpAddress } from './addressRanges.js';
import type { ForwardedRequest } from './types.js';

/** The entries of a comma-separated list header, trimmed, in order (empty entries kept, as ''). */
function listEntries(value: string | null | undefined, into: string[] = []): string[] {
  if (value === null || value === undefined || value.trim() === '') return into;
  // Loops, not closures: this runs per request.
  for (const entry of value.split(',')) into.push(entry.trim());
  return into;
}

/**
 * X-Forwarded-For of a request as one list: every line, in order (repeated lines are one list); empty entries kept as
 * ''.
 */
export function forwardedForEntries(headers: ForwardedRequest['headers']): string[] {
  const lines = headers.getAll?.('x-forwarded-for');
  if (!lines) return listEntries(headers.get('x-forwarded-for'));
  const entries: string[] = [];
  for (const line of lines) listEntries(line, entries);
  return entries;
}

/**
 * The immediate peer's address from an X-Forwarded-For value whose last entry the Functions host
 * appended: normalised (no port or brackets, IPv6 lower-case, IPv4-mapped IPv6 as IPv4), or
 * undefined when the header is absent or its last entry is not an IP address. A bare IPv6 address
 * keeps its last group (`2001:db8::1` is not `2001:db8:` with port 1).
 */
export function peerAddressOf(xForwardedFor: string | null | undefined): string | undefined {
  const last = listEntries(xForwardedFor).at(-1);
  return last === undefined || last === '' ? undefined : parseIpAddress(last)?.address;
}

/**
 * A request from what the Functions host gives the worker (`request.headers`, `request.url`): the
 * peer split off X-Forwarded-For into `remoteAddress`, the entries before it into
 * `forwardedFor`. Pass the result to `readForwardedRequest` / `readClientContext` as it is.
 */
export function forwardedRequestOf<RequestHeaders extends ForwardedRequest['headers']>(
  headers: RequestHeaders,
  url: string,
): ForwardedRequest & {
  readonly headers: RequestHeaders;
  readonly url: string;
  readonly forwardedFor: readonly string[];
} {
  let entries: string[];
  try {
    entries = forwardedForEntries(headers);
  } catch {
    entries = []; // a headers object that throws: no peer, and the intake reports the headers unreadable
  }
  const remoteAddress = peerAddressOf(entries.at(-1));
  const forwardedFor: string[] = [];
  for (let index = 0; index < entries.length - 1; index++) {
    const entry = entries[index] as string;
    if (entry !== '') forwardedFor.push(entry);
  }
  return remoteAddress !== undefined ? { headers, url, forwardedFor, remoteAddress } : { headers, url, forwardedFor };
}
