/**
 * Cloudflare (`cloudflare`): with client certificate forwarding on, Cloudflare sends the leaf as
 * base64 DER in Cf-Client-Cert-Der-Base64. No chain, no verdict header.
 * May import: the format contract, the shared format encodings, base64.
 */
import { encodeBase64 } from '../base64Der.js';
import { decodeBase64DerLeaf } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';

/** The Cloudflare format. */
export const cloudflareFormat = defineGatewayFormat({
  kind: 'cloudflare',
  docs: 'Cloudflare (client certificate forwarding): base64 DER leaf in Cf-Client-Cert-Der-Base64, no verdict.',
  headers: { certificate: 'Cf-Client-Cert-Der-Base64' },
  // base64 DER.
  repeatRules: { certificate: 'single-value' },
  decode: (values) => decodeBase64DerLeaf(values.certificate),
  encode: (leafDer) => ({ certificate: encodeBase64(leafDer) }),
});
