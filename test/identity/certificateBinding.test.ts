import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, issueCertificate, type DevPki, type IssuedCertificate } from '../../dev/pki/index.js';
import { parseCertificates, type ParsedCertificate } from '../../shared/cert/validation/index.js';
import {
  bindCertificateToUser,
  certificateUserIdsFor,
  DEFAULT_BINDING_RULES,
  type BindingOptions,
  type BindingRule,
  type BindingRuleKind,
  type BindingRuleOutcome,
  type BindingUser,
  type CertificateBindingReason,
} from '../../shared/identity/index.js';

const NOW = new Date('2030-03-01T12:00:00Z');
const DAY = 86_400_000;

let dir: string;
let pki: DevPki;
let alice: ParsedCertificate;
let bob: ParsedCertificate;
let device: ParsedCertificate;
/** Issued by a CA whose DN is in the Entra documentation's shape (DC=com,DC=contoso,CN=…). */
let contoso: ParsedCertificate;
let contosoIssued: IssuedCertificate;
/** Two different UPN SANs. */
let twoUpns: ParsedCertificate;

function parse(der: Uint8Array): ParsedCertificate {
  const result = parseCertificates(der);
  if (!result.ok || result.certificates[0] === undefined) throw new Error('test certificate does not parse');
  return result.certificates[0];
}

function idFor(certificate: ParsedCertificate, kind: BindingRuleKind): string {
  const value = certificateUserIdsFor(certificate)[kind];
  if (value === undefined) throw new Error(`no ${kind} value`);
  return value;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certgate-identity-'));
  pki = await ensureDevPki({ dir, crlBaseUrl: 'http://127.0.0.1:9', now: NOW });
  alice = parse(pki.users.alice!.certDer);
  bob = parse(pki.users.bob!.certDer);
  device = parse(pki.users.device!.certDer);
  const validity = { notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 30 * DAY) };
  const ca = await issueCertificate({
    subject: 'DC=com, DC=contoso, CN=CONTOSO-DC-CA',
    keyAlgorithm: 'ecdsa-p256',
    ...validity,
    ca: {},
  });
  contosoIssued = await issueCertificate({
    subject: 'DC=com, DC=contoso, OU=UserAccounts, CN=mfatest',
    issuer: ca.credentials,
    keyAlgorithm: 'ecdsa-p256',
    ...validity,
    san: { upn: ['mfatest@contoso.example'], email: ['mfa.test@contoso.example'] },
    serial: '00b24134139f069b49997212a86ba0ef48',
  });
  contoso = parse(contosoIssued.cert.der);
  twoUpns = parse(
    (
      await issueCertificate({
        subject: 'CN=shared',
        issuer: ca.credentials,
        keyAlgorithm: 'ecdsa-p256',
        ...validity,
        san: { upn: ['alice@contoso.example', 'bob@contoso.example'] },
      })
    ).cert.der,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a certificate issued to Alice and presented by Bob', () => {
  const aliceUser: BindingUser = { upn: 'alice@contoso.example', mail: 'alice@contoso.example' };
  const bobUser: BindingUser = { upn: 'bob@contoso.example', mail: 'bob@contoso.example' };

  it('binds to Alice by PrincipalName', () => {
    const result = bindCertificateToUser(alice, aliceUser, DEFAULT_BINDING_RULES);
    expect(result).toMatchObject({
      bound: true,
      reason: 'certificate-bound-to-user',
      rule: 'PrincipalName',
      affinity: 'low',
    });
  });

  it('does not bind to Bob under any rule', () => {
    const everyRule = (
      [
        'PrincipalName',
        'RFC822Name',
        'IssuerAndSubject',
        'Subject',
        'SKI',
        'SHA1PublicKey',
        'IssuerAndSerialNumber',
      ] as const
    ).map((kind) => ({ kind }));
    const bobWithOwnIds: BindingUser = { ...bobUser, certificateUserIds: Object.values(certificateUserIdsFor(bob)) };
    const result = bindCertificateToUser(alice, bobWithOwnIds, everyRule);
    expect(result.bound).toBe(false);
    expect(result.reason).toBe('certificate-not-bound-to-user');
    expect(result.tried.map((attempt) => attempt.result)).toEqual(everyRule.map(() => 'no-match'));
  });

  it("binds Bob's own certificate to Bob and not to Alice", () => {
    expect(bindCertificateToUser(bob, bobUser, DEFAULT_BINDING_RULES).bound).toBe(true);
    expect(bindCertificateToUser(bob, aliceUser, DEFAULT_BINDING_RULES).bound).toBe(false);
  });
});

describe('rules, one at a time', () => {
  interface Case {
    readonly label: string;
    readonly certificate: () => ParsedCertificate;
    readonly user: () => BindingUser;
    readonly rule: BindingRule;
    readonly options?: BindingOptions;
    readonly expected: {
      readonly bound: boolean;
      readonly reason: CertificateBindingReason;
      readonly result: BindingRuleOutcome;
      readonly affinity: 'low' | 'high';
    };
  }
  const bound = (affinity: 'low' | 'high') =>
    ({ bound: true, reason: 'certificate-bound-to-user', result: 'matched', affinity }) as const;
  const notBound = (result: BindingRuleOutcome, affinity: 'low' | 'high') =>
    ({ bound: false, reason: 'certificate-not-bound-to-user', result, affinity }) as const;
  const cases: Case[] = [
    // PrincipalName
    {
      label: 'PrincipalName: UPN SAN = user UPN',
      certificate: () => contoso,
      user: () => ({ upn: 'mfatest@contoso.example' }),
      rule: { kind: 'PrincipalName' },
      expected: bound('low'),
    },
    {
      label: 'PrincipalName: case-insensitive',
      certificate: () => contoso,
      user: () => ({ upn: 'MFATest@Contoso.Example' }),
      rule: { kind: 'PrincipalName' },
      expected: bound('low'),
    },
    {
      label: 'PrincipalName: onPremisesUserPrincipalName',
      certificate: () => contoso,
      user: () => ({ upn: 'cloud@contoso.onmicrosoft.com', onPremisesUserPrincipalName: 'mfatest@contoso.example' }),
      rule: { kind: 'PrincipalName' },
      expected: bound('low'),
    },
    {
      label: 'PrincipalName: certificateUserIds X509:<PN>',
      certificate: () => contoso,
      user: () => ({ upn: 'other@contoso.example', certificateUserIds: ['X509:<PN>mfatest@contoso.example'] }),
      rule: { kind: 'PrincipalName' },
      expected: bound('low'),
    },
    {
      label: 'PrincipalName: no near-miss (prefix)',
      certificate: () => contoso,
      user: () => ({ upn: 'mfatest@contoso.example.evil' }),
      rule: { kind: 'PrincipalName' },
      expected: notBound('no-match', 'low'),
    },
    {
      label: 'PrincipalName: certificate without UPN SAN',
      certificate: () => device,
      user: () => ({ upn: 'alice@contoso.example' }),
      rule: { kind: 'PrincipalName' },
      expected: notBound('certificate-field-absent', 'low'),
    },
    {
      label: 'PrincipalName: user without UPN',
      certificate: () => contoso,
      user: () => ({}),
      rule: { kind: 'PrincipalName' },
      expected: notBound('user-attribute-absent', 'low'),
    },
    {
      label: 'PrincipalName: two different UPN SANs are ambiguous, even for one of them',
      certificate: () => twoUpns,
      user: () => ({ upn: 'alice@contoso.example' }),
      rule: { kind: 'PrincipalName' },
      expected: { bound: false, reason: 'certificate-binding-ambiguous', result: 'ambiguous', affinity: 'low' },
    },
    // RFC822Name
    {
      label: 'RFC822Name: e-mail SAN = user mail',
      certificate: () => contoso,
      user: () => ({ upn: 'x@contoso.example', mail: 'MFA.Test@contoso.example' }),
      rule: { kind: 'RFC822Name' },
      expected: bound('low'),
    },
    {
      label: 'RFC822Name: e-mail SAN = user UPN',
      certificate: () => contoso,
      user: () => ({ upn: 'mfa.test@contoso.example' }),
      rule: { kind: 'RFC822Name' },
      expected: bound('low'),
    },
    {
      label: 'RFC822Name: certificateUserIds X509:<RFC822>',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: ['X509:<RFC822>mfa.test@contoso.example'] }),
      rule: { kind: 'RFC822Name' },
      expected: bound('low'),
    },
    {
      label: 'RFC822Name: e-mail SAN is not the UPN SAN',
      certificate: () => contoso,
      user: () => ({ upn: 'mfatest@contoso.example' }),
      rule: { kind: 'RFC822Name' },
      expected: notBound('no-match', 'low'),
    },
    {
      label: 'RFC822Name: certificate without e-mail SAN',
      certificate: () => device,
      user: () => ({ mail: 'alice@contoso.example' }),
      rule: { kind: 'RFC822Name' },
      expected: notBound('certificate-field-absent', 'low'),
    },
    // Subject / IssuerAndSubject
    {
      label: 'Subject: Entra form (encoding order)',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: ['X509:<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest'] }),
      rule: { kind: 'Subject' },
      expected: bound('low'),
    },
    {
      label: 'Subject: RFC 4514 order, spaces and case differ',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: ['X509:<S>CN=MFATest, OU=useraccounts, DC=Contoso, DC=com'] }),
      rule: { kind: 'Subject' },
      expected: bound('low'),
    },
    {
      label: 'Subject: one attribute missing',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: ['X509:<S>DC=com,DC=contoso,CN=mfatest'] }),
      rule: { kind: 'Subject' },
      expected: notBound('no-match', 'low'),
    },
    {
      label: 'Subject: order scrambled (not a reversal)',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: ['X509:<S>DC=contoso,DC=com,OU=UserAccounts,CN=mfatest'] }),
      rule: { kind: 'Subject' },
      expected: notBound('no-match', 'low'),
    },
    {
      label: 'Subject: no X509:<S> value',
      certificate: () => contoso,
      user: () => ({ upn: 'mfatest@contoso.example' }),
      rule: { kind: 'Subject' },
      expected: notBound('user-attribute-absent', 'low'),
    },
    {
      label: 'IssuerAndSubject: both match',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: [
          'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest',
        ],
      }),
      rule: { kind: 'IssuerAndSubject' },
      expected: bound('low'),
    },
    {
      label: 'IssuerAndSubject: right subject, other issuer',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: ['X509:<I>DC=com,DC=contoso,CN=OTHER-CA<S>DC=com,DC=contoso,OU=UserAccounts,CN=mfatest'],
      }),
      rule: { kind: 'IssuerAndSubject' },
      expected: notBound('no-match', 'low'),
    },
    // SKI / SHA1PublicKey / IssuerAndSerialNumber
    {
      label: 'SKI: matches, hex case-insensitive',
      certificate: () => contoso,
      user: () => ({ certificateUserIds: [idFor(contoso, 'SKI').toLowerCase().replace('x509:<ski>', 'X509:<SKI>')] }),
      rule: { kind: 'SKI' },
      expected: bound('high'),
    },
    {
      label: "SKI: another certificate's SKI",
      certificate: () => alice,
      user: () => ({ certificateUserIds: [idFor(bob, 'SKI')] }),
      rule: { kind: 'SKI' },
      expected: notBound('no-match', 'high'),
    },
    {
      label: 'SHA1PublicKey: thumbprint matches',
      certificate: () => alice,
      user: () => ({ certificateUserIds: [idFor(alice, 'SHA1PublicKey')] }),
      rule: { kind: 'SHA1PublicKey' },
      expected: bound('high'),
    },
    {
      label: "SHA1PublicKey: Bob's thumbprint",
      certificate: () => alice,
      user: () => ({ certificateUserIds: [idFor(bob, 'SHA1PublicKey')] }),
      rule: { kind: 'SHA1PublicKey' },
      expected: notBound('no-match', 'high'),
    },
    {
      label: 'IssuerAndSerialNumber: serial as certutil shows it',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: ['X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>b24134139f069b49997212a86ba0ef48'],
      }),
      rule: { kind: 'IssuerAndSerialNumber' },
      expected: bound('high'),
    },
    {
      label: 'IssuerAndSerialNumber: with the sign byte and spaces',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: [
          'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>00 b2 41 34 13 9f 06 9b 49 99 72 12 a8 6b a0 ef 48',
        ],
      }),
      rule: { kind: 'IssuerAndSerialNumber' },
      expected: bound('high'),
    },
    {
      label: 'IssuerAndSerialNumber: byte-reversed (AD form) refused by default',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: ['X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>48efa06ba8127299499b069f133441b2'],
      }),
      rule: { kind: 'IssuerAndSerialNumber' },
      expected: notBound('no-match', 'high'),
    },
    {
      label: 'IssuerAndSerialNumber: byte-reversed accepted when configured',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: ['X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>48efa06ba8127299499b069f133441b200'],
      }),
      rule: { kind: 'IssuerAndSerialNumber' },
      options: { serialNumberByteOrder: 'reversed' },
      expected: bound('high'),
    },
    {
      label: 'IssuerAndSerialNumber: right serial, other issuer',
      certificate: () => contoso,
      user: () => ({
        certificateUserIds: ['X509:<I>CN=Contoso Dev Issuing CA, O=Contoso Dev<SR>b24134139f069b49997212a86ba0ef48'],
      }),
      rule: { kind: 'IssuerAndSerialNumber' },
      expected: notBound('no-match', 'high'),
    },
    // Affinity
    {
      label: 'requireHighAffinity skips a low rule that would match',
      certificate: () => alice,
      user: () => ({ upn: 'alice@contoso.example' }),
      rule: { kind: 'PrincipalName' },
      options: { requireHighAffinity: true },
      expected: notBound('skipped-low-affinity', 'low'),
    },
    {
      label: 'an affinity override to high is honoured',
      certificate: () => alice,
      user: () => ({ upn: 'alice@contoso.example' }),
      rule: { kind: 'PrincipalName', affinity: 'high' },
      options: { requireHighAffinity: true },
      expected: bound('high'),
    },
    {
      label: 'a high rule still binds when high affinity is required',
      certificate: () => alice,
      user: () => ({ certificateUserIds: [idFor(alice, 'SHA1PublicKey')] }),
      rule: { kind: 'SHA1PublicKey' },
      options: { requireHighAffinity: true },
      expected: bound('high'),
    },
  ];
  it.each(cases)('$label', ({ certificate, user, rule, options, expected }) => {
    const result = bindCertificateToUser(certificate(), user(), [rule], options);
    expect({
      bound: result.bound,
      reason: result.reason,
      result: result.tried[0]?.result,
      affinity: result.tried[0]?.affinity,
    }).toEqual(expected);
  });
});

describe('rule order and trace', () => {
  it('the first matching rule decides and later rules are not evaluated', () => {
    const user: BindingUser = { upn: 'alice@contoso.example', certificateUserIds: [idFor(alice, 'SKI')] };
    const result = bindCertificateToUser(alice, user, [{ kind: 'SKI' }, { kind: 'PrincipalName' }]);
    expect(result).toMatchObject({ bound: true, rule: 'SKI', affinity: 'high' });
    expect(result.tried.map((attempt) => attempt.rule)).toEqual(['SKI']);
  });

  it('falls through absent fields to a later rule', () => {
    const result = bindCertificateToUser(
      device,
      { certificateUserIds: [idFor(device, 'SHA1PublicKey')] },
      DEFAULT_BINDING_RULES,
    );
    expect(result).toMatchObject({ bound: true, rule: 'SHA1PublicKey' });
    expect(result.tried.map((attempt) => attempt.result)).toEqual([
      'certificate-field-absent',
      'certificate-field-absent',
      'user-attribute-absent',
      'matched',
    ]);
  });

  it('an ambiguous rule does not stop a later rule from binding', () => {
    const result = bindCertificateToUser(
      twoUpns,
      { upn: 'alice@contoso.example', certificateUserIds: [idFor(twoUpns, 'SHA1PublicKey')] },
      [{ kind: 'PrincipalName' }, { kind: 'SHA1PublicKey' }],
    );
    expect(result).toMatchObject({ bound: true, rule: 'SHA1PublicKey' });
  });

  it('no rules configured: not bound', () => {
    expect(bindCertificateToUser(alice, { upn: 'alice@contoso.example' }, [])).toMatchObject({
      bound: false,
      reason: 'certificate-not-bound-to-user',
      tried: [],
    });
  });

  it('reports certificateUserIds values it could not parse, and they never match', () => {
    const result = bindCertificateToUser(
      alice,
      { certificateUserIds: ['x509:<SKI>ab', 'X509:<SKI>zz', 'X509:<FOO>1', 'X509:<I>CN=x'] },
      [{ kind: 'SKI' }],
    );
    expect(result.bound).toBe(false);
    expect(result.ignoredCertificateUserIds.map((ignored) => ignored.value)).toEqual([
      'x509:<SKI>ab',
      'X509:<SKI>zz',
      'X509:<FOO>1',
      'X509:<I>CN=x',
    ]);
  });
});
