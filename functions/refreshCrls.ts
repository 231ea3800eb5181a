/**
 * Timer: every 5 minutes, fetch the CRLs that are due (conditional requests, parsed off the main
 * thread, archived to Blob Storage as the last good copies). Requests also start a background
 * refresh when one is due, so every instance stays fresh; this timer keeps the archive current
 * when traffic is quiet.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(() => import('../shared/composition.js'));

export async function refreshCrls(_timer: Timer, context: InvocationContext): Promise<void> {
  const { getServices } = modules.loaded ?? (await modules());
  const services = getServices();
  services.crls.track((await services.trustAnchors.get()).crlUrls);
  const report = await services.crls.refresh();
  context.log(
    JSON.stringify({
      event: 'certgate.crl.refreshed',
      checked: report.checked,
      updated: report.updated,
      failed: report.failed,
    }),
  );
}

app.timer('refresh-crls', { schedule: '0 */5 * * * *', handler: refreshCrls });
