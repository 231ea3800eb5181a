/**
 * One duplicate rule for every gateway format (finding 5): a forwarded-certificate header that
 * arrives more than once is 400 `forwarded-certificate-duplicate-header`, whichever way the host
 * delivered the repeat (lines apart, joined with ", " by Node / undici, joined with "," by
 * ASP.NET). The exceptions are written down in HEADER_REPEAT_RULES and tested here: RFC 9440
 * Client-Cert-Chain is a structured-field list whose repeated lines are one list; a ","-joined
 * Traefik repeat is caught as a second leaf; a ","-joined Envoy XFCC is indistinguishable from
 * Envoy's own appended elements.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEADER_NAMES,
  encodeForwardedCertificate,
  GATEWAY_KINDS,
  HEADER_REPEAT_RULES,
  readForwardedCertificate,
  type GatewayConfig,
  type GatewayKind,
  type HeaderRole,
  type IntakeResult,
} from '../../../shared/cert/intake/index.js';
import { encodePemCertificate } from '../../../shared/cert/intake/pemCertificates.js';
import { encodePercentNginxStyle } from '../../../shared/cert/intake/percentDecoding.js';
import { base64Of, intermediate, leaf, otherLeaf, requestVia, root, type HeaderTransport } from './intakeFixtures.js';

const SECRET = 'repeat-secret';
const proofLine: [string, string] = ['X-Certgate-Gateway-Secret', SECRET];
const outcome = (result: IntakeResult): string => (result.kind === 'rejected' ? result.reason : result.kind);

/** The header lines a gateway of `kind` sends, by role (aws-alb with its leaf header too). */
function linesByRole(
  kind: GatewayKind,
  leafDer: Uint8Array,
  chain: Uint8Array[],
  verdict: 'success' | 'failed',
): Map<HeaderRole, [string, string]> {
  const headers = encodeForwardedCertificate(kind, leafDer, chain, {
    verification:
      verdict === 'success'
        ? { status: 'success' }
        : { status: 'failed', detail: 'certificate revoked, reason: keyCompromise' },
  });
  if (kind === 'aws-alb')
    headers['X-Amzn-Mtls-Clientcert-Leaf'] = encodePercentNginxStyle(encodePemCertificate(leafDer));
  const byRole = new Map<HeaderRole, [string, string]>();
  for (const [role, name] of Object.entries(DEFAULT_HEADER_NAMES[kind]) as [HeaderRole, string][]) {
    const value = headers[name];
    if (value !== undefined) byRole.set(role, [name, value]);
  }
  return byRole;
}

const copyArb = fc.record({
  leaf: fc.constantFrom(leaf, otherLeaf),
  chain: fc.subarray([intermediate, root], { minLength: 1 }),
  verdict: fc.constantFrom<'success' | 'failed'>('success', 'failed'),
});
const transportArb = fc.constantFrom<HeaderTransport>('fetch-headers', 'get-all', 'aspnet-joined');

describe('one duplicate rule per gateway format (property)', () => {
  it.each(GATEWAY_KINDS.map((kind) => ({ kind })))(
    '$kind: a repeated header is refused however it arrives',
    ({ kind }) => {
      fc.assert(
        fc.property(
          copyArb,
          copyArb,
          transportArb,
          fc.nat(),
          fc.constantFrom<'last' | 'only'>('last', 'only'),
          (first, second, transport, pick, xfccElement) => {
            const firstLines = linesByRole(kind, first.leaf, first.chain, first.verdict);
            const secondLines = linesByRole(kind, second.leaf, second.chain, second.verdict);
            const roles = [...firstLines.keys()].filter((role) => secondLines.has(role));
            const role = roles[pick % roles.length] as HeaderRole;
            const repeated = secondLines.get(role) as [string, string];
            const request = requestVia(transport, [proofLine, ...firstLines.values(), repeated]);
            const gateway: GatewayConfig = { kind, secrets: [SECRET], ...(kind === 'envoy' ? { xfccElement } : {}) };
            const result = readForwardedCertificate(request, [gateway]);
            const rule = HEADER_REPEAT_RULES[kind][role];

            if (rule === 'structured-list') {
              // RFC 8941 §3.1: repeated list lines are one list, so the chain is both copies' chains.
              expect(result).toMatchObject({
                kind: 'present',
                leaf: first.leaf,
                chain: [...first.chain, ...second.chain],
              });
            } else if (transport !== 'aspnet-joined') {
              expect(outcome(result)).toBe('forwarded-certificate-duplicate-header');
            } else if (kind === 'traefik') {
              // Joined with Traefik's own separator: the second copy's leaf is a certificate that is no CA.
              expect(outcome(result)).toBe('forwarded-certificate-multiple-leaves');
            } else if (kind === 'envoy') {
              // Joined with Envoy's own element separator: two elements, as two Envoy hops would send.
              if (xfccElement === 'only') expect(outcome(result)).toBe('forwarded-certificate-multiple-leaves');
              else expect(result).toMatchObject({ kind: 'present', leaf: second.leaf });
            } else {
              expect(outcome(result)).toBe('forwarded-certificate-duplicate-header');
            }
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('every certificate-bearing role of every kind has a written rule', () => {
    for (const kind of GATEWAY_KINDS) {
      for (const role of Object.keys(DEFAULT_HEADER_NAMES[kind]) as HeaderRole[]) {
        if (role === 'frontDoorId') continue; // part of the proof: a repeat is no proof (trustBoundary tests)
        expect(HEADER_REPEAT_RULES[kind][role], `${kind} ${role}`).toBeDefined();
      }
    }
  });
});

describe('repeats, case by case', () => {
  const traefik: GatewayConfig = { kind: 'traefik', secrets: [SECRET] };
  const traefikHeader = (...certificates: Uint8Array[]): string => certificates.map(base64Of).join(',');

  it.each<{ label: string; transport: HeaderTransport; lines: [string, string][]; expected: string }>([
    {
      label: 'traefik: leaf and chain in one header',
      transport: 'fetch-headers',
      lines: [['X-Forwarded-Tls-Client-Cert', traefikHeader(leaf, intermediate, root)]],
      expected: 'present',
    },
    {
      label: 'traefik: repeated, joined with ", " (the reported bypass: first copy was used)',
      transport: 'fetch-headers',
      lines: [
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(leaf)],
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(otherLeaf)],
      ],
      expected: 'forwarded-certificate-duplicate-header',
    },
    {
      label: 'traefik: repeated, lines kept apart',
      transport: 'get-all',
      lines: [
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(leaf)],
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(leaf)],
      ],
      expected: 'forwarded-certificate-duplicate-header',
    },
    {
      label: 'traefik: repeated, joined with "," (second member is a leaf)',
      transport: 'aspnet-joined',
      lines: [
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(leaf, intermediate)],
        ['X-Forwarded-Tls-Client-Cert', traefikHeader(otherLeaf)],
      ],
      expected: 'forwarded-certificate-multiple-leaves',
    },
    {
      label: "traefik: a space after the separator is not Traefik's",
      transport: 'fetch-headers',
      lines: [['X-Forwarded-Tls-Client-Cert', `${base64Of(leaf)}, ${base64Of(intermediate)}`]],
      expected: 'forwarded-certificate-duplicate-header',
    },
  ])('$label', ({ transport, lines, expected }) => {
    expect(outcome(readForwardedCertificate(requestVia(transport, [proofLine, ...lines]), [traefik]))).toBe(expected);
  });

  it('envoy: ", " between elements outside quotes is a joined repeat; inside a quoted value it is text', () => {
    const envoy: GatewayConfig = { kind: 'envoy', secrets: [SECRET] };
    const xfcc = encodeForwardedCertificate('envoy', leaf)['x-forwarded-client-cert'] ?? '';
    const withSubject = `${xfcc};Subject="CN=alice, O=Contoso, Inc."`;
    expect(
      outcome(
        readForwardedCertificate(requestVia('fetch-headers', [proofLine, ['x-forwarded-client-cert', withSubject]]), [
          envoy,
        ]),
      ),
    ).toBe('present');
    expect(
      outcome(
        readForwardedCertificate(
          requestVia('fetch-headers', [proofLine, ['x-forwarded-client-cert', `By=spiffe://a,${withSubject}`]]),
          [envoy],
        ),
      ),
    ).toBe('present');
    expect(
      outcome(
        readForwardedCertificate(
          requestVia('fetch-headers', [
            proofLine,
            ['x-forwarded-client-cert', `By=spiffe://a`],
            ['x-forwarded-client-cert', withSubject],
          ]),
          [envoy],
        ),
      ),
    ).toBe('forwarded-certificate-duplicate-header');
  });

  it('rfc9440: repeated Client-Cert-Chain lines are one list; a repeated Client-Cert is refused', () => {
    const rfc: GatewayConfig = { kind: 'rfc9440', secrets: [SECRET] };
    const item = (der: Uint8Array): string => `:${base64Of(der)}:`;
    for (const transport of ['fetch-headers', 'get-all', 'aspnet-joined'] as const) {
      const chained = readForwardedCertificate(
        requestVia(transport, [
          proofLine,
          ['Client-Cert', item(leaf)],
          ['Client-Cert-Chain', item(intermediate)],
          ['Client-Cert-Chain', item(root)],
        ]),
        [rfc],
      );
      expect(chained, transport).toMatchObject({ kind: 'present', chain: [intermediate, root] });
      const twoLeaves = readForwardedCertificate(
        requestVia(transport, [proofLine, ['Client-Cert', item(leaf)], ['Client-Cert', item(otherLeaf)]]),
        [rfc],
      );
      expect(outcome(twoLeaves), transport).toBe('forwarded-certificate-duplicate-header');
    }
  });

  it('verification verdicts: a free-text reason may hold commas, a second verdict may not', () => {
    const nginx: GatewayConfig = { kind: 'nginx', secrets: [SECRET] };
    const certificate = encodeForwardedCertificate('nginx', leaf)['X-SSL-Client-Cert'] ?? '';
    const read = (transport: HeaderTransport, ...verdicts: string[]) =>
      readForwardedCertificate(
        requestVia(transport, [
          proofLine,
          ['X-SSL-Client-Cert', certificate],
          ...verdicts.map((verdict): [string, string] => ['X-SSL-Client-Verify', verdict]),
        ]),
        [nginx],
      );
    expect(read('fetch-headers', 'FAILED:certificate revoked, reason: keyCompromise')).toMatchObject({
      kind: 'present',
      gatewayVerification: { status: 'failed' },
    });
    for (const transport of ['fetch-headers', 'get-all', 'aspnet-joined'] as const) {
      expect(outcome(read(transport, 'FAILED:expired', 'SUCCESS')), transport).toBe(
        'forwarded-certificate-duplicate-header',
      );
      expect(outcome(read(transport, 'SUCCESS', 'SUCCESS')), transport).toBe('forwarded-certificate-duplicate-header');
    }
  });
});
