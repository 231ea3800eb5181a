/**
 * The encodings several gateway formats share, both ways: URL-encoded PEM (nginx
 * `$ssl_client_escaped_cert` grammar), base64 DER, and the leaf-count rules (a leaf-only header
 * carries exactly one certificate; a list is leaf first). The format files compose these; a
 * format with an encoding of its own keeps it in its file.
 * May import: intakeStep.ts, the format contract (types), the encoding modules.
 */
import { decodeStrictBase64 } from './base64Der.js';
import { checkDerSequence } from './derSequence.js';
import type { DecodedCertificates } from './gatewayFormat.js';
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';
import { decodePercentEncoded, encodePercentNginxStyle } from './percentDecoding.js';
import { encodePemCertificate, parsePemCertificates } from './pemCertificates.js';

/** A decoder's result. */
export type Decoded = IntakeStep<DecodedCertificates>;

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** The `forwarded-certificate-empty` result when a format's main header is absent, else its decoding. */
export function withCertificate(value: string | null | undefined, decode: (value: string) => Decoded): Decoded {
  return value == null ? stepFail('forwarded-certificate-empty', 'no certificate') : decode(value);
}

/** URL-encoded PEM → the certificates it holds. */
export function urlEncodedPem(value: string): IntakeStep<Uint8Array[]> {
  const text = decodePercentEncoded(value);
  return text.ok ? parsePemCertificates(text.value) : text;
}

/** Base64 text (surrounding whitespace ignored) → one DER SEQUENCE. */
export function base64Der(value: string): IntakeStep<Uint8Array> {
  const bytes = decodeStrictBase64(value.trim());
  return bytes.ok ? checkDerSequence(bytes.value) : bytes;
}

/** The one certificate of a leaf-only value; none is `empty`, several are `multiple-leaves`. */
export function exactlyOne(certificates: Uint8Array[], what: string): IntakeStep<Uint8Array> {
  const [leaf] = certificates;
  if (leaf === undefined) return stepFail('forwarded-certificate-empty', `${what} carries no certificate`);
  if (certificates.length > 1)
    return stepFail(
      'forwarded-certificate-multiple-leaves',
      `${what} carries ${certificates.length} certificates where one leaf is expected`,
    );
  return stepOk(leaf);
}

/** A list read leaf first. */
export function leafFirst(certificates: Uint8Array[], encoding: string): Decoded {
  const [leaf, ...chain] = certificates;
  return leaf === undefined
    ? stepFail('forwarded-certificate-empty', 'no certificate')
    : stepOk({ leaf, chain, encoding });
}

/** A leaf-only value: exactly one certificate, no chain. */
export function leafOnly(certificates: IntakeStep<Uint8Array[]>, encoding: string, what: string): Decoded {
  if (!certificates.ok) return certificates;
  const leaf = exactlyOne(certificates.value, what);
  return leaf.ok ? stepOk({ leaf: leaf.value, chain: [], encoding }) : leaf;
}

/** The main header as URL-encoded PEM of the leaf alone (App Gateway, nginx). */
export function decodeUrlEncodedPemLeaf(value: string | null | undefined): Decoded {
  return withCertificate(value, (text) => leafOnly(urlEncodedPem(text), 'URL-encoded PEM', 'the certificate header'));
}

/** The main header as base64 DER of the leaf alone (App Service, Cloudflare). */
export function decodeBase64DerLeaf(value: string | null | undefined): Decoded {
  return withCertificate(value, (text) => {
    const der = base64Der(text);
    return der.ok ? stepOk({ leaf: der.value, chain: [], encoding: 'base64 DER' }) : der;
  });
}

/** Certificates (DER) as URL-encoded PEM, nginx style (`+`, `=`, `/` left as they are). */
export function urlEncodedPemOf(certificates: readonly Uint8Array[]): string {
  return encodePercentNginxStyle(certificates.map(encodePemCertificate).join(''));
}
