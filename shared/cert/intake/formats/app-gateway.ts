/**
 * Azure Application Gateway v2 (`app-gateway`): a rewrite rule on the mTLS listener sets
 * X-Client-Certificate to `{var_client_certificate}` (URL-encoded PEM of the leaf, nginx grammar:
 * `+`, `=`, `/` may stay unescaped) and X-Client-Certificate-Verification to
 * `{var_client_certificate_verification}` (SUCCESS / NONE / FAILED:<reason>). No chain.
 * May import: the format contract, the shared format encodings.
 */
import { decodeUrlEncodedPemLeaf, urlEncodedPemOf } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';

/** The Application Gateway v2 format. */
export const appGatewayFormat = defineGatewayFormat({
  kind: 'app-gateway',
  docs: 'Azure Application Gateway v2: URL-encoded PEM leaf in X-Client-Certificate (rewrite rule), verdict in X-Client-Certificate-Verification.',
  headers: { certificate: 'X-Client-Certificate', verification: 'X-Client-Certificate-Verification' },
  // URL-encoded PEM (nginx $ssl_client_escaped_cert grammar): a comma would be %2C.
  repeatRules: { certificate: 'single-value', verification: 'verdict' },
  decode: (values) => decodeUrlEncodedPemLeaf(values.certificate),
  encode: (leafDer) => ({ certificate: urlEncodedPemOf([leafDer]) }),
});
