/**
 * The alert outbox end to end on real parts: Azurite's queues over a socket, the local queue-trigger listener
 * (dev/host/queueTriggers.ts) running the delivery step, and a real HTTP webhook receiver (dev/webhookSink.ts)
 * that refuses and then accepts. The receiver is down for the first 60 s of an injected clock (advanced 20 s per
 * delivery round; the queue's real visibility delays are shortened to 1 s): every event arrives exactly once by id
 * (the receiver deduplicates a redelivery by webhook-id), none is poisoned. Always down: poison after N rounds.
 * Signatures: a tampered delivery is refused with its code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { startQueueTriggers } from '../../dev/host/queueTriggers.js';
import { startWebhookSink, type WebhookSink } from '../../dev/webhookSink.js';
import { QueueAlertOutbox } from '../../shared/adapters/queueAlertOutbox.js';
import { WebhookAlertDestination } from '../../shared/adapters/webhookAlertDestination.js';
import {
  AlertDeliveryError,
  deliverEnvelope,
  readEnvelope,
  type AlertRetryPolicy,
} from '../../shared/alerts/alertDelivery.js';
import { OutboxAlertSink } from '../../shared/alerts/outboxAlertSink.js';
import { signWebhook } from '../../shared/alerts/webhookSignature.js';
import type { Alert, LogWriter } from '../../shared/ports.js';

const SECRET = 'outbox-test-webhook-secret-0123456789';
const quiet: LogWriter = { log: () => undefined, warn: () => undefined };

function fakeClock() {
  let now = Date.parse('2025-03-01T10:00:00Z');
  const start = now;
  return { now: () => new Date(now), advance: (s: number) => (now += s * 1000), elapsed: () => (now - start) / 1000 };
}

const alertFor = (i: number): Alert => ({
  event: 'certgate.alert.policy',
  correlationId: `c${i}`,
  subject: { user: `user${i}@contoso.example`, device: i.toString(16).padStart(64, '0'), app: 'portal' },
  policyId: 'block-unmanaged',
  severity: 'medium',
  effect: 'block',
  client: {},
});

let azurite: Azurite;
let sink: WebhookSink;

const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  closers.push(() => azurite.close());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** The outbox, a sink in front of it, and the delivery function on the queue listener, for one scenario. */
async function scenario(
  names: { outbox: string; poison: string },
  retry: AlertRetryPolicy,
  clock: ReturnType<typeof fakeClock>,
) {
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  const outbox = new QueueAlertOutbox(storage, names);
  const destination = new WebhookAlertDestination({ url: sink.url, secret: SECRET, timeoutMs: 5000 }, clock);
  const alertSink = new OutboxAlertSink(outbox, clock, quiet, {
    windowSeconds: 600,
    ratePerType: 1000,
    maxKeys: 1000,
    source: '/certgate/test',
    bufferSize: 1000,
    flushIntervalMs: 0,
  });
  const outcomes: string[] = [];
  await outbox.backlog(); // creates the queues
  const triggers = await startQueueTriggers({
    connectionString: azurite.connectionString,
    autoPoll: false,
    settings: { maxDequeueCount: 5 },
    functions: [
      {
        name: 'deliver-alerts',
        trigger: { type: 'queueTrigger', queueName: names.outbox } as { type: string },
        handler: async (message: unknown) => {
          const envelope = readEnvelope(message);
          if (!envelope) throw new Error('not an envelope');
          const outcome = await deliverEnvelope(envelope, { destinations: [destination], outbox, retry, clock });
          outcomes.push(outcome.kind);
        },
      },
    ],
  });
  /** Polls until a round handles something (the retried messages come back after their real 1 s delay). */
  const round = async (): Promise<number> => {
    for (let tries = 0; tries < 50; tries++) {
      const handled = await triggers.drain();
      if (handled > 0) return handled;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return 0;
  };
  return { clock, outbox, alertSink, triggers, outcomes, round };
}

describe('alert outbox and delivery (Azurite, real HTTP)', () => {
  it('delivers every event exactly once by id after the webhook was down for 60 s', async () => {
    const clock = fakeClock();
    // The receiver checks the signature's timestamp against the same injected clock.
    sink = await startWebhookSink({ secret: SECRET, now: clock.now });
    closers.push(() => sink.close());
    const { outbox, alertSink, triggers, outcomes, round } = await scenario(
      { outbox: 'alerts-down-60', poison: 'alerts-down-60-poison' },
      { maxAttempts: 8, initialDelaySeconds: 1, maxDelaySeconds: 1 },
      clock,
    );
    for (let i = 0; i < 20; i++) alertSink.raise(alertFor(i));
    await alertSink.flush();
    // At-least-once on the way in: one event queued twice (as a retried enqueue would), same id.
    const [first] = (await readQueued(azurite.connectionString, 'alerts-down-60')).slice(0, 1);
    await outbox.enqueue([first!]);
    const ids = new Set<string>();
    sink.setAvailable(false);
    let rounds = 0;
    while (sink.deliveredIds.size < 20) {
      if (clock.elapsed() >= 60) sink.setAvailable(true);
      const handled = await round();
      expect(handled).toBeGreaterThan(0);
      clock.advance(20);
      if (++rounds > 8) break;
    }
    for (const r of sink.received) ids.add(r.id);
    expect(sink.refused).toBeGreaterThanOrEqual(3 * 21);
    expect(sink.received).toHaveLength(20);
    expect(ids.size).toBe(20);
    expect(sink.duplicates).toBe(1);
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(21);
    expect(outcomes).not.toContain('poisoned');
    expect(await outbox.backlog()).toEqual({ queued: 0, poisoned: 0 });
    await triggers.close();
  }, 60_000);

  it('moves an event to the poison queue after the last round, with why', async () => {
    sink.setAvailable(false);
    const { alertSink, outbox, triggers, outcomes, round } = await scenario(
      { outbox: 'alerts-poison-n', poison: 'alerts-poison-n-poison' },
      { maxAttempts: 3, initialDelaySeconds: 1, maxDelaySeconds: 1 },
      fakeClock(),
    );
    alertSink.raise(alertFor(99));
    await alertSink.flush();
    for (let i = 0; i < 3; i++) await round();
    expect(outcomes).toEqual(['retry', 'retry', 'poisoned']);
    expect(await outbox.backlog()).toEqual({ queued: 0, poisoned: 1 });
    const [poisoned] = await readQueued(azurite.connectionString, 'alerts-poison-n-poison');
    expect(poisoned).toMatchObject({
      attempt: 3,
      delivered: [],
      lastError: expect.stringContaining('webhook answered 503'),
    });
    expect(poisoned?.event.data.user).toBe('user99@contoso.example');
    await triggers.close();
    sink.setAvailable(true);
  }, 60_000);

  it('refuses a tampered or wrongly signed delivery, and the destination reports it', async () => {
    const body = JSON.stringify({ specversion: '1.0', id: 'tamper-1', type: 'certgate.policy.blocked', data: {} });
    const ts = Math.floor(Date.parse('2025-03-01T10:00:00Z') / 1000) + 200;
    const headers = {
      'content-type': 'application/cloudevents+json',
      'webhook-id': 'tamper-1',
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(SECRET, 'tamper-1', ts, body),
    };
    const tampered = await fetch(sink.url, { method: 'POST', headers, body: body.replace('blocked', 'matched') });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({
      error: { code: 'webhook-signature-mismatch', message: 'signature not accepted' },
    });
    const intact = await fetch(sink.url, { method: 'POST', headers, body });
    expect(intact.status).toBe(204);
    const wrongSecret = new WebhookAlertDestination(
      { url: sink.url, secret: `${SECRET}-other`, timeoutMs: 5000 },
      { now: () => new Date(ts * 1000) },
    );
    const error = await wrongSecret
      .deliver({
        specversion: '1.0',
        id: 'wrong-secret-1',
        source: '/certgate/test',
        type: 'certgate.policy.blocked',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { severity: 'low', message: 'x' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect(error).toMatchObject({ code: 'alert-delivery-failed', status: 401 });
    expect(sink.deliveredIds.has('wrong-secret-1')).toBe(false);
  });
});

/** The envelopes in a queue, peeked (not taken). */
async function readQueued(connectionString: string, queue: string) {
  const { QueueClient } = await import('@azure/storage-queue');
  const client = new QueueClient(connectionString, queue);
  const peeked = await client.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => readEnvelope(Buffer.from(m.messageText, 'base64').toString('utf8'))!);
}
