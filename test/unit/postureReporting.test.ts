/**
 * runPostureReport with in-memory fakes: what is read, what is saved, and how Graph turned off,
 * Graph errors, bugs and store failures come out.
 */
import { describe, expect, it } from 'vitest';
import type { PostureReport } from '../../shared/policy/conditionalAccessPosture.js';
import { validatePolicyConfiguration, type PolicyConfiguration } from '../../shared/policy/model.js';
import { runPostureReport } from '../../shared/postureReporting.js';
import {
  DirectoryError,
  StoreError,
  type ConditionalAccessPolicy,
  type Directory,
  type PostureReportStore,
} from '../../shared/ports.js';
import { storeCodeOf } from '../support/storeErrors.js';

const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
const clock = { now: () => new Date('2026-11-22T13:07:00Z') };

function configuration(): PolicyConfiguration {
  const validated = validatePolicyConfiguration({
    schemaVersion: 1,
    apps: [{ id: 'portal', name: 'Portal', hosts: [{ host: 'portal.contoso.example' }], entraAppId: APP }],
    policies: [
      {
        id: 'portal',
        name: 'Portal',
        state: 'enabled',
        priority: 1,
        conditions: { apps: { include: [{ appId: 'portal' }] } },
        action: 'block',
      },
    ],
  });
  if (!validated.ok) throw new Error('test configuration invalid');
  return validated.value;
}
const policies = { get: () => Promise.resolve({ configuration: configuration() }) };

class MemoryReports implements PostureReportStore<PostureReport> {
  saved: PostureReport[] = [];
  down = false;
  save(report: PostureReport): Promise<void> {
    if (this.down) return Promise.reject(new StoreError('unavailable', 'down'));
    this.saved.push(report);
    return Promise.resolve();
  }
  latest(): Promise<PostureReport | undefined> {
    return Promise.resolve(this.saved.at(-1));
  }
}

function directoryListing(list: () => Promise<ConditionalAccessPolicy[]>): Directory {
  return {
    answer: () => Promise.reject(new Error('not used by the posture report')),
    findGroups: () => Promise.reject(new Error('not used by the posture report')),
    listConditionalAccessPolicies: list,
  };
}

const routing: ConditionalAccessPolicy = {
  id: 'ca-1',
  displayName: 'Route sessions',
  state: 'enabled',
  conditions: {
    applications: { includeApplications: [APP] },
    users: { includeUsers: ['All'] },
    clientAppTypes: ['browser'],
  },
  sessionControls: { cloudAppSecurity: { isEnabled: true, cloudAppSecurityType: 'mcasConfigured' } },
};

describe('runPostureReport', () => {
  it('reads, analyses and saves a complete report', async () => {
    const store = new MemoryReports();
    const report = await runPostureReport({
      directory: directoryListing(() => Promise.resolve([routing])),
      policies,
      store,
      clock,
    });
    expect(report.summary).toMatchObject({
      status: 'complete',
      generatedAt: '2026-11-22T13:07:00.000Z',
      fullyRoutedApps: 1,
      gaps: { high: 0, medium: 0 },
    });
    expect(store.saved).toEqual([report]);
  });

  it('without Graph saves a graph-disabled report', async () => {
    const store = new MemoryReports();
    const report = await runPostureReport({ directory: undefined, policies, store, clock });
    expect(report.summary.status).toBe('graph-disabled');
    expect(report.protectedApps.map((app) => app.coverage)).toEqual(['unknown']);
    expect(store.saved).toEqual([report]);
  });

  it.each([
    { kind: 'throttled' as const, status: 429, retryAfterSeconds: 20 },
    { kind: 'unavailable' as const, status: 503, retryAfterSeconds: undefined },
    { kind: 'timeout' as const, status: undefined, retryAfterSeconds: undefined },
    { kind: 'denied' as const, status: 403, retryAfterSeconds: undefined },
    { kind: 'invalid' as const, status: 400, retryAfterSeconds: undefined },
  ])(
    'a DirectoryError $kind is recorded in a failed report, not a verdict',
    async ({ kind, status, retryAfterSeconds }) => {
      const store = new MemoryReports();
      const report = await runPostureReport({
        directory: directoryListing(() =>
          Promise.reject(new DirectoryError(kind, `graph said ${kind}`, retryAfterSeconds, status)),
        ),
        policies,
        store,
        clock,
      });
      expect(report.summary).toMatchObject({
        status: 'failed',
        error: { kind, message: `graph said ${kind}` },
        gaps: { high: 0, medium: 0 },
      });
      if (report.summary.status !== 'failed') throw new Error('expected a failed report');
      expect(report.summary.error.status).toBe(status);
      expect(report.summary.error.retryAfterSeconds).toBe(retryAfterSeconds);
      expect(store.saved).toEqual([report]);
    },
  );

  it('anything else from the directory is a malfunction: rejected, nothing saved', async () => {
    const store = new MemoryReports();
    await expect(
      runPostureReport({
        directory: directoryListing(() => Promise.reject(new TypeError('bug'))),
        policies,
        store,
        clock,
      }),
    ).rejects.toThrow(TypeError);
    expect(store.saved).toEqual([]);
  });

  it('a report store that does not answer rejects with its StoreError', async () => {
    const store = new MemoryReports();
    store.down = true;
    expect(
      await storeCodeOf(
        runPostureReport({ directory: directoryListing(() => Promise.resolve([routing])), policies, store, clock }),
      ),
    ).toBe('unavailable');
  });

  it('a policy configuration that cannot be loaded rejects before Graph is called', async () => {
    let called = 0;
    const broken = { get: () => Promise.reject(new StoreError('unavailable', 'policies down')) };
    const directory = directoryListing(() => {
      called++;
      return Promise.resolve([]);
    });
    expect(
      await storeCodeOf(runPostureReport({ directory, policies: broken, store: new MemoryReports(), clock })),
    ).toBe('unavailable');
    expect(called).toBe(0);
  });

  it('a failed run keeps the last complete report as the latest, marked with the failed run', async () => {
    const store = new MemoryReports();
    const working = directoryListing(() => Promise.resolve([routing]));
    const failing = directoryListing(() =>
      Promise.reject(new DirectoryError('throttled', 'graph said throttled', 30, 429)),
    );
    const complete = await runPostureReport({ directory: working, policies, store, clock });
    expect(complete.summary.status).toBe('complete');
    const failed = await runPostureReport({ directory: failing, policies, store, clock });
    expect(failed.summary.status).toBe('failed');
    const latest = await store.latest();
    expect(latest?.summary).toEqual(complete.summary);
    expect(latest?.lastFailedRun).toMatchObject({ at: failed.summary.generatedAt, error: { kind: 'throttled' } });
    // a later complete run replaces it, without the marker
    const again = await runPostureReport({ directory: working, policies, store, clock });
    expect(await store.latest()).toEqual(again);
    expect(again.lastFailedRun).toBeUndefined();
  });
});
