/**
 * nginx (`nginx`): `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert` (URL-encoded
 * PEM of the leaf) and `X-SSL-Client-Verify $ssl_client_verify` (SUCCESS / NONE / FAILED:<reason>).
 * No chain.
 * May import: the format contract, the shared format encodings.
 */
import { decodeUrlEncodedPemLeaf, urlEncodedPemOf } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';

/** The nginx format. */
export const nginxFormat = defineGatewayFormat({
  kind: 'nginx',
  docs: 'nginx: $ssl_client_escaped_cert (URL-encoded PEM leaf) in X-SSL-Client-Cert, $ssl_client_verify in X-SSL-Client-Verify.',
  headers: { certificate: 'X-SSL-Client-Cert', verification: 'X-SSL-Client-Verify' },
  // $ssl_client_escaped_cert escapes a comma; the verdict is nginx's.
  repeatRules: { certificate: 'single-value', verification: 'verdict' },
  decode: (values) => decodeUrlEncodedPemLeaf(values.certificate),
  encode: (leafDer) => ({ certificate: urlEncodedPemOf([leafDer]) }),
});
