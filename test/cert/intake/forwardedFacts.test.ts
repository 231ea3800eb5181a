/**
 * One proof for everything forwarded: the client IP (X-Forwarded-For), the original host and URL
 * and the app hint count only when the same gateway proof that guards the certificate header
 * holds; without it they are dropped, and the context says which. And the peer address the
 * Functions host appends to X-Forwarded-For, read without mangling IPv6.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  forwardedRequestOf,
  peerAddressOf,
  readClientContext,
  readForwardedRequest,
  type GatewayConfig,
} from '../../../shared/cert/intake/index.js';
import { headerMap } from './intakeFixtures.js';

const SECRET = 'forwarded-facts-secret';
const OFFICE = '198.51.100.7';
const url = 'https://func.example.net/api/authorize/files/report.pdf';
/** Secret and proxy range both configured: the proof is both together. */
const gateway: GatewayConfig = { kind: 'app-gateway', secrets: [SECRET], trustedProxies: ['10.0.0.0/8', 'fd00::/8'] };

const contextOf = (
  lines: [string, string][],
  peer: string | undefined,
  gateways: readonly GatewayConfig[] = [gateway],
) => readClientContext({ ...headerMap(lines, peer), url }, gateways);

describe('finding 3: the client context needs the whole gateway proof', () => {
  it('X-Forwarded-For from inside the proxy range but without the secret is not believed', () => {
    // The reported bypass: straight to the functions from an address in the trusted range, no secret.
    const context = contextOf([['X-Forwarded-For', OFFICE]], '10.1.2.3');
    expect(context).toMatchObject({ clientIp: '10.1.2.3', proven: false, dropped: ['x-forwarded-for'] });
    expect(context.provenBy).toBeUndefined();
  });

  it('with the secret and the proxy range the forwarded client IP counts', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['X-Forwarded-For', OFFICE],
      ],
      '10.1.2.3',
    );
    expect(context).toMatchObject({ clientIp: OFFICE, proven: true, provenBy: 'app-gateway', dropped: [] });
  });

  it('with the secret from a peer outside the proxy range nothing forwarded counts', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['X-Forwarded-For', OFFICE],
      ],
      '203.0.113.5',
    );
    expect(context).toMatchObject({ clientIp: '203.0.113.5', proven: false, dropped: ['x-forwarded-for'] });
  });

  it('every forwarded fact is dropped without proof, and named', () => {
    const context = contextOf(
      [
        ['Host', 'func.example.net'],
        ['X-Forwarded-For', OFFICE],
        ['X-Forwarded-Host', 'portal.contoso.com'],
        ['X-Original-Host', 'apps.contoso.com'],
        ['X-Original-URL', '/admin'],
        ['X-Forwarded-Uri', '/hr/'],
        ['X-Certgate-App', 'payroll'],
      ],
      '10.1.2.3',
    );
    expect(context).toEqual({
      clientIp: '10.1.2.3',
      host: 'func.example.net',
      path: '/api/authorize/files/report.pdf',
      proven: false,
      dropped: [
        'x-forwarded-for',
        'x-forwarded-host',
        'x-original-host',
        'x-original-url',
        'x-forwarded-uri',
        'x-certgate-app',
      ],
    });
  });

  it('nothing is dropped when nothing was forwarded', () => {
    expect(contextOf([['Host', 'func.example.net']], '203.0.113.5')).toEqual({
      clientIp: '203.0.113.5',
      host: 'func.example.net',
      path: '/api/authorize/files/report.pdf',
      proven: false,
      dropped: [],
    });
  });

  it('names the gateway that proved itself among several', () => {
    const envoy: GatewayConfig = { kind: 'envoy', secrets: ['envoy-secret'] };
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', 'envoy-secret'],
        ['X-Forwarded-Host', 'portal.contoso.com'],
      ],
      '10.1.2.3',
      [gateway, envoy],
    );
    expect(context).toMatchObject({ proven: true, provenBy: 'envoy', host: 'portal.contoso.com', dropped: [] });
  });

  it('readForwardedRequest reports the same provenance as the certificate intake', () => {
    const request = {
      ...headerMap(
        [
          ['X-Forwarded-For', OFFICE],
          ['X-Client-Certificate', 'x'],
        ],
        '10.1.2.3',
      ),
      url,
    };
    const { intake, client } = readForwardedRequest(request, [gateway]);
    expect(intake).toMatchObject({ kind: 'rejected', reason: 'forwarded-certificate-untrusted-forwarder' });
    expect(client).toMatchObject({ clientIp: '10.1.2.3', proven: false, dropped: ['x-forwarded-for'] });
  });

  it('property: without proof the client IP is the peer, whatever X-Forwarded-For says', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), { maxLength: 5 }),
        fc.oneof(fc.ipV4(), fc.constantFrom('10.1.2.3', 'fd00::9')),
        fc.boolean(),
        (xff, peer, wrongSecret) => {
          const lines: [string, string][] = xff.map((entry) => ['X-Forwarded-For', entry]);
          if (wrongSecret) lines.push(['X-Certgate-Gateway-Secret', `${SECRET}-not`]);
          const context = contextOf(lines, peer);
          expect(context.proven).toBe(false);
          expect(context.clientIp).toBe(peerAddressOf(peer));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('peerAddressOf: the entry the Functions host appended to X-Forwarded-For', () => {
  it.each([
    { label: 'IPv4', xff: '203.0.113.9', expected: '203.0.113.9' },
    { label: 'IPv4 with port', xff: '203.0.113.9:5678', expected: '203.0.113.9' },
    { label: 'bare IPv6 (a port regex would eat the last group)', xff: '2001:db8::1', expected: '2001:db8::1' },
    { label: 'bare IPv6 ending in digits', xff: '2001:db8::1:443', expected: '2001:db8::1:443' },
    { label: 'bracketed IPv6 with port', xff: '[2001:db8::1]:443', expected: '2001:db8::1' },
    { label: 'bracketed IPv6 without port', xff: '[2001:db8::1]', expected: '2001:db8::1' },
    { label: 'IPv4-mapped IPv6 (Node sockets)', xff: '::ffff:127.0.0.1', expected: '127.0.0.1' },
    { label: 'upper-case IPv6 is normalised', xff: '2001:DB8::A', expected: '2001:db8::a' },
    { label: 'the last of several entries', xff: '198.51.100.7, 10.0.0.4:1234,[fd00::1]:80', expected: 'fd00::1' },
    { label: 'spaces around the entry', xff: '198.51.100.7 ,  203.0.113.9  ', expected: '203.0.113.9' },
    { label: 'garbage', xff: '198.51.100.7, unknown', expected: undefined },
    { label: 'empty last entry', xff: '198.51.100.7,', expected: undefined },
    { label: 'empty header', xff: '', expected: undefined },
    { label: 'absent header', xff: null, expected: undefined },
  ])('$label', ({ xff, expected }) => {
    expect(peerAddressOf(xff)).toBe(expected);
  });

  it('property: every way a host writes the peer gives the address back', () => {
    const written = fc.oneof(
      fc.ipV4().map((address) => ({ entry: address, address })),
      fc
        .tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 }))
        .map(([address, port]) => ({ entry: `${address}:${port}`, address })),
      fc.ipV6().map((address) => ({ entry: address, address })),
      fc
        .tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 }))
        .map(([address, port]) => ({ entry: `[${address}]:${port}`, address })),
    );
    fc.assert(
      fc.property(fc.array(fc.ipV4(), { maxLength: 3 }), written, (before, { entry, address }) => {
        const peer = peerAddressOf([...before, entry].join(', '));
        expect(peer).toBeDefined();
        // the same address as node:net sees it (IPv6 compressed forms may differ in spelling)
        expect(peerAddressOf(peer ?? '')).toBe(peerAddressOf(address));
        if (!address.includes(':')) expect(peer).toBe(address);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('forwardedRequestOf: what the Functions host hands over, as the intake reads it', () => {
  const hostHeaders = (xff: string | undefined, more: Record<string, string> = {}) =>
    new Headers({ ...more, ...(xff !== undefined ? { 'x-forwarded-for': xff } : {}) });

  it('splits the host-appended peer off the chain', () => {
    const request = forwardedRequestOf(hostHeaders('198.51.100.7, 10.9.9.9, [fd00::4]:443'), url);
    expect(request.remoteAddress).toBe('fd00::4');
    expect(request.forwardedFor).toEqual(['198.51.100.7', '10.9.9.9']);
    expect(request.url).toBe(url);
  });

  it('a bare IPv6 peer keeps its last group (the bug in the trigger)', () => {
    expect(forwardedRequestOf(hostHeaders('2001:db8::1'), url)).toMatchObject({
      remoteAddress: '2001:db8::1',
      forwardedFor: [],
    });
  });

  it('an unreadable peer entry leaves the peer unknown and the client IP with it', () => {
    const request = forwardedRequestOf(
      hostHeaders(`${OFFICE}, nonsense`, { 'X-Certgate-Gateway-Secret': SECRET }),
      url,
    );
    expect(request.remoteAddress).toBeUndefined();
    expect(readClientContext(request, [{ kind: 'app-gateway', secrets: [SECRET] }]).clientIp).toBeUndefined();
  });

  it('the peer is not counted twice: a caller that sent no X-Forwarded-For has nothing dropped', () => {
    const request = forwardedRequestOf(hostHeaders('10.1.2.3'), url);
    expect(readClientContext(request, [gateway])).toMatchObject({ clientIp: '10.1.2.3', proven: false, dropped: [] });
  });

  it('without proof the forwarded chain is dropped and the peer is the client', () => {
    const request = forwardedRequestOf(hostHeaders(`${OFFICE}, 10.1.2.3`), url);
    expect(readClientContext(request, [gateway])).toMatchObject({
      clientIp: '10.1.2.3',
      proven: false,
      dropped: ['x-forwarded-for'],
    });
  });

  it.each([
    { label: 'one trusted hop (the gateway is the peer)', xff: `${OFFICE}, 10.1.2.3`, expected: OFFICE },
    { label: 'two trusted hops', xff: `${OFFICE}, 10.9.9.9, 10.1.2.3`, expected: OFFICE },
    { label: 'spoofed entries left of the client are skipped', xff: `6.6.6.6, ${OFFICE}, 10.1.2.3`, expected: OFFICE },
    { label: 'IPv6 gateway as peer', xff: `${OFFICE}:5555, [fd00::7]:443`, expected: OFFICE },
    { label: 'nothing forwarded: the gateway itself', xff: '10.1.2.3', expected: '10.1.2.3' },
  ])('with proof: $label', ({ xff, expected }) => {
    const request = forwardedRequestOf(hostHeaders(xff, { 'X-Certgate-Gateway-Secret': SECRET }), url);
    expect(readClientContext(request, [gateway])).toMatchObject({ clientIp: expected, proven: true, dropped: [] });
  });

  it('readForwardedRequest takes it directly', () => {
    const request = forwardedRequestOf(
      hostHeaders(`${OFFICE}, 10.1.2.3`, { 'X-Certgate-Gateway-Secret': SECRET }),
      url,
    );
    expect(readForwardedRequest(request, [gateway]).client).toMatchObject({
      clientIp: OFFICE,
      proven: true,
      provenBy: 'app-gateway',
    });
  });
});
