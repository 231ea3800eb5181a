/**
 * Timer: every hour (minute 7), read the tenant's Conditional Access policies and save the
 * posture report (docs/posture.md) that `GET /api/manage/posture` serves. A run that could not
 * read Graph saves a report saying so and logs a warning; a store failure fails the run.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/postureReporting.js'),
);

export async function reportConditionalAccessPosture(_timer: Timer, context: InvocationContext): Promise<void> {
  const { getServices, runPostureReport } = modules.loaded ?? (await modules());
  const services = getServices();
  const report = await runPostureReport({
    directory: services.directory,
    policies: services.policies,
    store: services.postureReports,
    clock: services.clock,
  });
  const { summary } = report;
  const line = JSON.stringify({
    event: 'certgate.posture.reported',
    trigger: 'timer',
    status: summary.status,
    gaps: summary.gaps,
    protectedApps: summary.protectedApps,
    unidentifiedApps: summary.unidentifiedApps,
    ...(summary.status === 'failed' ? { error: summary.error } : {}),
  });
  if (summary.status === 'failed') context.warn(line);
  else context.log(line);
}

app.timer('report-conditional-access-posture', { schedule: '0 7 * * * *', handler: reportConditionalAccessPosture });
