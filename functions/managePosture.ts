/**
 * `/api/manage/posture`: the Conditional Access posture report (docs/posture.md).
 * `GET` (reader): the latest saved report; 404 `posture-report-not-found` when none was made yet.
 * `POST` (admin): run the report now, save it and answer it (200). When it could not read the
 * Conditional Access policies the saved report says why and the answer is an error carrying it:
 * Graph turned off → 409 `posture-graph-disabled`; throttled / down / timed out → 503
 * `posture-graph-unavailable` (with Retry-After when Graph gave one); permission missing → 503
 * `posture-graph-denied`; request refused as invalid → 502 `posture-graph-rejected`. A store
 * that does not answer → 503 `store-unavailable`. Function-key protected, plus Entra app roles.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Services } from '../shared/composition.js';
import type { PostureReport } from '../shared/policy/conditionalAccessPosture.js';
import type { ManagementReason } from '../shared/reasons.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/http/management.js'),
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/postureReporting.js'),
);

const FAILURE_REASONS = {
  throttled: 'posture-graph-unavailable',
  unavailable: 'posture-graph-unavailable',
  timeout: 'posture-graph-unavailable',
  denied: 'posture-graph-denied',
  invalid: 'posture-graph-rejected',
} as const satisfies Record<string, ManagementReason>;

/** The answer to a run: the report when complete, otherwise the error that says why, with the report. */
async function runResponse(report: PostureReport): Promise<HttpResponseInit> {
  const { managementError } = modules.loaded ?? (await modules());
  const { summary } = report;
  if (summary.status === 'complete') return { status: 200, jsonBody: report, headers: { 'cache-control': 'no-store' } };
  if (summary.status === 'graph-disabled') return managementError('posture-graph-disabled', undefined, { report });
  const response = managementError(
    FAILURE_REASONS[summary.error.kind],
    `${summary.error.kind}: ${summary.error.message}`,
    { report },
  );
  const retryAfter = summary.error.retryAfterSeconds;
  return retryAfter === undefined
    ? response
    : { ...response, headers: { ...(response.headers as Record<string, string>), 'retry-after': String(retryAfter) } };
}

/** The handler over the services `resolve` gives (the worker's own in production, built ones in tests). */
export function createManagePosture(
  resolve: () => Services | Promise<Services>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const { storeFailure, authorizeManagement, roleFor, managementError, runPostureReport } =
      modules.loaded ?? (await modules());
    const services = await resolve();
    const access = await authorizeManagement(request, services, roleFor(request));
    if (!access.ok) return access.response;
    try {
      if (request.method === 'GET') {
        const report = await services.postureReports.latest();
        return report
          ? { status: 200, jsonBody: report, headers: { 'cache-control': 'no-store' } }
          : managementError('posture-report-not-found');
      }
      const report = await runPostureReport({
        directory: services.directory,
        policies: services.policies,
        store: services.postureReports,
        clock: services.clock,
      });
      context.log(
        JSON.stringify({
          event: 'certgate.posture.reported',
          trigger: 'manage',
          actor: access.actor,
          status: report.summary.status,
          gaps: report.summary.gaps,
        }),
      );
      return await runResponse(report);
    } catch (error) {
      return storeFailure(error, context);
    }
  };
}

/** `GET|POST /api/manage/posture` for the worker's services. */
export const managePosture = createManagePosture(async () => (modules.loaded ?? (await modules())).getServices());

app.http('manage-posture', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'api/manage/posture',
  handler: managePosture,
});
