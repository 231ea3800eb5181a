/**
 * Client context: X-Forwarded-For walked right to left through trusted hops only, and like the
 * forwarded host and path believed only from a proven gateway (forwardedFacts.test.ts has the
 * unproven side).
 */
import { describe, expect, it } from 'vitest';
import { readClientContext, type GatewayConfig } from '../../../shared/cert/intake/index.js';
import { headerMap } from './intakeFixtures.js';

const SECRET = 'context-secret';
const proxies: GatewayConfig = { kind: 'app-gateway', secrets: [SECRET], trustedProxies: ['10.0.0.0/8', 'fd00::/8'] };
const url = 'https://func.example.net/api/authorize/files/report.pdf?sig=abc';

const contextOf = (
  lines: [string, string][],
  remoteAddress: string | undefined,
  gateways: readonly GatewayConfig[] = [proxies],
) => readClientContext({ ...headerMap(lines, remoteAddress), url }, gateways);

const proofLine: [string, string] = ['X-Certgate-Gateway-Secret', SECRET];

describe('client IP from X-Forwarded-For, behind a proven gateway', () => {
  it.each([
    { label: 'peer not trusted: XFF ignored', xff: '1.1.1.1', peer: '203.0.113.5', expected: '203.0.113.5' },
    { label: 'one trusted hop', xff: '198.51.100.7', peer: '10.1.2.3', expected: '198.51.100.7' },
    {
      label: 'several trusted hops',
      xff: '198.51.100.7, 10.9.9.9, 10.8.8.8',
      peer: '10.1.2.3',
      expected: '198.51.100.7',
    },
    {
      label: 'spoofed leftmost entries are skipped',
      xff: '6.6.6.6, 198.51.100.7, 10.9.9.9',
      peer: '10.1.2.3',
      expected: '198.51.100.7',
    },
    {
      label: 'App Gateway style entries with ports',
      xff: '198.51.100.7:54321, 10.9.9.9:443',
      peer: '10.1.2.3',
      expected: '198.51.100.7',
    },
    { label: 'IPv6 client behind IPv6 proxy', xff: '2001:db8::42', peer: 'fd00::1', expected: '2001:db8::42' },
    { label: 'bracketed IPv6 with port', xff: '[2001:db8::42]:8080', peer: '10.1.2.3', expected: '2001:db8::42' },
    { label: 'all hops trusted: leftmost', xff: '10.5.5.5, 10.6.6.6', peer: '10.1.2.3', expected: '10.5.5.5' },
    { label: 'garbage where the client should be', xff: 'unknown, 10.6.6.6', peer: '10.1.2.3', expected: undefined },
    { label: 'no XFF', xff: undefined, peer: '203.0.113.5', expected: '203.0.113.5' },
  ])('$label', ({ xff, peer, expected }) => {
    const lines: [string, string][] = xff === undefined ? [proofLine] : [proofLine, ['X-Forwarded-For', xff]];
    expect(contextOf(lines, peer).clientIp).toBe(expected);
  });

  it('repeated XFF headers are one list, in order', () => {
    expect(
      contextOf([proofLine, ['X-Forwarded-For', '198.51.100.7'], ['X-Forwarded-For', '10.9.9.9']], '10.1.2.3').clientIp,
    ).toBe('198.51.100.7');
  });

  it('an unknown peer gives no client IP even with proof (the walk cannot start)', () => {
    expect(contextOf([proofLine, ['X-Forwarded-For', '198.51.100.7']], undefined).clientIp).toBeUndefined();
  });

  it('without trusted proxies configured the peer is the client', () => {
    expect(
      contextOf([proofLine, ['X-Forwarded-For', '198.51.100.7']], '10.1.2.3', [
        { kind: 'app-gateway', secrets: [SECRET] },
      ]).clientIp,
    ).toBe('10.1.2.3');
  });

  it('no peer and no XFF: unknown', () => {
    expect(contextOf([], undefined).clientIp).toBeUndefined();
  });
});

describe('host, path and user agent', () => {
  it('forwarded host and path from a proven gateway', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['Host', 'func.example.net'],
        ['X-Forwarded-Host', 'Portal.Contoso.com'],
        ['X-Original-URL', '/files/q3.xlsx?download=1'],
        ['User-Agent', 'Mozilla/5.0 (Windows NT 10.0)'],
      ],
      '10.1.2.3',
    );
    expect(context).toEqual({
      clientIp: '10.1.2.3',
      host: 'portal.contoso.com',
      path: '/files/q3.xlsx',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0)',
      proven: true,
      provenBy: 'app-gateway',
      dropped: [],
    });
  });

  it('X-Original-Host and X-Forwarded-Uri are the fallbacks', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['X-Original-Host', 'apps.contoso.com'],
        ['X-Forwarded-Uri', 'https://apps.contoso.com/hr/'],
      ],
      '10.1.2.3',
    );
    expect(context).toMatchObject({ host: 'apps.contoso.com', path: '/hr/' });
  });

  it('forwarding headers from an unproven caller are ignored', () => {
    const context = contextOf(
      [
        ['Host', 'func.example.net'],
        ['X-Forwarded-Host', 'evil.example'],
        ['X-Original-URL', '/admin'],
      ],
      '203.0.113.5',
    );
    expect(context).toMatchObject({
      host: 'func.example.net',
      path: '/api/authorize/files/report.pdf',
      proven: false,
      dropped: ['x-forwarded-host', 'x-original-url'],
    });
  });

  it('an invalid forwarded host falls back to Host', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['Host', 'func.example.net'],
        ['X-Forwarded-Host', 'bad host/with path'],
      ],
      '10.1.2.3',
    );
    expect(context.host).toBe('func.example.net');
  });

  it('with several X-Forwarded-Host values the one added by the nearest proxy counts', () => {
    const context = contextOf(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['X-Forwarded-Host', 'spoofed.example, portal.contoso.com'],
      ],
      '10.1.2.3',
    );
    expect(context.host).toBe('portal.contoso.com');
  });

  it('an unparseable URL gives no path and no throw', () => {
    expect(readClientContext({ ...headerMap([]), url: 'not a url' }, [proxies])).toEqual({
      proven: false,
      dropped: [],
    });
  });
});

describe('the request URL: parsed parts remembered by the exact URL text', () => {
  const at = (requestUrl: string, lines: [string, string][] = [], peer = '203.0.113.5') =>
    readClientContext({ ...headerMap(lines, peer), url: requestUrl }, [proxies]);

  it('each URL gives its own host, path and app hint, however often and in whatever order it is read', () => {
    const first = 'https://a.example.net/api/authorize/one';
    const second = 'https://b.example.net/api/authorize/two?app=x';
    for (let round = 0; round < 3; round++) {
      expect(at(first)).toMatchObject({ host: 'a.example.net', path: '/api/authorize/one', dropped: [] });
      expect(at(second)).toMatchObject({ host: 'b.example.net', path: '/api/authorize/two', dropped: ['?app'] });
    }
    // Differs from `first` only in case and query: parsed on its own, not mistaken for it.
    expect(at('https://a.example.net/api/authorize/ONE?app=y')).toMatchObject({
      path: '/api/authorize/ONE',
      dropped: ['?app'],
    });
    expect(at('not a url')).toMatchObject({ host: undefined, path: undefined });
  });

  it('stays right past its bound (older URLs parsed again)', () => {
    for (let index = 0; index < 600; index++)
      expect(at(`https://h${index}.example.net/p/${index}`).path).toBe(`/p/${index}`);
    expect(at('https://h0.example.net/p/0')).toMatchObject({ host: 'h0.example.net', path: '/p/0' });
  });

  it('the forwarded host is the last non-empty X-Forwarded-Host item (every line, trimmed)', () => {
    const proven = (value: string[]) =>
      at(
        'https://func.example.net/x',
        value.map((line): [string, string] => ['X-Forwarded-Host', line]).concat([proofLine]),
        '10.1.2.3',
      ).host;
    expect(proven(['a.example, b.example'])).toBe('b.example');
    expect(proven(['a.example, b.example , ,'])).toBe('b.example');
    expect(proven(['a.example', ' c.example '])).toBe('c.example');
    expect(proven([' , '])).toBe('func.example.net');
  });
});
