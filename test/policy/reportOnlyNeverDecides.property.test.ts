/**
 * The promise behind report-only (review finding 1 of step 6): for any configuration and any
 * request, adding, removing or editing report-only and disabled policies changes no decision's
 * effect — neither the policies' verdict nor the final decision put on top of the certificate
 * decision. Configurations are generated (apps, conditions, actions, states, baselines, fail
 * modes); requests and certificate outcomes too. Written to fail on the code where any policy
 * other than a disabled one switched the certificate rule off (default-allow).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicyConfiguration, evaluateAccess, type AccessRequest } from '../../shared/policy/evaluateAccess.js';
import { applyPolicyDecision, type Decision } from '../../shared/policy/certificateDecision.js';
import { BASELINES, type AccessPolicy, type PolicyConfigurationInput } from '../../shared/policy/model.js';

const GROUP = '11111111-2222-4333-8444-555555555555';
const APPS = [
  { id: 'portal', name: 'Portal', hosts: [{ host: 'portal.contoso.example' }] },
  { id: 'payroll', name: 'Payroll', hosts: [{ host: 'payroll.contoso.example' }] },
];

const conditions: fc.Arbitrary<AccessPolicy['conditions']> = fc.record(
  {
    apps: fc.constantFrom(
      { include: 'all' as const },
      { include: [{ appId: 'portal' }] },
      { include: [{ appId: 'payroll' }] },
    ),
    deviceTags: fc.constantFrom(
      { equals: ['valid-client-certificate' as const] },
      { notEquals: ['valid-client-certificate' as const] },
      { equals: ['compliant' as const] },
    ),
    users: fc.constantFrom({ include: { all: true as const } }, { include: { groups: [GROUP] } }),
    locations: fc.constantFrom({ include: ['tag:corporate'] }, { include: ['any'], exclude: ['tag:corporate'] }),
  },
  { requiredKeys: [] },
);

function policyArbitrary(states: readonly AccessPolicy['state'][]): fc.Arbitrary<AccessPolicy> {
  return fc.record({
    id: fc.stringMatching(/^[a-z]{1,8}$/),
    name: fc.constant('generated'),
    state: fc.constantFrom(...states),
    priority: fc.integer({ min: 0, max: 20 }),
    conditions,
    action: fc.constantFrom('allow' as const, 'block' as const, 'monitor' as const),
  });
}

const settings = fc.record({
  baseline: fc.constantFrom(...BASELINES),
  failMode: fc.constantFrom('closed' as const, 'open' as const),
});

const request: fc.Arbitrary<AccessRequest> = fc.record({
  app: fc.constantFrom({ id: 'portal' }, { id: 'payroll' }, {}),
  clientIp: fc.constantFrom('10.20.1.1', '203.0.113.5'),
  user: fc.constantFrom(
    { id: 'u1', groups: new Set([GROUP]) },
    { id: 'u2', groups: new Set<string>() },
    { id: 'u3', groupsUnknown: true },
  ),
  deviceTags: fc.subarray(['valid-client-certificate', 'compliant'] as const).map((tags) => new Set(tags)),
});

/** The certificate decision that goes with the request's tags (valid → allow, else a block naming why). */
function certificateDecisionFor(input: AccessRequest): Decision {
  const valid = input.deviceTags.has('valid-client-certificate');
  return valid
    ? {
        effect: 'allow',
        reasons: ['client-certificate-valid', 'certificate-valid'],
        deviceTags: ['valid-client-certificate'],
        correlationId: 'c',
        decidedAt: 'now',
        trace: [],
      }
    : {
        effect: 'block',
        reasons: ['client-certificate-invalid', 'certificate-revoked'],
        failedCheck: 'revocation',
        deviceTags: [],
        correlationId: 'c',
        decidedAt: 'now',
        trace: [],
      };
}

function uniqueIds(policies: readonly AccessPolicy[], prefix: string): AccessPolicy[] {
  return policies.map((policy, index) => ({ ...policy, id: `${prefix}-${index}-${policy.id}` }));
}

function decide(
  configuration: PolicyConfigurationInput,
  input: AccessRequest,
): Pick<Decision, 'effect'> & { verdict: string } {
  const verdict = evaluateAccess(input, compilePolicyConfiguration(configuration));
  return { effect: applyPolicyDecision(certificateDecisionFor(input), verdict).effect, verdict: verdict.effect };
}

describe('report-only and disabled policies never change an effect', () => {
  it('adding, removing or editing them changes neither the verdict nor the decision', () => {
    fc.assert(
      fc.property(
        fc.array(policyArbitrary(['enabled']), { maxLength: 4 }),
        fc.array(policyArbitrary(['report-only', 'disabled']), { maxLength: 4 }),
        fc.array(policyArbitrary(['report-only', 'disabled']), { maxLength: 4 }),
        settings,
        request,
        (enforced, dormant, editedDormant, chosen, input) => {
          const base = {
            schemaVersion: 1 as const,
            apps: APPS,
            locations: [{ id: 'office', name: 'Office', ranges: ['10.20.0.0/16'], tags: ['corporate'] }],
            settings: chosen,
          };
          const enforcedOnly = decide({ ...base, policies: uniqueIds(enforced, 'e') }, input);
          const withDormant = decide(
            { ...base, policies: [...uniqueIds(enforced, 'e'), ...uniqueIds(dormant, 'd')] },
            input,
          );
          const edited = decide(
            { ...base, policies: [...uniqueIds(enforced, 'e'), ...uniqueIds(editedDormant, 'd')] },
            input,
          );
          expect(withDormant).toEqual(enforcedOnly);
          expect(edited).toEqual(enforcedOnly);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('with no enforced policy the baseline decides, and require-valid-certificate is exactly the certificate rule', () => {
    fc.assert(
      fc.property(
        fc.array(policyArbitrary(['report-only', 'disabled']), { maxLength: 5 }),
        request,
        (dormant, input) => {
          const decision = decide(
            {
              schemaVersion: 1,
              apps: APPS,
              locations: [{ id: 'office', name: 'Office', ranges: ['10.20.0.0/16'], tags: ['corporate'] }],
              policies: uniqueIds(dormant, 'd'),
            },
            input,
          );
          expect(decision.effect).toBe(certificateDecisionFor(input).effect);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
