/**
 * Builds the alerting pieces from the config, for the composition root: the request path's alert sink (log lines
 * for `CERTGATE_ALERT_SINKS=log`, else the throttled outbox sink on the Storage Queue), the delivery destinations
 * (webhook, Event Grid) the delivery function uses, the watch's records, and `backlog()` (what waits in the
 * worker's buffer, the outbox queue and the poison queue: the "outbox backlog" metric and health read it).
 * May import: config types, the alert cores, the alert adapters, ports (types).
 */
import type { AlertSettings } from '../config.js';
import type { AlertSink, Clock, InvocationScoped, LogWriter } from '../ports.js';
import type { AlertBacklog, AlertDestination, AlertOutbox, AlertRetryPolicy } from '../alerts/alertDelivery.js';
import { OutboxAlertSink, type AlertSinkStatus } from '../alerts/outboxAlertSink.js';
import { RecentCertificates, ResponderHealth } from '../alerts/watchRecords.js';
import type { StorageConfig } from '../config.js';
import { EventGridAlertDestination } from './eventGridAlertDestination.js';
import { LogLineAlertSink } from './logLineAlertSink.js';
import { QueueAlertOutbox } from './queueAlertOutbox.js';
import { WebhookAlertDestination } from './webhookAlertDestination.js';

/** What waits to leave: the worker's buffer and counters, and the outbox's queues (absent when unreachable). */
export type AlertBacklogReport = Partial<AlertSinkStatus> & {
  readonly outbox?: AlertBacklog;
  readonly outboxError?: string;
};

/** The alerting services of one worker. */
export interface Alerting {
  /** The request path's sink (`raise()` is synchronous and cheap). */
  readonly sink: InvocationScoped<AlertSink>;
  /** The outbox; absent with the `log` sink. */
  readonly outbox?: AlertOutbox;
  /** The outbox sink itself (flush, counters); absent with the `log` sink. */
  readonly outboxSink?: OutboxAlertSink;
  /** Where the delivery function sends events (empty unless webhook / eventgrid are configured). */
  readonly destinations: readonly AlertDestination[];
  readonly retry: AlertRetryPolicy;
  readonly recentCertificates: RecentCertificates;
  readonly responders: ResponderHealth;
  /** The outbox backlog (for metrics and health); never rejects. */
  backlog(): Promise<AlertBacklogReport>;
}

/** Time-out of one delivery to a webhook or Event Grid. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** Builds the alerting services (nothing is contacted until the first event). */
export function buildAlerting(
  settings: AlertSettings,
  storage: StorageConfig,
  clock: Clock,
  lines: LogWriter,
  watch: { readonly seenCertificates: number },
  options: { readonly flushIntervalMs?: number; readonly outbox?: AlertOutbox } = {},
): Alerting {
  const destinations: AlertDestination[] = [];
  if (settings.webhook)
    destinations.push(new WebhookAlertDestination({ ...settings.webhook, timeoutMs: DELIVERY_TIMEOUT_MS }, clock));
  if (settings.eventGrid)
    destinations.push(new EventGridAlertDestination({ ...settings.eventGrid, timeoutMs: DELIVERY_TIMEOUT_MS }));
  const common = {
    destinations,
    retry: {
      maxAttempts: settings.maxAttempts,
      initialDelaySeconds: settings.retrySeconds,
      maxDelaySeconds: settings.retryMaxSeconds,
    },
    recentCertificates: new RecentCertificates(watch.seenCertificates),
    responders: new ResponderHealth(clock),
  };
  if (settings.sinks.includes('log')) {
    const sink = new LogLineAlertSink(lines);
    return { ...common, sink, backlog: () => Promise.resolve({}) };
  }
  const outbox = options.outbox ?? new QueueAlertOutbox(storage);
  const outboxSink = new OutboxAlertSink(outbox, clock, lines, {
    source: settings.source,
    windowSeconds: settings.dedupSeconds,
    ratePerType: settings.ratePerType,
    maxKeys: 10_000,
    bufferSize: settings.bufferSize,
    flushIntervalMs: options.flushIntervalMs ?? 200,
  });
  return { ...common, sink: outboxSink, outbox, outboxSink, backlog: () => outboxSink.backlog() };
}
