/**
 * The dev token issuer: the public surface for the local stack and the tests.
 * May import: the modules of this folder.
 */
export {
  DEV_CLIENT_APP_ID,
  DEV_ISSUER_METADATA_FILE,
  DEV_TENANT_ID,
  DEV_TOKEN_AUDIENCE,
  mintDevToken,
  startDevTokenIssuer,
  type DevIssuerMetadata,
  type DevTokenClaims,
  type DevTokenIssuer,
  type DevTokenIssuerOptions,
} from './devTokenIssuer.js';
export {
  DEV_SIGNING_KEY_FILE,
  devSigningKeyFrom,
  generateDevSigningKey,
  loadOrCreateDevSigningKey,
  type DevSigningKey,
} from './signingKey.js';
