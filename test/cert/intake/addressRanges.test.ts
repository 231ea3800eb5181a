/**
 * The integer CIDR matcher against node:net's BlockList (the reference) on fixed boundary cases
 * and random addresses and ranges: both must agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockList, isIP } from 'node:net';
import { compileAddressRanges, parseIpAddress } from '../../../shared/cert/intake/addressRanges.js';

/** node:net's answer for one CIDR and one parsed address (undefined: BlockList refuses the range). */
function blockListContains(cidr: string, address: NonNullable<ReturnType<typeof parseIpAddress>>): boolean {
  const [base = '', prefix] = cidr.split('/');
  const parsedBase = parseIpAddress(base);
  if (!parsedBase) return false;
  const list = new BlockList();
  try {
    list.addSubnet(parsedBase.address, Number(prefix), parsedBase.family);
  } catch {
    return false;
  }
  return list.check(address.address, address.family);
}

const cases: readonly (readonly [string, string, boolean])[] = [
  ['10.20.0.0/16', '10.20.0.0', true],
  ['10.20.0.0/16', '10.20.255.255', true],
  ['10.20.0.0/16', '10.21.0.0', false],
  ['10.20.0.0/16', '10.19.255.255', false],
  ['10.20.1.9/16', '10.20.200.1', true],
  ['0.0.0.0/0', '203.0.113.7', true],
  ['192.0.2.1', '192.0.2.1', true],
  ['192.0.2.1', '192.0.2.2', false],
  ['fd00:20::/32', 'fd00:20:ffff::1', true],
  ['fd00:20::/32', 'fd00:21::1', false],
  ['fd00:20::/32', '10.20.0.1', false],
  ['10.20.0.0/16', '::ffff:10.20.0.1', true],
  ['64:ff9b::/96', '64:ff9b::192.0.2.33', true],
  ['2001:db8::/127', '2001:db8::1', true],
  ['2001:db8::/127', '2001:db8::2', false],
  ['::/0', '::1', true],
  ['1:2:3:4:5:6:7:8/128', '1:2:3:4:5:6:7:8', true],
  ['1:2:3:4:5:6:7:0/112', '1:2:3:4:5:6:7:ffff', true],
];

describe('compileAddressRanges', () => {
  it.each(cases)('%s contains %s: %s', (cidr, address, expected) => {
    expect(compileAddressRanges([cidr]).contains(parseIpAddress(address)!)).toBe(expected);
  });

  it('rejects what the intake rejects', () => {
    for (const bad of [
      '10.0.0.0/33',
      'fd00::/129',
      '300.1.1.1/8',
      '10.0.0.0/8/8',
      'x/8',
      '10.0.0.0/-1',
      '',
      '10.0.0.1:80/8',
      '[fd00::1]/64',
    ])
      expect(compileAddressRanges([bad]).size).toBe(0);
  });

  it('agrees with node:net BlockList on random ranges and addresses', () => {
    const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4());
    const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6());
    fc.assert(
      fc.property(fc.oneof(v4, v6), ([base, prefix, address]) => {
        const cidr = `${base}/${prefix}`;
        const parsed = parseIpAddress(address);
        if (!parsed) return;
        expect(compileAddressRanges([cidr]).contains(parsed)).toBe(blockListContains(cidr, parsed));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with node:net BlockList near a range's edges", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 30 }), fc.integer({ min: -3, max: 3 }), (prefix, offset) => {
        const size = 2 ** (32 - prefix);
        const value = (0x0a140000 + size + offset) >>> 0;
        const address = [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
        const cidr = `10.20.0.0/${prefix}`;
        expect(compileAddressRanges([cidr]).contains(parseIpAddress(address)!)).toBe(
          blockListContains(cidr, parseIpAddress(address)!),
        );
      }),
    );
  });

  it('parses dotted quads (with or without a port) exactly when node:net does', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '007', '255', '256'),
    );
    fc.assert(
      fc.property(
        fc.tuple(octet, octet, octet, octet),
        fc.option(fc.integer({ min: 0, max: 65535 })),
        (octets, port) => {
          const address = octets.join('.');
          const parsed = parseIpAddress(port === null ? address : `${address}:${port}`);
          expect(parsed?.address).toBe(isIP(address) === 4 ? address : undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
