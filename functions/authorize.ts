/**
 * `/api/authorize`: the forward-auth decision point. Reads the client certificate the gateway
 * forwarded, validates it against the trusted CAs and answers 200 (allow) or 403 (block) with the
 * decision, reason codes, device tags, a certificate summary and a correlation id. Anonymous at
 * the Functions level: the gateway proof (secret header / trusted proxy) is what authenticates
 * the forwarded header. A malfunction answers 503 and blocks (fail closed).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { decideAccess } from '../shared/access/decideAccess.js';
import { accessAttemptOf, correlationIdOf } from '../shared/access/requestAttempt.js';
import type { ClientContext } from '../shared/cert/intake/index.js';
import { getServices } from '../shared/composition.js';
import { decisionResponse, prefersHtml } from '../shared/http/responses.js';
import { unavailableDecision, type Decision } from '../shared/policy/certificateDecision.js';
import { messageOf } from '../shared/errors.js';

/**
 * The decision log: every decision with its reasons, deciding policy, client and user. Blocks
 * carry the whole decision: the validation and per-policy traces and where the directory facts
 * came from (what an admin needs to explain them). Allows, the bulk of the traffic, carry the
 * outcome, the certificate's thumbprint and subject, and the sources of the directory facts.
 */
function logDecision(context: InvocationContext, decision: Decision, client: ClientContext, user: string | undefined): void {
  if (decision.effect === 'allow') {
    const { directory } = decision;
    context.log(
      JSON.stringify({
        event: 'certgate.decision',
        effect: 'allow',
        reasons: decision.reasons,
        decidedBy: decision.policy?.decidedBy,
        deviceTags: decision.deviceTags,
        certificate: decision.certificate ? { sha256Thumbprint: decision.certificate.sha256Thumbprint, subject: decision.certificate.subject } : undefined,
        directory: directory ? { groups: directory.groups?.source, device: directory.device?.source } : undefined,
        correlationId: decision.correlationId,
        decidedAt: decision.decidedAt,
        client,
        user,
      }),
    );
  } else {
    context.warn(JSON.stringify({ event: 'certgate.decision', ...decision, client, user }));
  }
}

export async function authorize(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request, context.invocationId);
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`authorize: configuration invalid: ${messageOf(error)}`);
    return decisionResponse(unavailableDecision(correlationId, new Date(), 'configuration'));
  }
  const attempt = accessAttemptOf(request, services.config, services.clock.now(), correlationId);
  const { intake, client } = attempt;
  if (intake.kind === 'rejected' && intake.reason === 'forwarded-certificate-untrusted-forwarder') {
    context.warn(JSON.stringify({ event: 'certgate.alert.untrusted-forwarder', correlationId, detail: intake.detail, remoteAddress: attempt.peerAddress, client }));
  }
  const { decision, user } = await decideAccess(services, attempt, { warn: (line) => { context.warn(line); }, error: (line) => { context.error(line); } });
  logDecision(context, decision, client, user);
  for (const alert of decision.policy?.alerts ?? []) {
    context.warn(JSON.stringify({ event: 'certgate.alert.policy', correlationId, policyId: alert.policyId, severity: alert.severity, effect: decision.effect, client }));
  }
  return decisionResponse(decision, { html: prefersHtml(request.headers.get('accept')), ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}) });
}

app.http('authorize', { methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], authLevel: 'anonymous', route: 'authorize/{*path}', handler: authorize });
