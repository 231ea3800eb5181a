/**
 * The gauges the metrics pipeline reads at each collection, from the worker's services: the
 * directory cache (Graph calls, questions, hits, misses, stale and unavailable answers, entries,
 * the circuit's state), the alert outbox's backlog (the worker's buffer and drops, read at once; the outbox
 * and poison queues' counts, a storage round trip, as last known: each collection starts the next read), and
 * the decision log writer's buffer and drops.
 * May import: ../composition.js (types), ./telemetry.js (types).
 */
import type { Services } from '../composition.js';
import type { ObservedGauge } from './telemetry.js';

type AlertBacklogReport = Awaited<ReturnType<Services['alerting']['backlog']>>;

/** Every gauge of this worker. */
export function serviceGauges(services: Services): ObservedGauge[] {
  const directory = () => services.directoryCache.stats();
  // Gauges are read synchronously; the queues' counts need a round trip, so a read returns the last one known.
  let outboxBacklog: AlertBacklogReport['outbox'];
  let reading = false;
  const refreshOutboxBacklog = () => {
    if (reading || !services.alerting.outboxSink) return;
    reading = true;
    void services.alerting
      .backlog()
      .then(
        (report) => {
          outboxBacklog = report.outbox;
        },
        () => undefined,
      )
      .finally(() => {
        reading = false;
      });
  };
  const alertPoint = (value: number, where: string) => ({ value, attributes: { 'certgate.where': where } });
  return [
    {
      name: 'certgate.graph.calls',
      description: 'Round trips to Microsoft Graph on the decision path since start',
      read: () => directory().calls,
    },
    {
      name: 'certgate.directory.answers',
      description: 'Directory facts since start, by where they came from (hit, miss, stale, unavailable)',
      read: () => {
        const stats = directory();
        return [
          { value: stats.hits, attributes: { 'certgate.source': 'hit' } },
          { value: stats.misses, attributes: { 'certgate.source': 'miss' } },
          { value: stats.stale, attributes: { 'certgate.source': 'stale' } },
          { value: stats.unavailable, attributes: { 'certgate.source': 'unavailable' } },
        ];
      },
    },
    {
      name: 'certgate.directory.hit_ratio',
      description: 'Share of directory facts answered from the cache since start',
      read: () => {
        const stats = directory();
        const asked = stats.hits + stats.misses;
        return asked === 0 ? 1 : stats.hits / asked;
      },
    },
    {
      name: 'certgate.directory.entries',
      description: 'Questions the directory cache holds',
      read: () => directory().entries,
    },
    {
      name: 'certgate.graph.circuit_open',
      description: '1 while the Graph circuit breaker is open (calls refused after repeated failures or throttling)',
      read: () => (directory().breaker === 'open' ? 1 : 0),
    },
    {
      name: 'certgate.alerts.backlog',
      description:
        "Alert events waiting to leave: in the worker's buffer (events), the outbox queue (messages, several events each) and the poison queue (events)",
      read: () => {
        const sink = services.alerting.outboxSink?.status();
        if (!sink) return [];
        refreshOutboxBacklog();
        return [
          alertPoint(sink.buffered, 'buffer'),
          ...(outboxBacklog
            ? [alertPoint(outboxBacklog.queued, 'queue'), alertPoint(outboxBacklog.poisoned, 'poison')]
            : []),
        ];
      },
    },
    {
      name: 'certgate.alerts.dropped',
      description: "Alert events dropped since start because the worker's buffer was full",
      read: () => services.alerting.outboxSink?.status().dropped ?? 0,
    },
    {
      name: 'certgate.decision_log.buffered',
      description: 'Decisions waiting in the decision log writer for Table Storage',
      read: () => services.decisionLogWriter.stats().buffered,
    },
    {
      name: 'certgate.decision_log.dropped',
      description: 'Decisions the decision log dropped since start, by why (buffer full, write failed)',
      read: () => {
        const { dropped } = services.decisionLogWriter.stats();
        return [
          { value: dropped.bufferFull, attributes: { 'certgate.reason': 'buffer-full' } },
          { value: dropped.writeFailed, attributes: { 'certgate.reason': 'write-failed' } },
        ];
      },
    },
  ];
}
