/**
 * Start-up: the worker's services are built when the app starts (the Functions `appStart` hook),
 * not on the first request, so a bad setting stops the start with the setting's name in the log.
 * Should the host serve anyway, the triggers answer 503 `config-invalid` (the failure is kept).
 * Then telemetry starts (CERTGATE_TELEMETRY; off by default): a telemetry pipeline that cannot
 * start is logged and the app runs without it (decisions never depend on telemetry).
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
