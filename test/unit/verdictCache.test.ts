import { describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../shared/cert/validation/index.js';
import { VerdictCache } from '../../shared/trust/verdictCache.js';

const t0 = new Date('2026-11-22T12:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const summary = (notAfter: string) => ({
  subject: 'CN=x',
  issuer: 'CN=y',
  serialNumber: '01',
  sha256Thumbprint: '00',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter,
  subjectAltNames: [],
  policyOids: [],
});
const ok = (notAfter = '2027-01-01T00:00:00.000Z'): ValidationResult => ({
  ok: true,
  reason: 'certificate-valid',
  trace: [],
  path: [summary(notAfter)],
});
const failed: ValidationResult = { ok: false, reason: 'certificate-expired', trace: [] };

describe('VerdictCache', () => {
  it('keys on the leaf and the chain', () => {
    const leaf = new Uint8Array([1, 2, 3]);
    expect(VerdictCache.keyOf(leaf, [])).not.toBe(VerdictCache.keyOf(leaf, [new Uint8Array([4])]));
    expect(VerdictCache.keyOf(leaf, [new Uint8Array([4])])).toBe(
      VerdictCache.keyOf(new Uint8Array([1, 2, 3]), [new Uint8Array([4])]),
    );
  });

  it('keeps a success for its TTL, up to but not including the expiry instant', () => {
    const cache = new VerdictCache({ maxEntries: 10, successSeconds: 60, failureSeconds: 5 });
    cache.set('k', 's', t0, ok());
    expect(cache.get('k', 's', at(59_999))?.ok).toBe(true);
    expect(cache.get('k', 's', at(60_000))).toBeUndefined();
  });

  it('never keeps a success past the earliest notAfter on its path', () => {
    const cache = new VerdictCache({ maxEntries: 10, successSeconds: 60, failureSeconds: 5 });
    cache.set('k', 's', t0, ok(at(10_000).toISOString()));
    expect(cache.get('k', 's', at(9_999))?.ok).toBe(true);
    expect(cache.get('k', 's', at(10_000))).toBeUndefined();
  });

  it('keeps a failure only briefly', () => {
    const cache = new VerdictCache({ maxEntries: 10, successSeconds: 60, failureSeconds: 5 });
    cache.set('k', 's', t0, failed);
    expect(cache.get('k', 's', at(4_999))?.reason).toBe('certificate-expired');
    expect(cache.get('k', 's', at(5_000))).toBeUndefined();
  });

  it('forgets everything when the scope (CA version, CRL generation) changes', () => {
    const cache = new VerdictCache();
    cache.set('k', 'cas-v1|crl-1', t0, ok());
    expect(cache.get('k', 'cas-v1|crl-2', t0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new VerdictCache({ maxEntries: 2, successSeconds: 60, failureSeconds: 5 });
    cache.set('a', 's', t0, ok());
    cache.set('b', 's', t0, ok());
    expect(cache.get('a', 's', t0)).toBeDefined();
    cache.set('c', 's', t0, ok());
    expect(cache.get('b', 's', t0)).toBeUndefined();
    expect(cache.get('a', 's', t0)).toBeDefined();
    expect(cache.get('c', 's', t0)).toBeDefined();
  });
});
