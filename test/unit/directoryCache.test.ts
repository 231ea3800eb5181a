import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIRECTORY_BATCH_LIMIT, DirectoryError } from '../../shared/ports.js';
import type {
  ConditionalAccessPolicy,
  Directory,
  DirectoryDevice,
  DirectoryErrorKind,
  DirectoryOutcome,
  DirectoryQuestion,
} from '../../shared/ports.js';
import { DirectoryCache, GRAPH_DISABLED_DETAIL } from '../../shared/trust/directoryCache.js';
import type { DirectoryCacheOptions, DirectoryFacts } from '../../shared/trust/directoryCache.js';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');
const TTL = 300;
const NEGATIVE_TTL = 60;
const STALE = 3600;

class FakeClock {
  t = T0;
  now(): Date {
    return new Date(this.t);
  }
  /** Sets the time to T0 + `ms`. */
  at(ms: number): void {
    this.t = T0 + ms;
  }
}

type Answerer = (questions: readonly DirectoryQuestion[]) => Promise<DirectoryOutcome[]> | DirectoryOutcome[];

interface Held {
  readonly questions: readonly DirectoryQuestion[];
  /** Answers from the in-memory directory. */
  release(): void;
  fail(error: unknown): void;
}

/** An in-memory directory that counts round trips and can be scripted to fail, throttle or hang. */
class FakeDirectory implements Directory {
  readonly calls: DirectoryQuestion[][] = [];
  readonly timeouts: (number | undefined)[] = [];
  readonly held: Held[] = [];
  readonly memberships = new Map<string, Set<string>>();
  readonly devices = new Map<string, DirectoryDevice>();
  readonly certificateUserIds = new Map<string, string[]>();
  /** When set, answers instead of the in-memory directory. */
  script: Answerer | undefined;

  answer(
    questions: readonly DirectoryQuestion[],
    options?: { readonly timeoutMs?: number },
  ): Promise<DirectoryOutcome[]> {
    this.calls.push([...questions]);
    this.timeouts.push(options?.timeoutMs);
    if (this.script) return Promise.resolve(this.script(questions));
    return Promise.resolve(questions.map((question) => this.truth(question)));
  }

  truth(question: DirectoryQuestion): DirectoryOutcome {
    switch (question.kind) {
      case 'member-groups': {
        const groups = this.memberships.get(question.userId) ?? new Set<string>();
        return { ok: true, value: question.groupIds.filter((id) => groups.has(id)) };
      }
      case 'device':
        return { ok: true, value: this.devices.get(question.deviceId) ?? null };
      case 'certificate-user-ids':
        return { ok: true, value: this.certificateUserIds.get(question.userId) ?? null };
    }
  }

  /** Every next call waits until released or failed. */
  hold(): void {
    this.script = (questions) =>
      new Promise<DirectoryOutcome[]>((resolve, reject) => {
        this.held.push({
          questions,
          release: () => {
            resolve(questions.map((question) => this.truth(question)));
          },
          fail: reject,
        });
      });
  }

  /** Every next call rejects with `error`. */
  failWith(error: unknown): void {
    this.script = () => Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  /** Every next call answers each question with an error of `kind`. */
  answerWith(kind: DirectoryErrorKind, retryAfterSeconds?: number, status?: number): void {
    this.script = (questions) =>
      questions.map(() => ({
        ok: false,
        error: new DirectoryError(kind, `${kind} from the fake`, retryAfterSeconds, status),
      }));
  }

  healthy(): void {
    this.script = undefined;
  }

  findGroups(): Promise<ReadonlyMap<string, string>> {
    return Promise.reject(new Error('not used by the cache'));
  }

  listConditionalAccessPolicies(): Promise<ConditionalAccessPolicy[]> {
    return Promise.reject(new Error('not used by the cache'));
  }
}

function device(deviceId: string, isCompliant = true): DirectoryDevice {
  return {
    objectId: `obj-${deviceId}`,
    deviceId,
    accountEnabled: true,
    isCompliant,
    isManaged: true,
    trustType: 'AzureAd',
  };
}

function setup(options: Partial<DirectoryCacheOptions> = {}) {
  const clock = new FakeClock();
  const directory = new FakeDirectory();
  const events: Record<string, unknown>[] = [];
  const cache = new DirectoryCache(directory, clock, {
    ttlSeconds: TTL,
    negativeTtlSeconds: NEGATIVE_TTL,
    staleSeconds: STALE,
    timeoutMs: 60_000,
    log: (event) => events.push(event),
    ...options,
  });
  for (let index = 0; index < 100; index++) directory.devices.set(`d${index}`, device(`d${index}`));
  return { clock, directory, cache, events };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const groupId = (index: number) => `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`;

describe('DirectoryCache: hits, expiry, single flight', () => {
  it('answers a fresh entry from the cache without a call', async () => {
    const { clock, directory, cache } = setup();
    expect((await cache.device('d1')).source).toBe('directory');
    clock.at(120_500);
    const again = await cache.device('D1');
    expect(again).toMatchObject({ source: 'cache', ageSeconds: 120, value: { deviceId: 'd1' } });
    expect(directory.calls).toHaveLength(1);
    expect(directory.timeouts).toEqual([60_000]);
    expect(cache.stats()).toMatchObject({
      calls: 1,
      questions: 1,
      hits: 1,
      misses: 1,
      stale: 0,
      unavailable: 0,
      breaker: 'closed',
    });
  });

  it.each([
    { label: 'a positive answer', id: 'd1', ttlMs: TTL * 1000, value: expect.objectContaining({ deviceId: 'd1' }) },
    { label: 'no such device (negative TTL)', id: 'unknown', ttlMs: NEGATIVE_TTL * 1000, value: null },
  ])('keeps $label until 1 ms before its TTL, and asks again at the TTL', async ({ id, ttlMs, value }) => {
    const { clock, directory, cache } = setup();
    expect(await cache.device(id)).toEqual({ source: 'directory', value, ageSeconds: 0 });
    clock.at(ttlMs - 1);
    expect(await cache.device(id)).toMatchObject({ source: 'cache', value });
    expect(directory.calls).toHaveLength(1);
    clock.at(ttlMs);
    expect(await cache.device(id)).toMatchObject({ source: 'directory', value });
    expect(directory.calls).toHaveLength(2);
  });

  it('caches certificate user ids, and an unknown user for the negative TTL', async () => {
    const { clock, directory, cache } = setup();
    directory.certificateUserIds.set('alice@contoso.com', ['X509:<PN>alice@contoso.com']);
    expect(await cache.certificateUserIds('Alice@contoso.com')).toMatchObject({
      source: 'directory',
      value: ['X509:<PN>alice@contoso.com'],
    });
    expect(await cache.certificateUserIds('nobody@contoso.com')).toMatchObject({ source: 'directory', value: null });
    clock.at(NEGATIVE_TTL * 1000);
    expect((await cache.certificateUserIds('alice@contoso.com')).source).toBe('cache');
    expect((await cache.certificateUserIds('nobody@contoso.com')).source).toBe('directory');
    expect(directory.calls).toHaveLength(3);
  });

  it('shares one question between 100 concurrent identical questions (and one round trip between the two kinds)', async () => {
    const { directory, cache } = setup();
    directory.hold();
    const answers = Promise.all(Array.from({ length: 100 }, () => cache.device('d7')));
    const groups = Promise.all(Array.from({ length: 100 }, () => cache.memberGroups('u1', [groupId(1), groupId(2)])));
    await tick();
    expect(directory.calls).toHaveLength(1);
    expect(directory.calls[0]).toHaveLength(2);
    for (const held of directory.held) held.release();
    expect(new Set((await answers).map((facts) => facts.source))).toEqual(new Set(['directory']));
    expect(new Set((await groups).map((facts) => facts.source))).toEqual(new Set(['directory']));
    expect(directory.calls).toHaveLength(1);
  });

  it('coalesces the misses of one event-loop turn: 50 users → 3 round trips (20, 20, 10); a later turn asks again', async () => {
    const { directory, cache } = setup();
    const first = await Promise.all(
      Array.from({ length: 50 }, (_, index) => cache.certificateUserIds(`user-${index}`)),
    );
    expect(first.every((facts) => facts.source === 'directory')).toBe(true);
    expect(directory.calls.map((call) => call.length)).toEqual([20, 20, 10]);
    await cache.certificateUserIds('user-50');
    await cache.certificateUserIds('user-51');
    expect(directory.calls.map((call) => call.length)).toEqual([20, 20, 10, 1, 1]);
  });

  it('in one turn, hits answer from the cache, identical misses join, and only new questions are asked', async () => {
    const { directory, cache } = setup();
    await cache.device('d1');
    directory.hold();
    const mixed = Promise.all([cache.device('d1'), cache.device('d2'), cache.device('d2'), cache.device('d3')]);
    await tick();
    expect(directory.calls.map((call) => call.length)).toEqual([1, 2]);
    for (const held of directory.held) held.release();
    expect((await mixed).map((facts) => facts.source)).toEqual(['cache', 'directory', 'directory', 'directory']);
  });

  it('sends the misses of two turns as two round trips; a question of the second turn already asked in the first joins it', async () => {
    const { directory, cache } = setup();
    directory.hold();
    const first = cache.device('d1');
    await tick();
    const second = Promise.all([cache.device('d2'), cache.device('d1')]);
    await tick();
    expect(directory.calls).toEqual([[{ kind: 'device', deviceId: 'd1' }], [{ kind: 'device', deviceId: 'd2' }]]);
    for (const held of directory.held) held.release();
    expect((await first).source).toBe('directory');
    expect((await second).map((facts) => facts.source)).toEqual(['directory', 'directory']);
    expect(cache.stats()).toMatchObject({ calls: 2, questions: 2, misses: 3 });
  });

  it('counts coalesced round trips in stats: calls are round trips, questions what they carried', async () => {
    const { cache } = setup();
    await Promise.all(Array.from({ length: 45 }, (_, index) => cache.device(`d${index}`)));
    expect(cache.stats()).toMatchObject({ calls: 3, questions: 45, misses: 45, hits: 0 });
  });

  it('answers unavailable, never waits forever, when the flush itself fails, and asks again next time', async () => {
    const { clock, directory, cache, events } = setup();
    const now = clock.now.bind(clock);
    let broken = false;
    clock.now = () => {
      if (!broken) return now();
      broken = false;
      throw new Error('clock broke');
    };
    const asking = cache.device('d1');
    // The miss is queued; the flush's reading of the clock is the next one, and it throws.
    broken = true;
    expect(await asking).toEqual({ source: 'unavailable', detail: 'directory cache failed: Error: clock broke' });
    expect(directory.calls).toHaveLength(0);
    expect(events.map((event) => event.event)).toEqual(['certgate.graph.cache-failed']);
    expect((await cache.device('d1')).source).toBe('directory');
    expect(directory.calls).toHaveLength(1);
  });
});

describe('DirectoryCache: group membership', () => {
  it("asks more than 20 groups as two questions in one call and answers in the caller's spelling", async () => {
    const { directory, cache } = setup();
    directory.memberships.set('u1', new Set([groupId(3), groupId(24)]));
    const asked = Array.from({ length: 25 }, (_, index) => groupId(index).toUpperCase());
    const facts = await cache.memberGroups('U1', asked);
    expect(facts).toMatchObject({ source: 'directory' });
    expect(facts.value).toEqual(new Set([groupId(3).toUpperCase(), groupId(24).toUpperCase()]));
    expect(directory.calls).toHaveLength(1);
    expect(
      directory.calls[0]!.map((question) => question.kind === 'member-groups' && question.groupIds.length),
    ).toEqual([20, 5]);
    // The same set, in another order and case, with a duplicate: the same entries.
    const again = await cache.memberGroups(
      'u1',
      [...asked]
        .reverse()
        .map((id) => id.toLowerCase())
        .concat(groupId(3)),
    );
    expect(again.source).toBe('cache');
    expect(again.value).toEqual(new Set([groupId(3), groupId(24)]));
    expect(directory.calls).toHaveLength(1);
  });

  it('splits more than 20 questions into several calls', async () => {
    const { directory, cache } = setup();
    const facts = await cache.memberGroups(
      'u1',
      Array.from({ length: 21 * 20 }, (_, index) => groupId(index)),
    );
    expect(facts).toMatchObject({ source: 'directory', value: new Set() });
    expect(directory.calls.map((call) => call.length)).toEqual([20, 1]);
  });

  it('answers no groups with the empty set and no call', async () => {
    const { directory, cache } = setup();
    expect(await cache.memberGroups('u1', [])).toMatchObject({ source: 'cache', value: new Set() });
    expect(directory.calls).toHaveLength(0);
  });

  it('is unavailable when any chunk is (partial knowledge is no knowledge)', async () => {
    const { directory, cache } = setup();
    directory.script = (questions) =>
      questions.map((question, index) =>
        index === 0
          ? directory.truth(question)
          : { ok: false, error: new DirectoryError('unavailable', 'boom', undefined, 503) },
      );
    const facts = await cache.memberGroups(
      'u1',
      Array.from({ length: 25 }, (_, index) => groupId(index)),
    );
    expect(facts.source).toBe('unavailable');
    expect(facts.value).toBeUndefined();
    expect(facts.detail).toContain('HTTP 503');
  });
});

describe('DirectoryCache: failures', () => {
  it('answers stale within ttl + staleSeconds and unavailable at the bound', async () => {
    const { clock, directory, cache } = setup();
    await cache.device('d1');
    directory.failWith(new DirectoryError('unavailable', 'service down', undefined, 503));
    clock.at(TTL * 1000);
    expect(await cache.device('d1')).toMatchObject({
      source: 'stale',
      value: { deviceId: 'd1' },
      ageSeconds: TTL,
      detail: expect.stringContaining('HTTP 503'),
    });
    clock.at((TTL + STALE) * 1000 - 1);
    expect((await cache.device('d1')).source).toBe('stale');
    clock.at((TTL + STALE) * 1000);
    const gone = await cache.device('d1');
    expect(gone.source).toBe('unavailable');
    expect(gone.value).toBeUndefined();
    expect(await cache.device('d2')).toMatchObject({ source: 'unavailable' });
    expect(cache.stats()).toMatchObject({ stale: 2, unavailable: 2 });
  });

  it('bounds a call by the time-out even when the directory ignores it', async () => {
    const { directory, cache } = setup({ timeoutMs: 20 });
    directory.script = () => new Promise<never>(() => undefined);
    expect(await cache.device('d1')).toEqual({ source: 'unavailable', detail: 'timed out after 20 ms' });
    expect(directory.timeouts).toEqual([20]);
  });

  it('describes a time-out the directory reports the same way', async () => {
    const { directory, cache } = setup({ timeoutMs: 2000 });
    directory.failWith(new DirectoryError('timeout', 'aborted'));
    expect(await cache.device('d1')).toEqual({ source: 'unavailable', detail: 'timed out after 2000 ms' });
  });

  it.each([
    {
      label: 'a synchronous throw',
      script: (): DirectoryOutcome[] => {
        throw new TypeError('adapter bug');
      },
    },
    { label: 'fewer answers than questions', script: (): DirectoryOutcome[] => [] },
    { label: 'no list at all', script: () => ({}) as unknown as DirectoryOutcome[] },
    {
      label: 'a membership that is not a list',
      script: (): DirectoryOutcome[] => [{ ok: true, value: 'g1' as unknown as string[] }],
    },
    { label: 'a rejection that is not a DirectoryError', script: () => Promise.reject(new Error('socket hang up')) },
  ])('never rejects: $label is unavailable', async ({ script }) => {
    const { directory, cache } = setup();
    directory.script = script;
    const facts = await cache.memberGroups('u1', [groupId(1)]);
    expect(facts.source).toBe('unavailable');
    expect(facts.detail).toMatch(/^Graph unavailable/);
  });

  it('logs denied and invalid answers, answers unavailable, and does not re-ask them within the negative TTL', async () => {
    const { clock, directory, cache, events } = setup();
    directory.answerWith('denied', undefined, 403);
    for (let index = 0; index < 10; index++) {
      const facts = await cache.device(`d${index}`);
      expect(facts.source).toBe('unavailable');
      expect(facts.detail).toContain('denied');
    }
    expect(events.filter((event) => event.event === 'certgate.graph.denied')).toEqual([
      expect.objectContaining({ question: 'device', status: 403 }),
    ]);
    expect(cache.stats().breaker).toBe('closed');
    expect(directory.calls).toHaveLength(10);
    clock.at(NEGATIVE_TTL * 1000 - 1);
    expect((await cache.device('d0')).source).toBe('unavailable');
    expect(directory.calls).toHaveLength(10);
    directory.healthy();
    clock.at(NEGATIVE_TTL * 1000);
    expect((await cache.device('d0')).source).toBe('directory');
    expect(directory.calls).toHaveLength(11);
  });

  it('answers the good questions of a batch in which one is invalid', async () => {
    const { directory, cache, events } = setup();
    directory.script = (questions) =>
      questions.map((question, index) =>
        index === 1
          ? { ok: false, error: new DirectoryError('invalid', 'bad id', undefined, 400) }
          : directory.truth(question),
      );
    const facts = await cache.memberGroups(
      'u1',
      Array.from({ length: 25 }, (_, index) => groupId(index)),
    );
    expect(facts.source).toBe('unavailable');
    expect(events.map((event) => event.event)).toEqual(['certgate.graph.invalid']);
    directory.healthy();
    await cache.memberGroups(
      'u1',
      Array.from({ length: 20 }, (_, index) => groupId(index)),
    );
    expect(cache.stats()).toMatchObject({ hits: 1, breaker: 'closed' });
  });
});

describe('DirectoryCache: Retry-After', () => {
  it('makes no call at all until Retry-After has passed, then one', async () => {
    const { clock, directory, cache, events } = setup();
    await cache.device('d1');
    clock.at(TTL * 1000);
    directory.failWith(new DirectoryError('throttled', 'too many requests', 30, 429));
    expect(await cache.device('d1')).toMatchObject({ source: 'stale', detail: 'Graph throttled; retry after 30 s' });
    expect(directory.calls).toHaveLength(2);
    directory.healthy();
    clock.at(TTL * 1000 + 29_999);
    expect(await cache.device('d1')).toMatchObject({ source: 'stale', detail: 'Graph throttled; retry after 1 s' });
    expect(await cache.device('d2')).toMatchObject({
      source: 'unavailable',
      detail: 'Graph throttled; retry after 1 s',
    });
    expect(await cache.memberGroups('u1', [groupId(1)])).toMatchObject({ source: 'unavailable' });
    expect(await cache.refreshAhead()).toEqual({ questions: 0, calls: 0 });
    expect(directory.calls).toHaveLength(2);
    clock.at(TTL * 1000 + 30_000);
    expect((await cache.device('d1')).source).toBe('directory');
    expect(directory.calls).toHaveLength(3);
    expect(events.filter((event) => event.event === 'certgate.graph.throttled')).toHaveLength(1);
  });

  it('refuses every batch of a flush while Retry-After holds: no call, each question falls back', async () => {
    const { clock, directory, cache } = setup();
    await cache.device('d1');
    clock.at(TTL * 1000);
    directory.failWith(new DirectoryError('throttled', 'too many requests', 30, 429));
    expect((await cache.device('d1')).source).toBe('stale');
    directory.healthy();
    const users = Array.from({ length: 50 }, (_, index) => cache.certificateUserIds(`user-${index}`));
    const [stale, ...unavailable] = await Promise.all([cache.device('d1'), ...users]);
    expect(directory.calls).toHaveLength(2);
    expect(stale).toMatchObject({
      source: 'stale',
      detail: 'Graph throttled; retry after 30 s',
      value: { deviceId: 'd1' },
    });
    expect(unavailable).toHaveLength(50);
    for (const facts of unavailable)
      expect(facts).toEqual({ source: 'unavailable', detail: 'Graph throttled; retry after 30 s' });
    expect(cache.stats()).toMatchObject({ calls: 2, misses: 53, stale: 2, unavailable: 50 });
  });

  it('honours a Retry-After given for one question of a batch', async () => {
    const { clock, directory, cache } = setup();
    directory.script = (questions) =>
      questions.map((question, index) =>
        index === 0 ? directory.truth(question) : { ok: false, error: new DirectoryError('throttled', '429', 10, 429) },
      );
    expect(
      (
        await cache.memberGroups(
          'u1',
          Array.from({ length: 25 }, (_, index) => groupId(index)),
        )
      ).source,
    ).toBe('unavailable');
    directory.healthy();
    clock.at(9_999);
    expect((await cache.device('d1')).detail).toBe('Graph throttled; retry after 1 s');
    expect(directory.calls).toHaveLength(1);
    clock.at(10_000);
    expect((await cache.device('d1')).source).toBe('directory');
  });
});

describe('DirectoryCache: circuit breaker', () => {
  async function openCircuit(failures = 5) {
    const context = setup({ breaker: { failures, cooldownSeconds: 30 } });
    context.directory.failWith(new DirectoryError('unavailable', 'down', undefined, 503));
    for (let index = 0; index < failures; index++)
      expect((await context.cache.device(`d${index}`)).source).toBe('unavailable');
    return context;
  }

  it('opens after N failed round trips in a row and then makes no calls', async () => {
    const { directory, cache, events } = await openCircuit();
    expect(cache.stats().breaker).toBe('open');
    expect(await cache.device('d50')).toEqual({
      source: 'unavailable',
      detail: 'circuit open after 5 failures; next try in 30 s',
    });
    expect(directory.calls).toHaveLength(5);
    expect(events.map((event) => event.event)).toEqual(['certgate.graph.circuit-opened']);
  });

  it('does not open on failures that a success interrupts', async () => {
    const { directory, cache } = setup({ breaker: { failures: 3, cooldownSeconds: 30 } });
    for (const healthy of [false, false, true, false, false]) {
      if (healthy) directory.healthy();
      else directory.failWith(new DirectoryError('timeout', 'slow'));
      await cache.device(`d${directory.calls.length}`);
    }
    expect(cache.stats().breaker).toBe('closed');
  });

  it('lets exactly one probe through when half-open, and closes when it succeeds', async () => {
    const { clock, directory, cache, events } = await openCircuit();
    clock.at(29_999);
    expect(cache.stats().breaker).toBe('open');
    clock.at(30_000);
    expect(cache.stats().breaker).toBe('half-open');
    directory.hold();
    // The misses of one turn make one round trip: that round trip is the probe.
    const probe = Promise.all([cache.device('d60'), cache.device('d61')]);
    await tick();
    expect(directory.calls).toHaveLength(6);
    expect(directory.calls[5]).toHaveLength(2);
    // While the probe is out, nothing else goes through.
    const other = await cache.memberGroups('u1', [groupId(1)]);
    expect(other.source).toBe('unavailable');
    expect(other.detail).toMatch(/^circuit half-open/);
    expect(directory.calls).toHaveLength(6);
    directory.held[0]!.release();
    expect((await probe).map((facts) => facts.source)).toEqual(['directory', 'directory']);
    expect(cache.stats().breaker).toBe('closed');
    directory.healthy();
    expect((await cache.device('d62')).source).toBe('directory');
    expect(events.map((event) => event.event)).toEqual([
      'certgate.graph.circuit-opened',
      'certgate.graph.circuit-closed',
    ]);
  });

  it('when half-open, sends the first batch of a flush as the one probe; the other batches fall back', async () => {
    const { clock, directory, cache, events } = setup({ breaker: { failures: 1, cooldownSeconds: 30 } });
    await cache.device('d1');
    clock.at(TTL * 1000);
    directory.failWith(new DirectoryError('unavailable', 'down', undefined, 503));
    expect((await cache.device('d2')).source).toBe('unavailable');
    expect(cache.stats().breaker).toBe('open');
    clock.at(TTL * 1000 + 30_000);
    directory.hold();
    const asks = [
      ...Array.from({ length: 49 }, (_, index) => cache.certificateUserIds(`user-${index}`)),
      cache.device('d1'),
    ];
    await tick();
    expect(directory.calls).toHaveLength(3);
    expect(directory.calls[2]).toHaveLength(20);
    const refused = await Promise.all(asks.slice(20));
    expect(
      refused
        .slice(0, 29)
        .every((facts) => facts.source === 'unavailable' && /^circuit half-open/.test(facts.detail ?? '')),
    ).toBe(true);
    expect(refused[29]).toMatchObject({
      source: 'stale',
      value: { deviceId: 'd1' },
      detail: expect.stringMatching(/^circuit half-open/),
    });
    directory.held[0]!.release();
    expect((await Promise.all(asks.slice(0, 20))).every((facts) => facts.source === 'directory')).toBe(true);
    expect(directory.calls).toHaveLength(3);
    expect(cache.stats().breaker).toBe('closed');
    expect(events.map((event) => event.event)).toEqual([
      'certgate.graph.circuit-opened',
      'certgate.graph.circuit-closed',
    ]);
  });

  it('re-opens when the probe fails', async () => {
    const { clock, directory, cache } = await openCircuit();
    clock.at(30_000);
    expect((await cache.device('d60')).source).toBe('unavailable');
    expect(directory.calls).toHaveLength(6);
    expect(cache.stats().breaker).toBe('open');
    clock.at(59_999);
    expect((await cache.device('d61')).detail).toMatch(/^circuit open after 6 failures/);
    expect(directory.calls).toHaveLength(6);
    clock.at(60_000);
    directory.healthy();
    expect((await cache.device('d61')).source).toBe('directory');
    expect(cache.stats().breaker).toBe('closed');
  });

  it('stays open for Retry-After when it is longer than the cool-down', async () => {
    const { clock, directory, cache } = setup({ breaker: { failures: 1, cooldownSeconds: 30 } });
    directory.failWith(new DirectoryError('throttled', '429', 120, 429));
    await cache.device('d1');
    clock.at(60_000);
    expect(cache.stats().breaker).toBe('open');
    clock.at(120_000);
    expect(cache.stats().breaker).toBe('half-open');
  });

  it('counts an answer whose every question failed transiently as a failed round trip', async () => {
    const { directory, cache } = setup({ breaker: { failures: 2, cooldownSeconds: 30 } });
    directory.answerWith('unavailable', undefined, 503);
    await cache.device('d1');
    await cache.device('d2');
    expect(cache.stats().breaker).toBe('open');
  });

  it('does not count denied round trips toward the breaker', async () => {
    const { directory, cache } = setup({ breaker: { failures: 2, cooldownSeconds: 30 } });
    directory.failWith(new DirectoryError('denied', 'Authorization_RequestDenied', undefined, 403));
    for (let index = 0; index < 5; index++) expect((await cache.device(`d${index}`)).source).toBe('unavailable');
    expect(cache.stats().breaker).toBe('closed');
  });
});

describe('DirectoryCache: size bound', () => {
  it('evicts the least recently used entry', async () => {
    const { directory, cache } = setup({ maxEntries: 2 });
    await cache.device('a');
    await cache.device('b');
    await cache.device('a');
    await cache.device('c');
    expect(cache.stats().entries).toBe(2);
    expect(directory.calls).toHaveLength(3);
    expect((await cache.device('a')).source).toBe('cache');
    expect((await cache.device('b')).source).toBe('directory');
    expect(directory.calls).toHaveLength(4);
  });
});

describe('DirectoryCache: refresh-ahead', () => {
  async function populate() {
    const context = setup();
    for (let index = 0; index < 50; index++) await context.cache.device(`d${index}`);
    context.clock.at(100_000);
    for (let index = 0; index < 45; index++) expect((await context.cache.device(`d${index}`)).source).toBe('cache');
    return context;
  }

  it('re-asks the used entries due within the sweep interval, 20 a call, and skips idle ones', async () => {
    const { clock, directory, cache } = await populate();
    expect(cache.sweepIntervalMs).toBe((TTL * 1000) / 5);
    clock.at(TTL * 1000 - cache.sweepIntervalMs - 1);
    expect(await cache.refreshAhead()).toEqual({ questions: 0, calls: 0 });
    clock.at(TTL * 1000 - cache.sweepIntervalMs);
    expect(await cache.refreshAhead()).toEqual({ questions: 45, calls: 3 });
    expect(directory.calls.slice(50).map((call) => call.length)).toEqual([20, 20, 5]);
    clock.at(TTL * 1000);
    for (let index = 0; index < 45; index++) expect((await cache.device(`d${index}`)).source).toBe('cache');
    expect((await cache.device('d49')).source).toBe('directory');
    expect(directory.calls).toHaveLength(54);
    // Refreshed entries that nobody used since are not refreshed again.
    clock.at(TTL * 1000 + 200_000);
    expect(await cache.refreshAhead()).toEqual({ questions: 45, calls: 3 });
    clock.at(2 * TTL * 1000 + 200_000);
    expect(await cache.refreshAhead()).toEqual({ questions: 0, calls: 0 });
  });

  it('starts in the background at most once per sweep interval and never overlaps', async () => {
    const { clock, directory, cache } = await populate();
    clock.at(cache.sweepIntervalMs - 1);
    expect(cache.maybeRefreshAhead()).toBe(false);
    clock.at(TTL * 1000 - cache.sweepIntervalMs);
    directory.hold();
    expect(cache.maybeRefreshAhead()).toBe(true);
    await tick();
    expect(directory.held).toHaveLength(1);
    clock.at(TTL * 1000 + cache.sweepIntervalMs);
    expect(cache.maybeRefreshAhead()).toBe(false);
    expect(directory.held).toHaveLength(1);
    directory.held[0]!.release();
    await tick();
    directory.held[1]!.release();
    await tick();
    directory.held[2]!.release();
    await tick();
    expect(directory.calls.slice(50).map((call) => call.length)).toEqual([20, 20, 5]);
    expect(cache.maybeRefreshAhead()).toBe(true);
    expect(cache.maybeRefreshAhead()).toBe(false);
  });

  it('leaves a question a request is already asking to that request', async () => {
    const { clock, directory, cache } = await populate();
    clock.at(TTL * 1000);
    directory.hold();
    const asking = cache.device('d0');
    await tick();
    const sweep = cache.refreshAhead();
    await tick();
    expect(directory.held.map((held) => held.questions.length)).toEqual([1, 20]);
    for (let round = 0; round < 3; round++) {
      for (const held of directory.held.splice(0)) held.release();
      await tick();
    }
    expect(await sweep).toEqual({ questions: 44, calls: 3 });
    expect((await asking).source).toBe('directory');
  });
});

describe('DirectoryCache: Graph turned off', () => {
  it('answers every question as disabled and never calls', async () => {
    const clock = new FakeClock();
    const cache = new DirectoryCache(undefined, clock, {
      ttlSeconds: TTL,
      negativeTtlSeconds: NEGATIVE_TTL,
      staleSeconds: STALE,
      timeoutMs: 2000,
    });
    const disabled = { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
    expect(await cache.memberGroups('u1', [groupId(1)])).toEqual(disabled);
    expect(await cache.device('d1')).toEqual(disabled);
    expect(await cache.certificateUserIds('u1')).toEqual(disabled);
    clock.at(TTL * 1000);
    expect(cache.maybeRefreshAhead()).toBe(false);
    expect(await cache.refreshAhead()).toEqual({ questions: 0, calls: 0 });
    expect(cache.stats()).toMatchObject({ calls: 0, hits: 0, misses: 0 });
  });
});

describe('DirectoryCache: property', () => {
  type Step =
    | {
        readonly op: 'ask';
        readonly method: 'device' | 'memberGroups' | 'certificateUserIds';
        readonly key: number;
        readonly sameTurn: boolean;
      }
    | { readonly op: 'advance'; readonly ms: number }
    | { readonly op: 'behave'; readonly as: 'truth' | 'hold' | 'reject' | DirectoryErrorKind }
    | { readonly op: 'settle' }
    | { readonly op: 'sweep' };

  const step: fc.Arbitrary<Step> = fc.oneof(
    // `sameTurn`: the next step runs in the same event-loop turn, so their misses are coalesced.
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('ask' as const),
        method: fc.constantFrom('device' as const, 'memberGroups' as const, 'certificateUserIds' as const),
        key: fc.integer({ min: 0, max: 3 }),
        sameTurn: fc.boolean(),
      }),
    },
    fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
    fc.record({
      op: fc.constant('behave' as const),
      as: fc.constantFrom(
        'truth' as const,
        'hold' as const,
        'reject' as const,
        'throttled' as const,
        'unavailable' as const,
        'timeout' as const,
        'denied' as const,
        'invalid' as const,
      ),
    }),
    fc.constant({ op: 'settle' as const }),
    fc.constant({ op: 'sweep' as const }),
  );

  const keyOf = (question: DirectoryQuestion) =>
    question.kind === 'member-groups'
      ? `g|${question.userId}|${question.groupIds.join()}`
      : question.kind === 'device'
        ? `d|${question.deviceId}`
        : `c|${question.userId}`;

  it('never rejects, always answers a well-formed fact, never sends more than 20 questions a call, and never has two calls in flight for one question', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const { clock, directory, cache } = setup({
          breaker: { failures: 2, cooldownSeconds: 10 },
          negativeTtlSeconds: 5,
          staleSeconds: 100,
        });
        const inFlight = new Set<string>();
        let overlaps = 0;
        let oversized = 0;
        let behaviour: Answerer | undefined;
        directory.script = (questions) => {
          if (questions.length > DIRECTORY_BATCH_LIMIT) oversized++;
          for (const question of questions) {
            if (inFlight.has(keyOf(question))) overlaps++;
            inFlight.add(keyOf(question));
          }
          const done = () => {
            for (const question of questions) inFlight.delete(keyOf(question));
          };
          return Promise.resolve(
            behaviour ? behaviour(questions) : questions.map((question) => directory.truth(question)),
          ).finally(done);
        };
        const answers: Promise<DirectoryFacts<unknown>>[] = [];
        for (const current of steps) {
          if (current.op === 'ask') {
            const key = `k${current.key}`;
            answers.push(
              current.method === 'device'
                ? cache.device(key)
                : current.method === 'memberGroups'
                  ? cache.memberGroups(key, [groupId(current.key), groupId(9)])
                  : cache.certificateUserIds(key),
            );
            if (current.sameTurn) continue;
          } else if (current.op === 'advance') {
            clock.t += current.ms;
          } else if (current.op === 'behave') {
            const as = current.as;
            behaviour =
              as === 'truth'
                ? undefined
                : as === 'hold'
                  ? (questions) =>
                      new Promise<DirectoryOutcome[]>((resolve) => {
                        directory.held.push({
                          questions,
                          release: () => {
                            resolve(questions.map((question) => directory.truth(question)));
                          },
                          fail: () => undefined,
                        });
                      })
                  : as === 'reject'
                    ? () => Promise.reject(new DirectoryError('unavailable', 'down', undefined, 503))
                    : (questions) =>
                        questions.map(() => ({
                          ok: false as const,
                          error: new DirectoryError(as, as, as === 'throttled' ? 7 : undefined),
                        }));
          } else if (current.op === 'settle') {
            for (const held of directory.held.splice(0)) held.release();
          } else {
            cache.maybeRefreshAhead();
          }
          await tick();
        }
        behaviour = undefined;
        for (let round = 0; round < 5; round++) {
          for (const held of directory.held.splice(0)) held.release();
          await tick();
        }
        const settled = await Promise.allSettled(answers);
        expect(settled.every((result) => result.status === 'fulfilled')).toBe(true);
        for (const result of settled) {
          if (result.status !== 'fulfilled') continue;
          const facts = result.value;
          expect(['cache', 'directory', 'stale', 'unavailable']).toContain(facts.source);
          expect('value' in facts).toBe(facts.source !== 'unavailable');
          if (facts.source === 'stale' || facts.source === 'unavailable') expect(facts.detail).toBeTypeOf('string');
        }
        expect(overlaps).toBe(0);
        expect(oversized).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('DirectoryCache: time-window boundaries (each window closes at its bound)', () => {
  const nullDevice = { source: 'directory', value: null, ageSeconds: 0 };

  it.each([
    { label: 'a positive answer', id: 'd1', lifetimeMs: TTL * 1000 },
    { label: 'no such device', id: 'unknown', lifetimeMs: NEGATIVE_TTL * 1000 },
  ])(
    'stale window of $label: stale until 1 ms before its lifetime + staleSeconds, unavailable at it',
    async ({ id, lifetimeMs }) => {
      const { clock, directory, cache } = setup();
      await cache.device(id);
      directory.failWith(new DirectoryError('unavailable', 'down', undefined, 503));
      clock.at(lifetimeMs - 1);
      expect((await cache.device(id)).source).toBe('cache');
      clock.at(lifetimeMs);
      expect(await cache.device(id)).toMatchObject({ source: 'stale', ageSeconds: lifetimeMs / 1000 });
      clock.at(lifetimeMs + STALE * 1000 - 1);
      expect(await cache.device(id)).toMatchObject({ source: 'stale', ageSeconds: lifetimeMs / 1000 + STALE - 1 });
      clock.at(lifetimeMs + STALE * 1000);
      expect(await cache.device(id)).toMatchObject({
        source: 'unavailable',
        detail: expect.stringContaining('HTTP 503'),
      });
    },
  );

  it('negative TTL 0: "no such device" is never fresh, not even in the same millisecond, but is kept for stale-if-error', async () => {
    const { directory, cache } = setup({ negativeTtlSeconds: 0 });
    expect(await cache.device('unknown')).toEqual(nullDevice);
    expect(await cache.device('unknown')).toEqual(nullDevice);
    expect(cache.cachedDevice('unknown')).toBeUndefined();
    expect(directory.calls).toHaveLength(2);
    directory.failWith(new DirectoryError('unavailable', 'down', undefined, 503));
    expect(await cache.device('unknown')).toMatchObject({ source: 'stale', value: null, ageSeconds: 0 });
  });

  it('negative TTL 0: a denied question is asked again at once', async () => {
    const { directory, cache } = setup({ negativeTtlSeconds: 0 });
    directory.answerWith('denied', undefined, 403);
    expect((await cache.device('d1')).source).toBe('unavailable');
    expect((await cache.device('d1')).source).toBe('unavailable');
    expect(directory.calls).toHaveLength(2);
  });

  it('stale window 0: at the TTL a failed ask is unavailable, never stale', async () => {
    const { clock, directory, cache } = setup({ staleSeconds: 0 });
    await cache.device('d1');
    directory.failWith(new DirectoryError('timeout', 'slow'));
    clock.at(TTL * 1000 - 1);
    expect((await cache.device('d1')).source).toBe('cache');
    clock.at(TTL * 1000);
    expect(await cache.device('d1')).toEqual({ source: 'unavailable', detail: 'timed out after 60000 ms' });
  });

  it('a refusal is remembered until 1 ms before the negative TTL, and keeps an older answer usable as stale meanwhile', async () => {
    const { clock, directory, cache } = setup();
    await cache.device('d1');
    clock.at(TTL * 1000);
    directory.answerWith('denied', undefined, 403);
    expect(await cache.device('d1')).toMatchObject({
      source: 'stale',
      value: { deviceId: 'd1' },
      detail: expect.stringContaining('denied'),
    });
    directory.healthy();
    clock.at(TTL * 1000 + NEGATIVE_TTL * 1000 - 1);
    expect(await cache.device('d1')).toMatchObject({ source: 'stale', detail: expect.stringContaining('denied') });
    expect(directory.calls).toHaveLength(2);
    clock.at(TTL * 1000 + NEGATIVE_TTL * 1000);
    expect((await cache.device('d1')).source).toBe('directory');
    expect(directory.calls).toHaveLength(3);
  });

  it('logs a refusal once per sweep interval: the next line, at the interval, counts the ones left out', async () => {
    const { clock, directory, cache, events } = setup({ negativeTtlSeconds: 0 });
    directory.answerWith('denied', undefined, 403);
    await cache.device('d1');
    clock.at(cache.sweepIntervalMs - 1);
    await cache.device('d2');
    await cache.device('d3');
    expect(events.filter((event) => event.event === 'certgate.graph.denied')).toHaveLength(1);
    clock.at(cache.sweepIntervalMs);
    await cache.device('d4');
    const denied = events.filter((event) => event.event === 'certgate.graph.denied');
    expect(denied).toHaveLength(2);
    expect(denied[1]).toMatchObject({ suppressedSinceLast: 2 });
  });

  it('reads the injected clock at every look-up: an answer expires when the clock says so, with no timer and no real time passing', async () => {
    const { clock, directory, cache } = setup();
    await cache.device('d1');
    clock.at(TTL * 1000 - 1);
    expect(cache.cachedDevice('d1')?.source).toBe('cache');
    clock.at(TTL * 1000);
    expect(cache.cachedDevice('d1')).toBeUndefined();
    clock.at(TTL * 1000 - 1);
    expect(cache.cachedDevice('d1')?.source).toBe('cache');
    expect(directory.calls).toHaveLength(1);
  });
});

describe('DirectoryCache.forget (events in)', () => {
  const none = { users: [], groups: [], devices: [], allMemberships: false, everything: false };

  it("forgets a user's answers, answers naming a group, a device, or everything; the next question asks again", async () => {
    const { directory, cache } = setup();
    directory.memberships.set('u1', new Set([groupId(1)]));
    directory.memberships.set('u2', new Set([groupId(2)]));
    await cache.memberGroups('u1', [groupId(1)]);
    await cache.memberGroups('u2', [groupId(2), groupId(3)]);
    await cache.device('d1');
    expect(directory.calls).toHaveLength(3);
    expect(cache.forget({ ...none, users: ['U1'] })).toBe(1);
    expect((await cache.memberGroups('u2', [groupId(2), groupId(3)])).source).toBe('cache');
    expect((await cache.memberGroups('u1', [groupId(1)])).source).toBe('directory');
    expect(cache.forget({ ...none, groups: [groupId(3).toUpperCase()] })).toBe(1);
    expect((await cache.memberGroups('u2', [groupId(2), groupId(3)])).source).toBe('directory');
    expect(cache.forget({ ...none, devices: ['D1'] })).toBe(1);
    expect((await cache.device('d1')).source).toBe('directory');
    expect(cache.forget({ ...none, allMemberships: true })).toBe(2);
    expect((await cache.device('d1')).source).toBe('cache');
    expect(cache.forget({ ...none, everything: true })).toBe(1);
    expect(cache.stats().entries).toBe(0);
  });

  it('a forgotten answer is not served stale when Graph then fails', async () => {
    const { directory, cache } = setup();
    directory.memberships.set('u1', new Set([groupId(1)]));
    await cache.memberGroups('u1', [groupId(1)]);
    cache.forget({ ...none, users: ['u1'] });
    directory.script = () => Promise.reject(new DirectoryError('unavailable', 'down'));
    expect((await cache.memberGroups('u1', [groupId(1)])).source).toBe('unavailable');
  });

  it('an answer in flight when a forget arrives goes to its waiters but is not kept', async () => {
    const { directory, cache } = setup();
    directory.memberships.set('u1', new Set([groupId(1)]));
    directory.hold();
    const pending = cache.memberGroups('u1', [groupId(1)]);
    await tick();
    cache.forget({ ...none, users: ['u1'] });
    for (const held of directory.held) held.release();
    expect((await pending).source).toBe('directory');
    directory.script = undefined;
    expect((await cache.memberGroups('u1', [groupId(1)])).source).toBe('directory');
    expect(directory.calls).toHaveLength(2);
  });
});

describe('DirectoryCache.cachedMemberGroups: the member set shared while the answers are the same', () => {
  const groups = ['G-A', 'g-b', 'g-c'];

  it('gives the same set for the same fresh answers, and a new one once an answer is fetched again or forgotten', async () => {
    const { clock, directory, cache } = setup();
    directory.memberships.set('u1', new Set(['g-a']));
    await cache.memberGroups('u1', groups);
    const first = cache.cachedMemberGroups('u1', groups);
    expect(first?.source).toBe('cache');
    expect([...(first?.value ?? [])]).toEqual(['G-A']);
    expect(cache.cachedMemberGroups('u1', groups)?.value).toBe(first?.value);
    // Another user, same groups: its own answer, its own set.
    directory.memberships.set('u2', new Set(['g-b']));
    await cache.memberGroups('u2', groups);
    expect([...(cache.cachedMemberGroups('u2', groups)?.value ?? [])]).toEqual(['g-b']);
    // The membership changes and the answer expires: the next fetch's answer gives the new set.
    directory.memberships.set('u1', new Set(['g-c']));
    clock.at(TTL * 1000);
    expect(cache.cachedMemberGroups('u1', groups)).toBeUndefined();
    await cache.memberGroups('u1', groups);
    expect([...(cache.cachedMemberGroups('u1', groups)?.value ?? [])]).toEqual(['g-c']);
    // Forgotten: no fresh answer, so no set; asked again, the set follows the directory.
    directory.memberships.set('u1', new Set(['g-a', 'g-b']));
    cache.forget({ users: ['u1'], groups: [], devices: [], allMemberships: false, everything: false });
    expect(cache.cachedMemberGroups('u1', groups)).toBeUndefined();
    await cache.memberGroups('u1', groups);
    expect([...(cache.cachedMemberGroups('u1', groups)?.value ?? [])].sort()).toEqual(['G-A', 'g-b']);
  });

  it('ages with the oldest answer and counts every answer as a hit', async () => {
    const { clock, directory, cache } = setup();
    const many = Array.from({ length: 25 }, (_, index) => `g${String(index).padStart(2, '0')}`);
    directory.memberships.set('u1', new Set(['g01', 'g24']));
    await cache.memberGroups('u1', many);
    const hits = cache.stats().hits;
    clock.at(61_500);
    const facts = cache.cachedMemberGroups('u1', many);
    expect(facts).toEqual({ value: new Set(['g01', 'g24']), source: 'cache', ageSeconds: 61 });
    expect(cache.stats().hits).toBe(hits + 2);
  });
});
