/**
 * Timer (hourly): the expiry and staleness watch. Trusted CAs expiring within CERTGATE_WATCH_CA_DAYS, CRLs past
 * their nextUpdate, OCSP responders failing, client certificates this worker saw recently that expire within
 * CERTGATE_WATCH_CERTIFICATE_DAYS: each an alert event through the alert sink (whose dedup window keeps an hourly
 * run from repeating itself). Also logs `certgate.alert.outbox-backlog` when the outbox backlog reaches
 * CERTGATE_ALERT_BACKLOG_WARN (a sink down for long, or nothing reading the queue).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/alerts/expiryWatch.js'),
  () => import('../shared/composition.js'),
);

export async function watchExpiry(_timer: Timer, context: InvocationContext): Promise<void> {
  const { watchExpiry: findExpiring, getServices } = modules.loaded ?? (await modules());
  const services = getServices();
  const { alerting, config } = services;
  const alerts = findExpiring({
    now: services.clock.now(),
    cas: await services.trustedCas.list(),
    crls: services.crls.status(),
    responders: alerting.responders.list(),
    certificates: alerting.recentCertificates.list(),
    thresholds: { caDays: config.watch.caDays, certificateDays: config.watch.certificateDays },
  });
  const sink = services.alerts.forInvocation(context);
  for (const alert of alerts) sink.raise(alert);
  const backlog = await alerting.backlog();
  const waiting = (backlog.outbox?.queued ?? 0) + (backlog.outbox?.poisoned ?? 0) + (backlog.buffered ?? 0);
  const summary = { event: 'certgate.watch.ran', alerts: alerts.length, backlog };
  if (waiting >= config.alerts.backlogWarn || backlog.outboxError !== undefined)
    context.warn(JSON.stringify({ ...summary, event: 'certgate.alert.outbox-backlog', waiting }));
  else context.log(JSON.stringify(summary));
  await alerting.outboxSink?.flush();
}

app.timer('watch-expiry', { schedule: '0 7 * * * *', handler: watchExpiry });
