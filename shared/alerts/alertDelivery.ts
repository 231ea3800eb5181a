/**
 * The outbox's contract and the delivery step. An alert event waits in the outbox (a Storage Queue) in an
 * envelope that records its attempts and the destinations that already have it; several envelopes travel in one
 * queue message ({@link packEnvelopes}: as many as fit the queue's 64 KiB, base64 counted), because a queue takes
 * messages, not bytes, per second. The delivery function hands every event of a message to every configured
 * destination that does not have it yet, and puts back only the events that failed, with a delay that doubles per
 * attempt, or, after their last attempt, in the poison queue (one message per event). Nothing is deleted before it
 * is delivered or poisoned: at-least-once, and the CloudEvent id is the receivers' idempotency key. The ports of
 * this step (the outbox and the destinations) are declared here, beside the only code that uses them, so the
 * shared ports module does not import the alert event types.
 * May import: the alert events core, the errors module, ports (types), node globals (Buffer, for byte lengths).
 */
import { CertgateError, messageOf } from '../errors.js';
import type { Clock } from '../ports.js';
import type { AlertEvent } from './alertEvents.js';

/** A destination alert events are delivered to (besides the queue itself, which is the outbox). */
export type AlertDestinationKind = 'webhook' | 'eventgrid';

/** One queued alert event and its delivery so far. */
export interface AlertEnvelope {
  readonly event: AlertEvent;
  /** Failed delivery rounds so far (0 when first queued). */
  readonly attempt: number;
  /** Destinations that have the event (a retry goes only to the others). */
  readonly delivered: readonly AlertDestinationKind[];
  /** When the event was first queued (ISO). */
  readonly queuedAt: string;
  /** Why the last round failed, per destination. */
  readonly lastError?: string;
}

/** What the outbox holds right now (approximate for a queue). */
export interface AlertBacklog {
  /** Messages in the outbox queue (each carries one or more events). */
  readonly queued: number;
  /** Events in the poison queue (one per message). */
  readonly poisoned: number;
}

/** What {@link AlertOutbox.enqueue} could not queue (the caller keeps those), and why. */
export interface EnqueueResult {
  readonly notQueued: readonly AlertEnvelope[];
  readonly error?: string;
}

/** The outbox (a Storage Queue, `certgate-alerts`, with `certgate-alerts-poison` beside it). */
export interface AlertOutbox {
  /**
   * Queues new envelopes, packed several to a message, visible at once. Resolves with those whose message was not
   * accepted; rejects when the queue cannot be reached at all (the caller keeps them all).
   */
  enqueue(envelopes: readonly AlertEnvelope[]): Promise<EnqueueResult>;
  /** Queues envelopes again (packed), visible after `delaySeconds`; rejects unless all were queued. */
  retry(envelopes: readonly AlertEnvelope[], delaySeconds: number): Promise<void>;
  /** Moves an envelope to the poison queue (one message per event, for an operator to replay). */
  poison(envelope: AlertEnvelope): Promise<void>;
  backlog(): Promise<AlertBacklog>;
}

/** Delivers one event to one destination; rejects when the destination did not take it. */
export interface AlertDestination {
  readonly kind: AlertDestinationKind;
  deliver(event: AlertEvent): Promise<void>;
}

/** A destination refused or could not be reached; `status` when it answered. */
export class AlertDeliveryError extends CertgateError {
  readonly code = 'alert-delivery-failed';
  constructor(
    message: string,
    readonly status?: number,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlertDeliveryError';
  }
}

/** Retries: how many rounds, and the delay before the next one. */
export interface AlertRetryPolicy {
  /** Delivery rounds before the envelope goes to the poison queue. */
  readonly maxAttempts: number;
  /** The delay after the first failed round, in seconds; doubled per further round. */
  readonly initialDelaySeconds: number;
  /** The longest delay, in seconds (a queue message can be hidden for at most 7 days). */
  readonly maxDelaySeconds: number;
}

/** The delay before round `attempt + 1`, after `attempt` failed rounds (1-based): initial × 2^(attempt − 1), capped. */
export function retryDelaySeconds(attempt: number, policy: AlertRetryPolicy): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * 2 ** exponent);
}

/** What one delivery round did to one event. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly to: readonly AlertDestinationKind[] }
  | { readonly kind: 'retry'; readonly attempt: number; readonly delaySeconds: number; readonly error: string }
  | { readonly kind: 'poisoned'; readonly attempt: number; readonly error: string };

/** The delivery step's collaborators. */
export interface DeliveryDeps {
  readonly destinations: readonly AlertDestination[];
  readonly outbox: AlertOutbox;
  readonly retry: AlertRetryPolicy;
  readonly clock: Clock;
  /** Most events of one message delivered at the same time (default 8). */
  readonly concurrency?: number;
}

/** One event's round: every destination that does not have it yet, in parallel; the envelope to keep if any failed. */
async function deliverOne(
  envelope: AlertEnvelope,
  deps: DeliveryDeps,
): Promise<{ readonly outcome: DeliveryOutcome; readonly next?: AlertEnvelope }> {
  const pending = deps.destinations.filter((d) => !envelope.delivered.includes(d.kind));
  const results = await Promise.allSettled(pending.map((d) => d.deliver(envelope.event)));
  const delivered = [...envelope.delivered];
  const errors: string[] = [];
  pending.forEach(({ kind }, i) => {
    const result = results[i];
    if (result?.status === 'fulfilled') delivered.push(kind);
    else errors.push(`${kind}: ${result ? messageOf(result.reason) : 'not attempted'}`);
  });
  if (errors.length === 0) return { outcome: { kind: 'delivered', to: delivered } };
  const attempt = envelope.attempt + 1;
  const error = errors.join('; ');
  const next: AlertEnvelope = { ...envelope, attempt, delivered, lastError: error };
  if (attempt >= deps.retry.maxAttempts) return { outcome: { kind: 'poisoned', attempt, error }, next };
  return { outcome: { kind: 'retry', attempt, delaySeconds: retryDelaySeconds(attempt, deps.retry), error }, next };
}

/**
 * One delivery round for the events of one queue message: each event goes to every destination that does not have
 * it yet (events in parallel, at most `concurrency` at once). Only the events that failed go back: to the outbox
 * with the destinations that succeeded recorded (they are not sent again), delayed by {@link retryDelaySeconds}
 * (events due at the same delay packed together), or each to the poison queue after its last round. Resolves with
 * each event's outcome, in order. Rejects only when the outbox itself cannot take failed events back: the queue
 * trigger's own retry (and its poison queue after `maxDequeueCount`) then holds the whole message, so nothing is
 * lost (the delivered events are sent again, and receivers deduplicate by id).
 */
export async function deliverEnvelopes(
  envelopes: readonly AlertEnvelope[],
  deps: DeliveryDeps,
): Promise<{ readonly id: string; readonly outcome: DeliveryOutcome }[]> {
  // One iterator shared by the workers: each takes the next event when it is free.
  const entries = envelopes.entries();
  const rounds: { readonly id: string; readonly outcome: DeliveryOutcome; readonly next?: AlertEnvelope }[] = [];
  const worker = async () => {
    for (const [i, envelope] of entries) rounds[i] = { id: envelope.event.id, ...(await deliverOne(envelope, deps)) };
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency ?? 8, envelopes.length)) }, worker));
  const retries = new Map<number, AlertEnvelope[]>();
  const poisoned: AlertEnvelope[] = [];
  for (const { outcome, next } of rounds) {
    if (!next) continue;
    if (outcome.kind === 'poisoned') poisoned.push(next);
    else if (outcome.kind === 'retry')
      retries.set(outcome.delaySeconds, [...(retries.get(outcome.delaySeconds) ?? []), next]);
  }
  await Promise.all([
    ...[...retries].map(([delaySeconds, group]) => deps.outbox.retry(group, delaySeconds)),
    ...poisoned.map((envelope) => deps.outbox.poison(envelope)),
  ]);
  return rounds.map(({ id, outcome }) => ({ id, outcome }));
}

/** The delivery round of a single envelope (see {@link deliverEnvelopes}). */
export async function deliverEnvelope(envelope: AlertEnvelope, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const [result] = await deliverEnvelopes([envelope], deps);
  if (!result) throw new Error('deliverEnvelopes: no outcome for the envelope');
  return result.outcome;
}

function isEnvelope(value: unknown): value is AlertEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AlertEnvelope>;
  // Parsed JSON: the event may be null or anything else.
  const event = candidate.event as Partial<AlertEvent> | null | undefined;
  return (
    typeof event === 'object' &&
    event !== null &&
    event.specversion === '1.0' &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.source === 'string' &&
    typeof candidate.attempt === 'number' &&
    Array.isArray(candidate.delivered) &&
    typeof candidate.queuedAt === 'string'
  );
}

/** A queue message of the outbox: one or more envelopes (`{ "envelopes": [...] }`). */
export interface AlertMessage {
  readonly envelopes: readonly AlertEnvelope[];
}

/**
 * Reads a queue message (parsed JSON from the Functions host, or a string) as its envelopes: a packed message
 * (`{ envelopes: [...] }`), or a single envelope as queued before packing. Undefined when it is not one, or when any
 * of its envelopes is not (a message only certgate writes: a broken one is kept whole for an operator).
 */
export function readEnvelopes(message: unknown): readonly AlertEnvelope[] | undefined {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (isEnvelope(value)) return [value];
  if (typeof value !== 'object' || value === null) return undefined;
  const { envelopes } = value as Partial<AlertMessage>;
  if (!Array.isArray(envelopes) || envelopes.length === 0 || !envelopes.every(isEnvelope)) return undefined;
  return envelopes;
}

/** A queue message's size limit: 64 KiB of message text. */
export const QUEUE_MESSAGE_MAX_BYTES = 65_536;

/**
 * Packs envelopes into queue messages, in order, each as many as fit `maxMessageBytes` once base64-encoded (the
 * Functions queue trigger's default `messageEncoding`): the JSON of {@link AlertMessage} may take 3/4 of the limit.
 * Returns each message's JSON text. An envelope too large for a message on its own gets a message of its own (the
 * queue refuses it loudly; alert fields are bounded, so it does not happen).
 */
export function packEnvelopes(
  envelopes: readonly AlertEnvelope[],
  maxMessageBytes = QUEUE_MESSAGE_MAX_BYTES,
): { readonly text: string; readonly envelopes: readonly AlertEnvelope[] }[] {
  const budget = Math.floor(maxMessageBytes / 4) * 3;
  const head = '{"envelopes":[';
  const tail = ']}';
  const messages: { text: string; envelopes: AlertEnvelope[] }[] = [];
  let parts: string[] = [];
  let group: AlertEnvelope[] = [];
  let bytes = head.length + tail.length;
  const close = () => {
    if (group.length > 0) messages.push({ text: `${head}${parts.join(',')}${tail}`, envelopes: group });
    parts = [];
    group = [];
    bytes = head.length + tail.length;
  };
  for (const envelope of envelopes) {
    const json = JSON.stringify(envelope);
    const size = Buffer.byteLength(json, 'utf8');
    if (group.length > 0 && bytes + 1 + size > budget) close();
    bytes += size + (group.length > 0 ? 1 : 0);
    parts.push(json);
    group.push(envelope);
  }
  close();
  return messages;
}

/** The outbox queue (the delivery function's trigger) and where envelopes go after their last round. */
export const ALERT_QUEUE = 'certgate-alerts';
export const ALERT_POISON_QUEUE = 'certgate-alerts-poison';
