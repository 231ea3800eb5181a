/**
 * The signed-in user from App Service Authentication ("Easy Auth") headers: `X-MS-CLIENT-PRINCIPAL`
 * (base64 of `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`), `X-MS-CLIENT-PRINCIPAL-ID`
 * and `X-MS-CLIENT-PRINCIPAL-NAME`. App Service strips these headers from incoming requests and
 * sets them itself, so they are only trustworthy when the app runs behind App Service
 * Authentication; anywhere else a client can send them. The caller says which is the case.
 * Parsing is defensive: size cap, strict base64, schema-checked JSON, the id header must agree.
 * May import: zod, ./principal.js, ./reasons.js.
 */
import { z } from 'zod';
import { principalFromClaims, type Principal } from './principal.js';
import type { AppServicePrincipalReason } from './reasons.js';

/** The header names App Service Authentication sets. */
export const APP_SERVICE_PRINCIPAL_HEADERS = {
  principal: 'x-ms-client-principal',
  id: 'x-ms-client-principal-id',
  name: 'x-ms-client-principal-name',
  identityProvider: 'x-ms-client-principal-idp',
} as const;

/** Longest X-MS-CLIENT-PRINCIPAL value accepted (base64 characters). */
export const MAX_APP_SERVICE_PRINCIPAL_LENGTH = 65_536;

/** Read access to request headers (the Fetch `Headers` shape, as `HttpRequest.headers` has). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** Options of {@link principalFromAppServiceHeaders}. */
export interface AppServicePrincipalOptions {
  /** True only when App Service Authentication fronts this app (it strips client-sent copies of the headers). */
  readonly trustAppServiceAuthentication: boolean;
}

/** Outcome of {@link principalFromAppServiceHeaders}. */
export type AppServicePrincipalResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: AppServicePrincipalReason; readonly detail: string };

const clientPrincipalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(2000),
});

/** Claim types as App Service reports them (long WS-Fed URIs or short JWT names) → JWT claim names. */
const CLAIM_NAMES: Readonly<Record<string, string>> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  oid: 'oid',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
  tid: 'tid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'upn',
  upn: 'upn',
  preferred_username: 'preferred_username',
  name: 'name',
  roles: 'roles',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'roles',
  groups: 'groups',
  azp: 'azp',
  appid: 'appid',
  idtyp: 'idtyp',
  scp: 'scp',
  'http://schemas.microsoft.com/identity/claims/scope': 'scp',
};

/** Claims that may repeat; each occurrence adds a value. */
const MULTI_VALUED = new Set(['roles', 'groups']);

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/u;

function fail(reason: AppServicePrincipalReason, detail: string): AppServicePrincipalResult {
  return { ok: false, reason, detail };
}

function claimsRecord(principal: z.infer<typeof clientPrincipalSchema>): Record<string, unknown> {
  const claims: Record<string, string | string[]> = {};
  for (const { typ, val } of principal.claims) {
    const name = typ === principal.role_typ ? 'roles' : CLAIM_NAMES[typ];
    if (name === undefined) continue;
    if (MULTI_VALUED.has(name)) {
      const existing = claims[name];
      claims[name] = Array.isArray(existing) ? [...existing, val] : [val];
    } else if (claims[name] === undefined) {
      claims[name] = val;
    }
  }
  // A browser sign-in yields ID-token claims: no scp and no idtyp, but a user name, which
  // application (client-credentials) tokens never carry.
  if (
    claims.idtyp === undefined &&
    claims.scp === undefined &&
    (claims.upn !== undefined || claims.preferred_username !== undefined)
  )
    claims.idtyp = 'user';
  return claims;
}

/**
 * The principal App Service Authentication signed in, or why there is none. Headers present while
 * `trustAppServiceAuthentication` is false give `app-service-principal-untrusted` (a spoofing
 * attempt or a misconfiguration), never a principal.
 */
export function principalFromAppServiceHeaders(
  headers: HeaderReader,
  options: AppServicePrincipalOptions,
): AppServicePrincipalResult {
  const encoded = headers.get(APP_SERVICE_PRINCIPAL_HEADERS.principal);
  const idHeader = headers.get(APP_SERVICE_PRINCIPAL_HEADERS.id);
  const anyPresent = Object.values(APP_SERVICE_PRINCIPAL_HEADERS).some((name) => headers.get(name) !== null);
  if (!options.trustAppServiceAuthentication) {
    return anyPresent
      ? fail(
          'app-service-principal-untrusted',
          'X-MS-CLIENT-PRINCIPAL* headers are present but App Service Authentication is not configured as trusted',
        )
      : fail('app-service-principal-missing', 'App Service Authentication is not in use');
  }
  if (encoded === null || encoded.trim() === '') {
    return fail(
      'app-service-principal-missing',
      idHeader === null ? 'no X-MS-CLIENT-PRINCIPAL header' : 'X-MS-CLIENT-PRINCIPAL-ID without X-MS-CLIENT-PRINCIPAL',
    );
  }
  const value = encoded.trim();
  if (value.length > MAX_APP_SERVICE_PRINCIPAL_LENGTH)
    return fail(
      'app-service-principal-malformed',
      `X-MS-CLIENT-PRINCIPAL longer than ${MAX_APP_SERVICE_PRINCIPAL_LENGTH} characters`,
    );
  if (!STRICT_BASE64.test(value) || value.length % 4 !== 0)
    return fail('app-service-principal-malformed', 'X-MS-CLIENT-PRINCIPAL is not base64 (or the header was repeated)');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64')));
  } catch {
    return fail('app-service-principal-malformed', 'X-MS-CLIENT-PRINCIPAL is not UTF-8 JSON');
  }
  const parsed = clientPrincipalSchema.safeParse(json);
  if (!parsed.success)
    return fail(
      'app-service-principal-malformed',
      `X-MS-CLIENT-PRINCIPAL has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  if (parsed.data.auth_typ !== undefined && parsed.data.auth_typ !== 'aad') {
    return fail(
      'app-service-principal-malformed',
      `identity provider "${parsed.data.auth_typ}" is not Microsoft Entra ID (aad)`,
    );
  }
  const principal = principalFromClaims(claimsRecord(parsed.data));
  if (!principal.ok) return fail('app-service-principal-malformed', principal.detail);
  if (idHeader !== null && idHeader.trim().toLowerCase() !== principal.principal.objectId.toLowerCase()) {
    return fail(
      'app-service-principal-malformed',
      'X-MS-CLIENT-PRINCIPAL-ID disagrees with the object id in X-MS-CLIENT-PRINCIPAL',
    );
  }
  return { ok: true, principal: principal.principal };
}
