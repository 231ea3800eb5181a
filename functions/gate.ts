/**
 * Gate mode: the catch-all route. Every path that is not one of certgate's own (`api/...`, which
 * the Functions host routes first: literal segments win over a catch-all, in Azure as in the
 * local host) belongs to the gate, which decides with the one pipeline and streams allowed
 * requests to the registered app's upstream (shared/gate/gateRequest.ts). HTTP streams are on
 * (`app.setup({ enableHttpStream: true })`): request and response bodies pass as streams, never
 * buffered (Functions host 4.28+; FUNCTIONS_REQUEST_BODY_SIZE_LIMIT still caps uploads).
 * Anonymous at the Functions level: the gateway proof authenticates the forwarded facts.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { correlationIdOf } from '../shared/http/correlationId.js';
import { decisionPathUnavailable, loadDecisionPath } from '../shared/http/decisionPathUnavailable.js';
import { InvocationReport } from '../shared/http/invocationReport.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** The decision path: loaded when the app starts (the hook below) or on the first request, not at import. */
const decisionPath = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/gate/gateRequest.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/policy/certificateDecision.js'),
);

app.setup({ enableHttpStream: true });

export async function gate(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const path = decisionPath.loaded ?? (await loadDecisionPath(decisionPath, 'gate', context));
  if (!path) {
    await request.body?.cancel().catch(() => undefined);
    return decisionPathUnavailable(correlationIdOf(request, context.invocationId), new Date());
  }
  const { getServices, handleGateRequest, decisionResponse, unavailableDecision } = path;
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`gate: configuration invalid: ${messageOf(error)}`);
    await request.body?.cancel().catch(() => undefined);
    return decisionResponse(
      unavailableDecision(correlationIdOf(request, context.invocationId), new Date(), 'configuration'),
    );
  }
  return handleGateRequest(services, request, context.invocationId, new InvocationReport(services, context));
}

app.http('gate', {
  methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  authLevel: 'anonymous',
  route: '{*path}',
  handler: gate,
});

// The worker runs this once the app is loaded, before it serves: the first request does not wait for the load.
app.hook.appStart(async () => {
  await decisionPath();
});
