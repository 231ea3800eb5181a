/**
 * App roles of the management API: which role a caller needs, and whether a principal has it.
 * The roles are defined on certgate's app registration and assigned to users, groups or service
 * principals; they reach certgate in the token's `roles` claim.
 * May import: ./principal.js, ./reasons.js.
 */
import type { Principal } from './principal.js';
import type { RoleReason } from './reasons.js';

/** The access levels of the management API: `admin` may change configuration, `reader` may read it. */
export type ManagementRole = 'admin' | 'reader';

/** App role values (the `value` field of the app registration's appRoles), by access level. */
export const MANAGEMENT_APP_ROLES = {
  admin: 'Certgate.Admin',
  reader: 'Certgate.Reader',
} as const satisfies Record<ManagementRole, string>;

/** The app roles that grant each level: admin implies reader. */
const ROLES_GRANTING: Readonly<Record<ManagementRole, readonly string[]>> = {
  admin: [MANAGEMENT_APP_ROLES.admin],
  reader: [MANAGEMENT_APP_ROLES.reader, MANAGEMENT_APP_ROLES.admin],
};

/** Outcome of {@link requireRole}. */
export type RoleCheckResult =
  | { readonly ok: true; readonly grantedBy: string }
  | { readonly ok: false; readonly reason: RoleReason; readonly detail: string };

/**
 * Whether the principal holds `role`. App role values are compared exactly (Entra emits them as
 * defined on the app registration); `Certgate.Admin` also grants `reader`.
 */
export function requireRole(principal: Principal, role: ManagementRole): RoleCheckResult {
  const granting = ROLES_GRANTING[role];
  const grantedBy = granting.find((value) => principal.roles.includes(value));
  if (grantedBy !== undefined) return { ok: true, grantedBy };
  return {
    ok: false,
    reason: 'role-missing',
    detail: `${role} access needs one of the app roles ${granting.join(', ')}; the caller has ${principal.roles.length === 0 ? 'none' : principal.roles.join(', ')}`,
  };
}
