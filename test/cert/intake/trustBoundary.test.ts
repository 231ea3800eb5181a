/**
 * The trust boundary: a certificate header counts only with the gateway's proof (secret with
 * rotation, Front Door id, trusted proxy address); without proof it is an untrusted forwarder.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeForwardedCertificate,
  readForwardedCertificate,
  type GatewayConfig,
  type IntakeResult,
} from '../../../shared/cert/intake/index.js';
import { fetchRequest, headerMap, leaf } from './intakeFixtures.js';

const OLD = 'secret-2024-rotating-out';
const NEW = 'secret-2025-rotating-in';
const FDID = '0c5f1e8a-3b7d-4e11-9f3a-6a2b1c0d9e8f';
const certificateHeaders = encodeForwardedCertificate('app-gateway', leaf, []);
const outcome = (result: IntakeResult): string => (result.kind === 'rejected' ? result.reason : result.kind);

describe('gateway secret with rotation', () => {
  const rotating: GatewayConfig = { kind: 'app-gateway', secrets: [OLD, NEW] };
  it.each([
    { label: 'old secret accepted during rotation', secret: OLD, expected: 'present' },
    { label: 'new secret accepted', secret: NEW, expected: 'present' },
    { label: 'wrong secret', secret: 'secret-2023-retired', expected: 'forwarded-certificate-untrusted-forwarder' },
    {
      label: 'secret with a different case',
      secret: NEW.toUpperCase(),
      expected: 'forwarded-certificate-untrusted-forwarder',
    },
    { label: 'secret prefix', secret: NEW.slice(0, -1), expected: 'forwarded-certificate-untrusted-forwarder' },
    { label: 'empty secret', secret: '', expected: 'forwarded-certificate-untrusted-forwarder' },
  ])('$label', ({ secret, expected }) => {
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': secret, ...certificateHeaders }), [
          rotating,
        ]),
      ),
    ).toBe(expected);
  });

  it('after rotation the old secret is refused', () => {
    const rotated: GatewayConfig = { kind: 'app-gateway', secrets: [NEW] };
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': OLD, ...certificateHeaders }), [rotated]),
      ),
    ).toBe('forwarded-certificate-untrusted-forwarder');
  });

  it('the trace names which secret matched, never its value', () => {
    const result = readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': OLD, ...certificateHeaders }), [
      rotating,
    ]);
    expect(result.kind).toBe('present');
    if (result.kind !== 'present') return;
    expect(result.trace.join('\n')).toContain('#1 of 2');
    expect(result.trace.join('\n')).not.toContain(OLD);
  });

  it('a repeated secret header is no proof', () => {
    const request = headerMap([
      ['X-Certgate-Gateway-Secret', NEW],
      ['X-Certgate-Gateway-Secret', NEW],
      ['X-Client-Certificate', certificateHeaders['X-Client-Certificate'] ?? ''],
    ]);
    expect(outcome(readForwardedCertificate(request, [rotating]))).toBe('forwarded-certificate-untrusted-forwarder');
  });

  it('a custom secret header name', () => {
    const custom: GatewayConfig = { kind: 'app-gateway', secrets: [NEW], secretHeader: 'X-Edge-Proof' };
    expect(
      outcome(readForwardedCertificate(fetchRequest({ 'x-edge-proof': NEW, ...certificateHeaders }), [custom])),
    ).toBe('present');
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': NEW, ...certificateHeaders }), [custom]),
      ),
    ).toBe('forwarded-certificate-untrusted-forwarder');
  });
});

describe('absent, untrusted and no-proof-configured', () => {
  const gateway: GatewayConfig = { kind: 'app-gateway', secrets: [NEW] };
  it.each<{ label: string; headers: Record<string, string>; expected: object }>([
    {
      label: 'no certificate header, no proof → absent, untrusted',
      headers: {},
      expected: { kind: 'absent', trusted: false },
    },
    {
      label: 'no certificate header, proof → absent, trusted',
      headers: { 'X-Certgate-Gateway-Secret': NEW },
      expected: { kind: 'absent', trusted: true, gateway: 'app-gateway' },
    },
    {
      label: 'wrong secret, no certificate header → absent, untrusted',
      headers: { 'X-Certgate-Gateway-Secret': 'x' },
      expected: { kind: 'absent', trusted: false },
    },
  ])('$label', ({ headers, expected }) => {
    expect(readForwardedCertificate(fetchRequest(headers), [gateway])).toMatchObject(expected);
  });

  it('a spoofed header without proof is never decoded (even garbage is untrusted-forwarder, not a format error)', () => {
    const result = readForwardedCertificate(fetchRequest({ 'X-Client-Certificate': '%%%garbage' }), [gateway]);
    expect(result).toMatchObject({
      kind: 'rejected',
      reason: 'forwarded-certificate-untrusted-forwarder',
      gateway: 'app-gateway',
    });
  });

  it('a gateway with no proof configured trusts nothing', () => {
    const unprotected: GatewayConfig = { kind: 'app-gateway' };
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': NEW, ...certificateHeaders }), [
          unprotected,
        ]),
      ),
    ).toBe('forwarded-certificate-untrusted-forwarder');
  });

  it('no gateways configured: a certificate header is ignored, not trusted', () => {
    expect(readForwardedCertificate(fetchRequest(certificateHeaders), [])).toEqual({ kind: 'absent', trusted: false });
  });
});

describe('Front Door profile id', () => {
  const frontDoor: GatewayConfig = { kind: 'front-door', secrets: [NEW], frontDoorId: FDID };
  const headers = encodeForwardedCertificate('front-door', leaf, []);
  it.each<{ label: string; extra: Record<string, string>; expected: string }>([
    {
      label: 'secret and matching FDID',
      extra: { 'X-Certgate-Gateway-Secret': NEW, 'X-Azure-FDID': FDID },
      expected: 'present',
    },
    {
      label: "secret but another profile (another tenant's Front Door)",
      extra: { 'X-Certgate-Gateway-Secret': NEW, 'X-Azure-FDID': '11111111-2222-3333-4444-555555555555' },
      expected: 'forwarded-certificate-untrusted-forwarder',
    },
    {
      label: 'secret but no FDID',
      extra: { 'X-Certgate-Gateway-Secret': NEW },
      expected: 'forwarded-certificate-untrusted-forwarder',
    },
    {
      label: 'FDID but no secret',
      extra: { 'X-Azure-FDID': FDID },
      expected: 'forwarded-certificate-untrusted-forwarder',
    },
  ])('$label', ({ extra, expected }) => {
    expect(outcome(readForwardedCertificate(fetchRequest({ ...extra, ...headers }), [frontDoor]))).toBe(expected);
  });

  it('FDID alone is the proof when it is the only factor configured', () => {
    const fdOnly: GatewayConfig = { kind: 'front-door', frontDoorId: FDID };
    expect(outcome(readForwardedCertificate(fetchRequest({ 'X-Azure-FDID': FDID, ...headers }), [fdOnly]))).toBe(
      'present',
    );
  });
});

describe('trusted proxy ranges', () => {
  const byAddress: GatewayConfig = {
    kind: 'nginx',
    trustedProxies: ['10.20.0.0/16', '2001:db8:100::/48', '192.0.2.7'],
  };
  const headers = encodeForwardedCertificate('nginx', leaf, []);
  it.each([
    { label: 'IPv4 inside', peer: '10.20.3.4', expected: 'present' },
    { label: 'IPv4 with port', peer: '10.20.3.4:51234', expected: 'present' },
    { label: 'IPv4-mapped IPv6', peer: '::ffff:10.20.3.4', expected: 'present' },
    { label: 'single host entry', peer: '192.0.2.7', expected: 'present' },
    { label: 'IPv6 inside', peer: '2001:db8:100:42::1', expected: 'present' },
    { label: 'IPv6 in brackets with port', peer: '[2001:db8:100::9]:443', expected: 'present' },
    { label: 'IPv4 outside', peer: '10.21.0.1', expected: 'forwarded-certificate-untrusted-forwarder' },
    { label: 'IPv6 outside', peer: '2001:db8:101::1', expected: 'forwarded-certificate-untrusted-forwarder' },
    { label: 'not an address', peer: 'localhost', expected: 'forwarded-certificate-untrusted-forwarder' },
  ])('$label', ({ peer, expected }) => {
    expect(outcome(readForwardedCertificate(fetchRequest(headers, peer), [byAddress]))).toBe(expected);
  });

  it('no peer address known', () => {
    expect(outcome(readForwardedCertificate(fetchRequest(headers), [byAddress]))).toBe(
      'forwarded-certificate-untrusted-forwarder',
    );
  });

  it('secret and proxy range together: both are required', () => {
    const both: GatewayConfig = { kind: 'nginx', secrets: [NEW], trustedProxies: ['10.20.0.0/16'] };
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': NEW, ...headers }, '10.20.0.5'), [both]),
      ),
    ).toBe('present');
    expect(
      outcome(
        readForwardedCertificate(fetchRequest({ 'X-Certgate-Gateway-Secret': NEW, ...headers }, '203.0.113.9'), [both]),
      ),
    ).toBe('forwarded-certificate-untrusted-forwarder');
    expect(outcome(readForwardedCertificate(fetchRequest(headers, '10.20.0.5'), [both]))).toBe(
      'forwarded-certificate-untrusted-forwarder',
    );
  });
});

describe('several gateways', () => {
  const appGateway: GatewayConfig = { kind: 'app-gateway', secrets: [NEW] };
  const frontDoor: GatewayConfig = { kind: 'front-door', frontDoorId: FDID, secrets: ['front-door-secret'] };
  const gateways = [appGateway, frontDoor];

  it('picks the gateway whose proof is present', () => {
    const viaFrontDoor = {
      'X-Certgate-Gateway-Secret': 'front-door-secret',
      'X-Azure-FDID': FDID,
      ...encodeForwardedCertificate('front-door', leaf, []),
    };
    expect(readForwardedCertificate(fetchRequest(viaFrontDoor), gateways)).toMatchObject({
      kind: 'present',
      gateway: 'front-door',
    });
    const viaAppGateway = { 'X-Certgate-Gateway-Secret': NEW, ...certificateHeaders };
    expect(readForwardedCertificate(fetchRequest(viaAppGateway), gateways)).toMatchObject({
      kind: 'present',
      gateway: 'app-gateway',
    });
  });

  it('a certificate header of any configured kind without any proof is untrusted', () => {
    const spoofed = encodeForwardedCertificate('front-door', leaf, []);
    expect(readForwardedCertificate(fetchRequest(spoofed), gateways)).toMatchObject({
      kind: 'rejected',
      reason: 'forwarded-certificate-untrusted-forwarder',
      gateway: 'front-door',
    });
  });

  it('a header of another kind than the proven gateway is not read', () => {
    const mixed = { 'X-Certgate-Gateway-Secret': NEW, ...encodeForwardedCertificate('front-door', leaf, []) };
    expect(readForwardedCertificate(fetchRequest(mixed), gateways)).toMatchObject({
      kind: 'absent',
      trusted: true,
      gateway: 'app-gateway',
    });
  });
});
