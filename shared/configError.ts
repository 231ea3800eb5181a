/**
 * The start-up failure a setting causes: its own module so that what must read a setting when the
 * host imports the app (`alerts/alertSinks.ts`, for `functions/deliverAlerts.ts`) throws the same
 * error as `config.ts` without loading the whole configuration (zod and its schemas).
 * May import: errors.
 */
import { CertgateError } from './errors.js';

/** Start-up failure caused by a setting; the message names the setting. */
export class ConfigError extends CertgateError {
  readonly code = 'config-invalid';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Setting ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}
