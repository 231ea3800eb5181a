/**
 * Delivers alert events to an Event Grid topic in the CloudEvents schema (`@azure/eventgrid`'s
 * EventGridPublisherClient, input schema "CloudEvent"), authenticated with the topic's access key or, without
 * one, the app's managed identity (the "EventGrid Data Sender" role on the topic). The CloudEvent id and source
 * are kept, so Event Grid's subscribers can deduplicate as the webhook's receivers do. The SDK (and
 * @azure/identity) load on the first delivery.
 * May import: @azure/eventgrid, @azure/identity (both lazily), the alert cores.
 */
import type { EventGridPublisherClient } from '@azure/eventgrid';
import { AlertDeliveryError, type AlertDestination } from '../alerts/alertDelivery.js';
import type { AlertEvent } from '../alerts/alertEvents.js';
import { messageOf } from '../errors.js';

/** The topic endpoint (…/api/events) and, optionally, its access key. */
export interface EventGridDestinationOptions {
  readonly endpoint: string;
  readonly key?: string;
  readonly timeoutMs: number;
}

/** {@link AlertDestination} for an Event Grid topic. */
export class EventGridAlertDestination implements AlertDestination {
  readonly kind = 'eventgrid';
  private client: Promise<EventGridPublisherClient<'CloudEvent'>> | undefined;

  constructor(private readonly options: EventGridDestinationOptions) {}

  async deliver(event: AlertEvent): Promise<void> {
    try {
      const client = await this.open();
      await client.send(
        [
          {
            id: event.id,
            source: event.source,
            type: event.type,
            time: new Date(event.time),
            ...(event.subject !== undefined ? { subject: event.subject } : {}),
            datacontenttype: event.datacontenttype,
            data: event.data,
          },
        ],
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs) },
      );
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      throw new AlertDeliveryError(`event grid: ${messageOf(error)}`, typeof status === 'number' ? status : undefined, {
        cause: error,
      });
    }
  }

  private open(): Promise<EventGridPublisherClient<'CloudEvent'>> {
    this.client ??= (async () => {
      const { EventGridPublisherClient, AzureKeyCredential } = await import('@azure/eventgrid');
      const credential = this.options.key
        ? new AzureKeyCredential(this.options.key)
        : new (await import('@azure/identity')).DefaultAzureCredential();
      return new EventGridPublisherClient(this.options.endpoint, 'CloudEvent', credential);
    })().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }
}
