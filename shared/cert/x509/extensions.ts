/**
 * Decoding of the certificate extensions certgate acts on (RFC 5280 §4.2) into plain values,
 * each with its `critical` flag. Unknown extensions are kept by OID. Any malformed known
 * extension, or a duplicate extension, raises DerStructureError (the certificate is malformed).
 * May import: ./derNodes.js, ./generalNames.js, ./names.js, ./oids.js.
 */
import {
  DerStructureError,
  UniversalTag,
  bitStringFromContent,
  decodeDer,
  expectUniversal,
  isContextTag,
  readBitString,
  readBoolean,
  readObjectIdentifier,
  readSmallInteger,
  toHex,
  type DerNode,
} from './derNodes.js';
import {
  decodeGeneralName,
  decodeGeneralNames,
  decodeGeneralSubtrees,
  decodeImplicitGeneralNames,
  type GeneralName,
  type GeneralSubtree,
} from './generalNames.js';
import { decodeDistinguishedName, type NameAttribute } from './names.js';
import { AccessMethodOid, ExtensionOid } from './oids.js';

/** keyUsage bit names in bit order. */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** A keyUsage bit name. */
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

interface Flagged {
  readonly critical: boolean;
}

/** basicConstraints. */
export interface BasicConstraints extends Flagged {
  readonly ca: boolean;
  readonly pathLength: number | undefined;
}
/** keyUsage. */
export interface KeyUsage extends Flagged {
  readonly usages: ReadonlySet<KeyUsageName>;
}
/** extKeyUsage. */
export interface ExtendedKeyUsage extends Flagged {
  readonly purposes: readonly string[];
}
/** subjectAltName. */
export interface SubjectAltName extends Flagged {
  readonly names: readonly GeneralName[];
}
/** subjectKeyIdentifier. */
export interface SubjectKeyIdentifier extends Flagged {
  readonly keyIdentifier: string;
}
/** authorityKeyIdentifier. */
export interface AuthorityKeyIdentifier extends Flagged {
  readonly keyIdentifier: string | undefined;
  readonly authorityCertIssuer: readonly GeneralName[] | undefined;
  readonly authorityCertSerialNumber: string | undefined;
}
/** nameConstraints. */
export interface NameConstraints extends Flagged {
  readonly permitted: readonly GeneralSubtree[];
  readonly excluded: readonly GeneralSubtree[];
}
/** One policy in certificatePolicies. */
export interface PolicyInformation {
  readonly policyIdentifier: string;
  readonly qualifiersHex: string | undefined;
}
/** certificatePolicies. */
export interface CertificatePolicies extends Flagged {
  readonly policies: readonly PolicyInformation[];
}
/** policyConstraints. */
export interface PolicyConstraints extends Flagged {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
}
/** policyMappings. */
export interface PolicyMappings extends Flagged {
  readonly mappings: readonly { readonly issuerDomainPolicy: string; readonly subjectDomainPolicy: string }[];
}
/** inhibitAnyPolicy. */
export interface InhibitAnyPolicy extends Flagged {
  readonly skipCerts: number;
}
/** A DistributionPoint (CRL distribution points, and the CRL issuing distribution point name). */
export interface DistributionPoint {
  readonly fullName: readonly GeneralName[] | undefined;
  readonly nameRelativeToCrlIssuer: readonly NameAttribute[] | undefined;
  readonly reasonsHex: string | undefined;
  readonly crlIssuer: readonly GeneralName[] | undefined;
}
/** cRLDistributionPoints. */
export interface CrlDistributionPoints extends Flagged {
  readonly points: readonly DistributionPoint[];
}
/** authorityInfoAccess. */
export interface AuthorityInfoAccess extends Flagged {
  readonly ocsp: readonly string[];
  readonly caIssuers: readonly string[];
}
/** An extension kept by OID (unknown, or known but not decoded). */
export interface RawExtension extends Flagged {
  readonly oid: string;
  readonly valueHex: string;
}

/** All decoded extensions of a certificate. */
export interface CertificateExtensions {
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: KeyUsage;
  readonly extKeyUsage?: ExtendedKeyUsage;
  readonly subjectAltName?: SubjectAltName;
  readonly subjectKeyIdentifier?: SubjectKeyIdentifier;
  readonly authorityKeyIdentifier?: AuthorityKeyIdentifier;
  readonly nameConstraints?: NameConstraints;
  readonly certificatePolicies?: CertificatePolicies;
  readonly policyConstraints?: PolicyConstraints;
  readonly policyMappings?: PolicyMappings;
  readonly inhibitAnyPolicy?: InhibitAnyPolicy;
  readonly crlDistributionPoints?: CrlDistributionPoints;
  readonly authorityInfoAccess?: AuthorityInfoAccess;
  /** Extensions certgate does not decode, by OID. */
  readonly unknown: readonly RawExtension[];
  /** Every extension OID present, in order, with its critical flag. */
  readonly present: readonly { readonly oid: string; readonly critical: boolean }[];
}

function sequenceOf(der: Uint8Array, what: string): DerNode {
  return expectUniversal(decodeDer(der), UniversalTag.sequence, what);
}

function decodeBasicConstraints(der: Uint8Array, critical: boolean): BasicConstraints {
  const node = sequenceOf(der, 'basicConstraints');
  let ca = false;
  let pathLength: number | undefined;
  let index = 0;
  const first = node.children[index];
  if (first?.tagClass === 'universal' && first.tag === UniversalTag.boolean) {
    ca = readBoolean(first, 'basicConstraints.cA');
    // DER: a DEFAULT value must be omitted.
    if (!ca) throw new DerStructureError('basicConstraints: explicit cA FALSE');
    index += 1;
  }
  const second = node.children[index];
  if (second !== undefined) {
    pathLength = readSmallInteger(
      expectUniversal(second, UniversalTag.integer, 'pathLenConstraint').content,
      'pathLenConstraint',
    );
    index += 1;
  }
  if (index !== node.children.length) throw new DerStructureError('basicConstraints: trailing fields');
  return { critical, ca, pathLength };
}

function decodeKeyUsage(der: Uint8Array, critical: boolean): KeyUsage {
  const { bytes } = readBitString(decodeDer(der), 'keyUsage');
  const usages = new Set<KeyUsageName>();
  KEY_USAGE_NAMES.forEach((name, bit) => {
    const byte = bytes[bit >> 3] ?? 0;
    if (byte & (0x80 >> (bit & 7))) usages.add(name);
  });
  if (usages.size === 0) throw new DerStructureError('keyUsage: no bits set');
  return { critical, usages };
}

function decodeExtKeyUsage(der: Uint8Array, critical: boolean): ExtendedKeyUsage {
  const node = sequenceOf(der, 'extKeyUsage');
  if (node.children.length === 0) throw new DerStructureError('extKeyUsage: empty');
  return { critical, purposes: node.children.map((child) => readObjectIdentifier(child, 'extKeyUsage purpose')) };
}

function decodeAuthorityKeyIdentifier(der: Uint8Array, critical: boolean): AuthorityKeyIdentifier {
  const node = sequenceOf(der, 'authorityKeyIdentifier');
  let keyIdentifier: string | undefined;
  let authorityCertIssuer: GeneralName[] | undefined;
  let authorityCertSerialNumber: string | undefined;
  for (const field of node.children) {
    if (isContextTag(field, 0) && !field.constructed) keyIdentifier = toHex(field.content);
    else if (isContextTag(field, 1)) authorityCertIssuer = decodeImplicitGeneralNames(field, 'authorityCertIssuer');
    else if (isContextTag(field, 2) && !field.constructed) authorityCertSerialNumber = toHex(field.content);
    else throw new DerStructureError('authorityKeyIdentifier: unexpected field');
  }
  return { critical, keyIdentifier, authorityCertIssuer, authorityCertSerialNumber };
}

function decodeNameConstraints(der: Uint8Array, critical: boolean): NameConstraints {
  const node = sequenceOf(der, 'nameConstraints');
  let permitted: GeneralSubtree[] = [];
  let excluded: GeneralSubtree[] = [];
  for (const field of node.children) {
    if (isContextTag(field, 0)) permitted = decodeGeneralSubtrees(field);
    else if (isContextTag(field, 1)) excluded = decodeGeneralSubtrees(field);
    else throw new DerStructureError('nameConstraints: unexpected field');
  }
  if (permitted.length === 0 && excluded.length === 0) throw new DerStructureError('nameConstraints: empty');
  return { critical, permitted, excluded };
}

function decodeCertificatePolicies(der: Uint8Array, critical: boolean): CertificatePolicies {
  const node = sequenceOf(der, 'certificatePolicies');
  if (node.children.length === 0) throw new DerStructureError('certificatePolicies: empty');
  const seen = new Set<string>();
  const policies = node.children.map((policyNode) => {
    expectUniversal(policyNode, UniversalTag.sequence, 'policyInformation');
    const [identifierNode, qualifiersNode] = policyNode.children;
    const policyIdentifier = readObjectIdentifier(identifierNode, 'policyIdentifier');
    if (seen.has(policyIdentifier)) throw new DerStructureError('certificatePolicies: duplicate policy');
    seen.add(policyIdentifier);
    if (qualifiersNode !== undefined) expectUniversal(qualifiersNode, UniversalTag.sequence, 'policyQualifiers');
    if (policyNode.children.length > 2) throw new DerStructureError('policyInformation: trailing fields');
    return {
      policyIdentifier,
      qualifiersHex: qualifiersNode === undefined ? undefined : toHex(qualifiersNode.encoded),
    };
  });
  return { critical, policies };
}

function decodePolicyConstraints(der: Uint8Array, critical: boolean): PolicyConstraints {
  const node = sequenceOf(der, 'policyConstraints');
  let requireExplicitPolicy: number | undefined;
  let inhibitPolicyMapping: number | undefined;
  for (const field of node.children) {
    if (isContextTag(field, 0) && !field.constructed)
      requireExplicitPolicy = readSmallInteger(field.content, 'requireExplicitPolicy');
    else if (isContextTag(field, 1) && !field.constructed)
      inhibitPolicyMapping = readSmallInteger(field.content, 'inhibitPolicyMapping');
    else throw new DerStructureError('policyConstraints: unexpected field');
  }
  // RFC 5280 §4.2.1.11: conforming CAs MUST NOT issue an empty policyConstraints.
  if (requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined)
    throw new DerStructureError('policyConstraints: empty');
  return { critical, requireExplicitPolicy, inhibitPolicyMapping };
}

function decodePolicyMappings(der: Uint8Array, critical: boolean): PolicyMappings {
  const node = sequenceOf(der, 'policyMappings');
  if (node.children.length === 0) throw new DerStructureError('policyMappings: empty');
  return {
    critical,
    mappings: node.children.map((mappingNode) => {
      expectUniversal(mappingNode, UniversalTag.sequence, 'policyMapping');
      if (mappingNode.children.length !== 2) throw new DerStructureError('policyMapping: arity');
      return {
        issuerDomainPolicy: readObjectIdentifier(mappingNode.children[0], 'issuerDomainPolicy'),
        subjectDomainPolicy: readObjectIdentifier(mappingNode.children[1], 'subjectDomainPolicy'),
      };
    }),
  };
}

function decodeInhibitAnyPolicy(der: Uint8Array, critical: boolean): InhibitAnyPolicy {
  const node = expectUniversal(decodeDer(der), UniversalTag.integer, 'inhibitAnyPolicy');
  return { critical, skipCerts: readSmallInteger(node.content, 'inhibitAnyPolicy') };
}

/** Decode one DistributionPoint SEQUENCE (also the shape of IssuingDistributionPoint's name). */
export function decodeDistributionPointName(
  field: DerNode,
): Pick<DistributionPoint, 'fullName' | 'nameRelativeToCrlIssuer'> {
  const [choice] = field.children;
  if (field.children.length !== 1 || choice === undefined) throw new DerStructureError('distributionPointName');
  if (isContextTag(choice, 0))
    return { fullName: decodeImplicitGeneralNames(choice, 'fullName'), nameRelativeToCrlIssuer: undefined };
  if (isContextTag(choice, 1)) {
    const rdnSet = { ...choice, tagClass: 'universal' as const, tag: UniversalTag.set };
    const name = decodeDistinguishedName({
      ...choice,
      tagClass: 'universal',
      tag: UniversalTag.sequence,
      children: [rdnSet],
    });
    return { fullName: undefined, nameRelativeToCrlIssuer: name.rdns[0] ?? [] };
  }
  throw new DerStructureError('distributionPointName: unknown choice');
}

function decodeCrlDistributionPoints(der: Uint8Array, critical: boolean): CrlDistributionPoints {
  const node = sequenceOf(der, 'cRLDistributionPoints');
  if (node.children.length === 0) throw new DerStructureError('cRLDistributionPoints: empty');
  const points = node.children.map((pointNode): DistributionPoint => {
    expectUniversal(pointNode, UniversalTag.sequence, 'distributionPoint');
    let name: Pick<DistributionPoint, 'fullName' | 'nameRelativeToCrlIssuer'> = {
      fullName: undefined,
      nameRelativeToCrlIssuer: undefined,
    };
    let reasonsHex: string | undefined;
    let crlIssuer: GeneralName[] | undefined;
    for (const field of pointNode.children) {
      if (isContextTag(field, 0)) name = decodeDistributionPointName(field);
      else if (isContextTag(field, 1)) reasonsHex = toHex(bitStringFromContent(field.content, 'reasons').bytes);
      else if (isContextTag(field, 2)) crlIssuer = decodeImplicitGeneralNames(field, 'cRLIssuer');
      else throw new DerStructureError('distributionPoint: unexpected field');
    }
    return { ...name, reasonsHex, crlIssuer };
  });
  return { critical, points };
}

function decodeAuthorityInfoAccess(der: Uint8Array, critical: boolean): AuthorityInfoAccess {
  const node = sequenceOf(der, 'authorityInfoAccess');
  if (node.children.length === 0) throw new DerStructureError('authorityInfoAccess: empty');
  const ocsp: string[] = [];
  const caIssuers: string[] = [];
  for (const description of node.children) {
    expectUniversal(description, UniversalTag.sequence, 'accessDescription');
    const method = readObjectIdentifier(description.children[0], 'accessMethod');
    const locationNode = description.children[1];
    if (locationNode === undefined || description.children.length !== 2)
      throw new DerStructureError('accessDescription: arity');
    const location = decodeGeneralName(locationNode);
    if (location.kind !== 'uniformResourceIdentifier') continue;
    if (method === AccessMethodOid.ocsp) ocsp.push(location.value);
    else if (method === AccessMethodOid.caIssuers) caIssuers.push(location.value);
  }
  return { critical, ocsp, caIssuers };
}

/** Decode the `[3] EXPLICIT Extensions` content (the inner SEQUENCE node). */
export function decodeExtensions(sequence: DerNode): CertificateExtensions {
  expectUniversal(sequence, UniversalTag.sequence, 'extensions');
  if (sequence.children.length === 0) throw new DerStructureError('extensions: empty');
  const decoded: { -readonly [K in keyof CertificateExtensions]: CertificateExtensions[K] } = {
    unknown: [],
    present: [],
  };
  const unknown: RawExtension[] = [];
  const present: { oid: string; critical: boolean }[] = [];
  const seen = new Set<string>();
  for (const extensionNode of sequence.children) {
    expectUniversal(extensionNode, UniversalTag.sequence, 'extension');
    const [oidNode, second, third] = extensionNode.children;
    const oid = readObjectIdentifier(oidNode, 'extension id');
    if (seen.has(oid)) throw new DerStructureError(`duplicate extension ${oid}`);
    seen.add(oid);
    let critical = false;
    let valueNode = second;
    if (second?.tagClass === 'universal' && second.tag === UniversalTag.boolean) {
      critical = readBoolean(second, 'extension critical');
      if (!critical) throw new DerStructureError('extension: explicit critical FALSE');
      valueNode = third;
    } else if (third !== undefined) {
      throw new DerStructureError('extension: unexpected field');
    }
    if (extensionNode.children.length > 3) throw new DerStructureError('extension: trailing fields');
    const value = expectUniversal(valueNode, UniversalTag.octetString, 'extension value').content;
    present.push({ oid, critical });
    switch (oid) {
      case ExtensionOid.basicConstraints:
        decoded.basicConstraints = decodeBasicConstraints(value, critical);
        break;
      case ExtensionOid.keyUsage:
        decoded.keyUsage = decodeKeyUsage(value, critical);
        break;
      case ExtensionOid.extKeyUsage:
        decoded.extKeyUsage = decodeExtKeyUsage(value, critical);
        break;
      case ExtensionOid.subjectAltName:
        decoded.subjectAltName = { critical, names: decodeGeneralNames(decodeDer(value), 'subjectAltName') };
        break;
      case ExtensionOid.subjectKeyIdentifier: {
        const node = expectUniversal(decodeDer(value), UniversalTag.octetString, 'subjectKeyIdentifier');
        decoded.subjectKeyIdentifier = { critical, keyIdentifier: toHex(node.content) };
        break;
      }
      case ExtensionOid.authorityKeyIdentifier:
        decoded.authorityKeyIdentifier = decodeAuthorityKeyIdentifier(value, critical);
        break;
      case ExtensionOid.nameConstraints:
        decoded.nameConstraints = decodeNameConstraints(value, critical);
        break;
      case ExtensionOid.certificatePolicies:
        decoded.certificatePolicies = decodeCertificatePolicies(value, critical);
        break;
      case ExtensionOid.policyConstraints:
        decoded.policyConstraints = decodePolicyConstraints(value, critical);
        break;
      case ExtensionOid.policyMappings:
        decoded.policyMappings = decodePolicyMappings(value, critical);
        break;
      case ExtensionOid.inhibitAnyPolicy:
        decoded.inhibitAnyPolicy = decodeInhibitAnyPolicy(value, critical);
        break;
      case ExtensionOid.crlDistributionPoints:
        decoded.crlDistributionPoints = decodeCrlDistributionPoints(value, critical);
        break;
      case ExtensionOid.authorityInfoAccess:
        decoded.authorityInfoAccess = decodeAuthorityInfoAccess(value, critical);
        break;
      default:
        unknown.push({ oid, critical, valueHex: toHex(value) });
    }
  }
  decoded.unknown = unknown;
  decoded.present = present;
  return decoded;
}
