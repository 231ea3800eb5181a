/**
 * Checks that decoded bytes are exactly one definite-length DER SEQUENCE (what every X.509
 * certificate is), using asn1js. This is a shape check only: the validator parses and verifies.
 * May import: intake types, asn1js.
 */
import * as asn1js from 'asn1js';
import { stepFail, stepOk, type IntakeStep } from './types.js';

const UNIVERSAL = 1;
const SEQUENCE = 16;

/** Accepts the bytes when they are one complete definite-length ASN.1 SEQUENCE with nothing after it. */
export function checkDerSequence(bytes: Uint8Array): IntakeStep<Uint8Array> {
  if (bytes.length === 0) return stepFail('forwarded-certificate-not-der', 'no bytes');
  if (bytes[0] !== 0x30) return stepFail('forwarded-certificate-not-der', 'does not start with a SEQUENCE tag');
  try {
    const copy = bytes.slice();
    const parsed = asn1js.fromBER(copy.buffer);
    const { result } = parsed;
    if (parsed.offset !== bytes.length) return stepFail('forwarded-certificate-not-der', 'truncated or followed by extra bytes');
    if (result.idBlock.tagClass !== UNIVERSAL || result.idBlock.tagNumber !== SEQUENCE || !result.idBlock.isConstructed) {
      return stepFail('forwarded-certificate-not-der', 'not a SEQUENCE');
    }
    if (result.lenBlock.isIndefiniteForm) return stepFail('forwarded-certificate-not-der', 'indefinite length (BER, not DER)');
    if (result.error !== '') return stepFail('forwarded-certificate-not-der', 'ASN.1 structure error');
    return stepOk(bytes);
  } catch {
    // asn1js throws on some inputs (and deep nesting can exhaust the stack): garbage, not a malfunction.
    return stepFail('forwarded-certificate-not-der', 'unparseable ASN.1');
  }
}
