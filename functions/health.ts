/**
 * `GET /api/health`: the version, whether storage answers and the state of Microsoft Graph's
 * circuit. `healthy` (200) when storage answered its last probe; `degraded` (still 200, with the
 * reasons) while storage is slow, silent or unreachable: the decision path then serves its cached
 * trusted CAs and policies, and taking the instance out of a load balancer would not help; 503
 * only when the configuration is invalid (the instance cannot serve anything). The storage probe
 * is cached for a few seconds and runs once at a time, so health stays cheap and fast under load
 * and never waits for a hanging storage account. Graph's circuit (`open` while Graph fails or
 * throttles) is reported, not a reason to degrade: decisions then follow the cached data or the
 * fail mode. Anonymous: it reveals nothing but health.
 */
import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(() => import('../shared/composition.js'));

export async function health(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const { getServices, VERSION } = modules.loaded ?? (await modules());
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`health: configuration invalid: ${messageOf(error)}`);
    return {
      status: 503,
      jsonBody: { status: 'unhealthy', version: VERSION, config: { ok: false, code: 'config-invalid' } },
      headers: { 'cache-control': 'no-store' },
    };
  }
  const storage = await services.storageHealth.report();
  const graph = { enabled: services.config.graph.enabled, circuit: services.directoryCache.stats().breaker };
  const caches = { trustedCas: services.trustAnchors.status(), policies: services.policies.status() };
  const headers = { 'cache-control': 'no-store' };
  // The decision log writer's buffer and counted drops (reported, not a reason to degrade: decisions go on).
  const decisionLog = services.decisionLogWriter.stats();
  if (storage.reachable) {
    return {
      status: 200,
      jsonBody: { status: 'healthy', version: VERSION, storage, graph, caches, decisionLog },
      headers,
    };
  }
  return {
    status: 200,
    jsonBody: {
      status: 'degraded',
      version: VERSION,
      reasons: [storage.problem ?? 'storage-unreachable'],
      storage: { ...storage, code: 'store-unavailable' },
      graph,
      caches,
      decisionLog,
    },
    headers,
  };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'api/health', handler: health });
