/**
 * Session policies end to end on the local stack (the functions host, Azurite over a socket, the
 * dev PKI): managed at /api/manage/session-policies as access policies are at /api/manage/policies
 * (validation with paths and codes, ETags, an id shared with an access policy refused, export and
 * import carry them), and what-if shows the controls in force and their verdict for a described
 * response or upload: an unmanaged device's download is blocked, a certificate holder's is not, a
 * report-only policy reports. Assertions on codes and ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

let stack: Stack;

interface Issue {
  readonly path: string;
  readonly code: string;
}
interface Verdict {
  readonly action: string;
  readonly code: string;
  readonly rule?: string;
  readonly policyId?: string;
  readonly message?: string;
  readonly inspectBody?: boolean;
}
/** The parts of the API's answers this test reads. */
interface Answer {
  readonly error?: { readonly code: string; readonly issues: Issue[] };
  readonly items?: { readonly id: string }[];
  readonly controls?: { readonly files: { readonly extensions: string[] } }[];
  readonly sessionPolicies?: { readonly id: string }[];
  readonly changes?: { readonly kind: string; readonly id: string; readonly change: string }[];
  readonly effect?: string;
  readonly session?: {
    readonly inForce: { readonly policyId: string; readonly enforced: boolean }[];
    readonly policies: { readonly id: string; readonly outcome: string }[];
    readonly request: Verdict;
    readonly response?: Verdict;
  };
}
const key = () => ({ 'x-functions-key': 'sessions-function-key', authorization: `Bearer ${stack.tokens.adminToken}` });

beforeAll(async () => {
  stack = await startEphemeralStack('sessions', { CERTGATE_CONFIG_REFRESH_SECONDS: '0' });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function manage(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: { ...key(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: (text ? JSON.parse(text) : {}) as Answer,
  };
}

const HOST = 'files.sessions.example';
const noDownloads = {
  name: 'No downloads without a certificate',
  state: 'enabled',
  priority: 10,
  conditions: {
    apps: { include: [{ appId: 'files' }] },
    deviceTags: { notEquals: ['valid-client-certificate'] },
  },
  controls: [
    {
      type: 'block-download',
      files: { attachment: true, extensions: ['.XLSX'] },
      message: 'Downloads need a managed device.',
      alert: { severity: 'low' },
    },
  ],
};

describe('session policies through the management API and what-if', () => {
  it('an app and an access policy that lets anyone browse it', async () => {
    expect((await manage('PUT', 'apps/files', { name: 'Files', hosts: [{ host: HOST }] })).status).toBe(201);
    const browse = await manage('PUT', 'policies/files-browse', {
      name: 'Anyone may browse Files',
      state: 'enabled',
      priority: 50,
      conditions: { apps: { include: [{ appId: 'files' }] } },
      action: 'allow',
    });
    expect(browse.status).toBe(201);
  });

  it('refuses an invalid session policy, naming every problem', async () => {
    const answer = await manage('PUT', 'session-policies/broken', {
      ...noDownloads,
      controls: [{ type: 'block-print' }, { type: 'block-download', files: { contentTypes: ['text/html; q=1'] } }],
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error!.code).toBe('policy-invalid');
    expect(
      answer.body.error!.issues.map((issue: { path: string; code: string }) => `${issue.path} ${issue.code}`),
    ).toEqual(['controls[0].type invalid-value', 'controls[1].files.contentTypes[0] invalid-media-type']);
  });

  it('refuses a session policy with an access policy id, and one naming an app that is not registered', async () => {
    const same = await manage('PUT', 'session-policies/files-browse', noDownloads);
    expect(same.status).toBe(400);
    expect(same.body.error!.issues).toEqual([expect.objectContaining({ path: 'id', code: 'duplicate-id' })]);
    const missing = await manage('PUT', 'session-policies/elsewhere', {
      ...noDownloads,
      conditions: { apps: { include: [{ appId: 'nope' }] } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error!.issues).toEqual([
      expect.objectContaining({ path: 'conditions.apps.include[0].appId', code: 'unknown-app' }),
    ]);
  });

  it('creates, lists, replaces under an ETag (412 when stale) and normalises', async () => {
    const created = await manage('PUT', 'session-policies/no-downloads', noDownloads);
    expect(created.status).toBe(201);
    expect(created.body.controls![0]!.files.extensions).toEqual(['xlsx']);
    const listed = await manage('GET', 'session-policies');
    expect(listed.body.items!.map((item: { id: string }) => item.id)).toEqual(['no-downloads']);
    const again = await manage('PUT', 'session-policies/no-downloads', noDownloads);
    expect(again.status).toBe(409);
    const replaced = await manage(
      'PUT',
      'session-policies/no-downloads',
      { ...noDownloads, priority: 11 },
      {
        'if-match': created.etag!,
      },
    );
    expect(replaced.status).toBe(200);
    const stale = await manage(
      'PUT',
      'session-policies/no-downloads',
      { ...noDownloads, priority: 12 },
      {
        'if-match': created.etag!,
      },
    );
    expect(stale.status).toBe(412);
    // The access-policy collection does not list session policies.
    const policies = await manage('GET', 'policies');
    expect(policies.body.items!.map((item: { id: string }) => item.id)).toEqual(['files-browse']);
  });

  it('export carries them and import takes them back (dry run predicts no change)', async () => {
    const exported = await manage('GET', 'configuration');
    expect(exported.body.sessionPolicies!.map((policy: { id: string }) => policy.id)).toEqual(['no-downloads']);
    const dryRun = await manage('POST', 'configuration?dryRun=true', exported.body);
    expect(dryRun.status).toBe(200);
    // (An export holds the settings with their defaults, which the store may not hold yet: only session changes count.)
    const sessionChanges = (changes: { kind: string }[]) =>
      changes.filter((change) => change.kind === 'session-policy');
    expect(sessionChanges(dryRun.body.changes!)).toEqual([]);
    const withTrial = {
      ...exported.body,
      sessionPolicies: [
        ...exported.body.sessionPolicies!,
        {
          id: 'trial-uploads',
          name: 'Trial: no uploads',
          state: 'report-only',
          priority: 20,
          conditions: { apps: { include: [{ appId: 'files' }] } },
          controls: [{ type: 'block-upload' }],
        },
      ],
    };
    const imported = await manage('POST', 'configuration', withTrial);
    expect(imported.status).toBe(200);
    expect(sessionChanges(imported.body.changes!)).toEqual([
      { kind: 'session-policy', id: 'trial-uploads', change: 'add' },
    ]);
  });

  it('what-if: no certificate → browsing allowed, the download blocked, the upload reported', async () => {
    const answer = await manage('POST', 'whatif', {
      app: { host: HOST, path: '/files/q3.xlsx' },
      session: {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        response: { status: 200, headers: { 'content-disposition': 'ATTACHMENT; filename="q3.xlsx"' } },
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.effect).toBe('allow');
    const session = answer.body.session!;
    expect(
      session.inForce.map((policy: { policyId: string; enforced: boolean }) => [policy.policyId, policy.enforced]),
    ).toEqual([
      ['no-downloads', true],
      ['trial-uploads', false],
    ]);
    expect(session.response).toMatchObject({
      action: 'block',
      code: 'session-download-blocked',
      rule: 'attachment',
      policyId: 'no-downloads',
      message: 'Downloads need a managed device.',
    });
    expect(session.request).toMatchObject({ action: 'allow', code: 'session-allowed' });
    // The report-only multipart control can only judge the body: the guard would report it.
    expect(session.request.inspectBody).toBe(true);
  });

  it('what-if: a valid certificate → the download is allowed; a blocked request shows no session controls', async () => {
    const withCertificate = await manage('POST', 'whatif', {
      certificate: stack.pki.users.alice!.certPem,
      app: { host: HOST, path: '/files/q3.xlsx' },
      session: { response: { status: 200, headers: { 'content-disposition': 'attachment' } } },
    });
    expect(withCertificate.body.effect).toBe('allow');
    expect(withCertificate.body.session!.response).toMatchObject({ action: 'allow', code: 'session-allowed' });
    expect(
      withCertificate.body.session!.policies.map((trace: { id: string; outcome: string }) => [trace.id, trace.outcome]),
    ).toEqual([
      ['no-downloads', 'does-not-apply'],
      ['trial-uploads', 'applies'],
    ]);
    const otherApp = await manage('POST', 'whatif', { app: { host: 'portal.elsewhere.example', path: '/' } });
    expect(otherApp.body.effect).toBe('block');
    expect(otherApp.body.session).toBeUndefined();
  });

  it('deletes', async () => {
    expect((await manage('DELETE', 'session-policies/no-downloads')).status).toBe(204);
    expect((await manage('GET', 'session-policies/no-downloads')).status).toBe(404);
  });
});
