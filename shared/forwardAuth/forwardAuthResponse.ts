/**
 * The answers of the forward-auth routes, in one place: a refused question (unknown proxy, no
 * gateway proof, original request not described) as a JSON error with its stable code; a decision
 * as 200 with the identity headers the proxy copies upstream, or 401/403/503 with the block page
 * (browsers) or the JSON decision, and `X-Certgate-Block-Page`, the path of the block page for
 * proxies that drop the body of a denial (nginx: `error_page 403 = @certgate_blocked`).
 * May import: @azure/functions types, the decision's responses and block page, the forward-auth reasons.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { Decision } from '../policy/certificateDecision.js';
import { decisionResponse } from '../http/responses.js';
import type { OriginalRequest } from './originalRequest.js';
import { FORWARD_AUTH_REASONS, type ForwardAuthReason } from './reasons.js';

const REFUSAL_STATUS: Record<ForwardAuthReason, number> = {
  'forward-auth-proxy-unknown': 404,
  'forward-auth-untrusted-forwarder': 401,
  'forward-auth-original-method-missing': 400,
  'forward-auth-original-method-invalid': 400,
  'forward-auth-original-host-missing': 400,
  'forward-auth-original-host-invalid': 400,
  'forward-auth-original-uri-missing': 400,
  'forward-auth-original-uri-invalid': 400,
};

/** The route of the block page a proxy shows (or redirects to) when it drops the denial's body. */
export const BLOCK_PAGE_ROUTE = 'api/blocked';

/**
 * The block page's path and query for a decision: its reasons, correlation id and the deciding
 * policy's id (the page looks its message up; nothing else internal).
 */
export function blockPagePathOf(reasons: readonly string[], correlationId: string, policyId?: string): string {
  const query = new URLSearchParams();
  for (const reason of reasons) query.append('reason', reason);
  query.set('correlationId', correlationId);
  if (policyId !== undefined) query.set('policy', policyId);
  return `/${BLOCK_PAGE_ROUTE}?${query.toString()}`;
}

/**
 * The audience of the assertion in a forward-auth answer: the registered app's id; for a host no
 * app claims (the baseline decided), the original host, so an upstream that checks `aud` against
 * its own app id never accepts it.
 */
export function assertionAudienceOf(decision: Decision, original: OriginalRequest): string {
  return decision.app?.status === 'registered' ? decision.app.id : original.host;
}

/** A question certgate does not decide, as `{ error: { code, message, detail } }` with its status. */
export function forwardAuthRefusal(
  reason: ForwardAuthReason,
  correlationId: string,
  detail?: string,
): HttpResponseInit {
  return {
    status: REFUSAL_STATUS[reason],
    jsonBody: { error: { code: reason, message: FORWARD_AUTH_REASONS[reason], ...(detail ? { detail } : {}) } },
    headers: {
      'cache-control': 'no-store',
      'x-correlation-id': correlationId,
      'x-certgate-block-page': blockPagePathOf([], correlationId),
    },
  };
}

/**
 * A decision as the proxy's answer: allow → 200 with `upstreamHeaders` (the identity headers the
 * proxy copies to the upstream); block → the decision's status with the block page for browsers.
 */
export function forwardAuthAnswer(
  decision: Decision,
  options: { readonly html: boolean; readonly upstreamHeaders: Readonly<Record<string, string>> },
): HttpResponseInit {
  const response = decisionResponse(decision, {
    html: options.html,
    ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}),
  });
  const headers = { ...(response.headers as Record<string, string>) };
  if (decision.effect === 'allow') Object.assign(headers, options.upstreamHeaders);
  else
    headers['x-certgate-block-page'] = blockPagePathOf(
      decision.reasons,
      decision.correlationId,
      decision.blockMessage !== undefined ? decision.policy?.decidedBy : undefined,
    );
  return { ...response, headers };
}
