/**
 * Strict standard base64 (RFC 4648 section 4) for forwarded DER: Node's decoder silently skips
 * characters outside the alphabet, so the alphabet and padding are checked before decoding.
 * Missing `=` padding is tolerated, as RFC 8941 asks of structured-field parsers.
 * May import: intakeStep.ts, node:buffer.
 */
import { Buffer } from 'node:buffer';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes standard base64 text (no whitespace) to bytes, or rejects it. */
export function decodeStrictBase64(text: string): IntakeStep<Uint8Array> {
  if (!BASE64.test(text))
    return stepFail(
      'forwarded-certificate-malformed-encoding',
      'not base64: character outside the alphabet or misplaced padding',
    );
  const padded = text.endsWith('=');
  if ((padded && text.length % 4 !== 0) || (!padded && text.length % 4 === 1)) {
    return stepFail('forwarded-certificate-malformed-encoding', 'not base64: wrong length');
  }
  return stepOk(new Uint8Array(Buffer.from(text, 'base64')));
}

/** Encodes bytes as standard, padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
