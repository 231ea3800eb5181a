/**
 * Certificate policy processing, RFC 5280 §6.1.2–6.1.5 (the valid_policy_tree, kept as the
 * equivalent policy graph of RFC 9618): the relying party's inputs (user-initial-policy-set,
 * initial-explicit-policy, initial-policy-mapping-inhibit, initial-any-policy-inhibit), policy
 * mapping, anyPolicy in intermediates and its inhibition, requireExplicitPolicy, qualifiers
 * ignored, and the outputs (authorities- and user-constrained policy sets). Every PKI is generated
 * here; each case quotes the step of the RFC it exercises.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import {
  createTrustStore,
  validateCertificatePath,
  type CertificateReason,
  type ValidationInput,
  type ValidationResult,
} from '../../../shared/cert/validation/index.js';
import {
  ANY_POLICY,
  P1,
  P2,
  P3,
  P4,
  certificatePolicies,
  generatePath,
  type CaSpec,
  type GeneratedPath,
  type PolicySpec,
} from './rfc5280Pki.js';
import { NOW, issueTestCertificate as issue, issueTestCrl } from './testCertificates.js';

function validatePath(path: GeneratedPath, overrides: Partial<ValidationInput> = {}): ValidationResult {
  return validateCertificatePath({
    leaf: path.leaf.cert.der,
    intermediates: path.cas.map((certificate) => certificate.cert.der),
    trustStore: createTrustStore([path.anchor.cert.der]),
    time: NOW,
    ...overrides,
  });
}

interface PolicyCase {
  readonly label: string;
  readonly cas: readonly CaSpec[];
  readonly leaf: PolicySpec;
  readonly anchor?: PolicySpec;
  readonly input?: Partial<ValidationInput>;
  readonly expected: { readonly ok: boolean; readonly reason: CertificateReason };
  /** Expected output sets, when valid. */
  readonly userConstrained?: readonly string[];
  readonly authoritiesConstrained?: readonly string[];
  /** Trace label of the certificate the failure is reported on. */
  readonly failsAt?: string;
}

const VALID = { ok: true, reason: 'certificate-valid' } as const;
const POLICY_INVALID = { ok: false, reason: 'certificate-policy-invalid' } as const;
const EXPLICIT = { explicitPolicy: true } as const;

const cases: PolicyCase[] = [
  {
    label:
      "§6.1.2 (a) defaults (user-initial-policy-set = any-policy, every initial flag false): the leaf's policy, asserted by every CA, is the output",
    cas: [{ name: 'CN=CA 1', policies: [P1, P2] }],
    leaf: { policies: [P1] },
    expected: VALID,
    userConstrained: [P1],
    authoritiesConstrained: [P1],
  },
  {
    label:
      '§6.1.3 (e) "If the certificate policies extension is not present, set the valid_policy_tree to NULL": valid by default, with no policy',
    cas: [{ name: 'CN=CA 1' }],
    leaf: { policies: [P1] },
    expected: VALID,
    userConstrained: [],
    authoritiesConstrained: [],
  },
  {
    label: '§6.1.3 (f) with initial-explicit-policy: a CA without certificate policies makes the path invalid',
    cas: [{ name: 'CN=CA 1' }],
    leaf: { policies: [P1] },
    input: EXPLICIT,
    expected: POLICY_INVALID,
    failsAt: 'intermediate[1]',
  },
  {
    label:
      '§6.1.3 (d)(1) a leaf policy no CA asserts leaves the tree NULL; §6.1.5 (g) with initial-explicit-policy refuses it',
    cas: [{ name: 'CN=CA 1', policies: [P1] }],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: POLICY_INVALID,
    failsAt: 'leaf',
  },
  {
    label:
      '§6.1.5 (g)(iii) user-initial-policy-set {P2} and a path valid only for P1: valid without initial-explicit-policy, with an empty user-constrained set',
    cas: [{ name: 'CN=CA 1', policies: [P1] }],
    leaf: { policies: [P1] },
    input: { initialPolicySet: [P2] },
    expected: VALID,
    userConstrained: [],
    authoritiesConstrained: [P1],
  },
  {
    label: '§6.1.5 (g)(iii) user-initial-policy-set {P2} with initial-explicit-policy: invalid',
    cas: [{ name: 'CN=CA 1', policies: [P1] }],
    leaf: { policies: [P1] },
    input: { initialPolicySet: [P2], explicitPolicy: true },
    expected: POLICY_INVALID,
    failsAt: 'leaf',
  },
  {
    label: '§6.1.5 (g)(iii) the user-constrained set is the intersection with user-initial-policy-set',
    cas: [{ name: 'CN=CA 1', policies: [P1, P2, P3] }],
    leaf: { policies: [P1, P2] },
    input: { initialPolicySet: [P2, P3], explicitPolicy: true },
    expected: VALID,
    userConstrained: [P2],
    authoritiesConstrained: [P1, P2],
  },
  {
    label:
      "§6.1.4 (b)(1) policy mapping: P1 in the CA's domain maps to P2 in the leaf's; the output is in the trust anchor's domain (P1)",
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    input: { initialPolicySet: [P1], explicitPolicy: true },
    expected: VALID,
    userConstrained: [P1],
    authoritiesConstrained: [P1],
  },
  {
    label:
      '§6.1.4 (b)(1) a mapped-away policy is not asserted in the subject domain: user-initial-policy-set {P2} is not satisfied',
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    input: { initialPolicySet: [P2], explicitPolicy: true },
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (b)(1) one issuer policy mapped to two subject policies: either satisfies it',
    cas: [
      {
        name: 'CN=CA 1',
        policies: [P1],
        mappings: [
          [P1, P2],
          [P1, P3],
        ],
      },
    ],
    leaf: { policies: [P3] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label:
      '§6.1.4 (b)(1) "...but there is a node of depth i with a valid_policy of anyPolicy": mapping under anyPolicy',
    cas: [{ name: 'CN=CA 1', policies: [ANY_POLICY], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label:
      '§6.1.4 (a) "verify that the special value anyPolicy does not appear as an issuerDomainPolicy": mapping from anyPolicy is invalid',
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[ANY_POLICY, P2]] }],
    leaf: { policies: [P2] },
    expected: POLICY_INVALID,
    failsAt: 'intermediate[1]',
  },
  {
    label: '§6.1.4 (a) "...or a subjectDomainPolicy": mapping to anyPolicy is invalid',
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, ANY_POLICY]] }],
    leaf: { policies: [P1] },
    expected: POLICY_INVALID,
    failsAt: 'intermediate[1]',
  },
  {
    label: '§6.1.4 (a) applies even when mapping is inhibited',
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, ANY_POLICY]] }],
    leaf: { policies: [P1] },
    input: { policyMappingInhibit: true },
    expected: POLICY_INVALID,
  },
  {
    label:
      '§6.1.4 (b)(2) initial-policy-mapping-inhibit: "delete each node of depth i ... where ID-P is the valid_policy"',
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    input: { policyMappingInhibit: true, explicitPolicy: true },
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (b)(2) with mapping inhibited, the policies that are not mapped survive',
    cas: [{ name: 'CN=CA 1', policies: [P1, P3], mappings: [[P1, P2]] }],
    leaf: { policies: [P2, P3] },
    input: { policyMappingInhibit: true, explicitPolicy: true },
    expected: VALID,
    userConstrained: [P3],
  },
  {
    label: "§6.1.4 (i) inhibitPolicyMapping 0 takes effect after the CA's own mappings (§6.1.4 (b) runs first)",
    cas: [{ name: 'CN=CA 1', policies: [P1], mappings: [[P1, P2]], inhibitPolicyMapping: 0 }],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.4 (i) inhibitPolicyMapping 0 stops the mappings of the next CA',
    cas: [
      { name: 'CN=CA 1', policies: [P1], inhibitPolicyMapping: 0 },
      { name: 'CN=CA 2', policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (i) inhibitPolicyMapping 1 allows one more CA to map',
    cas: [
      { name: 'CN=CA 1', policies: [P1], inhibitPolicyMapping: 1 },
      { name: 'CN=CA 2', policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.4 (i) inhibitPolicyMapping 1 does not reach two CAs down',
    cas: [
      { name: 'CN=CA 1', policies: [P1], inhibitPolicyMapping: 1 },
      { name: 'CN=CA 2', policies: [P1] },
      { name: 'CN=CA 3', policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    input: EXPLICIT,
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.3 (d)(2) anyPolicy in an intermediate passes on whatever the leaf asserts',
    cas: [{ name: 'CN=CA 1', policies: [ANY_POLICY] }],
    leaf: { policies: [P4] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P4],
    authoritiesConstrained: [P4],
  },
  {
    label: '§6.1.2 (e) initial-any-policy-inhibit: anyPolicy in the intermediate is ignored',
    cas: [{ name: 'CN=CA 1', policies: [ANY_POLICY] }],
    leaf: { policies: [P4] },
    input: { anyPolicyInhibit: true, explicitPolicy: true },
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (j) inhibitAnyPolicy 0: anyPolicy in the next CA is ignored',
    cas: [
      { name: 'CN=CA 1', policies: [ANY_POLICY], inhibitAnyPolicy: 0 },
      { name: 'CN=CA 2', policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: EXPLICIT,
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (j) inhibitAnyPolicy 1: anyPolicy in the next CA still counts',
    cas: [
      { name: 'CN=CA 1', policies: [ANY_POLICY], inhibitAnyPolicy: 1 },
      { name: 'CN=CA 2', policies: [ANY_POLICY] },
    ],
    leaf: { policies: [P1] },
    input: EXPLICIT,
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label: '§6.1.5 (g) anyPolicy all the way down: the constrained sets are {anyPolicy}',
    cas: [{ name: 'CN=CA 1', policies: [ANY_POLICY] }],
    leaf: { policies: [ANY_POLICY] },
    expected: VALID,
    userConstrained: [ANY_POLICY],
    authoritiesConstrained: [ANY_POLICY],
  },
  {
    label: '§6.1.5 (g)(iii)(3) anyPolicy all the way down satisfies a user-initial-policy-set {P2}',
    cas: [{ name: 'CN=CA 1', policies: [ANY_POLICY] }],
    leaf: { policies: [ANY_POLICY] },
    input: { initialPolicySet: [P2], explicitPolicy: true },
    expected: VALID,
    userConstrained: [P2],
  },
  {
    label:
      '§6.1.4 (i) requireExplicitPolicy 0 in a CA: a leaf policy the CA does not assert is refused without any relying-party input',
    cas: [{ name: 'CN=CA 1', policies: [P1], requireExplicitPolicy: 0 }],
    leaf: { policies: [P2] },
    expected: POLICY_INVALID,
  },
  {
    label: '§6.1.4 (i) requireExplicitPolicy 0 in a CA: the asserted policy passes',
    cas: [{ name: 'CN=CA 1', policies: [P1], requireExplicitPolicy: 0 }],
    leaf: { policies: [P1] },
    expected: VALID,
    userConstrained: [P1],
  },
  {
    label:
      '§6.1.4 (i) requireExplicitPolicy 3 in the first of two CAs: CA 2 and the leaf (§6.1.5 (a)) leave explicit_policy at 1, the leaf need not assert a policy',
    cas: [
      { name: 'CN=CA 1', policies: [P1], requireExplicitPolicy: 3 },
      { name: 'CN=CA 2', policies: [P1] },
    ],
    leaf: {},
    expected: VALID,
    userConstrained: [],
  },
  {
    label:
      '§6.1.4 (i) requireExplicitPolicy 2 in the first of two CAs: CA 2 and the leaf (§6.1.5 (a)) use it up, a policy-less leaf is refused',
    cas: [
      { name: 'CN=CA 1', policies: [P1], requireExplicitPolicy: 2 },
      { name: 'CN=CA 2', policies: [P1] },
    ],
    leaf: {},
    expected: POLICY_INVALID,
    failsAt: 'leaf',
  },
  {
    label: '§6.1.5 (b) requireExplicitPolicy 0 in the leaf itself',
    cas: [{ name: 'CN=CA 1' }],
    leaf: { requireExplicitPolicy: 0 },
    expected: POLICY_INVALID,
    failsAt: 'leaf',
  },
  {
    label:
      "the trust anchor's own policy extensions are not processed (RFC 5280 §6.1.1 (d): the anchor supplies name and key)",
    anchor: { policies: [P3], requireExplicitPolicy: 0 },
    cas: [{ name: 'CN=CA 1', policies: [P1] }],
    leaf: { policies: [P1] },
    expected: VALID,
    userConstrained: [P1],
  },
];

describe('certificate policies (RFC 5280 §6.1.2-6.1.5)', () => {
  it.each(cases)(
    '$label',
    async ({ cas, leaf, anchor, input, expected, userConstrained, authoritiesConstrained, failsAt }) => {
      const path = await generatePath(cas, leaf, anchor);
      const result = validatePath(path, input);
      expect({ ok: result.ok, reason: result.reason }).toEqual(expected);
      const fail = result.trace.find((entry) => entry.outcome === 'fail');
      if (expected.ok) {
        expect(fail).toBeUndefined();
        if (userConstrained !== undefined)
          expect([...(result.userConstrainedPolicySet ?? [])].sort()).toEqual([...userConstrained].sort());
        if (authoritiesConstrained !== undefined)
          expect([...(result.authoritiesConstrainedPolicySet ?? [])].sort()).toEqual(
            [...authoritiesConstrained].sort(),
          );
        // The leaf summary carries the validated set for access policies on certificate policies.
        expect(result.leaf?.validatedPolicyOids).toEqual(result.userConstrainedPolicySet);
      } else {
        expect(fail).toMatchObject({ check: 'policies', reason: expected.reason });
        expect(fail?.rule).toMatch(/^RFC 5280 §6\.1\.[345]/u);
        if (failsAt !== undefined) expect(fail?.certificate).toBe(failsAt);
        expect(result.userConstrainedPolicySet).toBeUndefined();
        expect(result.leaf?.validatedPolicyOids).toBeUndefined();
      }
    },
  );

  it('§4.2.1.4 policy qualifiers are ignored: qualifiers and a critical certificatePolicies extension do not change the result', async () => {
    const root = await issue({ subject: 'CN=qualifier root', ca: {} });
    const ca = await issue({
      subject: 'CN=qualifier CA',
      issuer: root.credentials,
      ca: {},
      extraExtensions: [certificatePolicies([P1], { qualifiers: true, critical: true })],
    });
    const leaf = await issue({
      subject: 'CN=qualifier leaf',
      issuer: ca.credentials,
      extKeyUsage: ['clientAuth'],
      extraExtensions: [certificatePolicies([P1, P2], { qualifiers: true })],
    });
    const result = validatePath({ anchor: root, cas: [ca], leaf }, EXPLICIT);
    expect(result.reason).toBe('certificate-valid');
    expect(result.userConstrainedPolicySet).toEqual([P1]);
  });

  it('the policy graph stays small when every CA maps every policy to every other (RFC 9618: no exponential tree)', async () => {
    const policies = Array.from({ length: 12 }, (_, index) => `2.999.7.${index}`);
    const mappings = policies.flatMap((from) => policies.map((to) => [from, to] as const));
    const cas: CaSpec[] = Array.from({ length: 6 }, (_, index) => ({
      name: `CN=mapping CA ${index}`,
      policies,
      mappings,
    }));
    const path = await generatePath(cas, { policies: [policies[0]!] });
    // A blown-up tree (12^6 nodes at the leaf) would not finish within the test timeout.
    const result = validatePath(path, { ...EXPLICIT, maxChainDepth: 8 });
    expect(result.reason).toBe('certificate-valid');
    expect([...(result.userConstrainedPolicySet ?? [])].sort()).toEqual([...policies].sort());
  });

  it("§6.3.3 (f): the path of a separate CRL signer is validated without the relying party's policy inputs (a CRL signer asserts no certificate policy)", async () => {
    const path = await generatePath([{ name: 'CN=CA with a CRL key', policies: [P1] }], { policies: [P1] });
    const ca = path.cas[0]!;
    const crlSigner = await issue({
      subject: 'CN=CA with a CRL key',
      issuer: path.anchor.credentials,
      ca: {},
      keyUsage: ['cRLSign'],
    });
    const leafCrl = await issueTestCrl(crlSigner.credentials, ['0badbeef']);
    const rootCrl = await issueTestCrl(path.anchor.credentials, ['0badbeef']);
    const result = validateCertificatePath({
      leaf: path.leaf.cert.der,
      intermediates: [ca.cert.der, crlSigner.cert.der],
      trustStore: createTrustStore([path.anchor.cert.der]),
      time: NOW,
      crls: [leafCrl, rootCrl],
      revocation: 'required',
      initialPolicySet: [P1],
      explicitPolicy: true,
    });
    expect(result.reason).toBe('certificate-valid');
    expect(result.userConstrainedPolicySet).toEqual([P1]);
  });

  it('rejects malformed relying-party policy inputs as a caller error', async () => {
    const path = await generatePath([{ name: 'CN=CA 1', policies: [P1] }], { policies: [P1] });
    for (const bad of [
      { initialPolicySet: [] },
      { initialPolicySet: ['not an oid'] },
      { explicitPolicy: 'yes' as unknown as boolean },
    ]) {
      expect(validatePath(path, bad).reason).toBe('certificate-validation-input-invalid');
    }
  });
});
