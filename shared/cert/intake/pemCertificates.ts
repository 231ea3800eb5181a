/**
 * PEM certificate blocks (RFC 7468 `CERTIFICATE` label) as gateways forward them: line breaks may
 * arrive as CRLF, LF or spaces (some gateways fold newlines), but nothing other than whitespace
 * may stand outside the blocks, and each block must be base64 of a DER SEQUENCE.
 * May import: intakeStep.ts, strict base64, DER shape check.
 */
import { decodeStrictBase64, encodeBase64 } from './base64Der.js';
import { checkDerSequence } from './derSequence.js';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/** Whether text looks like PEM (carries a BEGIN CERTIFICATE line). */
export function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN');
}

/** Parses one or more PEM CERTIFICATE blocks into DER, in order. */
export function parsePemCertificates(text: string): IntakeStep<Uint8Array[]> {
  const certificates: Uint8Array[] = [];
  let position = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, position);
    const gap = text.slice(position, begin === -1 ? text.length : begin);
    if (gap.trim() !== '')
      return stepFail('forwarded-certificate-malformed-pem', 'text outside the CERTIFICATE blocks');
    if (begin === -1) break;
    const bodyStart = begin + BEGIN.length;
    const end = text.indexOf(END, bodyStart);
    if (end === -1) return stepFail('forwarded-certificate-malformed-pem', 'BEGIN CERTIFICATE without END CERTIFICATE');
    const body = text.slice(bodyStart, end).replace(/\s+/g, '');
    if (body.includes('-')) return stepFail('forwarded-certificate-malformed-pem', 'unbalanced or nested armour');
    if (body === '') return stepFail('forwarded-certificate-malformed-pem', 'empty CERTIFICATE block');
    const bytes = decodeStrictBase64(body);
    if (!bytes.ok) return bytes;
    const der = checkDerSequence(bytes.value);
    if (!der.ok) return der;
    certificates.push(der.value);
    position = end + END.length;
  }
  if (certificates.length === 0) return stepFail('forwarded-certificate-malformed-pem', 'no BEGIN CERTIFICATE armour');
  return stepOk(certificates);
}

/** Encodes DER as a PEM CERTIFICATE block with 64-character lines and a final newline. */
export function encodePemCertificate(der: Uint8Array): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}
