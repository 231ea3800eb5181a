/**
 * Decoding of each gateway kind's certificate headers into DER: the leaf and any chain the
 * gateway forwards (leaf excluded). Header values arrive already size-checked and checked against
 * the repeat rule (repeatedHeaders.ts); this module knows the encodings and which formats carry
 * exactly one leaf.
 * May import: intake types, the encoding modules, the X.509 decoder (is a Traefik member a CA).
 */
import { isCertificateParseFailure, parseCertificateDer } from '../x509/index.js';
import { decodeStrictBase64 } from './base64Der.js';
import { checkDerSequence } from './derSequence.js';
import { decodePercentEncoded } from './percentDecoding.js';
import { looksLikePem, parsePemCertificates } from './pemCertificates.js';
import { parseByteSequenceItem, parseByteSequenceList } from './structuredFieldBytes.js';
import { stepFail, stepOk, type GatewayConfig, type HeaderRole, type IntakeStep, type XfccElementChoice } from './types.js';
import { parseXfcc, type XfccElement } from './xfccHeader.js';

/** The certificate-bearing header values of one request, by role (null: header absent). */
export type CertificateHeaderValues = Readonly<Partial<Record<HeaderRole, string | null>>>;

/** Decoded certificates with a note on how they were read. */
export interface DecodedCertificates {
  readonly leaf: Uint8Array;
  readonly chain: Uint8Array[];
  readonly encoding: string;
}

type Decoded = IntakeStep<DecodedCertificates>;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function urlEncodedPem(value: string): IntakeStep<Uint8Array[]> {
  const text = decodePercentEncoded(value);
  return text.ok ? parsePemCertificates(text.value) : text;
}

function base64Der(value: string): IntakeStep<Uint8Array> {
  const bytes = decodeStrictBase64(value.trim());
  return bytes.ok ? checkDerSequence(bytes.value) : bytes;
}

function exactlyOne(certificates: Uint8Array[], what: string): IntakeStep<Uint8Array> {
  const [leaf] = certificates;
  if (leaf === undefined) return stepFail('forwarded-certificate-empty', `${what} carries no certificate`);
  if (certificates.length > 1) return stepFail('forwarded-certificate-multiple-leaves', `${what} carries ${certificates.length} certificates where one leaf is expected`);
  return stepOk(leaf);
}

function leafFirst(certificates: Uint8Array[], encoding: string): Decoded {
  const [leaf, ...chain] = certificates;
  return leaf === undefined ? stepFail('forwarded-certificate-empty', 'no certificate') : stepOk({ leaf, chain, encoding });
}

function leafOnly(certificates: IntakeStep<Uint8Array[]>, encoding: string, what: string): Decoded {
  if (!certificates.ok) return certificates;
  const leaf = exactlyOne(certificates.value, what);
  return leaf.ok ? stepOk({ leaf: leaf.value, chain: [], encoding }) : leaf;
}

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
    if (text === '') return stepFail('forwarded-certificate-malformed-encoding', 'empty member in the comma-separated list');
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
    return stepFail('forwarded-certificate-multiple-leaves', `member ${secondLeaf + 1} of ${certificates.length} is an end-entity certificate, not a CA: two leaves (a repeated header joined with ",")`);
  }
  return leafFirst(certificates, 'base64 DER list');
}

function decodeAwsAlb(chainValue: string | null | undefined, leafValue: string | null | undefined): Decoded {
  const leafHeader = leafValue == null ? undefined : urlEncodedPem(leafValue);
  if (leafHeader && !leafHeader.ok) return leafHeader;
  const leafFromLeafHeader = leafHeader ? exactlyOne(leafHeader.value, 'the leaf header') : undefined;
  if (leafFromLeafHeader && !leafFromLeafHeader.ok) return leafFromLeafHeader;
  if (chainValue == null) {
    return leafFromLeafHeader ? stepOk({ leaf: leafFromLeafHeader.value, chain: [], encoding: 'URL-encoded PEM (leaf header)' }) : stepFail('forwarded-certificate-empty', 'no certificate');
  }
  const chain = urlEncodedPem(chainValue);
  if (!chain.ok) return chain;
  const decoded = leafFirst(chain.value, 'URL-encoded PEM chain');
  if (decoded.ok && leafFromLeafHeader && !bytesEqual(decoded.value.leaf, leafFromLeafHeader.value)) {
    return stepFail('forwarded-certificate-multiple-leaves', 'the leaf header and the first certificate of the chain header differ');
  }
  return decoded;
}

function chooseXfccElement(elements: XfccElement[], choice: XfccElementChoice): IntakeStep<XfccElement> {
  if (choice === 'only' && elements.length > 1) {
    return stepFail('forwarded-certificate-multiple-leaves', `XFCC has ${elements.length} elements where one is expected`);
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
  if (chains.length > 1) return stepFail('forwarded-certificate-duplicate-header', 'XFCC element has more than one Chain');
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
    return leaf ? stepOk({ leaf, chain: [], encoding: 'XFCC Cert (URL-encoded PEM)' }) : stepFail('forwarded-certificate-empty', 'XFCC element has no Cert or Chain');
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

function decodeRfc9440(certValue: string | null | undefined, chainValue: string | null | undefined): Decoded {
  if (certValue == null) return stepFail('forwarded-certificate-malformed-encoding', 'Client-Cert-Chain without Client-Cert');
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

/** Decodes the certificate headers of one gateway kind. */
export function decodeCertificateHeaders(gateway: GatewayConfig, values: CertificateHeaderValues): Decoded {
  const certificate = values.certificate;
  switch (gateway.kind) {
    case 'app-gateway':
    case 'nginx':
      return certificate == null ? stepFail('forwarded-certificate-empty', 'no certificate') : leafOnly(urlEncodedPem(certificate), 'URL-encoded PEM', 'the certificate header');
    case 'front-door':
      return certificate == null ? stepFail('forwarded-certificate-empty', 'no certificate') : decodeFrontDoor(certificate);
    case 'app-service':
    case 'cloudflare': {
      if (certificate == null) return stepFail('forwarded-certificate-empty', 'no certificate');
      const der = base64Der(certificate);
      return der.ok ? stepOk({ leaf: der.value, chain: [], encoding: 'base64 DER' }) : der;
    }
    case 'traefik':
      return certificate == null ? stepFail('forwarded-certificate-empty', 'no certificate') : decodeTraefik(certificate);
    case 'aws-alb':
      return decodeAwsAlb(certificate, values.leaf);
    case 'envoy':
      return certificate == null ? stepFail('forwarded-certificate-empty', 'no certificate') : decodeEnvoy(certificate, gateway.xfccElement ?? 'last');
    case 'rfc9440':
      return decodeRfc9440(certificate, values.chain);
  }
}
