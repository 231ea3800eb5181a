/**
 * AWS Application Load Balancer, mutual TLS (`aws-alb`): passthrough mode sends
 * X-Amzn-Mtls-Clientcert (URL-encoded PEM of the whole chain, leaf first, `+` `=` `/` unescaped);
 * verify mode sends X-Amzn-Mtls-Clientcert-Leaf (the leaf alone, same encoding). When both arrive
 * they must agree on the leaf.
 * May import: the format contract, the shared format encodings.
 */
import { bytesEqual, exactlyOne, leafFirst, urlEncodedPem, urlEncodedPemOf, type Decoded } from '../formatEncodings.js';
import { defineGatewayFormat, type CertificateHeaderValues } from '../gatewayFormat.js';
import { stepFail, stepOk } from '../intakeStep.js';

function decodeAwsAlb({ certificate: chainValue, leaf: leafValue }: CertificateHeaderValues): Decoded {
  const leafHeader = leafValue == null ? undefined : urlEncodedPem(leafValue);
  if (leafHeader && !leafHeader.ok) return leafHeader;
  const leafFromLeafHeader = leafHeader ? exactlyOne(leafHeader.value, 'the leaf header') : undefined;
  if (leafFromLeafHeader && !leafFromLeafHeader.ok) return leafFromLeafHeader;
  if (chainValue == null) {
    return leafFromLeafHeader
      ? stepOk({ leaf: leafFromLeafHeader.value, chain: [], encoding: 'URL-encoded PEM (leaf header)' })
      : stepFail('forwarded-certificate-empty', 'no certificate');
  }
  const chain = urlEncodedPem(chainValue);
  if (!chain.ok) return chain;
  const decoded = leafFirst(chain.value, 'URL-encoded PEM chain');
  if (decoded.ok && leafFromLeafHeader && !bytesEqual(decoded.value.leaf, leafFromLeafHeader.value)) {
    return stepFail(
      'forwarded-certificate-multiple-leaves',
      'the leaf header and the first certificate of the chain header differ',
    );
  }
  return decoded;
}

/** The AWS ALB format. */
export const awsAlbFormat = defineGatewayFormat({
  kind: 'aws-alb',
  docs: 'AWS Application Load Balancer mTLS: URL-encoded PEM chain (leaf first) in X-Amzn-Mtls-Clientcert, the leaf alone in X-Amzn-Mtls-Clientcert-Leaf; they must agree.',
  headers: { certificate: 'X-Amzn-Mtls-Clientcert', leaf: 'X-Amzn-Mtls-Clientcert-Leaf' },
  // URL-encoded PEM, chain and leaf.
  repeatRules: { certificate: 'single-value', leaf: 'single-value' },
  decode: decodeAwsAlb,
  encode: (leafDer, chainDer) => ({ certificate: urlEncodedPemOf([leafDer, ...chainDer]) }),
});
