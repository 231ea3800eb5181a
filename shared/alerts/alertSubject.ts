/**
 * Who and what a decision's alerts are about, read from the decision itself: the user as the decision names them,
 * the client certificate's thumbprint (the device), the registered app, the client address. And the record the
 * expiry watch keeps of a validated client certificate. Pure.
 * May import: ports (types), the decision core (types), the watch records (types).
 */
import type { ClientContext } from '../cert/intake/clientContext.js';
import type { Decision } from '../policy/certificateDecision.js';
import type { AlertSubject } from '../ports.js';
import type { SeenCertificate } from './watchRecords.js';

/** The alert subject of a decision (fields the decision did not establish are left out). */
export function alertSubjectOf(decision: Decision, client: ClientContext, user: string | undefined): AlertSubject {
  const device = decision.certificate?.sha256Thumbprint;
  const app = decision.app?.status === 'registered' ? decision.app.id : undefined;
  return {
    ...(user !== undefined ? { user } : {}),
    ...(device !== undefined ? { device } : {}),
    ...(app !== undefined ? { app } : {}),
    ...(client.clientIp !== undefined ? { clientIp: client.clientIp } : {}),
  };
}

/** The watch's record of the decision's client certificate, when it chained to a trusted CA; else undefined. */
export function seenCertificateOf(decision: Decision, subject: AlertSubject, now: Date): SeenCertificate | undefined {
  const certificate = decision.certificate;
  if (!certificate || !decision.pathThumbprints || decision.pathThumbprints.length === 0) return undefined;
  return {
    thumbprint: certificate.sha256Thumbprint,
    subjectName: certificate.subject,
    notAfter: certificate.notAfter,
    lastSeen: now.toISOString(),
    subject,
  };
}
