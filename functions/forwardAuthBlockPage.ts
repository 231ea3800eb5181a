/**
 * `/api/blocked`: the block page for proxies that drop the body of a denial (nginx `auth_request`
 * answers the client itself): they show it through an internal redirect, or redirect the browser,
 * to the path the denial named in `X-Certgate-Block-Page`. The page says what the reasons mean and
 * quotes the correlation id; reasons certgate does not know are left out, so a hand-made link can
 * only pick among certgate's own texts. Browsers get HTML, others JSON; always 403, never cached.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { isKnownDecisionReason } from '../shared/forwardAuth/blockPageReasons.js';
import { BLOCK_PAGE_ROUTE } from '../shared/forwardAuth/forwardAuthResponse.js';
import { renderBlockPage } from '../shared/http/blockPage.js';
import { prefersHtml } from '../shared/http/responses.js';

const CORRELATION_ID = /^[A-Za-z0-9._-]{8,128}$/;
const MAX_REASONS = 8;

export function forwardAuthBlockPage(request: HttpRequest): HttpResponseInit {
  // From the URL itself: a repeated parameter must stay repeated (the host's query mapping keeps one value per name).
  const query = new URL(request.url).searchParams;
  const reasons = query.getAll('reason').filter(isKnownDecisionReason).slice(0, MAX_REASONS);
  const given = query.get('correlationId') ?? '';
  const correlationId = CORRELATION_ID.test(given) ? given : 'unknown';
  const headers = { 'cache-control': 'no-store', 'x-correlation-id': correlationId };
  if (prefersHtml(request.headers.get('accept')))
    return {
      status: 403,
      body: renderBlockPage({ reasons, correlationId }),
      headers: { ...headers, 'content-type': 'text/html; charset=utf-8' },
    };
  return { status: 403, jsonBody: { decision: 'block', reasons, correlationId }, headers };
}

app.http('forwardAuthBlockPage', {
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  route: BLOCK_PAGE_ROUTE,
  handler: forwardAuthBlockPage,
});
