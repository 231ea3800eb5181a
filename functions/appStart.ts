/**
 * Start-up: the worker's services are built when the app starts (the Functions `appStart` hook),
 * not on the first request, so a bad setting stops the start with the setting's name in the log.
 * Should the host serve anyway, the triggers answer 503 `config-invalid` (the failure is kept).
 * Then telemetry starts (CERTGATE_TELEMETRY; off by default): a telemetry pipeline that cannot
 * start is logged and the app runs without it (decisions never depend on telemetry).
 * When the worker is about to stop (the `appTerminate` hook: scale-in, a deployment, a restart),
 * the decisions and alerts still buffered are written, so none is lost with the process.
 */
import { app } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** The composition root and telemetry: loaded here, at start, not when the host imports the app. */
const startUp = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/telemetry/serviceGauges.js'),
  () => import('../shared/telemetry/startTelemetry.js'),
  () => import('../shared/telemetry/telemetry.js'),
);

app.hook.appStart(async () => {
  const { startServices, serviceGauges, startTelemetry, observeGauges } = await startUp();
  let services;
  try {
    services = startServices();
  } catch (error) {
    console.error(`certgate: start-up failed: ${messageOf(error)}`);
    throw error;
  }
  try {
    if (await startTelemetry(services.config.telemetry)) observeGauges(serviceGauges(services));
  } catch (error) {
    console.error(`certgate: telemetry did not start, running without it: ${messageOf(error)}`);
  }
});

app.hook.appTerminate(async () => {
  // Loaded only if the app started: a worker that never started holds nothing to write.
  if (!startUp.loaded) return;
  try {
    await startUp.loaded.stopServices();
  } catch (error) {
    console.error(`certgate: writing the buffered decisions and alerts at shutdown failed: ${messageOf(error)}`);
  }
});
