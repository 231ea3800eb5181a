/**
 * A value a worker keeps in memory and re-loads at most every `refreshSeconds`: concurrent
 * callers share one load (single flight), a failed load keeps serving the last good value, and
 * with no value at all the error reaches the caller (who fails closed). The loader gets the
 * previous value so it can return it unchanged when the source did not change.
 * May import: ports (types).
 */
import type { Clock } from '../ports.js';

/** Keeps one value fresh. */
export class PeriodicRefresh<T> {
  private value: T | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: (previous: T | undefined) => Promise<T>,
    private readonly clock: Clock,
    private readonly refreshSeconds: number,
  ) {}

  /** The value, re-loaded when older than the refresh interval; throws only when none could ever be loaded. */
  async get(): Promise<T> {
    if (this.value !== undefined && this.clock.now().getTime() - this.checkedAt < this.refreshSeconds * 1000) return this.value;
    try {
      return await this.refresh();
    } catch (error) {
      if (this.value !== undefined) return this.value;
      throw error;
    }
  }

  /** The next `get` re-loads (the last good value still covers a failed load). */
  invalidate(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private refresh(): Promise<T> {
    this.loading ??= (async () => {
      try {
        const value = await this.load(this.value);
        this.value = value;
        this.checkedAt = this.clock.now().getTime();
        return value;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
