/**
 * Start-up: the worker's services are built when the app starts (the Functions `appStart` hook),
 * not on the first request, so a bad setting stops the start with the setting's name in the log.
 * Should the host serve anyway, the triggers answer 503 `config-invalid` (the failure is kept).
 * Then telemetry starts (CERTGATE_TELEMETRY; off by default): a telemetry pipeline that cannot
 * start is logged and the app runs without it (decisions never depend on telemetry).
 */
import { app } from '@azure/functions';
import { startServices } from '../shared/composition.js';
import { messageOf } from '../shared/errors.js';
import { serviceGauges } from '../shared/telemetry/serviceGauges.js';
import { startTelemetry } from '../shared/telemetry/startTelemetry.js';
import { observeGauges } from '../shared/telemetry/telemetry.js';

app.hook.appStart(async () => {
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
