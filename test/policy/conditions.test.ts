/**
 * Each condition kind on its own, in a single enforced block policy: match → policy-block,
 * no-match → baseline-allow, unknown → policy-unknown-fail-closed (fail mode closed). The trace's
 * condition result is asserted too.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicyConfiguration, evaluateAccess } from '../../shared/policy/evaluateAccess.js';
import type { PolicyConditions } from '../../shared/policy/model.js';
import { accessRequest, OUTLOOK_UA, type RequestOverrides } from './accessRequests.js';

const GROUP = '11111111-2222-4333-8444-555555555555';
const OTHER_GROUP = '99999999-2222-4333-8444-555555555555';
const CA = 'a1'.repeat(32);
const CA_WITH_COLONS = Array.from({ length: 32 }, () => 'A1').join(':');
const certificate = {
  issuerThumbprints: [CA],
  policyOids: ['1.3.6.1.4.1.311.21.8.7'],
  subject: 'CN=Alice Example, O=Contoso',
  subjectAltNames: ['alice@contoso.example', 'device-1234.contoso.example'],
};

type Result = 'match' | 'no-match' | 'unknown';
interface Case {
  readonly label: string;
  readonly conditions: PolicyConditions;
  readonly request: RequestOverrides;
  readonly result: Result;
}

const cases: Case[] = [
  // apps
  { label: 'apps all', conditions: { apps: { include: 'all' } }, request: {}, result: 'match' },
  {
    label: 'apps by registered id',
    conditions: { apps: { include: [{ appId: 'contoso-portal' }] } },
    request: {},
    result: 'match',
  },
  {
    label: 'apps other id',
    conditions: { apps: { include: [{ appId: 'payroll' }] } },
    request: {},
    result: 'no-match',
  },
  {
    label: 'apps id missing from request',
    conditions: { apps: { include: [{ appId: 'contoso-portal' }] } },
    request: { app: { host: 'portal.contoso.example' } },
    result: 'no-match',
  },
  {
    label: 'apps exact host with port and trailing dot',
    conditions: { apps: { include: [{ host: 'portal.contoso.example' }] } },
    request: { app: { host: 'PORTAL.contoso.example.:8443' } },
    result: 'match',
  },
  {
    label: 'apps wildcard host matches subdomain',
    conditions: { apps: { include: [{ host: '*.contoso.example' }] } },
    request: {},
    result: 'match',
  },
  {
    label: 'apps wildcard host does not match apex',
    conditions: { apps: { include: [{ host: '*.contoso.example' }] } },
    request: { app: { host: 'contoso.example' } },
    result: 'no-match',
  },
  {
    label: 'apps wildcard host does not match look-alike',
    conditions: { apps: { include: [{ host: '*.contoso.example' }] } },
    request: { app: { host: 'evilcontoso.example' } },
    result: 'no-match',
  },
  {
    label: 'apps path prefix on segment',
    conditions: { apps: { include: [{ pathPrefix: '/admin' }] } },
    request: { app: { path: '/admin/x?y=1' } },
    result: 'match',
  },
  {
    label: 'apps path prefix exact',
    conditions: { apps: { include: [{ pathPrefix: '/admin/' }] } },
    request: { app: { path: '/admin' } },
    result: 'match',
  },
  {
    label: 'apps path prefix is not a string prefix',
    conditions: { apps: { include: [{ pathPrefix: '/admin' }] } },
    request: { app: { path: '/administrator' } },
    result: 'no-match',
  },
  {
    label: 'apps path percent-encoded and dotted',
    conditions: { apps: { include: [{ pathPrefix: '/admin' }] } },
    request: { app: { path: '/public/..%2F%61dmin' } },
    result: 'match',
  },
  {
    label: 'apps path with backslashes',
    conditions: { apps: { include: [{ pathPrefix: '/admin' }] } },
    request: { app: { path: '/x\\..\\ADMIN' } },
    result: 'match',
  },
  {
    label: 'apps path malformed encoding',
    conditions: { apps: { include: [{ pathPrefix: '/admin' }] } },
    request: { app: { path: '/admin%zz' } },
    result: 'unknown',
  },
  {
    label: 'apps matcher fields all required',
    conditions: { apps: { include: [{ host: 'portal.contoso.example', pathPrefix: '/admin' }] } },
    request: { app: { host: 'portal.contoso.example', path: '/home' } },
    result: 'no-match',
  },
  {
    label: 'apps exclude wins',
    conditions: { apps: { include: 'all', exclude: [{ pathPrefix: '/health' }] } },
    request: { app: { path: '/health' } },
    result: 'no-match',
  },
  // clientApps
  { label: 'clientApps browser', conditions: { clientApps: ['browser'] }, request: {}, result: 'match' },
  {
    label: 'clientApps desktop vs browser',
    conditions: { clientApps: ['browser'] },
    request: { userAgent: OUTLOOK_UA },
    result: 'no-match',
  },
  {
    label: 'clientApps no user agent is an app',
    conditions: { clientApps: ['mobile-desktop'] },
    request: { userAgent: undefined },
    result: 'match',
  },
  // users
  { label: 'users all', conditions: { users: { include: { all: true } } }, request: {}, result: 'match' },
  {
    label: 'users by UPN, case-insensitive',
    conditions: { users: { include: { users: ['Alice@Contoso.example'] } } },
    request: {},
    result: 'match',
  },
  {
    label: 'users by object id',
    conditions: { users: { include: { users: ['00000000-0000-4000-8000-00000000A11C'] } } },
    request: {},
    result: 'match',
  },
  {
    label: 'users other user',
    conditions: { users: { include: { users: ['bob@contoso.example'] } } },
    request: {},
    result: 'no-match',
  },
  {
    label: 'users group member (case-insensitive)',
    conditions: { users: { include: { groups: [GROUP] } } },
    request: { groups: [GROUP.toUpperCase()] },
    result: 'match',
  },
  {
    label: 'users not a member',
    conditions: { users: { include: { groups: [GROUP] } } },
    request: { groups: [OTHER_GROUP] },
    result: 'no-match',
  },
  {
    label: 'users groups unknown',
    conditions: { users: { include: { groups: [GROUP] } } },
    request: { groups: [OTHER_GROUP], groupsUnknown: true },
    result: 'unknown',
  },
  {
    label: 'users known member despite directory down',
    conditions: { users: { include: { groups: [GROUP] } } },
    request: { groups: [GROUP], groupsUnknown: true },
    result: 'match',
  },
  {
    label: 'users memberships not provided',
    conditions: { users: { include: { groups: [GROUP] } } },
    request: { user: { upn: 'alice@contoso.example' } },
    result: 'unknown',
  },
  {
    label: 'users excluded user',
    conditions: { users: { include: { all: true }, exclude: { users: ['alice@contoso.example'] } } },
    request: {},
    result: 'no-match',
  },
  {
    label: 'users excluded group',
    conditions: { users: { include: { all: true }, exclude: { groups: [GROUP] } } },
    request: { groups: [GROUP] },
    result: 'no-match',
  },
  {
    label: 'users excluded group unknown',
    conditions: { users: { include: { all: true }, exclude: { groups: [GROUP] } } },
    request: { groupsUnknown: true },
    result: 'unknown',
  },
  {
    label: 'users excluded user beats unknown groups',
    conditions: { users: { include: { groups: [GROUP] }, exclude: { users: ['alice@contoso.example'] } } },
    request: { groupsUnknown: true },
    result: 'no-match',
  },
  {
    label: 'users anonymous, all users',
    conditions: { users: { include: { all: true } } },
    request: { anonymous: true },
    result: 'match',
  },
  {
    label: 'users anonymous, listed users',
    conditions: { users: { include: { users: ['alice@contoso.example'] } } },
    request: { anonymous: true },
    result: 'unknown',
  },
  // deviceTags
  {
    label: 'deviceTags equals present',
    conditions: { deviceTags: { equals: ['compliant', 'hybrid-joined'] } },
    request: { tags: ['hybrid-joined'] },
    result: 'match',
  },
  {
    label: 'deviceTags equals absent',
    conditions: { deviceTags: { equals: ['compliant'] } },
    request: { tags: ['valid-client-certificate'] },
    result: 'no-match',
  },
  {
    label: 'deviceTags equals unknown',
    conditions: { deviceTags: { equals: ['compliant'] } },
    request: { unknownTags: ['compliant'] },
    result: 'unknown',
  },
  {
    label: 'deviceTags notEquals none present',
    conditions: { deviceTags: { notEquals: ['valid-client-certificate', 'compliant'] } },
    request: {},
    result: 'match',
  },
  {
    label: 'deviceTags notEquals one present',
    conditions: { deviceTags: { notEquals: ['valid-client-certificate', 'compliant'] } },
    request: { tags: ['compliant'] },
    result: 'no-match',
  },
  {
    label: 'deviceTags notEquals present beats unknown',
    conditions: { deviceTags: { notEquals: ['valid-client-certificate', 'compliant'] } },
    request: { tags: ['valid-client-certificate'], unknownTags: ['compliant'] },
    result: 'no-match',
  },
  {
    label: 'deviceTags notEquals unknown',
    conditions: { deviceTags: { notEquals: ['valid-client-certificate', 'compliant'] } },
    request: { unknownTags: ['compliant'] },
    result: 'unknown',
  },
  // locations
  {
    label: 'locations include by id',
    conditions: { locations: { include: ['office'] } },
    request: { clientIp: '10.20.1.1' },
    result: 'match',
  },
  {
    label: 'locations include by tag, IPv4-mapped IPv6 with port',
    conditions: { locations: { include: ['tag:corporate'] } },
    request: { clientIp: '[::ffff:10.20.1.1]:4431' },
    result: 'match',
  },
  {
    label: 'locations include by tag IPv6',
    conditions: { locations: { include: ['tag:corporate'] } },
    request: { clientIp: 'fd00:20::1' },
    result: 'match',
  },
  {
    label: 'locations outside include',
    conditions: { locations: { include: ['tag:corporate'] } },
    request: { clientIp: '10.21.0.1' },
    result: 'no-match',
  },
  {
    label: 'locations any except corporate, external',
    conditions: { locations: { include: ['any'], exclude: ['tag:corporate'] } },
    request: {},
    result: 'match',
  },
  {
    label: 'locations any except corporate, inside',
    conditions: { locations: { include: ['any'], exclude: ['tag:corporate'] } },
    request: { clientIp: '10.20.9.9:5000' },
    result: 'no-match',
  },
  {
    label: 'locations exclude only',
    conditions: { locations: { exclude: ['branch'] } },
    request: { clientIp: '192.0.2.77' },
    result: 'no-match',
  },
  {
    label: 'locations client IP absent',
    conditions: { locations: { include: ['tag:corporate'] } },
    request: { clientIp: undefined },
    result: 'unknown',
  },
  {
    label: 'locations client IP garbled',
    conditions: { locations: { exclude: ['tag:corporate'] } },
    request: { clientIp: 'not-an-ip' },
    result: 'unknown',
  },
  // userAgents
  {
    label: 'userAgents glob include',
    conditions: { userAgents: { include: ['*chrome/*'] } },
    request: {},
    result: 'match',
  },
  {
    label: 'userAgents glob anchored',
    conditions: { userAgents: { include: ['chrome/*'] } },
    request: {},
    result: 'no-match',
  },
  {
    label: 'userAgents exclude',
    conditions: { userAgents: { exclude: ['curl/*'] } },
    request: { userAgent: 'curl/8.5.0' },
    result: 'no-match',
  },
  {
    label: 'userAgents regex characters are literal',
    conditions: { userAgents: { include: ['curl/8.?.0'] } },
    request: { userAgent: 'curl/8.5.0' },
    result: 'no-match',
  },
  {
    label: 'userAgents missing header is empty',
    conditions: { userAgents: { include: ['*'] } },
    request: { userAgent: undefined },
    result: 'match',
  },
  // certificate
  {
    label: 'certificate issuer include (colons, case)',
    conditions: { certificate: { issuers: { include: [CA_WITH_COLONS] } } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'match',
  },
  {
    label: 'certificate issuer include, other CA',
    conditions: { certificate: { issuers: { include: ['b2'.repeat(32)] } } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'no-match',
  },
  {
    label: 'certificate issuer exclude, no valid certificate',
    conditions: { certificate: { issuers: { exclude: [CA] } } },
    request: { certificate },
    result: 'match',
  },
  {
    label: 'certificate issuer exclude, excluded CA',
    conditions: { certificate: { issuers: { exclude: [CA] } } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'no-match',
  },
  {
    label: 'certificate policy OID',
    conditions: { certificate: { policyOids: ['1.2.3', '1.3.6.1.4.1.311.21.8.7'] } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'match',
  },
  {
    label: 'certificate policy OID missing',
    conditions: { certificate: { policyOids: ['1.2.3'] } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'no-match',
  },
  {
    label: 'certificate subject glob',
    conditions: { certificate: { subjectPattern: '*o=contoso' } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'match',
  },
  {
    label: 'certificate SAN glob',
    conditions: { certificate: { sanPattern: 'device-*.contoso.example' } },
    request: { tags: ['valid-client-certificate'], certificate },
    result: 'match',
  },
  {
    label: 'certificate SAN glob, no valid certificate',
    conditions: { certificate: { sanPattern: '*' } },
    request: {},
    result: 'no-match',
  },
  {
    label: 'certificate validity unknown',
    conditions: { certificate: { policyOids: ['1.2.3'] } },
    request: { unknownTags: ['valid-client-certificate'] },
    result: 'unknown',
  },
  {
    label: 'certificate tagged without attributes',
    conditions: { certificate: { policyOids: ['1.2.3'] } },
    request: { tags: ['valid-client-certificate'] },
    result: 'unknown',
  },
];

const EXPECTED = {
  match: { effect: 'block', reason: 'policy-block', decidedBy: 'under-test' },
  'no-match': { effect: 'allow', reason: 'baseline-allow', decidedBy: undefined },
  unknown: { effect: 'block', reason: 'policy-unknown-fail-closed', decidedBy: 'under-test' },
} as const;

describe('conditions', () => {
  it.each(cases)('$label → $result', ({ conditions, request, result }) => {
    const compiled = compilePolicyConfiguration({
      schemaVersion: 1,
      settings: { baseline: 'allow', failMode: 'closed' },
      apps: [
        { id: 'contoso-portal', name: 'Portal', hosts: [{ host: 'portal.contoso.example' }] },
        { id: 'payroll', name: 'Payroll', hosts: [{ host: 'payroll.contoso.example' }] },
      ],
      locations: [
        { id: 'office', name: 'Office', ranges: ['10.20.0.0/16', 'fd00:20::/32'], tags: ['corporate'] },
        { id: 'branch', name: 'Branch', ranges: ['192.0.2.0/24'], tags: [] },
      ],
      policies: [{ id: 'under-test', name: 'Under test', state: 'enabled', priority: 1, conditions, action: 'block' }],
    });
    const decision = evaluateAccess(accessRequest(request), compiled);
    expect({ effect: decision.effect, reason: decision.reason, decidedBy: decision.decidedBy }).toEqual(
      EXPECTED[result],
    );
    const traced = decision.policies[0]!.conditions;
    expect(traced).toHaveLength(1);
    expect(traced[0]!.result).toBe(result);
  });

  it('a policy without conditions applies to every request', () => {
    const compiled = compilePolicyConfiguration({
      schemaVersion: 1,
      settings: { baseline: 'allow', failMode: 'closed' },
      locations: [],
      policies: [
        { id: 'everything', name: 'Everything', state: 'enabled', priority: 0, conditions: {}, action: 'block' },
      ],
    });
    expect(evaluateAccess(accessRequest(), compiled)).toMatchObject({
      effect: 'block',
      reason: 'policy-block',
      decidedBy: 'everything',
    });
  });

  it('a long user agent with many wildcards is matched without blow-up and correctly', () => {
    const compiled = compilePolicyConfiguration({
      schemaVersion: 1,
      settings: { baseline: 'allow', failMode: 'closed' },
      locations: [],
      policies: [
        {
          id: 'agents',
          name: 'Agents',
          state: 'enabled',
          priority: 0,
          conditions: { userAgents: { include: [`${'*a'.repeat(30)}*b`] } },
          action: 'block',
        },
      ],
    });
    expect(evaluateAccess(accessRequest({ userAgent: 'a'.repeat(100_000) }), compiled).reason).toBe('baseline-allow');
    expect(evaluateAccess(accessRequest({ userAgent: `${'a'.repeat(100_000)}b` }), compiled).reason).toBe(
      'policy-block',
    );
  });
});
