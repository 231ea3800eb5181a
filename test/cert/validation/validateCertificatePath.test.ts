import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrustStore,
  validateCertificatePath,
  type CertificateReason,
  type ValidationInput,
} from '../../../shared/cert/validation/index.js';
import { generateKeyPair, type IssuedCertificate } from '../../../dev/pki/issue.js';
import {
  NOW,
  issueTestCertificate as issue,
  issueTestCrl as issueCrl,
  type TestCertificateOptions,
} from './testCertificates.js';

type Pki = Awaited<ReturnType<typeof buildPki>>;
let pki: Pki;

beforeAll(async () => {
  pki = await buildPki();
});

async function buildPki() {
  const root = await issue({ subject: 'CN=certgate test root', ca: {} });
  const intermediate = await issue({
    subject: 'CN=certgate test issuing CA',
    issuer: root.credentials,
    ca: { pathLength: 0 },
  });
  const clientLeaf = (subject: string, extra: Partial<TestCertificateOptions> = {}): Promise<IssuedCertificate> =>
    issue({
      subject,
      issuer: intermediate.credentials,
      extKeyUsage: ['clientAuth'],
      san: { upn: ['alice@contoso.example'] },
      ...extra,
    });
  const otherRoot = await issue({ subject: 'CN=unrelated root', ca: {} });
  const pssRoot = await issue({ subject: 'CN=pss root', ca: {}, keyAlgorithm: 'rsa-pss' });
  const edRoot = await issue({ subject: 'CN=ed25519 root', ca: {}, keyAlgorithm: 'ed25519' });
  const rsaRoot = await issue({ subject: 'CN=rsa root', ca: {}, keyAlgorithm: 'rsa-2048' });
  const p384Root = await issue({ subject: 'CN=p384 root', ca: {}, keyAlgorithm: 'ecdsa-p384' });
  const notCa = await issue({ subject: 'CN=not a CA', issuer: root.credentials, keyUsage: ['digitalSignature'] });
  const subIntermediate = await issue({ subject: 'CN=sub issuing CA', issuer: intermediate.credentials, ca: {} });
  const constrained = await issue({
    subject: 'CN=constrained CA',
    issuer: root.credentials,
    ca: {},
    nameConstraints: {
      permitted: { dns: ['contoso.example'], email: ['contoso.example'] },
      excluded: { ipv4: [['10.0.0.0', '255.0.0.0']] },
    },
  });
  const noCertSign = await issue({
    subject: 'CN=CA without keyCertSign',
    issuer: root.credentials,
    ca: {},
    keyUsage: ['cRLSign'],
  });
  return {
    root,
    intermediate,
    otherRoot,
    leaf: await clientLeaf('CN=alice'),
    expired: await clientLeaf('CN=expired', { notAfter: new Date('2025-05-31T23:59:00Z') }),
    notYetValid: await clientLeaf('CN=not yet valid', { notBefore: new Date('2025-06-01T00:01:00Z') }),
    serverOnly: await clientLeaf('CN=server eku', { extKeyUsage: ['serverAuth'] }),
    anyEku: await clientLeaf('CN=any eku', { extKeyUsage: ['2.5.29.37.0'] }),
    underNotCa: await issue({ subject: 'CN=under not-ca', issuer: notCa.credentials, extKeyUsage: ['clientAuth'] }),
    notCa,
    subIntermediate,
    underSub: await issue({ subject: 'CN=too deep', issuer: subIntermediate.credentials, extKeyUsage: ['clientAuth'] }),
    pssLeaf: await issue({ subject: 'CN=pss leaf', issuer: pssRoot.credentials, extKeyUsage: ['clientAuth'] }),
    pssRoot,
    edLeaf: await issue({ subject: 'CN=ed leaf', issuer: edRoot.credentials, extKeyUsage: ['clientAuth'] }),
    edRoot,
    p384Leaf: await issue({ subject: 'CN=p384 leaf', issuer: p384Root.credentials, extKeyUsage: ['clientAuth'] }),
    p384Root,
    rsaLeaf: await issue({ subject: 'CN=rsa leaf', issuer: rsaRoot.credentials, extKeyUsage: ['clientAuth'] }),
    rsaRoot,
    smallRsaLeaf: await issue({
      subject: 'CN=rsa1024 leaf',
      issuer: rsaRoot.credentials,
      keyAlgorithm: 'rsa-1024',
      extKeyUsage: ['clientAuth'],
    }),
    sha1Leaf: await issue({
      subject: 'CN=sha1 leaf',
      issuer: intermediate.credentials,
      extKeyUsage: ['clientAuth'],
      signatureAlgorithm: { name: 'ECDSA', hash: 'SHA-1' },
    }),
    constrained,
    inside: await issue({
      subject: 'CN=inside',
      issuer: constrained.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc1.contoso.example'], email: ['alice@contoso.example'] },
    }),
    outsideDns: await issue({
      subject: 'CN=outside dns',
      issuer: constrained.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc1.fabrikam.example'] },
    }),
    outsideEmail: await issue({
      subject: 'CN=outside email',
      issuer: constrained.credentials,
      extKeyUsage: ['clientAuth'],
      san: { email: ['mallory@fabrikam.example'] },
    }),
    excludedIp: await issue({
      subject: 'CN=excluded ip',
      issuer: constrained.credentials,
      extKeyUsage: ['clientAuth'],
      san: { ip: ['10.1.2.3'] },
    }),
    noCertSign,
    underNoCertSign: await issue({
      subject: 'CN=under no keyCertSign',
      issuer: noCertSign.credentials,
      extKeyUsage: ['clientAuth'],
    }),
    forgedIssuerName: await issue({
      subject: 'CN=forged',
      issuer: { cert: root.cert.parsed, key: otherRoot.keys.privateKey },
      extKeyUsage: ['clientAuth'],
    }),
  };
}

function input(leaf: IssuedCertificate, overrides: Partial<ValidationInput> = {}): ValidationInput {
  return {
    leaf: leaf.cert.der,
    intermediates: [pki.intermediate.cert.der],
    trustStore: createTrustStore([pki.root.cert.der]),
    time: NOW,
    ...overrides,
  };
}

const cases: { label: string; build: () => ValidationInput; expected: { ok: boolean; reason: CertificateReason } }[] = [
  {
    label: 'valid client certificate via a forwarded intermediate',
    build: () => input(pki.leaf),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'valid when the intermediate is itself a trust anchor',
    build: () => input(pki.leaf, { intermediates: [], trustStore: createTrustStore([pki.intermediate.cert.der]) }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'PEM leaf and PEM anchors',
    build: () =>
      input(pki.leaf, {
        leaf: pki.leaf.cert.pem,
        trustStore: createTrustStore([pki.root.cert.pem]),
        intermediates: [pki.intermediate.cert.pem],
      }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  { label: 'expired leaf', build: () => input(pki.expired), expected: { ok: false, reason: 'certificate-expired' } },
  {
    label: 'expired leaf within clock skew',
    build: () => input(pki.expired, { clockSkewSeconds: 120 }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'not-yet-valid leaf',
    build: () => input(pki.notYetValid),
    expected: { ok: false, reason: 'certificate-not-yet-valid' },
  },
  {
    label: 'not-yet-valid leaf within clock skew',
    build: () => input(pki.notYetValid, { clockSkewSeconds: 60 }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'leaf without clientAuth EKU',
    build: () => input(pki.serverOnly),
    expected: { ok: false, reason: 'certificate-eku-missing' },
  },
  {
    label: 'leaf without clientAuth EKU, no EKU required',
    build: () => input(pki.serverOnly, { requiredEkus: [] }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'anyExtendedKeyUsage alone does not stand in for clientAuth in a client certificate',
    build: () => input(pki.anyEku),
    expected: { ok: false, reason: 'certificate-eku-missing' },
  },
  {
    label: 'anyExtendedKeyUsage satisfies clientAuth under the rfc5280 leaf profile',
    build: () => input(pki.anyEku, { leafProfile: 'rfc5280' }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'intermediate not forwarded and not trusted',
    build: () => input(pki.leaf, { intermediates: [] }),
    expected: { ok: false, reason: 'certificate-untrusted' },
  },
  {
    label: 'wrong trust anchor',
    build: () => input(pki.leaf, { trustStore: createTrustStore([pki.otherRoot.cert.der]) }),
    expected: { ok: false, reason: 'certificate-untrusted' },
  },
  {
    label: 'issuer name matches but the signature does not',
    build: () => input(pki.forgedIssuerName, { intermediates: [] }),
    expected: { ok: false, reason: 'certificate-signature-invalid' },
  },
  {
    label: 'issuer is not a CA',
    build: () => input(pki.underNotCa, { intermediates: [pki.notCa.cert.der] }),
    expected: { ok: false, reason: 'certificate-issuer-not-ca' },
  },
  {
    label: 'issuer lacks keyCertSign',
    build: () => input(pki.underNoCertSign, { intermediates: [pki.noCertSign.cert.der] }),
    expected: { ok: false, reason: 'certificate-key-usage-invalid' },
  },
  {
    label: 'pathLenConstraint 0 exceeded',
    build: () => input(pki.underSub, { intermediates: [pki.intermediate.cert.der, pki.subIntermediate.cert.der] }),
    expected: { ok: false, reason: 'certificate-path-length-exceeded' },
  },
  {
    label: 'max chain depth 1 with two intermediates',
    build: () =>
      input(pki.underSub, {
        intermediates: [pki.intermediate.cert.der, pki.subIntermediate.cert.der],
        maxChainDepth: 1,
      }),
    expected: { ok: false, reason: 'certificate-path-too-long' },
  },
  {
    label: 'RSA-PSS signatures',
    build: () => input(pki.pssLeaf, { intermediates: [], trustStore: createTrustStore([pki.pssRoot.cert.der]) }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'Ed25519 signatures',
    build: () => input(pki.edLeaf, { intermediates: [], trustStore: createTrustStore([pki.edRoot.cert.der]) }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'ECDSA P-384 signatures',
    build: () => input(pki.p384Leaf, { intermediates: [], trustStore: createTrustStore([pki.p384Root.cert.der]) }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'RSA PKCS#1 v1.5 signatures',
    build: () => input(pki.rsaLeaf, { intermediates: [], trustStore: createTrustStore([pki.rsaRoot.cert.der]) }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'RSA-1024 leaf key refused',
    build: () => input(pki.smallRsaLeaf, { intermediates: [], trustStore: createTrustStore([pki.rsaRoot.cert.der]) }),
    expected: { ok: false, reason: 'certificate-signature-algorithm-weak' },
  },
  {
    label: 'RSA-1024 leaf key accepted with minRsaBits 1024',
    build: () =>
      input(pki.smallRsaLeaf, {
        intermediates: [],
        trustStore: createTrustStore([pki.rsaRoot.cert.der]),
        minRsaBits: 1024,
      }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'SHA-1 signature refused',
    build: () => input(pki.sha1Leaf),
    expected: { ok: false, reason: 'certificate-signature-algorithm-weak' },
  },
  {
    label: 'SHA-1 signature accepted with allowSha1',
    build: () => input(pki.sha1Leaf, { allowSha1: true }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'names inside the name constraints',
    build: () => input(pki.inside, { intermediates: [pki.constrained.cert.der] }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'dNSName outside permitted subtrees',
    build: () => input(pki.outsideDns, { intermediates: [pki.constrained.cert.der] }),
    expected: { ok: false, reason: 'certificate-name-constraints-violated' },
  },
  {
    label: 'email outside permitted subtrees',
    build: () => input(pki.outsideEmail, { intermediates: [pki.constrained.cert.der] }),
    expected: { ok: false, reason: 'certificate-name-constraints-violated' },
  },
  {
    label: 'IP address in an excluded subtree',
    build: () => input(pki.excludedIp, { intermediates: [pki.constrained.cert.der] }),
    expected: { ok: false, reason: 'certificate-name-constraints-violated' },
  },
  {
    label: 'garbage leaf',
    build: () => input(pki.leaf, { leaf: new Uint8Array([0x30, 0x03, 0x02, 0x01]) }),
    expected: { ok: false, reason: 'certificate-malformed' },
  },
  {
    label: 'garbage forwarded intermediate is ignored',
    build: () => input(pki.leaf, { intermediates: ['not a certificate', pki.intermediate.cert.der] }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'invalid validation time',
    build: () => input(pki.leaf, { time: new Date(Number.NaN) }),
    expected: { ok: false, reason: 'certificate-validation-input-invalid' },
  },
];

describe('validateCertificatePath', () => {
  it.each(cases)('$label', ({ build, expected }) => {
    const result = validateCertificatePath(build());
    expect({ ok: result.ok, reason: result.reason }).toEqual(expected);
    const failures = result.trace.filter((entry) => entry.outcome === 'fail');
    if (expected.ok) expect(failures).toEqual([]);
    else expect(failures[0]?.reason).toBe(expected.reason);
  });

  it('reports the path leaf → anchor and the leaf summary', () => {
    const result = validateCertificatePath(input(pki.leaf));
    expect(result.path?.map((entry) => entry.subject)).toEqual([
      'CN=alice',
      'CN=certgate test issuing CA',
      'CN=certgate test root',
    ]);
    expect(result.leaf?.subjectAltNames).toEqual(['upn:alice@contoso.example']);
    expect(result.leaf?.sha256Thumbprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prefers an anchored failure over "untrusted": an expired intermediate is reported as expired', async () => {
    const expiredCa = await issue({
      subject: 'CN=expired CA',
      issuer: pki.root.credentials,
      ca: {},
      notAfter: new Date('2025-01-01T00:00:00Z'),
    });
    const leaf = await issue({
      subject: 'CN=bob',
      issuer: expiredCa.credentials,
      extKeyUsage: ['clientAuth'],
      notAfter: new Date('2024-12-31T00:00:00Z'),
      notBefore: new Date('2024-01-01T00:00:00Z'),
    });
    const result = validateCertificatePath(input(leaf, { intermediates: [expiredCa.cert.der] }));
    expect(result.reason).toBe('certificate-expired');
    expect(result.path).toHaveLength(3);
  });

  it('picks the valid cross-signed path when another candidate issuer is expired', async () => {
    const caKeys = await generateKeyPair('ecdsa-p256');
    const expiredCross = await issue({
      subject: 'CN=cross-signed CA',
      issuer: pki.otherRoot.credentials,
      ca: {},
      keys: caKeys,
      notAfter: new Date('2025-01-01T00:00:00Z'),
    });
    const goodCross = await issue({
      subject: 'CN=cross-signed CA',
      issuer: pki.root.credentials,
      ca: {},
      keys: caKeys,
    });
    const leaf = await issue({ subject: 'CN=carol', issuer: goodCross.credentials, extKeyUsage: ['clientAuth'] });
    const result = validateCertificatePath(
      input(leaf, {
        intermediates: [expiredCross.cert.der, goodCross.cert.der],
        trustStore: createTrustStore([pki.otherRoot.cert.der, pki.root.cert.der]),
      }),
    );
    expect(result.reason).toBe('certificate-valid');
    expect(result.path?.at(-1)?.subject).toBe('CN=certgate test root');
  });

  it('bounds path-building work', async () => {
    // Same-named candidate issuers (signed by an untrusted root) that all verify the leaf: every
    // one must be tried before the search can conclude "untrusted".
    const loopCaKeys = await generateKeyPair('ecdsa-p256');
    const candidates: Uint8Array[] = [];
    for (let index = 0; index < 6; index += 1)
      candidates.push(
        (
          await issue({
            subject: 'CN=loop CA',
            issuer: pki.otherRoot.credentials,
            ca: {},
            keys: loopCaKeys,
            serial: `7f0${index}`,
          })
        ).cert.der,
      );
    const leaf = await issue({
      subject: 'CN=dave',
      issuer: (await issue({ subject: 'CN=loop CA', ca: {}, keys: loopCaKeys })).credentials,
      extKeyUsage: ['clientAuth'],
    });
    const bounded = validateCertificatePath(input(leaf, { intermediates: candidates, maxPathBuildingSteps: 3 }));
    expect(bounded.reason).toBe('certificate-path-building-exhausted');
    const unbounded = validateCertificatePath(input(leaf, { intermediates: candidates }));
    expect(unbounded.reason).toBe('certificate-untrusted');
  });

  it('an intermediate EKU that excludes clientAuth constrains the leaf (Web PKI / CABF style)', async () => {
    const serverOnlyCa = await issue({
      subject: 'CN=server-only CA',
      issuer: pki.root.credentials,
      ca: {},
      extKeyUsage: ['serverAuth'],
    });
    const leaf = await issue({ subject: 'CN=erin', issuer: serverOnlyCa.credentials, extKeyUsage: ['clientAuth'] });
    const result = validateCertificatePath(input(leaf, { intermediates: [serverOnlyCa.cert.der] }));
    expect(result.reason).toBe('certificate-eku-missing');
    expect(result.trace.find((entry) => entry.outcome === 'fail')?.certificate).toBe('intermediate[1]');
  });

  describe('revocation (CRL)', () => {
    it.each([
      { label: 'revoked leaf', revoked: true, mode: 'required' as const, expected: 'certificate-revoked' },
      { label: 'not revoked', revoked: false, mode: 'required' as const, expected: 'certificate-valid' },
    ])('$label', async ({ revoked, mode, expected }) => {
      const crlForLeaf = await issueCrl(
        pki.intermediate.credentials,
        revoked ? [pki.leaf.cert.parsed.serialNumber] : ['0badbeef'],
      );
      const crlForIntermediate = await issueCrl(pki.root.credentials, []);
      const result = validateCertificatePath(
        input(pki.leaf, { crls: [crlForLeaf, crlForIntermediate], revocation: mode }),
      );
      expect(result.reason).toBe(expected);
    });

    it('required revocation without a CRL for the intermediate fails closed', async () => {
      const crlForLeaf = await issueCrl(pki.intermediate.credentials, []);
      const result = validateCertificatePath(input(pki.leaf, { crls: [crlForLeaf], revocation: 'required' }));
      expect(result.reason).toBe('certificate-revocation-unknown');
    });

    it('preferred revocation with no usable CRL passes and records the gap', async () => {
      const stale = await issueCrl(pki.intermediate.credentials, [], {
        thisUpdate: new Date('2025-05-01T00:00:00Z'),
        nextUpdate: new Date('2025-05-08T00:00:00Z'),
      });
      const result = validateCertificatePath(input(pki.leaf, { crls: [stale], revocation: 'preferred' }));
      expect(result.reason).toBe('certificate-valid');
      expect(
        result.trace.some((entry) => entry.check === 'revocation' && entry.reason === 'certificate-revocation-unknown'),
      ).toBe(true);
    });

    it('a CRL signed by another key is not usable', async () => {
      const forged = await issueCrl({ cert: pki.intermediate.cert.parsed, key: pki.otherRoot.keys.privateKey }, [
        pki.leaf.cert.parsed.serialNumber,
      ]);
      const result = validateCertificatePath(input(pki.leaf, { crls: [forged], revocation: 'required' }));
      expect(result.reason).toBe('certificate-revocation-unknown');
    });
  });
});
