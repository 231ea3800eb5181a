/**
 * OCSP, the pure part: how long loading the module takes (first `import()` in a fresh process),
 * building a request, and evaluating a verified response (CA-signed and from a delegated responder,
 * each with the whole check: parse, signer, signature, CertID, times, status). The responses are
 * fetched once from the loopback responder in `dev/ocsp/`; the timings exclude the network.
 * Figures only, no assertions.
 *
 *   npx tsx bench/ocsp.ts [--iterations 2000]
 */
import { HttpOcspClient } from '../shared/adapters/httpOcspClient.js';

const args = process.argv.slice(2);
const at = args.indexOf('--iterations');
const iterations = at >= 0 ? Number(args[at + 1]) : 2_000;

// First: the module load, before anything else has pulled in its dependencies.
const started = performance.now();
const { buildOcspRequest, evaluateOcspResponse } = await import('../shared/cert/revocation/ocsp.js');
const importMs = performance.now() - started;

const { createOcspTestCa, issueOcspTestLeaf } = await import('../dev/ocsp/ocspTestPki.js');
const { startOcspResponder } = await import('../dev/ocsp/responder.js');

const now = new Date('2025-06-01T12:00:00Z');
const validFrom = new Date('2025-01-01T00:00:00Z');
const validTo = new Date('2030-01-01T00:00:00Z');
const ca = await createOcspTestCa({ validFrom, validTo });
const leaf = await issueOcspTestLeaf(ca, { serialHex: '1001', ocspUrls: ['http://127.0.0.1/'], validFrom, validTo });

async function responseFrom(signer: { certPem: string; keyPem: string }): Promise<Uint8Array> {
  const responder = await startOcspResponder({
    issuerCertPem: ca.intermediate.certPem,
    statusOf: () => 'good',
    clock: () => now,
    signer,
  });
  try {
    const request = buildOcspRequest({ certDer: leaf.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient().query(responder.url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    return result.der;
  } finally {
    await responder.close();
  }
}

const certId = buildOcspRequest({ certDer: leaf.certDer, issuerDer: ca.intermediate.certDer }).certId;
const caSigned = await responseFrom(ca.intermediate);
const delegated = await responseFrom(ca.responders.rsa);

function time(label: string, run: () => unknown): void {
  for (let i = 0; i < Math.min(200, iterations); i++) run();
  const begin = performance.now();
  for (let i = 0; i < iterations; i++) run();
  const perCallUs = ((performance.now() - begin) / iterations) * 1000;
  console.log(`${label.padEnd(44)} ${perCallUs.toFixed(1).padStart(8)} µs/call`);
}

console.log(`first import of shared/cert/revocation/ocsp.ts  ${importMs.toFixed(0)} ms`);
const nonce = new Uint8Array(16).fill(7);
time('buildOcspRequest (SHA-1, nonce)', () =>
  buildOcspRequest({ certDer: leaf.certDer, issuerDer: ca.intermediate.certDer, nonce }),
);
time('evaluateOcspResponse, CA-signed (ECDSA)', () => {
  const verdict = evaluateOcspResponse({ responseDer: caSigned, certId, issuerDer: ca.intermediate.certDer, now });
  if (verdict.reason !== 'ocsp-good') throw new Error(verdict.reason);
});
time('evaluateOcspResponse, delegated (RSA)', () => {
  const verdict = evaluateOcspResponse({ responseDer: delegated, certId, issuerDer: ca.intermediate.certDer, now });
  if (verdict.reason !== 'ocsp-good') throw new Error(verdict.reason);
});
time('evaluateOcspResponse, malformed (1 byte off)', () =>
  evaluateOcspResponse({ responseDer: caSigned.subarray(1), certId, issuerDer: ca.intermediate.certDer, now }),
);
