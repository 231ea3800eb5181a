/**
 * `GET /api/manage/audit[?limit=100]`: the most recent changes to policies, named locations and
 * settings (who, when, before, after), newest first. Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/management.js'),
);

export async function manageAudit(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { authorizeManagement, getServices, storeFailure } = modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), 'reader');
  if (!access.ok) return access.response;
  const limit = Math.min(1000, Math.max(1, Number.parseInt(request.query.get('limit') ?? '100', 10) || 100));
  try {
    return {
      status: 200,
      jsonBody: { entries: await getServices().policyStore.audit(limit) },
      headers: { 'cache-control': 'no-store' },
    };
  } catch (error) {
    return storeFailure(error, context);
  }
}

app.http('manage-audit', { methods: ['GET'], authLevel: 'function', route: 'api/manage/audit', handler: manageAudit });
