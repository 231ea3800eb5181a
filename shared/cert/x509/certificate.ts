/**
 * X.509 certificate decoding (RFC 5280 §4.1) into a plain struct. asn1js provides the TLV
 * structure (via ./derNodes.js); node:crypto turns the SPKI into a KeyObject, lazily, because
 * only certificates that end up in a candidate path need a key.
 * May import: node:crypto, ./derNodes.js, ./asn1Time.js, ./names.js, ./extensions.js.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readTime } from './asn1Time.js';
import {
  DerStructureError,
  UniversalTag,
  decodeDer,
  expectUniversal,
  integerContent,
  isContextTag,
  readBitString,
  readObjectIdentifier,
  readSmallInteger,
  toHex,
  type DerNode,
} from './derNodes.js';
import { decodeExtensions, type CertificateExtensions } from './extensions.js';
import { decodeDistinguishedName, type DistinguishedName } from './names.js';
import { messageOf } from '../../errors.js';

/** An AlgorithmIdentifier. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  /** DER of the parameters, when present (NULL is kept as `0500`). */
  readonly parameters: Uint8Array | undefined;
  /** DER of the whole AlgorithmIdentifier, for exact comparison. */
  readonly der: Uint8Array;
}

/** SubjectPublicKeyInfo with a lazily created node:crypto key. */
export interface SubjectPublicKeyInfo {
  readonly der: Uint8Array;
  readonly algorithm: AlgorithmIdentifier;
  /** The raw subjectPublicKey bits. */
  readonly keyBytes: Uint8Array;
  /** The key as a KeyObject, or undefined when node:crypto cannot load it (unsupported or invalid key). */
  publicKey(): KeyObject | undefined;
}

/** A decoded certificate. Dates are absolute instants; names carry raw, comparable and readable forms. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly tbsDer: Uint8Array;
  /** X.509 version number (1, 2 or 3). */
  readonly version: number;
  /** Serial number as lowercase hex of its two's-complement content octets. */
  readonly serialNumber: string;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signatureValue: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  readonly extensions: CertificateExtensions;
}

/** Why a certificate could not be decoded. */
export interface CertificateParseFailure {
  readonly reason: 'certificate-malformed';
  readonly detail: string;
}

/** Decode an AlgorithmIdentifier node. */
export function decodeAlgorithmIdentifier(node: DerNode | undefined, what: string): AlgorithmIdentifier {
  const sequence = expectUniversal(node, UniversalTag.sequence, what);
  const [oidNode, parametersNode] = sequence.children;
  if (sequence.children.length > 2) throw new DerStructureError(`${what}: trailing fields`);
  return {
    oid: readObjectIdentifier(oidNode, `${what} oid`),
    parameters: parametersNode?.encoded,
    der: sequence.encoded,
  };
}

function decodeSubjectPublicKeyInfo(node: DerNode | undefined): SubjectPublicKeyInfo {
  const sequence = expectUniversal(node, UniversalTag.sequence, 'subjectPublicKeyInfo');
  if (sequence.children.length !== 2) throw new DerStructureError('subjectPublicKeyInfo: arity');
  const algorithm = decodeAlgorithmIdentifier(sequence.children[0], 'subjectPublicKeyInfo algorithm');
  const { bytes: keyBytes } = readBitString(sequence.children[1], 'subjectPublicKey');
  const der = sequence.encoded;
  let loaded = false;
  let key: KeyObject | undefined;
  return {
    der,
    algorithm,
    keyBytes,
    publicKey(): KeyObject | undefined {
      if (!loaded) {
        loaded = true;
        try {
          key = createPublicKey({
            key: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
            format: 'der',
            type: 'spki',
          });
        } catch {
          key = undefined;
        }
      }
      return key;
    },
  };
}

function decodeCertificateStructure(der: Uint8Array): ParsedCertificate {
  const certificate = expectUniversal(decodeDer(der), UniversalTag.sequence, 'certificate');
  if (certificate.children.length !== 3) throw new DerStructureError('certificate: arity');
  const [tbs, outerAlgorithmNode, signatureNode] = certificate.children as [DerNode, DerNode, DerNode];
  expectUniversal(tbs, UniversalTag.sequence, 'tbsCertificate');
  const fields = [...tbs.children];
  let version = 1;
  if (isContextTag(fields[0], 0)) {
    const versionNode = fields.shift();
    const inner = versionNode?.children[0];
    if (versionNode?.children.length !== 1) throw new DerStructureError('version: arity');
    const value = readSmallInteger(expectUniversal(inner, UniversalTag.integer, 'version').content, 'version');
    if (value === 0) throw new DerStructureError('version: explicit default v1');
    if (value > 2) throw new DerStructureError('version: unknown');
    version = value + 1;
  }
  const serialNode = expectUniversal(fields.shift(), UniversalTag.integer, 'serialNumber');
  const serialNumber = toHex(integerContent(serialNode.content, 'serialNumber'));
  const innerAlgorithm = decodeAlgorithmIdentifier(fields.shift(), 'tbs signature');
  const issuerNode = fields.shift();
  if (issuerNode === undefined) throw new DerStructureError('issuer: missing');
  const issuer = decodeDistinguishedName(issuerNode);
  const validity = expectUniversal(fields.shift(), UniversalTag.sequence, 'validity');
  if (validity.children.length !== 2) throw new DerStructureError('validity: arity');
  const notBefore = readTime(validity.children[0], 'notBefore');
  const notAfter = readTime(validity.children[1], 'notAfter');
  const subjectNode = fields.shift();
  if (subjectNode === undefined) throw new DerStructureError('subject: missing');
  const subject = decodeDistinguishedName(subjectNode);
  const subjectPublicKeyInfo = decodeSubjectPublicKeyInfo(fields.shift());
  let extensions: CertificateExtensions = { unknown: [], present: [] };
  let lastTag = 0;
  for (const field of fields) {
    if (field.tagClass !== 'context' || field.tag <= lastTag || field.tag > 3)
      throw new DerStructureError('tbsCertificate: unexpected field');
    lastTag = field.tag;
    if (field.tag === 3) {
      if (version !== 3) throw new DerStructureError('extensions in a non-v3 certificate');
      if (field.children.length !== 1 || field.children[0] === undefined)
        throw new DerStructureError('extensions: wrapper');
      extensions = decodeExtensions(field.children[0]);
    } else if (version === 1) {
      throw new DerStructureError('unique identifiers in a v1 certificate');
    }
  }
  const signatureAlgorithm = decodeAlgorithmIdentifier(outerAlgorithmNode, 'signatureAlgorithm');
  if (!Buffer.from(signatureAlgorithm.der).equals(Buffer.from(innerAlgorithm.der))) {
    throw new DerStructureError('signatureAlgorithm differs from tbsCertificate.signature');
  }
  const { unusedBits, bytes: signatureValue } = readBitString(signatureNode, 'signatureValue');
  if (unusedBits !== 0) throw new DerStructureError('signatureValue: unused bits');
  return {
    der: certificate.encoded,
    tbsDer: tbs.encoded,
    version,
    serialNumber,
    signatureAlgorithm,
    signatureValue,
    issuer,
    subject,
    notBefore,
    notAfter,
    subjectPublicKeyInfo,
    extensions,
  };
}

/**
 * Decode one DER certificate. Never throws: malformed input gives a `certificate-malformed`
 * failure with a detail for the admin trace.
 */
export function parseCertificateDer(der: Uint8Array): ParsedCertificate | CertificateParseFailure {
  try {
    return decodeCertificateStructure(der);
  } catch (error) {
    if (error instanceof DerStructureError) return { reason: 'certificate-malformed', detail: error.message };
    return { reason: 'certificate-malformed', detail: `unexpected decoding failure: ${messageOf(error)}` };
  }
}

/** Whether a parse result is a failure. */
export function isCertificateParseFailure(
  value: ParsedCertificate | CertificateParseFailure,
): value is CertificateParseFailure {
  return 'reason' in value;
}
