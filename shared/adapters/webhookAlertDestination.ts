/**
 * Delivers alert events to an https webhook: one POST per event, the CloudEvent in structured JSON
 * (`application/cloudevents+json`), signed with HMAC-SHA256 (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, see shared/alerts/webhookSignature.ts and docs/alerts.md). A 2xx is delivered; anything
 * else, a time-out or a refused connection is an {@link AlertDeliveryError} and the event is retried (the
 * receiver deduplicates by `webhook-id`, the CloudEvent id).
 * May import: the alert cores, node built-ins (fetch).
 */
import { AlertDeliveryError, type AlertDestination } from '../alerts/alertDelivery.js';
import type { AlertEvent } from '../alerts/alertEvents.js';
import { signWebhook, WEBHOOK_HEADERS } from '../alerts/webhookSignature.js';
import type { Clock } from '../ports.js';
import { messageOf } from '../errors.js';

/** Where and how to post. */
export interface WebhookDestinationOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

/** {@link AlertDestination} for a signed https webhook. */
export class WebhookAlertDestination implements AlertDestination {
  readonly kind = 'webhook';

  constructor(
    private readonly options: WebhookDestinationOptions,
    private readonly clock: Clock,
  ) {}

  async deliver(event: AlertEvent): Promise<void> {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          [WEBHOOK_HEADERS.id]: event.id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook(this.options.secret, event.id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new AlertDeliveryError(`webhook unreachable: ${describe(error)}`, undefined, { cause: error });
    }
    // The body is not needed; reading it lets the connection be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new AlertDeliveryError(`webhook answered ${response.status}`, response.status);
  }
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${messageOf(error)}${cause}`;
}
