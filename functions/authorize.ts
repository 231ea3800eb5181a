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
import { decideAccess } from '../shared/access/decideAccess.js';
import { accessAttemptOf, correlationIdOf } from '../shared/access/requestAttempt.js';
import { getServices } from '../shared/composition.js';
import { decisionResponse, prefersHtml } from '../shared/http/responses.js';
import { unavailableDecision } from '../shared/policy/certificateDecision.js';
import { messageOf } from '../shared/errors.js';
import { telemetryOn, tracedSync } from '../shared/telemetry/telemetry.js';

export async function authorize(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
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
  const { decision } = await decideAccess(services, attempt, {
    alerts: services.alerts.forInvocation(context),
    decisionLog: services.decisionLog.forInvocation(context),
    error: (line) => {
      context.error(line);
    },
  });
  return decisionResponse(decision, {
    html: prefersHtml(request.headers.get('accept')),
    ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}),
  });
}

app.http('authorize', {
  methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  authLevel: 'anonymous',
  route: 'api/authorize/{*path}',
  handler: authorize,
});
