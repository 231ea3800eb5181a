/**
 * CIDR membership for named locations, in plain integer arithmetic. The intake's
 * `compileAddressRanges` (node:net BlockList) is correct but costs ~1.7 µs per check (a native
 * call that builds a SocketAddress each time); a policy evaluation makes several, so locations
 * compile here into masks and a request's address into numbers once. Address *parsing* (ports,
 * brackets, zone ids, IPv4-mapped IPv6) is the intake's `parseIpAddress`, reused, so both agree.
 * May import: node:net, the intake's address parser.
 */
import { isIP } from 'node:net';
import { parseIpAddress, type IpAddress } from '../cert/intake/addressRanges.js';

/** An address as numbers: IPv4 in one 32-bit word, IPv6 in four. */
export interface NumericAddress {
  /** The address as parsed (IPv4-mapped IPv6 as IPv4, IPv6 lower-case). */
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly words: readonly number[];
}

/** A compiled set of CIDR ranges. */
export interface IpRangeSet {
  /** How many ranges compiled (invalid entries are skipped: the model rejects them first). */
  readonly size: number;
  contains(address: NumericAddress): boolean;
}

interface Range {
  readonly family: 'ipv4' | 'ipv6';
  readonly words: readonly number[];
  readonly masks: readonly number[];
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
  return [...headGroups, ...(rest === undefined ? [] : new Array<number>(Math.max(0, missing)).fill(0)), ...restGroups, ...tail];
}

/** The numeric form of a parsed address. */
export function toNumericAddress(address: IpAddress): NumericAddress {
  if (address.family === 'ipv4') return { address: address.address, family: 'ipv4', words: [ipv4Word(address.address)] };
  const groups = ipv6Groups(address.address);
  const words: number[] = [];
  for (let index = 0; index < 8; index += 2) words.push((((groups[index] ?? 0) << 16) | (groups[index + 1] ?? 0)) >>> 0);
  return { address: address.address, family: 'ipv6', words };
}

/** Parses an address as the intake does and returns its numeric form; undefined when not an IP address. */
export function parseNumericAddress(text: string): NumericAddress | undefined {
  const address = parseIpAddress(text);
  return address ? toNumericAddress(address) : undefined;
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
  const address = parseIpAddress(base);
  if (!address || isIP(address.address) === 0) return undefined;
  const maxPrefix = address.family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) return undefined;
  const numeric = toNumericAddress(address);
  const masks = numeric.words.map((_, index) => maskWord(prefix - 32 * index));
  return { family: address.family, masks, words: numeric.words.map((word, index) => (word & (masks[index] ?? 0)) >>> 0) };
}

/** Compiles CIDR strings; entries that do not parse never match. */
export function compileIpRanges(cidrs: readonly string[]): IpRangeSet {
  const ranges = cidrs.map(parseRange).filter((range): range is Range => range !== undefined);
  return {
    size: ranges.length,
    contains(address) {
      for (const range of ranges) {
        if (range.family !== address.family) continue;
        let inside = true;
        for (let index = 0; index < range.words.length; index++) {
          if ((((address.words[index] ?? 0) & (range.masks[index] ?? 0)) >>> 0) !== range.words[index]) {
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
