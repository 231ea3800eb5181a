/**
 * Whether storage answers, for `GET /api/health`: a probe's result is reused for `freshMs`, one
 * probe runs at a time (single flight), and no health call waits for a probe once there is a
 * result to give. So a burst of health calls costs storage at most one probe, and a storage
 * account that hangs makes health answer `degraded` (never hang, never fail): after `slowMs`
 * without an answer the probe in flight counts as slow, and when it gives up (the storage
 * deadline) the failure is reported with when it began.
 * May import: ports (types).
 */
import type { Clock } from '../ports.js';
import { messageOf } from '../errors.js';

/** Why storage is not healthy; stable codes (API of the health endpoint). */
export type StorageProblem = 'storage-timeout' | 'storage-unreachable' | 'storage-slow';

/** What health says about storage. */
export interface StorageHealthReport {
  readonly reachable: boolean;
  /** When the last probe settled (ISO 8601). */
  readonly checkedAt?: string;
  /** How long the last successful probe took. */
  readonly latencyMs?: number;
  readonly problem?: StorageProblem;
  /** When the current problem began (ISO 8601). */
  readonly since?: string;
  readonly message?: string;
}

/** Options of {@link StorageHealth}. */
export interface StorageHealthOptions {
  /** How long a probe's result is reused (default 2000 ms). */
  readonly freshMs?: number;
  /** How long a probe may go unanswered before health calls it slow (default 1000 ms). */
  readonly slowMs?: number;
  /** The problem a failed probe shows (default `storage-unreachable`). */
  readonly classify?: (error: unknown) => Exclude<StorageProblem, 'storage-slow'>;
  /** Called when storage goes from reachable to not, or back (once per change, not per health call). */
  readonly onChange?: (report: StorageHealthReport) => void;
}

/** Probes storage for health, at most once per `freshMs` and once at a time. */
export class StorageHealth {
  private last: StorageHealthReport | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private probing: { readonly promise: Promise<StorageHealthReport>; readonly startedAt: number } | undefined;
  private probeCount = 0;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly clock: Clock,
    private readonly options: StorageHealthOptions = {},
  ) {}

  /** Probes started so far (tests, diagnostics). */
  get probes(): number {
    return this.probeCount;
  }

  /** The current report: from the last probe, from a fresh one only when there is none yet. */
  async report(): Promise<StorageHealthReport> {
    const now = this.clock.now().getTime();
    if (!this.probing && now - this.lastAt >= (this.options.freshMs ?? 2_000)) this.start(now);
    const { last, probing } = this;
    if (!last) return probing ? probing.promise : this.start(now).promise;
    if (probing && last.reachable && now - probing.startedAt >= (this.options.slowMs ?? 1_000)) {
      return {
        reachable: false,
        problem: 'storage-slow',
        since: new Date(probing.startedAt).toISOString(),
        message: `the storage probe has had no answer for ${now - probing.startedAt} ms`,
        ...(last.checkedAt ? { checkedAt: last.checkedAt } : {}),
      };
    }
    return last;
  }

  private start(now: number): { readonly promise: Promise<StorageHealthReport>; readonly startedAt: number } {
    this.probeCount++;
    const started = performance.now();
    const promise = this.probe()
      .then(
        (): StorageHealthReport => ({
          reachable: true,
          checkedAt: this.clock.now().toISOString(),
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
        }),
        (error: unknown): StorageHealthReport => ({
          reachable: false,
          problem: this.options.classify?.(error) ?? 'storage-unreachable',
          since: this.last && !this.last.reachable && this.last.since ? this.last.since : new Date(now).toISOString(),
          checkedAt: this.clock.now().toISOString(),
          message: messageOf(error),
        }),
      )
      .then((report) => {
        if (this.last?.reachable !== report.reachable || this.last.problem !== report.problem)
          this.options.onChange?.(report);
        this.last = report;
        this.lastAt = this.clock.now().getTime();
        this.probing = undefined;
        return report;
      });
    this.probing = { promise, startedAt: now };
    return this.probing;
  }
}
