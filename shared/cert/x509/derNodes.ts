/**
 * Strict DER decoding: turns bytes into a small, plain tree of TLV nodes and rejects BER-only
 * encodings (indefinite lengths, non-minimal lengths, constructed strings) that a certificate must
 * not contain. Everything else in `x509/` reads these nodes.
 * May import: the exception base.
 */
import { CertgateError } from '../../errors.js';

/** The ASN.1 tag classes. */
export type DerTagClass = 'universal' | 'application' | 'context' | 'private';

/** One decoded TLV. `encoded` is the whole TLV, `content` the value octets. */
export interface DerNode {
  readonly tagClass: DerTagClass;
  readonly tag: number;
  readonly constructed: boolean;
  readonly encoded: Uint8Array;
  readonly content: Uint8Array;
  readonly children: readonly DerNode[];
}

/** Universal tag numbers used when reading certificates. */
export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  objectIdentifier: 6,
  enumerated: 10,
  utf8String: 12,
  sequence: 16,
  set: 17,
  numericString: 18,
  printableString: 19,
  teletexString: 20,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  visibleString: 26,
  universalString: 28,
  bmpString: 30,
} as const;

/** Raised inside `x509/` when bytes are not the expected DER; converted to a reason at the API edge. */
export class DerStructureError extends CertgateError {
  readonly code = 'der-structure-invalid';
  override readonly name = 'DerStructureError';
}

const TAG_CLASSES: readonly DerTagClass[] = ['universal', 'application', 'context', 'private'];

/** Options for {@link decodeDer}. */
export interface DecodeDerOptions {
  /** Most TLVs to decode (bounds the work on hostile input; large CRLs raise it). Default 10,000. */
  readonly maxNodes?: number;
}

const MAX_DEPTH = 64;

interface DecodeState {
  readonly bytes: Uint8Array;
  nodesLeft: number;
}

/**
 * Reads one TLV starting at `offset`, ending no later than `end`. Strict DER: definite, minimal
 * lengths; minimal high tag numbers; SEQUENCE / SET constructed, other universal types primitive.
 */
function decodeAt(state: DecodeState, offset: number, end: number, depth: number): DerNode {
  if (depth > MAX_DEPTH) throw new DerStructureError('nesting too deep');
  if (--state.nodesLeft < 0) throw new DerStructureError('too many ASN.1 nodes');
  const { bytes } = state;
  let position = offset;
  if (position >= end) throw new DerStructureError('truncated identifier');
  const first = bytes[position++] ?? 0;
  const tagClass = TAG_CLASSES[first >> 6] ?? 'universal';
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let octets = 0; ; octets++) {
      if (position >= end) throw new DerStructureError('truncated tag');
      const octet = bytes[position++] ?? 0;
      if (octets === 0 && octet === 0x80) throw new DerStructureError('non-minimal tag');
      if (octets >= 4) throw new DerStructureError('tag number too large');
      tag = tag * 128 + (octet & 0x7f);
      if ((octet & 0x80) === 0) break;
    }
    if (tag < 0x1f) throw new DerStructureError('non-minimal tag');
  }
  if (position >= end) throw new DerStructureError('truncated length');
  const lengthOctet = bytes[position++] ?? 0;
  let length = lengthOctet;
  if (lengthOctet === 0x80) throw new DerStructureError('indefinite length');
  if (lengthOctet > 0x80) {
    const count = lengthOctet & 0x7f;
    if (count > 4) throw new DerStructureError('length too large');
    if (position + count > end) throw new DerStructureError('truncated length');
    if (bytes[position] === 0) throw new DerStructureError('non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[position++] ?? 0);
    if (length < 128) throw new DerStructureError('non-minimal length');
  }
  const contentEnd = position + length;
  if (contentEnd > end) throw new DerStructureError('truncated value');
  if (tagClass === 'universal') {
    const mustBeConstructed = tag === UniversalTag.sequence || tag === UniversalTag.set;
    if (mustBeConstructed !== constructed) throw new DerStructureError(`universal tag ${tag} has the wrong form`);
  }
  const children: DerNode[] = [];
  if (constructed) {
    for (let child = position; child < contentEnd;) {
      const node = decodeAt(state, child, contentEnd, depth + 1);
      children.push(node);
      child += node.encoded.length;
    }
  }
  return {
    tagClass,
    tag,
    constructed,
    encoded: bytes.subarray(offset, contentEnd),
    content: bytes.subarray(position, contentEnd),
    children,
  };
}

/**
 * Decode exactly one DER TLV spanning all of `bytes`. Throws {@link DerStructureError} on any
 * malformation (callers inside `x509/` catch it at their public edge).
 *
 * A direct TLV reader rather than asn1js: certgate reads only a handful of DER shapes, and
 * asn1js's generic block objects made certificate parsing 2-3× slower than node:crypto's and a
 * 10,000-entry CRL take most of a second. The strict-DER rules are the ones asn1js was checked for.
 */
export function decodeDer(bytes: Uint8Array, options: DecodeDerOptions = {}): DerNode {
  if (bytes.length === 0) throw new DerStructureError('empty input');
  const node = decodeAt({ bytes, nodesLeft: options.maxNodes ?? 10_000 }, 0, bytes.length, 0);
  if (node.encoded.length !== bytes.length) throw new DerStructureError('trailing data after the DER value');
  return node;
}

/** Assert a node is a universal type with the given tag, returning it. */
export function expectUniversal(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node?.tagClass !== 'universal' || node.tag !== tag) throw new DerStructureError(`${what}: unexpected tag`);
  return node;
}

/** Whether a node is the context-specific tag `[tag]`. */
export function isContextTag(node: DerNode | undefined, tag: number): boolean {
  return node?.tagClass === 'context' && node.tag === tag;
}

/** Decode an OBJECT IDENTIFIER node to dotted form. */
export function readObjectIdentifier(node: DerNode | undefined, what: string): string {
  const content = expectUniversal(node, UniversalTag.objectIdentifier, what).content;
  return objectIdentifierFromContent(content, what);
}

/** Decode OBJECT IDENTIFIER content octets to dotted form (strict: minimal base-128 arcs). */
export function objectIdentifierFromContent(content: Uint8Array, what: string): string {
  if (content.length === 0) throw new DerStructureError(`${what}: empty object identifier`);
  let text = '';
  let value = 0;
  let big: bigint | undefined;
  let inArc = false;
  for (const byte of content) {
    if (!inArc && byte === 0x80) throw new DerStructureError(`${what}: non-minimal object identifier arc`);
    // Arcs beyond 2^46 (UUID-based OIDs) continue in BigInt; everything else stays in numbers.
    if (big === undefined && value >= 2 ** 46) big = BigInt(value);
    if (big === undefined) value = value * 128 + (byte & 0x7f);
    else big = (big << 7n) | BigInt(byte & 0x7f);
    inArc = (byte & 0x80) !== 0;
    if (!inArc) {
      if (text === '') {
        const whole = big ?? BigInt(value);
        const first = whole < 40n ? 0n : whole < 80n ? 1n : 2n;
        text = `${first}.${whole - first * 40n}`;
      } else {
        text += `.${big === undefined ? String(value) : big.toString()}`;
      }
      value = 0;
      big = undefined;
    }
  }
  if (inArc) throw new DerStructureError(`${what}: truncated object identifier`);
  return text;
}

/** Decode a BOOLEAN (DER: 0x00 or 0xFF only). */
export function readBoolean(node: DerNode | undefined, what: string): boolean {
  const content = expectUniversal(node, UniversalTag.boolean, what).content;
  if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff))
    throw new DerStructureError(`${what}: invalid boolean`);
  return content[0] === 0xff;
}

/** Check INTEGER content is minimally encoded and return it. */
export function integerContent(content: Uint8Array, what: string): Uint8Array {
  if (content.length === 0) throw new DerStructureError(`${what}: empty integer`);
  const first = content[0] ?? 0;
  const second = content[1];
  if (second !== undefined && ((first === 0 && (second & 0x80) === 0) || (first === 0xff && (second & 0x80) !== 0))) {
    throw new DerStructureError(`${what}: non-minimal integer`);
  }
  return content;
}

/** Decode a small non-negative INTEGER (or the content of an implicitly tagged one). */
export function readSmallInteger(content: Uint8Array, what: string): number {
  integerContent(content, what);
  if ((content[0] ?? 0) & 0x80) throw new DerStructureError(`${what}: negative integer`);
  if (content.length > 6) throw new DerStructureError(`${what}: integer too large`);
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

/** Read a BIT STRING node: its unused-bit count and the bytes after it. */
export function readBitString(node: DerNode | undefined, what: string): { unusedBits: number; bytes: Uint8Array } {
  return bitStringFromContent(expectUniversal(node, UniversalTag.bitString, what).content, what);
}

/** Split BIT STRING content into unused-bit count and data bytes (DER: unused bits are zero). */
export function bitStringFromContent(content: Uint8Array, what: string): { unusedBits: number; bytes: Uint8Array } {
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) {
    throw new DerStructureError(`${what}: invalid bit string`);
  }
  const bytes = content.subarray(1);
  const last = bytes[bytes.length - 1];
  if (last !== undefined && (last & ((1 << unusedBits) - 1)) !== 0)
    throw new DerStructureError(`${what}: non-zero padding bits`);
  return { unusedBits, bytes };
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode the string value of a universal string type; undefined when the node is not a string type. */
export function readDirectoryString(node: DerNode): string | undefined {
  if (node.tagClass !== 'universal') return undefined;
  const { content } = node;
  switch (node.tag) {
    case UniversalTag.utf8String:
      try {
        return utf8.decode(content);
      } catch {
        throw new DerStructureError('invalid UTF-8 string');
      }
    case UniversalTag.printableString:
    case UniversalTag.ia5String:
    case UniversalTag.numericString:
    case UniversalTag.visibleString:
    case UniversalTag.teletexString:
      return latin1.decode(content);
    case UniversalTag.bmpString: {
      if (content.length % 2 !== 0) throw new DerStructureError('invalid BMPString');
      let text = '';
      for (let index = 0; index < content.length; index += 2)
        text += String.fromCharCode(((content[index] ?? 0) << 8) | (content[index + 1] ?? 0));
      return text;
    }
    case UniversalTag.universalString: {
      if (content.length % 4 !== 0) throw new DerStructureError('invalid UniversalString');
      let text = '';
      for (let index = 0; index < content.length; index += 4) {
        const codePoint =
          (((content[index] ?? 0) << 24) >>> 0) +
          ((content[index + 1] ?? 0) << 16) +
          ((content[index + 2] ?? 0) << 8) +
          (content[index + 3] ?? 0);
        if (codePoint > 0x10ffff) throw new DerStructureError('invalid UniversalString');
        text += String.fromCodePoint(codePoint);
      }
      return text;
    }
    default:
      return undefined;
  }
}

/** Read an IA5String-like content as text (used for GeneralName string forms). */
export function readAsciiContent(content: Uint8Array): string {
  return latin1.decode(content);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
