/**
 * `/api/manage/apps[/{id}]`: the registered apps — what certgate protects and where each is
 * reached (hosts with optional path prefixes), its Entra app id (posture report) and optional
 * upstream (the gate). A request's app is the registered app whose route matches the host and path
 * the gateway saw; a request no app claims gets the baseline. List, read, create (PUT without
 * If-Match), replace (PUT with If-Match; 412 when stale) and delete (409 `app-in-use` while a
 * policy names it). Bodies are validated against the model (400 `policy-invalid` with every field
 * path, including a route another app already claims); every change is audited. Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/configDocuments.js'),
);

export async function manageApps(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, configApiFor, handleDocumentCollection } =
    modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleDocumentCollection('app', request, configApiFor(services, access.actor, context));
}

app.http('manage-apps', {
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'function',
  route: 'api/manage/apps/{id?}',
  handler: manageApps,
});
