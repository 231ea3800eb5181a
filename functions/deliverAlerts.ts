/**
 * Queue trigger on the alert outbox (`certgate-alerts`): one delivery round per message to the configured
 * destinations (webhook, Event Grid); a failed round puts the event back with a doubling delay, or in
 * `certgate-alerts-poison` after CERTGATE_ALERT_MAX_ATTEMPTS (shared/alerts/alertDelivery.ts). A message that is
 * not an alert envelope goes to the poison queue as it is. Registered only when CERTGATE_ALERT_SINKS names webhook
 * or eventgrid (read here, as the host reads `AzureWebJobs.<name>.Disabled`): with the `queue` sink the queue is
 * the destination and must not be drained. The connection is the host's storage (AzureWebJobsStorage).
 */
import { app, type InvocationContext } from '@azure/functions';
import { ALERT_QUEUE, deliverEnvelope, readEnvelope } from '../shared/alerts/alertDelivery.js';
import { getServices } from '../shared/composition.js';
import { alertSinksOf } from '../shared/config.js';

export async function deliverAlerts(message: unknown, context: InvocationContext): Promise<void> {
  const services = getServices();
  const { outbox, destinations, retry } = services.alerting;
  const envelope = readEnvelope(message);
  if (!outbox) throw new Error('deliver-alerts: no outbox (CERTGATE_ALERT_SINKS=log)');
  if (!envelope) {
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
  const outcome = await deliverEnvelope(envelope, { destinations, outbox, retry, clock: services.clock });
  const line = JSON.stringify({ event: `certgate.alert.${outcome.kind}`, id: envelope.event.id, ...outcome });
  if (outcome.kind === 'delivered') context.log(line);
  else context.warn(line);
}

if (alertSinksOf(process.env.CERTGATE_ALERT_SINKS).some((sink) => sink === 'webhook' || sink === 'eventgrid')) {
  app.storageQueue('deliver-alerts', {
    queueName: ALERT_QUEUE,
    connection: 'AzureWebJobsStorage',
    handler: deliverAlerts,
  });
}
