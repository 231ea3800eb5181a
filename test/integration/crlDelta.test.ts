/**
 * Delta CRLs with real parts (RFC 5280 §5.2.4, §5.2.6): a distribution point over HTTP on
 * loopback serves a complete CRL whose freshestCRL names a delta CRL; the CRL cache fetches both
 * (the delta because the base points at it), the worker-thread parser parses them, and the
 * validator combines them.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509CrlReason } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../dev/pki/issue.js';
import { HttpCrlFetcher } from '../../shared/adapters/httpCrlFetcher.js';
import { createTrustStore, parseCertificates, validateCertificatePath } from '../../shared/cert/validation/index.js';
import { CrlCache } from '../../shared/trust/crlCache.js';
import { CrlParser } from '../../shared/trust/crlParser.js';
import { crlUrlsOf } from '../../shared/trust/revocationPolicy.js';
import { signCrl } from '../cert/revocation/crlFixtures.js';
import { NOW, issueTestCertificate as issue } from '../cert/validation/testCertificates.js';

const clock = { now: () => NOW };
const bodies = new Map<string, Uint8Array>();
const requests: string[] = [];
let server: Server;
let base: string;
let root: IssuedCertificate;
let ca: IssuedCertificate;
let leaf: IssuedCertificate;
const parser = new CrlParser();

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = bodies.get(req.url ?? '');
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await issue({ subject: 'CN=Delta Root', ca: {} });
  ca = await issue({ subject: 'CN=Delta CA', issuer: root.credentials, ca: {} });
  leaf = await issue({
    subject: 'CN=delta leaf',
    issuer: ca.credentials,
    extKeyUsage: ['clientAuth'],
    crlDistributionUrl: `${base}/ca.crl`,
  });
});

afterAll(async () => {
  await parser.close();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
});

describe('delta CRLs through the CRL cache (RFC 5280 §5.2.6 freshestCRL)', () => {
  it('fetches the delta CRL the complete CRL points at, and a revocation published only in the delta blocks', async () => {
    bodies.set(
      '/ca.crl',
      await signCrl({ signer: ca.credentials, crlNumber: 5, freshestUris: [`${base}/ca-delta.crl`] }),
    );
    bodies.set(
      '/ca-delta.crl',
      await signCrl({
        signer: ca.credentials,
        crlNumber: 6,
        deltaOf: 5,
        entries: [{ serial: leaf.cert.parsed.serialNumber, reason: X509CrlReason.keyCompromise }],
      }),
    );
    const cache = new CrlCache(
      {
        fetcher: new HttpCrlFetcher({ timeoutMs: 2_000, maxBytes: 1024 * 1024 }),
        parse: (bytes) => parser.parse(bytes),
        clock,
      },
      300,
    );
    const parsedLeaf = parseCertificates(leaf.cert.der);
    if (!parsedLeaf.ok || parsedLeaf.certificates[0] === undefined) throw new Error('leaf');
    cache.track(crlUrlsOf(parsedLeaf.certificates[0]));
    await cache.refresh();
    expect(requests).toEqual(['/ca.crl', '/ca-delta.crl']);
    const result = validateCertificatePath({
      leaf: leaf.cert.der,
      intermediates: [ca.cert.der],
      trustStore: createTrustStore([root.cert.der]),
      time: NOW,
      revocation: 'off',
      revocationModeFor: (certificate) => (certificate.issuer.text === 'CN=Delta CA' ? 'required' : 'off'),
      parsedCrls: cache.current(),
    });
    expect(result.reason).toBe('certificate-revoked');
    expect(result.trace.find((entry) => entry.check === 'revocation')?.detail).toContain('delta CRL');
  });
});
