/**
 * The gateway's own verdict on the client certificate, in the nginx grammar that App Gateway,
 * nginx and (as far as it is known) Front Door use: `SUCCESS`, `NONE` or `FAILED:<reason>`.
 * Matching is case-insensitive; the reason is kept as sent, for the trace.
 * It is the default grammar of a format's verification header (a format may bring its own).
 * May import: intakeStep.ts, the format contract (types).
 */
import type { GatewayVerification, VerificationCodec } from './gatewayFormat.js';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

/** The verdict when the gateway sends no verification header. */
export const VERIFICATION_NOT_PROVIDED: GatewayVerification = Object.freeze({ status: 'not-provided' });

/** Parses a verification header value (null when the header is absent). */
export function parseGatewayVerification(value: string | null): IntakeStep<GatewayVerification> {
  if (value === null) return stepOk(VERIFICATION_NOT_PROVIDED);
  // A repeated verdict is refused before this, by the repeat rule (repeatedHeaders.ts).
  const text = value.trim();
  const upper = text.toUpperCase();
  if (upper === 'SUCCESS') return stepOk({ status: 'success' });
  if (upper === 'NONE') return stepOk({ status: 'none' });
  if (upper === 'FAILED' || upper.startsWith('FAILED:')) {
    const detail = text
      .slice('FAILED'.length + 1)
      .trim()
      .slice(0, 256);
    return stepOk(detail ? { status: 'failed', detail } : { status: 'failed' });
  }
  return stepFail(
    'forwarded-certificate-verification-unrecognised',
    'verification header is not SUCCESS, NONE or FAILED:<reason>',
  );
}

/** Formats a verdict the way a gateway sends it. */
export function formatGatewayVerification(verification: GatewayVerification): string | undefined {
  switch (verification.status) {
    case 'success':
      return 'SUCCESS';
    case 'none':
      return 'NONE';
    case 'failed':
      return `FAILED:${verification.detail ?? ''}`;
    case 'not-provided':
      return undefined;
  }
}

/** The nginx verdict grammar as a format's verification codec (the default). */
export const NGINX_VERDICTS: VerificationCodec = Object.freeze({
  parse: parseGatewayVerification,
  format: formatGatewayVerification,
});
