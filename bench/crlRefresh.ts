/**
 * A CRL with 100,000 entries: how long a refresh takes (fetch over loopback HTTP, parse in the
 * worker, rebuild in slices), the longest event-loop block while it runs (target ≤ 50 ms) next to
 * the block a synchronous parse on the main thread would cause, and what a revocation lookup adds
 * to a validation. Ratios and same-run baselines, no assertions.
 *
 *   npx tsx bench/crlRefresh.ts [--entries 100000]
 */
import 'reflect-metadata';
import { createPrivateKey, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { issueCertificate } from '../dev/pki/index.js';
import { HttpCrlFetcher } from '../shared/adapters/httpCrlFetcher.js';
import { parseCrl } from '../shared/cert/revocation/crl.js';
import { createTrustStore, parseCertificates, validateCertificatePath } from '../shared/cert/validation/index.js';
import { CrlCache } from '../shared/trust/crlCache.js';
import { CrlParser } from '../shared/trust/crlParser.js';

const args = process.argv.slice(2);
const at = args.indexOf('--entries');
const entries = at >= 0 ? Number(args[at + 1]) : 100_000;

// Minimal DER writer: enough to build a large CRL quickly (bench-only; the product reads DER, never writes it).
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length;
  const header =
    length < 128
      ? [tag, length]
      : length < 256
        ? [tag, 0x81, length]
        : length < 65536
          ? [tag, 0x82, length >> 8, length & 255]
          : [tag, 0x83, length >> 16, (length >> 8) & 255, length & 255];
  return Buffer.concat([Buffer.from(header), content]);
}
const seq = (...parts: Uint8Array[]) => tlv(0x30, Buffer.concat(parts));
const int = (hex: string) => tlv(0x02, Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
const utc = (date: Date) =>
  tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
const ecdsaSha256 = seq(tlv(0x06, Buffer.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])));

const now = new Date();
const ca = await issueCertificate({
  subject: 'CN=Bench Issuing CA',
  keyAlgorithm: 'ecdsa-p256',
  notBefore: new Date(now.getTime() - 86_400_000),
  notAfter: new Date(now.getTime() + 365 * 86_400_000),
  ca: {},
});
const leaf = await issueCertificate({
  subject: 'CN=bench leaf',
  issuer: ca.credentials,
  keyAlgorithm: 'ecdsa-p256',
  notBefore: new Date(now.getTime() - 86_400_000),
  notAfter: new Date(now.getTime() + 30 * 86_400_000),
  extKeyUsage: ['clientAuth'],
});
const caParsed = parseCertificates(ca.cert.der);
if (!caParsed.ok) throw new Error('bench CA did not parse');
const issuerName = caParsed.certificates[0]!.subject.der;

const revoked: Uint8Array[] = [];
for (let i = 0; i < entries; i++) revoked.push(seq(int((0x1000000 + i).toString(16)), utc(now)));
const crlNumber = tlv(0xa0, seq(seq(tlv(0x06, Buffer.from([0x55, 0x1d, 0x14])), tlv(0x04, int('01')))));
const tbs = seq(
  int('01'),
  ecdsaSha256,
  issuerName,
  utc(now),
  utc(new Date(now.getTime() + 7 * 86_400_000)),
  seq(...revoked),
  crlNumber,
);
const signature = sign('sha256', tbs, createPrivateKey(ca.key));
const crl = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
console.log(`CRL: ${entries.toLocaleString()} entries, ${(crl.length / 1024 / 1024).toFixed(1)} MiB`);

// Baseline: the block a synchronous parse on the main thread would cause.
let started = performance.now();
const syncParsed = parseCrl(crl);
const syncMs = performance.now() - started;
if ('reason' in syncParsed) throw new Error(`bench CRL did not parse: ${syncParsed.detail}`);

const server = createServer((_req, res) => res.end(crl));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big.crl`;
const parser = new CrlParser();
const cache = new CrlCache({
  fetcher: new HttpCrlFetcher(),
  parse: (bytes) => parser.parse(bytes),
  clock: { now: () => new Date() },
});
cache.track([url]);
await parser.parse(new Uint8Array(seq())).catch(() => undefined); // start the worker outside the measurement
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
started = performance.now();
const report = await cache.refresh();
const refreshMs = performance.now() - started;
histogram.disable();
console.log(`refresh (fetch + worker parse + sliced rebuild): ${refreshMs.toFixed(0)} ms, updated ${report.updated}`);
console.log(`  longest event-loop block during refresh: ${(histogram.max / 1e6).toFixed(1)} ms (target ≤ 50)`);
console.log(`  baseline, parsing on the main thread:    ${syncMs.toFixed(0)} ms blocked`);

const trustStore = createTrustStore([ca.cert.der]);
const validate = (withCrl: boolean) =>
  validateCertificatePath({
    leaf: leaf.cert.der,
    trustStore,
    time: now,
    revocation: withCrl ? 'required' : 'off',
    parsedCrls: withCrl ? cache.current() : [],
  });
if (!validate(true).ok) throw new Error(`bench leaf invalid: ${validate(true).reason}`);
const rate = (withCrl: boolean) => {
  const until = performance.now() + 1500;
  let n = 0;
  while (performance.now() < until) {
    validate(withCrl);
    n++;
  }
  return n / 1.5;
};
rate(false);
rate(true);
const without = rate(false);
const withCrl = rate(true);
console.log(
  `validation (cold leaf parse each time) without revocation ${without.toFixed(0)}/s, with the 100k-entry CRL ${withCrl.toFixed(0)}/s`,
);
console.log(
  `  ratio with ÷ without = ${(withCrl / without).toFixed(2)} (the lookup is a Map get; the CRL signature is verified once, not per request)`,
);
await parser.close();
server.close();
