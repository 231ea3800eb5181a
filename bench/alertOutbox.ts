/**
 * Alert events through the outbox: N distinct alerts raised on the request path's sink (throttle, CloudEvent,
 * bounded buffer) and flushed into the Storage Queue certgate-alerts on Azurite (in-process, loopback), timed from
 * the first raise() to the last message accepted by the queue. Baseline in the same run: the same number of bare
 * sendMessage calls with the same concurrency. Prints figures; asserts nothing.
 */
import { QueueClient } from '@azure/storage-queue';
import { startAzurite } from '../dev/azurite.js';
import { QueueAlertOutbox } from '../shared/adapters/queueAlertOutbox.js';
import { OutboxAlertSink } from '../shared/alerts/outboxAlertSink.js';

const N = Number(process.argv[2] ?? 5000);
const azurite = await startAzurite();
try {
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  const outbox = new QueueAlertOutbox(storage, { outbox: 'bench-alerts', poison: 'bench-alerts-poison' });
  await outbox.backlog();
  const sink = new OutboxAlertSink(
    outbox,
    { now: () => new Date() },
    { log: () => undefined, warn: () => undefined },
    {
      source: '/certgate/bench',
      windowSeconds: 600,
      ratePerType: N,
      maxKeys: N,
      bufferSize: N,
      flushIntervalMs: 0,
    },
  );
  const started = performance.now();
  for (let i = 0; i < N; i++)
    sink.raise({
      event: 'certgate.alert.policy',
      correlationId: `c${i}`,
      subject: { user: `user${i}@contoso.example`, device: i.toString(16).padStart(64, '0'), app: 'portal' },
      policyId: 'block-unmanaged',
      severity: 'medium',
      effect: 'block',
      client: {},
    });
  const raisedMs = performance.now() - started;
  await sink.flush();
  const outboxMs = performance.now() - started;
  const status = sink.status();
  const backlog = await outbox.backlog();

  const bare = new QueueClient(azurite.connectionString, 'bench-bare');
  await bare.createIfNotExists();
  const body = Buffer.from(JSON.stringify({ x: 'y'.repeat(600) })).toString('base64');
  const bareStart = performance.now();
  const per = Math.ceil(N / 32);
  await Promise.all(
    Array.from({ length: 32 }, async (_, c) => {
      for (let i = c * per; i < Math.min(N, (c + 1) * per); i++) await bare.sendMessage(body);
    }),
  );
  const bareMs = performance.now() - bareStart;
  console.log(
    `raise(): ${N} events in ${raisedMs.toFixed(0)} ms (${((raisedMs * 1000) / N).toFixed(1)} µs each, request path)`,
  );
  console.log(
    `outbox: ${status.queued} queued (backlog ${backlog.queued}, dropped ${status.dropped}) in ${outboxMs.toFixed(0)} ms = ${Math.round((status.queued * 1000) / outboxMs)} events/s`,
  );
  console.log(`baseline bare sendMessage x${N} (32 parallel): ${Math.round((N * 1000) / bareMs)} messages/s`);
} finally {
  await azurite.close();
}
