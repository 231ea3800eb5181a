/**
 * The signed-in caller as certgate sees it, built from the claims of a verified Entra ID access
 * token (v2 names first, v1 names as fallback) or of an App Service Authentication principal.
 * Only claims that were already verified (or come from a trusted front end) may be passed in.
 * May import: nothing.
 */

/** A verified user or application. */
export interface Principal {
  /** Entra object id (`oid`): the stable identity of the user or service principal. */
  readonly objectId: string;
  /** Tenant id (`tid`). */
  readonly tenantId: string;
  /** `upn` or, for v2 tokens without it, `preferred_username`. Absent for applications. */
  readonly upn?: string;
  readonly name?: string;
  /** App roles assigned to the caller for this application (`roles`), e.g. `Certgate.Admin`. */
  readonly roles: readonly string[];
  /** Group object ids (`groups`) when the app registration emits them and there is no overage. */
  readonly groups?: readonly string[];
  /** The client application that asked for the token (`azp`, v1 `appid`). */
  readonly appId?: string;
  /** `user` for delegated tokens, `app` for application (client-credentials) tokens. */
  readonly kind: 'user' | 'app';
}

/** Outcome of {@link principalFromClaims}. */
export type PrincipalFromClaimsResult =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly detail: string };

function optionalString(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return [...value];
  return undefined;
}

/**
 * The caller kind: `idtyp` when the app registration emits it (optional claim), otherwise the
 * presence of `scp`, which only delegated (user) tokens carry.
 */
function principalKind(claims: Readonly<Record<string, unknown>>): 'user' | 'app' {
  const idtyp = optionalString(claims, 'idtyp');
  if (idtyp === 'app') return 'app';
  if (idtyp === 'user') return 'user';
  return optionalString(claims, 'scp') === undefined ? 'app' : 'user';
}

/**
 * Build a {@link Principal} from verified token claims. Fails (with a detail for the trace) when
 * `oid` or `tid` is missing, or when `roles` / `groups` are present but not strings.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>): PrincipalFromClaimsResult {
  const objectId = optionalString(claims, 'oid');
  const tenantId = optionalString(claims, 'tid');
  if (objectId === undefined) return { ok: false, detail: 'the "oid" claim is missing' };
  if (tenantId === undefined) return { ok: false, detail: 'the "tid" claim is missing' };
  const roles = stringList(claims.roles);
  if (claims.roles !== undefined && roles === undefined)
    return { ok: false, detail: 'the "roles" claim is not a list of strings' };
  const groups = stringList(claims.groups);
  if (claims.groups !== undefined && groups === undefined)
    return { ok: false, detail: 'the "groups" claim is not a list of strings' };
  const upn = optionalString(claims, 'upn') ?? optionalString(claims, 'preferred_username');
  const name = optionalString(claims, 'name');
  const appId = optionalString(claims, 'azp') ?? optionalString(claims, 'appid');
  const principal: Principal = {
    objectId,
    tenantId,
    roles: roles ?? [],
    kind: principalKind(claims),
    ...(upn === undefined ? {} : { upn }),
    ...(name === undefined ? {} : { name }),
    ...(groups === undefined ? {} : { groups }),
    ...(appId === undefined ? {} : { appId }),
  };
  return { ok: true, principal };
}
