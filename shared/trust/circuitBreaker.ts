/**
 * A circuit breaker for one remote dependency (Microsoft Graph on the decision path): after
 * `failures` failed round trips in a row it opens for `cooldownSeconds` (longer when the server
 * asked for it with Retry-After), so a sick service is not hammered and requests do not each wait
 * for a time-out. Once the cool-down has passed it is half-open: exactly one probe goes through;
 * its success closes the circuit, its failure opens it again.
 *
 * Time is passed in (milliseconds), the breaker keeps no timers. Results of round trips that were
 * admitted before the circuit opened, or alongside a probe, are ignored: only the probe decides
 * whether a half-open circuit closes.
 * May import: nothing.
 */

/** Where the circuit stands. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Settings of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failed round trips in a row that open the circuit (at least 1). */
  readonly failures: number;
  /** How long the circuit stays open before a probe is let through. */
  readonly cooldownSeconds: number;
}

/** Whether a round trip may start; an admitted one must be reported with {@link CircuitBreaker.record}. */
export type CircuitAdmission =
  { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false; readonly detail: string };

/** A change of state caused by a reported round trip, for the log. */
export type CircuitTransition = 'opened' | 'closed';

/** Counts failed round trips in a row and decides whether the next one may start. */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  /** Set while open or half-open: when the cool-down ends. */
  private openUntil: number | undefined;
  private probing = false;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failures) || options.failures < 1)
      throw new RangeError(`circuit breaker failures must be a whole number ≥ 1, got ${options.failures}`);
    if (!(options.cooldownSeconds >= 0))
      throw new RangeError(`circuit breaker cooldownSeconds must be ≥ 0, got ${options.cooldownSeconds}`);
  }

  /** The state at `nowMs`: an open circuit becomes half-open once its cool-down has passed. */
  state(nowMs: number): CircuitState {
    if (this.openUntil === undefined) return 'closed';
    return nowMs < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a round trip may start now; in half-open state only one (the probe) is admitted. */
  admit(nowMs: number): CircuitAdmission {
    const state = this.state(nowMs);
    if (state === 'closed') return { admitted: true, probe: false };
    if (state === 'open') {
      const seconds = Math.ceil(((this.openUntil ?? nowMs) - nowMs) / 1000);
      return {
        admitted: false,
        detail: `circuit open after ${this.consecutiveFailures} failures; next try in ${seconds} s`,
      };
    }
    if (this.probing)
      return {
        admitted: false,
        detail: `circuit half-open after ${this.consecutiveFailures} failures; waiting for the probe`,
      };
    this.probing = true;
    return { admitted: true, probe: true };
  }

  /**
   * Reports how an admitted round trip went. `retryAfterSeconds` (from a throttled failure) keeps
   * the circuit open longer than the cool-down when the server asks for it.
   */
  record(
    admission: { readonly probe: boolean },
    succeeded: boolean,
    nowMs: number,
    retryAfterSeconds?: number,
  ): CircuitTransition | undefined {
    if (admission.probe) {
      this.probing = false;
      if (succeeded) {
        this.consecutiveFailures = 0;
        this.openUntil = undefined;
        return 'closed';
      }
      this.consecutiveFailures++;
      this.open(nowMs, retryAfterSeconds);
      return 'opened';
    }
    if (this.state(nowMs) !== 'closed') return undefined;
    if (succeeded) {
      this.consecutiveFailures = 0;
      return undefined;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures < this.options.failures) return undefined;
    this.open(nowMs, retryAfterSeconds);
    return 'opened';
  }

  /** Failed round trips in a row (for logs and health). */
  get failuresInARow(): number {
    return this.consecutiveFailures;
  }

  private open(nowMs: number, retryAfterSeconds: number | undefined): void {
    this.openUntil = nowMs + Math.max(this.options.cooldownSeconds, retryAfterSeconds ?? 0) * 1000;
  }
}
