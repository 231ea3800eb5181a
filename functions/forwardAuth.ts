/**
 * `/api/forward-auth/{proxy}/{*path}`: the decision point for proxies that ask before they forward
 * (nginx `auth_request`, Envoy `ext_authz`, Traefik `forwardAuth`, API Management `send-request`).
 * Parse: the proxy's dialect reads the original method, host and URI, believed only under the
 * gateway proof. Decide: the one pipeline, for the registered app of the original host and path.
 * Session controls: the request side only (method, Content-Type; see forwardAuthSession.ts).
 * Respond: 200 with the identity headers to copy upstream, or 401/403 (block page for browsers,
 * `X-Certgate-Block-Page` for proxies that drop the body); a question that cannot be asked is a
 * 4xx with a stable code, a malfunction 503 (fail closed). Anonymous at the Functions level: the
 * gateway proof authenticates the proxy.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { correlationIdOf } from '../shared/http/correlationId.js';
import { decisionPathUnavailable, loadDecisionPath } from '../shared/http/decisionPathUnavailable.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** The decision path: loaded when the app starts (the hook below) or on the first request, not at import. */
const decisionPath = onFirstUse(
  () => import('../shared/access/decideAccess.js'),
  () => import('../shared/access/requestAttempt.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/forwardAuth/dialects/index.js'),
  () => import('../shared/forwardAuth/forwardAuthAttempt.js'),
  () => import('../shared/forwardAuth/forwardAuthResponse.js'),
  () => import('../shared/forwardAuth/forwardAuthSession.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/gate/assertionSigner.js'),
  () => import('../shared/gate/identityHeaders.js'),
  () => import('../shared/policy/certificateDecision.js'),
);

/** The route; `{proxy}` names the dialect, the rest is Envoy's original path (others send none). */
export const FORWARD_AUTH_ROUTE = 'api/forward-auth/{proxy}/{*path}';

export async function forwardAuth(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const path = decisionPath.loaded ?? (await loadDecisionPath(decisionPath, 'forwardAuth', context));
  if (!path) return decisionPathUnavailable(correlationIdOf(request, context.invocationId), new Date());
  const {
    decideAccess,
    getServices,
    forwardAuthDialectOf,
    forwardAuthQuestionOf,
    assertionAudienceOf,
    forwardAuthAnswer,
    forwardAuthRefusal,
    forwardAuthSessionBlock,
    forwardAuthSessionVerdict,
    decisionResponse,
    prefersHtml,
    assertionSignerFor,
    GateSigningKeyMissingError,
    upstreamIdentityHeaders,
    unavailableDecision,
  } = path;
  const correlationId = correlationIdOf(request, context.invocationId);
  const dialect = forwardAuthDialectOf(request.params.proxy);
  if (!dialect) return forwardAuthRefusal('forward-auth-proxy-unknown', correlationId);
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`forwardAuth: configuration invalid: ${messageOf(error)}`);
    return decisionResponse(unavailableDecision(correlationId, new Date(), 'configuration'));
  }
  const { reading, attempt } = forwardAuthQuestionOf(
    request,
    dialect,
    `/api/forward-auth/${request.params.proxy ?? dialect.name}`,
    services.config,
    services.clock.now(),
    correlationId,
  );
  if (!attempt.client.proven) {
    services.alerts.forInvocation(context).raise({
      event: 'certgate.alert.untrusted-forwarder',
      correlationId,
      detail: `forward-auth (${dialect.name}) without the gateway proof`,
      remoteAddress: attempt.peerAddress,
      client: attempt.client,
    });
    return forwardAuthRefusal('forward-auth-untrusted-forwarder', correlationId);
  }
  if (!reading.ok) return forwardAuthRefusal(reading.reason, correlationId, reading.detail);
  if (!assertionSignerFor(services.config)) {
    // An upstream must never get identity headers without the assertion: refuse before deciding.
    context.error(`forwardAuth: ${new GateSigningKeyMissingError().message}; failing closed`);
    return decisionResponse(unavailableDecision(correlationId, attempt.now, 'configuration'));
  }
  const alerts = services.alerts.forInvocation(context);
  const outcome = await decideAccess(services, attempt, {
    alerts,
    decisionLog: services.decisionLog.forInvocation(context),
    error: (line) => {
      context.error(line);
    },
  });
  const { decision } = outcome;
  const html = prefersHtml(request.headers.get('accept'));
  let upstreamHeaders: Readonly<Record<string, string>> = {};
  if (decision.effect === 'allow') {
    // Session controls, request side only: the body never comes here (see forwardAuthSession.ts).
    const session = forwardAuthSessionVerdict(outcome.session, reading.original, request.headers);
    for (const finding of session.alerts) {
      alerts.raise({
        event: 'certgate.alert.policy',
        correlationId,
        policyId: finding.policyId,
        severity: finding.alert?.severity ?? 'low',
        effect: session.action,
        client: attempt.client,
      });
    }
    if (session.action === 'block') {
      context.warn(
        `forwardAuth: ${correlationId} blocked by session policy ${session.policyId ?? '?'} (${session.code}, ${session.rule ?? ''})`,
      );
      return forwardAuthSessionBlock(session, correlationId, { html });
    }
    try {
      upstreamHeaders = await upstreamIdentityHeaders(services, outcome, {
        appId: assertionAudienceOf(decision, reading.original),
      });
    } catch (error) {
      context.error(`forwardAuth: identity headers unavailable, failing closed: ${messageOf(error)}`);
      return decisionResponse(unavailableDecision(correlationId, attempt.now, 'configuration'));
    }
  }
  return forwardAuthAnswer(decision, { html, upstreamHeaders });
}

app.http('forwardAuth', {
  // Envoy keeps the original method: every method the Functions host routes.
  methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
  authLevel: 'anonymous',
  route: FORWARD_AUTH_ROUTE,
  handler: forwardAuth,
});

// The worker runs this once the app is loaded, before it serves: the first request does not wait for the load.
app.hook.appStart(async () => {
  await decisionPath();
});
