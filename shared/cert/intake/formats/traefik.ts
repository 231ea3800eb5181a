/**
 * Traefik (`traefik`): the `passTLSClientCert` middleware with `pem: true` sends
 * X-Forwarded-Tls-Client-Cert, the client's certificates as base64 DER (PEM armour stripped)
 * joined with "," (`certSeparator`), leaf first. Older versions query-escaped the base64.
 * May import: the format contract, the shared format encodings, the percent decoder, the X.509
 * decoder (is a list member a CA).
 */
import { isCertificateParseFailure, parseCertificateDer } from '../../x509/index.js';
import { encodeBase64 } from '../base64Der.js';
import { base64Der, leafFirst, withCertificate, type Decoded } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';
import { stepFail } from '../intakeStep.js';
import { decodePercentEncoded } from '../percentDecoding.js';

/**
 * Whether a DER certificate is certainly an end-entity certificate: it decodes, is version 3 (so
 * it could say it is a CA) and has no basicConstraints cA. Undecodable and v1/v2 certificates
 * (old roots without extensions) are not called leaves: the validator judges them.
 */
function certainlyEndEntity(der: Uint8Array): boolean {
  const parsed = parseCertificateDer(der);
  return !isCertificateParseFailure(parsed) && parsed.version === 3 && parsed.extensions.basicConstraints?.ca !== true;
}

function decodeTraefik(value: string): Decoded {
  const certificates: Uint8Array[] = [];
  for (const member of value.split(',')) {
    let text = member.trim();
    if (text === '')
      return stepFail('forwarded-certificate-malformed-encoding', 'empty member in the comma-separated list');
    // Older Traefik versions query-escaped the base64 (%2B, %2F, %3D); base64 itself never holds `%`.
    if (text.includes('%')) {
      const decoded = decodePercentEncoded(text);
      if (!decoded.ok) return decoded;
      text = decoded.value;
    }
    const der = base64Der(text);
    if (!der.ok) return der;
    certificates.push(der.value);
  }
  // Traefik lists the client's certificates leaf first, then the CAs it sent. An end-entity
  // certificate after the first is a second leaf: a repeated header joined with "," (the
  // Functions host's join), which the repeat rule cannot see by syntax.
  const secondLeaf = certificates.findIndex((certificate, index) => index > 0 && certainlyEndEntity(certificate));
  if (secondLeaf > 0) {
    return stepFail(
      'forwarded-certificate-multiple-leaves',
      `member ${secondLeaf + 1} of ${certificates.length} is an end-entity certificate, not a CA: two leaves (a repeated header joined with ",")`,
    );
  }
  return leafFirst(certificates, 'base64 DER list');
}

/** The Traefik format. */
export const traefikFormat = defineGatewayFormat({
  kind: 'traefik',
  docs: 'Traefik passTLSClientCert (pem: true): base64 DER certificates joined with "," in X-Forwarded-Tls-Client-Cert, leaf first.',
  headers: { certificate: 'X-Forwarded-Tls-Client-Cert' },
  // base64 DER members joined with certSeparator "," (traefik pass_tls_client_cert.go), leaf first.
  repeatRules: { certificate: 'tight-list' },
  decode: (values) => withCertificate(values.certificate, decodeTraefik),
  encode: (leafDer, chainDer) => ({ certificate: [leafDer, ...chainDer].map(encodeBase64).join(',') }),
});
