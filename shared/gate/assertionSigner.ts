/**
 * The gate's signing keys: the ES256 key that signs `X-Certgate-Assertion` (setting
 * CERTGATE_GATE_SIGNING_KEY, PKCS#8 PEM of a P-256 key) and, during a rotation, the previous
 * key (CERTGATE_GATE_PREVIOUS_SIGNING_KEY), which is published but never signs. The key id is the
 * RFC 7638 JWK thumbprint, so an upstream picks the key from the JWKS by `kid` and a rotation
 * needs no coordination beyond publishing both keys for one assertion lifetime plus caching.
 * Keys are imported once per configuration object (config is read once and frozen).
 * May import: jose, node built-ins, config types.
 */
import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
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
  sign(claims: AssertionClaims, now: Date): Promise<string>;
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
}): Promise<AssertionSigner> {
  const privateKey = createPrivateKey({ key: options.signingKeyPem, format: 'pem' });
  const current = await publishedKeyOf(privateKey);
  const keys = [current];
  if (options.previousSigningKeyPem) {
    const previous = await publishedKeyOf(createPrivateKey({ key: options.previousSigningKeyPem, format: 'pem' }));
    if (previous.kid !== current.kid) keys.push(previous);
  }
  const { issuer, lifetimeSeconds } = options;
  return {
    kid: current.kid,
    jwks: Object.freeze({ keys: Object.freeze(keys) }),
    sign: async (claims, now) => {
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({
        upn: claims.upn,
        device_thumbprint: claims.thumbprint,
        device_tags: [...claims.deviceTags],
        decision_id: claims.decisionId,
      })
        .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(claims.appId)
        .setSubject(claims.subject)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + lifetimeSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
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
