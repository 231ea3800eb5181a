/**
 * Revocation with real parts: a CRL distribution point over HTTP on loopback, the worker-thread
 * parser, the Blob archive on Azurite, and the validator consuming what the cache holds.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, issueCrl, type IssuedCertificate } from '../../dev/pki/index.js';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { BlobCrlArchive } from '../../shared/adapters/blobCrlArchive.js';
import { HttpCrlFetcher } from '../../shared/adapters/httpCrlFetcher.js';
import { createContainerClient } from '../../shared/adapters/storageClients.js';
import {
  createTrustStore,
  parseCertificates,
  validateCertificatePath,
  type TrustStore,
} from '../../shared/cert/validation/index.js';
import { CrlCache } from '../../shared/trust/crlCache.js';
import { crlUrlsOf } from '../../shared/trust/revocationPolicy.js';
import { CrlParser } from '../../shared/trust/crlParser.js';

const DAY = 86_400_000;
const start = new Date('2026-11-22T12:00:00Z');
const clock = {
  current: start,
  now() {
    return this.current;
  },
};

let azurite: Azurite;
let server: Server;
let url: string;
let root: IssuedCertificate;
let issuing: IssuedCertificate;
let good: IssuedCertificate;
let revoked: IssuedCertificate;
/** Issued as AD CS issues: an ldap:// distribution point first, the http:// one second. */
let adcsStyle: IssuedCertificate;
let trust: TrustStore;
/** A distribution point that accepts the connection and never answers. */
let silent: Server;
let silentUrl: string;
const LDAP_CDP =
  'ldap:///CN=CRL%20Test%20Issuing,CN=ca01,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=contoso,DC=example?certificateRevocationList?base?objectClass=cRLDistributionPoint';
const parser = new CrlParser();
const cdp = { body: new Uint8Array() as Uint8Array, mode: 'normal' as 'normal' | 'down', requests: 0, notModified: 0 };

async function publish(
  revokedSerials: string[],
  crlNumber: number,
  thisUpdate = clock.current,
  nextUpdate = new Date(clock.current.getTime() + DAY),
): Promise<void> {
  const crl = await issueCrl({
    issuer: issuing.credentials,
    revoked: revokedSerials.map((serial) => ({ serial, date: thisUpdate })),
    thisUpdate,
    nextUpdate,
    crlNumber,
  });
  cdp.body = crl.der;
}

function newCache(archiveName = 'crl-archive'): CrlCache {
  return new CrlCache(
    {
      fetcher: new HttpCrlFetcher({ timeoutMs: 2_000, maxBytes: 1024 * 1024 }),
      archive: new BlobCrlArchive(
        createContainerClient({ kind: 'connection-string', connectionString: azurite.connectionString }, archiveName),
      ),
      parse: (bytes) => parser.parse(bytes),
      clock,
    },
    300,
  );
}

function verdict(
  cache: CrlCache,
  leaf: IssuedCertificate,
  revocation: 'preferred' | 'required' = 'required',
  crlGraceSeconds = 0,
) {
  return validateCertificatePath({
    leaf: leaf.cert.der,
    trustStore: trust,
    time: clock.now(),
    revocation: 'off',
    revocationModeFor: () => revocation,
    parsedCrls: cache.current(),
    crlGraceSeconds,
  });
}

beforeAll(async () => {
  azurite = await startAzurite();
  server = createServer((req, res) => {
    cdp.requests++;
    if (cdp.mode === 'down') {
      res.statusCode = 503;
      res.end();
      return;
    }
    const etag = `"${createHash('sha256').update(cdp.body).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      cdp.notModified++;
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('etag', etag);
    res.end(cdp.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/issuing.crl`;
  const notBefore = new Date(start.getTime() - 30 * DAY);
  const notAfter = new Date(start.getTime() + 365 * DAY);
  root = await issueCertificate({
    subject: 'CN=CRL Test Root',
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: {},
  });
  issuing = await issueCertificate({
    subject: 'CN=CRL Test Issuing',
    issuer: root.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: { pathLength: 0 },
  });
  const leaf = (name: string) =>
    issueCertificate({
      subject: `CN=${name}`,
      issuer: issuing.credentials,
      keyAlgorithm: 'ecdsa-p256',
      notBefore,
      notAfter,
      extKeyUsage: ['clientAuth'],
      crlDistributionUrl: url,
    });
  good = await leaf('good');
  revoked = await leaf('revoked');
  adcsStyle = await issueCertificate({
    subject: 'CN=adcs-style',
    issuer: issuing.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    extKeyUsage: ['clientAuth'],
    extraExtensions: [new x509.CRLDistributionPointsExtension([LDAP_CDP, url], false)],
  });
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/silent.crl`;
  trust = createTrustStore([root.cert.der, issuing.cert.der]);
  await publish([revoked.cert.parsed.serialNumber], 10);
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  silent.closeAllConnections();
  silent.close();
  await parser.close();
  await azurite.close();
});

describe('CRL cache with a real distribution point', () => {
  const cache = (() => {
    let instance: CrlCache | undefined;
    return () => (instance ??= newCache());
  })();

  it('before any CRL: required → revocation unknown, preferred → passes', () => {
    expect(verdict(cache(), good).reason).toBe('certificate-revocation-unknown');
    expect(verdict(cache(), good, 'preferred').ok).toBe(true);
  });

  it('fetches, parses off-thread, and the validator finds the revoked serial', async () => {
    cache().track([url]);
    const report = await cache().refresh();
    expect(report).toMatchObject({ checked: 1, updated: 1, failed: 0 });
    expect(cache().status()[0]).toMatchObject({ url, crlNumber: '0a', entries: 1 });
    expect(verdict(cache(), good)).toMatchObject({ ok: true, reason: 'certificate-valid' });
    expect(verdict(cache(), revoked)).toMatchObject({ ok: false, reason: 'certificate-revoked' });
  });

  it('re-fetches conditionally: an unchanged CRL costs a 304', async () => {
    const before = cdp.notModified;
    await cache().refresh({ force: true });
    expect(cdp.notModified).toBe(before + 1);
  });

  it('a newly revoked certificate is blocked on the first request after the refresh', async () => {
    await publish([revoked.cert.parsed.serialNumber, good.cert.parsed.serialNumber], 11);
    expect(verdict(cache(), good).ok).toBe(true);
    const generation = cache().generation;
    await cache().refresh({ force: true });
    expect(cache().generation).toBe(generation + 1);
    expect(verdict(cache(), good).reason).toBe('certificate-revoked');
  });

  it('refuses a CRL whose cRLNumber went backwards, keeping the newer one', async () => {
    await publish([revoked.cert.parsed.serialNumber], 9);
    const report = await cache().refresh({ force: true });
    expect(report.failed).toBe(1);
    expect(cache().status()[0]?.lastError).toMatch(/^crl-number-regressed/);
    expect(verdict(cache(), good).reason).toBe('certificate-revoked');
  });

  it('keeps the last good CRL when the distribution point is down or serves garbage', async () => {
    cdp.mode = 'down';
    await cache().refresh({ force: true });
    expect(cache().status()[0]?.lastError).toMatch(/^crl-fetch-failed/);
    expect(verdict(cache(), good).reason).toBe('certificate-revoked');
    cdp.mode = 'normal';
    cdp.body = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
    await cache().refresh({ force: true });
    expect(cache().status()[0]?.lastError).toMatch(/^crl-malformed/);
    expect(verdict(cache(), good).reason).toBe('certificate-revoked');
  });

  it('honours the grace window past nextUpdate, and not beyond it', () => {
    const nextUpdate = new Date(cache().status()[0]!.nextUpdate!);
    clock.current = new Date(nextUpdate.getTime() + 30 * 60_000);
    expect(verdict(cache(), good, 'required', 3600).reason).toBe('certificate-revoked');
    expect(verdict(cache(), good, 'required', 0).reason).toBe('certificate-revocation-unknown');
    clock.current = new Date(nextUpdate.getTime() + 2 * 3_600_000);
    expect(verdict(cache(), good, 'required', 3600).reason).toBe('certificate-revocation-unknown');
    expect(cache().isDue()).toBe(true);
    clock.current = start;
  });

  it('after a restart with the distribution point down, serves the archived last good copy', async () => {
    cdp.mode = 'down';
    const restarted = newCache();
    await restarted.refresh();
    expect(restarted.status()).toEqual([
      expect.objectContaining({ url, crlNumber: '0b', lastError: expect.stringMatching(/^crl-fetch-failed/) }),
    ]);
    expect(verdict(restarted, good).reason).toBe('certificate-revoked');
    cdp.mode = 'normal';
  });

  it('does not fetch URLs that are not http(s), and says so in the status', () => {
    expect(cache().track(['ldap://dc1/CN=CRL', 'file:///etc/passwd'])).toBe(false);
    expect(cache().isDue()).toBe(false);
    const skipped = cache()
      .status()
      .filter((source) => source.skipped !== undefined);
    expect(skipped.map((source) => source.url)).toEqual(['ldap://dc1/CN=CRL', 'file:///etc/passwd']);
    expect(skipped[0]?.skipped).toMatch(/^ldap: distribution points are not fetched .*http/);
  });
});

describe('a certificate that names an ldap:// distribution point before its http:// one (AD CS)', () => {
  it('skips the ldap one with a note, fetches the http one and uses it', async () => {
    await publish([revoked.cert.parsed.serialNumber], 30);
    const parsed = parseCertificates(adcsStyle.cert.der);
    const urls = parsed.ok && parsed.certificates[0] ? crlUrlsOf(parsed.certificates[0]) : [];
    expect(urls).toEqual([LDAP_CDP, url]);
    const cache = newCache('crl-archive-adcs');
    expect(cache.track(urls)).toBe(true);
    const report = await cache.refresh();
    expect(report).toMatchObject({ checked: 1, updated: 1, failed: 0 });
    expect(cache.status()).toEqual([
      expect.objectContaining({
        url: LDAP_CDP,
        skipped: expect.stringMatching(/^ldap: distribution points are not fetched/),
      }),
      expect.objectContaining({ url, crlNumber: '1e', entries: 1 }),
    ]);
    expect(verdict(cache, adcsStyle)).toMatchObject({ ok: true, reason: 'certificate-valid' });
    expect(verdict(cache, revoked).reason).toBe('certificate-revoked');
  });
});

describe('loading distribution points now (a CA was just added)', () => {
  it('fetches at once and reports each URL: loaded with crlNumber and nextUpdate, or why not', async () => {
    await publish([revoked.cert.parsed.serialNumber], 31);
    const cache = newCache('crl-archive-load');
    const outcomes = await cache.loadNow([url, 'ldap://dc1/CN=CRL'], { deadlineMs: 5_000 });
    expect(outcomes).toEqual([
      {
        url,
        loaded: true,
        crlNumber: '1f',
        thisUpdate: start.toISOString(),
        nextUpdate: new Date(start.getTime() + DAY).toISOString(),
        entries: 1,
      },
      {
        url: 'ldap://dc1/CN=CRL',
        loaded: false,
        skipped: true,
        error: expect.stringMatching(/^crl-url-unsupported: ldap: /),
      },
    ]);
    // The first request after the load sees the CRL: no revocation-unknown.
    expect(verdict(cache, good)).toMatchObject({ ok: true, reason: 'certificate-valid' });
    expect(verdict(cache, revoked).reason).toBe('certificate-revoked');
  });

  it('a distribution point that never answers does not hold the caller past the deadline; the fetch goes on', async () => {
    const cache = newCache('crl-archive-silent');
    const began = performance.now();
    const [outcome] = await cache.loadNow([silentUrl], { deadlineMs: 300 });
    expect(performance.now() - began).toBeLessThan(1_500);
    expect(outcome).toEqual({
      url: silentUrl,
      loaded: false,
      error: expect.stringMatching(/^crl-fetch-timeout: no answer within 0\.3 s/),
    });
    // The fetcher's own time-out (2 s here) ends the attempt; the status then says why.
    await expect.poll(() => cache.status()[0]?.lastError, { timeout: 5_000 }).toMatch(/^crl-fetch-(timeout|failed)/);
  });

  it('reports a failing distribution point with its reason', async () => {
    cdp.mode = 'down';
    try {
      const [outcome] = await newCache('crl-archive-down').loadNow([url], { deadlineMs: 5_000 });
      expect(outcome).toEqual({ url, loaded: false, error: expect.stringMatching(/^crl-fetch-failed: HTTP 503/) });
    } finally {
      cdp.mode = 'normal';
    }
  });
});

describe('the first request that needs a distribution point never fetched in this worker', () => {
  it('waits (bounded) for it once, shares the fetch with a background refresh, and does not wait again', async () => {
    await publish([revoked.cert.parsed.serialNumber], 32);
    const cache = newCache('crl-archive-first');
    cache.track([url]);
    const requests = cdp.requests;
    cache.refreshInBackground();
    expect(await cache.awaitFirstFetch([url, LDAP_CDP], { deadlineMs: 5_000 })).toBe(true);
    expect(cdp.requests).toBe(requests + 1);
    expect(verdict(cache, revoked).reason).toBe('certificate-revoked');
    expect(await cache.awaitFirstFetch([url], { deadlineMs: 5_000 })).toBe(false);
    expect(cdp.requests).toBe(requests + 1);
  });

  it('gives up at the deadline when the distribution point does not answer', async () => {
    const cache = newCache('crl-archive-first-silent');
    const began = performance.now();
    expect(await cache.awaitFirstFetch([silentUrl], { deadlineMs: 200 })).toBe(false);
    expect(performance.now() - began).toBeLessThan(1_500);
  });
});
