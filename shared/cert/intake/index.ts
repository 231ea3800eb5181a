/**
 * Forwarded-certificate intake: the public surface. certgate never sees the TLS handshake; a
 * gateway forwards the client certificate in a header. This package decides whether that header
 * may be believed (the trust boundary), decodes every supported gateway format into DER, and
 * reads the client context (IP, host, path, user agent), believing every forwarded fact only on
 * the same gateway proof. Each gateway format is one file in formats/, registered in
 * formats/index.ts. `forwardedRequestOf` turns what the Functions host hands the worker
 * into the request these readers take. Pure: no @azure, no process.env, no clock.
 * May import: the intake modules only.
 */
export { readForwardedCertificate, readForwardedRequest } from './readForwardedCertificate.js';
export { readClientContext, type ClientContext, type ForwardedClientContext } from './clientContext.js';
export { forwardedRequestOf, peerAddressOf } from './forwardedRequest.js';
export { HEADER_REPEAT_RULES, type HeaderRepeatRule } from './repeatedHeaders.js';
export {
  encodeForwardedCertificate,
  encodeGatewayVerification,
  type ForwardedCertificateEncodingOptions,
} from './encodeForwardedCertificate.js';
export { GATEWAY_FORMATS, gatewayFormatOf } from './formats/index.js';
export { HEADER_ROLES, type GatewayFormat, type VerificationCodec } from './gatewayFormat.js';
export {
  APP_HINT_HEADER,
  APP_HINT_QUERY,
  DEFAULT_HEADER_NAMES,
  DEFAULT_SECRET_HEADER,
  FORWARDED_FACT_HEADERS,
  type ForwardedFact,
} from './headerNames.js';
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
