/**
 * Verifies the signatures OCSP needs (the BasicOCSPResponse signature and a delegated responder
 * certificate's signature) with node:crypto: RSA PKCS#1 v1.5, RSA-PSS, ECDSA, Ed25519 and Ed448.
 * The algorithm identifier decides, and the key type must match it, so a key cannot be used under
 * another algorithm's name. Synchronous: node:crypto verification is.
 * May import: node:crypto, pkijs, asn1js.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** The outcome of one signature check. */
export type OcspSignatureCheck = 'valid' | 'invalid' | 'unsupported-algorithm';

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const RSA_PKCS1_HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const ECDSA_HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

const RSASSA_PSS_OID = '1.2.840.113549.1.1.10';
const MGF1_OID = '1.2.840.113549.1.1.8';
const ED25519_OID = '1.3.101.112';
const ED448_OID = '1.3.101.113';

type VerificationPlan =
  | { readonly kind: 'pkcs1'; readonly hash: string }
  | { readonly kind: 'pss'; readonly hash: string; readonly saltLength: number }
  | { readonly kind: 'ecdsa'; readonly hash: string }
  | { readonly kind: 'eddsa'; readonly keyType: 'ed25519' | 'ed448' }
  | { readonly kind: 'unsupported' };

function planFor(algorithm: pkijs.AlgorithmIdentifier): VerificationPlan {
  const oid = algorithm.algorithmId;
  const pkcs1 = RSA_PKCS1_HASH_BY_OID[oid];
  if (pkcs1) return { kind: 'pkcs1', hash: pkcs1 };
  const ecdsa = ECDSA_HASH_BY_OID[oid];
  if (ecdsa) return { kind: 'ecdsa', hash: ecdsa };
  if (oid === ED25519_OID) return { kind: 'eddsa', keyType: 'ed25519' };
  if (oid === ED448_OID) return { kind: 'eddsa', keyType: 'ed448' };
  if (oid === RSASSA_PSS_OID) return pssPlan(algorithm);
  return { kind: 'unsupported' };
}

/** RSASSA-PSS-params (RFC 4055); node:crypto uses one hash for the digest and MGF1, so they must agree. */
function pssPlan(algorithm: pkijs.AlgorithmIdentifier): VerificationPlan {
  const parameters: unknown = algorithm.algorithmParams;
  if (!(parameters instanceof asn1js.Sequence)) return { kind: 'unsupported' };
  let params: pkijs.RSASSAPSSParams;
  try {
    params = new pkijs.RSASSAPSSParams({ schema: parameters });
  } catch {
    return { kind: 'unsupported' };
  }
  const hash = HASH_BY_OID[params.hashAlgorithm.algorithmId];
  if (!hash || params.maskGenAlgorithm.algorithmId !== MGF1_OID || params.trailerField !== 1) return { kind: 'unsupported' };
  const mgfParameters: unknown = params.maskGenAlgorithm.algorithmParams;
  if (!(mgfParameters instanceof asn1js.Sequence)) return { kind: 'unsupported' };
  let mgfHash: pkijs.AlgorithmIdentifier;
  try {
    mgfHash = new pkijs.AlgorithmIdentifier({ schema: mgfParameters });
  } catch {
    return { kind: 'unsupported' };
  }
  if (HASH_BY_OID[mgfHash.algorithmId] !== hash) return { kind: 'unsupported' };
  return { kind: 'pss', hash, saltLength: params.saltLength };
}

/** Loads a SubjectPublicKeyInfo (DER) as a node:crypto key; undefined when node cannot load it. */
export function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/**
 * Verifies `signature` over `data` with `publicKey` under `algorithm` (a pkijs AlgorithmIdentifier as
 * parsed from the signed structure). Never throws: a key of the wrong type, a bad encoding or a
 * failed check are all `invalid`; an algorithm certgate does not implement is `unsupported-algorithm`.
 */
export function verifyOcspSignature(
  algorithm: pkijs.AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  publicKey: KeyObject,
): OcspSignatureCheck {
  const plan = planFor(algorithm);
  const keyType = publicKey.asymmetricKeyType;
  try {
    switch (plan.kind) {
      case 'unsupported':
        return 'unsupported-algorithm';
      case 'pkcs1':
        if (keyType !== 'rsa') return 'invalid';
        return verify(plan.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature) ? 'valid' : 'invalid';
      case 'pss':
        if (keyType !== 'rsa' && keyType !== 'rsa-pss') return 'invalid';
        return verify(plan.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: plan.saltLength }, signature)
          ? 'valid'
          : 'invalid';
      case 'ecdsa':
        if (keyType !== 'ec') return 'invalid';
        return verify(plan.hash, data, { key: publicKey, dsaEncoding: 'der' }, signature) ? 'valid' : 'invalid';
      case 'eddsa':
        if (keyType !== plan.keyType) return 'invalid';
        return verify(null, data, publicKey, signature) ? 'valid' : 'invalid';
    }
  } catch {
    return 'invalid';
  }
}
