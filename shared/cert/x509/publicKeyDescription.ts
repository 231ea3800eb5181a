/**
 * What a SubjectPublicKeyInfo holds (algorithm, RSA modulus size, EC curve; DSA recognised only
 * to be refused by name), read from the DER without building a node:crypto KeyObject: key policy
 * checks run on every certificate, and creating a KeyObject costs about as much as parsing the
 * certificate.
 * May import: ./derNodes.js, ./certificate.js (types).
 */
import type { SubjectPublicKeyInfo } from './certificate.js';
import {
  DerStructureError,
  UniversalTag,
  decodeDer,
  expectUniversal,
  integerContent,
  readObjectIdentifier,
} from './derNodes.js';
import { messageOf } from '../../errors.js';

/** A public key's algorithm and size. */
export type PublicKeyDescription =
  | { readonly kind: 'rsa' | 'rsa-pss'; readonly modulusBits: number }
  | { readonly kind: 'ec'; readonly curve: string }
  | { readonly kind: 'ed25519' | 'ed448' }
  | { readonly kind: 'dsa' }
  | { readonly kind: 'unsupported'; readonly detail: string }
  | { readonly kind: 'invalid'; readonly detail: string };

const RSA_OID = '1.2.840.113549.1.1.1';
const RSA_PSS_OID = '1.2.840.113549.1.1.10';
const EC_OID = '1.2.840.10045.2.1';
const DSA_OID = '1.2.840.10040.4.1';
const CURVES: Readonly<Record<string, { name: string; coordinateBytes: number }>> = {
  '1.2.840.10045.3.1.7': { name: 'prime256v1', coordinateBytes: 32 },
  '1.3.132.0.34': { name: 'secp384r1', coordinateBytes: 48 },
  '1.3.132.0.35': { name: 'secp521r1', coordinateBytes: 66 },
};

function bitLength(unsignedBigEndian: Uint8Array): number {
  let index = 0;
  while (index < unsignedBigEndian.length && unsignedBigEndian[index] === 0) index += 1;
  const first = unsignedBigEndian[index];
  if (first === undefined) return 0;
  return (unsignedBigEndian.length - index - 1) * 8 + (32 - Math.clz32(first));
}

function describe(spki: SubjectPublicKeyInfo): PublicKeyDescription {
  const { oid, parameters } = spki.algorithm;
  if (oid === RSA_OID || oid === RSA_PSS_OID) {
    const key = expectUniversal(decodeDer(spki.keyBytes), UniversalTag.sequence, 'RSAPublicKey');
    const [modulus, exponent] = key.children;
    if (key.children.length !== 2) throw new DerStructureError('RSAPublicKey: arity');
    const modulusBytes = integerContent(expectUniversal(modulus, UniversalTag.integer, 'modulus').content, 'modulus');
    integerContent(expectUniversal(exponent, UniversalTag.integer, 'publicExponent').content, 'publicExponent');
    if (((modulusBytes[0] ?? 0) & 0x80) !== 0) return { kind: 'invalid', detail: 'negative RSA modulus' };
    return { kind: oid === RSA_OID ? 'rsa' : 'rsa-pss', modulusBits: bitLength(modulusBytes) };
  }
  if (oid === EC_OID) {
    if (parameters === undefined) return { kind: 'invalid', detail: 'EC key without curve' };
    const parametersNode = decodeDer(parameters);
    if (parametersNode.tagClass !== 'universal' || parametersNode.tag !== UniversalTag.objectIdentifier)
      return { kind: 'unsupported', detail: 'EC key with explicit curve parameters' };
    const curveOid = readObjectIdentifier(parametersNode, 'namedCurve');
    const curve = CURVES[curveOid];
    if (curve === undefined) return { kind: 'ec', curve: curveOid };
    const point = spki.keyBytes;
    const uncompressed = point[0] === 0x04 && point.length === 1 + 2 * curve.coordinateBytes;
    const compressed = (point[0] === 0x02 || point[0] === 0x03) && point.length === 1 + curve.coordinateBytes;
    if (!uncompressed && !compressed) return { kind: 'invalid', detail: 'EC point has the wrong size for its curve' };
    return { kind: 'ec', curve: curve.name };
  }
  if (oid === '1.3.101.112' || oid === '1.3.101.113') {
    const ed25519 = oid === '1.3.101.112';
    if (parameters !== undefined || spki.keyBytes.length !== (ed25519 ? 32 : 57))
      return { kind: 'invalid', detail: 'malformed EdDSA key' };
    return { kind: ed25519 ? 'ed25519' : 'ed448' };
  }
  // Recognised so it can be refused by name (its parameters are not read: it is never used).
  if (oid === DSA_OID) return { kind: 'dsa' };
  return { kind: 'unsupported', detail: `public key algorithm ${oid}` };
}

const described = new WeakMap<SubjectPublicKeyInfo, PublicKeyDescription>();

/** Describe a public key from its SPKI (memoised per parsed SPKI). Never throws. */
export function describePublicKey(spki: SubjectPublicKeyInfo): PublicKeyDescription {
  let description = described.get(spki);
  if (description === undefined) {
    try {
      description = describe(spki);
    } catch (error) {
      description = { kind: 'invalid', detail: messageOf(error) };
    }
    described.set(spki, description);
  }
  return description;
}
