/**
 * The alert outbox end to end on real parts: Azurite's queues over a socket, the local queue-trigger listener
 * (dev/host/queueTriggers.ts) running the delivery step, and a real HTTP webhook receiver (dev/webhookSink.ts)
 * that refuses and then accepts. The receiver is down for the first 60 s of an injected clock (advanced 20 s per
 * delivery round; the queue's real visibility delays are shortened to 1 s): every event arrives exactly once by id
 * (the receiver deduplicates a redelivery by webhook-id), none is poisoned. Always down: poison after N rounds.
 * Events travel packed several to a queue message: a message whose events partly failed puts back only the failed
 * ones. Signatures: a tampered delivery is refused with its code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { startQueueTriggers } from '../../dev/host/queueTriggers.js';
import { startWebhookSink, type WebhookSink } from '../../dev/webhookSink.js';
import { QueueAlertOutbox } from '../../shared/adapters/queueAlertOutbox.js';
import { WebhookAlertDestination } from '../../shared/adapters/webhookAlertDestination.js';
import {
  AlertDeliveryError,
  type AlertDestination,
  deliverEnvelopes,
  readEnvelopes,
  type AlertEnvelope,
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
  wrap: (destination: AlertDestination) => AlertDestination = (destination) => destination,
) {
  const storage = { kind: 'connection-string' as const, connectionString: azurite.connectionString };
  const outbox = new QueueAlertOutbox(storage, names);
  const destination = wrap(new WebhookAlertDestination({ url: sink.url, secret: SECRET, timeoutMs: 5000 }, clock));
  const alertSink = new OutboxAlertSink(outbox, clock, quiet, {
    windowSeconds: 600,
    ratePerType: 1000,
    maxKeys: 1000,
    source: '/certgate/test',
    bufferSize: 1000,
    flushIntervalMs: 0,
  });
  const outcomes: string[] = [];
  /** Events per queue message handled, in order. */
  const messageSizes: number[] = [];
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
          const envelopes = readEnvelopes(message);
          if (!envelopes) throw new Error('not an envelope');
          messageSizes.push(envelopes.length);
          const results = await deliverEnvelopes(envelopes, { destinations: [destination], outbox, retry, clock });
          outcomes.push(...results.map(({ outcome }) => outcome.kind));
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
  return { clock, outbox, alertSink, triggers, outcomes, messageSizes, round };
}

describe('alert outbox and delivery (Azurite, real HTTP)', () => {
  it('delivers every event exactly once by id after the webhook was down for 60 s', async () => {
    const clock = fakeClock();
    // The receiver checks the signature's timestamp against the same injected clock.
    sink = await startWebhookSink({ secret: SECRET, now: clock.now });
    closers.push(() => sink.close());
    const { outbox, alertSink, triggers, outcomes, messageSizes, round } = await scenario(
      { outbox: 'alerts-down-60', poison: 'alerts-down-60-poison' },
      { maxAttempts: 8, initialDelaySeconds: 1, maxDelaySeconds: 1 },
      clock,
    );
    for (let i = 0; i < 20; i++) alertSink.raise(alertFor(i));
    await alertSink.flush();
    // The 20 events went as one packed message.
    const queued = await readQueued(azurite.connectionString, 'alerts-down-60');
    expect(queued.map((m) => m.length)).toEqual([20]);
    // At-least-once on the way in: one event queued twice (as a retried enqueue would), same id.
    const first = queued[0]![0]!;
    expect(await outbox.enqueue([first])).toEqual({ notQueued: [] });
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
    // The failed events of a message went back packed as they came: only messages of 20 and of 1.
    expect(new Set(messageSizes)).toEqual(new Set([20, 1]));
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
    const [[poisoned]] = (await readQueued(azurite.connectionString, 'alerts-poison-n-poison')) as [[AlertEnvelope]];
    expect(poisoned).toMatchObject({
      attempt: 3,
      delivered: [],
      lastError: expect.stringContaining('webhook answered 503'),
    });
    expect(poisoned.event.data.user).toBe('user99@contoso.example');
    await triggers.close();
    sink.setAvailable(true);
  }, 60_000);

  it('puts back only the events of a message that failed, packed, and delivers each once', async () => {
    sink.setAvailable(true);
    const failOnce = new Set(['user2@contoso.example', 'user5@contoso.example']);
    const { alertSink, outbox, triggers, outcomes, messageSizes, round } = await scenario(
      { outbox: 'alerts-partial', poison: 'alerts-partial-poison' },
      { maxAttempts: 3, initialDelaySeconds: 1, maxDelaySeconds: 1 },
      fakeClock(),
      (webhook) => ({
        kind: webhook.kind,
        deliver: (event) => {
          const user = String(event.data.user);
          if (failOnce.delete(user)) return Promise.reject(new AlertDeliveryError(`refused ${user}`, 500));
          return webhook.deliver(event);
        },
      }),
    );
    const before = sink.deliveredIds.size;
    for (let i = 0; i < 10; i++) alertSink.raise(alertFor(1000 + i));
    for (let i = 0; i < 10; i++) alertSink.raise(alertFor(i));
    await alertSink.flush();
    await round();
    expect(messageSizes).toEqual([20]);
    expect(outcomes.filter((o) => o === 'retry')).toHaveLength(2);
    // One message waits (invisible for its retry delay), with the two failed events.
    expect(await outbox.backlog()).toEqual({ queued: 1, poisoned: 0 });
    await round();
    expect(messageSizes).toEqual([20, 2]);
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(20);
    expect(sink.deliveredIds.size - before).toBe(20);
    expect(await outbox.backlog()).toEqual({ queued: 0, poisoned: 0 });
    await triggers.close();
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

/** The envelopes of each message in a queue, peeked (not taken). */
async function readQueued(connectionString: string, queue: string) {
  const { QueueClient } = await import('@azure/storage-queue');
  const client = new QueueClient(connectionString, queue);
  const peeked = await client.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => readEnvelopes(Buffer.from(m.messageText, 'base64').toString('utf8'))!);
}
