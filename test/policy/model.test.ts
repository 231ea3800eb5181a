/**
 * Validation of policy documents: every problem reported with its field path and a stable code,
 * defaults applied, cross-checks between policies and named locations.
 */
import { describe, expect, it } from 'vitest';
import {
  catalogueLocations,
  validateAccessPolicy,
  validateNamedLocation,
  validatePolicyConfiguration,
  validatePolicySettings,
} from '../../shared/policy/model.js';
import { POLICY_ISSUE_CODES } from '../../shared/policy/policyReasons.js';
import { DEMO_POLICY_CONFIGURATION } from '../../dev/demoPolicies.js';

const validPolicy = { id: 'p-1', name: 'P', state: 'enabled', priority: 10, conditions: {}, action: 'block' };

function withPolicy(changes: Record<string, unknown>, conditions?: Record<string, unknown>): unknown {
  return {
    schemaVersion: 1,
    locations: [{ id: 'office', name: 'Office', ranges: ['10.20.0.0/16'], tags: ['corporate'] }],
    policies: [validPolicy, { ...validPolicy, id: 'p-2', ...changes, ...(conditions ? { conditions } : {}) }],
  };
}

interface Case {
  readonly label: string;
  readonly input: unknown;
  readonly issues: readonly (readonly [string, string])[];
}

const cases: Case[] = [
  {
    label: 'schema version',
    input: { schemaVersion: 2, policies: [] },
    issues: [['schemaVersion', 'unsupported-schema-version']],
  },
  { label: 'not an object', input: 'policies', issues: [['', 'invalid-type']] },
  { label: 'policies missing', input: { schemaVersion: 1 }, issues: [['policies', 'required']] },
  { label: 'id not a slug', input: withPolicy({ id: 'Block_All' }), issues: [['policies[1].id', 'invalid-slug']] },
  { label: 'state missing', input: withPolicy({ state: undefined }), issues: [['policies[1].state', 'required']] },
  { label: 'state unknown', input: withPolicy({ state: 'on' }), issues: [['policies[1].state', 'invalid-value']] },
  {
    label: 'priority not an integer',
    input: withPolicy({ priority: 1.5 }),
    issues: [['policies[1].priority', 'invalid-integer']],
  },
  {
    label: 'priority negative',
    input: withPolicy({ priority: -1 }),
    issues: [['policies[1].priority', 'invalid-integer']],
  },
  {
    label: 'unknown field',
    input: withPolicy({ actions: 'block' }),
    issues: [['policies[1].actions', 'unknown-field']],
  },
  {
    label: 'block message too long',
    input: withPolicy({ blockMessage: 'x'.repeat(501) }),
    issues: [['policies[1].blockMessage', 'too-long']],
  },
  {
    label: 'block message with markup',
    input: withPolicy({ blockMessage: 'see <a href="x">here</a>' }),
    issues: [['policies[1].blockMessage', 'invalid-text']],
  },
  {
    label: 'alert severity',
    input: withPolicy({ alert: { severity: 'critical' } }),
    issues: [['policies[1].alert.severity', 'invalid-value']],
  },
  {
    label: 'app matcher empty',
    input: withPolicy({}, { apps: { include: [{ appId: 'a' }, {}] } }),
    issues: [['policies[1].conditions.apps.include[1]', 'empty-app-matcher']],
  },
  {
    label: 'app host invalid',
    input: withPolicy({}, { apps: { include: [{ host: 'bad host' }] } }),
    issues: [['policies[1].conditions.apps.include[0].host', 'invalid-host']],
  },
  {
    label: 'app path prefix',
    input: withPolicy({}, { apps: { include: 'all', exclude: [{ pathPrefix: 'admin' }] } }),
    issues: [['policies[1].conditions.apps.exclude[0].pathPrefix', 'invalid-path-prefix']],
  },
  {
    label: 'apps include neither all nor list',
    input: withPolicy({}, { apps: { include: 'none' } }),
    issues: [['policies[1].conditions.apps.include', 'invalid-value']],
  },
  {
    label: 'client app kind',
    input: withPolicy({}, { clientApps: ['desktop'] }),
    issues: [['policies[1].conditions.clientApps[0]', 'invalid-value']],
  },
  {
    label: 'users include empty',
    input: withPolicy({}, { users: { include: {} } }),
    issues: [['policies[1].conditions.users.include', 'too-short']],
  },
  {
    label: 'group id not a GUID',
    input: withPolicy({}, { users: { include: { groups: ['finance'] } } }),
    issues: [['policies[1].conditions.users.include.groups[0]', 'invalid-group-id']],
  },
  {
    label: 'device tag unknown',
    input: withPolicy({}, { deviceTags: { equals: ['managed'] } }),
    issues: [['policies[1].conditions.deviceTags.equals[0]', 'invalid-value']],
  },
  {
    label: 'location reference malformed',
    input: withPolicy({}, { locations: { include: ['tag:'] } }),
    issues: [['policies[1].conditions.locations.include[0]', 'invalid-location-reference']],
  },
  {
    label: 'location id missing',
    input: withPolicy({}, { locations: { include: ['office', 'home'] } }),
    issues: [['policies[1].conditions.locations.include[1]', 'unknown-location']],
  },
  {
    label: 'location tag missing',
    input: withPolicy({}, { locations: { exclude: ['tag:vpn'] } }),
    issues: [['policies[1].conditions.locations.exclude[0]', 'unknown-location-tag']],
  },
  {
    label: 'user agents empty condition',
    input: withPolicy({}, { userAgents: {} }),
    issues: [['policies[1].conditions.userAgents', 'too-short']],
  },
  {
    label: 'user agent pattern with control character',
    input: withPolicy({}, { userAgents: { include: ['curl\n'] } }),
    issues: [['policies[1].conditions.userAgents.include[0]', 'invalid-pattern']],
  },
  {
    label: 'issuer thumbprint',
    input: withPolicy({}, { certificate: { issuers: { include: ['abcd'] } } }),
    issues: [['policies[1].conditions.certificate.issuers.include[0]', 'invalid-thumbprint']],
  },
  {
    label: 'policy OID',
    input: withPolicy({}, { certificate: { policyOids: ['1.2.x'] } }),
    issues: [['policies[1].conditions.certificate.policyOids[0]', 'invalid-oid']],
  },
  { label: 'duplicate policy id', input: withPolicy({ id: 'p-1' }), issues: [['policies[1].id', 'duplicate-id']] },
  {
    label: 'location CIDR and duplicate location id',
    input: {
      schemaVersion: 1,
      policies: [],
      locations: [
        { id: 'a', name: 'A', ranges: ['10.0.0.0/8', '10.0.0.0/33', '300.1.1.1/8', 'fd00::/129'] },
        { id: 'a', name: 'A again', ranges: ['::1'] },
      ],
    },
    issues: [
      ['locations[0].ranges[1]', 'invalid-cidr'],
      ['locations[0].ranges[2]', 'invalid-cidr'],
      ['locations[0].ranges[3]', 'invalid-cidr'],
    ],
  },
  {
    label: 'several issues at once',
    input: withPolicy({ action: 'deny', priority: 'high' }),
    issues: [
      ['policies[1].priority', 'invalid-type'],
      ['policies[1].action', 'invalid-value'],
    ],
  },
];

describe('validatePolicyConfiguration', () => {
  it.each(cases)('$label', ({ input, issues }) => {
    const result = validatePolicyConfiguration(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => [issue.path, issue.code])).toEqual(issues);
    for (const issue of result.issues) expect(Object.keys(POLICY_ISSUE_CODES)).toContain(issue.code);
  });

  it('reports duplicate location ids once the schema is satisfied', () => {
    const result = validatePolicyConfiguration({
      schemaVersion: 1,
      policies: [],
      locations: [
        { id: 'a', name: 'A', ranges: ['10.0.0.0/8'] },
        { id: 'a', name: 'B', ranges: ['::1'] },
      ],
    });
    expect(result.ok ? [] : result.issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['locations[1].id', 'duplicate-id'],
    ]);
  });

  it('applies defaults: settings, location tags, no session policies', () => {
    const result = validatePolicyConfiguration({
      schemaVersion: 1,
      policies: [],
      locations: [{ id: 'a', name: 'A', ranges: ['192.0.2.1'] }],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        schemaVersion: 1,
        apps: [],
        policies: [],
        sessionPolicies: [],
        locations: [{ id: 'a', name: 'A', ranges: ['192.0.2.1'], tags: [] }],
        settings: { baseline: 'require-valid-certificate', failMode: 'closed' },
      },
    });
  });

  it('accepts the demo configuration unchanged (round trip through JSON)', () => {
    const result = validatePolicyConfiguration(JSON.parse(JSON.stringify(DEMO_POLICY_CONFIGURATION)));
    expect(result).toEqual({ ok: true, value: DEMO_POLICY_CONFIGURATION });
  });
});

describe('single documents', () => {
  it('validateAccessPolicy: paths are relative to the policy; location references checked when a catalogue is given', () => {
    const policy = { ...validPolicy, conditions: { locations: { include: ['office', 'tag:home'] } } };
    expect(validateAccessPolicy(policy).ok).toBe(true);
    const catalogue = catalogueLocations([
      { id: 'office', name: 'Office', ranges: ['10.0.0.0/8'], tags: ['corporate'] },
    ]);
    const result = validateAccessPolicy(policy, catalogue);
    expect(result.ok ? [] : result.issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['conditions.locations.include[1]', 'unknown-location-tag'],
    ]);
    const bad = validateAccessPolicy({ ...validPolicy, name: '' });
    expect(bad.ok ? [] : bad.issues.map((issue) => [issue.path, issue.code])).toEqual([['name', 'too-short']]);
  });

  it('validateNamedLocation and validatePolicySettings', () => {
    const location = validateNamedLocation({ id: 'v6', name: 'V6', ranges: ['2001:db8::/32'], tags: ['Corporate'] });
    expect(location.ok ? [] : location.issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['tags[0]', 'invalid-slug'],
    ]);
    expect(validatePolicySettings({})).toEqual({
      ok: true,
      value: { baseline: 'require-valid-certificate', failMode: 'closed' },
    });
    const settings = validatePolicySettings({ failMode: 'half-open' });
    expect(settings.ok ? [] : settings.issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['failMode', 'invalid-value'],
    ]);
  });
});
