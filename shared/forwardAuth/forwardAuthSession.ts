/**
 * Session controls in forward-auth mode: only the request side, and only what the headers show.
 * The proxy never sends the body, so `checkRequest` runs with `bodyInspection: 'none'`: the
 * original method and the Content-Type the proxy passed decide a block-upload control, and a
 * multipart request under a multipartFile control counts as an upload (`multipart-uninspectable`).
 * Block-download controls cannot act (the response never passes certgate). The answer to a
 * blocked request is the block page (the control's message) or JSON with the session reason.
 * May import: @azure/functions types, the session core, the block page and responses, the forward-auth contract.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { HeaderReader } from '../access/decideAccess.js';
import { renderBlockPage } from '../http/blockPage.js';
import { checkRequest, type SessionControls, type SessionVerdict } from '../session/index.js';
import { blockPagePathOf } from './forwardAuthResponse.js';
import type { OriginalRequest } from './originalRequest.js';

/** The request-side session verdict for the original request (headers as the proxy passed them). */
export function forwardAuthSessionVerdict(
  controls: SessionControls | undefined,
  original: OriginalRequest,
  headers: HeaderReader,
): SessionVerdict {
  return checkRequest(controls, { method: original.method, url: original.uri, headers }, { bodyInspection: 'none' });
}

/** The answer to a request a session control blocked: 403, the block page or JSON, never cached. */
export function forwardAuthSessionBlock(
  verdict: SessionVerdict,
  correlationId: string,
  options: { readonly html: boolean },
): HttpResponseInit {
  const reasons = [verdict.code] as const;
  const headers = {
    'cache-control': 'no-store',
    'x-correlation-id': correlationId,
    'x-certgate-block-page': blockPagePathOf(reasons, correlationId, verdict.policyId),
  };
  if (options.html)
    return {
      status: 403,
      // The page's text comes from the control's message; the session reason has no device remedy.
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
      reasons,
      rule: verdict.rule,
      decidedBy: verdict.policyId,
      blockMessage: verdict.message,
      correlationId,
    },
    headers,
  };
}
