/**
 * The local mTLS gateway (App Gateway v2 mutual authentication on loopback): the public surface
 * the local stack and the tests use. Dev and test only.
 * May import: the gateway modules only.
 */
export { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from './localGateway.js';
export { gatewayOwnedHeaderMatcher } from './gatewayOwnedHeaders.js';
