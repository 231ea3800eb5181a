/**
 * HAProxy (`haproxy`): `http-request set-header` lines on the mTLS frontend, each a single value:
 *   X-SSL-Client-DER       %[ssl_c_der,base64]        the leaf, base64 DER
 *   X-SSL-Client-Chain-DER %[ssl_c_chain_der,base64]  the client's other certificates (HAProxy 2.3+),
 *                                                     concatenated DER, base64; leaf excluded
 *   X-SSL-Client-Verify    %[ssl_c_verify]            OpenSSL's verify result: 0 = ok, else the
 *                                                     X509_V_ERR code
 * all conditional on `{ ssl_c_used }`: OpenSSL reports 0 also when no certificate was sent, so
 * without the condition a certificate-less request carries an empty leaf and a "0" verdict.
 * May import: the format contract, the shared format encodings, the DER shape check, base64, node:buffer.
 */
import { Buffer } from 'node:buffer';
import { decodeStrictBase64, encodeBase64 } from '../base64Der.js';
import { checkDerSequence } from '../derSequence.js';
import { base64Der, bytesEqual, withCertificate, type Decoded } from '../formatEncodings.js';
import {
  defineGatewayFormat,
  type CertificateHeaderValues,
  type GatewayVerification,
  type VerificationCodec,
} from '../gatewayFormat.js';
import { stepFail, stepOk, type IntakeStep } from '../intakeStep.js';

/** The length of the DER element at `offset` (tag, length octets, content), or undefined when it does not fit. */
function derElementLength(bytes: Uint8Array, offset: number): number | undefined {
  const first = bytes[offset + 1];
  if (first === undefined) return undefined;
  let headerLength = 2;
  let contentLength = first;
  if (first >= 0x80) {
    // Long form; a certificate never needs more than 4 length octets (checkDerSequence enforces minimality).
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    contentLength = 0;
    for (let index = 0; index < octets; index++) {
      const octet = bytes[offset + 2 + index];
      if (octet === undefined) return undefined;
      contentLength = contentLength * 256 + octet;
    }
    headerLength += octets;
  }
  const total = headerLength + contentLength;
  return offset + total <= bytes.length ? total : undefined;
}

/** `ssl_c_chain_der`: certificates back to back, each one strict DER SEQUENCE. */
function concatenatedDer(value: string): IntakeStep<Uint8Array[]> {
  const bytes = decodeStrictBase64(value.trim());
  if (!bytes.ok) return bytes;
  const certificates: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.value.length;) {
    const length = derElementLength(bytes.value, offset);
    if (length === undefined)
      return stepFail('forwarded-certificate-not-der', `chain: no complete DER element at byte ${offset}`);
    const certificate = checkDerSequence(bytes.value.slice(offset, offset + length));
    if (!certificate.ok) return certificate;
    certificates.push(certificate.value);
    offset += length;
  }
  return stepOk(certificates);
}

function decodeHaproxy({ certificate, chain: chainValue }: CertificateHeaderValues): Decoded {
  return withCertificate(certificate, (value) => {
    const leaf = base64Der(value);
    if (!leaf.ok) return leaf;
    if (chainValue == null) return stepOk({ leaf: leaf.value, chain: [], encoding: 'base64 DER' });
    const chain = concatenatedDer(chainValue);
    if (!chain.ok) return chain;
    // The server side of OpenSSL leaves the leaf out of the peer chain; should it be there, it is not a chain
    // certificate.
    const [first, ...rest] = chain.value;
    const withoutLeaf = first !== undefined && bytesEqual(first, leaf.value) ? rest : chain.value;
    return stepOk({ leaf: leaf.value, chain: withoutLeaf, encoding: 'base64 DER, chain as concatenated DER' });
  });
}

/** OpenSSL's X509_V_ERR codes as `X509_verify_cert_error_string` names them (the ones a client certificate meets). */
const VERIFY_ERRORS: ReadonlyMap<number, string> = new Map([
  [1, 'unspecified certificate verification error'],
  [2, 'unable to get issuer certificate'],
  [3, 'unable to get certificate CRL'],
  [4, "unable to decrypt certificate's signature"],
  [7, 'certificate signature failure'],
  [8, 'CRL signature failure'],
  [9, 'certificate is not yet valid'],
  [10, 'certificate has expired'],
  [11, 'CRL is not yet valid'],
  [12, 'CRL has expired'],
  [18, 'self-signed certificate'],
  [19, 'self-signed certificate in certificate chain'],
  [20, 'unable to get local issuer certificate'],
  [21, 'unable to verify the first certificate'],
  [22, 'certificate chain too long'],
  [23, 'certificate revoked'],
  [24, 'invalid CA certificate'],
  [26, 'unsupported certificate purpose'],
  [27, 'certificate not trusted'],
  [28, 'certificate rejected'],
]);
const UNSPECIFIED = 1;

/** `%[ssl_c_verify]`: a non-negative integer, 0 = ok. */
const OPENSSL_VERIFY_RESULT: VerificationCodec = {
  parse(value) {
    const text = value.trim();
    if (!/^\d{1,10}$/.test(text))
      return stepFail(
        'forwarded-certificate-verification-unrecognised',
        'verification header is not an OpenSSL verify result (an integer, 0 = ok)',
      );
    const code = Number(text);
    if (code === 0) return stepOk({ status: 'success' });
    const name = VERIFY_ERRORS.get(code);
    return stepOk({ status: 'failed', detail: name ? `${code} (${name})` : String(code) });
  },
  format(verification: GatewayVerification) {
    switch (verification.status) {
      case 'success':
        return '0';
      case 'failed':
        return String(verifyCodeOf(verification.detail));
      case 'none':
      case 'not-provided':
        // Sent only `if { ssl_c_used }`: no certificate, no header.
        return undefined;
    }
  },
};

/** The X509_V_ERR code of a failure reason given as a code ("10 (…)") or as OpenSSL's message (what Node reports). */
function verifyCodeOf(detail: string | undefined): number {
  const text = (detail ?? '')
    .trim()
    .toLowerCase()
    .replace(/^self signed/, 'self-signed');
  const leading = Number(/^(\d+)\b/.exec(text)?.[1] ?? 0);
  if (leading > 0) return leading;
  for (const [code, name] of VERIFY_ERRORS) if (text === name.toLowerCase()) return code;
  return UNSPECIFIED;
}

/** The HAProxy format. */
export const haproxyFormat = defineGatewayFormat({
  kind: 'haproxy',
  docs: 'HAProxy: %[ssl_c_der,base64] (the leaf) in X-SSL-Client-DER, %[ssl_c_chain_der,base64] in X-SSL-Client-Chain-DER, %[ssl_c_verify] (0 = ok) in X-SSL-Client-Verify.',
  headers: { certificate: 'X-SSL-Client-DER', chain: 'X-SSL-Client-Chain-DER', verification: 'X-SSL-Client-Verify' },
  // base64 never holds a comma, nor does an integer: any comma is a joined repeat.
  repeatRules: { certificate: 'single-value', chain: 'single-value', verification: 'single-value' },
  decode: decodeHaproxy,
  encode: (leafDer, chainDer) => ({
    certificate: encodeBase64(leafDer),
    ...(chainDer.length > 0 ? { chain: encodeBase64(Buffer.concat(chainDer)) } : {}),
  }),
  verification: OPENSSL_VERIFY_RESULT,
});
