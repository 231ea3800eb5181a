/**
 * The gate's own answers (when it does not relay an upstream's): reason code → HTTP status and
 * body, in one place. Access decisions answer as `authorize` does (responses.ts: the block page
 * for browsers, JSON otherwise); the codes here are the gate's: which app, the signing key, the
 * upstream. Bodies are `{ error: { code, message } }` with the correlation id; messages are
 * derived from the code and never carry internals (the upstream's address and Node's error code
 * go to the log).
 * May import: @azure/functions types, the block page.
 */
import type { HttpResponseInit } from '@azure/functions';
import { renderBlockPage } from './blockPage.js';

/** Every gate reason code, with what it means (stable: API). */
export const GATE_REASONS = {
  'gate-app-not-found':
    'No registered app with an upstream answers at this host and path (the host is the one the gateway saw).',
  'gate-request-unproven':
    'The request did not prove it came through a configured gateway, so its host cannot be trusted to pick an app.',
  'gate-signing-key-missing':
    'Gate mode is not configured: CERTGATE_GATE_SIGNING_KEY (the key that signs X-Certgate-Assertion) is not set.',
  'gate-upstream-timeout': "The app's upstream did not answer in time (CERTGATE_GATE_UPSTREAM_TIMEOUT_MS).",
  'gate-upstream-unavailable':
    "The app's upstream could not be reached (connection refused or reset, name or TLS failure, or an unreadable answer).",
} as const;

/** A gate reason code. */
export type GateReason = keyof typeof GATE_REASONS;

const GATE_STATUS: Record<GateReason, number> = {
  'gate-app-not-found': 404,
  'gate-request-unproven': 401,
  'gate-signing-key-missing': 503,
  'gate-upstream-timeout': 504,
  'gate-upstream-unavailable': 502,
};

/** The HTTP status of a gate reason. */
export function gateStatus(reason: GateReason): number {
  return GATE_STATUS[reason];
}

/** The gate's answer for a reason: JSON `{ error: { code, message, correlationId } }`, never cached. */
export function gateError(reason: GateReason, correlationId: string): HttpResponseInit {
  return {
    status: GATE_STATUS[reason],
    jsonBody: { error: { code: reason, message: GATE_REASONS[reason], correlationId } },
    headers: { 'cache-control': 'no-store', 'x-correlation-id': correlationId },
  };
}

/**
 * A session control blocked the request or the response (before any byte of the file went back):
 * the block page with the control's message for a browser, else JSON 403 with the session reason,
 * the rule that made it a file and the deciding policy.
 */
export function sessionBlockResponse(
  verdict: {
    readonly code: string;
    readonly rule?: string;
    readonly policyId?: string;
    readonly message?: string;
  },
  correlationId: string,
  options: { readonly html: boolean },
): HttpResponseInit {
  const headers = { 'cache-control': 'no-store', 'x-correlation-id': correlationId };
  if (options.html)
    return {
      status: 403,
      // The page's text comes from the control's message; a session reason has no device remedy.
      body: renderBlockPage({
        reasons: [],
        correlationId,
        ...(verdict.message !== undefined ? { customMessage: verdict.message } : {}),
      }),
      headers: { ...headers, 'content-type': 'text/html; charset=utf-8' },
    };
  return {
    status: 403,
    jsonBody: {
      decision: 'block',
      reasons: [verdict.code],
      rule: verdict.rule,
      decidedBy: verdict.policyId,
      blockMessage: verdict.message,
      correlationId,
    },
    headers,
  };
}
