/**
 * The decision rules across policies: priority order, block wins, report-only and disabled
 * policies, fail closed / fail open on unknown data, the default action, monitor and alerts,
 * and compiling an invalid configuration.
 */
import { describe, expect, it } from 'vitest';
import {
  compilePolicyConfiguration,
  evaluateAccess,
  PolicyConfigurationError,
} from '../../shared/policy/evaluateAccess.js';
import type { AccessPolicy, PolicyConfigurationInput, PolicySettings } from '../../shared/policy/model.js';
import { accessRequest, type RequestOverrides } from './accessRequests.js';

const GROUP = '11111111-2222-4333-8444-555555555555';

/** A policy that always applies (everyone), never applies (nobody), or is unknown when groups are. */
function policy(
  id: string,
  action: AccessPolicy['action'],
  when: 'always' | 'never' | 'group',
  extra: Partial<AccessPolicy> = {},
): AccessPolicy {
  const conditions: AccessPolicy['conditions'] =
    when === 'always'
      ? {}
      : when === 'never'
        ? { users: { include: { users: ['nobody@contoso.example'] } } }
        : { users: { include: { groups: [GROUP] } } };
  return { id, name: id, state: 'enabled', priority: 100, conditions, action, ...extra };
}

function configuration(policies: AccessPolicy[], settings: Partial<PolicySettings> = {}): PolicyConfigurationInput {
  return {
    schemaVersion: 1,
    locations: [],
    settings: { baseline: 'allow', failMode: 'closed', ...settings },
    policies,
  };
}

interface Case {
  readonly label: string;
  readonly policies: AccessPolicy[];
  readonly settings?: Partial<PolicySettings>;
  readonly request?: RequestOverrides;
  readonly expected: { readonly effect: 'allow' | 'block'; readonly reason: string; readonly decidedBy?: string };
}

const UNKNOWN_GROUPS: RequestOverrides = { groupsUnknown: true };

const cases: Case[] = [
  { label: 'no policies, default allow', policies: [], expected: { effect: 'allow', reason: 'baseline-allow' } },
  {
    label: 'no policies, default block',
    policies: [],
    settings: { baseline: 'block' },
    expected: { effect: 'block', reason: 'baseline-block' },
  },
  {
    label: 'nothing applies, default block',
    policies: [policy('p', 'allow', 'never')],
    settings: { baseline: 'block' },
    expected: { effect: 'block', reason: 'baseline-block' },
  },
  {
    label: 'allow applies over default block',
    policies: [policy('p', 'allow', 'always')],
    settings: { baseline: 'block' },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'p' },
  },
  {
    label: 'block wins over an earlier allow',
    policies: [policy('a', 'allow', 'always', { priority: 1 }), policy('b', 'block', 'always', { priority: 2 })],
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'b' },
  },
  {
    label: 'block wins over an earlier monitor',
    policies: [policy('m', 'monitor', 'always', { priority: 1 }), policy('b', 'block', 'always', { priority: 9 })],
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'b' },
  },
  {
    label: 'first block by priority decides, not document order',
    policies: [
      policy('late', 'block', 'always', { priority: 20 }),
      policy('early', 'block', 'always', { priority: 5 }),
    ],
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'early' },
  },
  {
    label: 'equal priorities keep document order',
    policies: [
      policy('first', 'block', 'always', { priority: 5 }),
      policy('second', 'block', 'always', { priority: 5 }),
    ],
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'first' },
  },
  {
    label: 'first allow/monitor by priority names the reason',
    policies: [policy('a', 'allow', 'always', { priority: 2 }), policy('m', 'monitor', 'always', { priority: 1 })],
    expected: { effect: 'allow', reason: 'policy-monitor', decidedBy: 'm' },
  },
  {
    label: 'report-only block never blocks',
    policies: [policy('r', 'block', 'always', { state: 'report-only' })],
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'report-only allow never allows',
    policies: [policy('r', 'allow', 'always', { state: 'report-only' })],
    settings: { baseline: 'block' },
    expected: { effect: 'block', reason: 'baseline-block' },
  },
  {
    label: 'disabled block never blocks',
    policies: [policy('d', 'block', 'always', { state: 'disabled' })],
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'unknown block, fail closed',
    policies: [policy('u', 'block', 'group')],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'block', reason: 'policy-unknown-fail-closed', decidedBy: 'u' },
  },
  {
    label: 'unknown block, fail open',
    policies: [policy('u', 'block', 'group')],
    settings: { failMode: 'open' },
    request: UNKNOWN_GROUPS,
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'unknown block, fail open, default block',
    policies: [policy('u', 'block', 'group')],
    settings: { failMode: 'open', baseline: 'block' },
    request: UNKNOWN_GROUPS,
    expected: { effect: 'block', reason: 'baseline-block' },
  },
  {
    label: 'unknown block, known groups: does not apply',
    policies: [policy('u', 'block', 'group')],
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'unknown report-only block does not fail closed',
    policies: [policy('u', 'block', 'group', { state: 'report-only' })],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'unknown allow does not apply',
    policies: [policy('u', 'allow', 'group')],
    settings: { baseline: 'block' },
    request: UNKNOWN_GROUPS,
    expected: { effect: 'block', reason: 'baseline-block' },
  },
  {
    label: 'unknown monitor does not apply',
    policies: [policy('u', 'monitor', 'group')],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
  {
    label: 'a certain block is named before an earlier unknown one',
    policies: [policy('u', 'block', 'group', { priority: 1 }), policy('b', 'block', 'always', { priority: 2 })],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'b' },
  },
  {
    label: 'fail closed beats an allow',
    policies: [policy('a', 'allow', 'always', { priority: 1 }), policy('u', 'block', 'group', { priority: 2 })],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'block', reason: 'policy-unknown-fail-closed', decidedBy: 'u' },
  },
  {
    label: 'no-match beats unknown in the same policy',
    policies: [
      {
        ...policy('u', 'block', 'group'),
        conditions: { users: { include: { groups: [GROUP] } }, clientApps: ['mobile-desktop'] },
      },
    ],
    request: UNKNOWN_GROUPS,
    expected: { effect: 'allow', reason: 'baseline-allow' },
  },
];

describe('decision rules', () => {
  it.each(cases)('$label', ({ policies, settings, request, expected }) => {
    const decision = evaluateAccess(
      accessRequest(request),
      compilePolicyConfiguration(configuration(policies, settings)),
    );
    expect({ effect: decision.effect, reason: decision.reason, decidedBy: decision.decidedBy }).toEqual({
      effect: expected.effect,
      reason: expected.reason,
      decidedBy: expected.decidedBy,
    });
    expect(decision.policies.map((trace) => trace.id)).toHaveLength(policies.length);
  });

  it('traces every policy in priority order, with enforced and outcome', () => {
    const decision = evaluateAccess(
      accessRequest(UNKNOWN_GROUPS),
      compilePolicyConfiguration(
        configuration(
          [
            policy('d', 'block', 'always', { state: 'disabled', priority: 4 }),
            policy('r', 'block', 'always', { state: 'report-only', priority: 3 }),
            policy('u', 'block', 'group', { priority: 2 }),
            policy('n', 'allow', 'never', { priority: 1 }),
          ],
          { failMode: 'open' },
        ),
      ),
    );
    expect(decision.policies.map(({ id, enforced, outcome }) => ({ id, enforced, outcome }))).toEqual([
      { id: 'n', enforced: true, outcome: 'does-not-apply' },
      { id: 'u', enforced: true, outcome: 'unknown' },
      { id: 'r', enforced: false, outcome: 'applies' },
      { id: 'd', enforced: false, outcome: 'disabled' },
    ]);
    expect(decision.policies[3]!.conditions).toEqual([]);
    expect(decision.policies[1]!.conditions).toEqual([
      { condition: 'users', result: 'unknown', detail: expect.any(String) },
    ]);
  });

  it('alerts: enforced policies that apply or fail closed, never report-only; block message of the decider', () => {
    const decision = evaluateAccess(
      accessRequest(UNKNOWN_GROUPS),
      compilePolicyConfiguration(
        configuration([
          policy('m', 'monitor', 'always', { priority: 1, alert: { severity: 'low' } }),
          policy('r', 'block', 'always', { state: 'report-only', priority: 2, alert: { severity: 'high' } }),
          policy('u', 'block', 'group', {
            priority: 3,
            alert: { severity: 'medium' },
            blockMessage: 'Directory unavailable.',
          }),
          policy('n', 'block', 'never', { priority: 4, alert: { severity: 'high' } }),
        ]),
      ),
    );
    expect(decision).toMatchObject({
      effect: 'block',
      reason: 'policy-unknown-fail-closed',
      decidedBy: 'u',
      blockMessage: 'Directory unavailable.',
    });
    expect(decision.alerts).toEqual([
      { policyId: 'm', severity: 'low' },
      { policyId: 'u', severity: 'medium' },
    ]);
  });

  it('a monitor decision carries its alert and no block message', () => {
    const decision = evaluateAccess(
      accessRequest(),
      compilePolicyConfiguration(configuration([policy('m', 'monitor', 'always', { alert: { severity: 'low' } })])),
    );
    expect(decision).toEqual({
      effect: 'allow',
      reason: 'policy-monitor',
      decidedBy: 'm',
      alerts: [{ policyId: 'm', severity: 'low' }],
      policies: expect.any(Array),
    });
  });

  it('compiling an invalid configuration throws with the issues', () => {
    const broken = configuration([
      policy('p', 'block', 'always', { conditions: { locations: { include: ['nowhere'] } } }),
    ]);
    expect(() => compilePolicyConfiguration(broken)).toThrow(PolicyConfigurationError);
    try {
      compilePolicyConfiguration(broken);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyConfigurationError);
      expect((error as PolicyConfigurationError).code).toBe('policy-configuration-invalid');
      expect((error as PolicyConfigurationError).issues).toEqual([
        { path: 'policies[0].conditions.locations.include[0]', code: 'unknown-location', message: expect.any(String) },
      ]);
    }
  });
});
