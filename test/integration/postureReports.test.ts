/** The posture report store on Azurite's Blob service: round trip, replacement, absence, bad content, storage down. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { BlobPostureReports, POSTURE_REPORT_BLOB } from '../../shared/adapters/blobPostureReports.js';
import { createContainerClient } from '../../shared/adapters/storageClients.js';
import {
  analyseConditionalAccessPosture,
  unassessedPostureReport,
} from '../../shared/policy/conditionalAccessPosture.js';
import { validatePolicyConfiguration, type PolicyConfiguration } from '../../shared/policy/model.js';
import { storeCodeOf } from '../support/storeErrors.js';

const APP = 'aaaaaaaa-0000-4000-8000-000000000001';
let azurite: Azurite;

function storage(connectionString = azurite.connectionString) {
  return { kind: 'connection-string' as const, connectionString };
}

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
        conditions: { apps: { include: [{ appId: 'portal' }, { host: 'portal.contoso.example' }] } },
        action: 'block',
      },
    ],
  });
  if (!validated.ok) throw new Error('test configuration invalid');
  return validated.value;
}

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

describe('BlobPostureReports against Azurite', () => {
  it('has no report before the first save (and creates its container)', async () => {
    const container = createContainerClient(storage(), 'certgate-reports');
    const store = new BlobPostureReports(container);
    expect(await store.latest()).toBeUndefined();
    expect(await container.exists()).toBe(true);
  });

  it('saves and reads back the latest report, replacing the previous one', async () => {
    const store = new BlobPostureReports(createContainerClient(storage(), 'roundtrip-reports'));
    const first = analyseConditionalAccessPosture({
      caPolicies: [
        {
          id: 'ca-1',
          displayName: 'Route',
          state: 'enabled',
          conditions: {
            applications: { includeApplications: ['All'] },
            users: { includeUsers: ['All'], excludeGroups: ['11111111-2222-4333-8444-555555555555'] },
          },
          sessionControls: { cloudAppSecurity: { isEnabled: true } },
        },
      ],
      configuration: configuration(),
      generatedAt: new Date('2026-11-22T12:07:00Z'),
    });
    await store.save(first);
    expect(await store.latest()).toEqual(first);
    const second = unassessedPostureReport({
      configuration: configuration(),
      generatedAt: new Date('2026-11-22T13:07:00Z'),
      outcome: {
        status: 'failed',
        error: { kind: 'throttled', message: 'Too many requests', status: 429, retryAfterSeconds: 30 },
      },
    });
    await store.save(second);
    expect(await store.latest()).toEqual(second);
    // A second store over the same container (another instance) reads the same blob.
    expect(await new BlobPostureReports(createContainerClient(storage(), 'roundtrip-reports')).latest()).toEqual(
      second,
    );
  });

  it.each([
    { label: 'not JSON', body: '{ truncated' },
    {
      label: 'another schema version',
      body: JSON.stringify({
        schemaVersion: 99,
        kind: 'conditional-access-posture',
        summary: { status: 'complete', generatedAt: '2026-11-22T12:07:00Z' },
      }),
    },
    { label: 'not a posture report', body: JSON.stringify({ hello: 'world' }) },
  ])('a stored blob that is $label is unavailable, not a report', async ({ body }) => {
    const container = createContainerClient(storage(), 'garbled-reports');
    await container.createIfNotExists();
    await container.getBlockBlobClient(POSTURE_REPORT_BLOB).upload(body, Buffer.byteLength(body));
    expect(await storeCodeOf(new BlobPostureReports(container).latest())).toBe('unavailable');
  });

  it('reports unavailable when storage does not answer', async () => {
    const dead = azurite.connectionString.replace(
      /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      'BlobEndpoint=http://127.0.0.1:9',
    );
    const store = new BlobPostureReports(createContainerClient(storage(dead), 'dead-reports'));
    expect(await storeCodeOf(store.latest())).toBe('unavailable');
    expect(
      await storeCodeOf(
        store.save(
          unassessedPostureReport({
            configuration: configuration(),
            generatedAt: new Date('2026-11-22T12:07:00Z'),
            outcome: { status: 'graph-disabled' },
          }),
        ),
      ),
    ).toBe('unavailable');
  }, 60_000);
});
