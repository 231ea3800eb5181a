/**
 * Checks that decoded bytes are exactly one DER SEQUENCE (what every X.509 certificate is), with
 * the project's strict DER reader. This is a shape check only: the validator parses and verifies.
 * May import: intakeStep.ts, ../x509/derNodes.js.
 */
import { DerStructureError, UniversalTag, decodeDer } from '../x509/derNodes.js';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

/** Accepts the bytes when they are one complete, strictly DER-encoded SEQUENCE with nothing after it. */
export function checkDerSequence(bytes: Uint8Array): IntakeStep<Uint8Array> {
  if (bytes.length === 0) return stepFail('forwarded-certificate-not-der', 'no bytes');
  if (bytes[0] !== 0x30) return stepFail('forwarded-certificate-not-der', 'does not start with a SEQUENCE tag');
  try {
    const node = decodeDer(bytes);
    if (node.tagClass !== 'universal' || node.tag !== UniversalTag.sequence)
      return stepFail('forwarded-certificate-not-der', 'not a SEQUENCE');
    return stepOk(bytes);
  } catch (error) {
    // Indefinite or non-minimal lengths, truncation, trailing bytes, too many nodes: garbage, not a malfunction.
    return stepFail(
      'forwarded-certificate-not-der',
      error instanceof DerStructureError ? error.message : 'unparseable ASN.1',
    );
  }
}
