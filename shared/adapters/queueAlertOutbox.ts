/**
 * The alert outbox as Azure Storage Queues: `certgate-alerts` (the delivery function's trigger) and
 * `certgate-alerts-poison`. New and retried envelopes are packed several to a message (`{ "envelopes": [...] }`,
 * as many as fit 64 KiB once base64-encoded, shared/alerts/alertDelivery.ts `packEnvelopes`): the queue takes
 * messages, not bytes, per second, so one event per message bounded the outbox at the queue's message rate. The
 * messages of one enqueue are sent in parallel (bounded). Poisoned envelopes go one per message, for an operator
 * to replay. Messages are base64 of UTF-8 JSON, as the Functions queue trigger reads them by default
 * (`messageEncoding: base64`). @azure/storage-queue (and @azure/identity for the managed identity) load on the
 * first call, off the cold start; the queues are created on first use.
 * May import: @azure/storage-queue, @azure/identity (both lazily), the alert delivery contract, the errors module,
 * config types.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { StorageConfig } from '../config.js';
import {
  ALERT_POISON_QUEUE,
  ALERT_QUEUE,
  type AlertBacklog,
  type AlertEnvelope,
  type AlertOutbox,
  type EnqueueResult,
  packEnvelopes,
} from '../alerts/alertDelivery.js';
import { messageOf } from '../errors.js';

interface Queues {
  readonly outbox: QueueClient;
  readonly poison: QueueClient;
}

/** Encodes a message's JSON text as queue message text (base64 of its UTF-8 bytes). */
function encodeMessage(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Encodes an envelope as a queue message of its own (base64 of its UTF-8 JSON). */
export function encodeEnvelope(envelope: AlertEnvelope): string {
  return encodeMessage(JSON.stringify(envelope));
}

/** The queue clients for a storage config (connection string, or the account with the managed identity). */
async function openQueues(storage: StorageConfig, names: { outbox: string; poison: string }): Promise<Queues> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const options = {
    retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 10_000 },
  };
  let service;
  if (storage.kind === 'connection-string') {
    service = QueueServiceClient.fromConnectionString(storage.connectionString, options);
  } else {
    const { DefaultAzureCredential } = await import('@azure/identity');
    service = new QueueServiceClient(
      `https://${storage.accountName}.queue.core.windows.net`,
      new DefaultAzureCredential(),
      options,
    );
  }
  const outbox = service.getQueueClient(names.outbox);
  const poison = service.getQueueClient(names.poison);
  await Promise.all([outbox.createIfNotExists(), poison.createIfNotExists()]);
  return { outbox, poison };
}

/** {@link AlertOutbox} on Storage Queues. */
export class QueueAlertOutbox implements AlertOutbox {
  private queues: Promise<Queues> | undefined;

  constructor(
    private readonly storage: StorageConfig,
    private readonly names = { outbox: ALERT_QUEUE, poison: ALERT_POISON_QUEUE },
    /** Most messages of one enqueue or retry sent at the same time. */
    private readonly concurrency = 16,
  ) {}

  async enqueue(envelopes: readonly AlertEnvelope[]): Promise<EnqueueResult> {
    const { outbox } = await this.open();
    const messages = packEnvelopes(envelopes);
    const notQueued: AlertEnvelope[] = [];
    let error: string | undefined;
    await this.eachBounded(messages, async (message) => {
      try {
        await outbox.sendMessage(encodeMessage(message.text));
      } catch (failure) {
        notQueued.push(...message.envelopes);
        error = messageOf(failure);
      }
    });
    return error === undefined ? { notQueued } : { notQueued, error };
  }

  async retry(envelopes: readonly AlertEnvelope[], delaySeconds: number): Promise<void> {
    const { outbox } = await this.open();
    const visibilityTimeout = Math.max(0, Math.round(delaySeconds));
    await this.eachBounded(packEnvelopes(envelopes), async (message) => {
      await outbox.sendMessage(encodeMessage(message.text), { visibilityTimeout });
    });
  }

  async poison(envelope: AlertEnvelope): Promise<void> {
    const { poison } = await this.open();
    // Kept as long as the queue allows (-1: never expires), for an operator to replay.
    await poison.sendMessage(encodeEnvelope(envelope), { messageTimeToLive: -1 });
  }

  async backlog(): Promise<AlertBacklog> {
    const { outbox, poison } = await this.open();
    const [queued, poisoned] = await Promise.all([outbox.getProperties(), poison.getProperties()]);
    return { queued: queued.approximateMessagesCount ?? 0, poisoned: poisoned.approximateMessagesCount ?? 0 };
  }

  /** Runs `task` for every item, at most `concurrency` at once; rejects with the first failure after all ran. */
  private async eachBounded<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    // One iterator shared by the workers: each takes the next item when it is free.
    const queue = items.values();
    const results = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(this.concurrency, items.length)) }, async () => {
        for (const item of queue) await task(item);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private open(): Promise<Queues> {
    this.queues ??= openQueues(this.storage, this.names).catch((error: unknown) => {
      this.queues = undefined;
      throw error;
    });
    return this.queues;
  }
}
