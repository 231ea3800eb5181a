/**
 * Refresh-ahead for the directory cache: at most once per sweep interval (ttl / 5), started by the
 * requests themselves, a background re-ask of the answers that were used since they were last
 * asked and expire within the next sweep interval (already expired ones included), 20 a call. An
 * active entry is thus refreshed in the last fifth of its life and requests keep hitting the cache;
 * idle entries are left to expire. Calls go one after another and stop when Retry-After or the
 * circuit says so; a question a request is already asking, or one the directory refused within the
 * negative TTL, is left alone. No timers; never rejects.
 * May import: ports (limits), the store, the questions.
 */
import { DIRECTORY_BATCH_LIMIT } from '../../ports.js';
import type { AnswerStore, StoredAnswer } from './answerStore.js';
import type { Item } from './questions.js';

/** What one refresh-ahead sweep sent. */
export interface RefreshAheadReport {
  readonly questions: number;
  readonly calls: number;
}

/** What a sweep needs from the directory cache. */
export interface RefreshAheadDeps {
  readonly store: AnswerStore;
  /** Whether a question is queued or in flight (a request is asking it). */
  readonly inFlight: (key: string) => boolean;
  readonly now: () => number;
  /** Whether a round trip may start now (Retry-After, then the circuit). */
  readonly admit: (now: number) => { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false };
  /** Sends one admitted batch; settles when its answers are stored. */
  readonly roundTrip: (batch: readonly Item[], admission: { readonly probe: boolean }) => Promise<unknown>;
  readonly log: (event: Record<string, unknown>) => void;
}

/** Runs sweeps, one at a time, at most once per interval when started by {@link maybeStart}. */
export class RefreshAhead {
  private lastSweepAt: number;
  private sweeping: Promise<RefreshAheadReport> | undefined;

  constructor(
    private readonly deps: RefreshAheadDeps,
    /** A sweep runs at most this often and looks this far ahead. */
    readonly intervalMs: number,
  ) {
    this.lastSweepAt = deps.now();
  }

  /** Sweeps now; concurrent callers share one run. */
  run(): Promise<RefreshAheadReport> {
    this.sweeping ??= this.sweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /**
   * Starts {@link run} in the background when the last one started an interval ago or more and none is running. O(1);
   * true when it started one.
   */
  maybeStart(): boolean {
    try {
      if (this.sweeping) return false;
      if (this.deps.now() - this.lastSweepAt < this.intervalMs) return false;
      void this.run();
      return true;
    } catch (error) {
      this.deps.log({ event: 'certgate.graph.refresh-ahead-failed', error: String(error) });
      return false;
    }
  }

  private async sweep(): Promise<RefreshAheadReport> {
    let calls = 0;
    let questions = 0;
    try {
      const start = this.deps.now();
      this.lastSweepAt = start;
      const due: Item[] = [];
      for (const [key, answer] of this.deps.store.all())
        if (this.isDue(key, answer, start)) due.push({ key, question: answer.question });
      for (let offset = 0; offset < due.length; offset += DIRECTORY_BATCH_LIMIT) {
        const now = this.deps.now();
        // Re-checked per batch: a request may have asked some of them meanwhile.
        const batch = due.slice(offset, offset + DIRECTORY_BATCH_LIMIT).filter((item) => {
          const answer = this.deps.store.held(item.key);
          return answer !== undefined && this.isDue(item.key, answer, now);
        });
        if (batch.length === 0) continue;
        const admission = this.deps.admit(now);
        if (!admission.admitted) break;
        calls++;
        questions += batch.length;
        await this.deps.roundTrip(batch, admission);
      }
    } catch (error) {
      this.deps.log({ event: 'certgate.graph.refresh-ahead-failed', error: String(error) });
    }
    return { calls, questions };
  }

  private isDue(key: string, answer: StoredAnswer, now: number): boolean {
    if (!answer.usedSinceAsked || answer.lifetimeMs <= 0 || this.deps.inFlight(key)) return false;
    if (this.deps.store.refusal(key) !== undefined) return false;
    return answer.fetchedAt + answer.lifetimeMs - now <= this.intervalMs;
  }
}
