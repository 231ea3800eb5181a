import 'reflect-metadata';
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
  root = await issueCertificate({ subject: 'CN=Admission Root', keyAlgorithm: 'ecdsa-p256', notBefore: new Date(now.getTime() - year), notAfter: new Date(now.getTime() + 10 * year), ca: {} });
  intermediate = await issueCertificate({ subject: 'CN=Admission Issuing', issuer: root.credentials, keyAlgorithm: 'ecdsa-p256', notBefore: new Date(now.getTime() - year), notAfter: new Date(now.getTime() + 5 * year), ca: { pathLength: 0 } });
  leaf = await issueCertificate({ subject: 'CN=leaf', issuer: intermediate.credentials, keyAlgorithm: 'ecdsa-p256', notBefore: new Date(now.getTime() - year), notAfter: new Date(now.getTime() + year), extKeyUsage: ['clientAuth'] });
  expiredCa = await issueCertificate({ subject: 'CN=Old Root', keyAlgorithm: 'ecdsa-p256', notBefore: new Date(now.getTime() - 3 * year), notAfter: new Date(now.getTime() - 1000), ca: {} });
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
    { label: 'bad base64 in armour', body: '-----BEGIN CERTIFICATE-----\n$$$\n-----END CERTIFICATE-----', reason: 'ca-malformed' },
    { label: 'armour of something else', body: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', reason: 'ca-bundle-empty' },
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
    { label: 'garbage DER', der: () => new Uint8Array([0x30, 0x03, 0x01, 0x01, 0xff]), existing: () => [], reason: 'ca-malformed' },
  ])('refuses $label with $reason', ({ der, existing, reason }) => {
    const [verdict] = admitCaCertificates([der()], context(existing()));
    expect(verdict).toMatchObject({ ok: false, reason });
  });

  it('refuses a CA already stored, and the same CA twice in one upload', () => {
    const [first] = admitCaCertificates([root.cert.der], context());
    const thumbprint = first?.ok ? first.ca.thumbprint : '';
    expect(admitCaCertificates([root.cert.der], context([thumbprint]))[0]).toMatchObject({ ok: false, reason: 'ca-already-present' });
    expect(admitCaCertificates([root.cert.der, root.cert.der], context()).map((v) => v.ok)).toEqual([true, false]);
  });

  it('treats notAfter as the last valid instant', () => {
    const edge = new Date(expiredCa.cert.parsed.notAfter.getTime());
    expect(admitCaCertificates([expiredCa.cert.der], { ...context(), now: edge })[0]?.ok).toBe(true);
    expect(admitCaCertificates([expiredCa.cert.der], { ...context(), now: new Date(edge.getTime() + 1000) })[0]).toMatchObject({ reason: 'ca-expired' });
  });
});
