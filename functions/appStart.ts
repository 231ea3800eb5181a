/**
 * Start-up: the worker's services are built when the app starts (the Functions `appStart` hook),
 * not on the first request, so a bad setting stops the start with the setting's name in the log.
 * Should the host serve anyway, the triggers answer 503 `config-invalid` (the failure is kept).
 */
import { app } from '@azure/functions';
import { startServices } from '../shared/composition.js';
import { messageOf } from '../shared/errors.js';

app.hook.appStart(() => {
  try {
    startServices();
  } catch (error) {
    console.error(`certgate: start-up failed: ${messageOf(error)}`);
    throw error;
  }
});
