/**
 * `/api/manage/configuration`: the whole policy configuration as one JSON document. GET exports
 * it (ETag = version stamp); POST imports it all or nothing (`?dryRun=true` goes the same way up
 * to the commit and lists the changes; `dryRun` is true or false in any case, anything else and
 * any unknown parameter is 400 `request-query-invalid`; `If-Match: <version>` refuses the import
 * with 412 `configuration-changed` when someone changed something meanwhile). Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/configDocuments.js'),
);

export async function manageConfiguration(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, configApiFor, handleConfiguration } =
    modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleConfiguration(request, configApiFor(services, access.actor, context));
}

app.http('manage-configuration', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'api/manage/configuration',
  handler: manageConfiguration,
});
