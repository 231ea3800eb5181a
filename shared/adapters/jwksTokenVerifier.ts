/**
 * The Entra ID token verifier with its key source: the issuer's JWKS fetched over HTTPS by
 * jose's remote key set (cached for `cacheMaxAgeSeconds`, refetched on an unknown `kid` at most
 * once per `cooldownSeconds`, so a token with a random kid cannot make certgate hammer the issuer).
 * The only module that fetches JWKS. The checks themselves are in `shared/identity/`.
 * May import: jose, ../identity/*.
 */
import { createRemoteJWKSet, customFetch, decodeJwt, type FetchImplementation } from 'jose';
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  verifyAccessToken,
  type AccessTokenExpectations,
  type TokenResult,
} from '../identity/accessTokenVerification.js';
import { CertgateError } from '../errors.js';

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /** Exact expected `iss`, e.g. `https://login.microsoftonline.com/<tenant id>/v2.0`. */
  readonly issuer: string;
  /** Accepted `aud` values: the app's client id and/or App ID URI (`api://…`). At least one. */
  readonly audience: readonly string[];
  /**
   * The issuer's JWKS, e.g. `https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys`. https, or http on
   * loopback only.
   */
  readonly jwksUri: string;
  /** Clock tolerance for exp / nbf, seconds (default 300). */
  readonly clockToleranceSeconds?: number;
  /** Replaces global fetch for the JWKS request (jose's `customFetch`). */
  readonly fetchJwks?: FetchImplementation;
  /** Minimum seconds between refetches triggered by an unknown kid (default 30). */
  readonly cooldownSeconds?: number;
  /** Seconds a fetched JWKS is used before it is fetched again (default 600). */
  readonly cacheMaxAgeSeconds?: number;
  /** Time-out of one JWKS request in milliseconds (default 5000). */
  readonly timeoutMs?: number;
}

/** Verifies `Authorization: Bearer …` headers. */
export interface TokenVerifier {
  /** Verify at `now`; never throws (see {@link TokenResult}). */
  verify(authorizationHeader: string | null, now: Date): Promise<TokenResult>;
}

/** A verifier option is unusable; names the option. Thrown at start-up, never per request. */
export class TokenVerifierConfigError extends CertgateError {
  readonly code = 'token-verifier-config-invalid';
  constructor(
    readonly option: keyof TokenVerifierOptions,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'TokenVerifierConfigError';
  }
}

/** The v2.0 issuer of an Entra tenant (public cloud). */
export function entraIssuerFor(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** The JWKS URI of an Entra tenant (public cloud). */
export function entraJwksUriFor(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

function parseJwksUri(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TokenVerifierConfigError('jwksUri', `not a URL: ${value}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new TokenVerifierConfigError(
    'jwksUri',
    'must be https (http is allowed only on loopback, for the dev token issuer)',
  );
}

function seconds(
  option: 'cooldownSeconds' | 'cacheMaxAgeSeconds' | 'clockToleranceSeconds',
  value: number | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new TokenVerifierConfigError(option, 'must be a non-negative number');
  return value;
}

/**
 * Build a verifier for one issuer and audience. Throws {@link TokenVerifierConfigError} for
 * unusable options. Keys are fetched lazily, on the first token.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const url = parseJwksUri(options.jwksUri);
  if (options.audience.length === 0 || options.audience.some((value) => value.trim() === '')) {
    throw new TokenVerifierConfigError('audience', 'list the client id and/or App ID URI the tokens are issued for');
  }
  try {
    new URL(options.issuer);
  } catch {
    throw new TokenVerifierConfigError('issuer', `not a URL: ${options.issuer}`);
  }
  const cooldown = seconds('cooldownSeconds', options.cooldownSeconds);
  const cacheMaxAge = seconds('cacheMaxAgeSeconds', options.cacheMaxAgeSeconds);
  const clockToleranceSeconds = seconds('clockToleranceSeconds', options.clockToleranceSeconds);
  if (options.timeoutMs !== undefined && (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 0)) {
    throw new TokenVerifierConfigError('timeoutMs', 'must be a non-negative integer');
  }
  const keys = createRemoteJWKSet(url, {
    ...(cooldown === undefined ? {} : { cooldownDuration: cooldown * 1000 }),
    ...(cacheMaxAge === undefined ? {} : { cacheMaxAge: cacheMaxAge * 1000 }),
    ...(options.timeoutMs === undefined ? {} : { timeoutDuration: options.timeoutMs }),
    ...(options.fetchJwks === undefined ? {} : { [customFetch]: options.fetchJwks }),
  });
  const expectations: AccessTokenExpectations = {
    issuer: options.issuer,
    audience: [...options.audience],
    ...(clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds }),
  };
  return withVerifiedTokenCache(
    (authorizationHeader, now) => verifyAccessToken(authorizationHeader, now, expectations, keys),
    clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    (cacheMaxAge ?? 600) * 1000,
  );
}

/** Most verified tokens remembered per verifier. */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * Remembers tokens that verified, by their exact text, so a client sending the same token on
 * every request costs one signature check, not one per request (RS256 verification is most of a
 * warm decision otherwise). A remembered token is answered again only inside its own validity
 * window (nbf / exp with the clock tolerance, checked on every use) and for at most as long as the
 * signing keys themselves are cached (`maxAgeMs`); failures are never remembered. Bounded: the
 * oldest entry goes first.
 */
export function withVerifiedTokenCache(
  verify: TokenVerifier['verify'],
  clockToleranceSeconds: number,
  maxAgeMs: number,
): TokenVerifier {
  const verified = new Map<
    string,
    { readonly result: TokenResult; readonly notBefore: number; readonly expiresAt: number; readonly until: number }
  >();
  const tolerance = clockToleranceSeconds * 1000;
  return {
    async verify(authorizationHeader, now) {
      const at = now.getTime();
      const known = authorizationHeader === null ? undefined : verified.get(authorizationHeader);
      if (known && at >= known.notBefore - tolerance && at <= known.expiresAt + tolerance && at < known.until)
        return known.result;
      if (known && authorizationHeader !== null) verified.delete(authorizationHeader);
      const result = await verify(authorizationHeader, now);
      if (result.ok && authorizationHeader !== null) {
        let claims: { exp?: unknown; nbf?: unknown };
        try {
          claims = decodeJwt(authorizationHeader.trim().split(/\s+/u)[1] ?? '');
        } catch {
          return result;
        }
        if (typeof claims.exp !== 'number') return result;
        if (verified.size >= VERIFIED_TOKEN_CACHE_ENTRIES) verified.delete(verified.keys().next().value as string);
        verified.set(authorizationHeader, {
          result,
          notBefore: typeof claims.nbf === 'number' ? claims.nbf * 1000 : Number.NEGATIVE_INFINITY,
          expiresAt: claims.exp * 1000,
          until: at + maxAgeMs,
        });
      }
      return result;
    },
  };
}
