/**
 * Strict DER encoding, the counterpart of ./derNodes.js for the few values certgate writes (an
 * OCSPRequest: SEQUENCEs, OBJECT IDENTIFIERs, OCTET STRINGs, an INTEGER, a NULL and explicit
 * context tags). Definite, minimal lengths and low tag numbers only; the caller builds the tree
 * bottom-up from byte arrays. Hand-written rather than pkijs because one request shape does not
 * warrant loading a second ASN.1 stack (see shared/cert/revocation/ocsp.ts); every encoding here is
 * checked against pkijs' bytes and read back by ./derNodes.js in the tests.
 * May import: ./derNodes.js.
 */
import { UniversalTag, integerContent } from './derNodes.js';

/** One TLV with a low-form identifier octet (class, constructed bit and tag number < 31). */
export function encodeTlv(identifier: number, content: Uint8Array): Uint8Array {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 0xff || (identifier & 0x1f) === 0x1f) {
    throw new RangeError(`identifier octet ${identifier} is not a low-tag-number identifier`);
  }
  const length = content.byteLength;
  const lengthOctets: number[] = [];
  if (length < 0x80) {
    lengthOctets.push(length);
  } else {
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthOctets.unshift(rest % 256);
    lengthOctets.unshift(0x80 | lengthOctets.length);
  }
  const encoded = new Uint8Array(1 + lengthOctets.length + length);
  encoded[0] = identifier;
  encoded.set(lengthOctets, 1);
  encoded.set(content, 1 + lengthOctets.length);
  return encoded;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

/** SEQUENCE of already encoded elements, in order. */
export function encodeSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(0x20 | UniversalTag.sequence, concat(elements));
}

/** `[tag] EXPLICIT` around already encoded elements. */
export function encodeExplicit(tag: number, ...elements: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(0xa0 | tag, concat(elements));
}

/** OCTET STRING. */
export function encodeOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(UniversalTag.octetString, bytes);
}

/** NULL. */
export function encodeNull(): Uint8Array {
  return encodeTlv(UniversalTag.null, new Uint8Array());
}

/**
 * INTEGER from its two's-complement content octets, which must already be minimal (e.g. a certificate's serialNumber).
 */
export function encodeIntegerContent(content: Uint8Array): Uint8Array {
  return encodeTlv(UniversalTag.integer, integerContent(content, 'integer'));
}

/** OBJECT IDENTIFIER from dotted form (first arc 0–2, second < 40 under 0 and 1). */
export function encodeObjectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^(0|[1-9]\d*)$/u.test(arc)) throw new RangeError(`${dotted} is not a dotted object identifier`);
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n || (first < 2n && second >= 40n))
    throw new RangeError(`${dotted} is not a valid object identifier`);
  const octets: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const base128: number[] = [Number(arc & 0x7fn)];
    for (let value = arc >> 7n; value > 0n; value >>= 7n) base128.unshift(Number(value & 0x7fn) | 0x80);
    octets.push(...base128);
  }
  return encodeTlv(UniversalTag.objectIdentifier, Uint8Array.from(octets));
}
