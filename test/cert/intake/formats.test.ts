/**
 * Real-world samples per gateway format: valid, with chain, empty, NONE, FAILED, XFCC quoting,
 * `+` in App Gateway / ALB values, folded and CRLF PEM for Front Door; expected results or reason codes.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeForwardedCertificate,
  GATEWAY_KINDS,
  readForwardedCertificate,
  type ForwardedRequest,
  type GatewayConfig,
  type GatewayKind,
  type IntakeReason,
  type IntakeResult,
} from '../../../shared/cert/intake/index.js';
import { base64Of, fetchRequest, headerMap, intermediate, leaf, pemOf, root } from './intakeFixtures.js';

const SECRET = 'gw-secret-2025';
const FDID = '7b2f3c1d-0000-4c1e-9a7e-1234567890ab';
const proof = { 'X-Certgate-Gateway-Secret': SECRET };

const gateway = (kind: GatewayKind, extra: Partial<GatewayConfig> = {}): GatewayConfig => ({
  kind,
  secrets: [SECRET],
  ...extra,
});

/** nginx / App Gateway / ALB style: URI-component escaping with + = / left as they are. */
const nginxEscaped = (text: string): string =>
  encodeURIComponent(text).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');

type Expected =
  | { kind: 'present'; leaf: Uint8Array; chain: Uint8Array[]; verification?: string; verificationDetail?: string }
  | { kind: 'absent'; trusted: boolean; verification?: string }
  | { kind: 'rejected'; reason: IntakeReason };

interface Sample {
  label: string;
  gateway: GatewayConfig;
  request: ForwardedRequest;
  limits?: { maxHeaderBytes?: number; maxChainLength?: number };
  expected: Expected;
}

const present = (chain: Uint8Array[] = [], verification?: string, verificationDetail?: string): Expected => ({
  kind: 'present',
  leaf,
  chain,
  ...(verification ? { verification } : {}),
  ...(verificationDetail ? { verificationDetail } : {}),
});
const rejected = (reason: IntakeReason): Expected => ({ kind: 'rejected', reason });

const leafPem = pemOf(leaf);
const chainPem = pemOf(leaf) + pemOf(intermediate) + pemOf(root);
const foldedPem = pemOf(leaf, ' ').trim();

const samples: Sample[] = [
  // Application Gateway: X-Client-Certificate = {var_client_certificate}
  {
    label: 'app-gateway: URL-encoded PEM, literal + kept, SUCCESS',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'SUCCESS',
    }),
    expected: present([], 'success'),
  },
  {
    label: 'app-gateway: fully escaped (%2B %2F %3D) decodes too',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': encodeURIComponent(leafPem) }),
    expected: present(),
  },
  {
    label: 'app-gateway: lower-case header names',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ 'x-certgate-gateway-secret': SECRET, 'x-client-certificate': nginxEscaped(leafPem) }),
    expected: present(),
  },
  {
    label: 'app-gateway: passthrough FAILED is reported',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'FAILED:certificate has expired',
    }),
    expected: present([], 'failed', 'certificate has expired'),
  },
  {
    label: 'app-gateway: strict FAILED rejects',
    gateway: gateway('app-gateway', { mode: 'strict' }),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'FAILED:unable to get local issuer certificate',
    }),
    expected: rejected('forwarded-certificate-gateway-verification-failed'),
  },
  {
    label: 'app-gateway: strict SUCCESS passes',
    gateway: gateway('app-gateway', { mode: 'strict' }),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'SUCCESS',
    }),
    expected: present([], 'success'),
  },
  {
    label: 'app-gateway: empty certificate with NONE is absent',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': '', 'X-Client-Certificate-Verification': 'NONE' }),
    expected: { kind: 'absent', trusted: true, verification: 'none' },
  },
  {
    label: 'app-gateway: no certificate header with NONE is absent',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate-Verification': 'NONE' }),
    expected: { kind: 'absent', trusted: true, verification: 'none' },
  },
  {
    label: 'app-gateway: empty certificate without a verdict',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': '   ' }),
    expected: rejected('forwarded-certificate-empty'),
  },
  {
    label: 'app-gateway: unrecognised verdict',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'OK',
    }),
    expected: rejected('forwarded-certificate-verification-unrecognised'),
  },
  {
    label: 'app-gateway: verdict repeated and joined',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem),
      'X-Client-Certificate-Verification': 'FAILED:x, SUCCESS',
    }),
    expected: rejected('forwarded-certificate-duplicate-header'),
  },
  {
    label: 'app-gateway: two certificates where one leaf is expected',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': nginxEscaped(pemOf(leaf) + pemOf(intermediate)) }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },
  {
    label: 'app-gateway: bad percent-encoding',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': `${nginxEscaped(leafPem)}%ZZ` }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'app-gateway: wrong PEM armour',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem.replace(/CERTIFICATE/g, 'PUBLIC KEY')),
    }),
    expected: rejected('forwarded-certificate-malformed-pem'),
  },
  {
    label: 'app-gateway: BEGIN without END',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped(leafPem.replace('-----END CERTIFICATE-----', '')),
    }),
    expected: rejected('forwarded-certificate-malformed-pem'),
  },
  {
    label: 'app-gateway: base64 that is not DER of a SEQUENCE',
    gateway: gateway('app-gateway'),
    request: fetchRequest({
      ...proof,
      'X-Client-Certificate': nginxEscaped('-----BEGIN CERTIFICATE-----\nAgEF\n-----END CERTIFICATE-----\n'),
    }),
    expected: rejected('forwarded-certificate-not-der'),
  },
  {
    label: 'app-gateway: truncated DER',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': nginxEscaped(pemOf(leaf.slice(0, leaf.length - 3))) }),
    expected: rejected('forwarded-certificate-not-der'),
  },
  {
    label: 'app-gateway: header repeated (joined with ", " by Fetch Headers)',
    gateway: gateway('app-gateway'),
    request: headerMap(
      [
        ['X-Certgate-Gateway-Secret', SECRET],
        ['X-Client-Certificate', nginxEscaped(leafPem)],
        ['X-Client-Certificate', nginxEscaped(leafPem)],
      ],
      undefined,
      false,
    ),
    expected: rejected('forwarded-certificate-duplicate-header'),
  },
  {
    label: 'app-gateway: header repeated (getAll)',
    gateway: gateway('app-gateway'),
    request: headerMap([
      ['X-Certgate-Gateway-Secret', SECRET],
      ['X-Client-Certificate', nginxEscaped(leafPem)],
      ['X-Client-Certificate', ''],
    ]),
    expected: rejected('forwarded-certificate-duplicate-header'),
  },
  {
    label: 'app-gateway: header over the size cap',
    gateway: gateway('app-gateway'),
    request: fetchRequest({ ...proof, 'X-Client-Certificate': nginxEscaped(leafPem) + '%20'.repeat(6000) }),
    expected: rejected('forwarded-certificate-header-too-large'),
  },
  {
    label: 'app-gateway: configured smaller size cap',
    gateway: gateway('app-gateway'),
    limits: { maxHeaderBytes: 100 },
    request: fetchRequest({ ...proof, 'X-Client-Certificate': nginxEscaped(leafPem) }),
    expected: rejected('forwarded-certificate-header-too-large'),
  },

  // Front Door (preview; encoding undocumented)
  {
    label: 'front-door: URL-encoded PEM with profile id',
    gateway: gateway('front-door', { frontDoorId: FDID }),
    request: fetchRequest({
      ...proof,
      'X-Azure-FDID': FDID,
      'X-Azure-ClientCertificate': nginxEscaped(leafPem),
      'X-Azure-ClientCertificate-Verify': 'SUCCESS',
    }),
    expected: present([], 'success'),
  },
  {
    label: 'front-door: PEM with spaces instead of newlines',
    gateway: gateway('front-door', { frontDoorId: FDID }),
    request: fetchRequest({ ...proof, 'X-Azure-FDID': FDID, 'X-Azure-ClientCertificate': foldedPem }),
    expected: present(),
  },
  {
    label: 'front-door: PEM with CRLF line breaks',
    gateway: gateway('front-door'),
    request: headerMap([
      ['X-Certgate-Gateway-Secret', SECRET],
      ['X-Azure-ClientCertificate', pemOf(leaf, '\r\n')],
    ]),
    expected: present(),
  },
  {
    label: 'front-door: base64 DER',
    gateway: gateway('front-door', { frontDoorId: FDID }),
    request: fetchRequest({
      ...proof,
      'X-Azure-FDID': FDID.toUpperCase(),
      'X-Azure-ClientCertificate': base64Of(leaf),
    }),
    expected: present(),
  },
  {
    label: 'front-door: base64 DER folded with spaces',
    gateway: gateway('front-door'),
    request: fetchRequest({
      ...proof,
      'X-Azure-ClientCertificate': (base64Of(leaf).match(/.{1,64}/g) ?? []).join(' '),
    }),
    expected: present(),
  },
  {
    label: 'front-door: PEM chain, leaf first',
    gateway: gateway('front-door'),
    request: fetchRequest({ ...proof, 'X-Azure-ClientCertificate': nginxEscaped(chainPem) }),
    expected: present([intermediate, root]),
  },
  {
    label: 'front-door: garbage',
    gateway: gateway('front-door'),
    request: fetchRequest({ ...proof, 'X-Azure-ClientCertificate': 'not a certificate!' }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },

  // App Service: X-ARR-ClientCert, base64 DER
  {
    label: 'app-service: base64 DER',
    gateway: gateway('app-service'),
    request: fetchRequest({ ...proof, 'X-ARR-ClientCert': base64Of(leaf) }),
    expected: present(),
  },
  {
    label: 'app-service: PEM where base64 DER is expected',
    gateway: gateway('app-service'),
    request: fetchRequest({ ...proof, 'X-ARR-ClientCert': foldedPem }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'app-service: base64 with a wrong length',
    gateway: gateway('app-service'),
    request: fetchRequest({
      ...proof,
      'X-ARR-ClientCert': `${base64Of(leaf).replace(/=+$/, '')}A`.slice(0, 4 * 50 + 1),
    }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'app-service: base64 of something that is not a certificate',
    gateway: gateway('app-service'),
    request: fetchRequest({ ...proof, 'X-ARR-ClientCert': base64Of(new TextEncoder().encode('hello world')) }),
    expected: rejected('forwarded-certificate-not-der'),
  },

  // Envoy XFCC
  {
    label: 'envoy: SANITIZE_SET element with quoted Subject containing , ; =',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `By=spiffe://contoso/gw;Hash=abc123;Cert="${encodeURIComponent(leafPem)}";Subject="CN=alice device,O=Contoso,OU=Devices; Lab";URI=spiffe://contoso/alice;DNS=a.example;DNS=b.example`,
    }),
    expected: present(),
  },
  {
    label: 'envoy: escaped quotes inside a quoted value',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Subject="CN=\\"quoted, name\\";O=x";Cert="${encodeURIComponent(leafPem)}"`,
    }),
    expected: present(),
  },
  {
    label: 'envoy: unquoted Cert',
    gateway: gateway('envoy'),
    request: fetchRequest({ ...proof, 'x-forwarded-client-cert': `Hash=abc;Cert=${encodeURIComponent(leafPem)}` }),
    expected: present(),
  },
  {
    label: 'envoy: Chain (leaf first) with Cert',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(leafPem)}";Chain="${encodeURIComponent(chainPem)}"`,
    }),
    expected: present([intermediate, root]),
  },
  {
    label: 'envoy: Chain only',
    gateway: gateway('envoy'),
    request: fetchRequest({ ...proof, 'x-forwarded-client-cert': `Chain="${encodeURIComponent(chainPem)}"` }),
    expected: present([intermediate, root]),
  },
  {
    label: 'envoy: two elements, default last (added by the edge)',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(pemOf(root))}",Cert="${encodeURIComponent(leafPem)}";Subject="CN=a,O=b"`,
    }),
    expected: present(),
  },
  {
    label: 'envoy: two elements, first configured',
    gateway: gateway('envoy', { xfccElement: 'first' }),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(leafPem)}";Subject="CN=a, O=b",Cert="${encodeURIComponent(pemOf(root))}"`,
    }),
    expected: present(),
  },
  {
    label: 'envoy: two elements where only one is allowed',
    gateway: gateway('envoy', { xfccElement: 'only' }),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(leafPem)}",Cert="${encodeURIComponent(pemOf(root))}"`,
    }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },
  {
    label: 'envoy: Cert and Chain disagree on the leaf',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(pemOf(root))}";Chain="${encodeURIComponent(chainPem)}"`,
    }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },
  {
    label: 'envoy: two Cert keys in one element',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Cert="${encodeURIComponent(leafPem)}";Cert="${encodeURIComponent(leafPem)}"`,
    }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },
  {
    label: 'envoy: unterminated quote',
    gateway: gateway('envoy'),
    request: fetchRequest({
      ...proof,
      'x-forwarded-client-cert': `Subject="CN=a;Cert="${encodeURIComponent(leafPem)}`,
    }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'envoy: element without a certificate',
    gateway: gateway('envoy'),
    request: fetchRequest({ ...proof, 'x-forwarded-client-cert': 'Hash=abc;Subject="CN=a"' }),
    expected: rejected('forwarded-certificate-empty'),
  },
  {
    label: 'envoy: pair without =',
    gateway: gateway('envoy'),
    request: fetchRequest({ ...proof, 'x-forwarded-client-cert': 'Hash' }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },

  // nginx
  {
    label: 'nginx: $ssl_client_escaped_cert and $ssl_client_verify',
    gateway: gateway('nginx'),
    request: fetchRequest({ ...proof, 'X-SSL-Client-Cert': nginxEscaped(leafPem), 'X-SSL-Client-Verify': 'SUCCESS' }),
    expected: present([], 'success'),
  },
  {
    label: 'nginx: custom header names',
    gateway: gateway('nginx', {
      headers: { certificate: 'Ssl-Client-Cert', verification: 'Ssl-Client-Verify' },
      secretHeader: 'X-Edge-Key',
    }),
    request: fetchRequest({
      'X-Edge-Key': SECRET,
      'Ssl-Client-Cert': nginxEscaped(leafPem),
      'Ssl-Client-Verify': 'FAILED:self signed certificate',
    }),
    expected: present([], 'failed', 'self signed certificate'),
  },
  {
    label: 'nginx: default header ignored once renamed',
    gateway: gateway('nginx', { headers: { certificate: 'Ssl-Client-Cert' } }),
    request: fetchRequest({ ...proof, 'X-SSL-Client-Cert': nginxEscaped(leafPem) }),
    expected: { kind: 'absent', trusted: true },
  },

  // Traefik
  {
    label: 'traefik: base64 DER list, leaf first',
    gateway: gateway('traefik'),
    request: fetchRequest({
      ...proof,
      'X-Forwarded-Tls-Client-Cert': [leaf, intermediate, root].map(base64Of).join(','),
    }),
    expected: present([intermediate, root]),
  },
  {
    label: 'traefik: query-escaped base64 (older versions)',
    gateway: gateway('traefik'),
    request: fetchRequest({ ...proof, 'X-Forwarded-Tls-Client-Cert': encodeURIComponent(base64Of(leaf)) }),
    expected: present(),
  },
  {
    label: 'traefik: empty list member',
    gateway: gateway('traefik'),
    request: fetchRequest({ ...proof, 'X-Forwarded-Tls-Client-Cert': `${base64Of(leaf)},,${base64Of(root)}` }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'traefik: chain over the cap',
    gateway: gateway('traefik'),
    limits: { maxChainLength: 1 },
    request: fetchRequest({
      ...proof,
      'X-Forwarded-Tls-Client-Cert': [leaf, intermediate, root].map(base64Of).join(','),
    }),
    expected: rejected('forwarded-certificate-chain-too-long'),
  },
  {
    label: 'traefik: chain of 9 over the default cap of 8',
    gateway: gateway('traefik'),
    request: fetchRequest({
      ...proof,
      'X-Forwarded-Tls-Client-Cert': Array.from({ length: 10 }, () => base64Of(root)).join(','),
    }),
    expected: rejected('forwarded-certificate-chain-too-long'),
  },

  // AWS ALB
  {
    label: 'aws-alb: passthrough chain with + = / unescaped',
    gateway: gateway('aws-alb'),
    request: fetchRequest({ ...proof, 'X-Amzn-Mtls-Clientcert': nginxEscaped(chainPem) }),
    expected: present([intermediate, root]),
  },
  {
    label: 'aws-alb: verify mode leaf header',
    gateway: gateway('aws-alb'),
    request: fetchRequest({ ...proof, 'X-Amzn-Mtls-Clientcert-Leaf': nginxEscaped(leafPem) }),
    expected: present(),
  },
  {
    label: 'aws-alb: leaf and chain headers agree',
    gateway: gateway('aws-alb'),
    request: fetchRequest({
      ...proof,
      'X-Amzn-Mtls-Clientcert-Leaf': nginxEscaped(leafPem),
      'X-Amzn-Mtls-Clientcert': nginxEscaped(chainPem),
    }),
    expected: present([intermediate, root]),
  },
  {
    label: 'aws-alb: leaf and chain headers disagree',
    gateway: gateway('aws-alb'),
    request: fetchRequest({
      ...proof,
      'X-Amzn-Mtls-Clientcert-Leaf': nginxEscaped(pemOf(root)),
      'X-Amzn-Mtls-Clientcert': nginxEscaped(chainPem),
    }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },
  {
    label: 'aws-alb: leaf header with two certificates',
    gateway: gateway('aws-alb'),
    request: fetchRequest({ ...proof, 'X-Amzn-Mtls-Clientcert-Leaf': nginxEscaped(pemOf(leaf) + pemOf(root)) }),
    expected: rejected('forwarded-certificate-multiple-leaves'),
  },

  // Cloudflare
  {
    label: 'cloudflare: Cf-Client-Cert-Der-Base64',
    gateway: gateway('cloudflare'),
    request: fetchRequest({ ...proof, 'Cf-Client-Cert-Der-Base64': base64Of(leaf) }),
    expected: present(),
  },
  {
    label: 'cloudflare: base64url is not standard base64',
    gateway: gateway('cloudflare'),
    request: fetchRequest({
      ...proof,
      'Cf-Client-Cert-Der-Base64': base64Of(leaf).replace(/\+/g, '-').replace(/\//g, '_'),
    }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },

  // RFC 9440
  {
    label: 'rfc9440: Client-Cert and Client-Cert-Chain',
    gateway: gateway('rfc9440'),
    request: fetchRequest({
      ...proof,
      'Client-Cert': `:${base64Of(leaf)}:`,
      'Client-Cert-Chain': `:${base64Of(intermediate)}:, :${base64Of(root)}:`,
    }),
    expected: present([intermediate, root]),
  },
  {
    label: 'rfc9440: unpadded base64 tolerated',
    gateway: gateway('rfc9440'),
    request: fetchRequest({ ...proof, 'Client-Cert': `:${base64Of(leaf).replace(/=+$/, '')}:` }),
    expected: present(),
  },
  {
    label: 'rfc9440: missing colons',
    gateway: gateway('rfc9440'),
    request: fetchRequest({ ...proof, 'Client-Cert': base64Of(leaf) }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'rfc9440: chain without Client-Cert',
    gateway: gateway('rfc9440'),
    request: fetchRequest({ ...proof, 'Client-Cert-Chain': `:${base64Of(intermediate)}:` }),
    expected: rejected('forwarded-certificate-malformed-encoding'),
  },
  {
    label: 'rfc9440: chain member not DER',
    gateway: gateway('rfc9440'),
    request: fetchRequest({
      ...proof,
      'Client-Cert': `:${base64Of(leaf)}:`,
      'Client-Cert-Chain': `:${base64Of(intermediate)}:, :AgEF:`,
    }),
    expected: rejected('forwarded-certificate-not-der'),
  },
  {
    label: 'rfc9440: Client-Cert repeated',
    gateway: gateway('rfc9440'),
    request: fetchRequest({ ...proof, 'Client-Cert': `:${base64Of(leaf)}:, :${base64Of(root)}:` }),
    expected: rejected('forwarded-certificate-duplicate-header'),
  },
];

function summarise(result: IntakeResult): Expected {
  switch (result.kind) {
    case 'present':
      return {
        kind: 'present',
        leaf: result.leaf,
        chain: result.chain,
        ...(result.gatewayVerification.status !== 'not-provided'
          ? { verification: result.gatewayVerification.status }
          : {}),
        ...(result.gatewayVerification.detail ? { verificationDetail: result.gatewayVerification.detail } : {}),
      };
    case 'absent':
      return {
        kind: 'absent',
        trusted: result.trusted,
        ...(result.gatewayVerification && result.gatewayVerification.status !== 'not-provided'
          ? { verification: result.gatewayVerification.status }
          : {}),
      };
    case 'rejected':
      return { kind: 'rejected', reason: result.reason };
  }
}

describe('forwarded-certificate formats', () => {
  it.each(samples)('$label', ({ gateway: config, request, limits, expected }) => {
    const result = readForwardedCertificate(request, [config], limits);
    expect(summarise(result)).toEqual(expected);
    if (result.kind !== 'absent') expect(result.gateway).toBe(config.kind);
  });
});

describe('encodeForwardedCertificate round trips', () => {
  const leafOnly: readonly GatewayKind[] = ['app-gateway', 'nginx', 'front-door', 'app-service', 'cloudflare'];
  it.each(GATEWAY_KINDS.map((kind) => ({ kind })))('$kind', ({ kind }) => {
    const headers = encodeForwardedCertificate(kind, leaf, [intermediate, root], {
      verification: { status: 'success' },
    });
    const result = readForwardedCertificate(fetchRequest({ ...proof, ...headers }), [gateway(kind)]);
    expect(result.kind).toBe('present');
    if (result.kind !== 'present') return;
    expect(result.leaf).toEqual(leaf);
    expect(result.chain).toEqual(leafOnly.includes(kind) ? [] : [intermediate, root]);
    expect(result.trace.length).toBeGreaterThan(0);
  });

  it('a value whose + became a space upstream (form decoding) is refused, never misread', () => {
    const corrupted = nginxEscaped(leafPem).replace(/\+/g, ' ');
    const result = readForwardedCertificate(fetchRequest({ ...proof, 'X-Client-Certificate': corrupted }), [
      gateway('app-gateway'),
    ]);
    expect(result.kind).toBe('rejected');
    if (result.kind === 'rejected')
      expect(['forwarded-certificate-malformed-encoding', 'forwarded-certificate-not-der']).toContain(result.reason);
  });

  it('app-gateway encoding keeps + = / unescaped, as App Gateway does', () => {
    const value = encodeForwardedCertificate('app-gateway', leaf, [])['X-Client-Certificate'] ?? '';
    expect(value).toContain('+');
    expect(value).toContain('-----BEGIN%20CERTIFICATE-----%0A');
    expect(value).not.toMatch(/%2B|%3D|%2F/);
  });
});
