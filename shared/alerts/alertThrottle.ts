/**
 * No floods: deduplication per (type, policy, user, device) within a window, and a cap per event type per window;
 * what either holds back is counted and comes out as one summary event per type when the window closes ("412 more
 * like this in the last 10 minutes"). Pure: the clock is injected, memory is bounded (the least recently emitted
 * keys go first).
 * May import: the alert events core, ports (types).
 */
import type { Clock } from '../ports.js';
import { summaryMessage, type AlertSeverity, type DescribedAlert } from './alertEvents.js';

/** The throttle's rules. */
export interface AlertThrottleOptions {
  /** The dedup window, which is also the rate cap's window, in seconds. */
  readonly windowSeconds: number;
  /** Most events of one type emitted per window (besides the summary). */
  readonly ratePerType: number;
  /** Most dedup keys remembered; beyond, the least recently emitted are forgotten. */
  readonly maxKeys: number;
}

interface TypeWindow {
  readonly startedAt: number;
  emitted: number;
  suppressed: number;
  severity: AlertSeverity;
  /** The first event held back: a summary repeats its who / what when all held back share it. */
  sample: DescribedAlert | undefined;
  mixed: boolean;
}

const RANK: Record<AlertSeverity, number> = { low: 0, medium: 1, high: 2 };

/** Counters, for health and metrics. */
export interface AlertThrottleCounts {
  readonly emitted: number;
  readonly suppressed: number;
  readonly summaries: number;
}

/** Decides, event by event, whether it goes out; gives the summaries of closed windows. */
export class AlertThrottle {
  private readonly keys = new Map<string, number>();
  private readonly windows = new Map<string, TypeWindow>();
  private readonly closed: DescribedAlert[] = [];
  private counts = { emitted: 0, suppressed: 0, summaries: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly options: AlertThrottleOptions,
  ) {}

  /** Whether this event goes out now (true), or is held back and counted for its type's summary (false). */
  admit(alert: DescribedAlert): boolean {
    const now = this.clock.now().getTime();
    const windowMs = this.options.windowSeconds * 1000;
    let window = this.windows.get(alert.type);
    if (window && now - window.startedAt >= windowMs) {
      this.close(alert.type, window, now);
      window = undefined;
    }
    if (!window) {
      window = { startedAt: now, emitted: 0, suppressed: 0, severity: 'low', sample: undefined, mixed: false };
      this.windows.set(alert.type, window);
    }
    const last = this.keys.get(alert.dedupKey);
    if ((last !== undefined && now - last < windowMs) || window.emitted >= this.options.ratePerType) {
      window.suppressed++;
      if (RANK[alert.data.severity] > RANK[window.severity]) window.severity = alert.data.severity;
      if (!window.sample) window.sample = alert;
      else if (window.sample.dedupKey !== alert.dedupKey) window.mixed = true;
      this.counts.suppressed++;
      return false;
    }
    this.keys.delete(alert.dedupKey);
    this.keys.set(alert.dedupKey, now);
    while (this.keys.size > this.options.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest === undefined) break;
      this.keys.delete(oldest);
    }
    window.emitted++;
    this.counts.emitted++;
    return true;
  }

  /** The summaries of every window that has closed by now (each given once). */
  due(): DescribedAlert[] {
    const now = this.clock.now().getTime();
    const windowMs = this.options.windowSeconds * 1000;
    for (const [type, window] of this.windows) {
      if (now - window.startedAt >= windowMs) this.close(type, window, now);
    }
    return this.closed.splice(0);
  }

  /** Whether a summary is waiting for its window to close (the sink keeps ticking until then). */
  get pending(): boolean {
    for (const window of this.windows.values()) if (window.suppressed > 0) return true;
    return this.closed.length > 0;
  }

  get totals(): AlertThrottleCounts {
    return { ...this.counts };
  }

  private close(type: string, window: TypeWindow, now: number): void {
    this.windows.delete(type);
    const sample = window.sample;
    if (window.suppressed === 0 || !sample) return;
    const until = Math.min(now, window.startedAt + this.options.windowSeconds * 1000);
    const shared = window.mixed
      ? {}
      : Object.fromEntries(
          (['user', 'device', 'deviceId', 'app', 'policy'] as const)
            .filter((field) => sample.data[field] !== undefined)
            .map((field) => [field, sample.data[field]]),
        );
    const message = summaryMessage(window.suppressed, this.options.windowSeconds);
    this.counts.summaries++;
    this.closed.push({
      type: sample.type,
      ...(window.mixed || sample.subject === undefined ? {} : { subject: sample.subject }),
      dedupKey: `${sample.dedupKey}\u0000summary`,
      data: {
        severity: window.severity,
        ...shared,
        message: `${message}: ${sample.data.message}`,
        summary: {
          suppressed: window.suppressed,
          from: new Date(window.startedAt).toISOString(),
          to: new Date(until).toISOString(),
        },
      },
    });
  }
}
