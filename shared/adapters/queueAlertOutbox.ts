/**
 * The alert outbox as Azure Storage Queues: `certgate-alerts` (the delivery function's trigger) and
 * `certgate-alerts-poison`. Messages are the envelope's JSON, base64-encoded as the Functions queue trigger reads
 * them by default (`messageEncoding: base64`). @azure/storage-queue (and @azure/identity for the managed identity)
 * load on the first call, off the cold start; the queues are created on first use. A message larger than the
 * queue's 64 KiB limit cannot happen for an alert event (its fields are bounded), and would be refused loudly.
 * May import: @azure/storage-queue, @azure/identity (both lazily), the alert delivery contract, config types.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { StorageConfig } from '../config.js';
import {
  ALERT_POISON_QUEUE,
  ALERT_QUEUE,
  type AlertBacklog,
  type AlertEnvelope,
  type AlertOutbox,
} from '../alerts/alertDelivery.js';

interface Queues {
  readonly outbox: QueueClient;
  readonly poison: QueueClient;
}

/** Encodes an envelope as a queue message (base64 of its UTF-8 JSON). */
export function encodeEnvelope(envelope: AlertEnvelope): string {
  return Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64');
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
  ) {}

  async enqueue(envelopes: readonly AlertEnvelope[]): Promise<void> {
    const { outbox } = await this.open();
    for (const envelope of envelopes) await outbox.sendMessage(encodeEnvelope(envelope));
  }

  async retry(envelope: AlertEnvelope, delaySeconds: number): Promise<void> {
    const { outbox } = await this.open();
    await outbox.sendMessage(encodeEnvelope(envelope), { visibilityTimeout: Math.max(0, Math.round(delaySeconds)) });
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

  private open(): Promise<Queues> {
    this.queues ??= openQueues(this.storage, this.names).catch((error: unknown) => {
      this.queues = undefined;
      throw error;
    });
    return this.queues;
  }
}
