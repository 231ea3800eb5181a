import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url, decodeJwt } from 'jose';
import {
  createTokenVerifier,
  TokenVerifierConfigError,
  type TokenVerifier,
} from '../../shared/adapters/jwksTokenVerifier.js';
import { TOKEN_REASONS, requireRole, type Principal, type TokenReason } from '../../shared/identity/index.js';
import {
  DEV_TOKEN_AUDIENCE,
  generateDevSigningKey,
  mintDevToken,
  startDevTokenIssuer,
  type DevTokenIssuer,
} from '../../dev/tokens/index.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const T0 = new Date('2030-03-01T12:00:00Z');
const LIFETIME = 3600;
const TOLERANCE = 60;
const ALICE = {
  oid: 'a11ce000-0000-4000-8000-000000000001',
  upn: 'alice@contoso.example',
  name: 'Alice',
  audience: DEV_TOKEN_AUDIENCE,
};

let issuer: DevTokenIssuer;
let verifier: TokenVerifier;

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function bearer(token: string): string {
  return `Bearer ${token}`;
}

function verifierFor(jwksUri: string, extra: Partial<Parameters<typeof createTokenVerifier>[0]> = {}): TokenVerifier {
  return createTokenVerifier({
    issuer: issuer.issuer,
    audience: [DEV_TOKEN_AUDIENCE, 'c0ffee00-0000-4000-8000-0000000000aa'],
    jwksUri,
    clockToleranceSeconds: TOLERANCE,
    ...extra,
  });
}

function reasonOf(result: Awaited<ReturnType<TokenVerifier['verify']>>): TokenReason | 'ok' {
  return result.ok ? 'ok' : result.reason;
}

beforeAll(async () => {
  issuer = await startDevTokenIssuer({ host: '127.0.0.1', port: 0, tenantId: TENANT });
  verifier = verifierFor(issuer.jwksUri);
});

afterAll(async () => {
  await issuer.close();
});

describe('dev token issuer', () => {
  it('serves OpenID discovery and a JWKS on loopback', async () => {
    const discovery = (await (await fetch(`${issuer.url}/${TENANT}/v2.0/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(issuer.issuer);
    expect(discovery.jwks_uri).toBe(issuer.jwksUri);
    const rootDiscovery = (await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    expect(rootDiscovery.issuer).toBe(issuer.issuer);
    const jwks = (await (await fetch(`${issuer.url}/discovery/v2.0/keys`)).json()) as {
      keys: { kid: string; kty: string; d?: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: issuer.signingKey.kid, kty: 'RSA' });
    expect(jwks.keys[0]?.d).toBeUndefined();
    expect((await fetch(`${issuer.url}/nothing`)).status).toBe(404);
  });

  it('mints tokens shaped like Entra v2 access tokens', async () => {
    const token = await issuer.mint({ ...ALICE, roles: ['Certgate.Reader'], groups: ['g1'], issuedAt: T0 });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: issuer.issuer,
      aud: DEV_TOKEN_AUDIENCE,
      tid: TENANT,
      oid: ALICE.oid,
      upn: ALICE.upn,
      preferred_username: ALICE.upn,
      roles: ['Certgate.Reader'],
      groups: ['g1'],
      ver: '2.0',
      iat: T0.getTime() / 1000,
      nbf: T0.getTime() / 1000,
      exp: T0.getTime() / 1000 + LIFETIME,
    });
    expect(issuer.issuer).toBe(`${issuer.url}/${TENANT}/v2.0`);
  });
});

describe('createTokenVerifier against the dev issuer over HTTP', () => {
  interface TimeCase {
    readonly label: string;
    readonly now: Date;
    readonly expected: TokenReason | 'ok';
  }
  const expiry = LIFETIME;
  const timeCases: TimeCase[] = [
    { label: 'valid, just issued', now: at(10), expected: 'ok' },
    {
      label: 'exp passed but within tolerance (exp + tolerance - 1 s)',
      now: at(expiry + TOLERANCE - 1),
      expected: 'ok',
    },
    {
      label: 'fraction of a second before the boundary still counts as the previous second',
      now: new Date(at(expiry + TOLERANCE).getTime() - 1),
      expected: 'ok',
    },
    { label: 'exactly exp + tolerance', now: at(expiry + TOLERANCE), expected: 'token-expired' },
    { label: 'long expired', now: at(expiry + 86_400), expected: 'token-expired' },
    { label: 'nbf in the future within tolerance (nbf - tolerance)', now: at(-TOLERANCE), expected: 'ok' },
    { label: 'nbf beyond tolerance (nbf - tolerance - 1 s)', now: at(-TOLERANCE - 1), expected: 'token-not-yet-valid' },
  ];
  it.each(timeCases)('$label → $expected', async ({ now, expected }) => {
    const token = await issuer.mint({ ...ALICE, issuedAt: T0, expiresInSeconds: LIFETIME });
    expect(reasonOf(await verifier.verify(bearer(token), now))).toBe(expected);
  });

  it('returns the principal of a valid user token', async () => {
    const token = await issuer.mint({
      ...ALICE,
      roles: ['Certgate.Admin'],
      groups: ['group-a', 'group-b'],
      issuedAt: T0,
    });
    const result = await verifier.verify(bearer(token), at(1));
    expect(result).toEqual({
      ok: true,
      principal: {
        objectId: ALICE.oid,
        tenantId: TENANT,
        upn: ALICE.upn,
        name: 'Alice',
        roles: ['Certgate.Admin'],
        groups: ['group-a', 'group-b'],
        appId: expect.any(String),
        kind: 'user',
      },
    });
  });

  it('tells application tokens from user tokens', async () => {
    const token = await issuer.mint({
      oid: 'app-oid',
      audience: DEV_TOKEN_AUDIENCE,
      kind: 'app',
      roles: ['Certgate.Reader'],
      appId: 'automation-client',
      issuedAt: T0,
    });
    const result = await verifier.verify(bearer(token), at(1));
    expect(result.ok && result.principal).toMatchObject({
      kind: 'app',
      appId: 'automation-client',
      roles: ['Certgate.Reader'],
    });
    expect(result.ok && result.principal.upn).toBeUndefined();
  });

  it('accepts any configured audience (client id or App ID URI)', async () => {
    const token = await issuer.mint({ ...ALICE, audience: 'c0ffee00-0000-4000-8000-0000000000aa', issuedAt: T0 });
    expect(reasonOf(await verifier.verify(bearer(token), at(1)))).toBe('ok');
  });

  interface ForgedCase {
    readonly label: string;
    readonly token: () => Promise<string>;
    readonly expected: TokenReason;
  }
  const forged: ForgedCase[] = [
    {
      label: 'wrong audience',
      token: () => issuer.mint({ ...ALICE, audience: 'api://someone-else', issuedAt: T0 }),
      expected: 'token-audience-invalid',
    },
    {
      label: 'wrong issuer (same key, other tenant)',
      token: () =>
        mintDevToken(
          issuer.signingKey,
          'https://login.microsoftonline.com/99999999-9999-4999-8999-999999999999/v2.0',
          TENANT,
          { ...ALICE, issuedAt: T0 },
        ),
      expected: 'token-issuer-invalid',
    },
    {
      label: 'tampered payload (role added after signing)',
      token: async () => {
        const [header, payload, signature] = (
          await issuer.mint({ ...ALICE, roles: ['Certgate.Reader'], issuedAt: T0 })
        ).split('.');
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
        claims.roles = ['Certgate.Admin'];
        return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
      },
      expected: 'token-signature-invalid',
    },
    {
      label: 'tampered signature (one byte flipped)',
      token: async () => {
        const [header, payload, signature] = (await issuer.mint({ ...ALICE, issuedAt: T0 })).split('.');
        const bytes = base64url.decode(signature!);
        bytes[10] = (bytes[10] ?? 0) ^ 0x01;
        return `${header}.${payload}.${base64url.encode(bytes)}`;
      },
      expected: 'token-signature-invalid',
    },
    {
      label: 'alg none (unsigned)',
      token: async () => {
        const [, payload] = (await issuer.mint({ ...ALICE, issuedAt: T0 })).split('.');
        return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', kid: issuer.signingKey.kid }))}.${payload}.`;
      },
      expected: 'token-algorithm-not-allowed',
    },
    {
      label: 'HS256 with the published public key as the HMAC secret',
      token: async () => {
        const jwksText = await (await fetch(issuer.jwksUri)).text();
        const claims = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: issuer.signingKey.kid })
          .sign(new TextEncoder().encode(jwksText));
      },
      expected: 'token-algorithm-not-allowed',
    },
    {
      label: 'RS512 (not what Entra signs with)',
      token: async () => {
        const claims = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS512', kid: issuer.signingKey.kid })
          .sign(issuer.signingKey.privateKey);
      },
      expected: 'token-algorithm-not-allowed',
    },
    {
      label: 'unknown kid (a key the issuer does not publish)',
      token: async () =>
        mintDevToken({ ...(await generateDevSigningKey()), kid: 'not-published' }, issuer.issuer, TENANT, {
          ...ALICE,
          issuedAt: T0,
        }),
      expected: 'token-signature-invalid',
    },
    {
      label: 'published kid, but signed by another key',
      token: async () =>
        mintDevToken({ ...(await generateDevSigningKey()), kid: issuer.signingKey.kid }, issuer.issuer, TENANT, {
          ...ALICE,
          issuedAt: T0,
        }),
      expected: 'token-signature-invalid',
    },
    {
      label: 'no oid claim',
      token: async () => {
        const { oid: _oid, ...claims } = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: issuer.signingKey.kid })
          .sign(issuer.signingKey.privateKey);
      },
      expected: 'token-malformed',
    },
    {
      label: 'no exp claim',
      token: async () => {
        const { exp: _exp, ...claims } = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: issuer.signingKey.kid })
          .sign(issuer.signingKey.privateKey);
      },
      expected: 'token-malformed',
    },
    {
      label: 'roles claim not a list of strings',
      token: async () => {
        const claims = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
        return new SignJWT({ ...claims, roles: [1, 2] })
          .setProtectedHeader({ alg: 'RS256', kid: issuer.signingKey.kid })
          .sign(issuer.signingKey.privateKey);
      },
      expected: 'token-malformed',
    },
  ];
  it.each(forged)('$label → $expected', async ({ token, expected }) => {
    expect(reasonOf(await verifier.verify(bearer(await token()), at(1)))).toBe(expected);
  });

  const headers: { label: string; header: string | null; expected: TokenReason }[] = [
    { label: 'no header', header: null, expected: 'token-missing' },
    { label: 'empty header', header: '   ', expected: 'token-missing' },
    { label: 'Basic scheme', header: 'Basic YWxpY2U6cGFzc3dvcmQ=', expected: 'token-malformed' },
    { label: 'Bearer without a token', header: 'Bearer', expected: 'token-malformed' },
    { label: 'not three segments', header: 'Bearer abc.def', expected: 'token-malformed' },
    { label: 'non-base64url characters', header: 'Bearer a$c.def.ghi', expected: 'token-malformed' },
    {
      label: 'header segment not JSON',
      header: `Bearer ${base64url.encode('not json')}.e30.sig`,
      expected: 'token-malformed',
    },
    { label: 'oversized', header: `Bearer ${'a'.repeat(20_000)}.b.c`, expected: 'token-malformed' },
  ];
  it.each(headers)('Authorization: $label → $expected', async ({ header, expected }) => {
    expect(reasonOf(await verifier.verify(header, at(1)))).toBe(expected);
  });

  it('accepts the scheme in any case', async () => {
    const token = await issuer.mint({ ...ALICE, issuedAt: T0 });
    expect(reasonOf(await verifier.verify(`bearer ${token}`, at(1)))).toBe('ok');
  });

  it('uses every reason code it declares', () => {
    const produced = new Set<string>([
      ...timeCases.map((c) => c.expected),
      ...forged.map((c) => c.expected),
      ...headers.map((c) => c.expected),
      'token-keys-unavailable',
    ]);
    expect(Object.keys(TOKEN_REASONS).filter((code) => !produced.has(code))).toEqual([]);
  });
});

describe('JWKS availability', () => {
  it('answers token-keys-unavailable when the JWKS endpoint is down', async () => {
    const doomed = await startDevTokenIssuer({
      tenantId: TENANT,
      signingKey: issuer.signingKey,
      issuer: issuer.issuer,
    });
    const jwksUri = doomed.jwksUri;
    await doomed.close();
    const offline = verifierFor(jwksUri, { timeoutMs: 2000 });
    const token = await issuer.mint({ ...ALICE, issuedAt: T0 });
    expect(reasonOf(await offline.verify(bearer(token), at(1)))).toBe('token-keys-unavailable');
  });

  const broken: { label: string; respond: () => Response }[] = [
    { label: 'HTTP 500', respond: () => new Response('oops', { status: 500 }) },
    { label: 'not JSON', respond: () => new Response('<html>', { status: 200 }) },
    { label: 'not a key set', respond: () => Response.json({ keys: 'none' }) },
    {
      label: 'redirect',
      respond: () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/keys' } }),
    },
  ];
  it.each(broken)('answers token-keys-unavailable when the JWKS response is $label', async ({ respond }) => {
    const faulty = verifierFor(issuer.jwksUri, { fetchJwks: () => Promise.resolve(respond()) });
    const token = await issuer.mint({ ...ALICE, issuedAt: T0 });
    expect(reasonOf(await faulty.verify(bearer(token), at(1)))).toBe('token-keys-unavailable');
  });

  it('keeps verifying with cached keys while the issuer is briefly down', async () => {
    const flaky = await startDevTokenIssuer({ tenantId: TENANT, signingKey: issuer.signingKey, issuer: issuer.issuer });
    const cached = verifierFor(flaky.jwksUri);
    const token = await issuer.mint({ ...ALICE, issuedAt: T0 });
    expect(reasonOf(await cached.verify(bearer(token), at(1)))).toBe('ok');
    await flaky.close();
    expect(reasonOf(await cached.verify(bearer(token), at(2)))).toBe('ok');
  });

  it('does not refetch the JWKS for every unknown kid (cooldown)', async () => {
    let fetches = 0;
    const counting = verifierFor(issuer.jwksUri, {
      fetchJwks: (url, init) => {
        fetches += 1;
        return fetch(url, init);
      },
    });
    const stranger = { ...(await generateDevSigningKey()), kid: 'rotated-away' };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const token = await mintDevToken(stranger, issuer.issuer, TENANT, { ...ALICE, issuedAt: T0 });
      expect(reasonOf(await counting.verify(bearer(token), at(1)))).toBe('token-signature-invalid');
    }
    expect(fetches).toBe(1);
  });

  it('refuses unusable configuration at start-up, naming the option', () => {
    const base = { issuer: issuer.issuer, audience: [DEV_TOKEN_AUDIENCE], jwksUri: issuer.jwksUri };
    const cases: [Parameters<typeof createTokenVerifier>[0], string][] = [
      [{ ...base, jwksUri: 'http://login.example/keys' }, 'jwksUri'],
      [{ ...base, jwksUri: 'not a url' }, 'jwksUri'],
      [{ ...base, audience: [] }, 'audience'],
      [{ ...base, issuer: 'tenant' }, 'issuer'],
      [{ ...base, clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    ];
    for (const [options, option] of cases) {
      let thrown: unknown;
      try {
        createTokenVerifier(options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TokenVerifierConfigError);
      expect((thrown as TokenVerifierConfigError).option).toBe(option);
    }
  });
});

describe('requireRole', () => {
  const principal = (roles: string[]): Principal => ({ objectId: 'o', tenantId: 't', roles, kind: 'user' });
  const cases: { label: string; roles: string[]; role: 'admin' | 'reader'; expected: 'ok' | 'role-missing' }[] = [
    { label: 'admin role grants admin', roles: ['Certgate.Admin'], role: 'admin', expected: 'ok' },
    { label: 'admin role grants reader', roles: ['Certgate.Admin'], role: 'reader', expected: 'ok' },
    { label: 'reader role grants reader', roles: ['Certgate.Reader'], role: 'reader', expected: 'ok' },
    { label: 'reader role does not grant admin', roles: ['Certgate.Reader'], role: 'admin', expected: 'role-missing' },
    { label: 'no roles', roles: [], role: 'reader', expected: 'role-missing' },
    { label: 'role values are exact (case)', roles: ['certgate.admin'], role: 'admin', expected: 'role-missing' },
    { label: 'other app roles do not count', roles: ['Other.Admin'], role: 'reader', expected: 'role-missing' },
  ];
  it.each(cases)('$label', ({ roles, role, expected }) => {
    const result = requireRole(principal(roles), role);
    expect(result.ok ? 'ok' : result.reason).toBe(expected);
  });

  it('reads roles from a verified token end to end', async () => {
    const token = await issuer.mint({ ...ALICE, roles: ['Certgate.Reader'], issuedAt: T0 });
    const result = await verifier.verify(bearer(token), at(1));
    if (!result.ok) throw new Error(result.reason);
    expect(requireRole(result.principal, 'reader').ok).toBe(true);
    expect(requireRole(result.principal, 'admin')).toMatchObject({ ok: false, reason: 'role-missing' });
  });
});

describe('RS256 keys of other shapes', () => {
  it('refuses a token whose kid names the published key but whose signature is from an unrelated RSA key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = decodeJwt(await issuer.mint({ ...ALICE, issuedAt: T0 }));
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: issuer.signingKey.kid })
      .sign(privateKey);
    expect(reasonOf(await verifier.verify(bearer(token), at(1)))).toBe('token-signature-invalid');
  });
});
