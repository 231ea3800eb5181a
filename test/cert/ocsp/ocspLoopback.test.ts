/**
 * OCSP end to end over real HTTP on 127.0.0.1: the AIA URL from the leaf, a request built by
 * certgate, the HttpOcspClient, the loopback responder (signing as the CA or as delegated
 * responders, and misbehaving on demand), and the evaluator at a fixed `now`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOcspClient } from '../../../shared/adapters/httpOcspClient.js';
import { buildOcspRequest, evaluateOcspResponse } from '../../../shared/cert/revocation/ocsp.js';
import type { OcspTestCa, OcspTestCredential } from '../../../dev/ocsp/ocspTestPki.js';
import type { OcspResponder, OcspResponderOptions } from '../../../dev/ocsp/responder.js';
import {
  NOW,
  REVOKED_AT,
  checkOverHttp,
  createOcspWorld,
  createTestCa,
  reasonOf,
  startTestResponder,
  type CheckOutcome,
  type OcspWorld,
} from './ocspFixtures.js';

let ca: OcspTestCa;
let responder: OcspResponder;
let world: OcspWorld;

beforeAll(async () => {
  ca = await createTestCa();
  responder = await startTestResponder(ca);
  world = await createOcspWorld(ca, responder.url);
});

afterAll(async () => {
  await responder.close();
});

function verdictOf(outcome: CheckOutcome) {
  if ('transport' in outcome) throw new Error(`expected a response, got transport failure ${outcome.transport}`);
  return outcome.verdict;
}

/** Runs `check` against a responder started with `options`, closing it afterwards. */
async function withResponder<T>(
  options: Partial<Omit<OcspResponderOptions, 'signer'>> & { signer?: OcspTestCredential },
  check: (url: string) => Promise<T>,
): Promise<T> {
  const extra = await startTestResponder(ca, options);
  try {
    return await check(extra.url);
  } finally {
    await extra.close();
  }
}

describe('OCSP answers from a responder signing as the issuing CA', () => {
  it('good: verified, with thisUpdate / nextUpdate for caching', async () => {
    const verdict = verdictOf(await checkOverHttp(world, world.leaves.good));
    expect(verdict).toMatchObject({
      status: 'good',
      reason: 'ocsp-good',
      signedBy: 'issuer',
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 3_600_000),
    });
  });

  it('revoked: with revocation time and reason', async () => {
    const verdict = verdictOf(await checkOverHttp(world, world.leaves.revoked));
    expect(verdict).toMatchObject({
      status: 'revoked',
      reason: 'ocsp-revoked',
      revokedAt: REVOKED_AT,
      revocationReason: 'keyCompromise',
    });
  });

  it('revoked without a reason code', async () => {
    const verdict = verdictOf(await checkOverHttp(world, world.leaves.revokedWithoutReason));
    expect(verdict).toMatchObject({ status: 'revoked', reason: 'ocsp-revoked', revokedAt: REVOKED_AT });
    expect(verdict.revocationReason).toBeUndefined();
  });

  it('unknown: the responder does not know the certificate', async () => {
    const verdict = verdictOf(await checkOverHttp(world, world.leaves.unknown));
    expect(verdict).toMatchObject({ status: 'unknown', reason: 'ocsp-cert-unknown' });
  });

  it.each([
    { label: 'SHA-256 CertID', options: { hashAlgorithm: 'SHA-256' as const } },
    { label: 'nonce echoed', options: { nonce: randomBytes(16) } },
    { label: 'GET with the request in the URL', options: { client: { preferGet: true } } },
  ])('good with $label', async ({ options }) => {
    expect(reasonOf(await checkOverHttp(world, world.leaves.good, options))).toBe('ocsp-good');
  });

  it('GET is actually used for small requests when preferred', async () => {
    const before = responder.requestCount;
    const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const viaGet = await fetch(`${responder.url}/${encodeURIComponent(Buffer.from(request.der).toString('base64'))}`);
    expect(viaGet.status).toBe(200);
    const verdict = evaluateOcspResponse({
      responseDer: new Uint8Array(await viaGet.arrayBuffer()),
      certId: request.certId,
      issuerDer: ca.intermediate.certDer,
      now: NOW,
    });
    expect(verdict.reason).toBe('ocsp-good');
    expect(responder.requestCount).toBe(before + 1);
  });

  it('a response for another certificate of the same CA has no SingleResponse for ours', async () => {
    const asked = buildOcspRequest({ certDer: world.leaves.revoked.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient().query(responder.url, asked.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    const ours = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const verdict = evaluateOcspResponse({
      responseDer: result.der,
      certId: ours.certId,
      issuerDer: ca.intermediate.certDer,
      now: NOW,
    });
    expect(verdict).toMatchObject({ status: 'unknown', reason: 'ocsp-cert-id-not-found' });
  });

  it('a response checked against the wrong issuer names neither it nor an included certificate', async () => {
    const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient().query(responder.url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    const verdict = evaluateOcspResponse({
      responseDer: result.der,
      certId: request.certId,
      issuerDer: ca.root.certDer,
      now: NOW,
    });
    expect(verdict.reason).toBe('ocsp-responder-id-mismatch');
  });

  it('a request about a certificate of another CA is refused by the responder as unauthorized', async () => {
    const request = buildOcspRequest({ certDer: ca.intermediate.certDer, issuerDer: ca.root.certDer });
    const result = await new HttpOcspClient().query(responder.url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    const verdict = evaluateOcspResponse({
      responseDer: result.der,
      certId: request.certId,
      issuerDer: ca.root.certDer,
      now: NOW,
    });
    expect(verdict).toMatchObject({ status: 'unknown', reason: 'ocsp-responder-unauthorized' });
  });
});

describe('responder failures', () => {
  it.each([
    { label: 'down (HTTP 503)', mode: 'down' as const, expected: 'ocsp-fetch-failed' },
    { label: 'tryLater', mode: 'try-later' as const, expected: 'ocsp-responder-try-later' },
    { label: 'bad signature', mode: 'bad-signature' as const, expected: 'ocsp-signature-invalid' },
    { label: 'stale (nextUpdate passed)', mode: 'stale' as const, expected: 'ocsp-response-stale' },
  ])('$label → $expected', async ({ mode, expected }) => {
    const reason = await withResponder({ mode }, async (url) =>
      reasonOf(await checkOverHttp(world, world.leaves.good, { url })),
    );
    expect(reason).toBe(expected);
  });

  it('slow → time-out', async () => {
    const reason = await withResponder({ mode: 'slow', slowDelayMs: 5_000 }, async (url) =>
      reasonOf(await checkOverHttp(world, world.leaves.good, { url, client: { timeoutMs: 150 } })),
    );
    expect(reason).toBe('ocsp-fetch-timeout');
  });

  it('connection refused (responder gone) → fetch failed', async () => {
    const gone = await startTestResponder(ca);
    await gone.close();
    expect(reasonOf(await checkOverHttp(world, world.leaves.good, { url: gone.url }))).toBe('ocsp-fetch-failed');
  });

  it('nonce mismatch → refused; a response without the nonce echo is accepted', async () => {
    const mismatched = await withResponder({ mode: 'wrong-nonce' }, async (url) =>
      reasonOf(await checkOverHttp(world, world.leaves.good, { url, nonce: randomBytes(16) })),
    );
    expect(mismatched).toBe('ocsp-nonce-mismatch');

    // The responder echoes only what it receives: ask without a nonce, evaluate as if we had sent one.
    const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient().query(responder.url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    const verdict = evaluateOcspResponse({
      responseDer: result.der,
      certId: request.certId,
      issuerDer: ca.intermediate.certDer,
      now: NOW,
      nonce: randomBytes(16),
    });
    expect(verdict.reason).toBe('ocsp-good');
  });

  it('the mode can change at run time', async () => {
    expect(reasonOf(await checkOverHttp(world, world.leaves.good))).toBe('ocsp-good');
    responder.setMode('down');
    try {
      expect(reasonOf(await checkOverHttp(world, world.leaves.good))).toBe('ocsp-fetch-failed');
    } finally {
      responder.setMode('normal');
    }
    expect(reasonOf(await checkOverHttp(world, world.leaves.good))).toBe('ocsp-good');
  });
});

describe('delegated responders', () => {
  it.each([
    { label: 'RSA PKCS#1, responder id by key, nocheck', responder: 'rsa' as const, options: {}, noCheck: true },
    {
      label: 'RSA-PSS, responder id by name',
      responder: 'rsa' as const,
      options: { rsaSignature: 'pss' as const, responderIdBy: 'name' as const },
      noCheck: true,
    },
    {
      label: 'Ed25519, responder id by name',
      responder: 'ed25519' as const,
      options: { responderIdBy: 'name' as const },
      noCheck: false,
    },
  ])('accepted: $label', async ({ responder: name, options, noCheck }) => {
    const outcome = await withResponder({ signer: ca.responders[name], ...options }, (url) =>
      checkOverHttp(world, world.leaves.revoked, { url }),
    );
    expect(verdictOf(outcome)).toMatchObject({
      status: 'revoked',
      reason: 'ocsp-revoked',
      signedBy: 'delegated-responder',
      responderNoCheck: noCheck,
    });
  });

  it.each([
    {
      label: 'without the OCSPSigning EKU',
      signer: 'withoutOcspSigningEku' as const,
      include: true,
      expected: 'ocsp-signer-missing-eku',
    },
    {
      label: 'issued by the root, not by the issuing CA',
      signer: 'issuedByRoot' as const,
      include: true,
      expected: 'ocsp-signer-not-issued-by-ca',
    },
    { label: 'expired', signer: 'expired' as const, include: true, expected: 'ocsp-signer-outside-validity' },
    {
      label: 'certificate not included in the response',
      signer: 'rsa' as const,
      include: false,
      expected: 'ocsp-responder-id-mismatch',
    },
  ])('refused: $label → $expected', async ({ signer, include, expected }) => {
    const outcome = await withResponder({ signer: ca.responders[signer], includeSignerCertificate: include }, (url) =>
      checkOverHttp(world, world.leaves.good, { url }),
    );
    expect(verdictOf(outcome)).toMatchObject({ status: 'unknown', reason: expected });
  });
});

describe('HttpOcspClient limits', () => {
  it('a body over the size cap is cut off', async () => {
    const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient({ maxBytes: 64 }).query(responder.url, request.der);
    expect(result).toMatchObject({ kind: 'failed', reason: 'ocsp-response-too-large' });
  });

  it.each(['ldap://ldap.example/cn=ocsp', 'not a url', 'file:///etc/passwd'])('%s is not queried', async (url) => {
    const result = await new HttpOcspClient().query(url, new Uint8Array([0x30, 0x00]));
    expect(result).toMatchObject({ kind: 'failed', reason: 'ocsp-url-unsupported' });
  });
});
