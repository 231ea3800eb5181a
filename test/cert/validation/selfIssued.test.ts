/**
 * Self-issued certificates (RFC 5280 §6.1: "self-issued" — subject and issuer names match — is
 * not "self-signed"): CA key rollover paths through link certificates, and self-issued
 * intermediates that must not count towards pathLenConstraint, the maximum chain depth, name
 * constraints of their own subject, or the explicit_policy / policy_mapping / inhibit_anyPolicy
 * counters — except where the RFC says they do. Every PKI is generated here.
 */
import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrustStore,
  validateCertificatePath,
  type CertificateReason,
  type ValidationInput,
  type ValidationResult,
} from '../../../shared/cert/validation/index.js';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import {
  ANY_POLICY,
  P1,
  P2,
  generatePath,
  generateRollover,
  type CaSpec,
  type GeneratedPath,
  type PolicySpec,
  type Rollover,
} from './rfc5280Pki.js';
import { NOW, issueTestCertificate as issue, issueTestCrl } from './testCertificates.js';

function validate(
  leaf: IssuedCertificate,
  anchors: readonly IssuedCertificate[],
  intermediates: readonly IssuedCertificate[],
  overrides: Partial<ValidationInput> = {},
): ValidationResult {
  return validateCertificatePath({
    leaf: leaf.cert.der,
    intermediates: intermediates.map((certificate) => certificate.cert.der),
    trustStore: createTrustStore(anchors.map((anchor) => anchor.cert.der)),
    time: NOW,
    ...overrides,
  });
}

function validatePath(path: GeneratedPath, overrides: Partial<ValidationInput> = {}): ValidationResult {
  return validate(path.leaf, [path.anchor], path.cas, overrides);
}

function outcome(result: ValidationResult): { ok: boolean; reason: CertificateReason } {
  return { ok: result.ok, reason: result.reason };
}

const VALID = { ok: true, reason: 'certificate-valid' } as const;

describe('CA key rollover (RFC 5280 §6.1 self-issued certificates; RFC 4210 §4.4 link certificates)', () => {
  let root: Rollover;
  let leafOfOldKey: IssuedCertificate;
  let leafOfNewKey: IssuedCertificate;
  let ca: Rollover;
  let caParent: IssuedCertificate;

  beforeAll(async () => {
    root = await generateRollover('CN=rollover root');
    leafOfOldKey = await issue({
      subject: 'CN=old-key leaf',
      issuer: root.oldWithOld.credentials,
      extKeyUsage: ['clientAuth'],
    });
    leafOfNewKey = await issue({
      subject: 'CN=new-key leaf',
      issuer: root.newWithNew.credentials,
      extKeyUsage: ['clientAuth'],
    });
    caParent = await issue({ subject: 'CN=rollover parent', ca: {} });
    // An issuing CA (pathLenConstraint 0) that rolls its key under a parent: both its keys are certified by the parent
    // too.
    const oldCa = await issue({
      subject: 'CN=rolling issuing CA',
      issuer: caParent.credentials,
      ca: { pathLength: 0 },
    });
    const newCaKeys = (await issue({ subject: 'CN=scratch', ca: {} })).keys;
    const newWithOld = await issue({
      subject: 'CN=rolling issuing CA',
      issuer: oldCa.credentials,
      ca: { pathLength: 0 },
      keys: newCaKeys,
    });
    const newCa = await issue({
      subject: 'CN=rolling issuing CA',
      issuer: caParent.credentials,
      ca: { pathLength: 0 },
      keys: newCaKeys,
    });
    const oldWithNew = await issue({
      subject: 'CN=rolling issuing CA',
      issuer: newCa.credentials,
      ca: { pathLength: 0 },
      keys: oldCa.keys,
    });
    ca = { oldWithOld: oldCa, newWithNew: newCa, oldWithNew, newWithOld };
  });

  it.each([
    {
      label: 'old-with-new: a relying party that trusts only the new key validates a leaf of the old key',
      leaf: () => leafOfOldKey,
      anchors: () => [root.newWithNew],
      intermediates: () => [root.oldWithNew],
    },
    {
      label: 'new-with-old: a relying party that trusts only the old key validates a leaf of the new key',
      leaf: () => leafOfNewKey,
      anchors: () => [root.oldWithOld],
      intermediates: () => [root.newWithOld],
    },
    {
      label: 'every rollover certificate forwarded, old key trusted, new-key leaf',
      leaf: () => leafOfNewKey,
      anchors: () => [root.oldWithOld],
      intermediates: () => [root.newWithNew, root.oldWithNew, root.newWithOld],
    },
    {
      label: 'every rollover certificate forwarded, new key trusted, old-key leaf',
      leaf: () => leafOfOldKey,
      anchors: () => [root.newWithNew],
      intermediates: () => [root.newWithOld, root.oldWithOld, root.oldWithNew],
    },
    {
      label: 'both keys trusted, no link certificate needed',
      leaf: () => leafOfOldKey,
      anchors: () => [root.newWithNew, root.oldWithOld],
      intermediates: () => [],
    },
  ])('§6.1 "self-issued" link certificate of a root: $label', ({ leaf, anchors, intermediates }) => {
    const result = validate(leaf(), anchors(), intermediates());
    expect(outcome(result)).toEqual(VALID);
  });

  it('§6.1.4 (l) "If certificate i is not self-issued, verify that max_path_length is greater than zero": a new-with-old link below a pathLenConstraint 0 CA is free', async () => {
    const leaf = await issue({
      subject: 'CN=leaf of the new issuing key',
      issuer: ca.newWithNew.credentials,
      extKeyUsage: ['clientAuth'],
    });
    const viaLink = validate(leaf, [caParent], [ca.oldWithOld, ca.newWithOld]);
    expect(outcome(viaLink)).toEqual(VALID);
    expect(viaLink.path?.map((certificate) => certificate.subject)).toHaveLength(4);
    // The same depth with a CA that is not self-issued is one intermediate too many.
    const sub = await issue({ subject: 'CN=not self-issued sub CA', issuer: ca.oldWithOld.credentials, ca: {} });
    const underSub = await issue({
      subject: 'CN=leaf under sub',
      issuer: sub.credentials,
      extKeyUsage: ['clientAuth'],
    });
    expect(outcome(validate(underSub, [caParent], [ca.oldWithOld, sub]))).toEqual({
      ok: false,
      reason: 'certificate-path-length-exceeded',
    });
  });

  it('§6.1.4 (l): old-with-new link below a pathLenConstraint 0 CA certified with the new key', async () => {
    const leaf = await issue({
      subject: 'CN=leaf of the old issuing key',
      issuer: ca.oldWithOld.credentials,
      extKeyUsage: ['clientAuth'],
    });
    expect(outcome(validate(leaf, [caParent], [ca.newWithNew, ca.oldWithNew]))).toEqual(VALID);
  });

  it("§6.1.4 (m) a self-issued certificate's own pathLenConstraint still lowers max_path_length: pathLen 0 on the link refuses a sub CA below it", async () => {
    const rootCa = await issue({ subject: 'CN=loose root', ca: {} });
    const issuing = await issue({ subject: 'CN=loose issuing CA', issuer: rootCa.credentials, ca: {} });
    const link = await issue({ subject: 'CN=loose issuing CA', issuer: issuing.credentials, ca: { pathLength: 0 } });
    const sub = await issue({ subject: 'CN=sub below the link', issuer: link.credentials, ca: {} });
    const leaf = await issue({ subject: 'CN=leaf below sub', issuer: sub.credentials, extKeyUsage: ['clientAuth'] });
    expect(outcome(validate(leaf, [rootCa], [issuing, link, sub]))).toEqual({
      ok: false,
      reason: 'certificate-path-length-exceeded',
    });
    const fails = validate(leaf, [rootCa], [issuing, link, sub]).trace.filter((entry) => entry.outcome === 'fail');
    expect(fails[0]?.certificate).toBe('intermediate[1]');
  });

  it('maxChainDepth counts CAs that are not self-issued: a link certificate fits in maxChainDepth 1', async () => {
    const leaf = await issue({
      subject: 'CN=leaf of the new issuing key (depth)',
      issuer: ca.newWithNew.credentials,
      extKeyUsage: ['clientAuth'],
    });
    expect(outcome(validate(leaf, [caParent], [ca.oldWithOld, ca.newWithOld], { maxChainDepth: 1 }))).toEqual(VALID);
    expect(outcome(validate(leaf, [caParent], [ca.oldWithOld, ca.newWithOld], { maxChainDepth: 0 }))).toEqual({
      ok: false,
      reason: 'certificate-path-too-long',
    });
  });

  it('a link certificate signed by a third key of the same name (not a rollover of the anchor) does not validate', async () => {
    const impostor = await issue({ subject: 'CN=rollover root', ca: {} });
    const forgedLink = await issue({
      subject: 'CN=rollover root',
      issuer: impostor.credentials,
      ca: {},
      keys: root.newWithNew.keys,
    });
    expect(validate(leafOfNewKey, [root.oldWithOld], [forgedLink]).ok).toBe(false);
  });

  describe('with revocation required: the CA publishes its CRLs with its current key (§6.1.3 (a)(3), §6.3.3 (f))', () => {
    it.each([
      {
        label: "old-with-new: the new key's CRL covers the old-key leaf and the link",
        revoked: false,
        expected: VALID,
      },
      {
        label: "old-with-new: the new key's CRL revokes the old-key leaf",
        revoked: true,
        expected: { ok: false, reason: 'certificate-revoked' },
      },
    ])('$label', async ({ revoked, expected }) => {
      const crl = await issueTestCrl(
        root.newWithNew.credentials,
        revoked ? [leafOfOldKey.cert.parsed.serialNumber] : ['0badbeef'],
      );
      expect(
        outcome(validate(leafOfOldKey, [root.newWithNew], [root.oldWithNew], { crls: [crl], revocation: 'required' })),
      ).toEqual(expected);
    });

    it.each([
      {
        label: "new-with-old: the old key's CRL covers the new-key leaf and the link",
        revoked: false,
        expected: VALID,
      },
      {
        label: "new-with-old: the old key's CRL revokes the new-key leaf",
        revoked: true,
        expected: { ok: false, reason: 'certificate-revoked' },
      },
    ])('$label', async ({ revoked, expected }) => {
      const crl = await issueTestCrl(
        root.oldWithOld.credentials,
        revoked ? [leafOfNewKey.cert.parsed.serialNumber] : ['0badbeef'],
      );
      expect(
        outcome(validate(leafOfNewKey, [root.oldWithOld], [root.newWithOld], { crls: [crl], revocation: 'required' })),
      ).toEqual(expected);
    });

    it('new-with-old: a CRL signed with the new key (the current key, certified by the link) covers the new-key leaf', async () => {
      const crl = await issueTestCrl(root.newWithNew.credentials, [leafOfNewKey.cert.parsed.serialNumber]);
      const linkCrl = await issueTestCrl(root.oldWithOld.credentials, ['0badbeef']);
      expect(
        outcome(
          validate(leafOfNewKey, [root.oldWithOld], [root.newWithOld], {
            crls: [crl, linkCrl],
            revocation: 'required',
          }),
        ),
      ).toEqual({ ok: false, reason: 'certificate-revoked' });
    });
  });

  it('a self-issued certificate that is not a CA cannot link: §6.1.4 (k) still applies', async () => {
    const notCaLink = await issue({
      subject: 'CN=rollover root',
      issuer: root.oldWithOld.credentials,
      keys: root.newWithNew.keys,
      keyUsage: ['digitalSignature'],
    });
    expect(outcome(validate(leafOfNewKey, [root.oldWithOld], [notCaLink]))).toEqual({
      ok: false,
      reason: 'certificate-issuer-not-ca',
    });
  });
});

describe('name constraints and self-issued certificates (RFC 5280 §6.1.3 (b)-(c), §6.1.4 (g))', () => {
  let root: IssuedCertificate;
  let constrained: IssuedCertificate;

  beforeAll(async () => {
    root = await issue({ subject: 'CN=nc root', ca: {} });
    constrained = await issue({
      subject: 'CN=contoso CA',
      issuer: root.credentials,
      ca: {},
      nameConstraints: { permitted: { dns: ['contoso.example'] } },
    });
  });

  it('§6.1.3 (b) "If certificate i is self-issued and it is not the final certificate in the path, skip this step": a link whose SAN is outside the subtree is not checked', async () => {
    const link = await issue({
      subject: 'CN=contoso CA',
      issuer: constrained.credentials,
      ca: {},
      san: { dns: ['ca.fabrikam.example'] },
    });
    const leaf = await issue({
      subject: 'CN=pc1',
      issuer: link.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc1.contoso.example'] },
    });
    expect(outcome(validate(leaf, [root], [constrained, link]))).toEqual(VALID);
  });

  it('§6.1.3 (b): a CA that is not self-issued with the same SAN is checked and refused', async () => {
    const sub = await issue({
      subject: 'CN=fabrikam sub CA',
      issuer: constrained.credentials,
      ca: {},
      san: { dns: ['ca.fabrikam.example'] },
    });
    const leaf = await issue({
      subject: 'CN=pc2',
      issuer: sub.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc2.contoso.example'] },
    });
    expect(outcome(validate(leaf, [root], [constrained, sub]))).toEqual({
      ok: false,
      reason: 'certificate-name-constraints-violated',
    });
  });

  it('§6.1.3 (b) "...and it is not the final certificate": a self-issued leaf is checked', async () => {
    const leaf = await issue({
      subject: 'CN=contoso CA',
      issuer: constrained.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc3.fabrikam.example'] },
    });
    expect(outcome(validate(leaf, [root], [constrained]))).toEqual({
      ok: false,
      reason: 'certificate-name-constraints-violated',
    });
  });

  it('the constraints above still reach the leaf through a self-issued CA', async () => {
    const link = await issue({ subject: 'CN=contoso CA', issuer: constrained.credentials, ca: {} });
    const leaf = await issue({
      subject: 'CN=pc4',
      issuer: link.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc4.fabrikam.example'] },
    });
    expect(outcome(validate(leaf, [root], [constrained, link]))).toEqual({
      ok: false,
      reason: 'certificate-name-constraints-violated',
    });
  });

  it("§6.1.4 (g): a self-issued CA's own name constraints apply below it", async () => {
    const link = await issue({
      subject: 'CN=contoso CA',
      issuer: constrained.credentials,
      ca: {},
      nameConstraints: { excluded: { dns: ['lab.contoso.example'] } },
    });
    const leaf = await issue({
      subject: 'CN=pc5',
      issuer: link.credentials,
      extKeyUsage: ['clientAuth'],
      san: { dns: ['pc5.lab.contoso.example'] },
    });
    expect(outcome(validate(leaf, [root], [constrained, link]))).toEqual({
      ok: false,
      reason: 'certificate-name-constraints-violated',
    });
  });
});

/** Policy-counter cases: a CA, then `middle` (a self-issued CA or a second, not self-issued one), then more. */
interface CounterCase {
  readonly label: string;
  readonly cas: readonly CaSpec[];
  readonly leaf: PolicySpec & { readonly extra?: { readonly subject: string } };
  readonly input?: Partial<ValidationInput>;
  readonly expected: { ok: boolean; reason: CertificateReason };
  readonly userConstrained?: readonly string[];
}

const SELF: CaSpec = { name: '', selfIssued: true, policies: [P1] };
const OTHER: CaSpec = { name: 'CN=second CA', policies: [P1] };

const counterCases: CounterCase[] = [
  {
    label:
      '§6.1.4 (h) "If certificate i is not self-issued" decrement explicit_policy: requireExplicitPolicy 2 over a self-issued CA leaves the policy-less leaf valid',
    cas: [{ name: 'CN=first CA', policies: [P1], requireExplicitPolicy: 2 }, SELF],
    leaf: {},
    expected: VALID,
  },
  {
    label: '§6.1.4 (h): requireExplicitPolicy 2 over a CA that is not self-issued requires a policy of the leaf',
    cas: [{ name: 'CN=first CA', policies: [P1], requireExplicitPolicy: 2 }, OTHER],
    leaf: {},
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
  {
    label:
      '§6.1.3 (f) with a self-issued CA: requireExplicitPolicy 0 and a self-issued CA without policies fails at the self-issued CA',
    cas: [
      { name: 'CN=first CA', policies: [P1], requireExplicitPolicy: 0 },
      { name: '', selfIssued: true },
    ],
    leaf: { policies: [P1] },
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
  {
    label:
      '§6.1.4 (h) decrement policy_mapping only if not self-issued: inhibitPolicyMapping 1 over a self-issued CA still lets the next CA map',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitPolicyMapping: 1 },
      SELF,
      { name: 'CN=mapping CA', policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    input: { explicitPolicy: true },
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.4 (h): inhibitPolicyMapping 1 over a CA that is not self-issued stops the mapping',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitPolicyMapping: 1 },
      OTHER,
      { name: 'CN=mapping CA', policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    input: { explicitPolicy: true },
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
  {
    label:
      '§6.1.4 (h) decrement inhibit_anyPolicy only if not self-issued: inhibitAnyPolicy 1 over a self-issued CA still honours anyPolicy in the next CA',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitAnyPolicy: 1 },
      SELF,
      { name: 'CN=any CA', policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: { explicitPolicy: true },
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.4 (h): inhibitAnyPolicy 1 over a CA that is not self-issued ignores anyPolicy in the next CA',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitAnyPolicy: 1 },
      OTHER,
      { name: 'CN=any CA', policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: { explicitPolicy: true },
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
  {
    label:
      '§6.1.3 (d)(2) "(i<n and the certificate is self-issued)": anyPolicy in a self-issued CA counts even when inhibit_anyPolicy is 0',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitAnyPolicy: 0 },
      { name: '', selfIssued: true, policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: { explicitPolicy: true },
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.3 (d)(2): anyPolicy in a CA that is not self-issued does not count when inhibit_anyPolicy is 0',
    cas: [
      { name: 'CN=first CA', policies: [P1], inhibitAnyPolicy: 0 },
      { name: 'CN=second CA', policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: { explicitPolicy: true },
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
  {
    label: '§6.1.3 (d)(2) "i<n": a self-issued leaf gets no anyPolicy exemption',
    cas: [{ name: 'CN=first CA', policies: [P1], inhibitAnyPolicy: 0 }],
    leaf: { policies: [ANY_POLICY], extra: { subject: 'CN=first CA' } },
    input: { explicitPolicy: true },
    expected: { ok: false, reason: 'certificate-policy-invalid' },
  },
];

describe('policy counters and self-issued certificates (RFC 5280 §6.1.3 (d)-(f), §6.1.4 (h)-(j))', () => {
  it.each(counterCases)('$label', async ({ cas, leaf, input, expected, userConstrained }) => {
    const path = await generatePath(cas, leaf);
    const result = validatePath(path, { leafProfile: 'rfc5280', ...input });
    expect(outcome(result)).toEqual(expected);
    if (userConstrained !== undefined) expect(result.userConstrainedPolicySet).toEqual(userConstrained);
  });
});
