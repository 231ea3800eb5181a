/**
 * OCSP on the validation path: the validator finds nothing in the CRLs, the OCSP cache asks the
 * loopback responder (real HTTP, real signed responses) once, and the second validation uses
 * the answer. Responder down → the status stays unknown and `required` blocks.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OcspResponder } from '../../dev/ocsp/responder.js';
import { HttpOcspClient } from '../../shared/adapters/httpOcspClient.js';
import { createTrustStore, validateCertificatePath, type TrustStore } from '../../shared/cert/validation/index.js';
import { OcspCache } from '../../shared/trust/ocspCache.js';
import { createOcspWorld, createTestCa, NOW, startTestResponder, type OcspWorld } from '../cert/ocsp/ocspFixtures.js';

let responder: OcspResponder;
let world: OcspWorld;
let trust: TrustStore;

beforeAll(async () => {
  const ca = await createTestCa();
  responder = await startTestResponder(ca);
  world = await createOcspWorld(ca, responder.url);
  trust = createTrustStore([ca.root.certDer, ca.intermediate.certDer]);
}, 60_000);

afterAll(async () => {
  await responder.close();
});

function validate(cache: OcspCache, leaf: Uint8Array) {
  return validateCertificatePath({
    leaf,
    trustStore: trust,
    time: NOW,
    requiredEkus: [],
    revocation: 'required',
    revocationStatusFor: (certificate, issuer) => cache.lookup(certificate.der, issuer.der, NOW),
  });
}

describe('OCSP answers on the validation path', () => {
  it.each([
    { leaf: 'good' as const, expected: { ok: true, reason: 'certificate-valid' } },
    { leaf: 'revoked' as const, expected: { ok: false, reason: 'certificate-revoked' } },
    { leaf: 'unknown' as const, expected: { ok: false, reason: 'certificate-revocation-unknown' } },
  ])('$leaf: unknown before asking, $expected.reason after', async ({ leaf, expected }) => {
    const cache = new OcspCache(new HttpOcspClient({ timeoutMs: 2_000 }));
    const der = world.leaves[leaf].certDer;
    expect(validate(cache, der).reason).toBe('certificate-revocation-unknown');
    await cache.prefetch(der, world.ca.intermediate.certDer, NOW);
    expect(validate(cache, der)).toMatchObject(expected);
  });

  it('asks once for a burst of identical questions, then answers from memory', async () => {
    const cache = new OcspCache(new HttpOcspClient({ timeoutMs: 2_000 }));
    const before = responder.requestCount;
    const der = world.leaves.good.certDer;
    await Promise.all(Array.from({ length: 5 }, () => cache.prefetch(der, world.ca.intermediate.certDer, NOW)));
    await cache.prefetch(der, world.ca.intermediate.certDer, NOW);
    expect(responder.requestCount - before).toBe(1);
  });

  it('responder down: the status stays unknown, so required blocks (fail closed)', async () => {
    const cache = new OcspCache(new HttpOcspClient({ timeoutMs: 2_000 }));
    responder.setMode('down');
    try {
      await cache.prefetch(world.leaves.good.certDer, world.ca.intermediate.certDer, NOW);
      expect(validate(cache, world.leaves.good.certDer).reason).toBe('certificate-revocation-unknown');
    } finally {
      responder.setMode('normal');
    }
  });

  it('a stale or forged answer is not used', async () => {
    for (const mode of ['stale', 'bad-signature'] as const) {
      const cache = new OcspCache(new HttpOcspClient({ timeoutMs: 2_000 }));
      responder.setMode(mode);
      try {
        await cache.prefetch(world.leaves.revoked.certDer, world.ca.intermediate.certDer, NOW);
        expect(validate(cache, world.leaves.revoked.certDer).reason, mode).toBe('certificate-revocation-unknown');
      } finally {
        responder.setMode('normal');
      }
    }
  });
});
