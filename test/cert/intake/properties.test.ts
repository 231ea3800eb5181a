/**
 * Property tests: random and mutated header values never throw, every rejection carries a code
 * from the union, nothing is `present` without proof, and encoding round-trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEADER_NAMES,
  encodeForwardedCertificate,
  GATEWAY_KINDS,
  isIntakeReason,
  readClientContext,
  readForwardedCertificate,
  readForwardedRequest,
  type GatewayConfig,
  type IntakeResult,
} from '../../../shared/cert/intake/index.js';
import { parseXfcc, quoteXfccValue } from '../../../shared/cert/intake/xfccHeader.js';
import { headerMap, intermediate, leaf, root } from './intakeFixtures.js';

const SECRET = 'property-secret';
const kindArb = fc.constantFrom(...GATEWAY_KINDS);
const headerText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.stringMatching(/^[A-Za-z0-9+/=%:,;" \\-]{0,400}$/),
);

function assertWellFormed(result: IntakeResult): void {
  expect(['absent', 'present', 'rejected']).toContain(result.kind);
  if (result.kind === 'rejected') expect(isIntakeReason(result.reason)).toBe(true);
  if (result.kind === 'present') {
    expect(result.leaf[0]).toBe(0x30);
    for (const certificate of result.chain) expect(certificate[0]).toBe(0x30);
  }
}

function headerNamesOf(kind: (typeof GATEWAY_KINDS)[number]): string[] {
  return Object.values(DEFAULT_HEADER_NAMES[kind]);
}

type Mutation = { kind: 'delete' | 'insert' | 'replace' | 'truncate' | 'repeat'; at: number; char: string };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'repeat'),
  at: fc.nat(),
  char: fc.constantFrom('%', '+', ' ', ',', ';', '"', '=', ':', '-', 'A', '\\', '\u00e9', '\n', '%0'),
});

function mutate(value: string, mutation: Mutation): string {
  const at = value.length === 0 ? 0 : mutation.at % value.length;
  switch (mutation.kind) {
    case 'delete':
      return value.slice(0, at) + value.slice(at + 1);
    case 'insert':
      return value.slice(0, at) + mutation.char + value.slice(at);
    case 'replace':
      return value.slice(0, at) + mutation.char + value.slice(at + 1);
    case 'truncate':
      return value.slice(0, at);
    case 'repeat':
      return `${value}, ${value}`;
  }
}

describe('intake properties', () => {
  it('random header values behind a proven gateway never throw and reject with known codes', () => {
    fc.assert(
      fc.property(
        kindArb,
        fc.array(headerText, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<'passthrough' | 'strict'>('passthrough', 'strict'),
        (kind, values, mode) => {
          const gateway: GatewayConfig = { kind, secrets: [SECRET], mode, frontDoorId: 'fd-1' };
          const names = [...headerNamesOf(kind), 'X-Azure-FDID'];
          const lines = values.map((value, index): [string, string] => [names[index % names.length] ?? 'x', value]);
          assertWellFormed(
            readForwardedCertificate(headerMap([['X-Certgate-Gateway-Secret', SECRET], ...lines]), [gateway]),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('mutated real header values never throw and reject with known codes', () => {
    fc.assert(
      fc.property(
        kindArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (kind, mutations, withGetAll) => {
          const headers = encodeForwardedCertificate(kind, leaf, [intermediate, root], {
            verification: { status: 'failed', detail: 'x' },
          });
          const lines = Object.entries(headers).map(([name, value]): [string, string] => [
            name,
            mutations.reduce(mutate, value),
          ]);
          const result = readForwardedCertificate(
            headerMap([['X-Certgate-Gateway-Secret', SECRET], ...lines], undefined, withGetAll),
            [{ kind, secrets: [SECRET] }],
          );
          assertWellFormed(result);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('without proof nothing is ever present', () => {
    fc.assert(
      fc.property(kindArb, headerText, fc.option(fc.ipV4(), { nil: undefined }), (kind, value, peer) => {
        const gateways: GatewayConfig[] = [{ kind, secrets: [SECRET], trustedProxies: ['10.0.0.0/8'] }];
        const names = headerNamesOf(kind);
        const result = readForwardedCertificate(
          headerMap(
            names.map((name) => [name, value]),
            peer?.startsWith('10.') ? '192.0.2.1' : peer,
          ),
          gateways,
        );
        expect(result.kind).not.toBe('present');
        assertWellFormed(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('every kind round-trips any leaf/chain combination it can carry', () => {
    const certificates = [leaf, intermediate, root];
    fc.assert(
      fc.property(kindArb, fc.array(fc.constantFrom(0, 1, 2), { maxLength: 8 }), (kind, chainIndexes) => {
        // A Traefik list after the leaf holds CAs only (an end-entity there is a joined second copy).
        const chain = chainIndexes
          .filter((index) => kind !== 'traefik' || index > 0)
          .map((index) => certificates[index] ?? root);
        const headers = encodeForwardedCertificate(kind, leaf, chain);
        const result = readForwardedCertificate(
          headerMap([['X-Certgate-Gateway-Secret', SECRET], ...Object.entries(headers)]),
          [{ kind, secrets: [SECRET] }],
        );
        expect(result.kind).toBe('present');
        if (result.kind === 'present') expect(result.leaf).toEqual(leaf);
      }),
      { numRuns: 300 },
    );
  });

  it('XFCC quoting round-trips any value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (subject, uri) => {
        const parsed = parseXfcc(
          `Subject=${quoteXfccValue(subject)};URI=${quoteXfccValue(uri)},Hash=${quoteXfccValue(subject)}`,
        );
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.value).toHaveLength(2);
        expect(parsed.value[0]?.get('subject')).toEqual([subject]);
        expect(parsed.value[0]?.get('uri')).toEqual([uri]);
        expect(parsed.value[1]?.get('hash')).toEqual([subject]);
      }),
    );
  });

  it('client context never throws on random forwarding headers', () => {
    fc.assert(
      fc.property(
        headerText,
        headerText,
        headerText,
        fc.string({ maxLength: 60 }),
        fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { nil: undefined }),
        (xff, host, original, url, peer) => {
          const request = {
            ...headerMap(
              [
                ['X-Forwarded-For', xff],
                ['X-Forwarded-Host', host],
                ['X-Original-URL', original],
                ['X-Certgate-Gateway-Secret', SECRET],
              ],
              peer,
            ),
            url,
          };
          const context = readClientContext(request, [
            { kind: 'app-gateway', secrets: [SECRET], trustedProxies: ['10.0.0.0/8', '::/0'] },
          ]);
          expect(typeof context).toBe('object');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('readForwardedRequest (one proof) answers what the two separate readers answer, repeated headers included', () => {
    const gateways: GatewayConfig[] = [
      { kind: 'app-gateway', secrets: [SECRET], trustedProxies: ['10.0.0.0/8'] },
      { kind: 'envoy', secrets: [SECRET] },
    ];
    const pem = encodeForwardedCertificate('app-gateway', leaf)['X-Client-Certificate'] ?? '';
    fc.assert(
      fc.property(
        fc.subarray(['secret', 'certificate', 'mutated', 'xfcc', 'xff'] as const),
        mutationArb,
        fc.option(fc.constantFrom('10.1.2.3', '192.0.2.9'), { nil: undefined }),
        (parts, mutation, peer) => {
          const lines: [string, string][] = [];
          if (parts.includes('secret')) lines.push(['X-Certgate-Gateway-Secret', SECRET]);
          if (parts.includes('certificate'))
            lines.push(['X-Client-Certificate', parts.includes('mutated') ? mutate(pem, mutation) : pem]);
          if (parts.includes('xfcc')) lines.push(['X-Forwarded-Client-Cert', `Hash=ab;Cert="${pem}"`]);
          if (parts.includes('xff')) lines.push(['X-Forwarded-For', '203.0.113.5']);
          const request = { ...headerMap(lines, peer), url: 'https://app.contoso.test/files/a' };
          for (let repeat = 0; repeat < 2; repeat++) {
            expect(readForwardedRequest(request, gateways)).toEqual({
              intake: readForwardedCertificate(request, gateways),
              client: readClientContext(request, gateways),
            });
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
