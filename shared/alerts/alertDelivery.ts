/**
 * The outbox's contract and the delivery step. An alert event waits in the outbox (a Storage Queue) in an
 * envelope that records its attempts and the destinations that already have it; the delivery function hands it to
 * every configured destination that does not, and when one fails puts it back with a delay that doubles per
 * attempt, or, after the last attempt, in the poison queue. Nothing is deleted before it is delivered or
 * poisoned: at-least-once, and the CloudEvent id is the receivers' idempotency key. The ports of this step (the
 * outbox and the destinations) are declared here, beside the only code that uses them, so the shared ports
 * module does not import the alert event types.
 * May import: the alert events core, the errors module, ports (types).
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
  readonly queued: number;
  readonly poisoned: number;
}

/** The outbox (a Storage Queue, `certgate-alerts`, with `certgate-alerts-poison` beside it). */
export interface AlertOutbox {
  /** Queues new envelopes, visible at once; rejects when the queue cannot be reached (the caller keeps them). */
  enqueue(envelopes: readonly AlertEnvelope[]): Promise<void>;
  /** Queues an envelope again, visible after `delaySeconds`. */
  retry(envelope: AlertEnvelope, delaySeconds: number): Promise<void>;
  /** Moves an envelope to the poison queue. */
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

/** What one delivery round did. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly to: readonly AlertDestinationKind[] }
  | { readonly kind: 'retry'; readonly attempt: number; readonly delaySeconds: number; readonly error: string }
  | { readonly kind: 'poisoned'; readonly attempt: number; readonly error: string };

/**
 * One delivery round for a queued envelope: every destination that does not have the event yet is tried (in
 * parallel); on any failure the envelope goes back to the outbox with the destinations that succeeded recorded
 * (they are not sent again), delayed by {@link retryDelaySeconds}, or to the poison queue after the last round.
 * Rejects only when the outbox itself cannot take the envelope back: the queue trigger's own retry (and its
 * poison queue after `maxDequeueCount`) then holds it, so nothing is lost.
 */
export async function deliverEnvelope(
  envelope: AlertEnvelope,
  deps: {
    readonly destinations: readonly AlertDestination[];
    readonly outbox: AlertOutbox;
    readonly retry: AlertRetryPolicy;
    readonly clock: Clock;
  },
): Promise<DeliveryOutcome> {
  const pending = deps.destinations.filter((d) => !envelope.delivered.includes(d.kind));
  const results = await Promise.allSettled(pending.map((d) => d.deliver(envelope.event)));
  const delivered = [...envelope.delivered];
  const errors: string[] = [];
  pending.forEach(({ kind }, i) => {
    const result = results[i];
    if (result?.status === 'fulfilled') delivered.push(kind);
    else errors.push(`${kind}: ${result ? messageOf(result.reason) : 'not attempted'}`);
  });
  if (errors.length === 0) return { kind: 'delivered', to: delivered };
  const attempt = envelope.attempt + 1;
  const error = errors.join('; ');
  const next: AlertEnvelope = { ...envelope, attempt, delivered, lastError: error };
  if (attempt >= deps.retry.maxAttempts) {
    await deps.outbox.poison(next);
    return { kind: 'poisoned', attempt, error };
  }
  const delaySeconds = retryDelaySeconds(attempt, deps.retry);
  await deps.outbox.retry(next, delaySeconds);
  return { kind: 'retry', attempt, delaySeconds, error };
}

/** Reads a queue message (parsed JSON from the Functions host, or a string) as an envelope; undefined if not one. */
export function readEnvelope(message: unknown): AlertEnvelope | undefined {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<AlertEnvelope>;
  const event = candidate.event as Partial<AlertEvent> | undefined;
  if (
    !event ||
    event.specversion !== '1.0' ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.source !== 'string' ||
    typeof candidate.attempt !== 'number' ||
    !Array.isArray(candidate.delivered) ||
    typeof candidate.queuedAt !== 'string'
  )
    return undefined;
  return candidate as AlertEnvelope;
}

/** The outbox queue (the delivery function's trigger) and where envelopes go after their last round. */
export const ALERT_QUEUE = 'certgate-alerts';
export const ALERT_POISON_QUEUE = 'certgate-alerts-poison';
