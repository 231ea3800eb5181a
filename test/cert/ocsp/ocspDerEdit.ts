/**
 * Test-only surgery on real OCSP responses: decode the DER into an editable tree, change a node
 * (content, children, or how its length is written: minimal, long-form with a leading zero octet,
 * or BER indefinite), re-encode, and, when the change is inside the signed ResponseData, sign it
 * again with the issuing CA's key so that only the encoding (not the signature) is wrong.
 */
import { sign } from 'node:crypto';
import { decodeDer, type DerNode } from '../../../shared/cert/x509/derNodes.js';

/** A TLV that can be edited and encoded again (low tag numbers only, which is all OCSP uses). */
export interface EditableNode {
  identifier: number;
  content: Uint8Array;
  children: EditableNode[] | undefined;
  length: 'minimal' | 'non-minimal' | 'indefinite';
}

const CLASS_BITS = { universal: 0x00, application: 0x40, context: 0x80, private: 0xc0 } as const;

/** The editable form of a strictly decoded node. */
export function editable(node: DerNode): EditableNode {
  return {
    identifier: CLASS_BITS[node.tagClass] | (node.constructed ? 0x20 : 0) | node.tag,
    content: node.content,
    children: node.constructed ? node.children.map(editable) : undefined,
    length: 'minimal',
  };
}

/** Encodes a tree again; `non-minimal` writes the length in long form with one leading zero octet. */
export function encode(node: EditableNode): Uint8Array {
  const content = node.children ? Buffer.concat(node.children.map(encode)) : Buffer.from(node.content);
  if (node.length === 'indefinite')
    return Buffer.concat([Buffer.from([node.identifier, 0x80]), content, Buffer.from([0, 0])]);
  const lengthOctets: number[] = [];
  for (let length = content.length; length > 0; length = Math.floor(length / 256)) lengthOctets.unshift(length % 256);
  const header =
    node.length === 'non-minimal'
      ? [node.identifier, 0x80 | (lengthOctets.length + 1), 0, ...lengthOctets]
      : content.length < 128
        ? [node.identifier, content.length]
        : [node.identifier, 0x80 | lengthOctets.length, ...lengthOctets];
  return Buffer.concat([Buffer.from(header), content]);
}

/** A primitive node. */
export function primitive(identifier: number, content: Uint8Array | readonly number[]): EditableNode {
  return { identifier, content: Uint8Array.from(content), children: undefined, length: 'minimal' };
}

/** A constructed node. */
export function constructed(identifier: number, children: EditableNode[]): EditableNode {
  return { identifier, content: new Uint8Array(), children, length: 'minimal' };
}

/** The parts of a response to edit: the outer OCSPResponse and the BasicOCSPResponse inside its OCTET STRING. */
export interface ResponseParts {
  readonly outer: EditableNode;
  readonly basic: EditableNode;
  /** BasicOCSPResponse.tbsResponseData. */
  readonly tbs: EditableNode;
  /** ResponseData.responses[0]. */
  readonly single: EditableNode;
}

/** Child `index` of `node`, which must exist. */
export function child(node: EditableNode, index: number): EditableNode {
  const found = node.children?.[index];
  if (!found) throw new Error(`no child ${index}`);
  return found;
}

/** The index of ResponseData.responses (after the optional version and the responder id and producedAt). */
function responsesIndex(tbs: EditableNode): number {
  return child(tbs, 0).identifier === 0xa0 ? 3 : 2;
}

/**
 * Edits a DER OCSPResponse. `edit` changes the parts in place; with `resignWithKeyPem` the
 * (possibly changed) ResponseData is signed again (ECDSA / RSA with SHA-256) before re-encoding.
 */
export function editResponse(
  responseDer: Uint8Array,
  edit: (parts: ResponseParts) => void,
  resignWithKeyPem?: string,
): Uint8Array {
  const outer = editable(decodeDer(responseDer));
  const octets = child(child(child(outer, 1), 0), 1);
  const basic = editable(decodeDer(octets.content));
  const tbs = child(basic, 0);
  const single = child(child(tbs, responsesIndex(tbs)), 0);
  edit({ outer, basic, tbs, single });
  if (resignWithKeyPem) {
    const signature = sign('sha256', encode(tbs), resignWithKeyPem);
    child(basic, 2).content = Buffer.concat([Buffer.from([0]), signature]);
  }
  octets.content = encode(basic);
  return encode(outer);
}

/** The OCTET STRING / GeneralizedTime content as ASCII, for building time nodes. */
export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'ascii');
}
