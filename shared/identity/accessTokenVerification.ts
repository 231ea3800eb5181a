/**
 * Verification of Entra ID access tokens (JWT, RS256) against a signing-key lookup, with time
 * passed in. No I/O happens here: the key lookup is a port (the JWKS adapter in
 * `shared/adapters/jwksTokenVerifier.ts` fetches keys; tests may pass a local key set).
 *
 * Checks run in a fixed order, and the first failure decides the reason:
 *   1. Authorization header present → `token-missing`; `Bearer <compact JWS>` → `token-malformed`
 *   2. protected header decodes, `alg` is RS256 → `token-malformed` / `token-algorithm-not-allowed`
 *   3. signing key found by `kid` → `token-keys-unavailable` (lookup failed) / `token-signature-invalid` (unknown kid)
 *   4. signature → `token-signature-invalid`
 *   5. claims, in jose's order: presence of iss, aud, exp → iss → aud → nbf → exp
 *      (`token-issuer-invalid`, `token-audience-invalid`, `token-not-yet-valid`, `token-expired`)
 *   6. `oid` and `tid` present, `roles` / `groups` well-typed → `token-malformed`
 * Time windows follow jose: valid while `nbf <= now + tolerance` and `now - tolerance < exp`,
 * with `now` in whole seconds (floor).
 * May import: jose, ./principal.js, ./reasons.js.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { principalFromClaims, type Principal } from './principal.js';
import type { TokenReason } from './reasons.js';
import { CertgateError } from '../errors.js';

/** The only signature algorithm accepted: Entra ID signs access tokens with RS256. */
export const ALLOWED_TOKEN_ALGORITHMS: readonly string[] = ['RS256'];

/** Default clock tolerance, as Microsoft.IdentityModel's default ClockSkew (5 minutes). */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 300;

/** Longest Authorization header accepted; Entra tokens with many groups stay well below this. */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 16_384;

/** Outcome of verifying a bearer token. */
export type TokenResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: TokenReason; readonly detail: string };

/** What a token must satisfy. */
export interface AccessTokenExpectations {
  /** Exact `iss`, e.g. `https://login.microsoftonline.com/<tenant id>/v2.0`. */
  readonly issuer: string;
  /** Accepted `aud` values: the app's client id and/or App ID URI. */
  readonly audience: readonly string[];
  /** Tolerated clock difference in seconds for `exp` and `nbf` (default {@link DEFAULT_CLOCK_TOLERANCE_SECONDS}). */
  readonly clockToleranceSeconds?: number;
}

/** Resolves the verification key for a token's protected header (jose's key-resolver shape). */
export type SigningKeyLookup = JWTVerifyGetKey;

/** Wraps any failure of the key lookup so it is told apart from a failure of the token itself. */
class SigningKeyLookupFailure extends CertgateError {
  readonly code = 'signing-key-lookup-failed';
  constructor(override readonly cause: unknown) {
    super('signing key lookup failed', { cause });
  }
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/u;

function fail(reason: TokenReason, detail: string): TokenResult {
  return { ok: false, reason, detail };
}

/** Extract the compact JWS from `Authorization: Bearer <token>` (scheme case-insensitive). */
function bearerToken(authorizationHeader: string | null): { token: string } | TokenResult {
  if (authorizationHeader === null || authorizationHeader.trim() === '')
    return fail('token-missing', 'no Authorization header');
  if (authorizationHeader.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
    return fail('token-malformed', `Authorization header longer than ${MAX_AUTHORIZATION_HEADER_LENGTH} characters`);
  }
  const match = /^\s*(\S+)\s+(\S+)\s*$/u.exec(authorizationHeader);
  if (match?.[1]?.toLowerCase() !== 'bearer' || match[2] === undefined)
    return fail('token-malformed', 'the Authorization header is not "Bearer <token>"');
  if (!COMPACT_JWS.test(match[2]))
    return fail('token-malformed', 'the bearer token is not a compact JWS (three base64url segments)');
  return { token: match[2] };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Map a jose (or key lookup) failure to a token reason. Never throws. */
function reasonForFailure(error: unknown): TokenResult {
  if (error instanceof SigningKeyLookupFailure) {
    const cause = error.cause;
    if (cause instanceof errors.JWKSNoMatchingKey || cause instanceof errors.JWKSMultipleMatchingKeys) {
      return fail(
        'token-signature-invalid',
        `the issuer publishes no single key for this token's kid (${describe(cause)})`,
      );
    }
    return fail('token-keys-unavailable', `the issuer's signing keys could not be obtained (${describe(cause)})`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return fail('token-algorithm-not-allowed', describe(error));
  if (error instanceof errors.JWSSignatureVerificationFailed) return fail('token-signature-invalid', describe(error));
  if (error instanceof errors.JWTExpired) return fail('token-expired', describe(error));
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return fail('token-issuer-invalid', describe(error));
    if (error.claim === 'aud') return fail('token-audience-invalid', describe(error));
    if (error.claim === 'nbf' && error.reason === 'check_failed') return fail('token-not-yet-valid', describe(error));
    return fail('token-malformed', describe(error));
  }
  return fail('token-malformed', describe(error));
}

/**
 * Verify the bearer token of an Authorization header at `now`. Never throws: every failure is a
 * {@link TokenResult} with a reason; `token-keys-unavailable` means the key lookup failed (the
 * caller answers 503, not 401).
 */
export async function verifyAccessToken(
  authorizationHeader: string | null,
  now: Date,
  expectations: AccessTokenExpectations,
  keys: SigningKeyLookup,
): Promise<TokenResult> {
  const bearer = bearerToken(authorizationHeader);
  if (!('token' in bearer)) return bearer;
  let algorithm: unknown;
  try {
    algorithm = decodeProtectedHeader(bearer.token).alg;
  } catch (error) {
    return fail('token-malformed', `the JWT header does not decode (${describe(error)})`);
  }
  if (typeof algorithm !== 'string' || !ALLOWED_TOKEN_ALGORITHMS.includes(algorithm)) {
    return fail(
      'token-algorithm-not-allowed',
      `alg ${JSON.stringify(algorithm ?? null)} is not one of ${ALLOWED_TOKEN_ALGORITHMS.join(', ')}`,
    );
  }
  const lookup: JWTVerifyGetKey = async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      throw new SigningKeyLookupFailure(error);
    }
  };
  let claims: Readonly<Record<string, unknown>>;
  try {
    const verified = await jwtVerify(bearer.token, lookup, {
      algorithms: [...ALLOWED_TOKEN_ALGORITHMS],
      issuer: expectations.issuer,
      audience: [...expectations.audience],
      clockTolerance: expectations.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
      requiredClaims: ['exp'],
    });
    claims = verified.payload;
  } catch (error) {
    return reasonForFailure(error);
  }
  const principal = principalFromClaims(claims);
  if (!principal.ok) return fail('token-malformed', principal.detail);
  return { ok: true, principal: principal.principal };
}
