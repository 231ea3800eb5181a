/**
 * Azure Front Door Premium, mutual TLS (preview) (`front-door`): X-Azure-ClientCertificate with
 * the client certificate, X-Azure-ClientCertificate-Verify with the verdict, X-Azure-FDID with the
 * profile id (part of the proof). The certificate encoding is undocumented while in preview, so it
 * is read defensively: URL-encoded PEM, PEM with folded newlines, or base64 DER.
 * May import: the format contract, the shared format encodings, the PEM and percent decoders.
 */
import { base64Der, leafFirst, urlEncodedPemOf, withCertificate, type Decoded } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';
import { stepOk } from '../intakeStep.js';
import { decodePercentEncoded } from '../percentDecoding.js';
import { looksLikePem, parsePemCertificates } from '../pemCertificates.js';

function decodeFrontDoor(value: string): Decoded {
  // Encoding undocumented (preview): URL-encoded PEM, PEM with folded newlines, or base64 DER.
  let text = value.trim();
  let encoding = 'PEM';
  if (text.includes('%')) {
    const decoded = decodePercentEncoded(text);
    if (!decoded.ok) return decoded;
    text = decoded.value;
    encoding = 'URL-encoded PEM';
  }
  if (looksLikePem(text)) {
    const certificates = parsePemCertificates(text);
    return certificates.ok ? leafFirst(certificates.value, encoding) : certificates;
  }
  const der = base64Der(text.replace(/\s+/g, ''));
  return der.ok ? stepOk({ leaf: der.value, chain: [], encoding: 'base64 DER' }) : der;
}

/** The Front Door format. */
export const frontDoorFormat = defineGatewayFormat({
  kind: 'front-door',
  docs: 'Azure Front Door Premium mTLS (preview): X-Azure-ClientCertificate (URL-encoded PEM, PEM or base64 DER, read defensively), verdict in X-Azure-ClientCertificate-Verify, profile id in X-Azure-FDID.',
  headers: {
    certificate: 'X-Azure-ClientCertificate',
    verification: 'X-Azure-ClientCertificate-Verify',
    frontDoorId: 'X-Azure-FDID',
  },
  // URL-encoded PEM, folded PEM or base64 DER: none holds a comma.
  repeatRules: { certificate: 'single-value', verification: 'verdict' },
  decode: (values) => withCertificate(values.certificate, decodeFrontDoor),
  encode: (leafDer) => ({ certificate: urlEncodedPemOf([leafDer]) }),
});
