/**
 * `/api/manage/session-policies[/{id}]`: list, read, create (PUT without If-Match), replace (PUT
 * with If-Match; 412 when stale) and delete session policies, exactly as access policies are
 * managed at `/api/manage/policies` (the same validation answers, ETags, audit, group and issuer
 * checks); a session policy may not reuse an access policy's id. Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/configDocuments.js'),
);

export async function manageSessionPolicies(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, configApiFor, handleDocumentCollection } =
    modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleDocumentCollection('session-policy', request, configApiFor(services, access.actor, context));
}

app.http('manage-session-policies', {
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'function',
  route: 'api/manage/session-policies/{id?}',
  handler: manageSessionPolicies,
});
