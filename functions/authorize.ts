/**
 * `/api/authorize`: the forward-auth decision point. Reads the client certificate the gateway
 * forwarded, validates it against the trusted CAs and answers 200 (allow) or 403 (block) with the
 * decision, reason codes, device tags, a certificate summary and a correlation id. Anonymous at
 * the Functions level: the gateway proof (secret header / trusted proxy) is what authenticates
 * the forwarded header. A malfunction answers 503 and blocks (fail closed). Every decision goes to
 * the decision log, and alerts (untrusted forwarder, policies with `alert`) to the alert sink,
 * both written through this invocation's logger.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { correlationIdOf } from '../shared/http/correlationId.js';
import { decisionPathUnavailable, loadDecisionPath } from '../shared/http/decisionPathUnavailable.js';
import { InvocationReport } from '../shared/http/invocationReport.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** The decision path: loaded when the app starts (the hook below) or on the first request, not at import. */
const decisionPath = onFirstUse(
  () => import('../shared/access/decideAccess.js'),
  () => import('../shared/access/requestAttempt.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/policy/certificateDecision.js'),
  () => import('../shared/telemetry/telemetry.js'),
);

export async function authorize(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const path = decisionPath.loaded ?? (await loadDecisionPath(decisionPath, 'authorize', context));
  if (!path) return decisionPathUnavailable(correlationIdOf(request, context.invocationId), new Date());
  const {
    decideAccess,
    accessAttemptOf,
    getServices,
    decisionResponse,
    prefersHtml,
    unavailableDecision,
    telemetryOn,
    tracedSync,
  } = path;
  const correlationId = correlationIdOf(request, context.invocationId);
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`authorize: configuration invalid: ${messageOf(error)}`);
    return decisionResponse(unavailableDecision(correlationId, new Date(), 'configuration'));
  }
  // No span, attributes or closure unless telemetry is on: this runs per request.
  const attempt = telemetryOn()
    ? tracedSync('certgate.intake', { 'certgate.correlation_id': correlationId }, () =>
        accessAttemptOf(request, services.config, services.clock.now(), correlationId),
      )
    : accessAttemptOf(request, services.config, services.clock.now(), correlationId);
  const { decision } = await decideAccess(services, attempt, new InvocationReport(services, context));
  return decisionResponse(decision, {
    html: prefersHtml(request.headers.get('accept')),
    blockMessage: decision.blockMessage,
  });
}

app.http('authorize', {
  methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  authLevel: 'anonymous',
  route: 'api/authorize/{*path}',
  handler: authorize,
});

// The worker runs this once the app is loaded, before it serves: the first request does not wait for the load.
app.hook.appStart(async () => {
  await decisionPath();
});
