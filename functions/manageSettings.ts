/**
 * `/api/manage/settings`: the policy settings (default action when no policy applies, fail mode
 * when a block policy cannot be evaluated). GET, PUT (If-Match optional). Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/configDocuments.js'),
);

export async function manageSettings(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, configApiFor, handleSettings } =
    modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleSettings(request, configApiFor(services, access.actor, context));
}

app.http('manage-settings', {
  methods: ['GET', 'PUT'],
  authLevel: 'function',
  route: 'api/manage/settings',
  handler: manageSettings,
});
