/**
 * The production Graph adapter (`createGraphDirectory`: the real Graph client and the real
 * @azure/identity credential chain, DefaultAzureCredential → EnvironmentCredential) against the
 * local Graph stand-in over https on 127.0.0.1: membership (nested), limits, devices,
 * certificateUserIds, group lookups, Conditional Access paging, batching, and every failure mapped
 * to its DirectoryError kind (throttled with Retry-After, unavailable, timeout, denied, malformed
 * answers); off-path retries honour Retry-After, the decision path never retries. A watch on
 * Socket#connect (Node's, not ours) checks that nothing tried to leave loopback (no instance
 * discovery, no IMDS probe). Second stand-ins (other permissions) sign in with an explicit
 * ClientSecretCredential (authorityHost + disableInstanceDiscovery).
 * Needs `NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt` (set by the npm scripts).
 */
import { Socket } from 'node:net';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FINANCE_GROUP_ID, VENDORS_GROUP_ID } from '../../dev/demoPolicies.js';
import { startGraphStandIn, type GraphStandIn } from '../../dev/graph/index.js';
import { DEV_DEVICE } from '../../dev/pki/index.js';
import { devObjectIdFor } from '../../dev/tokens/mint.js';
import { createGraphDirectory } from '../../shared/adapters/graphDirectory.js';
import {
  directoryErrorForStatus,
  isTransientDirectoryError,
  parseRetryAfter,
} from '../../shared/adapters/graphErrors.js';
import { loadConfig, type AppConfig } from '../../shared/config.js';
import { DirectoryError, type Directory, type DirectoryOutcome, type DirectoryQuestion } from '../../shared/ports.js';

/**
 * Every host a socket of this process was asked to connect to (http, https and fetch all go through Socket#connect).
 */
const connectTargets = new Set<string>();
// Kept to call through and to put back; it is always called with a socket as `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const socketConnect = Socket.prototype.connect;
function targetOf(args: readonly unknown[]): string {
  const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const { host, path } = first as { host?: unknown; path?: unknown };
    if (typeof path === 'string') return `unix:${path}`;
    return typeof host === 'string' ? host : 'localhost';
  }
  if (typeof first === 'number') return typeof args[1] === 'string' ? args[1] : 'localhost';
  return String(first);
}
Socket.prototype.connect = function connectWatched(this: Socket, ...args: unknown[]): Socket {
  connectTargets.add(targetOf(args));
  return (socketConnect as (...inner: unknown[]) => Socket).apply(this, args);
};

const ALL_STAFF = '9a630510-0157-4e36-bb3a-add5e31234b6';
const FINANCE_APPROVERS = 'f9bb1ef4-714c-4bc8-a2b7-7d33d9b6a5f6';
const ALICE = devObjectIdFor('alice@contoso.example');
const NOBODY = '11111111-2222-4333-8444-555555555555';
const NON_COMPLIANT_DEVICE = 'df2fcf4f-d535-4da6-9402-609bdd80ad1d';
const DISABLED_DEVICE = '5df73414-42df-42f8-b283-3823f3ae19e6';
const REGISTERED_DEVICE = '533a9cae-3392-4de3-a6d0-3c546604f3de';

let standIn: GraphStandIn;
let directory: Directory;
const savedEnvironment = new Map<string, string | undefined>();

/** The app's Graph settings for a stand-in, through the real config loader. */
function graphSettings(url: string, timeoutMs = 2000): AppConfig['graph'] {
  return loadConfig({
    CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
    CERTGATE_GATEWAY_SECRETS: 'graph-directory-test-secret',
    CERTGATE_GRAPH_BASE_URL: url,
    CERTGATE_GRAPH_TIMEOUT_MS: String(timeoutMs),
  }).graph;
}

function setEnvironment(values: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!savedEnvironment.has(name)) savedEnvironment.set(name, process.env[name]);
    process.env[name] = value;
  }
}

/**
 * An adapter for a second stand-in, signing in with an explicit ClientSecretCredential: the
 * environment belongs to the main stand-in, and @azure/identity reads part of it (the authority
 * host) when it asks for a token, so it cannot be switched per adapter.
 */
function directoryFor(target: GraphStandIn, clientSecret: string = target.clientSecret): Directory {
  const credential = new ClientSecretCredential(target.tenantId, target.clientId, clientSecret, {
    authorityHost: target.url,
    disableInstanceDiscovery: true,
  });
  return createGraphDirectory(graphSettings(target.url), credential);
}

function errorOf(outcome: DirectoryOutcome | undefined): DirectoryError {
  if (outcome === undefined || outcome.ok) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

async function rejection(promise: Promise<unknown>): Promise<DirectoryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw error;
  }
  throw new Error('expected a DirectoryError');
}

const memberGroups = (userId: string, groupIds: readonly string[]): DirectoryQuestion => ({
  kind: 'member-groups',
  userId,
  groupIds,
});
const device = (deviceId: string): DirectoryQuestion => ({ kind: 'device', deviceId });
const certificateUserIds = (userId: string): DirectoryQuestion => ({ kind: 'certificate-user-ids', userId });

beforeAll(async () => {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined)
    throw new Error('run with NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt (the npm scripts set it)');
  standIn = await startGraphStandIn();
  setEnvironment(standIn.credentialEnvironment());
  directory = createGraphDirectory(graphSettings(standIn.url));
});

afterAll(async () => {
  Socket.prototype.connect = socketConnect;
  await standIn.close();
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
});

afterEach(() => {
  standIn.faults.clear();
  standIn.reset();
});

describe('questions on the decision path', () => {
  it.each([
    {
      label: 'dave, through two levels of nesting',
      user: 'dave@contoso.example',
      expected: [ALL_STAFF, FINANCE_GROUP_ID, FINANCE_APPROVERS],
    },
    { label: 'carol, through Finance', user: 'carol@contoso.example', expected: [ALL_STAFF, FINANCE_GROUP_ID] },
    { label: 'alice, by object id', user: ALICE, expected: [ALL_STAFF] },
    { label: 'an unknown user (404): no group', user: NOBODY, expected: [] },
  ])('member-groups is transitive: $label', async ({ user, expected }) => {
    const [outcome] = await directory.answer([
      memberGroups(user, [ALL_STAFF, FINANCE_GROUP_ID, FINANCE_APPROVERS, VENDORS_GROUP_ID]),
    ]);
    expect(outcome).toEqual({ ok: true, value: expected });
    expect(standIn.calls()).toMatchObject({ total: 1, byRoute: { checkMemberGroups: 1 } });
  });

  it('keeps the group ids as the caller spelled them', async () => {
    const [outcome] = await directory.answer([memberGroups(ALICE, [ALL_STAFF.toUpperCase()])]);
    expect(outcome).toEqual({ ok: true, value: [ALL_STAFF.toUpperCase()] });
  });

  it('refuses more than 20 group ids in a question and more than 20 questions, without calling Graph', async () => {
    const groupIds = Array.from({ length: 21 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const [tooManyIds] = await directory.answer([memberGroups(ALICE, groupIds)]);
    expect(errorOf(tooManyIds).kind).toBe('invalid');
    const [twenty] = await directory.answer([memberGroups(ALICE, groupIds.slice(0, 20))]);
    expect(twenty).toEqual({ ok: true, value: [] });
    const error = await rejection(directory.answer(Array.from({ length: 21 }, () => device(DEV_DEVICE.entraDeviceId))));
    expect(error.kind).toBe('invalid');
    expect(standIn.calls().total).toBe(1);
  });

  it.each([
    {
      label: "the dev PKI's device: compliant, hybrid joined",
      deviceId: DEV_DEVICE.entraDeviceId,
      expected: { accountEnabled: true, isCompliant: true, isManaged: true, trustType: 'ServerAd' },
    },
    {
      label: 'a non-compliant device',
      deviceId: NON_COMPLIANT_DEVICE,
      expected: { accountEnabled: true, isCompliant: false, trustType: 'AzureAd' },
    },
    { label: 'a disabled device', deviceId: DISABLED_DEVICE, expected: { accountEnabled: false } },
    {
      label: 'a registered, unmanaged device (nulls)',
      deviceId: REGISTERED_DEVICE,
      expected: { isCompliant: null, isManaged: null, trustType: 'Workplace' },
    },
  ])('device: $label', async ({ deviceId, expected }) => {
    const [outcome] = await directory.answer([device(deviceId)]);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.ok === true ? outcome.value : undefined).toMatchObject({ deviceId, ...expected });
  });

  it('device: null when Graph has none; invalid, without a call, when the id is not a GUID', async () => {
    expect(await directory.answer([device(NOBODY)])).toEqual([{ ok: true, value: null }]);
    const [malformed] = await directory.answer([device("x' or deviceId ne '")]);
    expect(errorOf(malformed).kind).toBe('invalid');
    expect(standIn.calls().total).toBe(1);
  });

  it('certificate-user-ids: the list, empty, or null for an unknown user', async () => {
    const outcomes = await directory.answer([certificateUserIds(ALICE)]);
    expect(outcomes).toEqual([
      { ok: true, value: ['X509:<PN>alice@contoso.example', 'X509:<RFC822>alice@contoso.example'] },
    ]);
    expect(await directory.answer([certificateUserIds('carol@contoso.example')])).toEqual([{ ok: true, value: [] }]);
    expect(await directory.answer([certificateUserIds('nobody@contoso.example')])).toEqual([{ ok: true, value: null }]);
  });

  it('asks 2–20 questions in one JSON batch and answers each in order', async () => {
    const outcomes = await directory.answer([
      memberGroups('dave@contoso.example', [ALL_STAFF, VENDORS_GROUP_ID]),
      device(DEV_DEVICE.entraDeviceId),
      certificateUserIds('bob@contoso.example'),
      device(NOBODY),
      memberGroups(NOBODY, [ALL_STAFF]),
      memberGroups(ALICE, []),
      device('not-a-guid'),
    ]);
    expect(outcomes[0]).toEqual({ ok: true, value: [ALL_STAFF] });
    expect(outcomes[1]).toMatchObject({ ok: true, value: { deviceId: DEV_DEVICE.entraDeviceId, isCompliant: true } });
    expect(outcomes[2]).toEqual({ ok: true, value: ['X509:<PN>bob@contoso.example'] });
    expect(outcomes[3]).toEqual({ ok: true, value: null });
    expect(outcomes[4]).toEqual({ ok: true, value: [] });
    expect(outcomes[5]).toEqual({ ok: true, value: [] });
    expect(errorOf(outcomes[6]).kind).toBe('invalid');
    expect(standIn.calls()).toMatchObject({
      total: 1,
      byRoute: { batch: 1 },
      inBatch: { checkMemberGroups: 2, devices: 2, user: 1 },
    });
  });

  it('keeps its connections alive across calls', async () => {
    for (let i = 0; i < 8; i += 1) await directory.answer([device(DEV_DEVICE.entraDeviceId)]);
    expect(standIn.calls().total).toBe(8);
    expect(standIn.calls().connections).toBeLessThanOrEqual(1);
  });
});

describe('failures on the decision path: a DirectoryError of the right kind, never a retry', () => {
  const pair = [device(DEV_DEVICE.entraDeviceId), certificateUserIds(ALICE)];

  it('429 → throttled with the Retry-After seconds, for one question and for each question of a batch', async () => {
    standIn.faults.set({ throttle: { retryAfterSeconds: 7 } });
    const [single] = await directory.answer([device(DEV_DEVICE.entraDeviceId)]);
    expect(errorOf(single)).toMatchObject({ kind: 'throttled', retryAfterSeconds: 7, status: 429 });
    const batch = await directory.answer(pair);
    expect(batch.map((outcome) => errorOf(outcome))).toEqual([
      expect.objectContaining({ kind: 'throttled', retryAfterSeconds: 7, status: 429 }),
      expect.objectContaining({ kind: 'throttled', retryAfterSeconds: 7, status: 429 }),
    ]);
    expect(standIn.calls()).toMatchObject({ total: 2, byRoute: { devices: 1, batch: 1 } });
  });

  it('a throttled batch envelope rejects the round trip as throttled', async () => {
    standIn.faults.set({ throttle: { routes: ['batch'], retryAfterSeconds: 4 } });
    expect(await rejection(directory.answer(pair))).toMatchObject({ kind: 'throttled', retryAfterSeconds: 4 });
  });

  it.each([
    { label: '503', fault: { status: 503 as const }, expected: { kind: 'unavailable', status: 503 } },
    { label: '500', fault: { status: 500 as const }, expected: { kind: 'unavailable', status: 500 } },
    {
      label: '503 with Retry-After',
      fault: { status: 503 as const, retryAfterSeconds: 3 },
      expected: { kind: 'throttled', status: 503, retryAfterSeconds: 3 },
    },
  ])('$label → $expected.kind, directly and inside a batch', async ({ fault, expected }) => {
    standIn.faults.set({ serverError: fault });
    expect(errorOf((await directory.answer([device(DEV_DEVICE.entraDeviceId)]))[0])).toMatchObject(expected);
    expect(errorOf((await directory.answer(pair))[1])).toMatchObject(expected);
    expect(standIn.calls().total).toBe(2);
  });

  it('an answer later than the time-out → timeout (the round trip rejects)', async () => {
    standIn.faults.set({ latency: { delayMs: 10_000 } });
    expect((await rejection(directory.answer([device(DEV_DEVICE.entraDeviceId)], { timeoutMs: 150 }))).kind).toBe(
      'timeout',
    );
    expect((await rejection(directory.answer(pair, { timeoutMs: 150 }))).kind).toBe('timeout');
  });

  it('malformed JSON → unavailable, directly, inside a batch, and for the batch envelope', async () => {
    standIn.faults.set({ malformed: {} });
    expect(errorOf((await directory.answer([device(DEV_DEVICE.entraDeviceId)]))[0]).kind).toBe('unavailable');
    expect((await directory.answer(pair)).map((outcome) => errorOf(outcome).kind)).toEqual([
      'unavailable',
      'unavailable',
    ]);
    standIn.faults.set({ malformed: { routes: ['batch'] } });
    expect((await rejection(directory.answer(pair))).kind).toBe('unavailable');
  });

  it('a missing Graph permission → denied; a credential that cannot sign in → unavailable (no token)', async () => {
    const limited = await startGraphStandIn({
      directory: { ...standIn.directory, application: { ...standIn.directory.application, roles: ['User.Read.All'] } },
    });
    try {
      const outcomes = await directoryFor(limited).answer([device(DEV_DEVICE.entraDeviceId)]);
      expect(errorOf(outcomes[0])).toMatchObject({ kind: 'denied', status: 403 });
      const wrongSecret = directoryFor(limited, 'certgate-wrong-secret-0000000');
      const error = await rejection(wrongSecret.answer([device(DEV_DEVICE.entraDeviceId)]));
      expect(error.kind).toBe('unavailable');
      expect(limited.calls().total).toBe(1);
    } finally {
      await limited.close();
    }
  });
});

describe('off the decision path', () => {
  it('findGroups: 45 ids (groups, a user, a device, unknown GUIDs, a non-GUID) → only the groups, keyed as given, in 3 batches of at most 20', async () => {
    const unknown = Array.from({ length: 38 }, (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`);
    const devDevice = standIn.directory.devices.find((candidate) => candidate.deviceId === DEV_DEVICE.entraDeviceId);
    if (devDevice === undefined) throw new Error('the dev directory lost the dev PKI device');
    const ids = [
      ALL_STAFF.toUpperCase(),
      ...unknown,
      ALICE,
      devDevice.id,
      devDevice.deviceId,
      'not-a-guid',
      VENDORS_GROUP_ID,
      VENDORS_GROUP_ID,
    ];
    expect(ids).toHaveLength(45);
    const found = await directory.findGroups(ids);
    expect(new Map(found)).toEqual(
      new Map([
        [ALL_STAFF.toUpperCase(), 'All Staff'],
        [VENDORS_GROUP_ID, 'Vendors'],
      ]),
    );
    // 43 distinct GUIDs (the non-GUID is never sent): 3 batches of at most 20
    expect(standIn.calls().byRoute.batch).toBe(3);
    expect(standIn.calls().inBatch.group).toBe(43);
    expect(await directory.findGroups([])).toEqual(new Map());
    expect(standIn.calls().byRoute.batch).toBe(3);
    const groupReader = await startGraphStandIn({
      directory: {
        ...standIn.directory,
        application: { ...standIn.directory.application, roles: ['GroupMember.Read.All'] },
      },
    });
    try {
      expect(new Map(await directoryFor(groupReader).findGroups([VENDORS_GROUP_ID]))).toEqual(
        new Map([[VENDORS_GROUP_ID, 'Vendors']]),
      );
    } finally {
      await groupReader.close();
    }
  });

  it('findGroups without a group-reading permission: denied, not retried, even when another item of the batch was throttled', async () => {
    const limited = await startGraphStandIn({
      directory: {
        ...standIn.directory,
        application: {
          ...standIn.directory.application,
          roles: ['User.Read.All', 'Device.Read.All', 'Policy.Read.All'],
        },
      },
    });
    try {
      const error = await rejection(directoryFor(limited).findGroups([ALL_STAFF]));
      expect(error).toMatchObject({ kind: 'denied', status: 403 });
      expect(limited.calls().byRoute.batch).toBe(1);
      // The first item answers 429, the second 403: the 403 decides, and nothing is retried.
      limited.faults.set({ throttle: { requests: 1, retryAfterSeconds: 1, routes: ['group'] } });
      const mixed = await rejection(directoryFor(limited).findGroups([ALL_STAFF, VENDORS_GROUP_ID]));
      expect(mixed).toMatchObject({ kind: 'denied', status: 403 });
      expect(limited.calls().byRoute.batch).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it("listConditionalAccessPolicies follows every @odata.nextLink and maps Graph's shape", async () => {
    const policies = await directory.listConditionalAccessPolicies();
    expect(policies.map((policy) => policy.id)).toEqual(
      standIn.directory.conditionalAccessPolicies.map((policy) => policy.id),
    );
    expect(standIn.calls().byRoute.conditionalAccessPolicies).toBe(
      Math.ceil(policies.length / standIn.directory.conditionalAccessPageSize),
    );
    const routed = policies.find((policy) => policy.displayName === 'certgate: route Contoso Portal sessions');
    expect(routed).toMatchObject({
      state: 'enabled',
      conditions: {
        applications: { includeApplications: ['fe2b3f77-ef40-4f03-b910-a5b109d4b849'] },
        clientAppTypes: ['browser', 'mobileAppsAndDesktopClients'],
      },
      grantControls: null,
      sessionControls: { cloudAppSecurity: { isEnabled: true, cloudAppSecurityType: 'mcasConfigured' } },
    });
    expect(new Set(policies.map((policy) => policy.state))).toEqual(
      new Set(['enabled', 'disabled', 'enabledForReportingButNotEnforced']),
    );
  });

  it('retries a throttled call after its Retry-After and succeeds', async () => {
    standIn.faults.set({ throttle: { requests: 1, retryAfterSeconds: 1, routes: ['conditionalAccessPolicies'] } });
    const policies = await directory.listConditionalAccessPolicies();
    expect(policies).toHaveLength(standIn.directory.conditionalAccessPolicies.length);
    expect(standIn.calls().byRoute.conditionalAccessPolicies).toBe(
      Math.ceil(policies.length / standIn.directory.conditionalAccessPageSize) + 1,
    );
    standIn.reset();
    standIn.faults.set({ throttle: { requests: 1, retryAfterSeconds: 1, routes: ['group'] } });
    expect(new Map(await directory.findGroups([VENDORS_GROUP_ID, ALL_STAFF]))).toEqual(
      new Map([
        [VENDORS_GROUP_ID, 'Vendors'],
        [ALL_STAFF, 'All Staff'],
      ]),
    );
    // One item of the first batch was throttled: the whole chunk is asked again, once.
    expect(standIn.calls().byRoute.batch).toBe(2);
    expect(standIn.calls().inBatch.group).toBe(4);
  });

  it('gives up after three tries, with the last error', async () => {
    standIn.faults.set({ serverError: { status: 503, retryAfterSeconds: 1, requests: 10, routes: ['group'] } });
    const error = await rejection(directory.findGroups([ALL_STAFF]));
    expect(error).toMatchObject({ kind: 'throttled', status: 503, retryAfterSeconds: 1 });
    expect(isTransientDirectoryError(error)).toBe(true);
    expect(standIn.calls().byRoute.batch).toBe(3);
    expect(standIn.calls().inBatch.group).toBe(3);
  });

  it('does not retry what another try cannot fix (denied)', async () => {
    const limited = await startGraphStandIn({
      directory: {
        ...standIn.directory,
        application: { ...standIn.directory.application, roles: ['Device.Read.All'] },
      },
    });
    try {
      const error = await rejection(directoryFor(limited).listConditionalAccessPolicies());
      expect(error.kind).toBe('denied');
      expect(limited.calls().byRoute.conditionalAccessPolicies).toBe(1);
    } finally {
      await limited.close();
    }
  });
});

describe('error mapping', () => {
  const now = new Date('2025-06-01T12:00:00Z');

  it.each([
    { value: '5', expected: 5 },
    { value: ' 0 ', expected: 0 },
    { value: '1.2', expected: 2 },
    { value: 'Sun, 01 Jun 2025 12:00:30 GMT', expected: 30 },
    { value: 'Sun, 01 Jun 2025 11:59:00 GMT', expected: 0 },
    { value: 'soon', expected: undefined },
    { value: null, expected: undefined },
  ])('Retry-After $value → $expected s', ({ value, expected }) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    { status: 429, retryAfter: 2, kind: 'throttled' },
    { status: 503, retryAfter: 2, kind: 'throttled' },
    { status: 503, retryAfter: undefined, kind: 'unavailable' },
    { status: 504, retryAfter: undefined, kind: 'unavailable' },
    { status: 500, retryAfter: undefined, kind: 'unavailable' },
    { status: 408, retryAfter: undefined, kind: 'timeout' },
    { status: 401, retryAfter: undefined, kind: 'denied' },
    { status: 403, retryAfter: undefined, kind: 'denied' },
    { status: 400, retryAfter: undefined, kind: 'invalid' },
    { status: 404, retryAfter: undefined, kind: 'invalid' },
  ])('HTTP $status (Retry-After $retryAfter) → $kind', ({ status, retryAfter, kind }) => {
    expect(directoryErrorForStatus(status, retryAfter, { error: { code: 'x', message: 'y' } }, 'test')).toMatchObject({
      kind,
      status,
      retryAfterSeconds: retryAfter,
    });
  });
});

describe('network', () => {
  it('never left loopback: no instance discovery, no IMDS probe', () => {
    expect(connectTargets.size).toBeGreaterThan(0);
    for (const target of connectTargets) expect(target).toMatch(/^(127\.\d+\.\d+\.\d+|::1|localhost)$/);
  });
});
