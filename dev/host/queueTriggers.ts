/**
 * Queue triggers for the local Functions host (which serves HTTP and timers only): polls Azurite for every
 * registered `storageQueue` function, as the Functions host's queue listener does. From the real host it copies:
 * base64 message decoding (`messageEncoding`, default base64) and JSON messages handed over parsed, the trigger
 * metadata (id, dequeueCount, insertionTime, expirationTime, nextVisibleTime, popReceipt), messages fetched in
 * batches (`batchSize`, default 16) under a visibility lease (10 minutes), deleted on success; on failure made
 * visible again after `visibilityTimeout` (default 0), and after `maxDequeueCount` (default 5) failures moved to
 * `<queue>-poison`. The settings come from host.json `extensions.queues`, as in Azure. Polling backs off while the
 * queue is empty (up to `maxPollingInterval`, 2 s here instead of the host's minute, for a snappy dev loop).
 * Dev-only.
 * May import: @azure/functions, @azure/storage-queue, node built-ins, the functions-core stand-in (types).
 */
import azureFunctions from '@azure/functions';
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import type { RegisteredFunction } from './functionsCore.js';

const { InvocationContext } = azureFunctions;

/** host.json `extensions.queues`, the parts the local listener honours. */
export interface QueueListenerSettings {
  readonly batchSize: number;
  readonly maxDequeueCount: number;
  /** Seconds a failed message stays invisible before its next try. */
  readonly visibilityTimeoutSeconds: number;
  readonly messageEncoding: 'base64' | 'none';
  readonly maxPollingIntervalMs: number;
}

function timeSpanSeconds(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return fallback;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/** The queue listener settings from host.json (the Functions host's defaults where it says nothing). */
export function hostJsonQueueSettings(
  hostJsonPath: URL | string = new URL('../../host.json', import.meta.url),
): QueueListenerSettings {
  const hostJson = JSON.parse(readFileSync(hostJsonPath, 'utf8')) as {
    extensions?: { queues?: Record<string, unknown> };
  };
  const queues = hostJson.extensions?.queues ?? {};
  return {
    batchSize: typeof queues.batchSize === 'number' ? queues.batchSize : 16,
    maxDequeueCount: typeof queues.maxDequeueCount === 'number' ? queues.maxDequeueCount : 5,
    visibilityTimeoutSeconds: timeSpanSeconds(queues.visibilityTimeout, 0),
    messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
    maxPollingIntervalMs: 2_000,
  };
}

/** Options of {@link startQueueTriggers}. */
export interface QueueTriggerOptions {
  readonly functions: readonly RegisteredFunction[];
  /** The storage every trigger's `connection` resolves to locally (Azurite). */
  readonly connectionString: string;
  readonly settings?: Partial<QueueListenerSettings>;
  readonly log?: (line: string) => void;
  /** Poll in the background (default true); false: only {@link QueueTriggers.drain} polls (tests). */
  readonly autoPoll?: boolean;
}

/** Running queue listeners. */
export interface QueueTriggers {
  /** The functions listened for, by queue. */
  readonly queues: readonly string[];
  /** Polls every queue until a poll finds nothing visible (tests); resolves with the messages handled. */
  drain(): Promise<number>;
  close(): Promise<void>;
}

interface Listener {
  readonly fn: RegisteredFunction;
  readonly queue: QueueClient;
  readonly poison: QueueClient;
}

function decode(text: string, encoding: QueueListenerSettings['messageEncoding']): unknown {
  const raw = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Starts polling every queue-triggered function's queue; resolves once the queues exist. */
export async function startQueueTriggers(options: QueueTriggerOptions): Promise<QueueTriggers> {
  const settings = { ...hostJsonQueueSettings(), ...options.settings };
  const log = options.log ?? (() => undefined);
  const service = QueueServiceClient.fromConnectionString(options.connectionString);
  const listeners: Listener[] = [];
  for (const fn of options.functions) {
    if (fn.trigger.type !== 'queueTrigger') continue;
    const queueName = (fn.trigger as { queueName?: string }).queueName;
    if (!queueName) throw new Error(`function ${fn.name}: a queue trigger without queueName`);
    const queue = service.getQueueClient(queueName);
    const poison = service.getQueueClient(`${queueName}-poison`);
    await queue.createIfNotExists();
    listeners.push({ fn, queue, poison });
  }

  const handle = async (listener: Listener, message: DequeuedMessageItem): Promise<void> => {
    const context = new InvocationContext({
      invocationId: crypto.randomUUID(),
      functionName: listener.fn.name,
      triggerMetadata: {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt: message.popReceipt,
      },
      logHandler: (level, ...args) => {
        log(`[${listener.fn.name}] ${level}: ${args.map(String).join(' ')}`);
      },
    });
    try {
      await listener.fn.handler(decode(message.messageText, settings.messageEncoding), context);
    } catch (error) {
      log(`[${listener.fn.name}] failed (dequeue ${message.dequeueCount}): ${String(error)}`);
      if (message.dequeueCount >= settings.maxDequeueCount) {
        await listener.poison.createIfNotExists();
        await listener.poison.sendMessage(message.messageText);
        await listener.queue.deleteMessage(message.messageId, message.popReceipt);
      } else {
        await listener.queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          settings.visibilityTimeoutSeconds,
        );
      }
      return;
    }
    await listener.queue.deleteMessage(message.messageId, message.popReceipt);
  };

  /** One poll of one queue: a batch fetched and handled in parallel; the number handled. */
  const pollOnce = async (listener: Listener): Promise<number> => {
    const received = await listener.queue.receiveMessages({
      numberOfMessages: Math.min(32, settings.batchSize),
      visibilityTimeout: 600,
    });
    await Promise.all(
      received.receivedMessageItems.map((message) =>
        handle(listener, message).catch((error: unknown) => {
          // The lease runs out and the message comes back: nothing lost, as with the real host.
          log(`[${listener.fn.name}] could not settle message ${message.messageId}: ${String(error)}`);
        }),
      ),
    );
    return received.receivedMessageItems.length;
  };

  let closed = false;
  const running: Promise<void>[] = [];
  const wakeups = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeups.add(wake);
    });
  for (const listener of options.autoPoll === false ? [] : listeners) {
    running.push(
      (async () => {
        let idleMs = 100;
        while (!closed) {
          let handled = 0;
          try {
            handled = await pollOnce(listener);
          } catch (error) {
            log(`[${listener.fn.name}] polling ${listener.queue.name} failed: ${String(error)}`);
          }
          if (handled > 0) idleMs = 100;
          else {
            await sleep(idleMs);
            idleMs = Math.min(settings.maxPollingIntervalMs, idleMs * 2);
          }
        }
      })(),
    );
  }
  return {
    queues: listeners.map((l) => l.queue.name),
    drain: async () => {
      let total = 0;
      for (const listener of listeners) {
        for (let handled = await pollOnce(listener); handled > 0; handled = await pollOnce(listener)) total += handled;
      }
      return total;
    },
    close: async () => {
      closed = true;
      for (const wake of [...wakeups]) wake();
      await Promise.all(running);
    },
  };
}
