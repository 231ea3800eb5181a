import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { issueCertificate } from '../../dev/pki/index.js';
import { parseCertificates, type ParsedCertificate } from '../../shared/cert/validation/index.js';
import {
  certificateUserIdsFor,
  distinguishedNameMatches,
  parseCertificateUserId,
  parseDistinguishedNameText,
} from '../../shared/identity/index.js';

const NOW = new Date('2030-03-01T12:00:00Z');
const validity = { notBefore: new Date(NOW.getTime() - 86_400_000), notAfter: new Date(NOW.getTime() + 86_400_000) };

function parse(der: Uint8Array): ParsedCertificate {
  const result = parseCertificates(der);
  if (!result.ok || result.certificates[0] === undefined) throw new Error('test certificate does not parse');
  return result.certificates[0];
}

describe('certificateUserIdsFor', () => {
  it('writes the values in the forms Entra documents, checked against @peculiar/x509', async () => {
    const ca = await issueCertificate({
      subject: 'DC=com, DC=contoso, CN=CONTOSO-DC-CA',
      keyAlgorithm: 'ecdsa-p256',
      ...validity,
      ca: {},
    });
    const leaf = await issueCertificate({
      subject: 'DC=com, DC=contoso, OU=UserAccounts, CN=mfatest',
      issuer: ca.credentials,
      keyAlgorithm: 'ecdsa-p256',
      ...validity,
      san: { upn: ['mfatest@contoso.example'], email: ['mfa.test@contoso.example'] },
      serial: '1e8c974144bf86964423fa6464082d8a',
    });
    const ids = certificateUserIdsFor(parse(leaf.cert.der));
    const oracle = leaf.cert.parsed;
    const thumbprint = Buffer.from(await oracle.getThumbprint('SHA-1'))
      .toString('hex')
      .toUpperCase();
    const ski = oracle.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId.toUpperCase();
    expect(ids).toEqual({
      PrincipalName: 'X509:<PN>mfatest@contoso.example',
      RFC822Name: 'X509:<RFC822>mfa.test@contoso.example',
      IssuerAndSubject: 'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest',
      Subject: 'X509:<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest',
      SKI: `X509:<SKI>${ski}`,
      SHA1PublicKey: `X509:<SHA1-PUKEY>${thumbprint}`,
      IssuerAndSerialNumber: 'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>1e8c974144bf86964423fa6464082d8a',
    });
  });

  it('round-trips: every value it writes parses back', async () => {
    const certificate = await issueCertificate({
      subject: 'CN=Smith\\, Jane, O=Contoso \\"Dev\\", C=GB, ST=Kent',
      keyAlgorithm: 'ecdsa-p256',
      ...validity,
      san: { upn: ['jane@contoso.example'] },
    });
    const parsed = parse(certificate.cert.der);
    for (const [kind, value] of Object.entries(certificateUserIdsFor(parsed))) {
      const result = parseCertificateUserId(value);
      expect(result.ok ? result.id.kind : result.detail).toBe(kind);
      if (result.ok && result.id.kind === 'Subject')
        expect(distinguishedNameMatches(parsed.subject, result.id.subject)).toBe(true);
    }
    expect(certificateUserIdsFor(parsed).Subject).toBe('X509:<S>CN="Smith, Jane",O="Contoso ""Dev""",C=GB,S=Kent');
  });
});

describe('parseCertificateUserId', () => {
  const cases: { value: string; expected: string }[] = [
    { value: 'X509:<PN>bob@woodgrove', expected: 'PrincipalName' },
    { value: 'X509:<RFC822>user@woodgrove.com', expected: 'RFC822Name' },
    {
      value: 'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest',
      expected: 'IssuerAndSubject',
    },
    { value: 'X509:<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest', expected: 'Subject' },
    { value: 'X509:<SKI>C6F4E96CAAD84640361F9FB5F74F6308247CB8B4', expected: 'SKI' },
    { value: 'X509:<SHA1-PUKEY>34BE02DCEE9ECDF8BC5C16595A73F1B201875FEA', expected: 'SHA1PublicKey' },
    {
      value: 'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>b24134139f069b49997212a86ba0ef48',
      expected: 'IssuerAndSerialNumber',
    },
    { value: 'X509:<I>O="A <S> B",CN=CA<SR>01', expected: 'IssuerAndSerialNumber' },
    { value: 'x509:<PN>bob@woodgrove', expected: 'invalid' },
    { value: 'X509:<pn>bob@woodgrove', expected: 'invalid' },
    { value: 'X509:<PN>', expected: 'invalid' },
    { value: 'X509:<SKI>xyz', expected: 'invalid' },
    { value: 'X509:<SKI>abc', expected: 'invalid' },
    { value: 'X509:<I>CN=CA', expected: 'invalid' },
    { value: 'X509:<I>CN=CA<X>1', expected: 'invalid' },
    { value: 'X509:<S>FOO=bar', expected: 'invalid' },
    { value: 'X509:<S>CN="unterminated', expected: 'invalid' },
    { value: 'X509:<S>CN=a,', expected: 'invalid' },
  ];
  it.each(cases)('$value → $expected', ({ value, expected }) => {
    const result = parseCertificateUserId(value);
    expect(result.ok ? result.id.kind : 'invalid').toBe(expected);
  });
});

describe('parseDistinguishedNameText', () => {
  const cases: { label: string; text: string; expected: string[] | 'invalid' }[] = [
    {
      label: 'Entra form',
      text: 'DC=com,DC=contoso,CN=mfatest',
      expected: ['0.9.2342.19200300.100.1.25=com', '0.9.2342.19200300.100.1.25=contoso', '2.5.4.3=mfatest'],
    },
    {
      label: 'spaces, case and inner whitespace normalised',
      text: ' cn = Jane   Smith , o=CONTOSO ',
      expected: ['2.5.4.3=jane smith', '2.5.4.10=contoso'],
    },
    { label: 'RFC 4514 escapes', text: 'CN=Smith\\, Jane,O=A\\2bB', expected: ['2.5.4.3=smith, jane', '2.5.4.10=a+b'] },
    { label: 'UTF-8 hex escapes', text: 'CN=J\\C3\\BCrgen', expected: ['2.5.4.3=jürgen'] },
    {
      label: 'quoted values with doubled quotes',
      text: 'O="Contoso ""Dev"", Ltd",S=Kent,E=a@b.example',
      expected: ['2.5.4.10=contoso "dev", ltd', '2.5.4.8=kent', '1.2.840.113549.1.9.1=a@b.example'],
    },
    { label: 'dotted OIDs', text: 'OID.2.5.4.3=x,2.5.4.10=y', expected: ['2.5.4.3=x', '2.5.4.10=y'] },
    { label: 'multi-valued RDN with +', text: 'CN=a+OU=b', expected: ['2.5.4.3=a', '2.5.4.11=b'] },
    { label: 'unknown attribute', text: 'XX=1', expected: 'invalid' },
    { label: 'empty', text: '', expected: 'invalid' },
    { label: 'no equals', text: 'CN', expected: 'invalid' },
    { label: 'invalid UTF-8 escape', text: 'CN=\\C3', expected: 'invalid' },
  ];
  it.each(cases)('$label', ({ text, expected }) => {
    const result = parseDistinguishedNameText(text);
    expect(
      result.ok ? result.attributes.map((attribute) => `${attribute.type}=${attribute.comparable}`) : 'invalid',
    ).toEqual(expected);
  });
});
