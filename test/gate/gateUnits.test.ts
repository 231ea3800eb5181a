/**
 * The gate's pure parts, table-driven: URL and cookie rewriting (only the upstream's own
 * addresses, only where the hosts differ), the header policy (owned headers of every gateway
 * format, configured overrides, hop-by-hop), the signing key settings and the signer (kid,
 * rotation), and the local host's detection of `app.setup({ enableHttpStream: true })`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateGateSigningKeyPem } from '../../dev/gate/signingKey.js';
import { loadConfig } from '../../shared/config.js';
import { createAssertionSigner } from '../../shared/gate/assertionSigner.js';
import { clientResponseHeaders, headerPolicyFor, upstreamRequestHeaders } from '../../shared/gate/headerPolicy.js';
import { rewriteLocation, rewriteSetCookie, upstreamPathFor, type GateSides } from '../../shared/gate/urlRewrite.js';

const sides: GateSides = {
  upstream: new URL('https://files-backend.internal.contoso.net:8443/app'),
  publicOrigin: new URL('https://files.contoso.com'),
};
const sameHost: GateSides = {
  upstream: new URL('https://files.contoso.com:8443'),
  publicOrigin: new URL('https://files.contoso.com'),
};

describe('upstream URL', () => {
  it.each([
    ['/x?y=1', 'https://files-backend.internal.contoso.net:8443/app/x?y=1'],
    ['/a%2Fb/c%20d?q=%2F&q=2', 'https://files-backend.internal.contoso.net:8443/app/a%2Fb/c%20d?q=%2F&q=2'],
    ['/', 'https://files-backend.internal.contoso.net:8443/app/'],
  ])('%s keeps its bytes under the base path', (path, expected) => {
    expect(`${sides.upstream.origin}${upstreamPathFor(sides.upstream, path)}`).toBe(expected);
  });
});

describe('Location rewrite', () => {
  it.each([
    {
      label: "the upstream's absolute URL moves to the public origin",
      location: 'https://files-backend.internal.contoso.net:8443/app/landing?x=1#top',
      expected: 'https://files.contoso.com/landing?x=1#top',
    },
    { label: 'an absolute path under the base path loses it', location: '/app/landing', expected: '/landing' },
    { label: 'the base path itself becomes the root', location: '/app', expected: '/' },
    { label: 'an absolute path elsewhere is unchanged', location: '/other', expected: '/other' },
    { label: 'a base path is a path segment, not a string prefix', location: '/application', expected: '/application' },
    {
      label: 'a third party is unchanged',
      location: 'https://login.microsoftonline.com/x',
      expected: 'https://login.microsoftonline.com/x',
    },
    {
      label: 'another port of the upstream host is another origin',
      location: 'https://files-backend.internal.contoso.net/app/x',
      expected: 'https://files-backend.internal.contoso.net/app/x',
    },
    { label: 'a scheme-relative URL is unchanged', location: '//evil.example/x', expected: '//evil.example/x' },
    { label: 'garbage passes unchanged', location: 'http://[bad', expected: 'http://[bad' },
  ])('$label', ({ location, expected }) => {
    expect(rewriteLocation(location, sides)).toBe(expected);
  });

  it('nothing is rewritten when the upstream is the public host', () => {
    expect(rewriteLocation('https://files.contoso.com:8443/x', sameHost)).toBe('https://files.contoso.com:8443/x');
  });
});

describe('Set-Cookie Domain rewrite', () => {
  it.each([
    {
      label: "the upstream's host",
      cookie: 'a=1; Domain=files-backend.internal.contoso.net; Path=/',
      expected: 'a=1; Domain=files.contoso.com; Path=/',
    },
    {
      label: 'a parent of the upstream only, leading dot, any case',
      cookie: 'a=1; path=/; DOMAIN=.Internal.Contoso.Net',
      expected: 'a=1; path=/; DOMAIN=files.contoso.com',
    },
    { label: 'a parent of both hosts is kept', cookie: 'a=1; Domain=contoso.com', expected: 'a=1; Domain=contoso.com' },
    { label: 'a third party is kept', cookie: 'a=1; Domain=example.org', expected: 'a=1; Domain=example.org' },
    { label: 'a host-only cookie is kept', cookie: 'a=b=c; Path=/; HttpOnly', expected: 'a=b=c; Path=/; HttpOnly' },
    {
      label: "a value that looks like an attribute is the value's",
      cookie: 'domain=files-backend.internal.contoso.net',
      expected: 'domain=files-backend.internal.contoso.net',
    },
  ])('$label', ({ cookie, expected }) => {
    expect(rewriteSetCookie(cookie, sides)).toBe(expected);
  });

  it('nothing is rewritten when the upstream is the public host', () => {
    expect(rewriteSetCookie('a=1; Domain=files.contoso.com', sameHost)).toBe('a=1; Domain=files.contoso.com');
  });
});

const SECRET = 'unit-gateway-secret-0123456789';
const config = loadConfig({
  CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  CERTGATE_GATEWAY_SECRETS: SECRET,
  CERTGATE_GATEWAY_SECRET_HEADER: 'X-Edge-Proof',
  CERTGATE_GATEWAY_HEADERS: '{"certificate":"X-Custom-Cert"}',
});

describe('header policy', () => {
  const policy = headerPolicyFor(config);
  it.each([
    'x-edge-proof',
    'x-certgate-gateway-secret',
    'x-custom-cert',
    'x-client-certificate',
    'x-client-certificate-verification',
    'x-azure-clientcertificate',
    'x-azure-fdid',
    'x-arr-clientcert',
    'x-forwarded-client-cert',
    'x-forwarded-tls-client-cert',
    'x-ssl-client-cert',
    'x-amzn-mtls-clientcert-leaf',
    'cf-client-cert-der-base64',
    'client-cert',
    'client-cert-chain',
    'x-forwarded-for',
    'forwarded',
    'x-original-url',
    'x-real-ip',
    'x-certgate-user',
    'x-certgate-app',
    'x-ms-client-principal',
    'x-ms-client-principal-name',
    'x-ms-token-aad-access-token',
    'x-functions-key',
    'disguised-host',
  ])('%s is owned (never crosses the gate)', (name) => {
    expect(policy.isOwned(name)).toBe(true);
  });

  it.each(['authorization', 'cookie', 'accept', 'content-type', 'x-requested-with', 'x-correlation-id'])(
    '%s is the app’s',
    (name) => {
      expect(policy.isOwned(name)).toBe(false);
    },
  );

  it('towards the upstream: hop-by-hop and Connection-listed dropped, Host and Expect left to the client, identity added last', () => {
    const incoming = new Headers({
      host: 'files.contoso.com',
      connection: 'keep-alive, X-Hop',
      'x-hop': '1',
      te: 'trailers',
      expect: '100-continue',
      'x-certgate-user': 'mallory',
      accept: 'text/html',
    });
    expect(upstreamRequestHeaders(incoming, policy, { 'x-certgate-user': 'alice@contoso.com' })).toEqual({
      accept: 'text/html',
      'x-certgate-user': 'alice@contoso.com',
    });
  });

  it('towards the client: repeated headers kept apart, owned and hop-by-hop dropped', () => {
    expect(
      clientResponseHeaders(
        [
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
          'Connection',
          'x-hop',
          'X-Hop',
          '1',
          'X-Certgate-User',
          'm',
          'ETag',
          '"1"',
        ],
        policy,
      ),
    ).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['etag', '"1"'],
    ]);
  });
});

describe('signing key settings', () => {
  const base = { CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', CERTGATE_GATEWAY_SECRETS: SECRET };
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  it.each([
    { label: 'not PEM', value: 'secret', message: /PKCS#8 PEM/ },
    { label: 'an RSA key', value: String(rsa), message: /P-256/ },
    { label: 'a P-384 key', value: String(p384), message: /P-256/ },
    {
      label: 'garbled PEM',
      value: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      message: /readable/,
    },
  ])('$label is refused, naming the setting', ({ value, message }) => {
    expect(() => loadConfig({ ...base, CERTGATE_GATE_SIGNING_KEY: value })).toThrow(/CERTGATE_GATE_SIGNING_KEY/);
    expect(() => loadConfig({ ...base, CERTGATE_GATE_SIGNING_KEY: value })).toThrow(message);
  });

  it('a P-256 PKCS#8 key is taken, with literal \\n escapes as an app setting may hold it', () => {
    const pem = generateGateSigningKeyPem();
    const escaped = pem.trim().replace(/\n/g, '\\n');
    expect(loadConfig({ ...base, CERTGATE_GATE_SIGNING_KEY: escaped }).gate.signingKeyPem).toBe(pem.trim());
  });

  it('a previous key needs a current one', () => {
    expect(() => loadConfig({ ...base, CERTGATE_GATE_PREVIOUS_SIGNING_KEY: generateGateSigningKeyPem() })).toThrow(
      /CERTGATE_GATE_SIGNING_KEY/,
    );
  });
});

describe('assertion signer', () => {
  const claims = { appId: 'contoso-files', subject: 'alice@contoso.com', deviceTags: ['compliant'], decisionId: 'd-1' };
  const now = new Date('2026-12-03T12:00:00Z');

  it('publishes the current key first and the previous one; tokens of both verify during a rotation', async () => {
    const oldPem = generateGateSigningKeyPem();
    const newPem = generateGateSigningKeyPem();
    const before = await createAssertionSigner({ signingKeyPem: oldPem, issuer: 'certgate', lifetimeSeconds: 60 });
    const during = await createAssertionSigner({
      signingKeyPem: newPem,
      previousSigningKeyPem: oldPem,
      issuer: 'certgate',
      lifetimeSeconds: 60,
    });
    expect(during.jwks.keys.map((key) => key.kid)).toEqual([during.kid, before.kid]);
    expect(during.jwks.keys.every((key) => key.d === undefined && key.alg === 'ES256' && key.use === 'sig')).toBe(true);
    const keys = createLocalJWKSet({ keys: [...during.jwks.keys] });
    for (const token of [await before.sign(claims, now), await during.sign(claims, now)]) {
      const { payload } = await jwtVerify(token, keys, {
        currentDate: now,
        issuer: 'certgate',
        audience: 'contoso-files',
      });
      expect(payload).toMatchObject({ sub: 'alice@contoso.com', device_tags: ['compliant'], decision_id: 'd-1' });
    }
    // After the rotation the old key is gone: its tokens no longer verify.
    const after = await createAssertionSigner({ signingKeyPem: newPem, issuer: 'certgate', lifetimeSeconds: 60 });
    await expect(
      jwtVerify(await before.sign(claims, now), createLocalJWKSet({ keys: [...after.jwks.keys] }), {
        currentDate: now,
      }),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('the lifetime is the setting’s: valid at its last second, expired after it', async () => {
    const signer = await createAssertionSigner({
      signingKeyPem: generateGateSigningKeyPem(),
      issuer: 'i',
      lifetimeSeconds: 30,
    });
    const keys = createLocalJWKSet({ keys: [...signer.jwks.keys] });
    const token = await signer.sign(claims, now);
    await expect(jwtVerify(token, keys, { currentDate: new Date(now.getTime() + 29_000) })).resolves.toBeDefined();
    await expect(jwtVerify(token, keys, { currentDate: new Date(now.getTime() + 30_000) })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
  });
  describe('reuse of an assertion (one per user, device and app for half its lifetime)', () => {
    const base = {
      appId: 'contoso-files',
      subject: 'alice@contoso.com',
      upn: 'alice@contoso.com',
      thumbprint: 'aa'.repeat(32),
      deviceTags: ['valid-client-certificate'],
      decisionId: 'd-1',
    };
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    const signerOf = (cachedAssertions?: number) =>
      createAssertionSigner({
        signingKeyPem: generateGateSigningKeyPem(),
        issuer: 'certgate',
        lifetimeSeconds: 60,
        ...(cachedAssertions !== undefined ? { cachedAssertions } : {}),
      });

    it('the same claims within half the lifetime get the same assertion, naming the decision that issued it', async () => {
      const signer = await signerOf();
      const first = await signer.sign(base, now);
      expect(await signer.sign({ ...base, decisionId: 'd-2' }, at(29.999))).toBe(first);
      const keys = createLocalJWKSet({ keys: [...signer.jwks.keys] });
      const { payload } = await jwtVerify(first, keys, { currentDate: at(29.999), audience: 'contoso-files' });
      expect(payload.decision_id).toBe('d-1');
      expect((payload.exp ?? 0) * 1000 - at(29.999).getTime()).toBeGreaterThan(30_000);
    });

    it.each([
      { label: 'another app (audience)', change: { appId: 'payroll' } },
      { label: 'another user', change: { subject: 'bob@contoso.com', upn: 'bob@contoso.com' } },
      { label: 'the same subject without a UPN', change: { upn: undefined } },
      { label: 'another device certificate', change: { thumbprint: 'bb'.repeat(32) } },
      { label: 'no device certificate', change: { thumbprint: undefined } },
      { label: 'other device tags', change: { deviceTags: ['valid-client-certificate', 'compliant'] } },
      { label: 'fewer device tags', change: { deviceTags: [] } },
    ])('$label never gets the cached assertion: its own, with its own claims', async ({ change }) => {
      const signer = await signerOf();
      const cached = await signer.sign(base, now);
      const claims = { ...base, ...change, decisionId: 'd-2' };
      const other = await signer.sign(claims, at(1));
      expect(other).not.toBe(cached);
      const keys = createLocalJWKSet({ keys: [...signer.jwks.keys] });
      const { payload } = await jwtVerify(other, keys, { currentDate: at(1) });
      expect(payload).toMatchObject({
        aud: claims.appId,
        sub: claims.subject,
        device_tags: claims.deviceTags,
        decision_id: 'd-2',
      });
      expect(payload.upn).toBe(claims.upn);
      expect(payload.device_thumbprint).toBe(claims.thumbprint);
      // And the first one is still the cached one for its own claims.
      expect(await signer.sign(base, at(2))).toBe(cached);
    });

    it('from half its lifetime on (and when the clock is set back before it was minted) a new one is minted', async () => {
      const signer = await signerOf();
      const first = await signer.sign(base, now);
      const later = await signer.sign({ ...base, decisionId: 'd-2' }, at(30));
      expect(later).not.toBe(first);
      const keys = createLocalJWKSet({ keys: [...signer.jwks.keys] });
      expect((await jwtVerify(later, keys, { currentDate: at(30) })).payload).toMatchObject({
        iat: Math.floor(at(30).getTime() / 1000),
        decision_id: 'd-2',
      });
      expect(await signer.sign(base, at(59))).toBe(later);
      const earlier = await signer.sign(base, at(29));
      expect(earlier).not.toBe(later);
      expect((await jwtVerify(earlier, keys, { currentDate: at(29) })).payload.iat).toBe(
        Math.floor(at(29).getTime() / 1000),
      );
    });

    it('the cache is bounded: past its size the least recently minted assertion is dropped', async () => {
      const signer = await signerOf(2);
      const alice = await signer.sign(base, now);
      const bob = await signer.sign({ ...base, subject: 'bob', upn: 'bob' }, now);
      await signer.sign({ ...base, subject: 'carol', upn: 'carol' }, now);
      expect(await signer.sign({ ...base, subject: 'bob', upn: 'bob' }, at(1))).toBe(bob);
      expect(await signer.sign(base, at(1))).not.toBe(alice);
    });

    it('with no cache every request gets its own assertion', async () => {
      const signer = await signerOf(0);
      expect(await signer.sign(base, now)).not.toBe(await signer.sign(base, now));
    });
  });
});
