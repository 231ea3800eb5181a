/**
 * The Conditional Access posture rules (docs/posture.md), table by table: which certgate app
 * conditions name protected apps, what one CA policy covers and whether it routes sessions, each
 * app's coverage and gap, the summary, and the reports made without CA policies.
 */
import { describe, expect, it } from 'vitest';
import {
  analyseConditionalAccessPosture,
  unassessedPostureReport,
  type AppCoverage,
  type CaUserScope,
  type PostureGapCode,
  type PostureReport,
} from '../../shared/policy/conditionalAccessPosture.js';
import { validatePolicyConfiguration, type AccessPolicy, type PolicyConfiguration } from '../../shared/policy/model.js';
import type { ConditionalAccessPolicy } from '../../shared/ports.js';

const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER_APP = 'bbbbbbbb-0000-4000-8000-000000000002';
const THIRD_APP = 'cccccccc-0000-4000-8000-000000000003';
const GROUP = '11111111-2222-4333-8444-555555555555';
const USER = '22222222-2222-4333-8444-555555555555';
const generatedAt = new Date('2026-11-22T12:07:00Z');

function certgatePolicy(
  id: string,
  apps: AccessPolicy['conditions']['apps'],
  state: AccessPolicy['state'] = 'enabled',
): unknown {
  return { id, name: id, state, priority: 10, conditions: apps === undefined ? {} : { apps }, action: 'block' };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The policies, with an app registered for every app id they name (an Entra app id when the id is a GUID). */
function configuration(...policies: unknown[]): PolicyConfiguration {
  const named = new Set(
    (policies as AccessPolicy[]).flatMap((policy) => {
      const apps = policy.conditions.apps;
      return [...(apps?.include === 'all' ? [] : (apps?.include ?? [])), ...(apps?.exclude ?? [])].flatMap((matcher) =>
        matcher.appId ? [matcher.appId.toLowerCase()] : [],
      );
    }),
  );
  const apps = [...named].map((id, index) => ({
    id,
    name: id,
    hosts: [{ host: `app${index}.contoso.example` }],
    ...(GUID.test(id) ? { entraAppId: id } : {}),
  }));
  const validated = validatePolicyConfiguration({ schemaVersion: 1, apps, policies });
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return validated.value;
}

/** The configuration most cases use: one enabled certgate policy protecting APP. */
const protectingApp = configuration(certgatePolicy('protect-app', { include: [{ appId: APP }] }));

type CaOverrides = Partial<Omit<ConditionalAccessPolicy, 'conditions'>> & {
  readonly conditions?: Partial<ConditionalAccessPolicy['conditions']>;
};

/** An enabled CA policy for all users and all cloud apps, routing sessions through App Control. */
function caPolicy(id: string, overrides: CaOverrides = {}): ConditionalAccessPolicy {
  const { conditions, ...rest } = overrides;
  return {
    id,
    displayName: `CA ${id}`,
    state: 'enabled',
    conditions: {
      applications: { includeApplications: ['All'] },
      users: { includeUsers: ['All'] },
      clientAppTypes: ['all'],
      ...conditions,
    },
    grantControls: null,
    sessionControls: { cloudAppSecurity: { isEnabled: true, cloudAppSecurityType: 'mcasConfigured' } },
    ...rest,
  };
}

function analyse(caPolicies: ConditionalAccessPolicy[], config: PolicyConfiguration = protectingApp): PostureReport {
  return analyseConditionalAccessPosture({ caPolicies, configuration: config, generatedAt });
}

describe('protected apps and app conditions that cannot be matched to Entra apps', () => {
  const cases: {
    label: string;
    policies: unknown[];
    protectedApps: { appId: string; policies: { id: string; state: string }[] }[];
    unidentified: { policyId: string; reason: string; host?: string; pathPrefix?: string; appId?: string }[];
  }[] = [
    {
      label: 'an enabled policy naming an Entra app id',
      policies: [certgatePolicy('p', { include: [{ appId: APP }] })],
      protectedApps: [{ appId: APP, policies: [{ id: 'p', state: 'enabled' }] }],
      unidentified: [],
    },
    {
      label: 'a report-only policy counts',
      policies: [certgatePolicy('p', { include: [{ appId: APP }] }, 'report-only')],
      protectedApps: [{ appId: APP, policies: [{ id: 'p', state: 'report-only' }] }],
      unidentified: [],
    },
    {
      label: 'a disabled policy names nothing',
      policies: [certgatePolicy('p', { include: [{ appId: APP }, { host: 'x.contoso.example' }] }, 'disabled')],
      protectedApps: [],
      unidentified: [],
    },
    {
      label: 'app ids compared case-insensitively, reported in lower case',
      policies: [
        certgatePolicy('p', { include: [{ appId: APP.toUpperCase() }] }),
        certgatePolicy('q', { include: [{ appId: APP }] }, 'report-only'),
      ],
      protectedApps: [
        {
          appId: APP,
          policies: [
            { id: 'p', state: 'enabled' },
            { id: 'q', state: 'report-only' },
          ],
        },
      ],
      unidentified: [],
    },
    {
      label: 'an app id with a host is still identifiable',
      policies: [certgatePolicy('p', { include: [{ appId: APP, host: 'portal.contoso.example' }] })],
      protectedApps: [{ appId: APP, policies: [{ id: 'p', state: 'enabled' }] }],
      unidentified: [],
    },
    {
      label: 'an exclude matcher names no protected app',
      policies: [certgatePolicy('p', { include: [{ appId: OTHER_APP }], exclude: [{ appId: APP }] })],
      protectedApps: [{ appId: OTHER_APP, policies: [{ id: 'p', state: 'enabled' }] }],
      unidentified: [],
    },
    {
      label: 'host only',
      policies: [certgatePolicy('p', { include: [{ host: 'portal.contoso.example' }] })],
      protectedApps: [],
      unidentified: [{ policyId: 'p', reason: 'no-app-id', host: 'portal.contoso.example' }],
    },
    {
      label: 'path prefix only',
      policies: [certgatePolicy('p', { include: [{ pathPrefix: '/admin' }] })],
      protectedApps: [],
      unidentified: [{ policyId: 'p', reason: 'no-app-id', pathPrefix: '/admin' }],
    },
    {
      label: 'an app id that is not a GUID',
      policies: [certgatePolicy('p', { include: [{ appId: 'contoso-portal', host: 'portal.contoso.example' }] })],
      protectedApps: [],
      unidentified: [
        { policyId: 'p', reason: 'app-id-not-entra', appId: 'contoso-portal', host: 'portal.contoso.example' },
      ],
    },
    {
      label: 'include all',
      policies: [certgatePolicy('p', { include: 'all' })],
      protectedApps: [],
      unidentified: [{ policyId: 'p', reason: 'all-apps' }],
    },
    {
      label: 'no apps condition',
      policies: [certgatePolicy('p', undefined, 'report-only')],
      protectedApps: [],
      unidentified: [{ policyId: 'p', reason: 'all-apps' }],
    },
    {
      label: 'mixed matchers in one policy',
      policies: [
        certgatePolicy('p', { include: [{ appId: OTHER_APP }, { host: '*.contoso.example' }, { appId: APP }] }),
      ],
      protectedApps: [
        { appId: APP, policies: [{ id: 'p', state: 'enabled' }] },
        { appId: OTHER_APP, policies: [{ id: 'p', state: 'enabled' }] },
      ],
      unidentified: [{ policyId: 'p', reason: 'no-app-id', host: '*.contoso.example' }],
    },
  ];

  it.each(cases)('$label', ({ policies, protectedApps, unidentified }) => {
    const report = analyse([], configuration(...policies));
    expect(report.protectedApps.map((app) => ({ appId: app.appId, policies: app.certgatePolicies }))).toEqual(
      protectedApps,
    );
    expect(report.unidentifiedApps.map(({ policyState: _state, ...rest }) => rest)).toEqual(unidentified);
    expect(report.summary).toMatchObject({
      protectedApps: protectedApps.length,
      unidentifiedApps: unidentified.length,
    });
  });
});

describe('one Conditional Access policy', () => {
  interface Expected {
    readonly state: 'enabled' | 'report-only' | 'disabled';
    readonly coversApps: string[];
    readonly scope: CaUserScope;
    readonly sessionRouting: boolean;
    readonly routesSessions: boolean;
    readonly compliant?: boolean;
    readonly hybrid?: boolean;
  }
  const routed: Expected = {
    state: 'enabled',
    coversApps: [APP],
    scope: 'all-users',
    sessionRouting: true,
    routesSessions: true,
  };
  const cases: { label: string; policy: ConditionalAccessPolicy; expected: Expected }[] = [
    { label: 'All apps, all users, App Control', policy: caPolicy('a'), expected: routed },
    {
      label: 'the app listed',
      policy: caPolicy('a', { conditions: { applications: { includeApplications: [APP] } } }),
      expected: routed,
    },
    {
      label: 'app id and All compared case-insensitively',
      policy: caPolicy('a', {
        conditions: { applications: { includeApplications: ['all'], excludeApplications: [OTHER_APP.toUpperCase()] } },
      }),
      expected: routed,
    },
    {
      label: 'the app listed in upper case',
      policy: caPolicy('a', { conditions: { applications: { includeApplications: [APP.toUpperCase()] } } }),
      expected: routed,
    },
    {
      label: 'another app listed',
      policy: caPolicy('a', { conditions: { applications: { includeApplications: [OTHER_APP] } } }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'All apps but the app excluded',
      policy: caPolicy('a', {
        conditions: { applications: { includeApplications: ['All'], excludeApplications: [APP] } },
      }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'the app both included and excluded',
      policy: caPolicy('a', {
        conditions: { applications: { includeApplications: [APP], excludeApplications: [APP] } },
      }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'None',
      policy: caPolicy('a', { conditions: { applications: { includeApplications: ['None'] } } }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'Office365 does not name custom apps',
      policy: caPolicy('a', { conditions: { applications: { includeApplications: ['Office365'] } } }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'applications null (user actions only)',
      policy: caPolicy('a', { conditions: { applications: null } }),
      expected: { ...routed, coversApps: [] },
    },
    {
      label: 'report-only',
      policy: caPolicy('a', { state: 'enabledForReportingButNotEnforced' }),
      expected: { ...routed, state: 'report-only', routesSessions: false },
    },
    {
      label: 'disabled',
      policy: caPolicy('a', { state: 'disabled' }),
      expected: { ...routed, state: 'disabled', routesSessions: false },
    },
    {
      label: 'no session controls',
      policy: caPolicy('a', { sessionControls: null }),
      expected: { ...routed, sessionRouting: false, routesSessions: false },
    },
    {
      label: 'cloudAppSecurity null',
      policy: caPolicy('a', { sessionControls: { cloudAppSecurity: null } }),
      expected: { ...routed, sessionRouting: false, routesSessions: false },
    },
    {
      label: 'App Control switched off',
      policy: caPolicy('a', {
        sessionControls: { cloudAppSecurity: { isEnabled: false, cloudAppSecurityType: 'monitorOnly' } },
      }),
      expected: { ...routed, sessionRouting: false, routesSessions: false },
    },
    {
      label: 'App Control blockDownloads still routes',
      policy: caPolicy('a', {
        sessionControls: { cloudAppSecurity: { isEnabled: true, cloudAppSecurityType: 'blockDownloads' } },
      }),
      expected: routed,
    },
    {
      label: 'desktop and mobile clients only',
      policy: caPolicy('a', { conditions: { clientAppTypes: ['mobileAppsAndDesktopClients'] } }),
      expected: { ...routed, sessionRouting: false, routesSessions: false },
    },
    {
      label: 'browser client type',
      policy: caPolicy('a', { conditions: { clientAppTypes: ['browser', 'mobileAppsAndDesktopClients'] } }),
      expected: routed,
    },
    {
      label: 'no client app types given',
      policy: caPolicy('a', { conditions: { clientAppTypes: [] } }),
      expected: routed,
    },
    {
      label: 'all users except a group',
      policy: caPolicy('a', { conditions: { users: { includeUsers: ['All'], excludeGroups: [GROUP] } } }),
      expected: { ...routed, scope: 'all-users-except' },
    },
    {
      label: 'all users except a user',
      policy: caPolicy('a', { conditions: { users: { includeUsers: ['All'], excludeUsers: [USER] } } }),
      expected: { ...routed, scope: 'all-users-except' },
    },
    {
      label: 'a group',
      policy: caPolicy('a', { conditions: { users: { includeGroups: [GROUP] } } }),
      expected: { ...routed, scope: 'some-users' },
    },
    {
      label: 'guests only',
      policy: caPolicy('a', { conditions: { users: { includeUsers: ['GuestsOrExternalUsers'] } } }),
      expected: { ...routed, scope: 'some-users' },
    },
    {
      label: 'no users listed (directory roles)',
      policy: caPolicy('a', { conditions: { users: null } }),
      expected: { ...routed, scope: 'some-users' },
    },
    {
      label: 'None: nobody, so nothing routed',
      policy: caPolicy('a', { conditions: { users: { includeUsers: ['None'] } } }),
      expected: { ...routed, scope: 'no-users', sessionRouting: false, routesSessions: false },
    },
    {
      label: 'None plus a group is some users',
      policy: caPolicy('a', { conditions: { users: { includeUsers: ['None'], includeGroups: [GROUP] } } }),
      expected: { ...routed, scope: 'some-users' },
    },
    {
      label: 'requires a compliant device',
      policy: caPolicy('a', { grantControls: { operator: 'OR', builtInControls: ['compliantDevice', 'mfa'] } }),
      expected: { ...routed, compliant: true, hybrid: false },
    },
    {
      label: 'requires a hybrid-joined device',
      policy: caPolicy('a', { grantControls: { operator: 'AND', builtInControls: ['domainJoinedDevice'] } }),
      expected: { ...routed, compliant: false, hybrid: true },
    },
    {
      label: 'requires neither',
      policy: caPolicy('a', { grantControls: { operator: 'OR', builtInControls: ['mfa'] } }),
      expected: { ...routed, compliant: false, hybrid: false },
    },
  ];

  it.each(cases)('$label', ({ policy, expected }) => {
    const [analysed] = analyse([policy]).caPolicies;
    expect(analysed).toMatchObject({
      id: policy.id,
      name: policy.displayName,
      state: expected.state,
      coversApps: expected.coversApps,
      users: { scope: expected.scope },
      sessionRouting: expected.sessionRouting,
      routesSessions: expected.routesSessions,
      ...(expected.compliant === undefined ? {} : { requiresCompliantDevice: expected.compliant }),
      ...(expected.hybrid === undefined ? {} : { requiresHybridJoinedDevice: expected.hybrid }),
    });
  });

  it('keeps what Graph said about the controls and the user lists', () => {
    const [analysed] = analyse([
      caPolicy('a', {
        grantControls: { operator: 'OR', builtInControls: ['compliantDevice'] },
        conditions: { users: { includeUsers: ['All'], excludeUsers: [USER], excludeGroups: [GROUP] } },
      }),
    ]).caPolicies;
    expect(analysed).toMatchObject({
      appControl: { enabled: true, type: 'mcasConfigured' },
      appliesToBrowsers: true,
      grantOperator: 'OR',
      users: {
        scope: 'all-users-except',
        includeUsers: ['All'],
        includeGroups: [],
        excludeUsers: [USER],
        excludeGroups: [GROUP],
      },
    });
  });
});

describe('each protected app: coverage and gap', () => {
  interface Expected {
    readonly coverage: AppCoverage;
    readonly gap?: {
      readonly code: PostureGapCode;
      readonly severity: 'high' | 'medium';
      readonly caPolicies: string[];
    };
    readonly routedBy?: string[];
    readonly reportOnly?: string[];
    readonly disabled?: string[];
    readonly withoutSessionControl?: string[];
  }
  const subsetOfUsers = {
    users: {
      includeUsers: ['All'],
      excludeUsers: [USER, '33333333-2222-4333-8444-555555555555'],
      excludeGroups: [GROUP],
    },
  };
  const cases: { label: string; caPolicies: ConditionalAccessPolicy[]; expected: Expected }[] = [
    {
      label: 'empty tenant: not routed',
      caPolicies: [],
      expected: { coverage: 'none', gap: { code: 'app-not-routed', severity: 'high', caPolicies: [] }, routedBy: [] },
    },
    {
      label: 'one enabled policy for all users',
      caPolicies: [caPolicy('a')],
      expected: { coverage: 'full', routedBy: ['a'] },
    },
    {
      label: 'all users except some: medium',
      caPolicies: [caPolicy('a', { conditions: subsetOfUsers })],
      expected: {
        coverage: 'partial-users',
        gap: { code: 'app-routed-for-some-users', severity: 'medium', caPolicies: ['a'] },
        routedBy: ['a'],
      },
    },
    {
      label: 'a group only: medium',
      caPolicies: [caPolicy('a', { conditions: { users: { includeGroups: [GROUP] } } })],
      expected: {
        coverage: 'partial-users',
        gap: { code: 'app-routed-for-some-users', severity: 'medium', caPolicies: ['a'] },
      },
    },
    {
      label: 'a subset and an all-users policy: full',
      caPolicies: [caPolicy('a', { conditions: subsetOfUsers }), caPolicy('b')],
      expected: { coverage: 'full', routedBy: ['a', 'b'] },
    },
    {
      label: 'report-only only: high',
      caPolicies: [caPolicy('r', { state: 'enabledForReportingButNotEnforced' })],
      expected: {
        coverage: 'not-enforced',
        gap: { code: 'app-routing-not-enforced', severity: 'high', caPolicies: ['r'] },
        reportOnly: ['r'],
        routedBy: [],
      },
    },
    {
      label: 'disabled only: high',
      caPolicies: [caPolicy('d', { state: 'disabled' })],
      expected: {
        coverage: 'not-enforced',
        gap: { code: 'app-routing-not-enforced', severity: 'high', caPolicies: ['d'] },
        disabled: ['d'],
      },
    },
    {
      label: 'report-only and disabled, plus an enabled one without App Control',
      caPolicies: [
        caPolicy('r', { state: 'enabledForReportingButNotEnforced' }),
        caPolicy('d', { state: 'disabled' }),
        caPolicy('e', { sessionControls: null, grantControls: { builtInControls: ['compliantDevice'] } }),
      ],
      expected: {
        coverage: 'not-enforced',
        gap: { code: 'app-routing-not-enforced', severity: 'high', caPolicies: ['r', 'd'] },
        reportOnly: ['r'],
        disabled: ['d'],
        withoutSessionControl: ['e'],
        routedBy: [],
      },
    },
    {
      label: 'enabled, requiring a compliant device but no session control: not routed',
      caPolicies: [caPolicy('e', { sessionControls: null, grantControls: { builtInControls: ['compliantDevice'] } })],
      expected: {
        coverage: 'none',
        gap: { code: 'app-not-routed', severity: 'high', caPolicies: [] },
        withoutSessionControl: ['e'],
      },
    },
    {
      label: 'App Control for desktop clients only: not routed',
      caPolicies: [caPolicy('m', { conditions: { clientAppTypes: ['mobileAppsAndDesktopClients'] } })],
      expected: {
        coverage: 'none',
        gap: { code: 'app-not-routed', severity: 'high', caPolicies: [] },
        withoutSessionControl: ['m'],
      },
    },
    {
      label: 'App Control for nobody: not routed',
      caPolicies: [caPolicy('n', { conditions: { users: { includeUsers: ['None'] } } })],
      expected: {
        coverage: 'none',
        gap: { code: 'app-not-routed', severity: 'high', caPolicies: [] },
        withoutSessionControl: ['n'],
      },
    },
    {
      label: 'the app excluded from the routing policy: not routed',
      caPolicies: [
        caPolicy('x', { conditions: { applications: { includeApplications: ['All'], excludeApplications: [APP] } } }),
      ],
      expected: {
        coverage: 'none',
        gap: { code: 'app-not-routed', severity: 'high', caPolicies: [] },
        withoutSessionControl: [],
      },
    },
    {
      label: 'enabled subset beats report-only all users: medium',
      caPolicies: [
        caPolicy('a', { conditions: subsetOfUsers }),
        caPolicy('r', { state: 'enabledForReportingButNotEnforced' }),
      ],
      expected: {
        coverage: 'partial-users',
        gap: { code: 'app-routed-for-some-users', severity: 'medium', caPolicies: ['a'] },
        reportOnly: ['r'],
      },
    },
  ];

  it.each(cases)('$label', ({ caPolicies, expected }) => {
    const report = analyse(caPolicies);
    const [app] = report.protectedApps;
    expect(app?.coverage).toBe(expected.coverage);
    if (expected.gap) expect(app?.gap).toMatchObject({ ...expected.gap, appId: APP });
    else expect(app?.gap).toBeUndefined();
    for (const list of ['routedBy', 'reportOnly', 'disabled', 'withoutSessionControl'] as const) {
      if (expected[list]) expect(app?.[list]).toEqual(expected[list]);
    }
    expect(report.gaps).toEqual(app?.gap ? [app.gap] : []);
  });

  it('a partial gap names the excluded and included users and groups of each routing policy', () => {
    const report = analyse([
      caPolicy('a', { conditions: subsetOfUsers }),
      caPolicy('g', {
        conditions: { users: { includeUsers: [USER, 'GuestsOrExternalUsers'], includeGroups: [GROUP] } },
      }),
    ]);
    expect(report.protectedApps[0]?.gap?.users).toEqual([
      {
        policyId: 'a',
        scope: 'all-users-except',
        excludedUsers: 2,
        excludedGroups: 1,
        includedUsers: 0,
        includedGroups: 0,
      },
      { policyId: 'g', scope: 'some-users', excludedUsers: 0, excludedGroups: 0, includedUsers: 1, includedGroups: 1 },
    ]);
    expect(report.protectedApps[0]?.gap?.message).toContain('excludes 2 users and 1 group');
  });
});

describe('the whole report', () => {
  it('an empty tenant and an empty configuration', () => {
    const report = analyse([], configuration());
    expect(report).toEqual({
      schemaVersion: 1,
      kind: 'conditional-access-posture',
      summary: {
        status: 'complete',
        generatedAt: '2026-11-22T12:07:00.000Z',
        caPolicies: { total: 0, enabled: 0, reportOnly: 0, disabled: 0, routingSessions: 0 },
        protectedApps: 0,
        fullyRoutedApps: 0,
        unidentifiedApps: 0,
        gaps: { high: 0, medium: 0 },
      },
      protectedApps: [],
      unidentifiedApps: [],
      caPolicies: [],
      gaps: [],
    });
  });

  it('counts, orders gaps high first then by app, and survives JSON', () => {
    const config = configuration(
      certgatePolicy('portal', { include: [{ appId: THIRD_APP }, { appId: APP }] }),
      certgatePolicy('payroll', { include: [{ appId: OTHER_APP }] }, 'report-only'),
      certgatePolicy('legacy', { include: [{ host: 'legacy.contoso.example' }] }),
    );
    const report = analyse(
      [
        caPolicy('z-route-app', { conditions: { applications: { includeApplications: [APP] } } }),
        caPolicy('y-partial-third', {
          conditions: { applications: { includeApplications: [THIRD_APP] }, users: { includeGroups: [GROUP] } },
        }),
        caPolicy('x-report-only', {
          state: 'enabledForReportingButNotEnforced',
          conditions: { applications: { includeApplications: ['Office365'] } },
        }),
        caPolicy('w-disabled', { state: 'disabled' }),
      ],
      config,
    );
    expect(report.summary).toMatchObject({
      status: 'complete',
      caPolicies: { total: 4, enabled: 2, reportOnly: 1, disabled: 1, routingSessions: 2 },
      protectedApps: 3,
      fullyRoutedApps: 1,
      unidentifiedApps: 1,
      gaps: { high: 1, medium: 1 },
    });
    expect(report.caPolicies.map((policy) => policy.id)).toEqual([
      'w-disabled',
      'x-report-only',
      'y-partial-third',
      'z-route-app',
    ]);
    expect(report.gaps.map((gap) => [gap.appId, gap.code])).toEqual([
      [OTHER_APP, 'app-routing-not-enforced'],
      [THIRD_APP, 'app-routed-for-some-users'],
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('reports made without the CA policies', () => {
  const config = configuration(
    certgatePolicy('portal', { include: [{ appId: APP }, { host: 'portal.contoso.example' }] }),
  );

  it('failed: records the directory error and claims no gap', () => {
    const report = unassessedPostureReport({
      configuration: config,
      generatedAt,
      outcome: {
        status: 'failed',
        error: { kind: 'throttled', message: 'Too many requests', status: 429, retryAfterSeconds: 30 },
      },
    });
    expect(report.summary).toMatchObject({
      status: 'failed',
      error: { kind: 'throttled', status: 429, retryAfterSeconds: 30 },
      protectedApps: 1,
      unidentifiedApps: 1,
      gaps: { high: 0, medium: 0 },
      caPolicies: { total: 0 },
    });
    expect(report.protectedApps).toEqual([
      {
        appId: APP,
        certgatePolicies: [{ id: 'portal', state: 'enabled' }],
        coverage: 'unknown',
        routedBy: [],
        reportOnly: [],
        disabled: [],
        withoutSessionControl: [],
      },
    ]);
    expect(report.gaps).toEqual([]);
  });

  it('graph-disabled: says so, without an error', () => {
    const report = unassessedPostureReport({
      configuration: config,
      generatedAt,
      outcome: { status: 'graph-disabled' },
    });
    expect(report.summary.status).toBe('graph-disabled');
    expect(report.summary).not.toHaveProperty('error');
    expect(report.protectedApps.map((app) => app.coverage)).toEqual(['unknown']);
  });
});
