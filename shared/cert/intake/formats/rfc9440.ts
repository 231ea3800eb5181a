/**
 * RFC 9440 (`rfc9440`): Client-Cert is an RFC 8941 byte sequence (`:<base64 DER>:`) holding the
 * leaf; Client-Cert-Chain an RFC 8941 list of byte sequences, the chain without the leaf. Used by
 * Azure API Management policies and any gateway that follows the RFC.
 * May import: the format contract, the structured-field and DER shape modules.
 */
import { checkDerSequence } from '../derSequence.js';
import type { Decoded } from '../formatEncodings.js';
import { defineGatewayFormat, type CertificateHeaderValues } from '../gatewayFormat.js';
import { stepFail, stepOk } from '../intakeStep.js';
import { parseByteSequenceItem, parseByteSequenceList, serialiseByteSequence } from '../structuredFieldBytes.js';

function decodeRfc9440({ certificate: certValue, chain: chainValue }: CertificateHeaderValues): Decoded {
  if (certValue == null)
    return stepFail('forwarded-certificate-malformed-encoding', 'Client-Cert-Chain without Client-Cert');
  const leafBytes = parseByteSequenceItem(certValue);
  if (!leafBytes.ok) return leafBytes;
  const leaf = checkDerSequence(leafBytes.value);
  if (!leaf.ok) return leaf;
  const chain: Uint8Array[] = [];
  if (chainValue != null) {
    const members = parseByteSequenceList(chainValue);
    if (!members.ok) return members;
    for (const member of members.value) {
      const der = checkDerSequence(member);
      if (!der.ok) return der;
      chain.push(der.value);
    }
  }
  return stepOk({ leaf: leaf.value, chain, encoding: 'RFC 9440 byte sequences' });
}

/** The RFC 9440 format. */
export const rfc9440Format = defineGatewayFormat({
  kind: 'rfc9440',
  docs: 'RFC 9440 (API Management, any RFC gateway): Client-Cert byte sequence with the leaf, Client-Cert-Chain list with the rest.',
  headers: { certificate: 'Client-Cert', chain: 'Client-Cert-Chain' },
  // Client-Cert is one Item; Client-Cert-Chain a List.
  repeatRules: { certificate: 'single-value', chain: 'structured-list' },
  decode: decodeRfc9440,
  encode: (leafDer, chainDer) => ({
    certificate: serialiseByteSequence(leafDer),
    ...(chainDer.length > 0 ? { chain: chainDer.map(serialiseByteSequence).join(', ') } : {}),
  }),
});
