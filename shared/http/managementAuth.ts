/**
 * Who may call the management API: with Entra token settings configured, a bearer token from the
 * tenant with the app role the operation needs (`Certgate.Reader` to read, `Certgate.Admin` to
 * change); the function key the Functions host checks is a second layer. Without token settings,
 * the function key alone (the start-up log says so). The caller's identity goes into the audit trail.
 * May import: @azure/functions types, identity, composition types.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Services } from '../composition.js';
import { requireRole, ROLE_REASONS, TOKEN_REASONS } from '../identity/index.js';
import { principalOf } from './management.js';

/** The outcome: the actor for the audit trail, or the response to send. */
export type ManagementAccess =
  { readonly ok: true; readonly actor: string } | { readonly ok: false; readonly response: HttpResponseInit };

let warned = false;

/** Checks the caller for an operation needing `role`. */
export async function authorizeManagement(
  request: HttpRequest,
  services: Services,
  role: 'reader' | 'admin',
): Promise<ManagementAccess> {
  const verifier = services.managementTokens;
  if (!verifier) {
    if (!warned) {
      warned = true;
      console.warn(
        JSON.stringify({
          event: 'certgate.management.function-key-only',
          message: 'CERTGATE_MANAGEMENT_TOKEN_* not set: the management API is protected by function keys alone',
        }),
      );
    }
    return { ok: true, actor: principalOf(request) };
  }
  const result = await verifier.verify(request.headers.get('authorization'), services.clock.now());
  if (!result.ok) {
    const unavailable = result.reason === 'token-keys-unavailable';
    return {
      ok: false,
      response: {
        status: unavailable ? 503 : 401,
        jsonBody: { error: { code: result.reason, message: TOKEN_REASONS[result.reason] } },
        headers: {
          'cache-control': 'no-store',
          ...(unavailable ? {} : { 'www-authenticate': `Bearer error="invalid_token"` }),
        },
      },
    };
  }
  const granted = requireRole(result.principal, role);
  if (!granted.ok) {
    return {
      ok: false,
      response: {
        status: 403,
        jsonBody: { error: { code: granted.reason, message: ROLE_REASONS[granted.reason], detail: granted.detail } },
        headers: { 'cache-control': 'no-store' },
      },
    };
  }
  return { ok: true, actor: result.principal.upn ?? `oid:${result.principal.objectId}` };
}

/** Reads need the reader role, everything else the admin role. */
export function roleFor(request: HttpRequest): 'reader' | 'admin' {
  return request.method === 'GET' || request.method === 'HEAD' ? 'reader' : 'admin';
}
