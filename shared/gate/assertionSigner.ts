/**
 * The gate's signing keys: the ES256 key that signs `X-Certgate-Assertion` (setting
 * CERTGATE_GATE_SIGNING_KEY, PKCS#8 PEM of a P-256 key) and, during a rotation, the previous
 * key (CERTGATE_GATE_PREVIOUS_SIGNING_KEY), which is published but never signs. The key id is the
 * RFC 7638 JWK thumbprint, so an upstream picks the key from the JWKS by `kid` and a rotation
 * needs no coordination beyond publishing both keys for one assertion lifetime plus caching.
 * Keys are imported once per configuration object (config is read once and frozen).
 *
 * One assertion serves the requests of one user on one device to one app for a while, as the
 * identity-aware proxies do (Google IAP, Cloudflare Access: a token per session, not per request):
 * an assertion is reused for the same claims (audience, subject, UPN, device thumbprint, device
 * tags: everything it says but the decision that issued it) while it is at most half its lifetime
 * old, so every assertion an upstream receives has at least half its lifetime left, and never one
 * minted at a later time than now (a clock set back mints anew). The request's own decision id travels in
 * `X-Certgate-Decision-Id`; the assertion's `decision_id` names the decision that issued it. The
 * cache is bounded ({@link DEFAULT_CACHED_ASSERTIONS} entries, the least recently minted dropped
 * first). A fresh ES256 signature per request cost about 0.2 ms of CPU.
 *
 * Why the JWS is put together here and not by jose's SignJWT: jose signs through WebCrypto, whose
 * job dispatch cost about 1 ms of CPU per assertion under load (the largest self time in a profile
 * of the gate at 8 connections); node:crypto's synchronous ES256 sign costs about 0.2 ms. The token
 * is the compact JWS of RFC 7515 (base64url header . payload . P1363 signature), and the tests
 * verify it with jose's jwtVerify against the published JWKS, so the library still judges it.
 * May import: jose (JWK export and thumbprint), node built-ins, config types.
 */
import { createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { AppConfig } from '../config.js';

/** The claims certgate puts in an assertion (besides iss, aud, sub, iat, nbf, exp, jti). */
export interface AssertionClaims {
  /** The registered app's id (the audience). */
  readonly appId: string;
  /** Who: the signed-in user's UPN, else the certificate's subject, else `anonymous`. */
  readonly subject: string;
  /** The signed-in user's UPN, when a user was identified. */
  readonly upn?: string;
  /** Lowercase hex SHA-256 of the client (device) certificate, when one was presented and valid. */
  readonly thumbprint?: string;
  readonly deviceTags: readonly string[];
  /** The decision's correlation id: the decision log entry that let this request through. */
  readonly decisionId: string;
}

/** Public half of a signing key, as published at `/api/.well-known/jwks.json`. */
export interface PublishedKey extends JWK {
  readonly kid: string;
}

/** Signs assertions with the current key; publishes current and previous keys. */
export interface AssertionSigner {
  /** The current key's id. */
  readonly kid: string;
  /** Current key first, then the previous one (rotation). */
  readonly jwks: { readonly keys: readonly PublishedKey[] };
  /**
   * An assertion of these claims valid at `now`: a new one, or the one minted for the same claims
   * (all but `decisionId`) at most half its lifetime before `now` (see the module comment).
   */
  sign(claims: AssertionClaims, now: Date): Promise<string>;
}

/** How many assertions a signer keeps for reuse (one per user, device and app recently allowed). */
export const DEFAULT_CACHED_ASSERTIONS = 4096;

interface CachedAssertion {
  readonly token: string;
  /** Reused while now (ms) is in [mintedAtMs, reuseUntilMs): from its `iat` to half its lifetime. */
  readonly mintedAtMs: number;
  readonly reuseUntilMs: number;
}

/** The cache key: every claim of the assertion but the issuing decision (and the times and jti). */
function reuseKeyOf(claims: AssertionClaims): string {
  return JSON.stringify([
    claims.appId,
    claims.subject,
    claims.upn ?? null,
    claims.thumbprint ?? null,
    claims.deviceTags,
  ]);
}

async function publishedKeyOf(privateKey: KeyObject): Promise<PublishedKey> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y });
  return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y, kid, use: 'sig', alg: 'ES256' };
}

/** Builds a signer from PEM keys (exported for tests and the dev stack; the gate uses {@link assertionSignerFor}). */
export async function createAssertionSigner(options: {
  readonly signingKeyPem: string;
  readonly previousSigningKeyPem?: string;
  readonly issuer: string;
  readonly lifetimeSeconds: number;
  /** Assertions kept for reuse (default {@link DEFAULT_CACHED_ASSERTIONS}); 0 signs every request anew. */
  readonly cachedAssertions?: number;
}): Promise<AssertionSigner> {
  const privateKey = createPrivateKey({ key: options.signingKeyPem, format: 'pem' });
  const current = await publishedKeyOf(privateKey);
  const keys = [current];
  if (options.previousSigningKeyPem) {
    const previous = await publishedKeyOf(createPrivateKey({ key: options.previousSigningKeyPem, format: 'pem' }));
    if (previous.kid !== current.kid) keys.push(previous);
  }
  const { issuer, lifetimeSeconds } = options;
  const capacity = options.cachedAssertions ?? DEFAULT_CACHED_ASSERTIONS;
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: current.kid, typ: 'JWT' })).toString('base64url');
  const cache = new Map<string, CachedAssertion>();
  const mint = (claims: AssertionClaims, iat: number): string => {
    const payload = {
      iss: issuer,
      aud: claims.appId,
      sub: claims.subject,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
      jti: randomUUID(),
      ...(claims.upn !== undefined ? { upn: claims.upn } : {}),
      ...(claims.thumbprint !== undefined ? { device_thumbprint: claims.thumbprint } : {}),
      device_tags: claims.deviceTags,
      decision_id: claims.decisionId,
    };
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    // ES256: ECDSA P-256 with SHA-256, the signature as r || s (IEEE P1363), as JWS requires.
    const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  };
  return {
    kid: current.kid,
    jwks: Object.freeze({ keys: Object.freeze(keys) }),
    sign: (claims, now) => {
      const nowMs = now.getTime();
      const key = capacity > 0 ? reuseKeyOf(claims) : '';
      const cached = capacity > 0 ? cache.get(key) : undefined;
      if (cached && nowMs >= cached.mintedAtMs && nowMs < cached.reuseUntilMs) return Promise.resolve(cached.token);
      const iat = Math.floor(nowMs / 1000);
      const token = mint(claims, iat);
      if (capacity > 0) {
        // Re-inserted at the end: the map's order is the minting order, its first entry the oldest.
        cache.delete(key);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
        cache.set(key, { token, mintedAtMs: iat * 1000, reuseUntilMs: iat * 1000 + (lifetimeSeconds * 1000) / 2 });
      }
      return Promise.resolve(token);
    },
  };
}

const signers = new WeakMap<AppConfig, Promise<AssertionSigner>>();

/**
 * The signer for this configuration (built once), or undefined when no signing key is configured:
 * the gate then refuses to proxy (503 `gate-signing-key-missing`) and the JWKS is empty.
 */
export function assertionSignerFor(config: AppConfig): Promise<AssertionSigner> | undefined {
  const { signingKeyPem, previousSigningKeyPem, issuer, assertionSeconds } = config.gate;
  if (!signingKeyPem) return undefined;
  let signer = signers.get(config);
  if (!signer) {
    signer = createAssertionSigner({
      signingKeyPem,
      ...(previousSigningKeyPem ? { previousSigningKeyPem } : {}),
      issuer,
      lifetimeSeconds: assertionSeconds,
    });
    signers.set(config, signer);
  }
  return signer;
}
