/**
 * Graph change-notification subscriptions: a timer (every 6 hours) and
 * `POST /api/manage/notifications/subscriptions` (admin, "now", e.g. right after deployment) create
 * the missing subscriptions and renew those expiring within a day. With
 * CERTGATE_GRAPH_NOTIFICATION_URL unset both do nothing (the manage route answers 404
 * `graph-notifications-off`). Graph must reach certgate for the validation handshake.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext, type Timer } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/events/directoryEvents.js'),
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/http/responses.js'),
);

export async function renewGraphSubscriptions(_timer: Timer, context: InvocationContext): Promise<void> {
  const { getServices, ensureGraphSubscriptions } = modules.loaded ?? (await modules());
  try {
    const report = await ensureGraphSubscriptions(getServices());
    if (report) context.log(JSON.stringify({ event: 'certgate.graph.subscriptions', ...report }));
  } catch (error) {
    context.warn(JSON.stringify({ event: 'certgate.graph.subscription-failed', detail: messageOf(error) }));
  }
}

export async function manageGraphSubscriptions(request: HttpRequest): Promise<HttpResponseInit> {
  const { getServices, ensureGraphSubscriptions, authorizeManagement, roleFor, managementError } =
    modules.loaded ?? (await modules());
  const services = getServices();
  const access = await authorizeManagement(request, services, roleFor(request));
  if (!access.ok) return access.response;
  try {
    const report = await ensureGraphSubscriptions(services);
    if (!report) return managementError('graph-notifications-off');
    return { status: 200, jsonBody: report, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    return managementError('graph-subscription-failed', messageOf(error));
  }
}

app.timer('renew-graph-subscriptions', { schedule: '0 0 */6 * * *', handler: renewGraphSubscriptions });
app.http('manage-graph-subscriptions', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'api/manage/notifications/subscriptions',
  handler: manageGraphSubscriptions,
});
