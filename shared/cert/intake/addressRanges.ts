/**
 * IP addresses as they appear in `remoteAddress` and `X-Forwarded-For` (with or without port,
 * IPv6 in brackets, zone ids, IPv4-mapped IPv6) and membership in CIDR ranges, via node:net's
 * BlockList. IPv4-mapped IPv6 addresses are treated as the IPv4 address they carry.
 * May import: node:net.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

/** A parsed IP address. */
export interface IpAddress {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses an address as forwarded by proxies; undefined when it is not an IP address. */
export function parseIpAddress(text: string): IpAddress | undefined {
  let candidate = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(candidate);
  if (bracketed?.[1] !== undefined) candidate = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(candidate)) candidate = candidate.slice(0, candidate.lastIndexOf(':'));
  const zone = candidate.indexOf('%');
  if (zone !== -1) candidate = candidate.slice(0, zone);
  const family = isIP(candidate);
  if (family === 4) return { address: candidate, family: 'ipv4' };
  if (family !== 6) return undefined;
  const lower = candidate.toLowerCase();
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:([\d.]+)$/.exec(lower)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return { address: mapped, family: 'ipv4' };
  return { address: lower, family: 'ipv6' };
}

/** A compiled set of CIDR ranges. */
export interface AddressRanges {
  /** How many ranges compiled (entries that are not valid CIDRs are skipped: they never match). */
  readonly size: number;
  contains(address: IpAddress): boolean;
}

/** Compiles CIDR strings (`10.0.0.0/8`, `2001:db8::/32`, or a bare address for one host). */
export function compileAddressRanges(cidrs: readonly string[]): AddressRanges {
  const list = new BlockList();
  let size = 0;
  for (const cidr of cidrs) {
    const [base = '', prefixText, extra] = cidr.trim().split('/');
    if (extra !== undefined) continue;
    const address = parseIpAddress(base);
    if (!address) continue;
    const maxPrefix = address.family === 'ipv4' ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) continue;
    try {
      list.addSubnet(address.address, prefix, address.family);
      size++;
    } catch {
      // an entry BlockList refuses cannot match anything; config validation reports it
    }
  }
  return {
    size,
    contains: (address) => size > 0 && list.check(address.address, address.family),
  };
}
