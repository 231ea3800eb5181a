/**
 * Properties over random requests against the demo configuration and random single-policy
 * configurations: evaluation never throws, the reason is always in the closed union, the effect
 * agrees with the reason, and every policy appears in the trace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicyConfiguration, evaluateAccess, type AccessRequest } from '../../shared/policy/evaluateAccess.js';
import { DEVICE_TAGS, type AccessPolicy } from '../../shared/policy/model.js';
import { POLICY_REASON_CODES } from '../../shared/policy/policyReasons.js';
import { DEMO_POLICY_CONFIGURATION, FINANCE_GROUP_ID, VENDORS_GROUP_ID } from '../../dev/demoPolicies.js';

const tag = fc.constantFrom(...DEVICE_TAGS);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '/', '/admin', '%', '%zz', '..', 'curl/8', 'Mozilla/5.0 Chrome/1'),
);
const ip = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom('10.20.1.1', 'fd00:20::1', '[::ffff:10.20.0.1]:443', 'garbage'),
  fc.string(),
);

const request: fc.Arbitrary<AccessRequest> = fc.record(
  {
    app: fc.record(
      {
        id: fc.oneof(text, fc.constantFrom('contoso-portal', 'vendor-admin')),
        host: fc.oneof(text, fc.constant('portal.contoso.example')),
        path: text,
      },
      { requiredKeys: [] },
    ),
    userAgent: text,
    clientIp: ip,
    user: fc.record(
      {
        id: text,
        upn: text,
        groups: fc
          .uniqueArray(fc.oneof(fc.uuid(), fc.constantFrom(VENDORS_GROUP_ID, FINANCE_GROUP_ID)))
          .map((groups) => new Set(groups)),
        groupsUnknown: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    deviceTags: fc.uniqueArray(tag).map((tags) => new Set(tags)),
    unknownDeviceTags: fc.uniqueArray(tag).map((tags) => new Set(tags)),
    certificate: fc.record({
      issuerThumbprints: fc.array(fc.oneof(text, fc.stringMatching(/^[0-9a-f]{64}$/))),
      policyOids: fc.array(text),
      subject: text,
      subjectAltNames: fc.array(text),
    }),
  },
  { requiredKeys: ['app', 'deviceTags'] },
);

const demo = compilePolicyConfiguration(DEMO_POLICY_CONFIGURATION);

describe('evaluateAccess properties', () => {
  it('demo configuration: never throws, reason in the union, effect agrees, every policy traced', () => {
    fc.assert(
      fc.property(request, (input) => {
        const decision = evaluateAccess(input, demo);
        expect(POLICY_REASON_CODES).toContain(decision.reason);
        expect(decision.effect).toBe(
          ['policy-allow', 'policy-monitor', 'baseline-allow', 'baseline-certificate-valid'].includes(decision.reason)
            ? 'allow'
            : 'block',
        );
        expect(decision.policies).toHaveLength(DEMO_POLICY_CONFIGURATION.policies.length);
        expect(decision.decidedBy === undefined).toBe(decision.reason.startsWith('baseline-'));
      }),
      { numRuns: 2000 },
    );
  });

  it('report-only copies of the demo policies never change the effect', () => {
    const reportOnly = compilePolicyConfiguration({
      ...DEMO_POLICY_CONFIGURATION,
      policies: DEMO_POLICY_CONFIGURATION.policies.map((policy): AccessPolicy => ({ ...policy, state: 'report-only' })),
    });
    fc.assert(
      fc.property(request, (input) => {
        const valid = input.deviceTags.has('valid-client-certificate');
        expect(evaluateAccess(input, reportOnly)).toMatchObject({
          effect: valid ? 'allow' : 'block',
          reason: valid ? 'baseline-certificate-valid' : 'baseline-certificate-required',
          alerts: [],
        });
      }),
      { numRuns: 500 },
    );
  });

  it('fail open never blocks where fail closed allows', () => {
    const open = compilePolicyConfiguration({
      ...DEMO_POLICY_CONFIGURATION,
      settings: { ...DEMO_POLICY_CONFIGURATION.settings, failMode: 'open' },
    });
    fc.assert(
      fc.property(request, (input) => {
        const closedDecision = evaluateAccess(input, demo);
        const openDecision = evaluateAccess(input, open);
        if (closedDecision.effect === 'allow') expect(openDecision.effect).toBe('allow');
        expect(openDecision.reason).not.toBe('policy-unknown-fail-closed');
      }),
      { numRuns: 1000 },
    );
  });
});
