/**
 * Remembered policy verdicts (shared/access/policyEvaluations.ts): for every request the verdict
 * is the one evaluating the policies gives, however the requests repeat and interleave, so a key
 * that left out anything a condition reads would fail here; shared verdicts are frozen; a
 * configuration whose policies read the time is evaluated every time.
 */
import { describe, expect, it } from 'vitest';
import { evaluatePolicySets, sharedSet } from '../../shared/access/policyEvaluations.js';
import { compilePolicyConfiguration, evaluateAccess, type AccessRequest } from '../../shared/policy/evaluateAccess.js';
import { validatePolicyConfiguration, type PolicyConfiguration } from '../../shared/policy/model.js';
import { selectSessionControls } from '../../shared/session/sessionPolicies.js';
import {
  CONTOSO_FILES_HOST,
  CONTOSO_PORTAL_HOST,
  DEMO_VENDOR_CA_THUMBPRINT,
  FINANCE_GROUP_ID,
  PILOT_USER_UPN,
  VENDORS_GROUP_ID,
  demoPolicyConfiguration,
} from '../../dev/demoPolicies.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36';
const OUTLOOK = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)';

function snapshotOf(configuration: PolicyConfiguration) {
  return { configuration, compiled: compilePolicyConfiguration(configuration) };
}

const tagSets = [
  sharedSet(new Set<never>()),
  sharedSet(new Set(['valid-client-certificate'] as const)),
  sharedSet(new Set(['valid-client-certificate', 'compliant'] as const)),
];
const unknownTagSets = [undefined, sharedSet(new Set(['compliant'] as const))];
const groupSets = [
  sharedSet(new Set<string>()),
  sharedSet(new Set([FINANCE_GROUP_ID])),
  sharedSet(new Set([VENDORS_GROUP_ID])),
];
const certificates = [
  undefined,
  Object.freeze({
    issuerThumbprints: [DEMO_VENDOR_CA_THUMBPRINT],
    policyOids: [],
    subject: 'CN=vendor',
    subjectAltNames: [],
  }),
  Object.freeze({ issuerThumbprints: ['ab'.repeat(32)], policyOids: [], subject: 'CN=alice', subjectAltNames: [] }),
];
const apps = [
  { id: 'contoso-portal', host: CONTOSO_PORTAL_HOST, path: '/' },
  { id: 'vendor-admin', host: CONTOSO_PORTAL_HOST, path: '/admin/x' },
  { id: 'contoso-files', host: CONTOSO_FILES_HOST, path: '/files' },
];

/** Requests differing in one field at a time from a few starting points (every field the key covers). */
function requests(): AccessRequest[] {
  const out: AccessRequest[] = [];
  const at = new Date('2026-11-23T10:00:00Z');
  for (const app of apps)
    for (const deviceTags of tagSets)
      for (const groups of groupSets)
        for (const certificate of certificates) {
          const base: AccessRequest = {
            app,
            userAgent: CHROME,
            clientIp: '203.0.113.7',
            user: { id: 'user-1', upn: 'alice@contoso.example', groups, groupsUnknown: false },
            at,
            deviceTags,
            certificate,
          };
          out.push(
            base,
            { ...base, userAgent: OUTLOOK },
            { ...base, clientIp: '10.20.1.2' },
            { ...base, user: { id: 'user-2', upn: PILOT_USER_UPN, groups, groupsUnknown: false } },
            { ...base, user: { id: 'user-1', upn: 'alice@contoso.example', groups, groupsUnknown: true } },
            { ...base, user: undefined },
            { ...base, unknownDeviceTags: unknownTagSets[1] },
            { ...base, app: { ...app, path: '/other' } },
          );
        }
  return out;
}

describe('remembered policy verdicts', () => {
  it('give every request the verdict evaluating gives it, in any order and however often', () => {
    const snapshot = snapshotOf(demoPolicyConfiguration());
    const all = requests();
    const order = [...all, ...all.slice().reverse(), ...all.filter((_, index) => index % 3 === 0)];
    let shared = 0;
    for (const request of order) {
      const remembered = evaluatePolicySets(snapshot, request);
      const policy = evaluateAccess(request, snapshot.compiled);
      expect(remembered.policy).toEqual(policy);
      expect(remembered.session).toEqual(
        policy.effect === 'allow' ? selectSessionControls(snapshot.configuration, request) : undefined,
      );
      if (evaluatePolicySets(snapshot, request) === remembered) shared++;
    }
    expect(shared).toBe(order.length);
  });

  it('shares a frozen verdict; a request with a set of its own is evaluated afresh', () => {
    const snapshot = snapshotOf(demoPolicyConfiguration());
    const [request] = requests();
    if (!request) throw new Error('no request');
    const first = evaluatePolicySets(snapshot, request);
    expect(Object.isFrozen(first.policy) && Object.isFrozen(first.policy.policies[0]?.conditions)).toBe(true);
    const own = { ...request, deviceTags: new Set(request.deviceTags) };
    expect(evaluatePolicySets(snapshot, own)).not.toBe(evaluatePolicySets(snapshot, own));
    expect(evaluatePolicySets(snapshot, own).policy).toEqual(first.policy);
    // A new configuration (a new compiled object) is not answered from the old one's verdicts.
    const blockAll = snapshotOf({ ...demoPolicyConfiguration(), settings: { baseline: 'block', failMode: 'closed' } });
    expect(evaluatePolicySets(blockAll, request).policy).toEqual(evaluateAccess(request, blockAll.compiled));
  });

  it('evaluates a configuration whose policies read the time every time', () => {
    const validated = validatePolicyConfiguration({
      schemaVersion: 1,
      locations: [],
      settings: { baseline: 'allow', failMode: 'closed' },
      policies: [
        {
          id: 'night-block',
          name: 'No access at night',
          state: 'enabled',
          priority: 1,
          conditions: { timeWindow: { days: ['mon'], from: '22:00', to: '06:00', timeZone: 'UTC' } },
          action: 'block',
        },
      ],
    });
    if (!validated.ok) throw new Error('invalid');
    const snapshot = snapshotOf(validated.value);
    const [base] = requests();
    if (!base) throw new Error('no request');
    const day = { ...base, at: new Date('2026-11-23T12:00:00Z') };
    const night = { ...base, at: new Date('2026-11-23T23:00:00Z') };
    expect(evaluatePolicySets(snapshot, day).policy.effect).toBe('allow');
    expect(evaluatePolicySets(snapshot, night).policy.effect).toBe('block');
    expect(evaluatePolicySets(snapshot, day).policy.effect).toBe('allow');
  });
});
