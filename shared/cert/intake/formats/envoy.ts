/**
 * Envoy (`envoy`): x-forwarded-client-cert (XFCC) with `forward_client_cert_details:
 * SANITIZE_SET` and `set_current_client_cert_details: { cert: true, chain: true }`: elements
 * separated by ",", each `Key=value` pairs separated by ";", `Cert` the URL-encoded PEM leaf and
 * `Chain` the URL-encoded PEM chain, leaf first. Each Envoy hop appends an element; the gateway's
 * `xfccElement` picks the one describing the client (default the last).
 * May import: the format contract, the shared format encodings, the XFCC parser, node:crypto.
 */
import { createHash } from 'node:crypto';
import { bytesEqual, exactlyOne, leafFirst, urlEncodedPem, withCertificate, type Decoded } from '../formatEncodings.js';
import { defineGatewayFormat, type XfccElementChoice } from '../gatewayFormat.js';
import { stepFail, stepOk, type IntakeStep } from '../intakeStep.js';
import { encodePemCertificate } from '../pemCertificates.js';
import { parseXfcc, quoteXfccValue, type XfccElement } from '../xfccHeader.js';

function chooseXfccElement(elements: XfccElement[], choice: XfccElementChoice): IntakeStep<XfccElement> {
  if (choice === 'only' && elements.length > 1) {
    return stepFail(
      'forwarded-certificate-multiple-leaves',
      `XFCC has ${elements.length} elements where one is expected`,
    );
  }
  const element = choice === 'first' ? elements[0] : elements.at(-1);
  return element ? stepOk(element) : stepFail('forwarded-certificate-empty', 'XFCC has no element');
}

function decodeEnvoy(value: string, choice: XfccElementChoice): Decoded {
  const elements = parseXfcc(value);
  if (!elements.ok) return elements;
  const element = chooseXfccElement(elements.value, choice);
  if (!element.ok) return element;
  const certs = element.value.get('cert') ?? [];
  const chains = element.value.get('chain') ?? [];
  if (certs.length > 1) return stepFail('forwarded-certificate-multiple-leaves', 'XFCC element has more than one Cert');
  if (chains.length > 1)
    return stepFail('forwarded-certificate-duplicate-header', 'XFCC element has more than one Chain');
  const [certValue] = certs;
  const [chainValue] = chains;
  let leaf: Uint8Array | undefined;
  if (certValue !== undefined && certValue !== '') {
    const parsed = urlEncodedPem(certValue);
    if (!parsed.ok) return parsed;
    const one = exactlyOne(parsed.value, 'XFCC Cert');
    if (!one.ok) return one;
    leaf = one.value;
  }
  if (chainValue === undefined || chainValue === '') {
    return leaf
      ? stepOk({ leaf, chain: [], encoding: 'XFCC Cert (URL-encoded PEM)' })
      : stepFail('forwarded-certificate-empty', 'XFCC element has no Cert or Chain');
  }
  // Envoy's Chain is the whole chain, leaf first.
  const chain = urlEncodedPem(chainValue);
  if (!chain.ok) return chain;
  const decoded = leafFirst(chain.value, 'XFCC Chain (URL-encoded PEM)');
  if (decoded.ok && leaf && !bytesEqual(decoded.value.leaf, leaf)) {
    return stepFail('forwarded-certificate-multiple-leaves', 'XFCC Cert and the first certificate of Chain differ');
  }
  return decoded;
}

function encodeEnvoy(leafDer: Uint8Array, chainDer: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(leafDer).digest('hex');
  const parts = [`Hash=${hash}`, `Cert=${quoteXfccValue(encodeURIComponent(encodePemCertificate(leafDer)))}`];
  if (chainDer.length > 0)
    parts.push(
      `Chain=${quoteXfccValue(encodeURIComponent([leafDer, ...chainDer].map(encodePemCertificate).join('')))}`,
    );
  return parts.join(';');
}

/** The Envoy format. */
export const envoyFormat = defineGatewayFormat({
  kind: 'envoy',
  docs: 'Envoy: x-forwarded-client-cert (XFCC), Cert and Chain as URL-encoded PEM, the last element by default (xfccElement).',
  headers: { certificate: 'x-forwarded-client-cert' },
  // XFCC: elements separated by "," (Envoy: appendForwardedClientCert(details, ",")); values quoted.
  repeatRules: { certificate: 'tight-list' },
  decode: (values, settings) =>
    withCertificate(values.certificate, (value) => decodeEnvoy(value, settings.xfccElement ?? 'last')),
  encode: (leafDer, chainDer) => ({ certificate: encodeEnvoy(leafDer, chainDer) }),
});
