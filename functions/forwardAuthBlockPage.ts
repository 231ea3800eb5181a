/**
 * `/api/blocked`: the block page for proxies that drop the body of a denial (nginx `auth_request`
 * answers the client itself): they show it through an internal redirect, or redirect the browser,
 * to the path the denial named in `X-Certgate-Block-Page`. The page says what the reasons mean and
 * quotes the correlation id; reasons certgate does not know are left out, and the admin's message
 * comes from the deciding policy (`policy=<id>`) in the configuration in force, so a hand-made link
 * can only pick among certgate's own texts. Browsers get HTML, others JSON; always 403, never cached,
 * for any method (a proxy may ask with the blocked request's method).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { BLOCK_PAGE_ROUTE } from '../shared/forwardAuth/forwardAuthResponse.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/forwardAuth/blockPageMessage.js'),
  () => import('../shared/forwardAuth/blockPageReasons.js'),
  () => import('../shared/http/blockPage.js'),
  () => import('../shared/http/responses.js'),
);

const CORRELATION_ID = /^[A-Za-z0-9._-]{8,128}$/;
const MAX_REASONS = 8;
const POLICY_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The deciding policy's message, from the configuration in force; none when it cannot be read. */
async function policyMessage(
  policyId: string | null,
  reasons: readonly string[],
  context: InvocationContext,
): Promise<string | undefined> {
  const { getServices, blockPageMessage } = modules.loaded ?? (await modules());
  if (policyId === null || !POLICY_ID.test(policyId)) return undefined;
  try {
    const { configuration } = await getServices().policies.get();
    return blockPageMessage(configuration, policyId, reasons);
  } catch (error) {
    context.warn(`forwardAuthBlockPage: policy message unavailable: ${messageOf(error)}`);
    return undefined;
  }
}

export async function forwardAuthBlockPage(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { isBlockPageReason, isDecisionReason, renderBlockPage, prefersHtml } = modules.loaded ?? (await modules());
  // From the URL itself: a repeated parameter must stay repeated (the host's query mapping keeps one value per name).
  const query = new URL(request.url).searchParams;
  const reasons = query.getAll('reason').filter(isBlockPageReason).slice(0, MAX_REASONS);
  const given = query.get('correlationId') ?? '';
  const correlationId = CORRELATION_ID.test(given) ? given : 'unknown';
  const message = await policyMessage(query.get('policy'), reasons, context);
  const headers = { 'cache-control': 'no-store', 'x-correlation-id': correlationId };
  if (prefersHtml(request.headers.get('accept')))
    return {
      status: 403,
      body: renderBlockPage({
        reasons: reasons.filter(isDecisionReason),
        correlationId,
        ...(message !== undefined ? { customMessage: message } : {}),
      }),
      headers: { ...headers, 'content-type': 'text/html; charset=utf-8' },
    };
  return { status: 403, jsonBody: { decision: 'block', reasons, blockMessage: message, correlationId }, headers };
}

app.http('forwardAuthBlockPage', {
  // Whatever method was blocked: a proxy may fetch the page with the original request's method.
  methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
  authLevel: 'anonymous',
  route: BLOCK_PAGE_ROUTE,
  handler: forwardAuthBlockPage,
});
