/**
 * Retry-After, honoured: once a server says "not before then" (Graph throttles per app and tenant),
 * no call at all goes out until then, whatever the circuit breaker says. Time is passed in
 * (milliseconds); no timers.
 * May import: nothing.
 */

/** Holds every call until the latest Retry-After has passed. */
export class RetryAfterGate {
  private until = Number.NEGATIVE_INFINITY;

  /** How long calls are still held at `nowMs` (ms; 0 when they may go). */
  heldForMs(nowMs: number): number {
    return nowMs < this.until ? this.until - nowMs : 0;
  }

  /**
   * Holds calls for `retryAfterSeconds` from `nowMs` (a shorter hold than the current one changes
   * nothing). True when calls were not held before: a new episode of throttling, worth a log line.
   */
  hold(nowMs: number, retryAfterSeconds: number): boolean {
    const until = nowMs + retryAfterSeconds * 1000;
    if (until <= this.until) return false;
    const started = nowMs >= this.until;
    this.until = until;
    return started;
  }
}
