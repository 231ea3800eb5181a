/**
 * The directory cache's store: Graph's answers by question, in an `lru-cache` (least recently used
 * out first once `maxEntries` are held, counted as `maxSize`) that tells time by the injected clock (its `perf` option)
 * and keeps no timers (`ttlAutopurge` off; `ttlResolution` 0, so the clock is read at every look-up
 * and a test clock that jumps is believed at once).
 *
 * - An answer's lru-cache TTL is its lifetime: the TTL, or the negative TTL for "no such device /
 *   user". Past it the answer is not fresh but is kept (`noDeleteOnStaleGet`) and read back with
 *   `allowStale` for stale-if-error, while younger than its lifetime + the stale window.
 * - A refusal (`denied` / `invalid`) is remembered for the negative TTL in a second LRU, beside any
 *   older answer to the same question (which stays usable as stale).
 * - Every window closes at its bound: at the TTL itself an answer is no longer fresh, at the end of
 *   the stale window no longer usable, at the end of the negative TTL a refusal is over.
 * May import: lru-cache, ports (types), the questions.
 */
import { LRUCache } from 'lru-cache';
import type { Clock, DirectoryQuestion } from '../../ports.js';
import type { Answer } from './questions.js';

/** An answer held by the store. */
export interface StoredAnswer {
  readonly question: DirectoryQuestion;
  readonly value: Answer;
  /** Clock time (ms) of the round trip that brought it. */
  readonly fetchedAt: number;
  /** How long it is fresh (ms). */
  readonly lifetimeMs: number;
  /** Looked up since it was last asked: only such entries are refreshed ahead. */
  usedSinceAsked: boolean;
}

/** Settings of {@link AnswerStore}. */
export interface AnswerStoreOptions {
  /** Most answers kept, and most refusals (least recently used go first). */
  readonly maxEntries: number;
  /** How long past its lifetime an answer may still be used while asking fails (ms). */
  readonly staleMs: number;
}

/**
 * lru-cache's ttl for a window of `windowMs`. lru-cache counts an entry fresh while its age ≤ ttl;
 * certgate's windows close at their bound (age < window: the boundary itself is a miss), on a clock
 * of whole milliseconds. Half a millisecond less makes the two agree, and keeps a window of 0
 * ("never fresh") from becoming lru-cache's ttl 0 ("never expires").
 */
function lruTtl(windowMs: number): number {
  return Math.max(0, Math.ceil(windowMs)) - 0.5;
}

/** Answers and refusals by question key; see the module header. */
export class AnswerStore {
  private readonly answers: LRUCache<string, StoredAnswer>;
  private readonly refusals: LRUCache<string, string>;

  constructor(
    clock: Clock,
    private readonly options: AnswerStoreOptions,
  ) {
    // Bounded by count through maxSize (every entry weighs 1) rather than `max`: with `max`
    // lru-cache allocates its arrays for all entries up front, ≈ 30 ms at 100,000 (a cold start).
    const bound = { maxSize: Math.max(1, Math.floor(options.maxEntries)), sizeCalculation: () => 1 };
    const perf = { now: () => clock.now().getTime() };
    const common = {
      ...bound,
      perf,
      ttlAutopurge: false,
      ttlResolution: 0,
      updateAgeOnGet: false,
      updateAgeOnHas: false,
    } as const;
    // allowStale by default (reads and iteration see answers past their TTL); fresh reads ask for fresh ones.
    this.answers = new LRUCache<string, StoredAnswer>({ ...common, allowStale: true, noDeleteOnStaleGet: true });
    this.refusals = new LRUCache<string, string>({ ...common, allowStale: false });
  }

  /** The answer under `key` if it is fresh, moved to the most recently used end; undefined otherwise. */
  fresh(key: string): StoredAnswer | undefined {
    return this.answers.get(key, { allowStale: false });
  }

  /**
   * A request's look-up: the answer under `key` if it is fresh, else undefined. Whatever it finds
   * counts as a use: a held answer, fresh or not, is marked used and moved to the most recently
   * used end (as is a remembered refusal).
   */
  lookUp(key: string): StoredAnswer | undefined {
    const fresh = this.fresh(key);
    const answer = fresh ?? this.answers.peek(key);
    if (answer) {
      answer.usedSinceAsked = true;
      // lru-cache moves only fresh entries on a read: setting an expired one again (same dates) moves it.
      if (!fresh) this.answers.set(key, answer, { ttl: lruTtl(answer.lifetimeMs), start: answer.fetchedAt });
    }
    this.refusals.get(key);
    return fresh;
  }

  /** The answer under `key`, fresh or not, without touching its recency. */
  held(key: string): StoredAnswer | undefined {
    return this.answers.peek(key);
  }

  /**
   * The answer under `key` when it may stand in for a failed ask at `now` (younger than its lifetime + the stale
   * window).
   */
  stale(key: string, now: number): StoredAnswer | undefined {
    const answer = this.answers.peek(key);
    return answer && now - answer.fetchedAt < answer.lifetimeMs + this.options.staleMs ? answer : undefined;
  }

  /** Stores an answer fetched at `now`, fresh for `lifetimeMs`; keeps whether the question was used. */
  put(key: string, question: DirectoryQuestion, value: Answer, lifetimeMs: number, now: number): void {
    const usedSinceAsked = this.answers.peek(key)?.usedSinceAsked ?? false;
    this.answers.set(
      key,
      { question, value, fetchedAt: now, lifetimeMs, usedSinceAsked },
      { ttl: lruTtl(lifetimeMs), start: now },
    );
  }

  /** Marks the answer under `key` (if any) as not used since it was last asked: a round trip is asking it now. */
  markAsked(key: string): void {
    const answer = this.answers.peek(key);
    if (answer) answer.usedSinceAsked = false;
  }

  /** Remembers that the directory refused the question under `key`, for `windowMs` from `now` (0: not at all). */
  refuse(key: string, detail: string, windowMs: number, now: number): void {
    if (windowMs > 0) this.refusals.set(key, detail, { ttl: lruTtl(windowMs), start: now });
    else this.refusals.delete(key);
  }

  /** Why the question under `key` was refused, while that is remembered. */
  refusal(key: string): string | undefined {
    return this.refusals.peek(key);
  }

  /** Drops every answer and refusal whose key `matches`; returns how many keys went. */
  forget(matches: (key: string) => boolean): number {
    let dropped = 0;
    for (const key of [...this.answers.keys()]) if (matches(key) && this.answers.delete(key)) dropped++;
    for (const key of [...this.refusals.keys()]) if (matches(key)) this.refusals.delete(key);
    return dropped;
  }

  /** Every held answer (expired ones included), least recently used first. */
  all(): [string, StoredAnswer][] {
    return [...this.answers.entries()].reverse();
  }

  /** Questions held: with an answer, a remembered refusal, or both. */
  get size(): number {
    let refusedOnly = 0;
    for (const key of this.refusals.keys()) if (this.answers.peek(key) === undefined) refusedOnly++;
    return this.answers.size + refusedOnly;
  }
}
