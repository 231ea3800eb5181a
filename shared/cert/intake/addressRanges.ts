/**
 * IP addresses as they appear in `remoteAddress`, `X-Forwarded-For` and named locations (with or
 * without port, IPv6 in brackets, zone ids, IPv4-mapped IPv6) and membership in CIDR ranges, in
 * plain integer arithmetic: a parsed address carries its numeric form (IPv4 one 32-bit word, IPv6
 * four), ranges compile to masks, so a check is a few integer compares (node:net's BlockList
 * builds a SocketAddress per check, ~1.7 µs). IPv4-mapped IPv6 addresses count as the IPv4
 * address they carry. The one address matcher of the app: trusted proxies and named locations.
 * May import: node:net.
 */
import { isIP, isIPv4 } from 'node:net';

/** A parsed IP address and its numeric form. */
export interface IpAddress {
  /** The address as parsed (IPv4-mapped IPv6 as IPv4, IPv6 lower-case). */
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  /** IPv4: one 32-bit word; IPv6: four, most significant first. */
  readonly words: readonly number[];
}

function ipv4Word(address: string): number {
  const parts = address.split('.');
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

/** Eight 16-bit groups of a valid IPv6 address (with `::` and an IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const word = ipv4Word(text.slice(lastColon + 1));
    tail.push(word >>> 16, word & 0xffff);
    // keep a `::` that ends right before the IPv4 tail; drop a single separating colon
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':').map((group) => parseInt(group, 16));
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':').map((group) => parseInt(group, 16));
  const missing = 8 - tail.length - headGroups.length - restGroups.length;
  return [
    ...headGroups,
    ...(rest === undefined ? [] : new Array<number>(Math.max(0, missing)).fill(0)),
    ...restGroups,
    ...tail,
  ];
}

function ipv6Words(address: string): number[] {
  const groups = ipv6Groups(address);
  const words: number[] = [];
  for (let index = 0; index < 8; index += 2)
    words.push((((groups[index] ?? 0) << 16) | (groups[index + 1] ?? 0)) >>> 0);
  return words;
}

const PLAIN_IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/;

/**
 * Recent parses, most recent last: the same few addresses (the gateway's hops, busy clients) come
 * back on every request, and a decision parses each of them more than once (the forwarding walk,
 * then the location conditions). Parsing is a pure function of the text and the results are
 * frozen, so a hit is exact. Bounded, oldest entry evicted.
 */
const PARSED_MEMO_ENTRIES = 1024;
const parsedMemo = new Map<string, IpAddress | undefined>();

/** Parses an address as forwarded by proxies; undefined when it is not an IP address. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.length > 64) return parseUncached(text);
  const hit = parsedMemo.get(text);
  if (hit !== undefined || parsedMemo.has(text)) return hit;
  const parsed = parseUncached(text);
  if (parsed) Object.freeze(parsed.words);
  if (parsedMemo.size >= PARSED_MEMO_ENTRIES) parsedMemo.delete(parsedMemo.keys().next().value as string);
  parsedMemo.set(text, parsed ? Object.freeze(parsed) : undefined);
  return parsed;
}

function parseUncached(text: string): IpAddress | undefined {
  let candidate = text.trim();
  const plain = PLAIN_IPV4.exec(candidate);
  if (plain) {
    // the common case, without node:net: four octets, an optional port
    const texts = [plain[1] ?? '', plain[2] ?? '', plain[3] ?? '', plain[4] ?? ''];
    // no leading zeros, as node:net
    if (texts.some((text) => text.length > 1 && text.startsWith('0'))) return undefined;
    const octets = texts.map(Number) as [number, number, number, number];
    if (octets.some((octet) => octet > 255)) return undefined;
    const address = octets.join('.');
    return {
      address,
      family: 'ipv4',
      words: [((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0],
    };
  }
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(candidate);
  if (bracketed?.[1] !== undefined) candidate = bracketed[1];
  const zone = candidate.indexOf('%');
  if (zone !== -1) candidate = candidate.slice(0, zone);
  const family = isIP(candidate);
  if (family === 4) return { address: candidate, family: 'ipv4', words: [ipv4Word(candidate)] };
  if (family !== 6) return undefined;
  const lower = candidate.toLowerCase();
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:([\d.]+)$/.exec(lower)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return { address: mapped, family: 'ipv4', words: [ipv4Word(mapped)] };
  return { address: lower, family: 'ipv6', words: ipv6Words(lower) };
}

/** A compiled set of CIDR ranges. */
export interface AddressRanges {
  /** How many ranges compiled (entries that are not valid CIDRs are skipped: they never match). */
  readonly size: number;
  contains(address: IpAddress): boolean;
}

interface Range {
  readonly family: 'ipv4' | 'ipv6';
  readonly words: readonly number[];
  readonly masks: readonly number[];
}

function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses one CIDR (`10.0.0.0/8`, `fd00:20::/32`, or a bare address for one host). */
function parseRange(cidr: string): Range | undefined {
  const [base = '', prefixText, extra] = cidr.trim().split('/');
  if (extra !== undefined) return undefined;
  if (isIP(base.trim()) === 0) return undefined; // a plain address: no port, brackets or zone id
  const address = parseIpAddress(base);
  if (!address) return undefined;
  const maxPrefix = address.family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) return undefined;
  const masks = address.words.map((_, index) => maskWord(prefix - 32 * index));
  return {
    family: address.family,
    masks,
    words: address.words.map((word, index) => (word & (masks[index] ?? 0)) >>> 0),
  };
}

/**
 * Compiles CIDR strings (`10.0.0.0/8`, `2001:db8::/32`, or a bare address for one host); entries that do not parse
 * never match.
 */
export function compileAddressRanges(cidrs: readonly string[]): AddressRanges {
  const ranges = cidrs.map(parseRange).filter((range): range is Range => range !== undefined);
  return {
    size: ranges.length,
    contains(address) {
      for (const range of ranges) {
        if (range.family !== address.family) continue;
        let inside = true;
        for (let index = 0; index < range.words.length; index++) {
          if (((address.words[index] ?? 0) & (range.masks[index] ?? 0)) >>> 0 !== range.words[index]) {
            inside = false;
            break;
          }
        }
        if (inside) return true;
      }
      return false;
    },
  };
}
