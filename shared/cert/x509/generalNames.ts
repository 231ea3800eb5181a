/**
 * GeneralName (RFC 5280 §4.2.1.6) decoding, shared by subjectAltName, name constraints,
 * distribution points and authority key identifiers. otherName values of type UPN are decoded.
 * May import: ./derNodes.js, ./names.js, ./oids.js.
 */
import {
  DerStructureError,
  UniversalTag,
  decodeDer,
  expectUniversal,
  isContextTag,
  readAsciiContent,
  readDirectoryString,
  readObjectIdentifier,
  toHex,
  type DerNode,
} from './derNodes.js';
import { decodeDistinguishedName, type DistinguishedName } from './names.js';
import { UPN_OTHER_NAME_OID } from './oids.js';

/** One GeneralName, by form. */
export type GeneralName =
  | { readonly kind: 'otherName'; readonly typeId: string; readonly valueHex: string; readonly upn?: string }
  | { readonly kind: 'rfc822Name'; readonly value: string }
  | { readonly kind: 'dNSName'; readonly value: string }
  | { readonly kind: 'x400Address'; readonly valueHex: string }
  | { readonly kind: 'directoryName'; readonly name: DistinguishedName }
  | { readonly kind: 'ediPartyName'; readonly valueHex: string }
  | { readonly kind: 'uniformResourceIdentifier'; readonly value: string }
  | { readonly kind: 'iPAddress'; readonly bytes: Uint8Array }
  | { readonly kind: 'registeredID'; readonly oid: string };

/** The GeneralName form names, in tag order. */
export type GeneralNameKind = GeneralName['kind'];

function ia5(node: DerNode, what: string): string {
  if (node.constructed) throw new DerStructureError(`${what}: constructed string`);
  for (const byte of node.content) if (byte > 0x7f) throw new DerStructureError(`${what}: not IA5`);
  return readAsciiContent(node.content);
}

/** Decode one GeneralName node. `inConstraint` allows the 8/32-byte address+mask iPAddress form. */
export function decodeGeneralName(node: DerNode, inConstraint = false): GeneralName {
  if (node.tagClass !== 'context') throw new DerStructureError('general name: not context-tagged');
  switch (node.tag) {
    case 0: {
      if (!node.constructed) throw new DerStructureError('otherName: primitive');
      const [typeNode, valueNode] = node.children;
      const typeId = readObjectIdentifier(typeNode, 'otherName type');
      if (
        valueNode === undefined ||
        !isContextTag(valueNode, 0) ||
        !valueNode.constructed ||
        valueNode.children.length !== 1 ||
        node.children.length !== 2
      ) {
        throw new DerStructureError('otherName: value');
      }
      const inner = valueNode.children[0];
      const valueHex = toHex(valueNode.content);
      if (typeId === UPN_OTHER_NAME_OID && inner !== undefined) {
        const upn = readDirectoryString(inner);
        if (upn !== undefined) return { kind: 'otherName', typeId, valueHex, upn };
      }
      return { kind: 'otherName', typeId, valueHex };
    }
    case 1:
      return { kind: 'rfc822Name', value: ia5(node, 'rfc822Name') };
    case 2:
      return { kind: 'dNSName', value: ia5(node, 'dNSName') };
    case 3:
      return { kind: 'x400Address', valueHex: toHex(node.content) };
    case 4: {
      if (!node.constructed || node.children.length !== 1 || node.children[0] === undefined)
        throw new DerStructureError('directoryName');
      return { kind: 'directoryName', name: decodeDistinguishedName(node.children[0]) };
    }
    case 5:
      return { kind: 'ediPartyName', valueHex: toHex(node.content) };
    case 6:
      return { kind: 'uniformResourceIdentifier', value: ia5(node, 'URI') };
    case 7: {
      if (node.constructed) throw new DerStructureError('iPAddress: constructed');
      const length = node.content.length;
      const allowed = inConstraint ? length === 8 || length === 32 : length === 4 || length === 16;
      if (!allowed) throw new DerStructureError('iPAddress: bad length');
      return { kind: 'iPAddress', bytes: node.content };
    }
    case 8: {
      if (node.constructed) throw new DerStructureError('registeredID: constructed');
      return {
        kind: 'registeredID',
        oid: readObjectIdentifier(
          { ...node, tagClass: 'universal', tag: UniversalTag.objectIdentifier },
          'registeredID',
        ),
      };
    }
    default:
      throw new DerStructureError('general name: unknown tag');
  }
}

/** Decode a GeneralNames SEQUENCE (SIZE 1..MAX). */
export function decodeGeneralNames(node: DerNode | undefined, what: string): GeneralName[] {
  const sequence = expectUniversal(node, UniversalTag.sequence, what);
  if (sequence.children.length === 0) throw new DerStructureError(`${what}: empty`);
  return sequence.children.map((child) => decodeGeneralName(child));
}

/** Decode the children of an implicitly tagged GeneralNames ([n] IMPLICIT GeneralNames). */
export function decodeImplicitGeneralNames(node: DerNode, what: string): GeneralName[] {
  if (!node.constructed || node.children.length === 0) throw new DerStructureError(`${what}: empty`);
  return node.children.map((child) => decodeGeneralName(child));
}

/** A name-constraints subtree (minimum/maximum are always 0/absent in practice; kept for checks). */
export interface GeneralSubtree {
  readonly base: GeneralName;
  readonly minimum: number;
  readonly maximum: number | undefined;
}

/** Decode GeneralSubtrees content ([0]/[1] IMPLICIT SEQUENCE OF GeneralSubtree). */
export function decodeGeneralSubtrees(node: DerNode): GeneralSubtree[] {
  if (!node.constructed || node.children.length === 0) throw new DerStructureError('general subtrees: empty');
  return node.children.map((subtreeNode) => {
    expectUniversal(subtreeNode, UniversalTag.sequence, 'general subtree');
    const [baseNode, ...rest] = subtreeNode.children;
    if (baseNode === undefined) throw new DerStructureError('general subtree: no base');
    let minimum = 0;
    let maximum: number | undefined;
    for (const field of rest) {
      if (isContextTag(field, 0)) minimum = smallNumber(field.content);
      else if (isContextTag(field, 1)) maximum = smallNumber(field.content);
      else throw new DerStructureError('general subtree: unexpected field');
    }
    return { base: decodeGeneralName(baseNode, true), minimum, maximum };
  });
}

function smallNumber(content: Uint8Array): number {
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

/** Readable form of a GeneralName for summaries and traces. */
export function formatGeneralName(name: GeneralName): string {
  switch (name.kind) {
    case 'otherName':
      return name.upn === undefined ? `othername:${name.typeId}` : `upn:${name.upn}`;
    case 'rfc822Name':
      return `email:${name.value}`;
    case 'dNSName':
      return `dns:${name.value}`;
    case 'x400Address':
      return 'x400';
    case 'directoryName':
      return `dirname:${name.name.text}`;
    case 'ediPartyName':
      return 'edipartyname';
    case 'uniformResourceIdentifier':
      return `uri:${name.value}`;
    case 'iPAddress':
      return `ip:${formatIpAddress(name.bytes)}`;
    case 'registeredID':
      return `rid:${name.oid}`;
  }
}

/** Dotted IPv4 or colon-separated IPv6 text (uncompressed hex groups). */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let index = 0; index + 1 < bytes.length; index += 2)
    groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** Parse the DER of a standalone GeneralNames value (used by callers holding raw bytes). */
export function decodeGeneralNamesDer(der: Uint8Array, what: string): GeneralName[] {
  return decodeGeneralNames(decodeDer(der), what);
}
