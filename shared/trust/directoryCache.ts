/**
 * What the decision path asks Microsoft Graph (group membership, device state, a user's
 * certificate user ids), cached so that a warm decision makes no Graph call and a Graph outage,
 * time-out or throttling never turns into a 500 or a hung request.
 *
 * It composes parts that each do one job, in `./directory/`:
 * - the questions (`questions.ts`): one cache entry per question, `member-groups` per user and per
 *   chunk of at most 20 sorted, lower-cased group ids; `device` per device id;
 *   `certificate-user-ids` per user;
 * - the store (`answerStore.ts`, lru-cache on the injected clock): fresh while younger than
 *   `ttlSeconds` (a "no such device / user" answer: `negativeTtlSeconds`), the boundary itself a
 *   miss; bounded LRU; answers kept past their TTL for stale-if-error;
 * - the batcher (`missBatcher.ts`): identical questions in flight share one round trip (single
 *   flight), and the misses of one event-loop turn are sent together, up to 20 questions a round
 *   trip (a JSON batch): at most one turn of added latency for a miss;
 * - the round trip (`askDirectory.ts`), bounded by `timeoutMs` here too;
 * - the gates: Retry-After (`retryAfterGate.ts`: `throttled` with Retry-After stops every call
 *   until then, Graph throttles per app and tenant) and the {@link CircuitBreaker};
 * - refresh-ahead (`refreshAhead.ts`): {@link DirectoryCache.maybeRefreshAhead}, called on every
 *   request, starts at most once per sweep interval (ttl / 5) a background re-ask of the entries
 *   used since they were last asked that expire within the next interval, so active entries are
 *   refreshed in the last fifth of their life and idle ones are left to expire.
 *
 * What this class decides:
 * - When asking fails, a value younger than its TTL + `staleSeconds` is answered as `stale`,
 *   otherwise `unavailable`; both say why in `detail`, for the decision trace.
 * - The circuit breaker counts failed round trips: a rejected call of a transient kind (throttled,
 *   unavailable, timeout), or an answer in which every question failed transiently. `denied` and
 *   `invalid` do not count: Graph is up and answering, and opening the circuit would only hide the
 *   questions that do work (a missing Device.Read.All must not stop group checks). Those are logged
 *   (rate-limited, `logRateLimit.ts`) so an admin sees the missing permission, and remembered per
 *   question for `negativeTtlSeconds` so a broken question is not re-asked on every request.
 *
 * Time comes from the injected clock; the only timers are the batcher's flush and the round trip's
 * time-out guard. Methods never reject.
 * May import: ports, the policy core's trace types, the circuit breaker, `./directory/*`.
 */
import { DIRECTORY_BATCH_LIMIT, DirectoryError } from '../ports.js';
import type { Clock, Directory, DirectoryAnswers, DirectoryDevice } from '../ports.js';
import { CircuitBreaker, type CircuitAdmission, type CircuitState } from './circuitBreaker.js';
import { AnswerStore, type StoredAnswer } from './directory/answerStore.js';
import {
  askDirectory,
  asDirectoryError,
  describeFailure,
  isTransient,
  outcomeAt,
  type RoundTripResult,
} from './directory/askDirectory.js';
import { DISABLED_FACTS, unavailable, type DirectoryFacts } from './directory/facts.js';
import { LogRateLimit } from './directory/logRateLimit.js';
import { MissBatcher, SingleFlight } from './directory/missBatcher.js';
import { RefreshAhead, type RefreshAheadReport } from './directory/refreshAhead.js';
import {
  asMembers,
  certificateUserIdsItem,
  combineFacts,
  deviceItem,
  memberGroupsPlan,
  normalizeAnswer,
  normalizeId,
} from './directory/questions.js';
import type { Answer, Item, QuestionKind } from './directory/questions.js';
import { RetryAfterGate } from './directory/retryAfterGate.js';

export type {
  AnsweredFacts,
  DirectoryFacts,
  DirectoryFactsSource,
  MissingFacts,
  StaleFacts,
} from './directory/facts.js';
export { GRAPH_DISABLED_DETAIL } from './directory/facts.js';
export type { RefreshAheadReport } from './directory/refreshAhead.js';

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
  /** How far ahead of expiry used answers are refreshed, and how often at most (default: ttlSeconds / 5). */
  readonly refreshAheadSeconds?: number;
  /** Structured events: denied / invalid questions, throttling, circuit changes. */
  readonly log?: (event: Record<string, unknown>) => void;
}

/** What {@link DirectoryCache.forget} drops (ids in any case). */
export interface DirectoryForgetting {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly devices: readonly string[];
  /** Every membership answer (a nested group changed). */
  readonly allMemberships: boolean;
  /** Every answer (notifications were missed). */
  readonly everything: boolean;
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

/** How one question fared in a round trip. */
type Settled = { readonly ok: true; readonly value: Answer } | { readonly ok: false; readonly detail: string };

/**
 * Graph's answers, cached for the decision path. A miss is queued and sent with the other misses of
 * the same event-loop turn (up to 20 questions a round trip), so it waits at most one event-loop
 * turn longer than a call of its own would; identical questions join the one already queued or in
 * flight. Hits answer without waiting.
 */
export class DirectoryCache {
  private readonly store: AnswerStore;
  private readonly flights = new SingleFlight<Settled>();
  private readonly batcher: MissBatcher<Item, Settled>;
  private readonly breaker: CircuitBreaker;
  private readonly retryAfter = new RetryAfterGate();
  private readonly refusalLog: LogRateLimit;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly refresher: RefreshAhead;
  /** Bumped by every {@link forget}: a round trip that began before one does not store its answers. */
  private forgetEpoch = 0;
  /** The member set of each plan's last fresh answers ({@link cachedMembers}). */
  private readonly membersByPlan = new WeakMap<object, { values: readonly unknown[]; members: ReadonlySet<string> }>();
  private counters = { calls: 0, questions: 0, hits: 0, misses: 0, stale: 0, unavailable: 0 };

  constructor(
    private readonly directory: Directory | undefined,
    private readonly clock: Clock,
    private readonly options: DirectoryCacheOptions,
  ) {
    if (!(options.ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be > 0, got ${options.ttlSeconds}`);
    if (!(options.negativeTtlSeconds >= 0))
      throw new RangeError(`negativeTtlSeconds must be ≥ 0, got ${options.negativeTtlSeconds}`);
    if (!(options.staleSeconds >= 0)) throw new RangeError(`staleSeconds must be ≥ 0, got ${options.staleSeconds}`);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    if (options.refreshAheadSeconds !== undefined && !(options.refreshAheadSeconds > 0))
      throw new RangeError(`refreshAheadSeconds must be > 0, got ${options.refreshAheadSeconds}`);
    this.ttlMs = options.ttlSeconds * 1000;
    this.negativeTtlMs = options.negativeTtlSeconds * 1000;
    this.store = new AnswerStore(clock, {
      maxEntries: options.maxEntries ?? 100_000,
      staleMs: options.staleSeconds * 1000,
    });
    this.batcher = new MissBatcher<Item, Settled>(
      this.flights,
      {
        now: () => this.now(),
        send: (batch, now) => {
          const admission = this.admit(now);
          return admission.admitted
            ? { sent: this.roundTrip(batch, admission) }
            : { refused: { ok: false, detail: admission.detail } };
        },
        failed: (detail) => ({ ok: false, detail }),
        log: (event) => this.options.log?.(event),
      },
      DIRECTORY_BATCH_LIMIT,
    );
    this.breaker = new CircuitBreaker({
      failures: options.breaker?.failures ?? 5,
      cooldownSeconds: options.breaker?.cooldownSeconds ?? 30,
    });
    this.refresher = new RefreshAhead(
      {
        store: this.store,
        inFlight: (key) => this.flights.has(key),
        now: () => this.now(),
        admit: (now) => this.admit(now),
        roundTrip: (batch, admission) => this.roundTrip(batch, admission),
        log: (event) => this.options.log?.(event),
      },
      options.refreshAheadSeconds !== undefined ? options.refreshAheadSeconds * 1000 : this.ttlMs / 5,
    );
    this.refusalLog = new LogRateLimit(this.sweepIntervalMs);
  }

  /**
   * Which of `groupIds` the user is a transitive member of, spelled as given. Any number of ids:
   * they are asked 20 a question, all questions in one round trip. Partial knowledge is no
   * knowledge: when any chunk is unavailable, the whole answer is. No group ids: the empty set
   * from `cache`, without a call.
   */
  memberGroups(userId: string, groupIds: readonly string[]): Promise<DirectoryFacts<ReadonlySet<string>>> {
    return this.guarded(async () => {
      if (!this.directory) return DISABLED_FACTS;
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
    if (!this.directory) return DISABLED_FACTS;
    const plan = memberGroupsPlan(userId, groupIds);
    if (plan === 'empty-user') return undefined;
    if (plan.items.length === 0) return { value: new Set<string>(), source: 'cache', ageSeconds: 0 };
    const answers = this.freshAnswers(plan.items);
    if (!answers) return undefined;
    // What combineFacts + asMembers give for fresh answers (all `cache`, the oldest's age), the
    // member set shared while the answers are the same (see {@link cachedMembers}).
    const now = this.now();
    let oldest = now;
    for (const answer of answers) if (answer.fetchedAt < oldest) oldest = answer.fetchedAt;
    return { value: this.cachedMembers(plan, answers), source: 'cache', ageSeconds: Math.floor((now - oldest) / 1000) };
  }

  /**
   * The members (in the caller's spellings) that fresh answers to a plan's questions give: the
   * same set while the plan (one per user and policy group list) and every answer's value are
   * the same objects (a new round trip stores a new value), built again otherwise. Shared between
   * requests, so read-only.
   */
  private cachedMembers(
    plan: Exclude<ReturnType<typeof memberGroupsPlan>, 'empty-user'>,
    answers: readonly StoredAnswer[],
  ): ReadonlySet<string> {
    const known = this.membersByPlan.get(plan);
    if (
      known &&
      known.values.length === answers.length &&
      answers.every((answer, i) => answer.value === known.values[i])
    )
      return known.members;
    const values = answers.map((answer) => answer.value);
    const members = asMembers(
      combineFacts(values.map((value) => ({ value: value as readonly string[], source: 'cache', ageSeconds: 0 }))),
      plan.spellings,
    ).value as ReadonlySet<string>;
    this.membersByPlan.set(plan, { values, members });
    return members;
  }

  /**
   * {@link device} when its answer is fresh in the cache, without a promise; undefined when the directory would have to
   * be asked.
   */
  cachedDevice(deviceId: string): DirectoryFacts<DirectoryDevice | null> | undefined {
    if (!this.directory) return DISABLED_FACTS;
    const id = normalizeId(deviceId);
    if (id === '') return undefined;
    return this.freshFacts([deviceItem(id)])?.[0];
  }

  /** The Entra device with this device id; null when the directory has none (cached for the negative TTL). */
  device(deviceId: string): Promise<DirectoryFacts<DirectoryDevice | null>> {
    return this.guarded(async () => {
      if (!this.directory) return DISABLED_FACTS;
      const id = normalizeId(deviceId);
      if (id === '') return this.refuseEmpty('device id');
      const [facts] = await this.lookup([deviceItem(id)]);
      return facts ?? unavailable('no answer');
    });
  }

  /** The user's `certificateUserIds`; null for an unknown user (cached for the negative TTL). */
  certificateUserIds(userId: string): Promise<DirectoryFacts<readonly string[] | null>> {
    return this.guarded(async () => {
      if (!this.directory) return DISABLED_FACTS;
      const user = normalizeId(userId);
      if (user === '') return this.refuseEmpty('user id');
      const [facts] = await this.lookup([certificateUserIdsItem(user)]);
      return facts ?? unavailable('no answer');
    });
  }

  /**
   * Re-asks, 20 questions a call, the entries used since they were last asked that expire within
   * the next sweep interval (already expired ones included). Calls go one after another and stop
   * when Retry-After or the circuit says so. Concurrent callers share one run; never rejects.
   */
  refreshAhead(): Promise<RefreshAheadReport> {
    return this.refresher.run();
  }

  /**
   * Starts {@link refreshAhead} in the background when the last one started a sweep interval ago
   * or more and none is running. O(1); call it on every request. True when it started one.
   */
  maybeRefreshAhead(): boolean {
    return this.directory !== undefined && this.refresher.maybeStart();
  }

  /** Refresh-ahead runs at most this often and looks this far ahead (refreshAheadSeconds, default ttl / 5). */
  get sweepIntervalMs(): number {
    return this.refresher.intervalMs;
  }

  /**
   * Forgets answers a directory change made stale (a Graph change notification, an admin's
   * "revoke this user's access now"): the next decision asks Graph again. Answers of round trips
   * already in flight are handed to their waiters but not kept (they may predate the change).
   * Returns how many cached questions went.
   */
  forget(what: DirectoryForgetting): number {
    this.forgetEpoch++;
    if (what.everything) return this.store.forget(() => true);
    const users = new Set(what.users.map(normalizeId));
    const groups = what.groups.map(normalizeId);
    const devices = new Set(what.devices.map(normalizeId));
    return this.store.forget((key) => {
      const [kind = '', id = '', rest = ''] = key.split('|');
      if (kind === 'device') return devices.has(id);
      if (kind === 'certificate-user-ids') return users.has(id);
      if (kind !== 'member-groups') return false;
      if (what.allMemberships || users.has(id)) return true;
      const named = rest.split(',');
      return groups.some((group) => named.includes(group));
    });
  }

  /** Counters and the circuit's state. */
  stats(): DirectoryCacheStats {
    return { ...this.counters, entries: this.store.size, breaker: this.breaker.state(this.now()) };
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
      return unavailable(`directory cache failed: ${String(error)}`);
    }
  }

  private refuseEmpty(what: string): DirectoryFacts<never> {
    this.counters.unavailable++;
    return unavailable(`empty ${what}`);
  }

  private cached<K extends QuestionKind>(answer: StoredAnswer, now: number): DirectoryFacts<DirectoryAnswers[K]> {
    // The one place the stored union meets the asked kind: an entry only ever holds answers to its own question.
    return {
      value: answer.value as DirectoryAnswers[K],
      source: 'cache',
      ageSeconds: Math.floor((now - answer.fetchedAt) / 1000),
    };
  }

  /**
   * Every item's fresh cached answer (marked used, counted as hits), or undefined when any is missing or expired
   * (nothing counted).
   */
  private freshFacts<K extends QuestionKind>(
    items: readonly Item<K>[],
  ): DirectoryFacts<DirectoryAnswers[K]>[] | undefined {
    const answers = this.freshAnswers(items);
    if (!answers) return undefined;
    const now = this.now();
    return answers.map((answer) => this.cached<K>(answer, now));
  }

  /**
   * Every item's fresh stored answer (marked used, counted as hits), or undefined when any is missing or expired
   * (nothing counted).
   */
  private freshAnswers(items: readonly Item[]): StoredAnswer[] | undefined {
    const answers: StoredAnswer[] = [];
    for (const item of items) {
      const answer = this.store.fresh(item.key);
      if (!answer) return undefined;
      answers.push(answer);
    }
    for (const answer of answers) answer.usedSinceAsked = true;
    this.counters.hits += answers.length;
    return answers;
  }

  /** One fact per item, in order: from the cache, a call in flight, the next flush, or a fallback. */
  private async lookup<K extends QuestionKind>(
    items: readonly Item<K>[],
  ): Promise<DirectoryFacts<DirectoryAnswers[K]>[]> {
    const now = this.now();
    const results = items.map((item): Promise<DirectoryFacts<DirectoryAnswers[K]>> => {
      const fresh = this.store.lookUp(item.key);
      if (fresh) {
        this.counters.hits++;
        return Promise.resolve(this.cached<K>(fresh, now));
      }
      this.counters.misses++;
      const refusal = this.store.refusal(item.key);
      const pending = this.flights.get(item.key) ?? (refusal === undefined ? this.batcher.enqueue(item) : undefined);
      if (pending) return pending.then((settled) => this.factsOf<K>(item.key, settled));
      return Promise.resolve(this.fallback<K>(item.key, refusal ?? 'refused', now));
    });
    return Promise.all(results);
  }

  private factsOf<K extends QuestionKind>(key: string, settled: Settled): DirectoryFacts<DirectoryAnswers[K]> {
    if (settled.ok) return { value: settled.value as DirectoryAnswers[K], source: 'directory', ageSeconds: 0 };
    return this.fallback<K>(key, settled.detail, this.now());
  }

  /** A stale value within the bound, or nothing; both with `detail`. */
  private fallback<K extends QuestionKind>(
    key: string,
    detail: string,
    now: number,
  ): DirectoryFacts<DirectoryAnswers[K]> {
    const answer = this.store.stale(key, now);
    if (answer) {
      this.counters.stale++;
      return {
        value: answer.value as DirectoryAnswers[K],
        source: 'stale',
        detail,
        ageSeconds: Math.floor((now - answer.fetchedAt) / 1000),
      };
    }
    this.counters.unavailable++;
    return unavailable(detail);
  }

  /** Whether a round trip may start: Retry-After first, then the circuit. */
  private admit(now: number): CircuitAdmission {
    const heldForMs = this.retryAfter.heldForMs(now);
    if (heldForMs > 0)
      return { admitted: false, detail: `Graph throttled; retry after ${Math.ceil(heldForMs / 1000)} s` };
    return this.breaker.admit(now);
  }

  /**
   * Sends one batch (already admitted); every question in it is in flight until it settles, so
   * identical questions join it. Never rejects.
   */
  private roundTrip(batch: readonly Item[], admission: { readonly probe: boolean }): Promise<Settled[]> {
    this.counters.calls++;
    this.counters.questions += batch.length;
    for (const item of batch) this.store.markAsked(item.key);
    const epoch = this.forgetEpoch;
    const settled = askDirectory(
      this.directory,
      batch.map((item) => item.question),
      this.options.timeoutMs,
    )
      .then((result) => this.settle(batch, result, admission, epoch === this.forgetEpoch))
      .catch((error: unknown): Settled[] => {
        // Only a bug gets here (settle itself failed); the questions must still leave flight.
        for (const item of batch) this.flights.land(item.key);
        this.options.log?.({ event: 'certgate.graph.cache-failed', error: String(error) });
        return batch.map(() => ({ ok: false, detail: `directory cache failed: ${String(error)}` }));
      });
    batch.forEach((item, index) => {
      this.flights.fly(
        item.key,
        settled.then((all) => all[index] ?? { ok: false, detail: 'no answer' }),
      );
    });
    return settled;
  }

  /** Stores answers, remembers refusals, updates Retry-After and the circuit; one result per question. */
  private settle(
    batch: readonly Item[],
    result: RoundTripResult,
    admission: { readonly probe: boolean },
    keep: boolean,
  ): Settled[] {
    const now = this.now();
    for (const item of batch) this.flights.land(item.key);
    const errors: DirectoryError[] = [];
    const settled = batch.map((item, index): Settled => {
      const outcome = outcomeAt(result, index);
      let error: DirectoryError;
      if (outcome.ok) {
        try {
          const value = normalizeAnswer(item.question, outcome.value);
          if (keep)
            this.store.put(item.key, item.question, value, value === null ? this.negativeTtlMs : this.ttlMs, now);
          return { ok: true, value };
        } catch (malformed) {
          error = new DirectoryError('unavailable', `malformed answer: ${String(malformed)}`);
        }
      } else {
        error = asDirectoryError(outcome.error);
      }
      errors.push(error);
      const detail = describeFailure(error, this.options.timeoutMs);
      if (!isTransient(error)) this.refuse(item, error, detail, now);
      return { ok: false, detail };
    });
    const retryAfterSeconds = longestRetryAfter(errors);
    if (retryAfterSeconds !== undefined && this.retryAfter.hold(now, retryAfterSeconds)) {
      this.options.log?.({ event: 'certgate.graph.throttled', retryAfterSeconds });
    }
    // A failed round trip: it was rejected, or every question in it failed transiently.
    const failed = batch.length > 0 && errors.length === batch.length && errors.every(isTransient);
    const transition = this.breaker.record(admission, !failed, now, retryAfterSeconds);
    if (transition === 'opened') {
      this.options.log?.({
        event: 'certgate.graph.circuit-opened',
        failures: this.breaker.failuresInARow,
        detail: errors[0] ? describeFailure(errors[0], this.options.timeoutMs) : undefined,
      });
    } else if (transition === 'closed') {
      this.options.log?.({ event: 'certgate.graph.circuit-closed' });
    }
    return settled;
  }

  /**
   * Remembers a denied / invalid question for the negative TTL (any older answer stays for stale) and logs it,
   * rate-limited.
   */
  private refuse(item: Item, error: DirectoryError, detail: string, now: number): void {
    this.store.refuse(item.key, detail, this.negativeTtlMs, now);
    const admitted = this.refusalLog.admit(`${item.question.kind}|${error.kind}`, now);
    if (!admitted) return;
    this.options.log?.({
      event: error.kind === 'denied' ? 'certgate.graph.denied' : 'certgate.graph.invalid',
      question: item.question.kind,
      status: error.status,
      detail,
      ...(admitted.suppressedSinceLast > 0 ? { suppressedSinceLast: admitted.suppressedSinceLast } : {}),
    });
  }
}

/** The longest Retry-After the failures of a round trip asked for, if any did. */
function longestRetryAfter(errors: readonly DirectoryError[]): number | undefined {
  let longest: number | undefined;
  for (const error of errors) {
    if (error.kind === 'throttled' && error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0) {
      longest = Math.max(longest ?? 0, error.retryAfterSeconds);
    }
  }
  return longest;
}
