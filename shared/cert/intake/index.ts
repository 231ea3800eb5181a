/**
 * Forwarded-certificate intake: the public surface. certgate never sees the TLS handshake; a
 * gateway forwards the client certificate in a header. This package decides whether that header
 * may be believed (the trust boundary), decodes every supported gateway format into DER, and
 * reads the client context (IP, host, path, user agent). Pure: no @azure, no process.env, no clock.
 * May import: the intake modules only.
 */
export { readForwardedCertificate, readForwardedRequest } from './readForwardedCertificate.js';
export { readClientContext, type ClientContext } from './clientContext.js';
export { encodeForwardedCertificate, type ForwardedCertificateEncodingOptions } from './encodeForwardedCertificate.js';
export { DEFAULT_HEADER_NAMES, DEFAULT_SECRET_HEADER } from './headerNames.js';
export { INTAKE_REASONS, isIntakeReason, type IntakeReason } from './reasons.js';
export {
  DEFAULT_INTAKE_LIMITS,
  GATEWAY_KINDS,
  type ForwardedRequest,
  type GatewayConfig,
  type GatewayKind,
  type GatewayVerification,
  type HeaderRole,
  type IntakeLimits,
  type IntakeResult,
  type XfccElementChoice,
} from './types.js';
