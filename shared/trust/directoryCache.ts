/**
 * What the decision path asks Microsoft Graph (group membership, device state, a user's
 * certificate user ids), cached so that a warm decision makes no Graph call and a Graph outage,
 * time-out or throttling never turns into a 500 or a hung request.
 *
 * - One cache entry per question: `member-groups` per user and per chunk of at most 20 sorted,
 *   lower-cased group ids; `device` per device id; `certificate-user-ids` per user. Bounded LRU.
 * - Fresh while younger than `ttlSeconds` (a "no such device / user" answer: `negativeTtlSeconds`);
 *   the boundary itself is a miss. A miss asks the directory (with `timeoutMs`, also enforced
 *   here); identical questions in flight share one round trip (single flight), and the misses of
 *   one event-loop turn (every request being served concurrently) are sent together, up to 20
 *   questions a round trip (a JSON batch): at most one turn of added latency for a miss.
 * - When asking fails, a value younger than its TTL + `staleSeconds` is answered as `stale`,
 *   otherwise `unavailable`; both say why in `detail`, for the decision trace.
 * - `throttled` with Retry-After stops every call until then (Graph throttles per app and tenant).
 * - A circuit breaker ({@link CircuitBreaker}) counts failed round trips: a rejected call of a
 *   transient kind (throttled, unavailable, timeout), or an answer in which every question failed
 *   transiently. `denied` and `invalid` do not count: Graph is up and answering, and opening the
 *   circuit would only hide the questions that do work (a missing Device.Read.All must not stop
 *   group checks). Those are logged (rate-limited) so an admin sees the missing permission, and
 *   remembered per question for `negativeTtlSeconds` so a broken question is not re-asked on
 *   every request.
 * - Refresh-ahead: {@link DirectoryCache.maybeRefreshAhead}, called on every request, starts at
 *   most once per sweep interval (ttl / 5) a background re-ask of the entries that were used since
 *   they were last asked and expire within the next sweep interval, 20 per call. An active entry
 *   is thus refreshed in the last fifth of its life and requests keep hitting the cache; idle
 *   entries are left to expire.
 *
 * Time comes from the injected clock, expiry compares clock times; the only timers are the flush of
 * the queued misses (one `setImmediate`, only while misses are queued: it keeps the process alive for
 * one turn at most) and the guard of an in-flight call's time-out (unref'd, cleared when the call
 * settles). Methods never reject.
 * May import: ports, the circuit breaker.
 */
import { DIRECTORY_BATCH_LIMIT, DirectoryError, MEMBER_GROUPS_LIMIT } from '../ports.js';
import type { Clock, Directory, DirectoryAnswers, DirectoryDevice, DirectoryOutcome, DirectoryQuestion } from '../ports.js';
import { CircuitBreaker, type CircuitState } from './circuitBreaker.js';
import { messageOf } from '../errors.js';

/** Where a directory fact came from, as the decision trace reports it. */
export type DirectoryFactsSource = 'cache' | 'directory' | 'stale' | 'unavailable' | 'disabled';

/**
 * A fact read from the directory, or why there is none. `value` is present for `cache`,
 * `directory` and `stale`; `detail` says why a value is stale or missing; `ageSeconds` is how old
 * the value is (0 when just read).
 */
export interface DirectoryFacts<T> {
  readonly value?: T;
  readonly source: DirectoryFactsSource;
  readonly detail?: string;
  readonly ageSeconds?: number;
}

/** Settings of {@link DirectoryCache}. */
export interface DirectoryCacheOptions {
  /** How long an answer is used before it is asked again. */
  readonly ttlSeconds: number;
  /** How long "no such device / user" is used before it is asked again (0: never cached). */
  readonly negativeTtlSeconds: number;
  /** How long past its TTL an answer may still be used while asking fails (0: never). */
  readonly staleSeconds: number;
  /** Time-out of one round trip to the directory. */
  readonly timeoutMs: number;
  /** Most entries kept (least recently used go first); default 100,000. */
  readonly maxEntries?: number;
  /** Circuit breaker; defaults: 5 failures in a row, 30 s cool-down. */
  readonly breaker?: { readonly failures?: number; readonly cooldownSeconds?: number };
  /** Structured events: denied / invalid questions, throttling, circuit changes. */
  readonly log?: (event: Record<string, unknown>) => void;
}

/** Counters of a {@link DirectoryCache} (since start), for health and the benchmark. */
export interface DirectoryCacheStats {
  /** Round trips to the directory (`answer` calls). */
  readonly calls: number;
  /** Questions sent in those round trips. */
  readonly questions: number;
  /** Questions answered from a fresh entry. */
  readonly hits: number;
  /** Questions that needed the directory (asked, joined an ask in flight, or refused by a gate). */
  readonly misses: number;
  /** Misses answered with a stale value. */
  readonly stale: number;
  /** Misses answered with no value. */
  readonly unavailable: number;
  /** Entries held. */
  readonly entries: number;
  readonly breaker: CircuitState;
}

/** What one refresh-ahead sweep sent. */
export interface RefreshAheadReport {
  readonly questions: number;
  readonly calls: number;
}

/** The `detail` of every answer while Graph is turned off. */
export const GRAPH_DISABLED_DETAIL = 'Microsoft Graph is turned off (CERTGATE_GRAPH_ENABLED=false)';

type QuestionKind = DirectoryQuestion['kind'];
type Answer = DirectoryAnswers[QuestionKind];

interface Item<K extends QuestionKind = QuestionKind> {
  readonly key: string;
  readonly question: DirectoryQuestion & { readonly kind: K };
}

interface Entry {
  readonly question: DirectoryQuestion;
  /** The last answer; kept past its TTL for stale-if-error. */
  answer?: { readonly value: Answer; readonly fetchedAt: number; readonly lifetimeMs: number };
  /** Looked up since it was last asked: only such entries are refreshed ahead. */
  usedSinceAsked: boolean;
  /** A `denied` / `invalid` answer, remembered so the question is not re-asked on every request. */
  refusal?: { readonly detail: string; readonly until: number };
}

/** How one question fared in a round trip. */
type Settled = { readonly ok: true; readonly value: Answer } | { readonly ok: false; readonly detail: string };

/** A question waiting for the next flush, and how to settle everyone waiting for it. */
interface Queued {
  readonly item: Item;
  readonly resolve: (settled: Settled) => void;
}

type Admission = { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false; readonly detail: string };

const TRANSIENT = new Set(['throttled', 'unavailable', 'timeout']);

function normalizeId(id: string): string {
  return id.trim().toLowerCase();
}

/**
 * Graph's answers, cached for the decision path. A miss is queued and sent with the other misses of
 * the same event-loop turn (flushed by `setImmediate`, up to 20 questions a round trip), so it
 * waits at most one event-loop turn longer than a call of its own would; identical questions join
 * the one already queued or in flight. Hits answer without waiting.
 */
export class DirectoryCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Settled>>();
  /** Misses waiting for the next flush (see {@link enqueue}). */
  private queue: Queued[] = [];
  private flushScheduled = false;
  private readonly breaker: CircuitBreaker;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly staleMs: number;
  private readonly maxEntries: number;
  /** Refresh-ahead runs at most this often and looks this far ahead. */
  readonly sweepIntervalMs: number;
  private throttledUntil = Number.NEGATIVE_INFINITY;
  private lastSweepAt: number;
  private sweeping: Promise<RefreshAheadReport> | undefined;
  private readonly refusalLoggedAt = new Map<string, { at: number; suppressed: number }>();
  private counters = { calls: 0, questions: 0, hits: 0, misses: 0, stale: 0, unavailable: 0 };

  constructor(
    private readonly directory: Directory | undefined,
    private readonly clock: Clock,
    private readonly options: DirectoryCacheOptions,
  ) {
    if (!(options.ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be > 0, got ${options.ttlSeconds}`);
    if (!(options.negativeTtlSeconds >= 0)) throw new RangeError(`negativeTtlSeconds must be ≥ 0, got ${options.negativeTtlSeconds}`);
    if (!(options.staleSeconds >= 0)) throw new RangeError(`staleSeconds must be ≥ 0, got ${options.staleSeconds}`);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.ttlMs = options.ttlSeconds * 1000;
    this.negativeTtlMs = options.negativeTtlSeconds * 1000;
    this.staleMs = options.staleSeconds * 1000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
    this.sweepIntervalMs = this.ttlMs / 5;
    this.breaker = new CircuitBreaker({ failures: options.breaker?.failures ?? 5, cooldownSeconds: options.breaker?.cooldownSeconds ?? 30 });
    this.lastSweepAt = clock.now().getTime();
  }

  /**
   * Which of `groupIds` the user is a transitive member of, spelled as given. Any number of ids:
   * they are asked 20 a question, all questions in one round trip. Partial knowledge is no
   * knowledge: when any chunk is unavailable, the whole answer is. No group ids: the empty set
   * from `cache`, without a call.
   */
  memberGroups(userId: string, groupIds: readonly string[]): Promise<DirectoryFacts<ReadonlySet<string>>> {
    return this.guarded(async () => {
      if (!this.directory) return { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
      const plan = memberGroupsPlan(userId, groupIds);
      if (plan === 'empty-user') return this.refuseEmpty('user id');
      if (plan.items.length === 0) return { value: new Set<string>(), source: 'cache', ageSeconds: 0 };
      return asMembers(combineFacts(await this.lookup(plan.items)), plan.spellings);
    });
  }

  /**
   * {@link memberGroups} when every answer it needs is fresh in the cache, without a promise (the
   * warm decision path); undefined when the directory would have to be asked. Counts as a use.
   */
  cachedMemberGroups(userId: string, groupIds: readonly string[]): DirectoryFacts<ReadonlySet<string>> | undefined {
    if (!this.directory) return { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
    const plan = memberGroupsPlan(userId, groupIds);
    if (plan === 'empty-user') return undefined;
    if (plan.items.length === 0) return { value: new Set<string>(), source: 'cache', ageSeconds: 0 };
    const facts = this.freshFacts(plan.items);
    return facts && asMembers(combineFacts(facts as DirectoryFacts<readonly string[]>[]), plan.spellings);
  }

  /** {@link device} when its answer is fresh in the cache, without a promise; undefined when the directory would have to be asked. */
  cachedDevice(deviceId: string): DirectoryFacts<DirectoryDevice | null> | undefined {
    if (!this.directory) return { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
    const id = normalizeId(deviceId);
    if (id === '') return undefined;
    const facts = this.freshFacts([{ key: `device|${id}`, question: { kind: 'device', deviceId: id } }]);
    return facts?.[0] as DirectoryFacts<DirectoryDevice | null> | undefined;
  }

  /** The Entra device with this device id; null when the directory has none (cached for the negative TTL). */
  device(deviceId: string): Promise<DirectoryFacts<DirectoryDevice | null>> {
    return this.guarded(async () => {
      if (!this.directory) return { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
      const id = normalizeId(deviceId);
      if (id === '') return this.refuseEmpty('device id');
      const [facts] = await this.lookup<'device'>([{ key: `device|${id}`, question: { kind: 'device', deviceId: id } }]);
      return facts ?? { source: 'unavailable', detail: 'no answer' };
    });
  }

  /** The user's `certificateUserIds`; null for an unknown user (cached for the negative TTL). */
  certificateUserIds(userId: string): Promise<DirectoryFacts<readonly string[] | null>> {
    return this.guarded(async () => {
      if (!this.directory) return { source: 'disabled', detail: GRAPH_DISABLED_DETAIL };
      const user = normalizeId(userId);
      if (user === '') return this.refuseEmpty('user id');
      const [facts] = await this.lookup<'certificate-user-ids'>([{ key: `certificate-user-ids|${user}`, question: { kind: 'certificate-user-ids', userId: user } }]);
      return facts ?? { source: 'unavailable', detail: 'no answer' };
    });
  }

  /**
   * Re-asks, 20 questions a call, the entries used since they were last asked that expire within
   * the next sweep interval (already expired ones included). Calls go one after another and stop
   * when Retry-After or the circuit says so. Concurrent callers share one run; never rejects.
   */
  refreshAhead(): Promise<RefreshAheadReport> {
    this.sweeping ??= this.sweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /**
   * Starts {@link refreshAhead} in the background when the last one started a sweep interval ago
   * or more and none is running. O(1); call it on every request. True when it started one.
   */
  maybeRefreshAhead(): boolean {
    try {
      if (!this.directory || this.sweeping) return false;
      if (this.now() - this.lastSweepAt < this.sweepIntervalMs) return false;
      void this.refreshAhead();
      return true;
    } catch (error) {
      this.options.log?.({ event: 'certgate.graph.refresh-ahead-failed', error: String(error) });
      return false;
    }
  }

  /** Counters and the circuit's state. */
  stats(): DirectoryCacheStats {
    return { ...this.counters, entries: this.entries.size, breaker: this.breaker.state(this.now()) };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** The last line of defence of "never rejects": a malfunction here is an unavailable fact, logged. */
  private async guarded<T>(answer: () => Promise<DirectoryFacts<T>>): Promise<DirectoryFacts<T>> {
    try {
      return await answer();
    } catch (error) {
      this.options.log?.({ event: 'certgate.graph.cache-failed', error: String(error) });
      this.counters.unavailable++;
      return { source: 'unavailable', detail: `directory cache failed: ${String(error)}` };
    }
  }

  private refuseEmpty<T>(what: string): DirectoryFacts<T> {
    this.counters.unavailable++;
    return { source: 'unavailable', detail: `empty ${what}` };
  }

  /** Every item's fresh cached answer (marked used, counted as hits), or undefined when any is missing or expired (nothing counted). */
  private freshFacts(items: readonly Item[]): DirectoryFacts<Answer>[] | undefined {
    const now = this.now();
    const entries: Entry[] = [];
    for (const item of items) {
      const entry = this.entries.get(item.key);
      if (!entry?.answer || now - entry.answer.fetchedAt >= entry.answer.lifetimeMs) return undefined;
      entries.push(entry);
    }
    return items.map((item, index) => {
      const entry = entries[index] as Entry & { answer: NonNullable<Entry['answer']> };
      this.touch(item.key);
      entry.usedSinceAsked = true;
      this.counters.hits++;
      return { value: entry.answer.value, source: 'cache', ageSeconds: Math.floor((now - entry.answer.fetchedAt) / 1000) };
    });
  }

  /** One fact per item, in order: from the cache, a call in flight, new round trips, or a fallback. */
  private async lookup<K extends QuestionKind>(items: readonly Item<K>[]): Promise<DirectoryFacts<DirectoryAnswers[K]>[]> {
    const now = this.now();
    const results: Promise<DirectoryFacts<Answer>>[] = [];
    const toAsk: Item[] = [];
    const askedAt = new Map<string, number>();
    for (const item of items) {
      const entry = this.touch(item.key);
      if (entry) entry.usedSinceAsked = true;
      if (entry?.answer && now - entry.answer.fetchedAt < entry.answer.lifetimeMs) {
        this.counters.hits++;
        results.push(Promise.resolve({ value: entry.answer.value, source: 'cache', ageSeconds: Math.floor((now - entry.answer.fetchedAt) / 1000) }));
        continue;
      }
      this.counters.misses++;
      const pending = this.inFlight.get(item.key);
      if (pending) {
        results.push(pending.then((settled) => this.factsOf(item.key, settled)));
      } else if (entry?.refusal && now < entry.refusal.until) {
        results.push(Promise.resolve(this.fallback(item.key, entry.refusal.detail, now)));
      } else {
        askedAt.set(item.key, results.length);
        results.push(Promise.resolve({ source: 'unavailable' })); // a placeholder, replaced below
        toAsk.push(item);
      }
    }
    for (const item of toAsk) {
      results[askedAt.get(item.key) ?? -1] = this.enqueue(item).then((settled) => this.factsOf(item.key, settled));
    }
    // The one place the stored union meets the asked kind: an entry only ever holds answers to its own question.
    return (await Promise.all(results)) as DirectoryFacts<DirectoryAnswers[K]>[];
  }

  /**
   * Queues a question that must be asked; it is in flight from now (identical questions join it).
   * The queue is flushed once per event-loop turn, so the misses of concurrent requests share
   * round trips (at most one turn of added latency).
   */
  private enqueue(item: Item): Promise<Settled> {
    let resolve: (settled: Settled) => void = () => undefined;
    const settled = new Promise<Settled>((done) => {
      resolve = done;
    });
    this.inFlight.set(item.key, settled);
    this.queue.push({ item, resolve });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flush();
      });
    }
    return settled;
  }

  /**
   * Sends the queued questions, up to 20 a round trip, each round trip admitted by Retry-After and
   * the circuit (half-open: the first is the probe, the others are refused); a refused batch
   * settles at once and its questions fall back to stale / unavailable.
   */
  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queue;
    this.queue = [];
    let sent = 0;
    try {
      const now = this.now();
      for (; sent < queued.length; sent += DIRECTORY_BATCH_LIMIT) {
        const batch = queued.slice(sent, sent + DIRECTORY_BATCH_LIMIT);
        const admission = this.admit(now);
        if (!admission.admitted) {
          this.refuseQueued(batch, admission.detail);
          continue;
        }
        void this.roundTrip(
          batch.map((queuedItem) => queuedItem.item),
          admission,
        ).then((answers) => {
          batch.forEach(({ resolve }, index) => {
            resolve(answers[index] ?? { ok: false, detail: 'no answer' });
          });
        });
      }
    } catch (error) {
      // Only a bug (or a clock that throws) gets here: what was not sent must not wait forever,
      // and nothing may escape the setImmediate callback (it would be an uncaught exception).
      this.refuseQueued(queued.slice(sent), `directory cache failed: ${String(error)}`);
      try {
        this.options.log?.({ event: 'certgate.graph.cache-failed', error: String(error) });
      } catch {
        // A logger that throws is not worth crashing the worker for.
      }
    }
  }

  /** Settles queued questions that will not be sent: they leave the in-flight map and fall back. */
  private refuseQueued(queued: readonly Queued[], detail: string): void {
    for (const { item, resolve } of queued) {
      this.inFlight.delete(item.key);
      resolve({ ok: false, detail });
    }
  }

  /** The entry under `key`, moved to the most recently used end. */
  private touch(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  private factsOf(key: string, settled: Settled): DirectoryFacts<Answer> {
    if (settled.ok) return { value: settled.value, source: 'directory', ageSeconds: 0 };
    return this.fallback(key, settled.detail, this.now());
  }

  /** A stale value within the bound, or nothing; both with `detail`. */
  private fallback(key: string, detail: string, now: number): DirectoryFacts<Answer> {
    const answer = this.entries.get(key)?.answer;
    if (answer && now - answer.fetchedAt < answer.lifetimeMs + this.staleMs) {
      this.counters.stale++;
      return { value: answer.value, source: 'stale', detail, ageSeconds: Math.floor((now - answer.fetchedAt) / 1000) };
    }
    this.counters.unavailable++;
    return { source: 'unavailable', detail };
  }

  /** Whether a round trip may start: Retry-After first, then the circuit. */
  private admit(now: number): Admission {
    if (now < this.throttledUntil) return { admitted: false, detail: `Graph throttled; retry after ${Math.ceil((this.throttledUntil - now) / 1000)} s` };
    return this.breaker.admit(now);
  }

  /**
   * Sends one batch (already admitted); every question in it is in flight until it settles, so
   * identical questions join it. Never rejects.
   */
  private roundTrip(batch: readonly Item[], admission: { readonly probe: boolean }): Promise<Settled[]> {
    this.counters.calls++;
    this.counters.questions += batch.length;
    for (const item of batch) {
      const entry = this.entries.get(item.key);
      if (entry) entry.usedSinceAsked = false;
    }
    const settled = this.call(batch.map((item) => item.question))
      .then((result) => this.settle(batch, result, admission))
      .catch((error: unknown): Settled[] => {
        // Only a bug gets here (settle itself failed); the questions must still leave the in-flight map.
        for (const item of batch) this.inFlight.delete(item.key);
        this.options.log?.({ event: 'certgate.graph.cache-failed', error: String(error) });
        return batch.map(() => ({ ok: false, detail: `directory cache failed: ${String(error)}` }));
      });
    batch.forEach((item, index) => {
      this.inFlight.set(
        item.key,
        settled.then((all) => all[index] ?? { ok: false, detail: 'no answer' }),
      );
    });
    return settled;
  }

  /** One `answer` call, bounded by the time-out even if the adapter ignores it. */
  private async call(questions: readonly DirectoryQuestion[]): Promise<{ ok: true; outcomes: readonly DirectoryOutcome[] } | { ok: false; error: DirectoryError }> {
    const directory = this.directory;
    if (!directory) return { ok: false, error: new DirectoryError('unavailable', GRAPH_DISABLED_DETAIL) };
    const timeoutMs = this.options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answered = new Promise<DirectoryOutcome[]>((resolve) => {
        resolve(directory.answer(questions, { timeoutMs }));
      });
      const guard = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new DirectoryError('timeout', `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        timer.unref();
      });
      const outcomes = await Promise.race([answered, guard]);
      if (!Array.isArray(outcomes)) return { ok: false, error: new DirectoryError('unavailable', 'the directory gave no list of answers') };
      return { ok: true, outcomes };
    } catch (error) {
      return { ok: false, error: asDirectoryError(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stores answers, remembers refusals, updates Retry-After and the circuit; one result per question. */
  private settle(
    batch: readonly Item[],
    result: { ok: true; outcomes: readonly DirectoryOutcome[] } | { ok: false; error: DirectoryError },
    admission: { readonly probe: boolean },
  ): Settled[] {
    const now = this.now();
    for (const item of batch) this.inFlight.delete(item.key);
    const errors: DirectoryError[] = [];
    const settled = batch.map((item, index): Settled => {
      const outcome: DirectoryOutcome = result.ok
        ? (result.outcomes[index] ?? { ok: false, error: new DirectoryError('unavailable', 'the directory gave no answer to this question') })
        : { ok: false, error: result.error };
      let error: DirectoryError;
      if (outcome.ok) {
        try {
          const value = normalizeAnswer(item.question, outcome.value);
          this.store(item, value, now);
          return { ok: true, value };
        } catch (malformed) {
          error = new DirectoryError('unavailable', `malformed answer: ${String(malformed)}`);
        }
      } else {
        error = asDirectoryError(outcome.error);
      }
      errors.push(error);
      const detail = describeFailure(error, this.options.timeoutMs);
      if (!TRANSIENT.has(error.kind)) this.refuse(item, error, detail, now);
      return { ok: false, detail };
    });
    let retryAfterSeconds: number | undefined;
    for (const error of errors) {
      if (error.kind === 'throttled' && error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0) {
        retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, error.retryAfterSeconds);
      }
    }
    if (retryAfterSeconds !== undefined) {
      const until = now + retryAfterSeconds * 1000;
      if (until > this.throttledUntil) {
        if (now >= this.throttledUntil) this.options.log?.({ event: 'certgate.graph.throttled', retryAfterSeconds });
        this.throttledUntil = until;
      }
    }
    // A failed round trip: it was rejected, or every question in it failed transiently.
    const failed = batch.length > 0 && errors.length === batch.length && errors.every((error) => TRANSIENT.has(error.kind));
    const transition = this.breaker.record(admission, !failed, now, retryAfterSeconds);
    if (transition === 'opened') {
      this.options.log?.({ event: 'certgate.graph.circuit-opened', failures: this.breaker.failuresInARow, detail: errors[0] ? describeFailure(errors[0], this.options.timeoutMs) : undefined });
    } else if (transition === 'closed') {
      this.options.log?.({ event: 'certgate.graph.circuit-closed' });
    }
    return settled;
  }

  private store(item: Item, value: Answer, now: number): void {
    const negative = value === null;
    const entry: Entry = {
      question: item.question,
      answer: { value, fetchedAt: now, lifetimeMs: negative ? this.negativeTtlMs : this.ttlMs },
      usedSinceAsked: this.entries.get(item.key)?.usedSinceAsked ?? false,
    };
    this.put(item.key, entry);
  }

  /** Remembers a denied / invalid question for the negative TTL (keeping any older answer for stale) and logs it. */
  private refuse(item: Item, error: DirectoryError, detail: string, now: number): void {
    const previous = this.entries.get(item.key);
    const entry: Entry = {
      question: item.question,
      ...(previous?.answer ? { answer: previous.answer } : {}),
      usedSinceAsked: previous?.usedSinceAsked ?? false,
      refusal: { detail, until: now + this.negativeTtlMs },
    };
    this.put(item.key, entry);
    // One log line per question kind and error kind per sweep interval: a missing permission
    // fails every user's question, and one line says it as well as a thousand.
    const logKey = `${item.question.kind}|${error.kind}`;
    const logged = this.refusalLoggedAt.get(logKey);
    if (logged && now - logged.at < this.sweepIntervalMs) {
      logged.suppressed++;
      return;
    }
    this.refusalLoggedAt.set(logKey, { at: now, suppressed: 0 });
    this.options.log?.({
      event: error.kind === 'denied' ? 'certgate.graph.denied' : 'certgate.graph.invalid',
      question: item.question.kind,
      status: error.status,
      detail,
      ...(logged && logged.suppressed > 0 ? { suppressedSinceLast: logged.suppressed } : {}),
    });
  }

  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private async sweep(): Promise<RefreshAheadReport> {
    let calls = 0;
    let questions = 0;
    try {
      const start = this.now();
      this.lastSweepAt = start;
      if (!this.directory) return { calls, questions };
      const due: Item[] = [];
      for (const [key, entry] of this.entries) if (this.isDue(key, entry, start)) due.push({ key, question: entry.question });
      for (let offset = 0; offset < due.length; offset += DIRECTORY_BATCH_LIMIT) {
        const now = this.now();
        // Re-checked per batch: a request may have asked some of them meanwhile.
        const batch = due.slice(offset, offset + DIRECTORY_BATCH_LIMIT).filter((item) => {
          const entry = this.entries.get(item.key);
          return entry !== undefined && this.isDue(item.key, entry, now);
        });
        if (batch.length === 0) continue;
        const admission = this.admit(now);
        if (!admission.admitted) break;
        calls++;
        questions += batch.length;
        await this.roundTrip(batch, admission);
      }
    } catch (error) {
      this.options.log?.({ event: 'certgate.graph.refresh-ahead-failed', error: String(error) });
    }
    return { calls, questions };
  }

  private isDue(key: string, entry: Entry, now: number): boolean {
    const answer = entry.answer;
    if (!answer || !entry.usedSinceAsked || answer.lifetimeMs <= 0 || this.inFlight.has(key)) return false;
    if (entry.refusal && now < entry.refusal.until) return false;
    return answer.fetchedAt + answer.lifetimeMs - now <= this.sweepIntervalMs;
  }
}

/** Lower-cased group ids, limited to the ones asked (an adapter that answers more is not believed). */
function normalizeAnswer(question: DirectoryQuestion, value: Answer): Answer {
  if (question.kind !== 'member-groups') return value;
  if (!Array.isArray(value)) throw new TypeError('member-groups answer is not a list');
  const asked = new Set(question.groupIds);
  const ids: unknown[] = value;
  return [...new Set(ids.filter((id) => typeof id === 'string').map(normalizeId))].filter((id) => asked.has(id)).sort();
}

/**
 * The questions for a user's memberships: group ids lower-cased, de-duplicated, sorted and cut
 * into chunks of 20 (one cache entry per chunk), with the caller's spellings to answer in.
 */
type MemberGroupsPlan = { readonly items: Item<'member-groups'>[]; readonly spellings: ReadonlyMap<string, readonly string[]> } | 'empty-user';

/** Plans by group-id list (the policies' list is one array per configuration), then by user. */
const plans = new WeakMap<readonly string[], Map<string, MemberGroupsPlan>>();
const PLANS_PER_LIST = 10_000;

function memberGroupsPlan(userId: string, groupIds: readonly string[]): MemberGroupsPlan {
  let byUser = plans.get(groupIds);
  if (!byUser) plans.set(groupIds, (byUser = new Map<string, MemberGroupsPlan>()));
  const known = byUser.get(userId);
  if (known) return known;
  const plan = planMemberGroups(userId, groupIds);
  if (byUser.size >= PLANS_PER_LIST) byUser.clear();
  byUser.set(userId, plan);
  return plan;
}

function planMemberGroups(userId: string, groupIds: readonly string[]): MemberGroupsPlan {
  const user = normalizeId(userId);
  if (user === '') return 'empty-user';
  const spellings = new Map<string, string[]>();
  for (const id of groupIds) {
    const normalized = normalizeId(id);
    if (normalized === '') continue;
    const known = spellings.get(normalized);
    if (known) known.push(id);
    else spellings.set(normalized, [id]);
  }
  const sorted = [...spellings.keys()].sort();
  const items: Item<'member-groups'>[] = [];
  for (let start = 0; start < sorted.length; start += MEMBER_GROUPS_LIMIT) {
    const chunk = sorted.slice(start, start + MEMBER_GROUPS_LIMIT);
    items.push({ key: `member-groups|${user}|${chunk.join(',')}`, question: { kind: 'member-groups', userId: user, groupIds: chunk } });
  }
  return { items, spellings };
}

/** Combined membership facts as a set of the caller's spellings. */
function asMembers(combined: DirectoryFacts<readonly string[]>, spellings: ReadonlyMap<string, readonly string[]>): DirectoryFacts<ReadonlySet<string>> {
  if (combined.value === undefined) return { source: combined.source, ...(combined.detail !== undefined ? { detail: combined.detail } : {}) };
  const members = new Set<string>();
  for (const groupId of combined.value) for (const spelling of spellings.get(groupId) ?? []) members.add(spelling);
  return { ...combined, value: members };
}

/** The facts of several questions as one: nothing when any is missing, stale when any is stale. */
function combineFacts(facts: readonly DirectoryFacts<readonly string[]>[]): DirectoryFacts<readonly string[]> {
  const missing = facts.find((fact) => fact.value === undefined);
  if (missing) return { source: 'unavailable', ...(missing.detail !== undefined ? { detail: missing.detail } : {}) };
  const value = facts.flatMap((fact) => fact.value ?? []);
  const ageSeconds = Math.max(0, ...facts.map((fact) => fact.ageSeconds ?? 0));
  const stale = facts.find((fact) => fact.source === 'stale');
  if (stale) return { value, source: 'stale', ageSeconds, ...(stale.detail !== undefined ? { detail: stale.detail } : {}) };
  return { value, source: facts.some((fact) => fact.source === 'directory') ? 'directory' : 'cache', ageSeconds };
}

function asDirectoryError(error: unknown): DirectoryError {
  if (error instanceof DirectoryError) return error;
  return new DirectoryError('unavailable', messageOf(error));
}

/** The `detail` of a failure, for the decision trace (the admin's, not the user's). */
function describeFailure(error: DirectoryError, timeoutMs: number): string {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
  switch (error.kind) {
    case 'throttled':
      return error.retryAfterSeconds !== undefined ? `Graph throttled; retry after ${error.retryAfterSeconds} s` : `Graph throttled${status}`;
    case 'timeout':
      return `timed out after ${timeoutMs} ms`;
    case 'unavailable':
      return `Graph unavailable${status}: ${error.message}`;
    case 'denied':
      return `Graph denied the request${status}; check the app's Graph permissions: ${error.message}`;
    case 'invalid':
      return `Graph rejected the question as invalid${status}: ${error.message}`;
  }
}
