/**
 * Public surface of identity: Entra ID access-token verification (with the key lookup as a port),
 * App Service Authentication principals, management app roles, and certificate ↔ user binding.
 * The JWKS-fetching verifier lives in `shared/adapters/jwksTokenVerifier.ts`.
 * May import: the modules of this folder.
 */
export {
  ALLOWED_TOKEN_ALGORITHMS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_AUTHORIZATION_HEADER_LENGTH,
  verifyAccessToken,
} from './accessTokenVerification.js';
export type { AccessTokenExpectations, SigningKeyLookup, TokenResult } from './accessTokenVerification.js';
export { principalFromClaims } from './principal.js';
export type { Principal, PrincipalFromClaimsResult } from './principal.js';
export { MANAGEMENT_APP_ROLES, requireRole } from './managementRoles.js';
export type { ManagementRole, RoleCheckResult } from './managementRoles.js';
export {
  APP_SERVICE_PRINCIPAL_HEADERS,
  MAX_APP_SERVICE_PRINCIPAL_LENGTH,
  principalFromAppServiceHeaders,
} from './appServicePrincipal.js';
export type { AppServicePrincipalOptions, AppServicePrincipalResult, HeaderReader } from './appServicePrincipal.js';
export { bindCertificateToUser, DEFAULT_BINDING_AFFINITY, DEFAULT_BINDING_RULES } from './certificateBinding.js';
export type {
  BindingAffinity,
  BindingAttempt,
  BindingOptions,
  BindingRule,
  BindingRuleOutcome,
  BindingUser,
  CertificateBindingResult,
  IgnoredCertificateUserId,
} from './certificateBinding.js';
export {
  BINDING_RULE_KINDS,
  certificateSha1Thumbprint,
  certificateUserIdsFor,
  parseCertificateUserId,
} from './certificateUserIds.js';
export type { BindingRuleKind, CertificateUserId, CertificateUserIdResult } from './certificateUserIds.js';
export {
  distinguishedNameMatches,
  formatEntraDistinguishedName,
  parseDistinguishedNameText,
} from './distinguishedNameText.js';
export type { ComparableNameAttribute, DistinguishedNameTextResult } from './distinguishedNameText.js';
export {
  APP_SERVICE_PRINCIPAL_REASONS,
  CERTIFICATE_BINDING_REASONS,
  IDENTITY_REASONS,
  isTokenReason,
  ROLE_REASONS,
  TOKEN_REASONS,
} from './reasons.js';
export type {
  AppServicePrincipalReason,
  CertificateBindingReason,
  IdentityReason,
  RoleReason,
  TokenReason,
} from './reasons.js';
export { deviceIdOf, deviceTagsOf } from './deviceIdentity.js';
export type { CertificateDeviceId, DeviceCertificateFields, DeviceIdSource, DeviceState } from './deviceIdentity.js';
