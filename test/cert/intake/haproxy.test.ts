/**
 * The HAProxy format (shared/cert/intake/formats/haproxy.ts): `%[ssl_c_der,base64]` (the leaf),
 * `%[ssl_c_chain_der,base64]` (the client's other certificates, concatenated DER) and
 * `%[ssl_c_verify]` (OpenSSL's verify result, 0 = ok), each a single value. Samples as HAProxy
 * writes them, the repeat rule, strict mode, and the encoder the local gateway uses.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEADER_NAMES,
  encodeForwardedCertificate,
  encodeGatewayVerification,
  HEADER_REPEAT_RULES,
  readForwardedCertificate,
  type GatewayConfig,
  type IntakeResult,
} from '../../../shared/cert/intake/index.js';
import {
  base64Of,
  fetchRequest,
  intermediate,
  leaf,
  requestVia,
  root,
  type HeaderTransport,
} from './intakeFixtures.js';

const SECRET = 'haproxy-secret-0123456789';
const proof = { 'X-Certgate-Gateway-Secret': SECRET };
const haproxy: GatewayConfig = { kind: 'haproxy', secrets: [SECRET] };
const concatenated = (...certificates: Uint8Array[]): string => Buffer.concat(certificates).toString('base64');

/** The result, reduced to what a case asserts. */
function summary(result: IntakeResult): Record<string, unknown> {
  switch (result.kind) {
    case 'present':
      return {
        kind: 'present',
        leaf: result.leaf,
        chain: result.chain,
        verification: result.gatewayVerification.status,
        ...(result.gatewayVerification.detail ? { detail: result.gatewayVerification.detail } : {}),
      };
    case 'absent':
      return { kind: 'absent', trusted: result.trusted };
    case 'rejected':
      return { kind: 'rejected', reason: result.reason };
  }
}

describe('haproxy format', () => {
  it('reads the headers HAProxy is configured to send', () => {
    expect(DEFAULT_HEADER_NAMES.haproxy).toEqual({
      certificate: 'X-SSL-Client-DER',
      chain: 'X-SSL-Client-Chain-DER',
      verification: 'X-SSL-Client-Verify',
    });
    expect(HEADER_REPEAT_RULES.haproxy).toEqual({
      certificate: 'single-value',
      chain: 'single-value',
      verification: 'single-value',
    });
  });

  it.each<{
    label: string;
    headers: Record<string, string>;
    gateway?: GatewayConfig;
    expected: Record<string, unknown>;
  }>([
    {
      label: 'ssl_c_der alone, ssl_c_verify 0: the leaf, verified',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': '0' },
      expected: { kind: 'present', leaf, chain: [], verification: 'success' },
    },
    {
      label: "ssl_c_chain_der: the client's other certificates, concatenated DER, in order",
      headers: {
        'X-SSL-Client-DER': base64Of(leaf),
        'X-SSL-Client-Chain-DER': concatenated(intermediate, root),
        'X-SSL-Client-Verify': '0',
      },
      expected: { kind: 'present', leaf, chain: [intermediate, root], verification: 'success' },
    },
    {
      label: 'a chain that repeats the leaf first does not count it twice',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Chain-DER': concatenated(leaf, intermediate) },
      expected: { kind: 'present', leaf, chain: [intermediate], verification: 'not-provided' },
    },
    {
      label: 'an empty chain header (the client sent the leaf alone) is no chain',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Chain-DER': '' },
      expected: { kind: 'present', leaf, chain: [], verification: 'not-provided' },
    },
    {
      label: 'ssl_c_verify 10 is a failed verdict, named, reported in passthrough',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': '10' },
      expected: { kind: 'present', leaf, chain: [], verification: 'failed', detail: '10 (certificate has expired)' },
    },
    {
      label: 'an unknown verify code is still a failed verdict',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': '4242' },
      expected: { kind: 'present', leaf, chain: [], verification: 'failed', detail: '4242' },
    },
    {
      label: 'strict mode refuses a failed verdict',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': '20' },
      gateway: { ...haproxy, mode: 'strict' },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-gateway-verification-failed' },
    },
    {
      label: "nginx's SUCCESS is not an HAProxy verdict",
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': 'SUCCESS' },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-verification-unrecognised' },
    },
    {
      label: 'a negative verify code is not one',
      headers: { 'X-SSL-Client-DER': base64Of(leaf), 'X-SSL-Client-Verify': '-1' },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-verification-unrecognised' },
    },
    {
      label: 'no certificate (the set-header lines are conditional on ssl_c_used): absent, trusted',
      headers: {},
      expected: { kind: 'absent', trusted: true },
    },
    {
      label: 'an empty ssl_c_der with verify 0 (no ssl_c_used condition) is an empty certificate',
      headers: { 'X-SSL-Client-DER': '', 'X-SSL-Client-Verify': '0' },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-empty' },
    },
    {
      label: 'a chain without the leaf header has no certificate',
      headers: { 'X-SSL-Client-Chain-DER': concatenated(intermediate) },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-empty' },
    },
    {
      label: 'hex (ssl_c_der,hex) is not base64 DER',
      headers: { 'X-SSL-Client-DER': Buffer.from(leaf).toString('hex') },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'two certificates in the leaf header are not one DER SEQUENCE',
      headers: { 'X-SSL-Client-DER': concatenated(leaf, intermediate) },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'base64url is not standard base64',
      headers: { 'X-SSL-Client-DER': base64Of(leaf).replace(/\+/g, '-').replace(/\//g, '_') },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-malformed-encoding' },
    },
    {
      label: 'a truncated chain is refused',
      headers: {
        'X-SSL-Client-DER': base64Of(leaf),
        'X-SSL-Client-Chain-DER': Buffer.from(
          Buffer.concat([intermediate, root]).subarray(0, intermediate.length + 10),
        ).toString('base64'),
      },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'a chain with a stray byte after the last certificate is refused',
      headers: {
        'X-SSL-Client-DER': base64Of(leaf),
        'X-SSL-Client-Chain-DER': Buffer.concat([intermediate, Buffer.from([0x30])]).toString('base64'),
      },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'a chain member that is not a SEQUENCE is refused',
      headers: {
        'X-SSL-Client-DER': base64Of(leaf),
        'X-SSL-Client-Chain-DER': Buffer.concat([intermediate, Buffer.from([0x02, 0x01, 0x05])]).toString('base64'),
      },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'a chain member with a length past 4 GiB is refused, not read',
      headers: {
        'X-SSL-Client-DER': base64Of(leaf),
        'X-SSL-Client-Chain-DER': Buffer.from([0x30, 0x85, 1, 0, 0, 0, 0]).toString('base64'),
      },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-not-der' },
    },
    {
      label: 'without the gateway proof the header is refused',
      headers: { 'X-SSL-Client-DER': base64Of(leaf) },
      gateway: { ...haproxy, secrets: ['another-secret-0123456789'] },
      expected: { kind: 'rejected', reason: 'forwarded-certificate-untrusted-forwarder' },
    },
  ])('$label', ({ headers, gateway, expected }) => {
    expect(summary(readForwardedCertificate(fetchRequest({ ...proof, ...headers }), [gateway ?? haproxy]))).toEqual(
      expected,
    );
  });

  it.each<{ transport: HeaderTransport; name: string }>([
    { transport: 'fetch-headers', name: 'X-SSL-Client-DER' },
    { transport: 'get-all', name: 'X-SSL-Client-DER' },
    { transport: 'aspnet-joined', name: 'X-SSL-Client-DER' },
    { transport: 'aspnet-joined', name: 'X-SSL-Client-Chain-DER' },
    { transport: 'fetch-headers', name: 'X-SSL-Client-Verify' },
    { transport: 'aspnet-joined', name: 'X-SSL-Client-Verify' },
  ])('a repeated $name is refused ($transport)', ({ transport, name }) => {
    const sent = encodeForwardedCertificate('haproxy', leaf, [intermediate], { verification: { status: 'success' } });
    const lines = [...Object.entries(proof), ...Object.entries(sent), [name, sent[name] ?? ''] as const];
    const result = readForwardedCertificate(requestVia(transport, lines), [haproxy]);
    expect(summary(result)).toEqual({ kind: 'rejected', reason: 'forwarded-certificate-duplicate-header' });
  });

  it('encodes what HAProxy sends, and the intake reads it back', () => {
    const sent = encodeForwardedCertificate('haproxy', leaf, [intermediate, root], {
      verification: { status: 'failed', detail: 'certificate has expired' },
    });
    expect(sent).toEqual({
      'X-SSL-Client-DER': base64Of(leaf),
      'X-SSL-Client-Chain-DER': concatenated(intermediate, root),
      'X-SSL-Client-Verify': '10',
    });
    expect(summary(readForwardedCertificate(fetchRequest({ ...proof, ...sent }), [haproxy]))).toEqual({
      kind: 'present',
      leaf,
      chain: [intermediate, root],
      verification: 'failed',
      detail: '10 (certificate has expired)',
    });
    expect(encodeForwardedCertificate('haproxy', leaf, [], { verification: { status: 'success' } })).toEqual({
      'X-SSL-Client-DER': base64Of(leaf),
      'X-SSL-Client-Verify': '0',
    });
    // A reason OpenSSL does not name is X509_V_ERR_UNSPECIFIED (1); no certificate, no header (ssl_c_used is false).
    expect(encodeGatewayVerification('haproxy', { status: 'failed', detail: 'something else' })).toEqual({
      'X-SSL-Client-Verify': '1',
    });
    expect(encodeGatewayVerification('haproxy', { status: 'none' })).toEqual({});
  });
});
