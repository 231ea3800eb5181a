/**
 * The expiry and staleness watch, as a pure function: from the trusted CAs, the CRL sources' status, the OCSP
 * responders' record and the client certificates seen recently, at `now`, the alerts an operator needs before users
 * are locked out: CAs expiring within N days (or expired), CRLs past their nextUpdate (or never loaded), OCSP
 * responders failing, client certificates seen recently that expire within N days. Severity rises as the date
 * nears (high within 7 days or past; medium within half the threshold; low before). The timer function feeds
 * it and raises what it returns; the throttle keeps a daily run from repeating itself within the dedup window.
 * May import: ports (types), the watch records (types).
 */
import type { Alert, TrustedCa } from '../ports.js';
import type { ResponderRecord, SeenCertificate } from './watchRecords.js';

/** The part of a CRL source's status the watch reads (shared/trust/crlCache.ts `CrlSourceStatus`). */
export interface WatchedCrl {
  readonly url: string;
  readonly nextUpdate?: string;
  readonly fetchedAt?: string;
  readonly lastError?: string;
  readonly skipped?: string;
}

/** Everything the watch looks at. */
export interface WatchInput {
  readonly now: Date;
  readonly cas: readonly Pick<TrustedCa, 'thumbprint' | 'subject' | 'notAfter' | 'enabled'>[];
  readonly crls: readonly WatchedCrl[];
  readonly responders: readonly ResponderRecord[];
  readonly certificates: readonly SeenCertificate[];
  readonly thresholds: {
    readonly caDays: number;
    readonly certificateDays: number;
    /** Consecutive failures from which a responder counts as failing (default 3). */
    readonly responderFailures?: number;
  };
}

const DAY_MS = 86_400_000;

function severityFor(daysLeft: number, thresholdDays: number): 'low' | 'medium' | 'high' {
  if (daysLeft <= 7) return 'high';
  return daysLeft <= thresholdDays / 2 ? 'medium' : 'low';
}

/** The alerts the watch raises at `now` (see the module comment). */
export function watchExpiry(input: WatchInput): Alert[] {
  const now = input.now.getTime();
  const alerts: Alert[] = [];
  const daysLeftOf = (notAfter: string): number | undefined => {
    const at = Date.parse(notAfter);
    return Number.isNaN(at) ? undefined : Math.floor((at - now) / DAY_MS);
  };
  for (const ca of input.cas) {
    if (!ca.enabled) continue;
    const daysLeft = daysLeftOf(ca.notAfter);
    if (daysLeft === undefined || daysLeft >= input.thresholds.caDays) continue;
    alerts.push({
      event: 'certgate.alert.ca-expiring',
      thumbprint: ca.thumbprint,
      subjectName: ca.subject,
      notAfter: ca.notAfter,
      daysLeft,
      severity: severityFor(daysLeft, input.thresholds.caDays),
    });
  }
  for (const crl of input.crls) {
    if (crl.skipped !== undefined) continue;
    const nextUpdate = crl.nextUpdate === undefined ? undefined : Date.parse(crl.nextUpdate);
    if (nextUpdate !== undefined && !Number.isNaN(nextUpdate) && nextUpdate > now) continue;
    if (nextUpdate === undefined && crl.fetchedAt !== undefined) continue; // a CRL without nextUpdate never goes stale
    const late = nextUpdate === undefined || Number.isNaN(nextUpdate) ? undefined : now - nextUpdate;
    alerts.push({
      event: 'certgate.alert.crl-stale',
      url: crl.url,
      nextUpdate: crl.nextUpdate,
      detail:
        crl.fetchedAt === undefined
          ? `never loaded${crl.lastError ? ` (${crl.lastError})` : ''}`
          : `${Math.round((late ?? 0) / 60_000)} minutes past nextUpdate${crl.lastError ? `; last fetch: ${crl.lastError}` : ''}`,
      severity: late === undefined || late > DAY_MS ? 'high' : 'medium',
    });
  }
  const failing = input.thresholds.responderFailures ?? 3;
  for (const responder of input.responders) {
    if (responder.consecutiveFailures < failing) continue;
    alerts.push({
      event: 'certgate.alert.ocsp-failing',
      url: responder.url,
      failures: responder.consecutiveFailures,
      detail: responder.lastError ?? 'failed',
    });
  }
  for (const certificate of input.certificates) {
    const daysLeft = daysLeftOf(certificate.notAfter);
    if (daysLeft === undefined || daysLeft >= input.thresholds.certificateDays) continue;
    alerts.push({
      event: 'certgate.alert.certificate-expiring',
      thumbprint: certificate.thumbprint,
      subjectName: certificate.subjectName,
      notAfter: certificate.notAfter,
      daysLeft,
      severity: severityFor(daysLeft, input.thresholds.certificateDays),
      ...(certificate.subject ? { subject: certificate.subject } : {}),
    });
  }
  return alerts;
}
