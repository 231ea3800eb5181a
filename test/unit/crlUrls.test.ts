import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCertificate } from '../../dev/pki/index.js';
import { parseCertificates, type ParsedCertificate } from '../../shared/cert/validation/index.js';
import { DEFAULT_BINDING_RULE_NAMES, DEFAULT_REVOCATION_POLICY, type TrustedCa } from '../../shared/ports.js';
import { crlUrlsToLoad } from '../../shared/trust/caAdmission.js';
import {
  crlUrlsForPath,
  crlUrlsOf,
  firstUnsupportedCrlUrl,
  isFetchableCrlUrl,
  thumbprintOf,
  unsupportedCrlUrlScheme,
} from '../../shared/trust/revocationPolicy.js';

const LDAP =
  'ldap:///CN=Contoso%20Issuing,CN=ca01,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=contoso,DC=com?certificateRevocationList?base?objectClass=cRLDistributionPoint';
const HTTP = 'http://pki.contoso.com/CertEnroll/Contoso%20Issuing.crl';
const now = new Date('2026-11-22T12:00:00Z');
const year = 365 * 86_400_000;
let root: IssuedCertificate;
let issuing: IssuedCertificate;
let leaf: IssuedCertificate;

const parsed = (cert: IssuedCertificate): ParsedCertificate => {
  const result = parseCertificates(cert.cert.der);
  if (!result.ok || !result.certificates[0]) throw new Error('does not parse');
  return result.certificates[0];
};

const stored = (cert: IssuedCertificate, crlUrls: string[]): TrustedCa => ({
  thumbprint: thumbprintOf(parsed(cert)),
  der: cert.cert.der,
  subject: 'CN=x',
  issuer: 'CN=x',
  serialNumber: '01',
  notBefore: now.toISOString(),
  notAfter: now.toISOString(),
  kind: 'root',
  label: 'x',
  enabled: true,
  revocation: DEFAULT_REVOCATION_POLICY,
  crlUrls,
  bindingRules: DEFAULT_BINDING_RULE_NAMES,
  addedAt: now.toISOString(),
  addedBy: 'test',
  etag: 'W/"1"',
});

beforeAll(async () => {
  const window = { notBefore: new Date(now.getTime() - year), notAfter: new Date(now.getTime() + year) };
  root = await issueCertificate({ subject: 'CN=Contoso Root', keyAlgorithm: 'ecdsa-p256', ...window, ca: {} });
  issuing = await issueCertificate({
    subject: 'CN=Contoso Issuing',
    issuer: root.credentials,
    keyAlgorithm: 'ecdsa-p256',
    ...window,
    ca: { pathLength: 0 },
    extraExtensions: [
      new x509.CRLDistributionPointsExtension(
        ['ldap:///CN=Contoso%20Root?certificateRevocationList', 'http://pki.contoso.com/root.crl'],
        false,
      ),
    ],
  });
  leaf = await issueCertificate({
    subject: 'CN=leaf',
    issuer: issuing.credentials,
    keyAlgorithm: 'ecdsa-p256',
    ...window,
    extKeyUsage: ['clientAuth'],
    extraExtensions: [new x509.CRLDistributionPointsExtension([LDAP, HTTP], false)],
  });
});

describe('which CRL URLs certgate fetches', () => {
  it.each([
    { url: HTTP, fetchable: true, scheme: undefined },
    { url: 'HTTPS://pki.contoso.com/a.crl', fetchable: true, scheme: undefined },
    { url: LDAP, fetchable: false, scheme: 'ldap' },
    { url: 'ldaps://dc1.contoso.com/CN=CRL', fetchable: false, scheme: 'ldaps' },
    { url: 'file:///C:/Windows/System32/CertSrv/CertEnroll/ca.crl', fetchable: false, scheme: 'file' },
    { url: 'FTP://pki.contoso.com/a.crl', fetchable: false, scheme: 'ftp' },
    { url: 'pki.contoso.com:80/a.crl', fetchable: false, scheme: undefined },
  ])('$url: fetched $fetchable, unsupported scheme $scheme', ({ url, fetchable, scheme }) => {
    expect(isFetchableCrlUrl(url)).toBe(fetchable);
    expect(unsupportedCrlUrlScheme(url)).toBe(scheme);
  });

  it('finds the first unsupported URL an admin sent, whatever else the body holds', () => {
    expect(firstUnsupportedCrlUrl([HTTP, LDAP, 'file:///x'])).toEqual({ url: LDAP, scheme: 'ldap' });
    expect(firstUnsupportedCrlUrl([HTTP, 42, 'not a url'])).toBeUndefined();
    expect(firstUnsupportedCrlUrl('ldap://x')).toBeUndefined();
    expect(firstUnsupportedCrlUrl(undefined)).toBeUndefined();
  });
});

describe('distribution points certificates name', () => {
  it('lists every URI in order, the ldap:// one included (the cache skips it)', () => {
    expect(crlUrlsOf(parsed(leaf))).toEqual([LDAP, HTTP]);
  });

  it('a CA being added: its configured URLs, then those its certificate names, without repeats', () => {
    expect(crlUrlsToLoad({ der: issuing.cert.der, crlUrls: [HTTP, 'http://pki.contoso.com/root.crl'] })).toEqual([
      HTTP,
      'http://pki.contoso.com/root.crl',
      'ldap:///CN=Contoso%20Root?certificateRevocationList',
    ]);
    expect(crlUrlsToLoad({ der: root.cert.der, crlUrls: [] })).toEqual([]);
  });

  it("a path: the leaf's, the stored CAs' configured ones and their certificates' — not other CAs'", () => {
    const other = 'http://other-ca.example/ca.crl';
    const cas = new Map([
      [thumbprintOf(parsed(issuing)), stored(issuing, ['http://pki.contoso.com/issuing-configured.crl'])],
      [thumbprintOf(parsed(root)), stored(root, [])],
      ['f'.repeat(64), { ...stored(root, [other]), thumbprint: 'f'.repeat(64) }],
    ]);
    const path = [thumbprintOf(parsed(leaf)), thumbprintOf(parsed(issuing)), thumbprintOf(parsed(root))];
    const urls = crlUrlsForPath(parsed(leaf), path, cas, [parsed(root), parsed(issuing)]);
    expect(urls).toEqual([
      LDAP,
      HTTP,
      'http://pki.contoso.com/issuing-configured.crl',
      'ldap:///CN=Contoso%20Root?certificateRevocationList',
      'http://pki.contoso.com/root.crl',
    ]);
    expect(urls).not.toContain(other);
  });
});
