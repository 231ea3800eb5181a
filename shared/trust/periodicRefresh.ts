/**
 * A value a worker keeps in memory and re-loads at most every `refreshSeconds`: concurrent
 * callers share one load (single flight), a failed load keeps serving the last good value, and
 * with no value at all the error reaches the caller (who fails closed). The loader gets the
 * previous value so it can return it unchanged when the source did not change.
 *
 * A slow or silent source never holds a request that has a good value for longer than its
 * patience: a due refresh is awaited for at most `patienceMs` (measured from the start of the
 * load), then the request is served the value it holds and the load finishes in the background.
 * While the source is failing (the last load failed) such requests do not wait at all, and the
 * source is tried again once per interval (at least a second apart). With nothing loaded yet, a
 * request waits for the load (bounded by the source's own deadline); requests within a second of
 * a failed load get that failure at once instead of queueing behind another slow attempt. After
 * `invalidate()` (a change made through this worker) the next request waits for the load, so the
 * worker reads its own writes. The clock decides when a value is due; waiting is real time.
 * May import: ports (types).
 */
import type { Clock } from '../ports.js';
import { messageOf } from '../errors.js';

/** How a {@link PeriodicRefresh} treats requests while a load is slow. */
export interface RefreshOptions {
  /**
   * How long a request that holds a good value waits for a due load, in milliseconds from the
   * load's start, before it is served that value. Default: until the load settles (which the
   * source's deadline bounds).
   */
  readonly patienceMs?: number;
}

/** What a {@link PeriodicRefresh} holds and whether its source is failing (for health and logs). */
export interface RefreshStatus {
  readonly hasValue: boolean;
  /** When the value in use was loaded. */
  readonly loadedAt?: Date;
  /** Since when loads fail (the first failure after the last success); undefined while they succeed. */
  readonly failingSince?: Date;
  readonly lastError?: string;
}

/**
 * The decision path's patience with a due refresh: a Table read in the same region answers in a
 * few milliseconds, so a healthy store is waited for (a change is in force by the next request)
 * while a slow one delays a request by at most this much; a failing one by nothing.
 */
export const DECISION_PATH_PATIENCE_MS = 50;

/** With nothing loaded, how long a failure is answered at once before the source is tried again. */
const COLD_RETRY_MS = 1_000;
/** With a value, a failing source is tried again at most this often (or once per refresh interval, if longer). */
const MIN_RETRY_MS = 1_000;

/** Keeps one value fresh. */
export class PeriodicRefresh<T> {
  private value: T | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private invalidated = false;
  private loading: { readonly promise: Promise<T>; readonly startedAt: number } | undefined;
  private failure: { readonly since: number; readonly at: number; readonly error: unknown } | undefined;

  constructor(
    private readonly load: (previous: T | undefined) => Promise<T>,
    private readonly clock: Clock,
    private readonly refreshSeconds: number,
    private readonly options: RefreshOptions = {},
  ) {}

  /**
   * The value when {@link get} would answer it at once without loading (held, not invalidated,
   * checked within the refresh interval), else undefined: the warm path without a promise.
   */
  fresh(): T | undefined {
    const held = this.value;
    if (held === undefined || this.invalidated) return undefined;
    return this.clock.now().getTime() - this.checkedAt < this.refreshSeconds * 1000 ? held : undefined;
  }

  /** The value, re-loaded when older than the refresh interval; throws only when none could ever be loaded. */
  async get(): Promise<T> {
    const now = this.clock.now().getTime();
    const held = this.value;
    if (held === undefined) {
      if (this.failure && !this.loading && now - this.failure.at < COLD_RETRY_MS) throw this.failure.error;
      return this.refresh().promise;
    }
    if (!this.invalidated && now - this.checkedAt < this.refreshSeconds * 1000) return held;
    if (this.invalidated) {
      // A load already under way may have started before the change: wait for it, then load again.
      if (this.loading) await this.loading.promise.catch(() => undefined);
      return this.refresh().promise.catch(() => this.value ?? held);
    }
    if (this.failure) {
      // The source is failing: serve what we hold, and try it again in the background once per interval.
      if (!this.loading && now - this.failure.at >= Math.max(MIN_RETRY_MS, this.refreshSeconds * 1000))
        this.inBackground(this.refresh().promise);
      return held;
    }
    const loading = this.refresh();
    const fresh = loading.promise.catch(() => this.value ?? held);
    const { patienceMs } = this.options;
    if (patienceMs === undefined) return fresh;
    const left = loading.startedAt + patienceMs - performance.now();
    if (left <= 0) return held;
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<T>((resolve) => {
      timer = setTimeout(() => {
        resolve(this.value ?? held);
      }, left);
    });
    try {
      return await Promise.race([fresh, patience]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next `get` re-loads and waits for it (the last good value still covers a failed load). */
  invalidate(): void {
    this.invalidated = true;
  }

  /** What is held and whether the source is failing. */
  status(): RefreshStatus {
    return {
      hasValue: this.value !== undefined,
      ...(this.value !== undefined && Number.isFinite(this.checkedAt) ? { loadedAt: new Date(this.checkedAt) } : {}),
      ...(this.failure ? { failingSince: new Date(this.failure.since), lastError: messageOf(this.failure.error) } : {}),
    };
  }

  private inBackground(promise: Promise<T>): void {
    promise.catch(() => undefined);
  }

  private refresh(): { readonly promise: Promise<T>; readonly startedAt: number } {
    if (this.loading) return this.loading;
    this.invalidated = false;
    const promise = (async () => {
      try {
        const value = await this.load(this.value);
        this.value = value;
        this.checkedAt = this.clock.now().getTime();
        this.failure = undefined;
        return value;
      } catch (error) {
        const at = this.clock.now().getTime();
        this.failure = { since: this.failure?.since ?? at, at, error };
        throw error;
      } finally {
        this.loading = undefined;
      }
    })();
    // A load a request stopped waiting for still settles; its failure is recorded above, not thrown at no one.
    this.inBackground(promise);
    this.loading = { promise, startedAt: performance.now() };
    return this.loading;
  }
}
