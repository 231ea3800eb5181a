/**
 * X.501 distinguished names: decoded attributes, the RFC 5280 §7.1 comparison form (case-folded,
 * whitespace-compressed string values) used for chaining and name constraints, and a readable
 * RFC 4514-style string for logs.
 * May import: ./derNodes.js, ./oids.js.
 */
import {
  DerStructureError,
  UniversalTag,
  expectUniversal,
  readDirectoryString,
  readObjectIdentifier,
  toHex,
  type DerNode,
} from './derNodes.js';
import { EMAIL_ADDRESS_ATTRIBUTE_OID } from './oids.js';

/** One attribute of a relative distinguished name. */
export interface NameAttribute {
  /** Attribute type OID. */
  readonly type: string;
  /** Decoded string value; undefined for non-string types. */
  readonly value: string | undefined;
  /** Comparison form: normalised string, or `#hex` of the DER value for non-strings. */
  readonly comparable: string;
}

/** A decoded distinguished name. */
export interface DistinguishedName {
  /** Raw DER of the Name, for exact comparison. */
  readonly der: Uint8Array;
  /** RDNs in encoded order (most significant first), each a set of attributes. */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** Key equal for names that match under RFC 5280 §7.1. */
  readonly normalized: string;
  /** Readable RFC 4514-style string (least significant RDN first). */
  readonly text: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  [EMAIL_ADDRESS_ATTRIBUTE_OID]: 'emailAddress',
};

/** RFC 4518-lite: NFKC, case fold, trim, collapse inner whitespace. */
export function normalizeNameString(value: string): string {
  return value.normalize('NFKC').toLowerCase().trim().replace(/\s+/gu, ' ');
}

function escapeRfc4514(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/gu, '\\$1')
    .replace(/^([ #])/u, '\\$1')
    .replace(/ $/u, '\\ ');
}

/** Decode a Name node (SEQUENCE OF SET OF AttributeTypeAndValue). Throws DerStructureError. */
export function decodeDistinguishedName(node: DerNode): DistinguishedName {
  expectUniversal(node, UniversalTag.sequence, 'name');
  const rdns: NameAttribute[][] = [];
  for (const rdnNode of node.children) {
    expectUniversal(rdnNode, UniversalTag.set, 'relative distinguished name');
    if (rdnNode.children.length === 0) throw new DerStructureError('empty relative distinguished name');
    const attributes: NameAttribute[] = [];
    for (const attributeNode of rdnNode.children) {
      expectUniversal(attributeNode, UniversalTag.sequence, 'attribute');
      const [typeNode, valueNode] = attributeNode.children;
      if (attributeNode.children.length !== 2 || valueNode === undefined)
        throw new DerStructureError('attribute: wrong arity');
      const type = readObjectIdentifier(typeNode, 'attribute type');
      const value = readDirectoryString(valueNode);
      attributes.push({
        type,
        value,
        comparable: value === undefined ? `#${toHex(valueNode.encoded)}` : normalizeNameString(value),
      });
    }
    rdns.push(attributes);
  }
  const normalized = JSON.stringify(
    rdns.map((rdn) => rdn.map((attribute) => `${attribute.type}=${attribute.comparable}`).sort()),
  );
  const text = [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map(
          (attribute) =>
            `${SHORT_NAMES[attribute.type] ?? attribute.type}=${escapeRfc4514(attribute.value ?? attribute.comparable)}`,
        )
        .join('+'),
    )
    .join(', ');
  return { der: node.encoded, rdns, normalized, text };
}

/** Whether `base` is a prefix of `name` (RDN by RDN, comparison form): the directoryName subtree test. */
export function isNameWithinSubtree(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((baseRdn, index) => {
    const nameRdn = name.rdns[index];
    if (nameRdn?.length !== baseRdn.length) return false;
    const wanted = baseRdn.map((attribute) => `${attribute.type}=${attribute.comparable}`).sort();
    const present = nameRdn.map((attribute) => `${attribute.type}=${attribute.comparable}`).sort();
    return wanted.every((entry, position) => entry === present[position]);
  });
}

/** Values of one attribute type, in order. */
export function attributeValues(name: DistinguishedName, type: string): string[] {
  const values: string[] = [];
  for (const rdn of name.rdns)
    for (const attribute of rdn)
      if (attribute.type === type && attribute.value !== undefined) values.push(attribute.value);
  return values;
}
