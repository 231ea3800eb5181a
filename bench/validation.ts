/**
 * Validation throughput benchmark (run: npx tsx bench/validation.ts). Cold path: every
 * validation gets a leaf it has not seen (a pool of pre-generated leaves; the issuing CA and root
 * are in the trust store), compared in the same run with the bare node:crypto work for the same
 * leaf: `new X509Certificate(der)` + `verify(issuerKey)`. Prints numbers and the ratio (target
 * ≥ 0.5); asserts nothing.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { createTrustStore, validateCertificatePath } from '../shared/cert/validation/index.js';
import { generateKeyPair, type KeyAlgorithmName } from '../dev/pki/issue.js';
import { NOW, issueTestCertificate as issue } from '../test/cert/validation/testCertificates.js';

const POOL_SIZE = 256;
const RUN_MS = 1500;

function measure(label: string, work: (index: number) => void): number {
  for (let index = 0; index < 200; index += 1) work(index);
  let operations = 0;
  const started = performance.now();
  while (performance.now() - started < RUN_MS) {
    for (let batch = 0; batch < 50; batch += 1) work(operations + batch);
    operations += 50;
  }
  const perSecond = operations / ((performance.now() - started) / 1000);
  console.log(
    `  ${label.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} /s   ${(1e6 / perSecond).toFixed(1).padStart(7)} µs/op`,
  );
  return perSecond;
}

async function scenario(name: string, keyAlgorithm: KeyAlgorithmName): Promise<void> {
  const root = await issue({ subject: `CN=bench root ${name}`, ca: {}, keyAlgorithm });
  const issuing = await issue({
    subject: `CN=bench issuing CA ${name}`,
    issuer: root.credentials,
    ca: {},
    keyAlgorithm,
  });
  // One key for every leaf: the leaves differ in subject, serial and SAN, and setup stays fast.
  const leafKeys = await generateKeyPair(keyAlgorithm);
  const leaves: Uint8Array[] = [];
  for (let index = 0; index < POOL_SIZE; index += 1) {
    const leaf = await issue({
      subject: `CN=device ${index}`,
      issuer: issuing.credentials,
      keyAlgorithm,
      keys: leafKeys,
      extKeyUsage: ['clientAuth'],
      san: { upn: [`user${index}@contoso.example`] },
    });
    leaves.push(leaf.cert.der);
  }
  const trustStore = createTrustStore([root.cert.der, issuing.cert.der]);
  const issuerKey = new X509Certificate(issuing.cert.der).publicKey;
  console.log(`\n${name}: ${POOL_SIZE} distinct leaves, issuing CA and root trusted`);
  const baseline = measure('node:crypto X509Certificate + verify', (index) => {
    const certificate = new X509Certificate(leaves[index % POOL_SIZE]!);
    if (!certificate.verify(issuerKey)) throw new Error('baseline verify failed');
  });
  const certgate = measure('certgate validateCertificatePath', (index) => {
    const result = validateCertificatePath({ leaf: leaves[index % POOL_SIZE]!, trustStore, time: NOW });
    if (!result.ok) throw new Error(`validation failed: ${result.reason}`);
  });
  console.log(`  ratio certgate / node:crypto: ${(certgate / baseline).toFixed(2)} (target ≥ 0.5)`);
}

await scenario('ECDSA P-256', 'ecdsa-p256');
await scenario('RSA-2048 PKCS#1 v1.5', 'rsa-2048');
