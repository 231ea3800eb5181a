/**
 * How a backend behind certgate accepts only the gate: it verifies the `X-Certgate-Assertion` JWT
 * (ES256, short-lived) against the keys certgate publishes at `/api/.well-known/jwks.json`, instead
 * of trusting the plain identity headers, which anyone who reaches the backend directly could send.
 * jose fetches and caches the key set (and refetches on an unknown key id). Dev and test only: the
 * Contoso Files sample's verifier.
 * May import: node built-ins, jose.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/** The header carrying certgate's signed assertion. */
export const ASSERTION_HEADER = 'x-certgate-assertion';
/** The route, under certgate's base URL, where its assertion keys are published. */
export const JWKS_PATH = '/api/.well-known/jwks.json';

/** What a backend knows about certgate to verify its assertions. */
export interface GateTrust {
  /** certgate's base URL (the JWKS is fetched from `<url>/api/.well-known/jwks.json`). */
  readonly certgateUrl: string;
  /** The `iss` the assertion must carry, when set. */
  readonly issuer?: string;
  /** The `aud` the assertion must carry (e.g. the app's id or host), when set. */
  readonly audience?: string;
}

/** The outcome of checking a request's assertion. */
export type AssertionCheck =
  | { readonly verified: true; readonly claims: JWTPayload; readonly keyId: string | undefined }
  | { readonly verified: false; readonly code: string; readonly detail: string };

/** Verifies assertions against one certgate's published keys. */
export type AssertionVerifier = (assertion: string | undefined) => Promise<AssertionCheck>;

/** Builds a verifier for `trust` (one cached remote key set per verifier). */
export function gateAssertionVerifier(trust: GateTrust): AssertionVerifier {
  const keys = createRemoteJWKSet(new URL(JWKS_PATH, trust.certgateUrl), { timeoutDuration: 5000 });
  return async (assertion) => {
    if (assertion === undefined || assertion === '') {
      return { verified: false, code: 'assertion-missing', detail: `no ${ASSERTION_HEADER} header` };
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, keys, {
        algorithms: ['ES256'],
        clockTolerance: 5,
        requiredClaims: ['exp', 'iat'],
        ...(trust.issuer === undefined ? {} : { issuer: trust.issuer }),
        ...(trust.audience === undefined ? {} : { audience: trust.audience }),
      });
      return { verified: true, claims: payload, keyId: protectedHeader.kid };
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        return { verified: false, code: error.code, detail: error.message };
      }
      return { verified: false, code: 'assertion-unverifiable', detail: String(error) };
    }
  };
}
