import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  certificateSummary,
  parseCertificates,
  parseCrl,
  findRevokedEntry,
  isCrlParseFailure,
} from '../../../shared/cert/validation/index.js';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { issueTestCertificate, issueTestCrl } from './testCertificates.js';

let root: IssuedCertificate;
let leaf: IssuedCertificate;

beforeAll(async () => {
  // @peculiar/x509 encodes RDNs in string order; certgate prints RFC 4514 order (last RDN first).
  root = await issueTestCertificate({ subject: 'O=Contoso, CN=parse root', ca: {} });
  // The SAN is written as a raw extension because this test needs the names in exactly this order.
  const san = new x509.SubjectAlternativeNameExtension(
    [
      { type: 'upn', value: 'alice@contoso.example' },
      { type: 'email', value: 'alice@contoso.example' },
      { type: 'dns', value: 'pc1.contoso.example' },
      { type: 'ip', value: '192.0.2.10' },
      { type: 'url', value: 'https://contoso.example/devices/1' },
    ],
    false,
  );
  leaf = await issueTestCertificate({
    subject: 'O=Contoso, CN=alice',
    issuer: root.credentials,
    extKeyUsage: ['clientAuth'],
    extraExtensions: [san],
  });
});

describe('parseCertificates', () => {
  it.each([
    { label: 'DER', input: () => leaf.cert.der, count: 1 },
    { label: 'PEM', input: () => leaf.cert.pem, count: 1 },
    {
      label: 'PEM bundle with CRLF and indentation',
      input: () => `${leaf.cert.pem}\r\n  ${root.cert.pem.replace(/\n/g, '\r\n  ')}`,
      count: 2,
    },
    { label: 'PEM as bytes', input: () => new Uint8Array(Buffer.from(leaf.cert.pem)), count: 1 },
    { label: 'bare base64 DER', input: () => Buffer.from(leaf.cert.der).toString('base64'), count: 1 },
  ])('accepts $label', ({ input, count }) => {
    const parsed = parseCertificates(input());
    expect(parsed.ok && parsed.certificates.length).toBe(count);
  });

  it.each([
    { label: 'empty', input: '' },
    { label: 'unterminated PEM', input: '-----BEGIN CERTIFICATE-----\nMIIB' },
    { label: 'PEM with a bad body', input: '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----' },
    { label: 'DER with trailing bytes', input: 'trailing' },
  ])('rejects $label with certificate-malformed', ({ label, input }) => {
    const value = label === 'DER with trailing bytes' ? new Uint8Array([...leaf.cert.der, 0]) : input;
    const parsed = parseCertificates(value);
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('certificate-malformed');
  });

  it('decodes the fields the product relies on, agreeing with node:crypto', () => {
    const parsed = parseCertificates(leaf.cert.der);
    if (!parsed.ok) throw new Error(parsed.detail);
    const [certificate] = parsed.certificates;
    const reference = new X509Certificate(leaf.cert.der);
    expect(certificate?.serialNumber).toBe(reference.serialNumber.toLowerCase());
    expect(certificate?.notAfter.getTime()).toBe(new Date(reference.validTo).getTime());
    expect(certificate?.extensions.extKeyUsage?.purposes).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(certificate?.extensions.basicConstraints).toEqual({ critical: true, ca: false, pathLength: undefined });
    expect(certificate?.extensions.keyUsage?.usages.has('digitalSignature')).toBe(true);
    const parsedRoot = parseCertificates(root.cert.der);
    expect(parsedRoot.ok && parsedRoot.certificates[0]?.extensions.subjectKeyIdentifier?.keyIdentifier).toBe(
      certificate?.extensions.authorityKeyIdentifier?.keyIdentifier,
    );
    const summary = certificateSummary(certificate!);
    expect(summary).toEqual({
      subject: 'CN=alice, O=Contoso',
      issuer: 'CN=parse root, O=Contoso',
      serialNumber: reference.serialNumber.toLowerCase(),
      sha256Thumbprint: reference.fingerprint256.replace(/:/g, '').toLowerCase(),
      notBefore: new Date(reference.validFrom).toISOString(),
      notAfter: new Date(reference.validTo).toISOString(),
      subjectAltNames: [
        'upn:alice@contoso.example',
        'email:alice@contoso.example',
        'dns:pc1.contoso.example',
        'ip:192.0.2.10',
        'uri:https://contoso.example/devices/1',
      ],
      policyOids: [],
    });
  });

  it('matches issuer and subject names case- and space-insensitively (RFC 5280 §7.1)', async () => {
    const upper = parseCertificates(
      (await issueTestCertificate({ subject: 'O=contoso, CN=  Parse   ROOT ', ca: {} })).cert.der,
    );
    const lower = parseCertificates(root.cert.der);
    if (!upper.ok || !lower.ok) throw new Error('parse failed');
    expect(upper.certificates[0]?.subject.normalized).toBe(lower.certificates[0]?.subject.normalized);
  });
});

describe('parseCrl', () => {
  it('parses a CRL and finds revoked serials in O(1)', async () => {
    const crl = parseCrl(
      await issueTestCrl(root.credentials, [leaf.cert.parsed.serialNumber, '0a0b0c'], { crlNumber: 7 }),
    );
    if (isCrlParseFailure(crl)) throw new Error(crl.detail);
    const parsedLeaf = parseCertificates(leaf.cert.der);
    if (!parsedLeaf.ok) throw new Error(parsedLeaf.detail);
    expect(crl.revoked.size).toBe(2);
    expect(crl.crlNumber).toBe('07');
    expect(findRevokedEntry(crl, parsedLeaf.certificates[0]!)?.reason).toBe('keyCompromise');
  });

  it('accepts PEM CRLs and rejects garbage with a reason', async () => {
    const der = await issueTestCrl(root.credentials, []);
    const pem = `-----BEGIN X509 CRL-----\r\n${Buffer.from(der)
      .toString('base64')
      .replace(/(.{64})/g, '$1\r\n')}\r\n-----END X509 CRL-----\r\n`;
    expect(isCrlParseFailure(parseCrl(pem))).toBe(false);
    const garbage = parseCrl(new Uint8Array([0x30, 0x80, 0x00]));
    expect(isCrlParseFailure(garbage) && garbage.reason).toBe('certificate-malformed');
  });
});
