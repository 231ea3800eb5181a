/**
 * Reason code → HTTP status and response bodies, in one place. Triggers never pick statuses
 * themselves. User-facing bodies carry codes and derived human text, never internals.
 * May import: @azure/functions types, reasons, decision type.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { Decision } from '../policy/certificateDecision.js';
import { MANAGEMENT_REASONS, type ManagementReason } from '../reasons.js';
import { renderBlockPage } from './blockPage.js';

/** The HTTP status for a decision. */
export function decisionStatus(decision: Decision): number {
  if (decision.effect === 'allow') return 200;
  const [outcome, detail] = decision.reasons;
  if (outcome === 'decision-unavailable') return 503;
  if (outcome === 'forwarded-certificate-rejected') {
    if (detail === 'forwarded-certificate-untrusted-forwarder') return 401;
    // The gateway itself refused the certificate (strict mode): a verdict on the client, not bad input.
    if (detail === 'forwarded-certificate-gateway-verification-failed') return 403;
    return 400;
  }
  return 403;
}

/** Whether the caller is a browser asking for a page (HTML preferred over JSON). */
export function prefersHtml(accept: string | null): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
}

/** The app as the answer shows it: its id, or `app-unregistered` (then the baseline decided). */
function appView(decision: Decision): { id: string } | { reason: 'app-unregistered' } | undefined {
  if (!decision.app) return undefined;
  return decision.app.status === 'registered' ? { id: decision.app.id } : { reason: 'app-unregistered' };
}

/**
 * The response of `authorize`: JSON with the decision (without the trace, which goes to the log),
 * or, for a browser that was blocked, the block page with the same status and correlation id.
 */
export function decisionResponse(
  decision: Decision,
  options: { html?: boolean; blockMessage?: string } = {},
): HttpResponseInit {
  if (options.html && decision.effect === 'block') {
    return {
      status: decisionStatus(decision),
      body: renderBlockPage({
        reasons: decision.reasons,
        correlationId: decision.correlationId,
        ...(options.blockMessage ? { customMessage: options.blockMessage } : {}),
      }),
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-correlation-id': decision.correlationId,
      },
    };
  }
  const {
    effect,
    reasons,
    failedCheck,
    deviceTags,
    certificate,
    gatewayVerification,
    correlationId,
    decidedAt,
    blockMessage,
  } = decision;
  const decidedBy = decision.policy?.decidedBy;
  // A literal and one assignment, no conditional spread: this runs per request.
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-correlation-id': correlationId };
  if (certificate) headers['x-certgate-certificate-thumbprint'] = certificate.sha256Thumbprint;
  return {
    status: decisionStatus(decision),
    jsonBody: {
      decision: effect,
      reasons,
      failedCheck,
      decidedBy,
      blockMessage,
      deviceTags,
      app: appView(decision),
      certificate,
      gatewayVerification,
      correlationId,
      decidedAt,
    },
    headers,
  };
}

const MANAGEMENT_STATUS: Record<ManagementReason, number> = {
  'ca-added': 201,
  'ca-malformed': 400,
  'ca-bundle-empty': 400,
  'ca-not-a-ca': 422,
  'ca-expired': 422,
  'ca-already-present': 409,
  'ca-upload-contains-private-key': 400,
  'crl-url-unsupported': 400,
  'ca-not-found': 404,
  'thumbprint-invalid': 400,
  'request-body-invalid': 400,
  'request-query-invalid': 400,
  'id-invalid': 400,
  'id-mismatch': 400,
  'if-match-required': 428,
  'etag-mismatch': 412,
  'store-unavailable': 503,
  'config-invalid': 500,
  'policy-invalid': 400,
  'policy-not-found': 404,
  'policy-already-exists': 409,
  'location-in-use': 409,
  'app-in-use': 409,
  'configuration-changed': 412,
  'policy-unknown-group': 422,
  'policy-unknown-issuer': 422,
  'policy-groups-unverifiable': 503,
  'posture-report-not-found': 404,
  'posture-graph-disabled': 409,
  'posture-graph-unavailable': 503,
  'posture-graph-denied': 503,
  'posture-graph-rejected': 502,
  'decision-not-found': 404,
  'decision-continuation-invalid': 400,
  'graph-notifications-off': 404,
  'notification-body-invalid': 400,
  'notification-body-too-large': 413,
  'notification-client-state-mismatch': 403,
  'directory-object-kind-invalid': 404,
  'graph-subscription-failed': 502,
};

/** A management API error: stable code, a message a person can act on, optional details. */
export function managementError(
  reason: ManagementReason,
  detail?: string,
  extra: Record<string, unknown> = {},
): HttpResponseInit {
  return {
    status: MANAGEMENT_STATUS[reason],
    jsonBody: { error: { code: reason, message: MANAGEMENT_REASONS[reason], ...(detail ? { detail } : {}), ...extra } },
    headers: { 'cache-control': 'no-store' },
  };
}
