/**
 * The verified-token cache: a token that verified is answered again without a signature check
 * only inside its validity window and the key-cache age; failures are never remembered.
 */
import { describe, expect, it } from 'vitest';
import { withVerifiedTokenCache } from '../../shared/adapters/jwksTokenVerifier.js';
import type { TokenResult } from '../../shared/identity/index.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (claims: object) => `Bearer ${segment({ alg: 'RS256' })}.${segment(claims)}.c2ln`;
const ok: TokenResult = {
  ok: true,
  principal: {
    objectId: '4cc642ed-2866-5548-af61-198b1ae17fc2',
    tenantId: 't',
    upn: 'alice@contoso.example',
    roles: [],
    kind: 'user',
  } as never,
};

function counting(results: TokenResult[]) {
  let calls = 0;
  const verify = (): Promise<TokenResult> => Promise.resolve(results[Math.min(calls++, results.length - 1)] ?? ok);
  return { verify, calls: () => calls };
}

describe('withVerifiedTokenCache', () => {
  const token = bearer({ nbf: T0 / 1000 - 60, exp: T0 / 1000 + 3600 });

  it('checks a token once while it is valid and the keys are fresh', async () => {
    const inner = counting([ok]);
    const cached = withVerifiedTokenCache(inner.verify, 0, 600_000);
    for (let i = 0; i < 5; i++) expect(await cached.verify(token, new Date(T0 + i * 1000))).toBe(ok);
    expect(inner.calls()).toBe(1);
  });

  it('checks again past exp (plus tolerance), before nbf, and after the key-cache age', async () => {
    const expired: TokenResult = { ok: false, reason: 'token-expired', detail: 'exp' };
    for (const [at, tolerance] of [
      [T0 + 3600_000 + 1, 0],
      [T0 + 3600_000 + 30_001, 30],
      [T0 - 60_000 - 1, 0],
      [T0 + 600_000, 0],
    ] as const) {
      const inner = counting([ok, expired]);
      const cached = withVerifiedTokenCache(inner.verify, tolerance, 600_000);
      await cached.verify(token, new Date(T0));
      await cached.verify(token, new Date(at));
      expect(inner.calls(), `at ${at - T0} ms, tolerance ${tolerance} s`).toBe(2);
    }
  });

  it('stays inside the tolerance window', async () => {
    const inner = counting([ok]);
    const cached = withVerifiedTokenCache(inner.verify, 30, 7200_000);
    await cached.verify(token, new Date(T0));
    await cached.verify(token, new Date(T0 + 3600_000 + 29_000));
    expect(inner.calls()).toBe(1);
  });

  it('never remembers a failure, a missing header or a token without exp', async () => {
    const denied: TokenResult = { ok: false, reason: 'token-signature-invalid', detail: 'x' };
    const failing = counting([denied]);
    const cached = withVerifiedTokenCache(failing.verify, 0, 600_000);
    await cached.verify(token, new Date(T0));
    await cached.verify(token, new Date(T0));
    await cached.verify(null, new Date(T0));
    await cached.verify(null, new Date(T0));
    expect(failing.calls()).toBe(4);
    const noExp = counting([ok]);
    const withoutExp = withVerifiedTokenCache(noExp.verify, 0, 600_000);
    await withoutExp.verify(bearer({ sub: 'x' }), new Date(T0));
    await withoutExp.verify(bearer({ sub: 'x' }), new Date(T0));
    expect(noExp.calls()).toBe(2);
  });
});
