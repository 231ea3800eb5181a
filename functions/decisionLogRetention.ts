/**
 * Timer: every hour, delete decision log rows older than CERTGATE_DECISION_LOG_RETENTION_DAYS
 * (whole hours of decisions, whole days of index), at most 50,000 rows a run; a backlog is worked
 * off over the next runs. Also flushes this worker's buffered decisions, so a quiet worker writes
 * them out.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(() => import('../shared/composition.js'));

const MAX_ROWS_PER_RUN = 50_000;

export async function decisionLogRetention(_timer: Timer, context: InvocationContext): Promise<void> {
  const { getServices } = modules.loaded ?? (await modules());
  const services = getServices();
  await services.decisionLogWriter.flush();
  const before = new Date(services.clock.now().getTime() - services.config.decisionLog.retentionDays * 86_400_000);
  const result = await services.decisionRecords.purge(before, MAX_ROWS_PER_RUN);
  context.log(
    JSON.stringify({
      event: 'certgate.decision-log.retention',
      before: before.toISOString(),
      deleted: result.deleted,
      more: result.more,
      writer: services.decisionLogWriter.stats(),
    }),
  );
}

app.timer('decision-log-retention', { schedule: '0 7 * * * *', handler: decisionLogRetention });
