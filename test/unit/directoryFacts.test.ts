import { describe, expect, it } from 'vitest';
import { gatherDirectoryFacts, type DirectoryFactsInput } from '../../shared/directoryFacts.js';
import type { DeviceIdSource } from '../../shared/identity/index.js';
import type { Directory, DirectoryDevice, DirectoryOutcome, DirectoryQuestion } from '../../shared/ports.js';
import { DirectoryCache } from '../../shared/trust/directoryCache.js';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');
const TTL_SECONDS = 300;
const DEVICE = '5b2f8c1e-7d4a-4e3b-9c6f-1a2b3c4d5e6f';
const SOURCES: readonly DeviceIdSource[] = [{ kind: 'subject-cn' }, { kind: 'san-uri', prefix: 'device:' }];

/** An in-memory directory: memberships per user, devices by id. */
class MemoryDirectory implements Directory {
  readonly memberships = new Map<string, Set<string>>();
  readonly devices = new Map<string, DirectoryDevice>();

  answer(questions: readonly DirectoryQuestion[]): Promise<DirectoryOutcome[]> {
    return Promise.resolve(
      questions.map((question): DirectoryOutcome => {
        if (question.kind === 'member-groups') {
          const groups = this.memberships.get(question.userId) ?? new Set<string>();
          return { ok: true, value: question.groupIds.filter((id) => groups.has(id)) };
        }
        if (question.kind === 'device') return { ok: true, value: this.devices.get(question.deviceId) ?? null };
        return { ok: true, value: null };
      }),
    );
  }

  findGroups(): Promise<ReadonlyMap<string, string>> {
    return Promise.reject(new Error('not used'));
  }

  listConditionalAccessPolicies(): Promise<never[]> {
    return Promise.reject(new Error('not used'));
  }
}

function device(isCompliant: boolean, trustType = 'AzureAd'): DirectoryDevice {
  return { objectId: 'obj-1', deviceId: DEVICE, accountEnabled: true, isCompliant, isManaged: true, trustType };
}

function setup() {
  const clock = { t: T0, now: () => new Date(clock.t) };
  const directory = new MemoryDirectory();
  const cache = new DirectoryCache(directory, clock, {
    ttlSeconds: TTL_SECONDS,
    negativeTtlSeconds: 60,
    staleSeconds: 3600,
    timeoutMs: 60_000,
  });
  return { clock, directory, cache };
}

const inSubject = { subject: `CN=${DEVICE}`, subjectAltNames: [] };
const inSan = { subject: 'CN=laptop', subjectAltNames: [`uri:device:${DEVICE}`] };

function input(
  groupIds: readonly string[],
  certificate: DirectoryFactsInput['validCertificate'],
  userId = 'u1',
): DirectoryFactsInput {
  return {
    needs: { groupIds, deviceTags: ['compliant', 'hybrid-joined'] },
    user: { id: userId },
    validCertificate: certificate,
    deviceIdSources: SOURCES,
  };
}

/** Asks twice: the first time fills the cache, the second reads it (the warm path). */
async function warm(cache: DirectoryCache, facts: DirectoryFactsInput) {
  await gatherDirectoryFacts(cache, facts);
  return gatherDirectoryFacts(cache, facts);
}

describe('gatherDirectoryFacts: facts of cached answers are shared, and follow the answers', () => {
  const groups = ['g-a', 'g-b'];

  it('gives the same facts for the same cached answers, and says what the directory says after a change', async () => {
    const { clock, directory, cache } = setup();
    directory.memberships.set('u1', new Set(['g-a']));
    directory.devices.set(DEVICE, device(true));
    const needs = input(groups, inSubject);
    const first = await warm(cache, needs);
    expect(first).toEqual({
      groups: ['g-a'],
      groupsUnknown: false,
      deviceTags: ['compliant'],
      unknownDeviceTags: [],
      trace: {
        groups: { source: 'cache', asked: 2, memberOf: ['g-a'] },
        device: {
          source: 'cache',
          deviceId: DEVICE,
          foundIn: 'subject-cn',
          known: true,
          tags: ['compliant'],
          detail: 'compliant, trust type AzureAd',
        },
      },
    });
    expect(await gatherDirectoryFacts(cache, needs)).toBe(first);

    // Both answers change in the directory and expire: the next answers decide.
    directory.memberships.set('u1', new Set(['g-b']));
    directory.devices.set(DEVICE, device(false, 'ServerAd'));
    clock.t = T0 + TTL_SECONDS * 1000;
    const changed = await warm(cache, needs);
    expect(changed.groups).toEqual(['g-b']);
    expect(changed.deviceTags).toEqual(['hybrid-joined']);
    expect(changed.trace.device?.detail).toBe('not compliant, trust type ServerAd');
  });

  it('keeps apart what the shared parts are keyed by: the user, where the certificate names the device, the groups asked', async () => {
    const { directory, cache } = setup();
    directory.memberships.set('u1', new Set(['g-a']));
    directory.memberships.set('u2', new Set(['g-b']));
    directory.devices.set(DEVICE, device(true));
    const bySubject = await warm(cache, input(groups, inSubject));
    const bySan = await warm(cache, input(groups, inSan));
    expect(bySubject.trace.device?.foundIn).toBe('subject-cn');
    expect(bySan.trace.device?.foundIn).toBe('san-uri:device:');
    expect((await warm(cache, input(groups, inSubject, 'u2'))).groups).toEqual(['g-b']);
    const fewer = await warm(cache, input(['g-a'], inSubject));
    expect(fewer.trace.groups).toEqual({ source: 'cache', asked: 1, memberOf: ['g-a'] });
  });

  it('reports a device Graph does not know, and no device when the certificate names none', async () => {
    const { cache } = setup();
    const unknown = await warm(cache, input([], inSubject));
    expect(unknown.trace.device).toMatchObject({ source: 'cache', known: false });
    expect(unknown.deviceTags).toEqual([]);
    const none = await warm(cache, input([], { subject: 'CN=laptop', subjectAltNames: [] }));
    expect(none.trace).toEqual({
      device: {
        source: 'not-in-certificate',
        detail: 'the certificate carries no Entra device id where CERTGATE_DEVICE_ID_SOURCES looks',
      },
    });
  });
});
