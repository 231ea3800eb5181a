/**
 * A storage account that hangs (accepts connections, never answers): the app's functions on the
 * local host, real HTTP, Azurite behind a switchable TCP proxy, the dev PKI. Cached decisions keep
 * answering, a worker with nothing cached fails closed (503) within the storage deadline, the
 * management API answers 503 within its own deadline, health says `degraded` and stays 200, and
 * everything recovers by itself when storage answers again. Timing bounds here are correctness
 * bounds ("answers before the storage call could have timed out", "answers at all before the hang
 * ends"), never performance targets.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { hostJsonRoutePrefix, startFunctionsHost, type FunctionsHost } from '../../dev/host/server.js';
import { ensureDevPki, type DevPki } from '../../dev/pki/index.js';
import { BlobCrlArchive } from '../../shared/adapters/blobCrlArchive.js';
import { BlobPostureReports } from '../../shared/adapters/blobPostureReports.js';
import { createContainerClient, createTableClient } from '../../shared/adapters/storageClients.js';
import { TablePolicyStore } from '../../shared/adapters/tablePolicyStore.js';
import { TableTrustedCaStore } from '../../shared/adapters/tableTrustedCaStore.js';
import { StoreError } from '../../shared/ports.js';
import { startHangingProxy, type HangingProxy } from '../support/hangingProxy.js';

const DECISION_DEADLINE_MS = 3_000;
const MANAGE_DEADLINE_MS = 4_000;
/** Well under the decision deadline: an answer this fast did not wait for a storage call to time out. */
const NO_STORAGE_WAIT_MS = DECISION_DEADLINE_MS / 2;
const SLACK_MS = 3_000;
const secret = 'hang-gateway-secret-0123456789';
const functionKey = 'hang-function-key';

let azurite: Azurite;
let tables: HangingProxy;
let blobs: HangingProxy;
let host: FunctionsHost;
let pki: DevPki;
let pkiDir: string;
let connectionString: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hang(on: boolean): void {
  tables.hang(on);
  blobs.hang(on);
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
}

async function authorize(user: 'alice' | 'bob' | 'untrusted') {
  const res = await fetch(`${host.url}/api/authorize`, {
    headers: {
      'x-certgate-gateway-secret': secret,
      'x-client-certificate': encodeURIComponent(pki.users[user]!.certPem),
      accept: 'application/json',
    },
  });
  return { status: res.status, body: (await res.json()) as { decision: string; reasons: string[] } };
}

async function health() {
  const res = await fetch(`${host.url}/api/health`);
  return {
    status: res.status,
    body: (await res.json()) as {
      status: string;
      reasons?: string[];
      storage: { reachable: boolean; since?: string; code?: string };
    },
  };
}

async function manage(method: string, path: string, body?: unknown) {
  const res = await fetch(`${host.url}/api/manage/${path}`, {
    method,
    headers: { 'x-functions-key': functionKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as { error?: { code: string } } };
}

/** Polls until `check` passes (or the bound passes, then the last failure is thrown). */
async function eventually(check: () => Promise<void>, boundMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await check();
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > boundMs) throw error;
      await sleep(100);
    }
  }
}

/** Health probes: the one-row query of the trusted CA table that only the health probe sends. */
const probesSeen = () => tables.requests.filter((line) => /TrustedCas\(\)\?.*top=1/i.test(line)).length;

beforeAll(async () => {
  azurite = await startAzurite();
  tables = await startHangingProxy(azurite.endpoints.table);
  blobs = await startHangingProxy(azurite.endpoints.blob);
  const through = (endpoint: string, proxy: HangingProxy) => `${proxy.origin}${new URL(endpoint).pathname}`;
  connectionString = azurite.connectionString
    .replace(`TableEndpoint=${azurite.endpoints.table}`, `TableEndpoint=${through(azurite.endpoints.table, tables)}`)
    .replace(`BlobEndpoint=${azurite.endpoints.blob}`, `BlobEndpoint=${through(azurite.endpoints.blob, blobs)}`);
  pkiDir = mkdtempSync(join(tmpdir(), 'certgate-hang-'));
  pki = await ensureDevPki({ dir: pkiDir, crlBaseUrl: 'http://127.0.0.1:9', now: new Date() });
  Object.assign(process.env, {
    CERTGATE_STORAGE_CONNECTION_STRING: connectionString,
    CERTGATE_TABLE_PREFIX: 'hang',
    CERTGATE_GATEWAY_SECRETS: secret,
    CERTGATE_GRAPH_ENABLED: 'false',
    CERTGATE_CONFIG_REFRESH_SECONDS: '1',
    CERTGATE_STORAGE_TIMEOUT_MS: String(DECISION_DEADLINE_MS),
    CERTGATE_MANAGE_STORAGE_TIMEOUT_MS: String(MANAGE_DEADLINE_MS),
  });
  installFunctionsCore();
  const dir = fileURLToPath(new URL('../../functions', import.meta.url));
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort())
    await import(pathToFileURL(join(dir, file)).href);
  host = await startFunctionsHost({
    routePrefix: hostJsonRoutePrefix(),
    functions: registeredFunctions(),
    port: 0,
    functionKeys: [functionKey],
    masterKey: 'hang-master-key',
  });
  for (const ca of [pki.root, pki.intermediate]) {
    const added = await manage('POST', 'cas', {
      pem: ca.certPem,
      label: 'dev',
      revocation: { mode: 'off', unknown: 'allow-and-alert' },
    });
    expect(added.status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  hang(false);
  await host.close();
  await tables.close();
  await blobs.close();
  await azurite.close();
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

describe('every storage adapter gives up at its deadline', () => {
  it.each([
    { label: 'policy version (table)', call: (s: ReturnType<typeof adapters>) => s.policies.version() },
    { label: 'policy list (table)', call: (s: ReturnType<typeof adapters>) => s.policies.list() },
    { label: 'trusted CA list (table)', call: (s: ReturnType<typeof adapters>) => s.cas.list() },
    { label: 'trusted CA ping (table)', call: (s: ReturnType<typeof adapters>) => s.cas.ping() },
    { label: 'archived CRL (blob)', call: (s: ReturnType<typeof adapters>) => s.crls.get('http://crl.example/x.crl') },
    { label: 'posture report (blob)', call: (s: ReturnType<typeof adapters>) => s.posture.latest() },
  ])('$label: StoreError unavailable, deadline exceeded', async ({ call }) => {
    const deadlineMs = 500;
    // Fresh clients: the containers and tables are created on first use, through the hang.
    const stores = adapters(deadlineMs);
    hang(true);
    try {
      const { ms, value } = await timed(() =>
        call(stores).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
      expect(value).toBeInstanceOf(StoreError);
      expect((value as StoreError).code).toBe('unavailable');
      expect((value as StoreError).message).toMatch(/deadline exceeded/);
      expect(ms).toBeLessThan(deadlineMs + SLACK_MS);
    } finally {
      hang(false);
    }
  });
});

function adapters(deadlineMs: number) {
  const storage = { kind: 'connection-string' as const, connectionString };
  const clock = { now: () => new Date() };
  const options = { deadlineMs };
  return {
    policies: new TablePolicyStore(
      createTableClient(storage, 'deadlinePolicies', options),
      createTableClient(storage, 'deadlineAudit', options),
      clock,
    ),
    cas: new TableTrustedCaStore(createTableClient(storage, 'deadlineCas', options)),
    crls: new BlobCrlArchive(createContainerClient(storage, 'deadline-crls'), options),
    posture: new BlobPostureReports(createContainerClient(storage, 'deadline-reports'), options),
  };
}

describe('storage hangs', () => {
  it('a worker with nothing cached fails closed with 503 within the deadline; manage answers 503 within its own; health says degraded', async () => {
    hang(true);
    try {
      const cold = await timed(() => authorize('alice'));
      expect(cold.value.status).toBe(503);
      expect(cold.value.body.reasons).toEqual(['decision-unavailable']);
      expect(cold.ms).toBeLessThan(DECISION_DEADLINE_MS + SLACK_MS);

      const listed = await timed(() => manage('GET', 'cas'));
      expect(listed.value.status).toBe(503);
      expect(listed.value.body.error?.code).toBe('store-unavailable');
      expect(listed.ms).toBeLessThan(MANAGE_DEADLINE_MS + SLACK_MS);

      await eventually(async () => {
        const answer = await health();
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
          status: 'degraded',
          storage: { reachable: false, since: expect.any(String) },
        });
      }, 5_000);
    } finally {
      hang(false);
    }
    // Recovers by itself: no restart, no admin action.
    await eventually(async () => {
      expect((await authorize('alice')).status).toBe(200);
    }, 10_000);
  });

  it('cached decisions keep answering (without waiting for storage) while it hangs, health stays 200 degraded, and all recovers', async () => {
    expect((await authorize('alice')).status).toBe(200);
    hang(true);
    try {
      // Long enough for every cache to be due for a refresh (1 s) several times over.
      const until = performance.now() + 3_500;
      while (performance.now() < until) {
        for (const [user, status] of [
          ['alice', 200],
          ['bob', 200],
          ['untrusted', 403],
        ] as const) {
          const { ms, value } = await timed(() => authorize(user));
          expect({ user, status: value.status }).toEqual({ user, status });
          expect(ms).toBeLessThan(NO_STORAGE_WAIT_MS);
        }
        await sleep(100);
      }
      await eventually(async () => {
        const answer = await health();
        expect(answer.status).toBe(200);
        expect(answer.body.status).toBe('degraded');
        expect(answer.body.reasons).toContain('storage-timeout');
      }, 5_000);
    } finally {
      hang(false);
    }
    await eventually(async () => {
      expect((await health()).body).toMatchObject({ status: 'healthy', storage: { reachable: true } });
    }, 10_000);
    expect((await manage('GET', 'cas')).status).toBe(200);
    expect((await authorize('alice')).status).toBe(200);
  });
});

describe('health under load', () => {
  it.each([
    { hanging: false, status: 'healthy' },
    { hanging: true, status: 'degraded' },
  ])(
    '500 concurrent calls (storage hanging: $hanging): all 200 $status, at most one storage probe',
    async ({ hanging, status }) => {
      await eventually(async () => {
        expect((await health()).body.status).toBe('healthy');
      }, 10_000);
      hang(hanging);
      try {
        if (hanging) {
          await eventually(async () => {
            expect((await health()).body.status).toBe('degraded');
          }, 5_000);
        }
        // Let the cached probe result expire so this burst needs a new one.
        await sleep(2_500);
        const before = probesSeen();
        const answers = await Promise.all(Array.from({ length: 500 }, () => health()));
        expect(answers.filter((a) => a.status !== 200)).toEqual([]);
        expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set([status]));
        // Healthy, the expired result needs exactly one new probe; hanging, the probe may still be in flight from
        // before.
        if (hanging) expect(probesSeen() - before).toBeLessThanOrEqual(1);
        else expect(probesSeen() - before).toBe(1);
      } finally {
        hang(false);
      }
    },
    60_000,
  );
});
