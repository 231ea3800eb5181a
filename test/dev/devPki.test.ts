/**
 * The dev PKI: every file is written, each certificate has the properties the tour and the
 * end-to-end tests rely on (checked with node:crypto's own X.509 parser, independent of the
 * library that issued them), the CRLs say what they should, and files are reused or regenerated
 * as documented. The PKI is generated once into a temp dir with a fixed `now`.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_DEVICE,
  DEV_PKI_CLIENT_NAMES,
  ensureDevPki,
  issueCertificate,
  issueCrl,
  issuerCredentialsOf,
  type DevPki,
  type DevPkiCertificate,
  type KeyAlgorithmName,
} from '../../dev/pki/index.js';

const NOW = new Date('2025-06-15T12:00:00Z');
const DAY = 86_400_000;
const CRL_BASE = 'http://127.0.0.1:7080';
const days = (n: number) => new Date(NOW.getTime() + n * DAY);

let base: string;
let dir: string;
let pki: DevPki;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'certgate-dev-pki-'));
  dir = join(base, 'pki');
  pki = await ensureDevPki({ dir, crlBaseUrl: CRL_BASE, now: NOW });
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

function user(name: string): DevPkiCertificate {
  const found = pki.users[name];
  if (!found) throw new Error(`dev PKI has no ${name}`);
  return found;
}

function parse(certificate: DevPkiCertificate): X509Certificate {
  return new X509Certificate(certificate.certPem);
}

function cdpUrls(pem: string): string[] {
  const extension = new x509.X509Certificate(pem).getExtension(x509.CRLDistributionPointsExtension);
  return (extension?.distributionPoints ?? []).flatMap((point) =>
    (point.distributionPoint?.fullName ?? []).map((name) => name.uniformResourceIdentifier ?? ''),
  );
}

/**
 * The CA's public key as a WebCrypto key, via node:crypto (the library's own export picks the wrong hash for P-384).
 */
function verificationKey(
  certificate: DevPkiCertificate,
  algorithm: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams,
): Promise<webcrypto.CryptoKey> {
  const spki = parse(certificate).publicKey.export({ format: 'der', type: 'spki' });
  return webcrypto.subtle.importKey('spki', spki, algorithm, false, ['verify']);
}

async function copyOf(source: string): Promise<string> {
  const target = await mkdtemp(join(base, 'copy-'));
  await cp(source, target, { recursive: true });
  return target;
}

describe('dev PKI files', () => {
  const files = [
    'ca-root.crt',
    'ca-root.key',
    'ca-intermediate.crt',
    'ca-intermediate.key',
    'ca-bundle.crt',
    'ca-intermediate.crl',
    'ca-root.crl',
    'untrusted-root.crt',
    'gateway.crt',
    'gateway.key',
    'gateway-chain.crt',
    'README.txt',
    ...DEV_PKI_CLIENT_NAMES.flatMap((name) => [`${name}.crt`, `${name}.key`]),
  ];
  it.each(files)('writes %s', (file) => {
    expect(existsSync(join(dir, file))).toBe(true);
  });

  it('README lists every certificate file', async () => {
    const readme = await readFile(pki.readmePath, 'utf8');
    for (const name of [
      ...DEV_PKI_CLIENT_NAMES,
      'gateway',
      'untrusted-root',
      'ca-root',
      'ca-intermediate',
      'ca-bundle',
      'gateway-chain',
    ]) {
      expect(readme).toContain(`${name}.crt`);
    }
  });

  it('returns the PEMs it wrote', async () => {
    expect(await readFile(user('alice').certPath, 'utf8')).toBe(user('alice').certPem);
    expect(await readFile(user('alice').keyPath, 'utf8')).toBe(user('alice').keyPem);
    expect(await readFile(pki.bundle.path, 'utf8')).toBe(pki.bundle.pem);
    expect(await readFile(pki.gateway.chainPath, 'utf8')).toBe(pki.gateway.chainPem);
  });

  it.each([...DEV_PKI_CLIENT_NAMES, 'gateway'])('%s: the key is PKCS#8 PEM and matches the certificate', (name) => {
    const certificate = name === 'gateway' ? pki.gateway : user(name);
    expect(certificate.keyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    const fromKey = createPublicKey(createPrivateKey(certificate.keyPem)).export({ format: 'der', type: 'spki' });
    const fromCert = parse(certificate).publicKey.export({ format: 'der', type: 'spki' });
    expect(fromKey.equals(fromCert)).toBe(true);
  });
});

describe('dev PKI certificate authorities', () => {
  it('root: self-signed RSA-2048 CA with sha256WithRSAEncryption', () => {
    const root = parse(pki.root);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyType).toBe('rsa');
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new x509.X509Certificate(pki.root.certPem).signatureAlgorithm).toMatchObject({
      name: 'RSASSA-PKCS1-v1_5',
      hash: { name: 'SHA-256' },
    });
  });

  it('intermediate: ECDSA P-384 CA with path length 0, issued by the root', () => {
    const root = parse(pki.root);
    const intermediate = parse(pki.intermediate);
    expect(intermediate.ca).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(intermediate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(
      new x509.X509Certificate(pki.intermediate.certPem).getExtension(x509.BasicConstraintsExtension)?.pathLength,
    ).toBe(0);
  });

  it('the bundle holds the root and the intermediate, not the untrusted root', () => {
    expect(pki.bundle.pem).toContain(pki.root.certPem.trim());
    expect(pki.bundle.pem).toContain(pki.intermediate.certPem.trim());
    expect(pki.bundle.pem).not.toContain(pki.untrustedRoot.certPem.trim());
  });
});

describe('dev PKI client certificates', () => {
  const table: {
    name: string;
    issuer: 'intermediate' | 'untrusted-root';
    eku: string[];
    notBefore: Date;
    notAfter: Date;
  }[] = [
    { name: 'alice', issuer: 'intermediate', eku: ['1.3.6.1.5.5.7.3.2'], notBefore: days(-1), notAfter: days(365) },
    { name: 'bob', issuer: 'intermediate', eku: ['1.3.6.1.5.5.7.3.2'], notBefore: days(-1), notAfter: days(365) },
    { name: 'revoked', issuer: 'intermediate', eku: ['1.3.6.1.5.5.7.3.2'], notBefore: days(-1), notAfter: days(365) },
    { name: 'expired', issuer: 'intermediate', eku: ['1.3.6.1.5.5.7.3.2'], notBefore: days(-395), notAfter: days(-30) },
    {
      name: 'not-yet-valid',
      issuer: 'intermediate',
      eku: ['1.3.6.1.5.5.7.3.2'],
      notBefore: days(30),
      notAfter: days(395),
    },
    {
      name: 'no-client-auth',
      issuer: 'intermediate',
      eku: ['1.3.6.1.5.5.7.3.1'],
      notBefore: days(-1),
      notAfter: days(365),
    },
    {
      name: 'untrusted',
      issuer: 'untrusted-root',
      eku: ['1.3.6.1.5.5.7.3.2'],
      notBefore: days(-1),
      notAfter: days(365),
    },
  ];
  it.each(table)('$name: subject, SAN, EKU, validity and issuer', ({ name, issuer, eku, notBefore, notAfter }) => {
    const certificate = parse(user(name));
    const issuerCertificate = parse(issuer === 'intermediate' ? pki.intermediate : pki.untrustedRoot);
    expect(certificate.subject).toBe(`CN=${name}\nO=Contoso Dev`);
    expect(certificate.subjectAltName).toBe(`email:${name}@contoso.example, othername:UPN:${name}@contoso.example`);
    expect(certificate.keyUsage).toEqual(eku);
    expect(certificate.ca).toBe(false);
    expect(new Date(certificate.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(certificate.validTo).getTime()).toBe(notAfter.getTime());
    expect(certificate.checkIssued(issuerCertificate)).toBe(true);
    expect(certificate.verify(issuerCertificate.publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const keyUsage = new x509.X509Certificate(user(name).certPem).getExtension(x509.KeyUsagesExtension);
    expect(keyUsage?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
  });

  it.each(table.filter((row) => row.issuer === 'intermediate'))(
    '$name: CRL distribution point is the intermediate CRL',
    ({ name }) => {
      expect(cdpUrls(user(name).certPem)).toEqual([`${CRL_BASE}/ca-intermediate.crl`]);
    },
  );

  it('untrusted is not issued by the trusted CAs', () => {
    const untrusted = parse(user('untrusted'));
    expect(untrusted.checkIssued(parse(pki.intermediate))).toBe(false);
    expect(untrusted.checkIssued(parse(pki.root))).toBe(false);
  });

  it('device: Entra device id as subject CN, Intune device id in the SAN URI, clientAuth', () => {
    const device = parse(user('device'));
    expect(device.subject).toBe(`CN=${DEV_DEVICE.entraDeviceId}\nO=Contoso Dev`);
    expect(device.subjectAltName).toContain(`URI:IntuneDeviceId://${DEV_DEVICE.intuneDeviceId}`);
    expect(device.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(device.checkIssued(parse(pki.intermediate))).toBe(true);
  });

  it('gateway: TLS server certificate for 127.0.0.1 and localhost, chain is leaf + intermediate', () => {
    const gateway = parse(pki.gateway);
    expect(gateway.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(gateway.checkHost('localhost')).toBe('localhost');
    expect(gateway.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(gateway.checkIssued(parse(pki.intermediate))).toBe(true);
    expect(pki.gateway.chainPem).toBe(`${pki.gateway.certPem}${pki.intermediate.certPem}`);
  });
});

describe('dev PKI CRLs', () => {
  it('the intermediate CRL lists revoked, is signed by the intermediate and is fresh for 7 days', async () => {
    const crl = new x509.X509Crl(await readFile(pki.crls.intermediate.path));
    const intermediate = new x509.X509Certificate(pki.intermediate.certPem);
    const key = await verificationKey(pki.intermediate, { name: 'ECDSA', namedCurve: 'P-384' });
    expect(await crl.verify({ publicKey: key })).toBe(true);
    expect(crl.entries.map((entry) => entry.serialNumber.toLowerCase())).toEqual([user('revoked').serialNumber]);
    expect(crl.findRevoked(user('alice').serialNumber)).toBeNull();
    expect(crl.thisUpdate.getTime()).toBe(NOW.getTime());
    expect(crl.nextUpdate?.getTime()).toBe(days(7).getTime());
    expect(crl.issuer).toBe(intermediate.subject);
  });

  it('the root CRL is empty and signed by the root', async () => {
    const crl = new x509.X509Crl(await readFile(pki.crls.root.path));
    const key = await verificationKey(pki.root, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
    expect(await crl.verify({ publicKey: key })).toBe(true);
    expect(crl.entries).toHaveLength(0);
    expect(pki.crls.root.url).toBe(`${CRL_BASE}/ca-root.crl`);
  });
});

describe('dev PKI reuse and regeneration', () => {
  it('reuses complete files a day later and re-signs the CRLs with a higher CRL number', async () => {
    const copy = await copyOf(dir);
    const again = await ensureDevPki({ dir: copy, crlBaseUrl: CRL_BASE, now: days(1) });
    expect(again.generated).toBe(false);
    expect(again.users.alice?.certPem).toBe(user('alice').certPem);
    expect(again.crls.intermediate.crlNumber).toBe(pki.crls.intermediate.crlNumber + 1);
    expect(again.crls.intermediate.nextUpdate.getTime()).toBe(days(8).getTime());
  });

  // not-yet-valid starts at now+30d: it must stay more than 7 days away from its start, so the
  // set is kept until now+23d and regenerated after.
  it.each([
    { label: '8 days before not-yet-valid starts: reused', at: 22, generated: false },
    { label: '6 days before not-yet-valid starts: regenerated', at: 24, generated: true },
  ])('$label', async ({ at, generated }) => {
    const copy = await copyOf(dir);
    const again = await ensureDevPki({ dir: copy, crlBaseUrl: CRL_BASE, now: days(at) });
    expect(again.generated).toBe(generated);
    expect(again.users.alice?.certPem === user('alice').certPem).toBe(!generated);
  });

  it.each([
    { label: '8 days left: reused', daysLeft: 8, generated: false },
    { label: '6 days left: regenerated', daysLeft: 6, generated: true },
  ])('a certificate near expiry, $label', async ({ daysLeft, generated }) => {
    const copy = await copyOf(dir);
    const bob = user('bob');
    const intermediate = await issuerCredentialsOf(pki.intermediate);
    const nearExpiry = await issueCertificate({
      subject: 'CN=bob, O=Contoso Dev',
      issuer: intermediate,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: days(-300),
      notAfter: days(daysLeft),
      extKeyUsage: ['clientAuth'],
    });
    await writeFile(join(copy, 'bob.crt'), nearExpiry.cert.pem);
    await writeFile(join(copy, 'bob.key'), nearExpiry.key);
    const again = await ensureDevPki({ dir: copy, crlBaseUrl: CRL_BASE, now: NOW });
    expect(again.generated).toBe(generated);
    expect(again.users.bob?.certPem === bob.certPem).toBe(false);
    expect(again.users.bob?.notAfter.getTime()).toBe(generated ? days(365).getTime() : days(daysLeft).getTime());
  });

  it.each([
    { label: 'a missing key file', change: (copy: string) => unlink(join(copy, 'alice.key')) },
    {
      label: 'a garbled certificate',
      change: (copy: string) => writeFile(join(copy, 'ca-intermediate.crt'), 'not a certificate'),
    },
    { label: 'a missing manifest', change: (copy: string) => unlink(join(copy, 'dev-pki.json')) },
  ])('regenerates after $label', async ({ change }) => {
    const copy = await copyOf(dir);
    await change(copy);
    const again = await ensureDevPki({ dir: copy, crlBaseUrl: CRL_BASE, now: NOW });
    expect(again.generated).toBe(true);
    expect(existsSync(join(copy, 'alice.key'))).toBe(true);
    expect(again.root.certPem).not.toBe(pki.root.certPem);
  });

  it('regenerates when the CRL base URL changed (the CDP in every certificate would be wrong)', async () => {
    const copy = await copyOf(dir);
    const again = await ensureDevPki({ dir: copy, crlBaseUrl: 'http://127.0.0.1:7999', now: NOW });
    expect(again.generated).toBe(true);
    expect(cdpUrls(again.users.alice?.certPem ?? '')).toEqual(['http://127.0.0.1:7999/ca-intermediate.crl']);
  });
});

describe('issueCertificate and issueCrl', () => {
  const algorithms: { keyAlgorithm: KeyAlgorithmName; keyType: string }[] = [
    { keyAlgorithm: 'ecdsa-p256', keyType: 'ec' },
    { keyAlgorithm: 'ecdsa-p384', keyType: 'ec' },
    { keyAlgorithm: 'rsa-2048', keyType: 'rsa' },
    { keyAlgorithm: 'rsa-pss', keyType: 'rsa' },
    { keyAlgorithm: 'ed25519', keyType: 'ed25519' },
  ];
  it.each(algorithms)('a $keyAlgorithm CA issues a leaf that verifies and a CRL', async ({ keyAlgorithm, keyType }) => {
    const ca = await issueCertificate({
      subject: `CN=${keyAlgorithm} CA`,
      keyAlgorithm,
      notBefore: days(-1),
      notAfter: days(30),
      ca: { pathLength: 0 },
    });
    const leaf = await issueCertificate({
      subject: 'CN=leaf',
      issuer: ca.credentials,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: days(-1),
      notAfter: days(10),
      extKeyUsage: ['clientAuth', '1.3.6.1.4.1.311.20.2.2'],
      san: { dns: ['leaf.example'], uri: ['urn:example:leaf'], ip: ['10.0.0.1'] },
      serial: '0a0b0c',
    });
    const caCertificate = new X509Certificate(ca.cert.der);
    const leafCertificate = new X509Certificate(leaf.cert.pem);
    expect(caCertificate.publicKey.asymmetricKeyType).toBe(keyType);
    expect(leafCertificate.verify(caCertificate.publicKey)).toBe(true);
    expect(leafCertificate.serialNumber).toBe('0A0B0C');
    expect(leafCertificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.4.1.311.20.2.2']);
    expect(leafCertificate.subjectAltName).toBe('DNS:leaf.example, URI:urn:example:leaf, IP Address:10.0.0.1');
    const crl = await issueCrl({
      issuer: ca.credentials,
      revoked: [{ serial: '0a0b0c', date: NOW }],
      thisUpdate: NOW,
      nextUpdate: days(1),
      crlNumber: 7,
    });
    expect(crl.parsed.findRevoked('0a0b0c')).not.toBeNull();
    expect(crl.parsed.issuer).toBe(ca.cert.parsed.subject);
  });
});
