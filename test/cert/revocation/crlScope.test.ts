/**
 * RFC 5280 §6.3 revocation by CRL: scope (§6.3.3 (b), (d), (k)), delta CRLs (§5.2.4), CRL signers
 * (§6.3.3 (f)) and indirect CRLs (§5.2.5, §5.3.3), on a PKI generated per run. Every case runs the
 * public validateCertificatePath with revocation 'required', so "not covered" must show as
 * certificate-revocation-unknown, never as certificate-valid.
 */
import 'reflect-metadata';
import { X509CrlReason } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import {
  createTrustStore,
  validateCertificatePath,
  type ValidationResult,
} from '../../../shared/cert/validation/index.js';
import { NOW, issueTestCertificate as issue } from '../validation/testCertificates.js';
import { distributionPointsExtension, nameDer, signCrl, subjectDer, type PointOptions } from './crlFixtures.js';

const URI_1 = 'http://crl.example/ca-1.crl';
const URI_2 = 'http://crl.example/ca-2.crl';
const AUTHORITY_URI = 'http://crl.example/authority.crl';

type Pki = Awaited<ReturnType<typeof buildPki>>;
let pki: Pki;
let rootCrl: Uint8Array;

beforeAll(async () => {
  pki = await buildPki();
  rootCrl = await signCrl({
    signer: pki.root.credentials,
    entries: [{ serial: pki.revokedCrlKey.cert.parsed.serialNumber }],
  });
});

async function buildPki() {
  const root = await issue({ subject: 'CN=Scope Root', ca: {} });
  const otherRoot = await issue({ subject: 'CN=Other Root', ca: {} });
  const ca = await issue({ subject: 'CN=Scope CA', issuer: root.credentials, ca: {} });
  const leaf = (name: string, points?: readonly PointOptions[]): Promise<IssuedCertificate> =>
    issue({
      subject: `CN=${name}`,
      issuer: ca.credentials,
      extKeyUsage: ['clientAuth'],
      ...(points ? { extraExtensions: [distributionPointsExtension(points)] } : {}),
    });
  const authorityName = nameDer('Scope CRL Authority');
  // A separate CRL-signing key of the CA: same name, another key, cRLSign only (RFC 5280 §6.3.3 (f)).
  const crlKey = (issuerCa: IssuedCertificate, keyUsage: ('cRLSign' | 'digitalSignature')[]) =>
    issue({ subject: 'CN=Scope CA', issuer: issuerCa.credentials, keyUsage });
  return {
    root,
    otherRoot,
    ca,
    leafUri: await leaf('uri leaf', [{ name: { full: [{ uri: URI_1 }] } }]),
    leafDirectory: await leaf('directory leaf', [{ name: { full: [{ directory: nameDer('Scope CA partition 1') }] } }]),
    leafRelative: await leaf('relative leaf', [{ name: { relativeOu: 'partition 1' } }]),
    leafNoCdp: await leaf('leaf without distribution points'),
    leafReasons: await leaf('reasons leaf', [
      { name: { full: [{ uri: URI_1 }] }, reasons: ['keyCompromise', 'cACompromise'] },
      {
        name: { full: [{ uri: URI_2 }] },
        reasons: [
          'affiliationChanged',
          'superseded',
          'cessationOfOperation',
          'certificateHold',
          'privilegeWithdrawn',
          'aACompromise',
        ],
      },
    ]),
    leafIndirect: await leaf('indirect leaf', [
      { name: { full: [{ uri: AUTHORITY_URI }] }, crlIssuer: [{ directory: authorityName }] },
    ]),
    leafIndirect2: await leaf('indirect leaf 2', [
      { name: { full: [{ uri: AUTHORITY_URI }] }, crlIssuer: [{ directory: authorityName }] },
    ]),
    authority: await issue({ subject: 'CN=Scope CRL Authority', issuer: root.credentials, keyUsage: ['cRLSign'] }),
    authorityName,
    crlKey: await crlKey(root, ['cRLSign']),
    crlKeyWithoutCrlSign: await crlKey(root, ['digitalSignature']),
    foreignCrlKey: await crlKey(await issue({ subject: 'CN=Scope CA', issuer: otherRoot.credentials, ca: {} }), [
      'cRLSign',
    ]),
    revokedCrlKey: await crlKey(root, ['cRLSign']),
  };
}

function validate(
  leaf: IssuedCertificate,
  crls: readonly Uint8Array[],
  intermediates: readonly IssuedCertificate[] = [],
): ValidationResult {
  return validateCertificatePath({
    leaf: leaf.cert.der,
    intermediates: [pki.ca.cert.der, ...intermediates.map((certificate) => certificate.cert.der)],
    trustStore: createTrustStore([pki.root.cert.der, pki.otherRoot.cert.der]),
    time: NOW,
    revocation: 'required',
    crls: [rootCrl, ...crls],
  });
}

function failure(result: ValidationResult): {
  reason: string;
  certificate: string | undefined;
  detail: string | undefined;
} {
  const failed = result.trace.find((entry) => entry.outcome === 'fail');
  return { reason: result.reason, certificate: failed?.certificate, detail: failed?.detail };
}

describe('RFC 5280 §6.3.3 (b)(2)(i): "verify that one of the names in the IDP matches one of the names in the DP"', () => {
  it.each([
    { label: 'URI names match', leaf: 'leafUri', idp: { full: [{ uri: URI_1 }] }, expected: 'certificate-valid' },
    {
      label: 'URI names differ',
      leaf: 'leafUri',
      idp: { full: [{ uri: URI_2 }] },
      expected: 'certificate-revocation-unknown',
    },
    {
      label: 'directoryName names match',
      leaf: 'leafDirectory',
      idp: { full: [{ directory: nameDer('Scope CA partition 1') }] },
      expected: 'certificate-valid',
    },
    {
      label: 'directoryName names differ',
      leaf: 'leafDirectory',
      idp: { full: [{ directory: nameDer('Scope CA partition 2') }] },
      expected: 'certificate-revocation-unknown',
    },
    {
      label: 'directoryName against a URI',
      leaf: 'leafDirectory',
      idp: { full: [{ uri: URI_1 }] },
      expected: 'certificate-revocation-unknown',
    },
    {
      label: 'nameRelativeToCRLIssuer fragments match',
      leaf: 'leafRelative',
      idp: { relativeOu: 'partition 1' },
      expected: 'certificate-valid',
    },
    {
      label: 'nameRelativeToCRLIssuer fragments differ',
      leaf: 'leafRelative',
      idp: { relativeOu: 'partition 2' },
      expected: 'certificate-revocation-unknown',
    },
    {
      label: 'a partitioned CRL does not cover a certificate without distribution points',
      leaf: 'leafNoCdp',
      idp: { full: [{ uri: URI_1 }] },
      expected: 'certificate-revocation-unknown',
    },
  ] as const)('$label → $expected', async ({ leaf, idp, expected }) => {
    const crl = await signCrl({ signer: pki.ca.credentials, idp: { name: idp } });
    const result = validate(pki[leaf], [crl]);
    expect(result.reason).toBe(expected);
    if (expected !== 'certificate-valid')
      expect(failure(result)).toMatchObject({
        certificate: 'leaf',
        detail: expect.stringContaining('§6.3.3 (b)(2)(i)'),
      });
  });

  it('§5.2.5: a CRL without an issuing distribution point covers every certificate of its issuer, whatever its distribution points say', async () => {
    const crl = await signCrl({ signer: pki.ca.credentials });
    expect(validate(pki.leafUri, [crl]).reason).toBe('certificate-valid');
    expect(validate(pki.leafNoCdp, [crl]).reason).toBe('certificate-valid');
    expect(validate(pki.leafDirectory, [crl]).reason).toBe('certificate-valid');
  });

  it('§6.3.3 (b)(2)(i): a matching partition that lists the certificate revokes it', async () => {
    const crl = await signCrl({
      signer: pki.ca.credentials,
      idp: { name: { full: [{ uri: URI_1 }] } },
      entries: [{ serial: pki.leafUri.cert.parsed.serialNumber }],
    });
    expect(validate(pki.leafUri, [crl]).reason).toBe('certificate-revoked');
  });
});

describe('RFC 5280 §6.3.3 (b)(2)(ii)-(iv): onlyContainsUserCerts, onlyContainsCACerts, onlyContainsAttributeCerts', () => {
  it('(ii) "If the onlyContainsUserCerts boolean is asserted … verify that the certificate does not include the basic constraints extension with the cA boolean asserted"', async () => {
    const userOnlyFromRoot = await signCrl({
      signer: pki.root.credentials,
      idp: { onlyContainsUserCerts: true },
      crlNumber: 2,
    });
    const caCrl = await signCrl({ signer: pki.ca.credentials });
    // The root's only CRL is for end entities: the CA certificate is not covered.
    const result = validateCertificatePath({
      leaf: pki.leafUri.cert.der,
      intermediates: [pki.ca.cert.der],
      trustStore: createTrustStore([pki.root.cert.der]),
      time: NOW,
      revocation: 'required',
      crls: [userOnlyFromRoot, caCrl],
    });
    expect(failure(result)).toMatchObject({
      reason: 'certificate-revocation-unknown',
      certificate: 'intermediate[1]',
      detail: expect.stringContaining('§6.3.3 (b)(2)(ii)'),
    });
    // For an end entity the same kind of CRL is in scope.
    const userOnlyFromCa = await signCrl({ signer: pki.ca.credentials, idp: { onlyContainsUserCerts: true } });
    expect(validate(pki.leafUri, [userOnlyFromCa]).reason).toBe('certificate-valid');
  });

  it('(iii) "If the onlyContainsCACerts boolean is asserted … verify that the certificate includes the basic constraints extension with the cA boolean asserted"', async () => {
    const caOnly = await signCrl({ signer: pki.ca.credentials, idp: { onlyContainsCACerts: true } });
    expect(failure(validate(pki.leafUri, [caOnly]))).toMatchObject({
      reason: 'certificate-revocation-unknown',
      certificate: 'leaf',
      detail: expect.stringContaining('(b)(2)(iii)'),
    });
    const caOnlyFromRoot = await signCrl({ signer: pki.root.credentials, idp: { onlyContainsCACerts: true } });
    const leafCrl = await signCrl({ signer: pki.ca.credentials });
    const result = validateCertificatePath({
      leaf: pki.leafUri.cert.der,
      intermediates: [pki.ca.cert.der],
      trustStore: createTrustStore([pki.root.cert.der]),
      time: NOW,
      revocation: 'required',
      crls: [caOnlyFromRoot, leafCrl],
    });
    expect(result.reason).toBe('certificate-valid');
  });

  it('(iv) "verify that the onlyContainsAttributeCerts boolean is not asserted"', async () => {
    const attributesOnly = await signCrl({ signer: pki.ca.credentials, idp: { onlyContainsAttributeCerts: true } });
    expect(failure(validate(pki.leafUri, [attributesOnly]))).toMatchObject({
      reason: 'certificate-revocation-unknown',
      detail: expect.stringContaining('(b)(2)(iv)'),
    });
  });
});

describe('RFC 5280 §6.3.3 (d), (k): "If the reasons_mask is not all-reasons … the cert_status is UNDETERMINED"', () => {
  it('a CRL for some reasons only does not make the status known', async () => {
    const some = await signCrl({
      signer: pki.ca.credentials,
      idp: { onlySomeReasons: ['keyCompromise', 'cACompromise'] },
    });
    expect(failure(validate(pki.leafUri, [some]))).toMatchObject({
      reason: 'certificate-revocation-unknown',
      detail: expect.stringContaining('affiliationChanged'),
    });
  });

  it('CRLs whose reasons add up to all reasons make it known, and a listing on either revokes', async () => {
    const first = await signCrl({
      signer: pki.ca.credentials,
      idp: { onlySomeReasons: ['keyCompromise', 'cACompromise'] },
    });
    const rest = await signCrl({
      signer: pki.ca.credentials,
      idp: {
        onlySomeReasons: [
          'affiliationChanged',
          'superseded',
          'cessationOfOperation',
          'certificateHold',
          'privilegeWithdrawn',
          'aACompromise',
        ],
      },
    });
    expect(validate(pki.leafUri, [first, rest]).reason).toBe('certificate-valid');
    const restListing = await signCrl({
      signer: pki.ca.credentials,
      idp: {
        onlySomeReasons: [
          'affiliationChanged',
          'superseded',
          'cessationOfOperation',
          'certificateHold',
          'privilegeWithdrawn',
          'aACompromise',
        ],
      },
      entries: [{ serial: pki.leafUri.cert.parsed.serialNumber, reason: X509CrlReason.superseded }],
    });
    expect(validate(pki.leafUri, [first, restListing]).reason).toBe('certificate-revoked');
  });

  it('the reasons of the certificate distribution points count: one point of two is not enough', async () => {
    const one = await signCrl({ signer: pki.ca.credentials, idp: { name: { full: [{ uri: URI_1 }] } } });
    const two = await signCrl({ signer: pki.ca.credentials, idp: { name: { full: [{ uri: URI_2 }] } } });
    expect(validate(pki.leafReasons, [one]).reason).toBe('certificate-revocation-unknown');
    expect(validate(pki.leafReasons, [one, two]).reason).toBe('certificate-valid');
  });
});

describe('RFC 5280 §5.2.4 and §6.3.3 (c): delta CRLs are read with their base, never alone', () => {
  const serial = (): string => pki.leafUri.cert.parsed.serialNumber;

  it('a delta CRL alone does not make the status known', async () => {
    const delta = await signCrl({ signer: pki.ca.credentials, crlNumber: 6, deltaOf: 5 });
    expect(validate(pki.leafUri, [delta]).reason).toBe('certificate-revocation-unknown');
  });

  it('a delta CRL whose BaseCRLNumber is at most the complete CRL number is combined with it', async () => {
    const base = await signCrl({ signer: pki.ca.credentials, crlNumber: 5 });
    const delta = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 6,
      deltaOf: 5,
      entries: [{ serial: serial(), reason: X509CrlReason.keyCompromise }],
    });
    expect(validate(pki.leafUri, [base]).reason).toBe('certificate-valid');
    expect(validate(pki.leafUri, [base, delta]).reason).toBe('certificate-revoked');
  });

  it('a delta CRL whose base is not the CRL in hand (BaseCRLNumber above its number) is not combined', async () => {
    const base = await signCrl({ signer: pki.ca.credentials, crlNumber: 5 });
    const delta = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 8,
      deltaOf: 7,
      entries: [{ serial: serial() }],
    });
    const result = validate(pki.leafUri, [base, delta]);
    expect(result.reason).toBe('certificate-valid');
    expect(
      result.trace.find((entry) => entry.check === 'revocation' && entry.certificate === 'leaf')?.detail,
    ).toContain('not listed on 1 valid CRL');
  });

  it('a delta CRL with another scope or signer is not combined', async () => {
    const base = await signCrl({ signer: pki.ca.credentials, crlNumber: 5 });
    const otherScope = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 6,
      deltaOf: 5,
      idp: { onlyContainsUserCerts: true },
      entries: [{ serial: serial() }],
    });
    expect(validate(pki.leafUri, [base, otherScope]).reason).toBe('certificate-valid');
  });

  it('removeFromCRL on the delta lifts a certificateHold of its base', async () => {
    const base = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 5,
      entries: [{ serial: serial(), reason: X509CrlReason.certificateHold }],
    });
    const delta = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 6,
      deltaOf: 5,
      entries: [{ serial: serial(), reason: X509CrlReason.removeFromCRL }],
    });
    expect(validate(pki.leafUri, [base]).reason).toBe('certificate-revoked');
    expect(validate(pki.leafUri, [base, delta]).reason).toBe('certificate-valid');
  });

  it('of two complete CRLs with one scope the newest speaks', async () => {
    const older = await signCrl({
      signer: pki.ca.credentials,
      crlNumber: 4,
      entries: [{ serial: serial(), reason: X509CrlReason.certificateHold }],
    });
    const newer = await signCrl({ signer: pki.ca.credentials, crlNumber: 5 });
    expect(validate(pki.leafUri, [older, newer]).reason).toBe('certificate-valid');
  });
});

describe('RFC 5280 §6.3.3 (f): "The trust anchor for the certification path MUST be the same as the trust anchor used to validate the target certificate"', () => {
  it('a CRL signed by a separate CRL-signing key of the CA (same name, cRLSign) is used', async () => {
    const crl = await signCrl({
      signer: pki.crlKey.credentials,
      entries: [{ serial: pki.leafUri.cert.parsed.serialNumber }],
    });
    expect(validate(pki.leafUri, [crl], [pki.crlKey]).reason).toBe('certificate-revoked');
    const clean = await signCrl({ signer: pki.crlKey.credentials });
    expect(validate(pki.leafUri, [clean], [pki.crlKey]).reason).toBe('certificate-valid');
  });

  it.each([
    { label: 'its certificate is not at hand', signer: 'crlKey', supplied: [], detail: '§6.3.3 (f)' },
    {
      label: 'its certificate lacks cRLSign',
      signer: 'crlKeyWithoutCrlSign',
      supplied: ['crlKeyWithoutCrlSign'],
      detail: 'cRLSign',
    },
    {
      label: 'its certificate chains to another trust anchor',
      signer: 'foreignCrlKey',
      supplied: ['foreignCrlKey'],
      detail: 'no path to CN=Scope Root',
    },
    {
      label: 'its certificate is revoked',
      signer: 'revokedCrlKey',
      supplied: ['revokedCrlKey'],
      detail: 'certificate-revoked',
    },
  ] as const)('a CRL from a separate signer is not used when $label', async ({ signer, supplied, detail }) => {
    const crl = await signCrl({ signer: pki[signer].credentials });
    const result = validate(
      pki.leafUri,
      [crl],
      supplied.map((name) => pki[name]),
    );
    expect(failure(result)).toMatchObject({ reason: 'certificate-revocation-unknown', certificate: 'leaf' });
    expect(failure(result).detail).toContain(detail);
  });
});

describe('RFC 5280 §5.2.5, §5.3.3: indirect CRLs ("If the DP includes cRLIssuer, then verify that the issuer field in the complete CRL matches cRLIssuer in the DP and that the complete CRL contains an issuing distribution point extension with the indirectCRL boolean asserted")', () => {
  const indirectCrl = (options: { indirect: boolean; serialFor: 'authority' | 'ca' }) =>
    signCrl({
      signer: pki.authority.credentials,
      idp: { name: { full: [{ uri: AUTHORITY_URI }] }, indirectCrl: options.indirect },
      entries:
        options.serialFor === 'authority'
          ? [{ serial: pki.leafIndirect.cert.parsed.serialNumber }]
          : [
              { serial: '0a0b0c' },
              { serial: pki.leafIndirect.cert.parsed.serialNumber, certificateIssuer: subjectDer(pki.ca.credentials) },
            ],
    });

  it('an entry under the certificateIssuer of the certificate revokes it; another certificate of that issuer is good', async () => {
    const crl = await indirectCrl({ indirect: true, serialFor: 'ca' });
    expect(validate(pki.leafIndirect, [crl], [pki.authority]).reason).toBe('certificate-revoked');
    expect(validate(pki.leafIndirect2, [crl], [pki.authority]).reason).toBe('certificate-valid');
  });

  it('an entry of the same serial that belongs to the CRL issuer itself does not revoke the certificate', async () => {
    const crl = await indirectCrl({ indirect: true, serialFor: 'authority' });
    expect(validate(pki.leafIndirect, [crl], [pki.authority]).reason).toBe('certificate-valid');
  });

  it('without indirectCRL the CRL of another issuer does not cover the certificate', async () => {
    const crl = await indirectCrl({ indirect: false, serialFor: 'ca' });
    expect(failure(validate(pki.leafIndirect, [crl], [pki.authority]))).toMatchObject({
      reason: 'certificate-revocation-unknown',
      certificate: 'leaf',
    });
  });

  it('an indirect CRL does not cover a certificate whose distribution points do not name its issuer', async () => {
    const crl = await indirectCrl({ indirect: true, serialFor: 'ca' });
    expect(validate(pki.leafUri, [crl], [pki.authority]).reason).toBe('certificate-revocation-unknown');
  });

  it('the indirect CRL issuer needs its own path to the same trust anchor', async () => {
    const crl = await indirectCrl({ indirect: true, serialFor: 'ca' });
    expect(validate(pki.leafIndirect2, [crl]).reason).toBe('certificate-revocation-unknown');
  });

  it('certificateIssuer entries in a CRL that is not indirect make it unusable (entries could be hidden under another issuer)', async () => {
    const crl = await signCrl({
      signer: pki.ca.credentials,
      entries: [
        { serial: '01', certificateIssuer: nameDer('Somebody Else') },
        { serial: pki.leafUri.cert.parsed.serialNumber },
      ],
    });
    expect(failure(validate(pki.leafUri, [crl]))).toMatchObject({
      reason: 'certificate-revocation-unknown',
      detail: expect.stringContaining('§5.3.3'),
    });
  });
});
