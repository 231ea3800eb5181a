/**
 * Azure App Service / Functions client certificates (`app-service`): the platform terminates
 * TLS and forwards the leaf as base64 DER in X-ARR-ClientCert. No chain, no verdict (App Service
 * does not validate the certificate).
 * May import: the format contract, the shared format encodings, base64.
 */
import { encodeBase64 } from '../base64Der.js';
import { decodeBase64DerLeaf } from '../formatEncodings.js';
import { defineGatewayFormat } from '../gatewayFormat.js';

/** The App Service format. */
export const appServiceFormat = defineGatewayFormat({
  kind: 'app-service',
  docs: 'Azure App Service / Functions client certificates: base64 DER leaf in X-ARR-ClientCert, no verdict.',
  headers: { certificate: 'X-ARR-ClientCert' },
  // base64 DER.
  repeatRules: { certificate: 'single-value' },
  decode: (values) => decodeBase64DerLeaf(values.certificate),
  encode: (leafDer) => ({ certificate: encodeBase64(leafDer) }),
});
