/**
 * `/api/manage/revocation`: the state of every CRL distribution point certgate keeps (GET), and
 * an immediate refresh of all of them (`POST /api/manage/revocation/refresh`), e.g. right after a
 * revocation. Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/management.js'),
);

export async function manageRevocation(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, roleFor, getServices, storeFailure } = modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  const action = request.params.action ?? '';
  if (request.method === 'GET' && action === '') {
    return {
      status: 200,
      jsonBody: { sources: services.crls.status(), generation: services.crls.generation },
      headers: { 'cache-control': 'no-store' },
    };
  }
  if (request.method === 'POST' && action === 'refresh') {
    try {
      services.crls.track((await services.trustAnchors.get()).crlUrls);
    } catch (error) {
      return storeFailure(error, context);
    }
    const report = await services.crls.refresh({ force: true });
    context.log(
      JSON.stringify({
        event: 'certgate.crl.refreshed',
        checked: report.checked,
        updated: report.updated,
        failed: report.failed,
      }),
    );
    return { status: 200, jsonBody: report, headers: { 'cache-control': 'no-store' } };
  }
  return {
    status: 404,
    jsonBody: {
      error: {
        code: 'route-not-found',
        message: 'Use GET /api/manage/revocation or POST /api/manage/revocation/refresh.',
      },
    },
  };
}

app.http('manage-revocation', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'api/manage/revocation/{action?}',
  handler: manageRevocation,
});
