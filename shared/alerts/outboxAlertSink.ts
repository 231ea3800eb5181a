/**
 * The {@link AlertSink} of the request path: `raise()` is synchronous and cheap (describe, throttle, push onto a
 * bounded buffer); a background flush turns what passed into CloudEvents (the `cloudevents` package, loaded on the
 * first flush so it stays out of the cold start) and queues them in the outbox. A full buffer drops and counts;
 * an outbox that cannot be reached keeps the buffer (bounded) and is tried again with a doubling delay. Every
 * event that passes the throttle is also written as one warning line (`certgate.alert`), so log-based alert rules
 * keep working; what the throttle holds back is only counted.
 * May import: the alert cores, ports (types), node built-ins, cloudevents (lazily).
 */
import { randomUUID } from 'node:crypto';
import type { Alert, AlertSink, Clock, InvocationScoped, LogWriter } from '../ports.js';
import { messageOf } from '../errors.js';
import { describeAlert, toAlertEvent, type AlertEvent, type DescribedAlert } from './alertEvents.js';
import type { AlertBacklog, AlertEnvelope, AlertOutbox } from './alertDelivery.js';
import { AlertThrottle, type AlertThrottleOptions } from './alertThrottle.js';

/** How the sink buffers and flushes. */
export interface OutboxAlertSinkOptions extends AlertThrottleOptions {
  /** CloudEvents `source` of every event. */
  readonly source: string;
  /** Most events waiting for the outbox; beyond, new ones are dropped and counted. */
  readonly bufferSize: number;
  /** How often the background flush runs while events wait (and summaries are due), in ms; 0 = only `flush()`. */
  readonly flushIntervalMs: number;
}

/** The sink's counters and what waits, for health and metrics (see {@link OutboxAlertSink.backlog}). */
export interface AlertSinkStatus {
  /** Events waiting in the worker's buffer for the outbox. */
  readonly buffered: number;
  /** Events dropped because the buffer was full. */
  readonly dropped: number;
  readonly emitted: number;
  readonly suppressed: number;
  readonly summaries: number;
  /** Events queued in the outbox by this worker. */
  readonly queued: number;
  /** The last outbox failure, when the last flush failed. */
  readonly outboxError?: string;
}

type CloudEventFactory = (event: AlertEvent) => AlertEvent;

/** Validates and normalises an event through the `cloudevents` package (CloudEvents 1.0 rules). */
async function loadCloudEventFactory(): Promise<CloudEventFactory> {
  const { CloudEvent } = await import('cloudevents');
  return (event) => new CloudEvent<AlertEvent['data']>({ ...event }).toJSON() as unknown as AlertEvent;
}

/** Alerts through the throttle into the outbox (see the module comment). */
export class OutboxAlertSink implements InvocationScoped<AlertSink> {
  private readonly throttle: AlertThrottle;
  private buffer: AlertEvent[] = [];
  private dropped = 0;
  private queued = 0;
  private outboxError: string | undefined;
  private flushing: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private factory: Promise<CloudEventFactory> | undefined;

  constructor(
    private readonly outbox: AlertOutbox,
    private readonly clock: Clock,
    private readonly lines: LogWriter,
    private readonly options: OutboxAlertSinkOptions,
  ) {
    this.throttle = new AlertThrottle(clock, options);
  }

  raise(alert: Alert): void {
    this.raiseThrough(alert, this.lines);
  }

  /** One small object per invocation, no closure: the request path asks for it per request. */
  forInvocation(log: LogWriter): AlertSink {
    return new InvocationAlertSink(this, log);
  }

  /** Flushes now: due summaries, then everything buffered, into the outbox. Resolves when done (never rejects). */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
    return this.flushing;
  }

  /** The worker's counters (synchronous: the buffer and drops). */
  status(): AlertSinkStatus {
    return {
      buffered: this.buffer.length,
      dropped: this.dropped,
      ...this.throttle.totals,
      queued: this.queued,
      ...(this.outboxError !== undefined ? { outboxError: this.outboxError } : {}),
    };
  }

  /** What waits: in this worker's buffer, and in the outbox queue and its poison queue. */
  async backlog(): Promise<AlertSinkStatus & { readonly outbox?: AlertBacklog }> {
    try {
      return { ...this.status(), outbox: await this.outbox.backlog() };
    } catch (error) {
      return { ...this.status(), outboxError: messageOf(error) };
    }
  }

  /** Stops the background flush (tests, shutdown); what is buffered stays. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Raises through `log` (an invocation's logger) instead of the worker's. */
  raiseThrough(alert: Alert, log: LogWriter): void {
    let described: DescribedAlert;
    try {
      described = describeAlert(alert);
    } catch (error) {
      log.warn(JSON.stringify({ event: 'certgate.alert.undescribable', alert: alert.event, error: messageOf(error) }));
      return;
    }
    if (!this.throttle.admit(described)) {
      this.schedule();
      return;
    }
    this.push(described, log);
  }

  private push(described: DescribedAlert, log: LogWriter): void {
    const event = toAlertEvent(described, randomUUID(), this.clock.now(), this.options.source);
    log.warn(JSON.stringify({ event: 'certgate.alert', type: event.type, id: event.id, data: event.data }));
    if (this.buffer.length >= this.options.bufferSize) {
      this.dropped++;
      return;
    }
    this.buffer.push(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.options.flushIntervalMs <= 0) return;
    if (this.buffer.length === 0 && !this.throttle.pending) return;
    // Doubling while the outbox fails (at most 64 intervals), so a storage outage is not hammered.
    const delay = this.options.flushIntervalMs * 2 ** Math.min(this.failures, 6);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  private async flushOnce(): Promise<void> {
    for (const summary of this.throttle.due()) this.push(summary, this.lines);
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    let failed: readonly AlertEvent[] = [];
    try {
      this.factory ??= loadCloudEventFactory();
      const asCloudEvent = await this.factory;
      const queuedAt = this.clock.now().toISOString();
      const envelopes: AlertEnvelope[] = batch.map((event) => ({
        event: asCloudEvent(event),
        attempt: 0,
        delivered: [],
        queuedAt,
      }));
      // The outbox packs the envelopes into messages and says which it could not queue: only those are kept.
      const { notQueued, error } = await this.outbox.enqueue(envelopes);
      this.queued += envelopes.length - notQueued.length;
      if (notQueued.length > 0) {
        const ids = new Set(notQueued.map((envelope) => envelope.event.id));
        failed = batch.filter((event) => ids.has(event.id));
        this.outboxError = error ?? 'not queued';
      }
    } catch (error) {
      failed = batch;
      this.outboxError = messageOf(error);
    }
    if (failed.length === 0) {
      this.failures = 0;
      this.outboxError = undefined;
      return;
    }
    this.failures++;
    // Back in front of what arrived meanwhile, within the bound: the oldest kept, the overflow counted.
    const kept = [...failed, ...this.buffer];
    const overflow = Math.max(0, kept.length - this.options.bufferSize);
    this.dropped += overflow;
    this.buffer = kept.slice(0, kept.length - overflow);
    this.lines.warn(
      JSON.stringify({
        event: 'certgate.alert.outbox-unavailable',
        waiting: this.buffer.length,
        dropped: this.dropped,
        error: this.outboxError,
      }),
    );
  }
}

/** The sink as one invocation raises through it: its warning lines go to that invocation's logger. */
class InvocationAlertSink implements AlertSink {
  constructor(
    private readonly sink: OutboxAlertSink,
    private readonly log: LogWriter,
  ) {}

  raise(alert: Alert): void {
    this.sink.raiseThrough(alert, this.log);
  }
}
