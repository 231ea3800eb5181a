/**
 * `POST /api/manage/revocation/user/{id}` and `/api/manage/revocation/device/{id}`: "this user (or
 * device) lost access: stop using what certgate knows about them". The worker's directory cache
 * forgets the user's memberships and certificate user ids (or the device's compliance and trust
 * type), so the next decision asks Graph. The manual twin of a Graph change notification; for a
 * revoked certificate use the CRL refresh (`POST /api/manage/revocation/refresh`). Admin role.
 * Answers 200 `{ forgotten }` (cached questions dropped on this worker).
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/events/directoryEvents.js'),
  () => import('../shared/http/responses.js'),
);

export async function manageDirectoryRevocation(request: HttpRequest): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, forgetDirectoryObject, managementError } =
    modules.loaded ?? (await modules());
  const services = getServices();
  const access = await authorizeManagement(request, services, roleFor(request));
  if (!access.ok) return access.response;
  const kind = request.params.kind?.toLowerCase();
  const id = request.params.id?.trim() ?? '';
  if ((kind !== 'user' && kind !== 'device') || id === '' || id.length > 256)
    return managementError('directory-object-kind-invalid');
  const forgotten = forgetDirectoryObject(services, kind, id);
  return {
    status: 200,
    jsonBody: {
      kind,
      id,
      forgotten,
      note: 'This worker forgot its cached answers; other instances follow within CERTGATE_GRAPH_CACHE_SECONDS.',
    },
    headers: { 'cache-control': 'no-store' },
  };
}

app.http('manage-directory-revocation', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'api/manage/revocation/{kind}/{id}',
  handler: manageDirectoryRevocation,
});
