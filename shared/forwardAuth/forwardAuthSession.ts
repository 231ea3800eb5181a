/**
 * Session controls in forward-auth mode: only the request side, and only what the headers show.
 * The proxy never sends the body, so `checkRequest` runs with `bodyInspection: 'none'`: the
 * original method and the Content-Type the proxy passed decide a block-upload control, and a
 * multipart request under a multipartFile control counts as an upload (`multipart-uninspectable`).
 * Block-download controls cannot act (the response never passes certgate). The answer to a
 * blocked request is the block page (the control's message) or JSON with the session reason.
 * May import: @azure/functions types, the session core, the gate's responses, the forward-auth contract.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { HeaderReader } from '../access/decideAccess.js';
import { sessionBlockResponse } from '../http/gateResponses.js';
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

/**
 * The answer to a request a session control blocked: the gate's session block (403, the block page
 * or JSON, never cached), plus the block page's path for proxies that drop a denial's body.
 */
export function forwardAuthSessionBlock(
  verdict: SessionVerdict,
  correlationId: string,
  options: { readonly html: boolean },
): HttpResponseInit {
  const response = sessionBlockResponse(verdict, correlationId, options);
  return {
    ...response,
    headers: {
      ...(response.headers as Record<string, string>),
      'x-certgate-block-page': blockPagePathOf([verdict.code], correlationId, verdict.policyId),
    },
  };
}
