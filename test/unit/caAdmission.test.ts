import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCertificate } from '../../dev/pki/index.js';
import { admitCaCertificates, decodeCertificateUpload } from '../../shared/trust/caAdmission.js';

const now = new Date('2026-11-22T12:00:00Z');
const year = 365 * 86_400_000;
let root: IssuedCertificate;
let intermediate: IssuedCertificate;
let leaf: IssuedCertificate;
let expiredCa: IssuedCertificate;

beforeAll(async () => {
  root = await issueCertificate({
    subject: 'CN=Admission Root',
    keyAlgorithm: 'ecdsa-p256',
    notBefore: new Date(now.getTime() - year),
    notAfter: new Date(now.getTime() + 10 * year),
    ca: {},
  });
  intermediate = await issueCertificate({
    subject: 'CN=Admission Issuing',
    issuer: root.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore: new Date(now.getTime() - year),
    notAfter: new Date(now.getTime() + 5 * year),
    ca: { pathLength: 0 },
  });
  leaf = await issueCertificate({
    subject: 'CN=leaf',
    issuer: intermediate.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore: new Date(now.getTime() - year),
    notAfter: new Date(now.getTime() + year),
    extKeyUsage: ['clientAuth'],
  });
  expiredCa = await issueCertificate({
    subject: 'CN=Old Root',
    keyAlgorithm: 'ecdsa-p256',
    notBefore: new Date(now.getTime() - 3 * year),
    notAfter: new Date(now.getTime() - 1000),
    ca: {},
  });
});

const context = (existing: string[] = []) => ({ existingThumbprints: new Set(existing), now, addedBy: 'test' });

describe('decodeCertificateUpload', () => {
  it('reads a PEM bundle with CRLF line endings, and one DER certificate', () => {
    const bundle = `${root.cert.pem}\r\n${intermediate.cert.pem}`.replace(/\n/g, '\r\n');
    const ders = decodeCertificateUpload(new Uint8Array(Buffer.from(bundle)));
    expect(Array.isArray(ders) && ders.length).toBe(2);
    expect(decodeCertificateUpload(root.cert.der)).toEqual([root.cert.der]);
  });

  it.each([
    { label: 'empty', body: '', reason: 'ca-bundle-empty' },
    { label: 'whitespace', body: '  \n', reason: 'ca-bundle-empty' },
    { label: 'text', body: 'hello', reason: 'ca-malformed' },
    {
      label: 'bad base64 in armour',
      body: '-----BEGIN CERTIFICATE-----\n$$$\n-----END CERTIFICATE-----',
      reason: 'ca-malformed',
    },
    {
      label: 'armour of something else',
      body: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      reason: 'ca-bundle-empty',
    },
  ])('$label → $reason', ({ body, reason }) => {
    expect(decodeCertificateUpload(new Uint8Array(Buffer.from(body)))).toEqual({ reason });
  });
});

describe('admitCaCertificates', () => {
  it('admits a root and an intermediate with their kinds and SHA-256 thumbprints', () => {
    const verdicts = admitCaCertificates([root.cert.der, intermediate.cert.der], context());
    expect(verdicts.map((v) => v.ok && v.ca.kind)).toEqual(['root', 'intermediate']);
    const first = verdicts[0];
    expect(first?.ok && first.ca.thumbprint).toMatch(/^[0-9a-f]{64}$/);
    expect(first?.ok && first.ca.addedAt).toBe(now.toISOString());
  });

  it.each([
    { label: 'a leaf', der: () => leaf.cert.der, existing: () => [], reason: 'ca-not-a-ca' },
    { label: 'an expired CA', der: () => expiredCa.cert.der, existing: () => [], reason: 'ca-expired' },
    {
      label: 'garbage DER',
      der: () => new Uint8Array([0x30, 0x03, 0x01, 0x01, 0xff]),
      existing: () => [],
      reason: 'ca-malformed',
    },
  ])('refuses $label with $reason', ({ der, existing, reason }) => {
    const [verdict] = admitCaCertificates([der()], context(existing()));
    expect(verdict).toMatchObject({ ok: false, reason });
  });

  it('refuses a CA already stored, and the same CA twice in one upload', () => {
    const [first] = admitCaCertificates([root.cert.der], context());
    const thumbprint = first?.ok ? first.ca.thumbprint : '';
    expect(admitCaCertificates([root.cert.der], context([thumbprint]))[0]).toMatchObject({
      ok: false,
      reason: 'ca-already-present',
    });
    expect(admitCaCertificates([root.cert.der, root.cert.der], context()).map((v) => v.ok)).toEqual([true, false]);
  });

  it('treats notAfter as the last valid instant', () => {
    const edge = new Date(expiredCa.cert.parsed.notAfter.getTime());
    expect(admitCaCertificates([expiredCa.cert.der], { ...context(), now: edge })[0]?.ok).toBe(true);
    expect(
      admitCaCertificates([expiredCa.cert.der], { ...context(), now: new Date(edge.getTime() + 1000) })[0],
    ).toMatchObject({ reason: 'ca-expired' });
  });
});

describe('decodeCertificateUpload refuses private keys (nothing of the key is echoed)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cipher = (passphrase?: string) => (passphrase ? { cipher: 'aes-256-cbc', passphrase } : {});
  const pem = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1', passphrase?: string): string =>
    String(key.export({ format: 'pem', type, ...cipher(passphrase) }));
  const der = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1', passphrase?: string): Uint8Array =>
    new Uint8Array(key.export({ format: 'der', type, ...cipher(passphrase) }));
  /** A PKCS#12 file as an admin exports it from Windows or openssl: the CA certificate and its key. */
  const pfx = (legacy: boolean): Uint8Array => {
    const dir = mkdtempSync(join(tmpdir(), 'certgate-pfx-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), root.cert.pem);
      writeFileSync(join(dir, 'ca.key'), root.key);
      execFileSync(
        'openssl',
        [
          'pkcs12',
          '-export',
          ...(legacy ? ['-legacy'] : []),
          '-in',
          join(dir, 'ca.crt'),
          '-inkey',
          join(dir, 'ca.key'),
          '-out',
          join(dir, 'ca.pfx'),
          '-passout',
          'pass:secret',
        ],
        { stdio: 'pipe' },
      );
      return new Uint8Array(readFileSync(join(dir, 'ca.pfx')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  /** BER with indefinite lengths, as some Windows exports are: version 3, then a pkcs7-data ContentInfo. */
  const berPfx = new Uint8Array([
    0x30, 0x80, 0x02, 0x01, 0x03, 0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0,
    0x80, 0x24, 0x80, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  ]);
  const text = (value: string) => new Uint8Array(Buffer.from(value));

  const cases: { label: string; body: () => Uint8Array; secret: () => string }[] = [
    {
      label: 'PEM PRIVATE KEY (PKCS#8)',
      body: () => text(pem(rsa.privateKey, 'pkcs8')),
      secret: () => pem(rsa.privateKey, 'pkcs8'),
    },
    {
      label: 'PEM RSA PRIVATE KEY (PKCS#1)',
      body: () => text(pem(rsa.privateKey, 'pkcs1')),
      secret: () => pem(rsa.privateKey, 'pkcs1'),
    },
    {
      label: 'PEM EC PRIVATE KEY (SEC 1)',
      body: () => text(pem(ec.privateKey, 'sec1')),
      secret: () => pem(ec.privateKey, 'sec1'),
    },
    {
      label: 'PEM ENCRYPTED PRIVATE KEY',
      body: () => text(pem(ec.privateKey, 'pkcs8', 'pw')),
      secret: () => pem(ec.privateKey, 'pkcs8', 'pw'),
    },
    {
      label: 'the CA certificate followed by its key',
      body: () => text(`${root.cert.pem}\n${root.key}`),
      secret: () => root.key,
    },
    {
      label: 'the key first, then the certificates',
      body: () => text(`${root.key}\n${root.cert.pem}${intermediate.cert.pem}`),
      secret: () => root.key,
    },
    {
      label: 'a key with CRLF line endings and surrounding text',
      body: () => text(`Bag Attributes\r\n${pem(ec.privateKey, 'pkcs8').replace(/\n/g, '\r\n')}`),
      secret: () => pem(ec.privateKey, 'pkcs8'),
    },
    {
      label: 'DER PKCS#8',
      body: () => der(rsa.privateKey, 'pkcs8'),
      secret: () => Buffer.from(der(rsa.privateKey, 'pkcs8')).toString('base64'),
    },
    {
      label: 'DER PKCS#1 RSA',
      body: () => der(rsa.privateKey, 'pkcs1'),
      secret: () => Buffer.from(der(rsa.privateKey, 'pkcs1')).toString('base64'),
    },
    {
      label: 'DER SEC 1 EC',
      body: () => der(ec.privateKey, 'sec1'),
      secret: () => Buffer.from(der(ec.privateKey, 'sec1')).toString('base64'),
    },
    {
      label: 'DER encrypted PKCS#8',
      body: () => der(ec.privateKey, 'pkcs8', 'pw'),
      secret: () => Buffer.from(der(ec.privateKey, 'pkcs8', 'pw')).toString('base64'),
    },
    {
      label: 'bare base64 of a DER key',
      body: () => text(Buffer.from(der(ec.privateKey, 'pkcs8')).toString('base64')),
      secret: () => Buffer.from(der(ec.privateKey, 'pkcs8')).toString('base64'),
    },
    { label: 'a PKCS#12 / PFX file (openssl 3 default)', body: () => pfx(false), secret: () => root.key },
    { label: 'a PKCS#12 / PFX file (legacy RC2/3DES)', body: () => pfx(true), secret: () => root.key },
    { label: 'a PKCS#12 / PFX file in BER with indefinite lengths', body: () => berPfx, secret: () => 'MIA' },
    {
      label: 'a PKCS#12 / PFX file as bare base64',
      body: () => text(Buffer.from(pfx(false)).toString('base64')),
      secret: () => root.key,
    },
  ];

  it.each(cases)('$label → ca-upload-contains-private-key', ({ body, secret }) => {
    const result = decodeCertificateUpload(body());
    expect(result).toMatchObject({
      reason: 'ca-upload-contains-private-key',
      detail: expect.stringMatching(/only the (CA )?certificate/i),
    });
    const said = JSON.stringify(result);
    // Nothing of the key comes back: not the PEM body, not a line of its base64.
    const base64Lines = secret()
      .split(/\r?\n/)
      .filter((line) => line.length >= 16 && !line.startsWith('-----'));
    for (const line of base64Lines) expect(said).not.toContain(line);
    expect(said).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });

  it('still reads certificates whose text merely mentions a key', () => {
    const ders = decodeCertificateUpload(
      text(`subject=CN=Admission Root (the PRIVATE KEY stays on the CA)\n${root.cert.pem}`),
    );
    expect(Array.isArray(ders) && ders.length).toBe(1);
    expect(decodeCertificateUpload(root.cert.der)).toEqual([root.cert.der]);
    expect(decodeCertificateUpload(intermediate.cert.der)).toEqual([intermediate.cert.der]);
  });
});
