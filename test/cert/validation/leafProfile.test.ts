/**
 * The client-certificate leaf profile (review issue 10, finding 4): the certificate in the leaf
 * position must be an end-entity certificate — not a CA (basicConstraints cA TRUE or keyUsage
 * keyCertSign), not a trust anchor — and must list every required EKU in its own EKU extension
 * (no extension, or only anyExtendedKeyUsage, does not do). `leafProfile: 'rfc5280'` keeps the
 * plain RFC 5280 semantics (limbo's server-auth cases validate CA certificates as leaves).
 */
import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrustStore,
  validateCertificatePath,
  type CertificateReason,
  type ValidationInput,
} from '../../../shared/cert/validation/index.js';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { NOW, issueTestCertificate as issue, type TestCertificateOptions } from './testCertificates.js';

const ANY_EKU = '2.5.29.37.0';

type Pki = Awaited<ReturnType<typeof buildPki>>;
let pki: Pki;

beforeAll(async () => {
  pki = await buildPki();
});

async function buildPki() {
  const root = await issue({ subject: 'CN=leaf profile root', ca: {} });
  const issuing = await issue({
    subject: 'CN=leaf profile issuing CA',
    issuer: root.credentials,
    ca: { pathLength: 0 },
  });
  // An issuing CA that itself carries the clientAuth EKU (as some enterprise CAs do).
  const issuingWithEku = await issue({
    subject: 'CN=leaf profile issuing CA with EKU',
    issuer: root.credentials,
    ca: { pathLength: 0 },
    extKeyUsage: ['clientAuth'],
  });
  const leaf = (subject: string, extra: Partial<TestCertificateOptions> = {}): Promise<IssuedCertificate> =>
    issue({
      subject,
      issuer: issuing.credentials,
      extKeyUsage: ['clientAuth'],
      san: { upn: ['alice@contoso.example'] },
      ...extra,
    });
  return {
    root,
    issuing,
    issuingWithEku,
    client: await leaf('CN=alice'),
    caLeaf: await leaf('CN=ca leaf with clientAuth', { ca: {} }),
    caLeafNoKeyUsage: await leaf('CN=ca leaf without key usage', { ca: {}, keyUsage: [] }),
    keyCertSignLeaf: await leaf('CN=keyCertSign leaf', { keyUsage: ['digitalSignature', 'keyCertSign'] }),
    // No EKU extension at all.
    noEku: await issue({ subject: 'CN=no eku', issuer: issuing.credentials, san: { upn: ['alice@contoso.example'] } }),
    anyEkuOnly: await leaf('CN=any eku only', { extKeyUsage: [ANY_EKU] }),
    anyEkuAndClientAuth: await leaf('CN=any eku and clientAuth', { extKeyUsage: [ANY_EKU, 'clientAuth'] }),
  };
}

/** A leaf issued by the issuing CA, which is forwarded; the root is the anchor. */
function input(leaf: IssuedCertificate, overrides: Partial<ValidationInput> = {}): ValidationInput {
  return {
    leaf: leaf.cert.der,
    intermediates: [pki.issuing.cert.der],
    trustStore: createTrustStore([pki.root.cert.der]),
    time: NOW,
    ...overrides,
  };
}

const cases: {
  label: string;
  build: () => ValidationInput;
  expected: { ok: boolean; reason: CertificateReason; failedCheck?: string };
}[] = [
  {
    label: 'an end-entity certificate with clientAuth is valid',
    build: () => input(pki.client),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  // Trust anchors presented as the leaf.
  {
    label: 'the trusted issuing CA forwarded as the leaf (root and issuing CA both trusted)',
    build: () =>
      input(pki.issuing, {
        intermediates: [],
        trustStore: createTrustStore([pki.root.cert.der, pki.issuing.cert.der]),
      }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'the trusted issuing CA forwarded as the leaf (only the issuing CA trusted)',
    build: () => input(pki.issuing, { intermediates: [], trustStore: createTrustStore([pki.issuing.cert.der]) }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'the issuing CA (chaining to the trusted root) as the leaf',
    build: () => input(pki.issuing, { intermediates: [] }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'an issuing CA carrying clientAuth as the leaf',
    build: () => input(pki.issuingWithEku, { intermediates: [] }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'the trusted root itself as the leaf',
    build: () => input(pki.root, { intermediates: [] }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  // CA leaves issued below the trusted CA.
  {
    label: 'a leaf with cA TRUE and clientAuth',
    build: () => input(pki.caLeaf),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'a leaf with cA TRUE, clientAuth and no key usage',
    build: () => input(pki.caLeafNoKeyUsage),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'a leaf with keyCertSign (cA absent) and clientAuth',
    build: () => input(pki.keyCertSignLeaf),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  {
    label: 'a CA leaf is refused even when no EKU is required',
    build: () => input(pki.caLeaf, { requiredEkus: [] }),
    expected: { ok: false, reason: 'certificate-leaf-is-ca', failedCheck: 'leaf-profile' },
  },
  // EKU: the leaf must list Client Authentication itself.
  {
    label: 'a leaf without an EKU extension',
    build: () => input(pki.noEku),
    expected: { ok: false, reason: 'certificate-eku-missing', failedCheck: 'extended-key-usage' },
  },
  {
    label: 'a leaf with only anyExtendedKeyUsage',
    build: () => input(pki.anyEkuOnly),
    expected: { ok: false, reason: 'certificate-eku-missing', failedCheck: 'extended-key-usage' },
  },
  {
    label: 'a leaf with anyExtendedKeyUsage and clientAuth',
    build: () => input(pki.anyEkuAndClientAuth),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'a leaf without an EKU extension when no EKU is required',
    build: () => input(pki.noEku, { requiredEkus: [] }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'a leaf with only anyExtendedKeyUsage when anyExtendedKeyUsage is the required EKU',
    build: () => input(pki.anyEkuOnly, { requiredEkus: [ANY_EKU] }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  // The plain RFC 5280 profile (what limbo's server-auth cases expect).
  {
    label: 'rfc5280 profile: a CA leaf is valid',
    build: () => input(pki.caLeaf, { leafProfile: 'rfc5280' }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'rfc5280 profile: the issuing CA as the leaf is valid',
    build: () => input(pki.issuing, { intermediates: [], leafProfile: 'rfc5280' }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'rfc5280 profile: no EKU extension means any purpose',
    build: () => input(pki.noEku, { leafProfile: 'rfc5280' }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'rfc5280 profile: anyExtendedKeyUsage satisfies clientAuth',
    build: () => input(pki.anyEkuOnly, { leafProfile: 'rfc5280' }),
    expected: { ok: true, reason: 'certificate-valid' },
  },
  {
    label: 'rfc5280 profile: keyCertSign without cA is still a profile violation',
    build: () => input(pki.keyCertSignLeaf, { leafProfile: 'rfc5280' }),
    expected: { ok: false, reason: 'certificate-profile-violation' },
  },
];

describe('client-certificate leaf profile', () => {
  it.each(cases)('$label', ({ build, expected }) => {
    const result = validateCertificatePath(build());
    expect({ ok: result.ok, reason: result.reason }).toEqual({ ok: expected.ok, reason: expected.reason });
    const failures = result.trace.filter((entry) => entry.outcome === 'fail');
    if (expected.ok) {
      expect(failures).toEqual([]);
    } else {
      expect(failures[0]?.reason).toBe(expected.reason);
      if (expected.failedCheck !== undefined) expect(failures[0]?.check).toBe(expected.failedCheck);
    }
  });

  it('a CA leaf fails before path building: nothing else is reported about it', () => {
    const result = validateCertificatePath(
      input(pki.issuing, { intermediates: [], trustStore: createTrustStore([pki.issuing.cert.der]) }),
    );
    expect(result.trace.map((entry) => entry.check)).toEqual(['parse', 'leaf-profile']);
    expect(result.leaf?.subject).toContain('leaf profile issuing CA');
  });

  it('a trust anchor is a CA whatever its extensions say: an uploaded certificate without cA or keyCertSign, presented as the leaf', async () => {
    const pinned = await issue({
      subject: 'CN=pinned end-entity uploaded as a CA',
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth'],
    });
    const result = validateCertificatePath(
      input(pinned, { intermediates: [], trustStore: createTrustStore([pki.root.cert.der, pinned.cert.der]) }),
    );
    expect(result.reason).toBe('certificate-leaf-is-ca');
    expect(result.trace.find((entry) => entry.outcome === 'fail')?.detail).toContain('trusted CA');
  });

  it('an unknown leafProfile is a caller error, not a verdict', () => {
    const result = validateCertificatePath(input(pki.client, { leafProfile: 'server' as never }));
    expect(result.reason).toBe('certificate-validation-input-invalid');
  });
});
