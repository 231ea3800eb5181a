import './reflectMetadataPolyfill.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { certificateSummary, parseCertificates, parseCrl, findRevokedEntry, isCrlParseFailure } from '../../../shared/cert/validation/index.js';
import { CLIENT_AUTH, issue, issueCrl, type Issued } from './devPki.js';

let root: Issued;
let leaf: Issued;

beforeAll(async () => {
  // @peculiar/x509 encodes RDNs in string order; certgate prints RFC 4514 order (last RDN first).
  root = await issue({ subject: 'O=Contoso, CN=parse root', ca: true });
  leaf = await issue({
    subject: 'O=Contoso, CN=alice',
    issuer: root,
    eku: [CLIENT_AUTH],
    san: [
      { type: 'upn', value: 'alice@contoso.example' },
      { type: 'email', value: 'alice@contoso.example' },
      { type: 'dns', value: 'pc1.contoso.example' },
      { type: 'ip', value: '192.0.2.10' },
      { type: 'url', value: 'https://contoso.example/devices/1' },
    ],
  });
});

describe('parseCertificates', () => {
  it.each([
    { label: 'DER', input: () => leaf.der, count: 1 },
    { label: 'PEM', input: () => leaf.pem, count: 1 },
    { label: 'PEM bundle with CRLF and indentation', input: () => `${leaf.pem}\r\n  ${root.pem.replace(/\n/g, '\r\n  ')}`, count: 2 },
    { label: 'PEM as bytes', input: () => new Uint8Array(Buffer.from(leaf.pem)), count: 1 },
    { label: 'bare base64 DER', input: () => Buffer.from(leaf.der).toString('base64'), count: 1 },
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
    const value = label === 'DER with trailing bytes' ? new Uint8Array([...leaf.der, 0]) : input;
    const parsed = parseCertificates(value);
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('certificate-malformed');
  });

  it('decodes the fields the product relies on, agreeing with node:crypto', () => {
    const parsed = parseCertificates(leaf.der);
    if (!parsed.ok) throw new Error(parsed.detail);
    const [certificate] = parsed.certificates;
    const reference = new X509Certificate(leaf.der);
    expect(certificate?.serialNumber).toBe(reference.serialNumber.toLowerCase());
    expect(certificate?.notAfter.getTime()).toBe(new Date(reference.validTo).getTime());
    expect(certificate?.extensions.extKeyUsage?.purposes).toEqual([CLIENT_AUTH]);
    expect(certificate?.extensions.basicConstraints).toEqual({ critical: true, ca: false, pathLength: undefined });
    expect(certificate?.extensions.keyUsage?.usages.has('digitalSignature')).toBe(true);
    const parsedRoot = parseCertificates(root.der);
    expect(parsedRoot.ok && parsedRoot.certificates[0]?.extensions.subjectKeyIdentifier?.keyIdentifier).toBe(certificate?.extensions.authorityKeyIdentifier?.keyIdentifier);
    const summary = certificateSummary(certificate!);
    expect(summary).toEqual({
      subject: 'CN=alice, O=Contoso',
      issuer: 'CN=parse root, O=Contoso',
      serialNumber: reference.serialNumber.toLowerCase(),
      sha256Thumbprint: reference.fingerprint256.replace(/:/g, '').toLowerCase(),
      notBefore: new Date(reference.validFrom).toISOString(),
      notAfter: new Date(reference.validTo).toISOString(),
      subjectAltNames: ['upn:alice@contoso.example', 'email:alice@contoso.example', 'dns:pc1.contoso.example', 'ip:192.0.2.10', 'uri:https://contoso.example/devices/1'],
    });
  });

  it('matches issuer and subject names case- and space-insensitively (RFC 5280 §7.1)', async () => {
    const upper = parseCertificates((await issue({ subject: 'O=contoso, CN=  Parse   ROOT ', ca: true })).der);
    const lower = parseCertificates(root.der);
    if (!upper.ok || !lower.ok) throw new Error('parse failed');
    expect(upper.certificates[0]?.subject.normalized).toBe(lower.certificates[0]?.subject.normalized);
  });
});

describe('parseCrl', () => {
  it('parses a CRL and finds revoked serials in O(1)', async () => {
    const crl = parseCrl(await issueCrl(root, [leaf.cert.serialNumber, '0a0b0c'], { crlNumber: 7 }));
    if (isCrlParseFailure(crl)) throw new Error(crl.detail);
    const parsedLeaf = parseCertificates(leaf.der);
    if (!parsedLeaf.ok) throw new Error(parsedLeaf.detail);
    expect(crl.revoked.size).toBe(2);
    expect(crl.crlNumber).toBe('07');
    expect(findRevokedEntry(crl, parsedLeaf.certificates[0]!)?.reason).toBe('keyCompromise');
  });

  it('accepts PEM CRLs and rejects garbage with a reason', async () => {
    const der = await issueCrl(root, []);
    const pem = `-----BEGIN X509 CRL-----\r\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\r\n')}\r\n-----END X509 CRL-----\r\n`;
    expect(isCrlParseFailure(parseCrl(pem))).toBe(false);
    const garbage = parseCrl(new Uint8Array([0x30, 0x80, 0x00]));
    expect(isCrlParseFailure(garbage) && garbage.reason).toBe('certificate-malformed');
  });
});
