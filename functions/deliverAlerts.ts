/**
 * Queue trigger on the alert outbox (`certgate-alerts`): one delivery round for the events of a message (one or
 * several, packed) to the configured destinations (webhook, Event Grid); the events whose round failed go back with
 * a doubling delay, or each in `certgate-alerts-poison` after CERTGATE_ALERT_MAX_ATTEMPTS
 * (shared/alerts/alertDelivery.ts); the delivered ones are done. A message that is
 * not an alert envelope goes to the poison queue as it is. Registered only when CERTGATE_ALERT_SINKS names webhook
 * or eventgrid (read here, as the host reads `AzureWebJobs.<name>.Disabled`): with the `queue` sink the queue is
 * the destination and must not be drained. The connection is the host's storage (AzureWebJobsStorage).
 */
import { app, type InvocationContext } from '@azure/functions';
import { ALERT_QUEUE, deliverEnvelopes, readEnvelopes } from '../shared/alerts/alertDelivery.js';
import { alertSinksOf } from '../shared/alerts/alertSinks.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(() => import('../shared/composition.js'));

export async function deliverAlerts(message: unknown, context: InvocationContext): Promise<void> {
  const { getServices } = modules.loaded ?? (await modules());
  const services = getServices();
  const { outbox, destinations, retry } = services.alerting;
  const envelopes = readEnvelopes(message);
  if (!outbox) throw new Error('deliver-alerts: no outbox (CERTGATE_ALERT_SINKS=log)');
  if (!envelopes) {
    context.warn(JSON.stringify({ event: 'certgate.alert.delivery-unreadable', id: context.triggerMetadata?.id }));
    // Kept for an operator, with the raw message as the event's data.
    await outbox.poison({
      event: {
        specversion: '1.0',
        id: typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : context.invocationId,
        source: 'certgate/deliver-alerts',
        type: 'certgate.delivery.unreadable',
        time: services.clock.now().toISOString(),
        datacontenttype: 'application/json',
        data: { severity: 'medium', message: 'An outbox message that is not an alert envelope.', raw: message },
      },
      attempt: 0,
      delivered: [],
      queuedAt: services.clock.now().toISOString(),
    });
    return;
  }
  const results = await deliverEnvelopes(envelopes, { destinations, outbox, retry, clock: services.clock });
  // One line for what arrived (a message carries up to a few dozen events), one warning per event that did not.
  const delivered = results.filter(({ outcome }) => outcome.kind === 'delivered').map(({ id }) => id);
  if (delivered.length > 0) context.log(JSON.stringify({ event: 'certgate.alert.delivered', ids: delivered }));
  for (const { id, outcome } of results) {
    if (outcome.kind !== 'delivered')
      context.warn(JSON.stringify({ event: `certgate.alert.${outcome.kind}`, id, ...outcome }));
  }
}

if (alertSinksOf(process.env.CERTGATE_ALERT_SINKS).some((sink) => sink === 'webhook' || sink === 'eventgrid')) {
  app.storageQueue('deliver-alerts', {
    queueName: ALERT_QUEUE,
    connection: 'AzureWebJobsStorage',
    handler: deliverAlerts,
  });
}
