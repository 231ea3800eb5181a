/**
 * Percent-decoding of URL-encoded PEM the way nginx-style gateways produce it (App Gateway,
 * nginx `$ssl_client_escaped_cert`, AWS ALB, Envoy): `decodeURIComponent`, never form decoding.
 * These encoders leave a literal `+` of the base64 alphabet unescaped and it must stay a `+`
 * (URLSearchParams would turn it into a space and corrupt the bytes). decodeURIComponent already
 * keeps `+`; protecting it explicitly keeps that guarantee visible and independent of the decoder.
 * May import: intakeStep.ts.
 */
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

/** Decodes a percent-encoded header value, keeping a literal `+` as `+`. */
export function decodePercentEncoded(value: string): IntakeStep<string> {
  try {
    return stepOk(decodeURIComponent(value.replace(/\+/g, '%2B')));
  } catch {
    return stepFail('forwarded-certificate-malformed-encoding', 'invalid percent-encoding');
  }
}

/**
 * Percent-encodes text the way nginx / App Gateway / AWS ALB do: everything a URI component
 * escapes, except `+`, `=` and `/`, which they leave as they are.
 */
export function encodePercentNginxStyle(text: string): string {
  return encodeURIComponent(text).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
}
