/**
 * Bounded retries for Graph calls off the decision path (group lookups when a policy is saved,
 * the Conditional Access posture report): at most three tries within a time budget, waiting what
 * `Retry-After` asks (else 1 s, then 2 s), and giving up at once when the wait would overrun the
 * budget. Only transient errors (throttled, unavailable, timeout) are retried. The decision path
 * never comes here: it cannot wait.
 * May import: node built-ins, ./graphErrors.js.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientDirectoryError } from './graphErrors.js';

/** How hard to try. */
export interface RetryBudget {
  /** Tries in all, the first included. */
  readonly maxTries: number;
  /** Time from the first try after which no try starts and no wait begins, in milliseconds. */
  readonly budgetMs: number;
  /** Time-out of one try, in milliseconds (cut to what is left of the budget). */
  readonly tryTimeoutMs: number;
}

/** Off-path default: 3 tries, 60 s in all, 30 s per try. */
export const OFF_PATH_RETRY: RetryBudget = { maxTries: 3, budgetMs: 60_000, tryTimeoutMs: 30_000 };

/** The clock and the wait, injectable for tests. */
export interface RetryTiming {
  readonly nowMs: () => number;
  readonly wait: (ms: number) => Promise<void>;
}

const realTiming: RetryTiming = { nowMs: () => Date.now(), wait: (ms) => sleep(ms) };

/**
 * Runs `attempt` (given its time-out) until it succeeds, fails for good, or the budget is spent; rethrows the last
 * error.
 */
export async function withRetries<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  budget: RetryBudget = OFF_PATH_RETRY,
  timing: RetryTiming = realTiming,
): Promise<T> {
  const started = timing.nowMs();
  for (let tries = 1; ; tries += 1) {
    const left = budget.budgetMs - (timing.nowMs() - started);
    try {
      return await attempt(Math.max(1, Math.min(budget.tryTimeoutMs, left)));
    } catch (error) {
      if (!isTransientDirectoryError(error) || tries >= budget.maxTries) throw error;
      const waitMs = (error.retryAfterSeconds ?? 2 ** (tries - 1)) * 1000;
      if (timing.nowMs() - started + waitMs >= budget.budgetMs) throw error;
      await timing.wait(waitMs);
    }
  }
}
