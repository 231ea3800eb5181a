/**
 * The five field scenarios against the demo configuration: who gets in, who is blocked, by which
 * policy, and that the trace explains it.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicyConfiguration, evaluateAccess } from '../../shared/policy/evaluateAccess.js';
import { validatePolicyConfiguration } from '../../shared/policy/model.js';
import { resolveApp } from '../../shared/policy/registeredApps.js';
import { accessRequest, OUTLOOK_UA, type RequestOverrides } from './accessRequests.js';
import {
  DEMO_POLICY_CONFIGURATION,
  DEMO_VENDOR_CA_THUMBPRINT,
  FINANCE_GROUP_ID,
  PILOT_USER_UPN,
  VENDORS_GROUP_ID,
} from '../../dev/demoPolicies.js';

const compiled = compilePolicyConfiguration(DEMO_POLICY_CONFIGURATION);
const OTHER_CA = 'ab'.repeat(32);
const vendorCertificate = {
  issuerThumbprints: [DEMO_VENDOR_CA_THUMBPRINT.toUpperCase()],
  policyOids: [],
  subject: 'CN=Vera Vendor',
  subjectAltNames: ['vera@vendor.example'],
};
const contosoCertificate = {
  issuerThumbprints: [OTHER_CA],
  policyOids: [],
  subject: 'CN=Alice',
  subjectAltNames: ['alice@contoso.example'],
};
const vendorAdmin = { app: { id: 'vendor-admin', host: 'portal.contoso.example', path: '/admin/vms' } };

interface Case {
  readonly label: string;
  readonly request: RequestOverrides;
  readonly expected: { readonly effect: 'allow' | 'block'; readonly reason: string; readonly decidedBy?: string };
}

const cases: Case[] = [
  // 1. Outside the corporate network only with a valid client certificate.
  {
    label: '1 external, no certificate → blocked',
    request: {},
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'block-external-without-certificate' },
  },
  {
    label: '1 external, valid certificate → allowed',
    request: { tags: ['valid-client-certificate'], certificate: contosoCertificate },
    expected: { effect: 'allow', reason: 'baseline-certificate-valid' },
  },
  {
    label: '1 corporate IPv4, no certificate → allowed',
    request: { clientIp: '10.20.3.4' },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'corporate-network-allow' },
  },
  {
    label: '1 corporate IPv6, no certificate → allowed',
    request: { clientIp: 'fd00:20:1::5' },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'corporate-network-allow' },
  },
  {
    label: '1 neighbouring range is external',
    request: { clientIp: '10.21.0.1' },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'block-external-without-certificate' },
  },
  {
    label: '1 another app gets the baseline: a certificate is required',
    request: { app: { id: 'intranet-wiki', host: 'wiki.contoso.example', path: '/' } },
    expected: { effect: 'block', reason: 'baseline-certificate-required' },
  },
  {
    label: '1 another app, valid certificate → allowed by the baseline',
    request: {
      app: { id: 'intranet-wiki', host: 'wiki.contoso.example', path: '/' },
      tags: ['valid-client-certificate'],
      certificate: contosoCertificate,
    },
    expected: { effect: 'allow', reason: 'baseline-certificate-valid' },
  },
  // 2. Finance: browsers anywhere (monitored), apps only from managed devices.
  {
    label: '2 finance browser, unmanaged, external → monitored',
    request: { groups: [FINANCE_GROUP_ID] },
    expected: { effect: 'allow', reason: 'policy-monitor', decidedBy: 'finance-browser-unmanaged-monitor' },
  },
  {
    label: '2 finance desktop app, unmanaged → blocked',
    request: { groups: [FINANCE_GROUP_ID], userAgent: OUTLOOK_UA },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'finance-apps-require-managed-device' },
  },
  {
    label: '2 finance desktop app, compliant → allowed',
    request: { groups: [FINANCE_GROUP_ID], userAgent: OUTLOOK_UA, tags: ['compliant'] },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'managed-devices-allow' },
  },
  {
    label: '2 finance desktop app, hybrid-joined → allowed',
    request: { groups: [FINANCE_GROUP_ID], userAgent: OUTLOOK_UA, tags: ['hybrid-joined'] },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'managed-devices-allow' },
  },
  {
    label: '2 finance browser, certificate → allowed, not monitored',
    request: { groups: [FINANCE_GROUP_ID], tags: ['valid-client-certificate'], certificate: contosoCertificate },
    expected: { effect: 'allow', reason: 'baseline-certificate-valid' },
  },
  // 3. Vendors only with a certificate we issued to them.
  {
    label: '3 vendor with vendor-CA certificate → allowed',
    request: {
      ...vendorAdmin,
      groups: [VENDORS_GROUP_ID],
      tags: ['valid-client-certificate'],
      certificate: vendorCertificate,
    },
    expected: { effect: 'allow', reason: 'baseline-certificate-valid' },
  },
  {
    label: "3 vendor with another CA's certificate → blocked",
    request: {
      ...vendorAdmin,
      groups: [VENDORS_GROUP_ID],
      tags: ['valid-client-certificate'],
      certificate: contosoCertificate,
    },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'vendors-require-issued-certificate' },
  },
  {
    label: '3 vendor without certificate, even inside → blocked',
    request: { ...vendorAdmin, clientIp: '10.20.0.9', groups: [VENDORS_GROUP_ID] },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'vendors-require-issued-certificate' },
  },
  {
    label: '3 vendor certificate not validated (tag absent) → blocked',
    request: { ...vendorAdmin, groups: [VENDORS_GROUP_ID], certificate: vendorCertificate },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'vendors-require-issued-certificate' },
  },
  {
    label: '3 vendor admin by path on the portal host (resolved past case, dots and slashes) → blocked',
    request: {
      app: { host: 'portal.contoso.example', path: '/Admin/../admin//vms' },
      groups: [VENDORS_GROUP_ID],
      tags: ['valid-client-certificate'],
      certificate: contosoCertificate,
    },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'vendors-require-issued-certificate' },
  },
  {
    label: "3 vendors' groups unknown → fail closed",
    request: { ...vendorAdmin, clientIp: '10.20.0.9', groupsUnknown: true },
    expected: {
      effect: 'block',
      reason: 'policy-unknown-fail-closed',
      decidedBy: 'vendors-require-issued-certificate',
    },
  },
  // 4. Roll-out: the pilot user is enforced, everyone else report-only.
  {
    label: '4 pilot user inside, no certificate → blocked',
    request: { upn: PILOT_USER_UPN, clientIp: '10.20.0.1', app: { id: 'intranet-wiki' } },
    expected: { effect: 'block', reason: 'policy-block', decidedBy: 'pilot-require-certificate' },
  },
  {
    label: '4 other user inside, no certificate → report-only, allowed',
    request: { clientIp: '10.20.0.1', app: { id: 'intranet-wiki' } },
    expected: { effect: 'allow', reason: 'policy-allow', decidedBy: 'corporate-network-allow' },
  },
];

describe('demo policy configuration', () => {
  it('validates', () => {
    expect(validatePolicyConfiguration(DEMO_POLICY_CONFIGURATION).ok).toBe(true);
  });

  it.each(cases)('$label', ({ request, expected }) => {
    // As the pipeline does: a request given by host and path is for the registered app they resolve to.
    const app = request.app && request.app.id === undefined ? resolveApp(compiled.apps, request.app) : undefined;
    const resolved = app?.status === 'registered' ? { ...request, app: { ...request.app, id: app.id } } : request;
    const decision = evaluateAccess(accessRequest(resolved), compiled);
    expect({ effect: decision.effect, reason: decision.reason, decidedBy: decision.decidedBy }).toEqual({
      effect: expected.effect,
      reason: expected.reason,
      decidedBy: expected.decidedBy,
    });
  });

  it('4 report-only: evaluated and listed as applying, not enforced, no alert', () => {
    const decision = evaluateAccess(accessRequest({ clientIp: '10.20.0.1' }), compiled);
    const reportOnly = decision.policies.find((policy) => policy.id === 'everyone-require-certificate-report-only');
    expect(reportOnly).toMatchObject({ state: 'report-only', enforced: false, outcome: 'applies' });
    expect(decision.effect).toBe('allow');
    expect(decision.alerts).toEqual([]);
  });

  it('5 explain: every policy listed in priority order with the reason it did or did not apply', () => {
    const decision = evaluateAccess(accessRequest(), compiled);
    expect(decision.policies.map((policy) => [policy.id, policy.outcome])).toEqual([
      ['vendors-require-issued-certificate', 'does-not-apply'],
      ['block-external-without-certificate', 'applies'],
      ['finance-apps-require-managed-device', 'does-not-apply'],
      ['managed-devices-allow', 'does-not-apply'],
      ['finance-browser-unmanaged-monitor', 'does-not-apply'],
      ['pilot-require-certificate', 'does-not-apply'],
      ['everyone-require-certificate-report-only', 'applies'],
      ['legacy-browsers-block', 'disabled'],
      ['contoso-files-browse-allow', 'does-not-apply'],
      ['corporate-network-allow', 'does-not-apply'],
    ]);
    const vendors = decision.policies[0]!;
    expect(vendors.conditions.map((condition) => [condition.condition, condition.result])).toEqual([
      ['apps', 'no-match'],
      ['users', 'no-match'],
      ['certificate', 'match'],
    ]);
    const external = decision.policies[1]!;
    expect(external.conditions.map((condition) => [condition.condition, condition.result])).toEqual([
      ['apps', 'match'],
      ['users', 'match'],
      ['deviceTags', 'match'],
      ['locations', 'match'],
    ]);
    expect(decision.blockMessage).toBe('Outside the office this app needs a device with a Contoso certificate.');
    expect(decision.alerts).toEqual([{ policyId: 'block-external-without-certificate', severity: 'medium' }]);
  });
});
