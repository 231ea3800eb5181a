/**
 * Signature verification for certificates and CRLs with node:crypto: RSA PKCS#1 v1.5, RSA-PSS
 * (parameters decoded and enforced), ECDSA on P-256/P-384/P-521, Ed25519 and Ed448. Also the key
 * strength policy (minimum RSA size, allowed curves) and the SHA-1 refusal. A refusal by policy
 * is never reported as a bad signature: `certificate-signature-algorithm-weak` (SHA-1, MD5/MD2, RSA
 * below the minimum), `certificate-signature-algorithm-unsupported` (what certgate does not
 * implement) and `certificate-algorithm-dsa-refused` (DSA, by design) are decided before any
 * signature is checked; `certificate-signature-invalid` means the signature itself is wrong.
 * May import: node:crypto, ../x509/*.
 */
import { verify } from 'node:crypto';
import type { AlgorithmIdentifier, SubjectPublicKeyInfo } from '../x509/certificate.js';
import { decodeAlgorithmIdentifier } from '../x509/certificate.js';
import {
  DerStructureError,
  UniversalTag,
  decodeDer,
  expectUniversal,
  isContextTag,
  readSmallInteger,
} from '../x509/derNodes.js';
import { describePublicKey } from '../x509/publicKeyDescription.js';
import type { CertificateReason } from './reasons.js';
import { messageOf } from '../../errors.js';

/** Algorithm policy for signatures and keys. */
export interface AlgorithmPolicy {
  readonly allowSha1: boolean;
  readonly minRsaBits: number;
}

/** Result of a signature or key check. */
export type AlgorithmCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: AlgorithmFailureReason; readonly detail: string };

/** The reasons a signature or key check can fail with. */
export type AlgorithmFailureReason = Extract<
  CertificateReason,
  | 'certificate-signature-invalid'
  | 'certificate-signature-algorithm-weak'
  | 'certificate-signature-algorithm-unsupported'
  | 'certificate-algorithm-dsa-refused'
  | 'certificate-key-invalid'
>;

/** Whether `reason` is a refusal by algorithm policy (as opposed to a signature or key that is wrong). */
export function isAlgorithmRefusal(reason: string): boolean {
  return (
    reason === 'certificate-signature-algorithm-weak' ||
    reason === 'certificate-signature-algorithm-unsupported' ||
    reason === 'certificate-algorithm-dsa-refused'
  );
}

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const RSA_PKCS1_HASH: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const ECDSA_HASH: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** DSA signature algorithms (X9.57 dsa-with-sha1, NIST dsa-with-sha224 … sha3-512). */
const DSA_SIGNATURE_OIDS = new Set([
  '1.2.840.10040.4.3',
  '2.16.840.1.101.3.4.3.1',
  '2.16.840.1.101.3.4.3.2',
  '2.16.840.1.101.3.4.3.3',
  '2.16.840.1.101.3.4.3.4',
  '2.16.840.1.101.3.4.3.5',
  '2.16.840.1.101.3.4.3.6',
  '2.16.840.1.101.3.4.3.7',
  '2.16.840.1.101.3.4.3.8',
]);

/** RSA with MD2 / MD5: broken hashes no option allows. */
const BROKEN_RSA_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.2': 'MD2',
  '1.2.840.113549.1.1.4': 'MD5',
};

const RSA_PSS_OID = '1.2.840.113549.1.1.10';
const MGF1_OID = '1.2.840.113549.1.1.8';
const ED25519_OID = '1.3.101.112';
const ED448_OID = '1.3.101.113';
const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const NULL_DER = '0500';

type VerifyPlan =
  | {
      readonly ok: true;
      readonly hash: string | null;
      readonly keyTypes: readonly string[];
      readonly pssSaltLength?: number;
    }
  | Extract<AlgorithmCheck, { ok: false }>;

function parametersAbsentOrNull(algorithm: AlgorithmIdentifier): boolean {
  return algorithm.parameters === undefined || Buffer.from(algorithm.parameters).toString('hex') === NULL_DER;
}

function decodePssParameters(parameters: Uint8Array | undefined): { hash: string; saltLength: number } | string {
  if (parameters === undefined) return 'RSA-PSS without parameters (SHA-1 defaults)';
  try {
    const sequence = expectUniversal(decodeDer(parameters), UniversalTag.sequence, 'RSASSA-PSS-params');
    let hash = 'sha1';
    let mgfHash = 'sha1';
    let saltLength = 20;
    for (const field of sequence.children) {
      const inner = field.children[0];
      if (isContextTag(field, 0)) {
        const algorithm = decodeAlgorithmIdentifier(inner, 'pss hash');
        hash = HASH_BY_OID[algorithm.oid] ?? 'unknown';
      } else if (isContextTag(field, 1)) {
        const algorithm = decodeAlgorithmIdentifier(inner, 'pss mgf');
        if (algorithm.oid !== MGF1_OID || algorithm.parameters === undefined)
          return 'RSA-PSS mask generation is not MGF1';
        mgfHash = HASH_BY_OID[decodeAlgorithmIdentifier(decodeDer(algorithm.parameters), 'mgf1 hash').oid] ?? 'unknown';
      } else if (isContextTag(field, 2)) {
        saltLength = readSmallInteger(expectUniversal(inner, UniversalTag.integer, 'pss salt').content, 'pss salt');
      } else if (isContextTag(field, 3)) {
        if (readSmallInteger(expectUniversal(inner, UniversalTag.integer, 'pss trailer').content, 'pss trailer') !== 1)
          return 'RSA-PSS trailer field is not 1';
      } else {
        return 'RSA-PSS parameters: unexpected field';
      }
    }
    if (hash === 'unknown' || mgfHash !== hash) return 'RSA-PSS hash and MGF1 hash must be the same supported hash';
    return { hash, saltLength };
  } catch (error) {
    return error instanceof DerStructureError
      ? `RSA-PSS parameters: ${error.message}`
      : 'RSA-PSS parameters unreadable';
  }
}

function planVerification(algorithm: AlgorithmIdentifier): VerifyPlan {
  const pkcs1Hash = RSA_PKCS1_HASH[algorithm.oid];
  if (pkcs1Hash !== undefined) {
    if (!parametersAbsentOrNull(algorithm))
      return { ok: false, reason: 'certificate-signature-invalid', detail: 'RSA PKCS#1 parameters must be NULL' };
    return { ok: true, hash: pkcs1Hash, keyTypes: ['rsa'] };
  }
  const ecdsaHash = ECDSA_HASH[algorithm.oid];
  if (ecdsaHash !== undefined) {
    if (algorithm.parameters !== undefined)
      return {
        ok: false,
        reason: 'certificate-signature-invalid',
        detail: 'ECDSA signature algorithm must have no parameters',
      };
    return { ok: true, hash: ecdsaHash, keyTypes: ['ec'] };
  }
  if (algorithm.oid === ED25519_OID || algorithm.oid === ED448_OID) {
    if (algorithm.parameters !== undefined)
      return {
        ok: false,
        reason: 'certificate-signature-invalid',
        detail: 'EdDSA signature algorithm must have no parameters',
      };
    return { ok: true, hash: null, keyTypes: [algorithm.oid === ED25519_OID ? 'ed25519' : 'ed448'] };
  }
  if (algorithm.oid === RSA_PSS_OID) {
    const parameters = decodePssParameters(algorithm.parameters);
    if (typeof parameters === 'string')
      return { ok: false, reason: 'certificate-signature-algorithm-unsupported', detail: parameters };
    return { ok: true, hash: parameters.hash, keyTypes: ['rsa', 'rsa-pss'], pssSaltLength: parameters.saltLength };
  }
  if (DSA_SIGNATURE_OIDS.has(algorithm.oid))
    return {
      ok: false,
      reason: 'certificate-algorithm-dsa-refused',
      detail: `DSA signature (${algorithm.oid}) is refused`,
    };
  const broken = BROKEN_RSA_HASHES[algorithm.oid];
  if (broken !== undefined)
    return {
      ok: false,
      reason: 'certificate-signature-algorithm-weak',
      detail: `RSA with ${broken} signatures are refused`,
    };
  return {
    ok: false,
    reason: 'certificate-signature-algorithm-unsupported',
    detail: `unsupported signature algorithm ${algorithm.oid}`,
  };
}

/** Check a public key against the key policy (well formed, RSA size, allowed curves), from its DER. */
export function checkPublicKey(spki: SubjectPublicKeyInfo, policy: AlgorithmPolicy): AlgorithmCheck {
  const key = describePublicKey(spki);
  switch (key.kind) {
    case 'rsa':
    case 'rsa-pss':
      if (key.modulusBits < policy.minRsaBits)
        return {
          ok: false,
          reason: 'certificate-signature-algorithm-weak',
          detail: `RSA key of ${key.modulusBits} bits is below ${policy.minRsaBits}`,
        };
      if (key.modulusBits % 8 !== 0)
        return {
          ok: false,
          reason: 'certificate-key-invalid',
          detail: `RSA modulus of ${key.modulusBits} bits is not a whole number of octets`,
        };
      return { ok: true };
    case 'ec':
      if (!ALLOWED_CURVES.has(key.curve))
        return {
          ok: false,
          reason: 'certificate-signature-algorithm-unsupported',
          detail: `EC curve ${key.curve} is not supported`,
        };
      return { ok: true };
    case 'ed25519':
    case 'ed448':
      return { ok: true };
    case 'dsa':
      return { ok: false, reason: 'certificate-algorithm-dsa-refused', detail: 'DSA public key is refused' };
    case 'unsupported':
      return {
        ok: false,
        reason: 'certificate-signature-algorithm-unsupported',
        detail: `${key.detail} is not supported`,
      };
    case 'invalid':
      return { ok: false, reason: 'certificate-key-invalid', detail: key.detail };
  }
}

/**
 * Verify `signature` over `signedData` with the issuer's key under `algorithm`, enforcing the
 * algorithm policy. Never throws.
 */
export function verifySignature(
  signedData: Uint8Array,
  signature: Uint8Array,
  algorithm: AlgorithmIdentifier,
  issuerKey: SubjectPublicKeyInfo,
  policy: AlgorithmPolicy,
): AlgorithmCheck {
  const plan = planVerification(algorithm);
  if (!plan.ok) return plan;
  if (plan.hash === 'sha1' && !policy.allowSha1)
    return { ok: false, reason: 'certificate-signature-algorithm-weak', detail: 'SHA-1 signatures are refused' };
  const keyCheck = checkPublicKey(issuerKey, policy);
  if (!keyCheck.ok) return keyCheck;
  const key = issuerKey.publicKey();
  if (key === undefined)
    return { ok: false, reason: 'certificate-key-invalid', detail: 'issuer public key cannot be loaded' };
  if (!plan.keyTypes.includes(key.asymmetricKeyType ?? '')) {
    return {
      ok: false,
      reason: 'certificate-signature-invalid',
      detail: `signature algorithm ${algorithm.oid} does not match the issuer's ${key.asymmetricKeyType ?? 'unknown'} key`,
    };
  }
  try {
    const verified =
      plan.pssSaltLength === undefined
        ? verify(plan.hash, signedData, key, signature)
        : verify(
            plan.hash,
            signedData,
            { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: plan.pssSaltLength },
            signature,
          );
    return verified
      ? { ok: true }
      : { ok: false, reason: 'certificate-signature-invalid', detail: 'signature does not verify' };
  } catch (error) {
    return {
      ok: false,
      reason: 'certificate-signature-invalid',
      detail: `signature verification error: ${messageOf(error)}`,
    };
  }
}
