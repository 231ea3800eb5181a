/**
 * Alert events through the outbox: N distinct alerts raised on the request path's sink (throttle, CloudEvent,
 * bounded buffer) and flushed into the Storage Queue certgate-alerts on Azurite (in-process, loopback), timed from
 * the first raise() to the last message accepted by the queue (events packed several to a message). Baseline in the
 * same run: the same number of bare sendMessage calls (one ~800-byte message each, 32 in parallel), and the ratio of
 * events/s through the outbox to those messages/s. Prints figures; asserts nothing.
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
    `outbox: ${status.queued} queued in ${backlog.queued} messages (dropped ${status.dropped}) in ${outboxMs.toFixed(0)} ms = ${Math.round((status.queued * 1000) / outboxMs)} events/s`,
  );
  const outboxRate = (status.queued * 1000) / outboxMs;
  const bareRate = (N * 1000) / bareMs;
  console.log(`baseline bare sendMessage x${N} (32 parallel): ${Math.round(bareRate)} messages/s`);
  console.log(`ratio: outbox events/s ÷ bare messages/s = ${(outboxRate / bareRate).toFixed(1)}`);
} finally {
  await azurite.close();
}
