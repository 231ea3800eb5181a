/**
 * Where alert events go (CERTGATE_ALERT_SINKS), read on its own: `functions/deliverAlerts.ts`
 * decides when the host imports the app whether to register its queue trigger, and must not load
 * the whole configuration for it (the cold start). `config.ts` reads the setting through this too.
 * May import: configError.
 */
import { ConfigError } from '../configError.js';

/** Where alert events go (CERTGATE_ALERT_SINKS). */
export type AlertSinkKind = 'log' | 'queue' | 'webhook' | 'eventgrid';

/**
 * The sinks CERTGATE_ALERT_SINKS names (default `queue`); throws {@link ConfigError} for an unknown one or a
 * combination that cannot work. Exported for `functions/deliverAlerts.ts`, which registers its queue trigger only
 * when a delivery sink (webhook, eventgrid) is configured: otherwise the queue is the destination and must not be
 * drained.
 */
export function alertSinksOf(raw: string | undefined): AlertSinkKind[] {
  const names = (raw?.trim() || 'queue')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const kinds: AlertSinkKind[] = [];
  for (const name of names) {
    if (name !== 'log' && name !== 'queue' && name !== 'webhook' && name !== 'eventgrid')
      throw new ConfigError('CERTGATE_ALERT_SINKS', `"${name}" is not one of log, queue, webhook, eventgrid`);
    if (!kinds.includes(name)) kinds.push(name);
  }
  if (kinds.length === 0) throw new ConfigError('CERTGATE_ALERT_SINKS', 'empty: name at least one sink');
  if (kinds.length > 1 && (kinds.includes('log') || kinds.includes('queue')))
    throw new ConfigError(
      'CERTGATE_ALERT_SINKS',
      '"log" and "queue" stand alone: with webhook or eventgrid the queue is the outbox that the deliver-alerts function drains',
    );
  return kinds;
}
