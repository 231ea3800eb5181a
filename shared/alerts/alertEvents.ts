/**
 * Alert events: what an {@link Alert} (the port's closed union) becomes on the wire. One CloudEvents 1.0 type per
 * kind (`certgate.policy.blocked`, `certgate.ca.expiring`, ...), the same data fields on every event (user, device,
 * app, policy, severity, correlation id; absent ones left out), and the dedup key (type, policy, user, device) the
 * throttle groups by. Pure: no I/O, no clock; the id and time are passed in.
 * May import: ports (types).
 */
import type { Alert, AlertSubject } from '../ports.js';

/** How bad an alert is; a policy alert carries the policy's own severity. */
export type AlertSeverity = 'low' | 'medium' | 'high';

/** Every event type certgate emits (CloudEvents `type`). */
export const ALERT_EVENT_TYPES = [
  'certgate.policy.blocked',
  'certgate.policy.matched',
  'certgate.revocation.unknown',
  'certgate.forwarder.untrusted',
  'certgate.ca.expiring',
  'certgate.certificate.expiring',
  'certgate.crl.stale',
  'certgate.ocsp.failing',
  'certgate.graph.degraded',
] as const;

/** A CloudEvents `type` certgate emits. */
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number] | `certgate.${string}`;

/** The data of every alert event: the common fields first, then what the kind adds. */
export interface AlertEventData {
  readonly severity: AlertSeverity;
  readonly correlationId?: string;
  readonly user?: string;
  /** The client certificate's SHA-256 thumbprint. */
  readonly device?: string;
  /** The Entra device id the certificate names. */
  readonly deviceId?: string;
  readonly app?: string;
  readonly policy?: string;
  readonly clientIp?: string;
  /** One line a person can read. */
  readonly message: string;
  /** Present on a summary event: how many events like this one were held back, and over which window. */
  readonly summary?: { readonly suppressed: number; readonly from: string; readonly to: string };
  readonly [field: string]: unknown;
}

/** An alert as the throttle and the outbox see it: the event's type, subject and data, and its dedup key. */
export interface DescribedAlert {
  readonly type: AlertEventType;
  /** CloudEvents `subject`: what the event is about (`user/…`, `ca/…`, `crl/…`). */
  readonly subject?: string;
  readonly data: AlertEventData;
  /** (type, policy, user, device): events with the same key within the dedup window are one event. */
  readonly dedupKey: string;
}

/** A CloudEvents 1.0 event in structured JSON form, as it is queued and delivered. */
export interface AlertEvent {
  readonly specversion: '1.0';
  /** Unique per event and kept across retries: the receivers' idempotency key. */
  readonly id: string;
  readonly source: string;
  readonly type: AlertEventType;
  readonly time: string;
  readonly subject?: string;
  readonly datacontenttype: 'application/json';
  readonly data: AlertEventData;
}

function subjectFields(subject: AlertSubject | undefined): Partial<AlertEventData> {
  if (!subject) return {};
  return {
    ...(subject.user !== undefined ? { user: subject.user } : {}),
    ...(subject.device !== undefined ? { device: subject.device } : {}),
    ...(subject.deviceId !== undefined ? { deviceId: subject.deviceId } : {}),
    ...(subject.app !== undefined ? { app: subject.app } : {}),
    ...(subject.clientIp !== undefined ? { clientIp: subject.clientIp } : {}),
  };
}

function subjectOf(data: Partial<AlertEventData>, fallback?: string): string | undefined {
  if (data.user !== undefined) return `user/${data.user}`;
  if (data.device !== undefined) return `certificate/${data.device}`;
  return fallback;
}

function keyed(type: AlertEventType, data: AlertEventData, resource?: string, subject?: string): DescribedAlert {
  const dedupKey = [type, data.policy ?? '', data.user ?? '', data.device ?? resource ?? ''].join('\u0000');
  const described = subject ?? subjectOf(data, resource);
  return { type, data, dedupKey, ...(described !== undefined ? { subject: described } : {}) };
}

/**
 * The event type, subject, data and dedup key of an alert. A member added to the port's union later is still mapped
 * (`certgate.alert.x-y` → `certgate.x-y`, its own fields kept as data), so no alert is ever dropped for its kind.
 */
export function describeAlert(alert: Alert): DescribedAlert {
  switch (alert.event) {
    case 'certgate.alert.policy': {
      const blocked = alert.effect === 'block';
      const data: AlertEventData = {
        severity: alert.severity,
        correlationId: alert.correlationId,
        ...subjectFields(alert.subject),
        ...(alert.subject?.clientIp === undefined && alert.client.clientIp !== undefined
          ? { clientIp: alert.client.clientIp }
          : {}),
        policy: alert.policyId,
        effect: alert.effect,
        message: `Policy ${alert.policyId} ${blocked ? 'blocked' : 'matched'} a request${alert.subject?.user ? ` by ${alert.subject.user}` : ''}.`,
      };
      return keyed(blocked ? 'certgate.policy.blocked' : 'certgate.policy.matched', data);
    }
    case 'certgate.alert.untrusted-forwarder': {
      const data: AlertEventData = {
        severity: 'high',
        correlationId: alert.correlationId,
        ...subjectFields(alert.subject),
        ...(alert.remoteAddress !== undefined ? { remoteAddress: alert.remoteAddress } : {}),
        detail: alert.detail,
        message: `A request carried forwarded certificate headers but no configured gateway proved itself (from ${alert.remoteAddress ?? 'an unknown address'}).`,
      };
      return keyed('certgate.forwarder.untrusted', data, alert.remoteAddress);
    }
    case 'certgate.alert.revocation-unknown': {
      const data: AlertEventData = {
        severity: 'medium',
        correlationId: alert.correlationId,
        ...subjectFields(alert.subject),
        ...(alert.subject?.device === undefined && alert.certificate !== undefined
          ? { device: alert.certificate }
          : {}),
        message: 'A certificate was allowed although its revocation status is unknown (the CA allows and alerts).',
      };
      return keyed('certgate.revocation.unknown', data);
    }
    case 'certgate.alert.ca-expiring':
    case 'certgate.alert.certificate-expiring': {
      const ca = alert.event === 'certgate.alert.ca-expiring';
      const when = alert.daysLeft < 0 ? `expired ${-alert.daysLeft} days ago` : `expires in ${alert.daysLeft} days`;
      const data: AlertEventData = {
        severity: alert.severity,
        ...subjectFields(alert.subject),
        thumbprint: alert.thumbprint,
        subjectName: alert.subjectName,
        notAfter: alert.notAfter,
        daysLeft: alert.daysLeft,
        message: `${ca ? 'Trusted CA' : 'Client certificate'} ${alert.subjectName} ${when} (${alert.notAfter}).`,
      };
      return keyed(
        ca ? 'certgate.ca.expiring' : 'certgate.certificate.expiring',
        data,
        alert.thumbprint,
        `${ca ? 'ca' : 'certificate'}/${alert.thumbprint}`,
      );
    }
    case 'certgate.alert.crl-stale': {
      const data: AlertEventData = {
        severity: alert.severity,
        url: alert.url,
        ...(alert.nextUpdate !== undefined ? { nextUpdate: alert.nextUpdate } : {}),
        detail: alert.detail,
        message: `The CRL at ${alert.url} is past its nextUpdate (${alert.nextUpdate ?? 'never loaded'}): ${alert.detail}`,
      };
      return keyed('certgate.crl.stale', data, alert.url, `crl/${alert.url}`);
    }
    case 'certgate.alert.ocsp-failing': {
      const data: AlertEventData = {
        severity: 'medium',
        url: alert.url,
        failures: alert.failures,
        detail: alert.detail,
        message: `The OCSP responder ${alert.url} failed ${alert.failures} recent queries: ${alert.detail}`,
      };
      return keyed('certgate.ocsp.failing', data, alert.url, `ocsp/${alert.url}`);
    }
    case 'certgate.alert.graph-degraded': {
      const data: AlertEventData = {
        severity: 'high',
        detail: alert.detail,
        message: `Microsoft Graph is not answering: ${alert.detail}`,
      };
      return keyed('certgate.graph.degraded', data, 'graph', 'graph');
    }
    default:
      // `never` today; a member added to the union later lands here until it gets its own case.
      return describeUnknown(alert);
  }
}

/** A union member this module does not know yet: its own fields as data, the common ones where they fit. */
function describeUnknown(alert: Record<string, unknown> & { event: string }): DescribedAlert {
  const kind = alert.event.replace(/^certgate\.alert\./, '');
  const { event: _event, subject, client, severity, correlationId, policyId, ...rest } = alert;
  const subjectData = subjectFields(subject as AlertSubject | undefined);
  const clientIp = (client as { clientIp?: unknown } | undefined)?.clientIp;
  const data: AlertEventData = {
    ...rest,
    severity: severity === 'low' || severity === 'high' ? severity : 'medium',
    ...(typeof correlationId === 'string' ? { correlationId } : {}),
    ...subjectData,
    ...(subjectData.clientIp === undefined && typeof clientIp === 'string' ? { clientIp } : {}),
    ...(typeof policyId === 'string' ? { policy: policyId } : {}),
    message: `certgate alert ${kind}${typeof policyId === 'string' ? ` (policy ${policyId})` : ''}.`,
  };
  return keyed(`certgate.${kind}`, data);
}

/** The CloudEvent for a described alert. */
export function toAlertEvent(alert: DescribedAlert, id: string, time: Date, source: string): AlertEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type: alert.type,
    time: time.toISOString(),
    ...(alert.subject !== undefined ? { subject: alert.subject } : {}),
    datacontenttype: 'application/json',
    data: alert.data,
  };
}

/** "412 more like this in the last 10 minutes". */
export function summaryMessage(suppressed: number, windowSeconds: number): string {
  const span =
    windowSeconds % 3600 === 0
      ? `${windowSeconds / 3600} hour${windowSeconds === 3600 ? '' : 's'}`
      : windowSeconds % 60 === 0
        ? `${windowSeconds / 60} minute${windowSeconds === 60 ? '' : 's'}`
        : `${windowSeconds} seconds`;
  return `${suppressed} more like this in the last ${span}`;
}
