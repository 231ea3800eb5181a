/**
 * `/api/notifications/graph`: where Microsoft Graph posts change notifications (and lifecycle
 * notifications) for certgate's subscriptions on users and groups. Anonymous at the Functions
 * level, as Graph cannot send a key: the validation handshake echoes `validationToken`, and every
 * notification must carry one of CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES (else it is refused).
 * Answers: 200 text/plain (validation), 202 (accepted), 400 `notification-body-invalid`,
 * 403 `notification-client-state-mismatch` (nothing in the batch was ours), 404
 * `graph-notifications-off` (no client states configured).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/events/directoryEvents.js'),
  () => import('../shared/events/graphChangeNotifications.js'),
  () => import('../shared/http/responses.js'),
);

/** Graph's notification bodies are small; anything larger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function graphNotifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { getServices, applyGraphNotifications, NotificationBodyInvalid, managementError } =
    modules.loaded ?? (await modules());
  const services = getServices();
  const validationToken = request.query.get('validationToken');
  if (services.config.graphNotifications.clientStates.length === 0) return managementError('graph-notifications-off');
  if (validationToken !== null)
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: validationToken };
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return managementError('notification-body-too-large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return managementError('notification-body-invalid', 'the body is not JSON');
  }
  try {
    const batch = applyGraphNotifications(services, body, {
      log: (line) => {
        context.log(line);
      },
      warn: (line) => {
        context.warn(line);
      },
    });
    if (batch.accepted === 0) return managementError('notification-client-state-mismatch');
    return { status: 202 };
  } catch (error) {
    if (error instanceof NotificationBodyInvalid) return managementError('notification-body-invalid', error.message);
    throw error;
  }
}

app.http('graph-notifications', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'api/notifications/graph',
  handler: graphNotifications,
});
