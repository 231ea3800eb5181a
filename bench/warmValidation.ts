/**
 * Warm path: the same certificate again. certgate's verdict-cache hit (key from the certificate
 * bytes, scope check, expiry check, LRU touch) next to the bare baseline of hashing the same bytes
 * and looking them up in a Map. Target ratio ≥ 0.5.
 *
 *   npx tsx bench/warmValidation.ts
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { issueCertificate } from '../dev/pki/index.js';
import { createTrustStore, validateCertificatePath } from '../shared/cert/validation/index.js';
import { VerdictCache } from '../shared/trust/verdictCache.js';

const now = new Date();
const day = 86_400_000;
const root = await issueCertificate({
  subject: 'CN=Warm Root',
  keyAlgorithm: 'ecdsa-p256',
  notBefore: new Date(now.getTime() - day),
  notAfter: new Date(now.getTime() + 365 * day),
  ca: {},
});
const leaf = await issueCertificate({
  subject: 'CN=warm leaf',
  issuer: root.credentials,
  keyAlgorithm: 'ecdsa-p256',
  notBefore: new Date(now.getTime() - day),
  notAfter: new Date(now.getTime() + 30 * day),
  extKeyUsage: ['clientAuth'],
});
const trustStore = createTrustStore([root.cert.der]);
const der = leaf.cert.der;

const cache = new VerdictCache();
const scope = 'cas-v1|crl-1';
cache.set(VerdictCache.keyOf(der, []), scope, now, validateCertificatePath({ leaf: der, trustStore, time: now }));
const baselineMap = new Map([[createHash('sha256').update(der).digest('base64'), true]]);

function rate(fn: () => unknown, ms = 1500): number {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    fn();
    n++;
  }
  return n / (ms / 1000);
}
const baseline = () => baselineMap.get(createHash('sha256').update(der).digest('base64'));
const warm = () => cache.get(VerdictCache.keyOf(der, []), scope, now);
if (!warm()?.ok) throw new Error('warm verdict missing');
rate(baseline, 300);
rate(warm, 300);
const b = rate(baseline);
const w = rate(warm);
const cold = rate(() => validateCertificatePath({ leaf: der, trustStore, time: now }), 1000);
console.log('warm path (same certificate again):');
console.log(`  bare sha256 + Map.get     ${b.toFixed(0)} /s`);
console.log(`  certgate verdict cache    ${w.toFixed(0)} /s`);
console.log(
  `  ratio certgate / baseline: ${(w / b).toFixed(2)} (target ≥ 0.5); a full validation of the same leaf: ${cold.toFixed(0)} /s`,
);
