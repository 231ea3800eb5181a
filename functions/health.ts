/**
 * `GET /api/health`: the version and whether Table Storage answers. 200 when healthy, 503 when a
 * dependency or the configuration is not. Also whether Microsoft Graph is in use and the state of
 * its circuit (`open` while Graph fails or throttles: decisions then use cached or stale data, or
 * follow the fail mode; not a reason for 503). Anonymous: it reveals nothing but health.
 */
import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices, VERSION } from '../shared/composition.js';

export async function health(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`health: configuration invalid: ${error instanceof Error ? error.message : String(error)}`);
    return { status: 503, jsonBody: { status: 'unhealthy', version: VERSION, config: { ok: false, code: 'config-invalid' } } };
  }
  const started = performance.now();
  try {
    await services.trustedCas.ping();
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const graph = { enabled: services.config.graph.enabled, circuit: services.directoryCache.stats().breaker };
    return { status: 200, jsonBody: { status: 'healthy', version: VERSION, storage: { reachable: true, latencyMs }, graph }, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    context.warn(`health: storage unreachable: ${error instanceof Error ? error.message : String(error)}`);
    return { status: 503, jsonBody: { status: 'unhealthy', version: VERSION, storage: { reachable: false, code: 'store-unavailable' } }, headers: { 'cache-control': 'no-store' } };
  }
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
