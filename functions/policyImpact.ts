/**
 * `GET /api/manage/policies/{id}/impact[?from=&to=]`: what a report-only policy would have done
 * had it been enforced, from the per-policy outcomes in the decision log (default the last 7
 * days, never before retention): requests, users and devices it would have blocked or allowed,
 * those it applied to and could not be ruled out for, the users and apps most affected, and
 * sample correlation ids to explain (`GET /api/manage/decisions/{id}`). The policy's current
 * state is shown (`deleted` when it no longer exists: its recorded outcomes still count). The
 * route's literal `impact` segment never meets `api/manage/policies/{id?}` (one segment).
 * Reader role. 400 `id-invalid` / `request-query-invalid`; 503 `store-unavailable`.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Services } from '../shared/composition.js';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/decisionLog/impact.js'),
  () => import('../shared/decisionLog/query.js'),
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/ports.js'),
);

/** Most per-policy outcome rows one report reads; past it the report says `truncated`. */
const MAX_ROWS = 200_000;
const POLICY_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The handler over the services `resolve` gives. */
export function createPolicyImpact(
  resolve: () => Services | Promise<Services>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const { aggregateImpact, parseImpactQuery, authorizeManagement, managementError, StoreError } =
      modules.loaded ?? (await modules());
    const services = await resolve();
    const access = await authorizeManagement(request, services, 'reader');
    if (!access.ok) return access.response;
    const id = request.params.id ?? '';
    if (id.length > 64 || !POLICY_ID.test(id))
      return managementError('id-invalid', `${JSON.stringify(id)} is not a policy id`);
    const range = parseImpactQuery(request.query, services.clock.now(), services.config.decisionLog.retentionDays);
    if (!range.ok) return managementError('request-query-invalid', range.detail);
    try {
      const [stored, outcomes] = await Promise.all([
        services.policyStore.get('policy', id),
        services.decisionRecords.policyOutcomes(id, range.value, MAX_ROWS),
      ]);
      const state = (stored?.document as { state?: string } | undefined)?.state ?? 'deleted';
      const impact = aggregateImpact(id, range.value, outcomes.rows, outcomes.truncated);
      return {
        status: 200,
        jsonBody: {
          ...impact,
          policy: { id, state },
          ...(state === 'report-only'
            ? {}
            : { note: 'the policy is not report-only now: the figures count what it did while it was' }),
        },
        headers: { 'cache-control': 'no-store' },
      };
    } catch (error) {
      if (error instanceof StoreError) {
        context.error(`policy impact: store unavailable: ${error.message}: ${messageOf(error.cause)}`);
        return managementError('store-unavailable');
      }
      throw error;
    }
  };
}

/** `GET /api/manage/policies/{id}/impact` for the worker's services. */
export const policyImpact = createPolicyImpact(async () => (modules.loaded ?? (await modules())).getServices());

app.http('manage-policy-impact', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'api/manage/policies/{id}/impact',
  handler: policyImpact,
});
