/**
 * RFC 8941 byte sequences as RFC 9440 uses them: `Client-Cert` is one Item `:base64:` and
 * `Client-Cert-Chain` a List of them. Parameters are not defined by RFC 9440 and are rejected
 * here rather than silently ignored.
 * May import: intakeStep.ts, strict base64.
 */
import { decodeStrictBase64, encodeBase64 } from './base64Der.js';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

const BYTE_SEQUENCE = /^:([A-Za-z0-9+/=]*):$/;

/** Parses one structured-field byte sequence item (`:base64:`, surrounding spaces allowed). */
export function parseByteSequenceItem(value: string): IntakeStep<Uint8Array> {
  const match = BYTE_SEQUENCE.exec(value.trim());
  const base64 = match?.[1];
  if (base64 === undefined)
    return stepFail('forwarded-certificate-malformed-encoding', 'not a structured-field byte sequence (:base64:)');
  if (base64 === '') return stepFail('forwarded-certificate-empty', 'empty byte sequence');
  return decodeStrictBase64(base64);
}

/** Parses a structured-field list of byte sequences (`:a:, :b:`); an empty value is an empty list. */
export function parseByteSequenceList(value: string): IntakeStep<Uint8Array[]> {
  if (value.trim() === '') return stepOk([]);
  const members: Uint8Array[] = [];
  for (const member of value.split(',')) {
    const bytes = parseByteSequenceItem(member);
    if (!bytes.ok) return bytes;
    members.push(bytes.value);
  }
  return stepOk(members);
}

/** Serialises bytes as a structured-field byte sequence. */
export function serialiseByteSequence(bytes: Uint8Array): string {
  return `:${encodeBase64(bytes)}:`;
}
