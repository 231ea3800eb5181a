/**
 * `GET /api/manage/decisions[?user=&device=&app=&decision=&reason=&from=&to=&limit=&continuation=]`:
 * decisions from the decision log, newest first, a page at a time (`continuation` from the
 * previous page's answer; default range the last 24 hours, limit 50, at most 200).
 * `GET /api/manage/decisions/{correlationId}`: one decision with its full trace, explained as
 * what was checked, in order, and which check failed: JSON (`explanation.steps`, `.text`), or the
 * text alone for `Accept: text/plain` or `?format=text`. The block page's reference is the
 * correlation id. Reader role (function key, plus an Entra token with Certgate.Reader when
 * configured). Unknown or repeated query parameters are 400 `request-query-invalid`; a token
 * from another query 400 `decision-continuation-invalid`; an unknown id 404 `decision-not-found`;
 * storage that does not answer 503 `store-unavailable`.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Services } from '../shared/composition.js';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/adapters/tableDecisionLogStore.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/decisionLog/explain.js'),
  () => import('../shared/decisionLog/query.js'),
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/ports.js'),
);

const NO_STORE = { 'cache-control': 'no-store' };

async function failure(error: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const { ContinuationError, managementError, StoreError } = modules.loaded ?? (await modules());
  if (error instanceof ContinuationError) return managementError('decision-continuation-invalid', error.message);
  if (error instanceof StoreError) {
    context.error(`decision log unavailable: ${error.message}: ${messageOf(error.cause)}`);
    return managementError('store-unavailable');
  }
  throw error;
}

async function show(
  request: HttpRequest,
  services: Services,
  correlationId: string,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { explainDecision, isCorrelationId, managementError } = modules.loaded ?? (await modules());
  const names = [...request.query.keys()].filter((name) => name !== 'code' && name !== 'format');
  const format = request.query.get('format');
  if (
    names.length > 0 ||
    request.query.getAll('format').length > 1 ||
    (format !== null && format !== 'text' && format !== 'json')
  )
    return managementError('request-query-invalid', 'this route takes format=text or format=json only');
  if (!isCorrelationId(correlationId))
    return managementError(
      'decision-not-found',
      'a correlation id is 8-128 letters, digits, dots, hyphens or underscores',
    );
  let found;
  try {
    found = await services.decisionRecords.get(correlationId);
  } catch (error) {
    return failure(error, context);
  }
  const [newest, ...others] = found;
  if (!newest)
    return managementError(
      'decision-not-found',
      `no decision ${correlationId} in the last ${services.config.decisionLog.retentionDays} days`,
    );
  const explanation = explainDecision(newest);
  const wantsText = format === 'text' || (format === null && /^text\/plain/i.test(request.headers.get('accept') ?? ''));
  if (wantsText)
    return {
      status: 200,
      body: explanation.text,
      headers: { ...NO_STORE, 'content-type': 'text/plain; charset=utf-8' },
    };
  return {
    status: 200,
    jsonBody: {
      decision: newest,
      explanation,
      ...(others.length > 0
        ? { sameCorrelationId: others.map(({ trace: _t, policies: _p, details: _d, ...rest }) => rest) }
        : {}),
    },
    headers: NO_STORE,
  };
}

/** The handler over the services `resolve` gives (the worker's own in production, built ones in tests). */
export function createManageDecisions(
  resolve: () => Services | Promise<Services>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const { parseDecisionQuery, authorizeManagement, managementError } = modules.loaded ?? (await modules());
    const services = await resolve();
    const access = await authorizeManagement(request, services, 'reader');
    if (!access.ok) return access.response;
    const correlationId = request.params.correlationId;
    if (correlationId !== undefined && correlationId !== '') return show(request, services, correlationId, context);
    const query = parseDecisionQuery(request.query, services.clock.now(), services.config.decisionLog.retentionDays);
    if (!query.ok) return managementError('request-query-invalid', query.detail);
    try {
      const page = await services.decisionRecords.list(query.value);
      return {
        status: 200,
        jsonBody: {
          from: query.value.from.toISOString(),
          to: query.value.to.toISOString(),
          items: page.items,
          ...(page.continuation !== undefined ? { continuation: page.continuation } : {}),
        },
        headers: NO_STORE,
      };
    } catch (error) {
      return failure(error, context);
    }
  };
}

/** `GET /api/manage/decisions[/{correlationId}]` for the worker's services. */
export const manageDecisions = createManageDecisions(async () => (modules.loaded ?? (await modules())).getServices());

app.http('manage-decisions', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'api/manage/decisions/{correlationId?}',
  handler: manageDecisions,
});
