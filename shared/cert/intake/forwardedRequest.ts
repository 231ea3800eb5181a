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
function listEntries(value: string | null | undefined): string[] {
  return value === null || value === undefined || value.trim() === ''
    ? []
    : value.split(',').map((entry) => entry.trim());
}

/**
 * X-Forwarded-For of a request as one list: every line, in order (repeated lines are one list); empty entries kept as
 * ''.
 */
export function forwardedForEntries(headers: ForwardedRequest['headers']): string[] {
  const lines = headers.getAll?.('x-forwarded-for');
  return lines ? lines.flatMap(listEntries) : listEntries(headers.get('x-forwarded-for'));
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
  return {
    headers,
    url,
    forwardedFor: entries.slice(0, -1).filter((entry) => entry !== ''),
    ...(remoteAddress !== undefined ? { remoteAddress } : {}),
  };
}
