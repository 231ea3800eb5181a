/**
 * The pure OCSP functions on their own: responder URLs from AIA, request building (cross-checked
 * against pkijs' own CertID computation), and the time-window boundaries of the evaluator on
 * responses fetched once from the loopback responder and then evaluated at fixed instants.
 */
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOcspClient } from '../../../shared/adapters/httpOcspClient.js';
import {
  DEFAULT_OCSP_CLOCK_SKEW_SECONDS,
  DEFAULT_OCSP_MAX_AGE_SECONDS,
  OcspRequestError,
  buildOcspRequest,
  evaluateOcspResponse,
  ocspCertIdKey,
  ocspResponderUrls,
  type OcspRequest,
} from '../../../shared/cert/revocation/ocsp.js';
import { isOcspReason } from '../../../shared/cert/revocation/ocspReasons.js';
import { issueOcspTestLeaf, type OcspTestCa } from '../../../dev/ocsp/ocspTestPki.js';
import type { OcspResponder } from '../../../dev/ocsp/responder.js';
import {
  NOW,
  VALID_FROM,
  VALID_TO,
  createOcspWorld,
  createTestCa,
  startTestResponder,
  type OcspWorld,
} from './ocspFixtures.js';

const SECOND = 1000;
const HOUR = 3_600 * SECOND;
const SKEW = DEFAULT_OCSP_CLOCK_SKEW_SECONDS * SECOND;

let ca: OcspTestCa;
let world: OcspWorld;
let withNextUpdate: OcspResponder;
let withoutNextUpdate: OcspResponder;

beforeAll(async () => {
  ca = await createTestCa();
  withNextUpdate = await startTestResponder(ca);
  withoutNextUpdate = await startTestResponder(ca, { validitySeconds: 0 });
  world = await createOcspWorld(ca, withNextUpdate.url);
});

afterAll(async () => {
  await withNextUpdate.close();
  await withoutNextUpdate.close();
});

async function fetchResponse(url: string): Promise<{ request: OcspRequest; der: Uint8Array }> {
  const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
  const result = await new HttpOcspClient().query(url, request.der);
  if (result.kind !== 'response') throw new Error(result.reason);
  return { request, der: result.der };
}

describe('ocspResponderUrls', () => {
  it('keeps http and https OCSP URLs from AIA in order, drops other schemes and duplicates', async () => {
    const leaf = await issueOcspTestLeaf(ca, {
      serialHex: '2001',
      ocspUrls: [
        'http://ocsp.example/a',
        'ldap://ldap.example/cn=ocsp',
        'https://ocsp.example/b',
        'http://ocsp.example/a',
      ],
      validFrom: VALID_FROM,
      validTo: VALID_TO,
    });
    expect(ocspResponderUrls(leaf.certDer)).toEqual(['http://ocsp.example/a', 'https://ocsp.example/b']);
  });

  it.each([
    { label: 'a certificate without AIA', der: () => ca.intermediate.certDer },
    { label: 'garbage', der: () => new Uint8Array([1, 2, 3]) },
    { label: 'empty input', der: () => new Uint8Array() },
  ])('is empty for $label', ({ der }) => {
    expect(ocspResponderUrls(der())).toEqual([]);
  });
});

describe('buildOcspRequest', () => {
  it.each(['SHA-1', 'SHA-256'] as const)('computes the same %s CertID as pkijs does', async (hashAlgorithm) => {
    const built = buildOcspRequest({
      certDer: world.leaves.good.certDer,
      issuerDer: ca.intermediate.certDer,
      hashAlgorithm,
    });
    const engine = new pkijs.CryptoEngine({ crypto: webcrypto });
    const expected = await pkijs.CertID.create(
      pkijs.Certificate.fromBER(world.leaves.good.certDer),
      { hashAlgorithm, issuerCertificate: pkijs.Certificate.fromBER(ca.intermediate.certDer) },
      engine,
    );
    const parsed = pkijs.OCSPRequest.fromBER(built.der);
    const sent = parsed.tbsRequest.requestList[0]?.reqCert;
    expect(sent && expected.isEqual(sent)).toBe(true);
    expect(built.certId.serialHex).toBe('1001');
    expect(Buffer.from(built.certId.issuerNameHash)).toEqual(
      Buffer.from(expected.issuerNameHash.valueBlock.valueHexView),
    );
  });

  it('sends the nonce as an RFC 8954 extension and returns it', () => {
    const nonce = new Uint8Array(16).fill(0xab);
    const built = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer, nonce });
    const extension = pkijs.OCSPRequest.fromBER(built.der).tbsRequest.requestExtensions?.[0];
    expect(extension?.extnID).toBe('1.3.6.1.5.5.7.48.1.2');
    expect(Buffer.from(extension?.extnValue.valueBlock.valueHexView ?? [])).toEqual(
      Buffer.concat([Buffer.from([0x04, 16]), Buffer.from(nonce)]),
    );
    expect(built.nonce).toEqual(nonce);
  });

  it('gives different cache keys for different certificates and hash algorithms', () => {
    const key = (certDer: Uint8Array, hashAlgorithm: 'SHA-1' | 'SHA-256') =>
      ocspCertIdKey(buildOcspRequest({ certDer, issuerDer: ca.intermediate.certDer, hashAlgorithm }).certId);
    const keys = new Set([
      key(world.leaves.good.certDer, 'SHA-1'),
      key(world.leaves.good.certDer, 'SHA-256'),
      key(world.leaves.revoked.certDer, 'SHA-1'),
    ]);
    expect(keys.size).toBe(3);
    expect(key(world.leaves.good.certDer, 'SHA-1')).toBe(key(world.leaves.good.certDer, 'SHA-1'));
  });

  it.each([
    {
      label: 'malformed certificate',
      input: () => ({ certDer: new Uint8Array([0x30, 0x01]), issuerDer: ca.intermediate.certDer }),
      code: 'ocsp-request-certificate-malformed',
    },
    {
      label: 'malformed issuer',
      input: () => ({ certDer: world.leaves.good.certDer, issuerDer: new Uint8Array([0x30]) }),
      code: 'ocsp-request-issuer-malformed',
    },
    {
      label: 'empty nonce',
      input: () => ({
        certDer: world.leaves.good.certDer,
        issuerDer: ca.intermediate.certDer,
        nonce: new Uint8Array(),
      }),
      code: 'ocsp-request-nonce-invalid',
    },
    {
      label: '33-octet nonce',
      input: () => ({
        certDer: world.leaves.good.certDer,
        issuerDer: ca.intermediate.certDer,
        nonce: new Uint8Array(33),
      }),
      code: 'ocsp-request-nonce-invalid',
    },
  ])('throws $code for a $label', ({ input, code }) => {
    expect(() => buildOcspRequest(input())).toThrow(expect.objectContaining({ code }) as OcspRequestError);
  });
});

describe('evaluateOcspResponse time windows (thisUpdate = NOW, nextUpdate = NOW + 1 h, skew 300 s)', () => {
  it.each([
    { label: 'at thisUpdate', at: 0, expected: 'ocsp-good' },
    { label: 'thisUpdate exactly skew ahead', at: -SKEW, expected: 'ocsp-good' },
    { label: 'thisUpdate more than skew ahead', at: -SKEW - SECOND, expected: 'ocsp-response-not-yet-valid' },
    { label: 'at nextUpdate', at: HOUR, expected: 'ocsp-good' },
    { label: 'nextUpdate exactly skew behind', at: HOUR + SKEW, expected: 'ocsp-good' },
    { label: 'nextUpdate more than skew behind', at: HOUR + SKEW + SECOND, expected: 'ocsp-response-stale' },
  ])('$label → $expected', async ({ at, expected }) => {
    const { request, der } = await fetchResponse(withNextUpdate.url);
    const verdict = evaluateOcspResponse({
      responseDer: der,
      certId: request.certId,
      issuerDer: ca.intermediate.certDer,
      now: new Date(NOW.getTime() + at),
    });
    expect(verdict.reason).toBe(expected);
  });

  it.each([
    {
      label: 'within the default max age',
      at: DEFAULT_OCSP_MAX_AGE_SECONDS * SECOND + SKEW,
      maxAgeSeconds: undefined,
      expected: 'ocsp-good',
    },
    {
      label: 'past the default max age',
      at: DEFAULT_OCSP_MAX_AGE_SECONDS * SECOND + SKEW + SECOND,
      maxAgeSeconds: undefined,
      expected: 'ocsp-response-stale',
    },
    { label: 'within a 10-minute max age', at: 10 * 60 * SECOND + SKEW, maxAgeSeconds: 600, expected: 'ocsp-good' },
    {
      label: 'past a 10-minute max age',
      at: 10 * 60 * SECOND + SKEW + SECOND,
      maxAgeSeconds: 600,
      expected: 'ocsp-response-stale',
    },
  ])('no nextUpdate, $label → $expected', async ({ at, maxAgeSeconds, expected }) => {
    const { request, der } = await fetchResponse(withoutNextUpdate.url);
    const verdict = evaluateOcspResponse({
      responseDer: der,
      certId: request.certId,
      issuerDer: ca.intermediate.certDer,
      now: new Date(NOW.getTime() + at),
      ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
    });
    expect(verdict.reason).toBe(expected);
    expect(verdict.nextUpdate).toBeUndefined();
  });

  it('a zero skew makes the boundary exact', async () => {
    const { request, der } = await fetchResponse(withNextUpdate.url);
    const at = (offset: number) =>
      evaluateOcspResponse({
        responseDer: der,
        certId: request.certId,
        issuerDer: ca.intermediate.certDer,
        now: new Date(NOW.getTime() + offset),
        clockSkewSeconds: 0,
      }).reason;
    expect([at(HOUR), at(HOUR + 1), at(-1)]).toEqual([
      'ocsp-good',
      'ocsp-response-stale',
      'ocsp-response-not-yet-valid',
    ]);
  });
});

describe('evaluateOcspResponse on non-responses', () => {
  it.each([
    { label: 'empty bytes', der: new Uint8Array(), expected: 'ocsp-response-malformed' },
    { label: 'a lone SEQUENCE', der: new Uint8Array([0x30, 0x00]), expected: 'ocsp-response-malformed' },
    {
      label: 'trailing bytes',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00, 0x00]),
      expected: 'ocsp-response-malformed',
    },
    {
      label: 'successful without responseBytes',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]),
      expected: 'ocsp-response-malformed',
    },
    {
      label: 'malformedRequest',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01]),
      expected: 'ocsp-responder-malformed-request',
    },
    {
      label: 'internalError',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x02]),
      expected: 'ocsp-responder-internal-error',
    },
    {
      label: 'sigRequired',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x05]),
      expected: 'ocsp-responder-sig-required',
    },
    {
      label: 'unauthorized',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x06]),
      expected: 'ocsp-responder-unauthorized',
    },
    {
      label: 'status 4 (unused)',
      der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x04]),
      expected: 'ocsp-responder-unknown-status',
    },
    {
      label: 'a response type other than basic',
      // OCSPResponse { successful, [0] { ResponseBytes { 1.2.3, OCTET STRING {} } } }
      der: new Uint8Array([
        0x30, 0x0e, 0x0a, 0x01, 0x00, 0xa0, 0x09, 0x30, 0x07, 0x06, 0x02, 0x2a, 0x03, 0x04, 0x01, 0x00,
      ]),
      expected: 'ocsp-response-not-basic',
    },
  ])('$label → $expected', ({ der, expected }) => {
    const certId = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer }).certId;
    const verdict = evaluateOcspResponse({ responseDer: der, certId, issuerDer: ca.intermediate.certDer, now: NOW });
    expect(verdict).toMatchObject({ status: 'unknown', reason: expected });
    expect(isOcspReason(verdict.reason)).toBe(true);
  });

  it('a malformed issuer is a reason, not an exception', async () => {
    const { request, der } = await fetchResponse(withNextUpdate.url);
    const verdict = evaluateOcspResponse({
      responseDer: der,
      certId: request.certId,
      issuerDer: new Uint8Array([0x30, 0x00]),
      now: NOW,
    });
    expect(verdict.reason).toBe('ocsp-issuer-malformed');
  });
});
