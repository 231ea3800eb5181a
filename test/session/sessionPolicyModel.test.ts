/**
 * Session policies in the model and their selection: validation answers with stable codes and
 * paths (unknown control type, empty file filter, bad media types / extensions / methods, markup
 * in messages, an id shared with an access policy, references to missing locations and apps),
 * values normalised (extensions, media types, methods), and `selectSessionControls`' rules
 * (disabled listed only, report-only not enforced, unknown conditions under each fail mode,
 * compiled once per configuration, nothing when none are configured). The demo's scenario too.
 */
import { describe, expect, it } from 'vitest';
import { FINANCE_GROUP_ID, VENDORS_GROUP_ID, demoPolicyConfiguration } from '../../dev/demoPolicies.js';
import { validatePolicyConfiguration, validateSessionPolicy } from '../../shared/policy/model.js';
import {
  checkRequest,
  checkResponse,
  compileSessionPolicies,
  selectSessionControls,
} from '../../shared/session/index.js';
import { accessRequest, configurationWith, sessionPolicy } from './sessionFixtures.js';

function issuesOf(json: unknown) {
  const validated = validateSessionPolicy(json);
  return validated.ok ? [] : validated.issues.map((issue) => ({ path: issue.path, code: issue.code }));
}

describe('session policy validation', () => {
  const cases: { label: string; controls: unknown; expected: { path: string; code: string }[] }[] = [
    {
      label: 'an unknown control type names the types',
      controls: [{ type: 'block-print' }],
      expected: [{ path: 'controls[0].type', code: 'invalid-value' }],
    },
    {
      label: 'a control without a type',
      controls: [{ message: 'x' }],
      expected: [{ path: 'controls[0].type', code: 'required' }],
    },
    { label: 'no controls', controls: [], expected: [{ path: 'controls', code: 'too-short' }] },
    {
      label: 'a download filter listing nothing',
      controls: [{ type: 'block-download', files: {} }],
      expected: [{ path: 'controls[0].files', code: 'empty-file-filter' }],
    },
    {
      label: 'attachment: false alone lists nothing',
      controls: [{ type: 'block-download', files: { attachment: false } }],
      expected: [{ path: 'controls[0].files', code: 'empty-file-filter' }],
    },
    {
      label: 'an upload filter listing nothing',
      controls: [{ type: 'block-upload', files: { multipartFile: false } }],
      expected: [{ path: 'controls[0].files', code: 'empty-file-filter' }],
    },
    {
      label: 'a media type with parameters',
      controls: [{ type: 'block-download', files: { contentTypes: ['text/html; charset=utf-8'] } }],
      expected: [{ path: 'controls[0].files.contentTypes[0]', code: 'invalid-media-type' }],
    },
    {
      label: 'a media type without a subtype',
      controls: [{ type: 'block-download', files: { contentTypes: ['application'] } }],
      expected: [{ path: 'controls[0].files.contentTypes[0]', code: 'invalid-media-type' }],
    },
    {
      label: 'an extension with a slash',
      controls: [{ type: 'block-download', files: { extensions: ['x/y'] } }],
      expected: [{ path: 'controls[0].files.extensions[0]', code: 'invalid-extension' }],
    },
    {
      label: 'a method with a space',
      controls: [{ type: 'block-upload', files: { methods: ['PU T'] } }],
      expected: [{ path: 'controls[0].files.methods[0]', code: 'invalid-method' }],
    },
    {
      label: 'a negative size',
      controls: [{ type: 'block-download', files: { largerThan: { bytes: -1 } } }],
      expected: [{ path: 'controls[0].files.largerThan.bytes', code: 'invalid-integer' }],
    },
    {
      label: 'an unknown unknownSize',
      controls: [{ type: 'block-download', files: { largerThan: { bytes: 1, unknownSize: 'maybe' } } }],
      expected: [{ path: 'controls[0].files.largerThan.unknownSize', code: 'invalid-value' }],
    },
    {
      label: 'markup in a message',
      controls: [{ type: 'block-download', message: '<script>x</script>' }],
      expected: [{ path: 'controls[0].message', code: 'invalid-text' }],
    },
    {
      label: 'a files filter on monitor',
      controls: [{ type: 'monitor', files: { attachment: true } }],
      expected: [{ path: 'controls[0].files', code: 'unknown-field' }],
    },
    {
      label: 'an upload criterion on a download control',
      controls: [{ type: 'block-download', files: { methods: ['PUT'] } }],
      expected: [
        { path: 'controls[0].files.methods', code: 'unknown-field' },
        { path: 'controls[0].files', code: 'empty-file-filter' },
      ],
    },
    {
      label: 'an alert without severity',
      controls: [{ type: 'block-upload', alert: {} }],
      expected: [{ path: 'controls[0].alert.severity', code: 'required' }],
    },
  ];
  it.each(cases)('$label', ({ controls, expected }) => {
    expect(issuesOf(sessionPolicy('p', controls as unknown[]))).toEqual(expected);
  });

  it('the access-policy fields that a session policy does not have are unknown', () => {
    expect(issuesOf({ ...sessionPolicy('p', [{ type: 'monitor' }]), action: 'block' })).toEqual([
      { path: 'action', code: 'unknown-field' },
    ]);
  });

  it('normalises extensions, media types and methods, and applies the default filters', () => {
    const validated = validateSessionPolicy(
      sessionPolicy('p', [
        { type: 'block-download', files: { extensions: ['.XLSX'], contentTypes: ['Application/PDF', 'Image/*'] } },
        { type: 'block-upload', files: { methods: ['put'] } },
        { type: 'block-download' },
        { type: 'block-upload' },
      ]),
    );
    expect(validated.ok).toBe(true);
    if (!validated.ok) return;
    expect(validated.value.controls).toEqual([
      { type: 'block-download', files: { extensions: ['xlsx'], contentTypes: ['application/pdf', 'image/*'] } },
      { type: 'block-upload', files: { methods: ['PUT'] } },
      { type: 'block-download', files: { attachment: true } },
      { type: 'block-upload', files: { multipartFile: true } },
    ]);
  });

  it('in a configuration: an id shared with an access policy, missing locations and apps', () => {
    const validated = validatePolicyConfiguration({
      schemaVersion: 1,
      policies: [{ id: 'same', name: 'A', state: 'enabled', priority: 1, conditions: {}, action: 'allow' }],
      sessionPolicies: [
        sessionPolicy('same', [{ type: 'monitor' }]),
        sessionPolicy('refs', [{ type: 'monitor' }], {
          conditions: { locations: { include: ['nowhere'] }, apps: { include: [{ appId: 'nope' }] } },
        }),
        sessionPolicy('refs', [{ type: 'monitor' }]),
      ],
    });
    expect(validated.ok).toBe(false);
    if (validated.ok) return;
    expect(validated.issues.map((issue) => `${issue.path} ${issue.code}`).sort()).toEqual(
      [
        'sessionPolicies[0].id duplicate-id',
        'sessionPolicies[1].conditions.apps.include[0].appId unknown-app',
        'sessionPolicies[1].conditions.locations.include[0] unknown-location',
        'sessionPolicies[2].id duplicate-id',
      ].sort(),
    );
  });

  it('a configuration without sessionPolicies reads as none (documents written before them)', () => {
    const validated = validatePolicyConfiguration({ schemaVersion: 1, policies: [] });
    expect(validated.ok && validated.value.sessionPolicies).toEqual([]);
  });
});

describe('selectSessionControls', () => {
  const download = [{ type: 'block-download' }];
  const monitor = [{ type: 'monitor' }];

  it('none configured: undefined (nothing allocated on the hot path)', () => {
    expect(selectSessionControls(configurationWith([]), accessRequest())).toBeUndefined();
  });

  it('priority order, disabled listed but not applied, report-only applied but not enforced', () => {
    const configuration = configurationWith([
      sessionPolicy('late', download, { priority: 30 }),
      sessionPolicy('off', download, { priority: 5, state: 'disabled' }),
      sessionPolicy('trial', download, { priority: 20, state: 'report-only' }),
      sessionPolicy('first', monitor, { priority: 10 }),
    ]);
    const selected = selectSessionControls(configuration, accessRequest());
    expect(selected?.trace.map((trace) => [trace.id, trace.outcome])).toEqual([
      ['off', 'disabled'],
      ['first', 'applies'],
      ['trial', 'applies'],
      ['late', 'applies'],
    ]);
    expect(selected?.policies.map((policy) => [policy.policyId, policy.enforced])).toEqual([
      ['first', true],
      ['trial', false],
      ['late', true],
    ]);
  });

  it('conditions that do not match: listed, not applied', () => {
    const configuration = configurationWith([
      sessionPolicy('unmanaged', download, { conditions: { deviceTags: { notEquals: ['valid-client-certificate'] } } }),
    ]);
    const managed = selectSessionControls(
      configuration,
      accessRequest({ deviceTags: new Set(['valid-client-certificate']) }),
    );
    expect(managed?.policies).toEqual([]);
    expect(managed?.trace[0]?.outcome).toBe('does-not-apply');
  });

  it('unknown conditions: block controls stay when the fail mode is closed (monitor does not record); open skips', () => {
    const policies = [
      sessionPolicy('graph', [...download, ...monitor], { conditions: { deviceTags: { notEquals: ['compliant'] } } }),
    ];
    const unknown = accessRequest({ unknownDeviceTags: new Set(['compliant']) });
    const closed = selectSessionControls(configurationWith(policies), unknown);
    expect(closed?.policies.map((policy) => [policy.outcome, policy.controls.map((control) => control.type)])).toEqual([
      ['unknown', ['block-download']],
    ]);
    const open = selectSessionControls(
      configurationWith(policies, { settings: { baseline: 'require-valid-certificate', failMode: 'open' } }),
      unknown,
    );
    expect(open?.policies).toEqual([]);
  });

  it('compiled once per configuration object', () => {
    const configuration = configurationWith([sessionPolicy('p', download)]);
    expect(compileSessionPolicies(configuration)).toBe(compileSessionPolicies(configuration));
    expect(compileSessionPolicies(configurationWith([sessionPolicy('p', download)]))).not.toBe(
      compileSessionPolicies(configuration),
    );
  });
});

describe('the demo: Contoso Files', () => {
  const demo = demoPolicyConfiguration();
  const files = { id: 'contoso-files', host: 'files.contoso.example', path: '/files/q3.xlsx' };
  const get = { method: 'GET', url: '/files/q3.xlsx?download=1', headers: new Headers() };
  const xlsx = {
    status: 200,
    headers: new Headers({ 'content-disposition': 'attachment; filename="q3.xlsx"', 'content-length': '2048' }),
  };
  const upload = {
    method: 'POST',
    url: '/upload',
    headers: new Headers({ 'content-type': 'multipart/form-data; boundary=b' }),
  };
  const user = (groups: string[]) => ({
    id: 'u',
    upn: 'u@contoso.example',
    groups: new Set(groups),
    groupsUnknown: false,
  });

  it('validates', () => {
    expect(validatePolicyConfiguration(demo).ok).toBe(true);
  });

  it('an unmanaged device can browse (the app allows it) but not download', () => {
    const controls = selectSessionControls(demo, accessRequest({ app: files, deviceTags: new Set() }));
    expect(checkResponse(controls, get, xlsx)).toMatchObject({
      action: 'block',
      policyId: 'files-unmanaged-no-downloads',
    });
    const page = { status: 200, headers: new Headers({ 'content-type': 'text/html' }) };
    expect(checkResponse(controls, { ...get, url: '/files' }, page).action).toBe('allow');
  });

  it.each([['valid-client-certificate'], ['compliant'], ['hybrid-joined']] as const)(
    'a managed device (%s) downloads unfettered',
    (tag) => {
      const controls = selectSessionControls(demo, accessRequest({ app: files, deviceTags: new Set([tag]) }));
      expect(checkResponse(controls, get, xlsx).action).toBe('allow');
    },
  );

  it('vendors cannot upload, even from a managed device; staff can', () => {
    const vendor = selectSessionControls(
      demo,
      accessRequest({ app: files, deviceTags: new Set(['compliant']), user: user([VENDORS_GROUP_ID]) }),
    );
    expect(checkRequest(vendor, upload)).toMatchObject({ action: 'allow', inspectBody: true });
    expect(checkRequest(vendor, { ...upload, method: 'PUT', headers: new Headers() })).toMatchObject({
      action: 'block',
      policyId: 'files-vendors-no-uploads',
      alert: { severity: 'medium' },
    });
    const staff = selectSessionControls(
      demo,
      accessRequest({ app: files, deviceTags: new Set(['compliant']), user: user([]) }),
    );
    expect(checkRequest(staff, upload)).toMatchObject({ action: 'allow' });
    expect(checkRequest(staff, upload).inspectBody).toBeUndefined();
  });

  it('Finance: large downloads are reported, not blocked', () => {
    const controls = selectSessionControls(
      demo,
      accessRequest({ app: files, deviceTags: new Set(['compliant']), user: user([FINANCE_GROUP_ID]) }),
    );
    const large = { status: 200, headers: new Headers({ 'content-length': String(60 * 1024 * 1024) }) };
    const verdict = checkResponse(controls, { ...get, url: '/files/archive.bin' }, large);
    expect(verdict.action).toBe('allow');
    expect(verdict.reportOnly.map((finding) => [finding.policyId, finding.rule])).toEqual([
      ['files-finance-large-downloads-report-only', 'size'],
    ]);
  });

  it('other apps get no session controls', () => {
    const controls = selectSessionControls(
      demo,
      accessRequest({ app: { id: 'contoso-portal', host: 'portal.contoso.example' }, deviceTags: new Set() }),
    );
    expect(controls?.policies).toEqual([]);
  });
});
