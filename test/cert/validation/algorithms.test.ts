/**
 * Algorithm refusals (RFC 5280 §6.1.3 (a)(1) verifies the signature "using the working_public_key_algorithm";
 * which algorithms a relying party accepts is its policy): every refusal by policy has its own
 * reason code, never `certificate-signature-invalid`, which means "this signature does not verify".
 * DSA keys and signatures are refused as `certificate-algorithm-dsa-refused`; SHA-1 and small RSA
 * keys as `certificate-signature-algorithm-weak` (both can be allowed by option); an algorithm
 * certgate does not implement as `certificate-signature-algorithm-unsupported`. DSA certificates
 * are made here with node:crypto (WebCrypto has no DSA).
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrustStore,
  validateCertificatePath,
  type CertificateReason,
  type ValidationInput,
} from '../../../shared/cert/validation/index.js';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { dsaKeyPair, reissue } from './rfc5280Pki.js';
import { NOW, issueTestCertificate as issue } from './testCertificates.js';

let root: IssuedCertificate;
let rsaRoot: IssuedCertificate;
let leaf: IssuedCertificate;
const ders: Record<string, Uint8Array> = {};

beforeAll(async () => {
  root = await issue({ subject: 'CN=algorithm root', ca: {} });
  rsaRoot = await issue({ subject: 'CN=algorithm rsa root', ca: {}, keyAlgorithm: 'rsa-2048' });
  leaf = await issue({ subject: 'CN=algorithm leaf', issuer: root.credentials, extKeyUsage: ['clientAuth'] });
  const dsa = dsaKeyPair();
  // A DSA root (the ECDSA root's TBS with a DSA key, self-signed with DSA) and a leaf it signs.
  ders.dsaRoot = await reissue(root.cert.der, { subjectKey: dsa.publicKey, signer: dsa.privateKey });
  ders.dsaSignedLeaf = await reissue(leaf.cert.der, { signer: dsa.privateKey });
  // A leaf whose own key is DSA, correctly signed by the ECDSA root.
  ders.dsaKeyLeaf = await reissue(leaf.cert.der, { subjectKey: dsa.publicKey, signer: root.keys.privateKey });
  // Signed with ECDSA but labelled with an algorithm no one implements.
  ders.unknownAlgorithmLeaf = await reissue(leaf.cert.der, {
    signer: root.keys.privateKey,
    algorithmOid: '1.3.6.1.4.1.55555.1.1',
  });
  // A key on a curve certgate does not accept (secp256k1), correctly signed.
  ders.secp256k1Leaf = await reissue(leaf.cert.der, {
    subjectKey: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
    signer: root.keys.privateKey,
  });
  ders.sha1Leaf = (
    await issue({
      subject: 'CN=sha1 leaf',
      issuer: root.credentials,
      extKeyUsage: ['clientAuth'],
      signatureAlgorithm: { name: 'ECDSA', hash: 'SHA-1' },
    })
  ).cert.der;
  ders.rsa1024Leaf = (
    await issue({
      subject: 'CN=rsa1024 leaf',
      issuer: rsaRoot.credentials,
      keyAlgorithm: 'rsa-1024',
      extKeyUsage: ['clientAuth'],
    })
  ).cert.der;
  const tampered = leaf.cert.der.slice();
  tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01;
  ders.badSignatureLeaf = tampered;
});

interface AlgorithmCase {
  readonly label: string;
  readonly leaf: () => Uint8Array;
  readonly anchors?: () => Uint8Array[];
  readonly input?: Partial<ValidationInput>;
  readonly reason: CertificateReason;
  /** The trace check that fails. */
  readonly check: string;
}

const cases: AlgorithmCase[] = [
  {
    label: 'a DSA signature (dsa-with-SHA256) is refused as DSA, not as a bad signature',
    leaf: () => ders.dsaSignedLeaf!,
    anchors: () => [ders.dsaRoot!],
    reason: 'certificate-algorithm-dsa-refused',
    check: 'path-building',
  },
  {
    label: 'a DSA public key in the leaf is refused as DSA',
    leaf: () => ders.dsaKeyLeaf!,
    reason: 'certificate-algorithm-dsa-refused',
    check: 'key-strength',
  },
  {
    label: 'a DSA trust anchor is refused as DSA',
    leaf: () => leaf.cert.der,
    anchors: () => [ders.dsaRoot!],
    reason: 'certificate-algorithm-dsa-refused',
    check: 'path-building',
  },
  {
    label: 'SHA-1 is weak (allowSha1 turns it on)',
    leaf: () => ders.sha1Leaf!,
    reason: 'certificate-signature-algorithm-weak',
    check: 'path-building',
  },
  {
    label: 'RSA-1024 is weak (minRsaBits turns it on)',
    leaf: () => ders.rsa1024Leaf!,
    anchors: () => [rsaRoot.cert.der],
    reason: 'certificate-signature-algorithm-weak',
    check: 'key-strength',
  },
  {
    label: 'an unknown signature algorithm is unsupported',
    leaf: () => ders.unknownAlgorithmLeaf!,
    reason: 'certificate-signature-algorithm-unsupported',
    check: 'path-building',
  },
  {
    label: 'a key on a curve certgate does not implement (secp256k1) is unsupported',
    leaf: () => ders.secp256k1Leaf!,
    reason: 'certificate-signature-algorithm-unsupported',
    check: 'key-strength',
  },
  {
    label: 'a signature that does not verify is invalid',
    leaf: () => ders.badSignatureLeaf!,
    reason: 'certificate-signature-invalid',
    check: 'path-building',
  },
];

describe('algorithm refusals have their own reason codes (RFC 5280 §6.1.3 (a)(1))', () => {
  it.each(cases)('$label', ({ leaf: leafDer, anchors, input, reason, check }) => {
    const result = validateCertificatePath({
      leaf: leafDer(),
      trustStore: createTrustStore(anchors?.() ?? [root.cert.der]),
      time: NOW,
      ...input,
    });
    expect(result.reason).toBe(reason);
    const fail = result.trace.find((entry) => entry.outcome === 'fail');
    expect(fail).toMatchObject({ check, reason });
    expect(fail?.rule).toMatch(/^RFC 5280 §6\.1\.3 \(a\)\(1\)/u);
  });

  it('the options that allow weak algorithms do not allow DSA', () => {
    const result = validateCertificatePath({
      leaf: ders.dsaKeyLeaf!,
      trustStore: createTrustStore([root.cert.der]),
      time: NOW,
      allowSha1: true,
      minRsaBits: 512,
    });
    expect(result.reason).toBe('certificate-algorithm-dsa-refused');
  });

  it('SHA-1 and RSA-1024 pass when the policy allows them: the refusal was policy, not the signature', () => {
    expect(
      validateCertificatePath({
        leaf: ders.sha1Leaf!,
        trustStore: createTrustStore([root.cert.der]),
        time: NOW,
        allowSha1: true,
      }).reason,
    ).toBe('certificate-valid');
    expect(
      validateCertificatePath({
        leaf: ders.rsa1024Leaf!,
        trustStore: createTrustStore([rsaRoot.cert.der]),
        time: NOW,
        minRsaBits: 1024,
      }).reason,
    ).toBe('certificate-valid');
  });
});
