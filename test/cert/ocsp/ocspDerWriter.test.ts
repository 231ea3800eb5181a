/**
 * The DER writer OCSP requests are built with (shared/cert/x509/derWriter.ts): every encoding reads
 * back through the strict reader to the same value, lengths are minimal at every boundary, object
 * identifiers round-trip (large arcs, the joint-iso-itu-t arc), and input it cannot write is refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeDer, objectIdentifierFromContent } from '../../../shared/cert/x509/derNodes.js';
import {
  encodeExplicit,
  encodeIntegerContent,
  encodeNull,
  encodeObjectIdentifier,
  encodeOctetString,
  encodeSequence,
  encodeTlv,
} from '../../../shared/cert/x509/derWriter.js';

describe('derWriter', () => {
  it.each([0, 1, 127, 128, 255, 256, 65_535, 65_536])(
    'an OCTET STRING of %i octets has a minimal length and reads back',
    (size) => {
      const content = new Uint8Array(size).fill(0x42);
      const encoded = encodeOctetString(content);
      const node = decodeDer(encoded);
      expect(node).toMatchObject({ tagClass: 'universal', tag: 4, constructed: false });
      expect(Buffer.from(node.content).equals(Buffer.from(content))).toBe(true);
      const headerLength = size < 128 ? 2 : size < 256 ? 3 : size < 65_536 ? 4 : 5;
      expect(encoded.byteLength).toBe(headerLength + size);
    },
  );

  it.each([
    '1.3.14.3.2.26',
    '2.16.840.1.101.3.4.2.1',
    '1.3.6.1.5.5.7.48.1.2',
    '0.9.2342.19200300.100.1.25',
    '2.999.3',
    '2.25.329800735698586629295641978511506172918',
    '1.2.0.127.128.16383.16384',
  ])('the object identifier %s reads back', (oid) => {
    const node = decodeDer(encodeObjectIdentifier(oid));
    expect(objectIdentifierFromContent(node.content, 'oid')).toBe(oid);
  });

  it('sequences, explicit tags, NULL and INTEGER nest and read back', () => {
    const node = decodeDer(
      encodeSequence(
        encodeExplicit(2, encodeNull()),
        encodeIntegerContent(Uint8Array.from([0x00, 0x80])),
        encodeSequence(),
      ),
    );
    expect(node.children.map((child) => [child.tagClass, child.tag, child.constructed])).toEqual([
      ['context', 2, true],
      ['universal', 2, false],
      ['universal', 16, true],
    ]);
    expect(node.children[0]?.children[0]).toMatchObject({ tag: 5, content: new Uint8Array() });
  });

  it.each([
    { label: 'a non-minimal INTEGER', write: () => encodeIntegerContent(Uint8Array.from([0x00, 0x01])) },
    { label: 'an empty INTEGER', write: () => encodeIntegerContent(new Uint8Array()) },
    { label: 'an object identifier with one arc', write: () => encodeObjectIdentifier('1') },
    { label: 'an object identifier with a first arc of 3', write: () => encodeObjectIdentifier('3.1') },
    { label: 'an object identifier with a second arc of 40 under 1', write: () => encodeObjectIdentifier('1.40') },
    { label: 'an object identifier with a leading zero', write: () => encodeObjectIdentifier('1.02') },
    { label: 'a high tag number', write: () => encodeTlv(0x1f, new Uint8Array()) },
  ])('refuses $label', ({ write }) => {
    expect(write).toThrow();
  });
});
