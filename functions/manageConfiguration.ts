/**
 * `/api/manage/configuration`: the whole policy configuration as one JSON document. GET exports
 * it (ETag = version stamp); POST imports it (`?dryRun=true` only validates and lists the
 * changes; `If-Match: <version>` refuses the import when someone changed something meanwhile).
 * Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { authorizeManagement, roleFor } from '../shared/http/managementAuth.js';
import { getServices } from '../shared/composition.js';
import { handleConfiguration } from '../shared/http/configDocuments.js';

export async function manageConfiguration(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleConfiguration(request, { store: services.policyStore, cache: services.policies, actor: access.actor, context, ...(services.directory ? { directory: services.directory } : {}) });
}

app.http('manage-configuration', { methods: ['GET', 'POST'], authLevel: 'function', route: 'manage/configuration', handler: manageConfiguration });
