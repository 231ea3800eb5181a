/**
 * `/api/manage/policies[/{id}]`: list, read, create (PUT without If-Match), replace (PUT with
 * If-Match; 412 when stale) and delete policies. Bodies are validated against the policy model
 * (400 `policy-invalid` with every field path); ids are checked before storage (400 `id-invalid`),
 * a body naming another id than the path is 400 `id-mismatch`; issuer thumbprints must be trusted
 * CAs' (422 `policy-unknown-issuer`), group ids groups in the tenant (422 `policy-unknown-group`);
 * every change is audited. Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/configDocuments.js'),
);

export async function managePolicies(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, configApiFor, handleDocumentCollection } =
    modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  return handleDocumentCollection('policy', request, configApiFor(services, access.actor, context));
}

app.http('manage-policies', {
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'function',
  route: 'api/manage/policies/{id?}',
  handler: managePolicies,
});
