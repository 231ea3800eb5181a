/**
 * `/api/authorize`: the forward-auth decision point. Reads the client certificate the gateway
 * forwarded, validates it against the trusted CAs and answers 200 (allow) or 403 (block) with the
 * decision, reason codes, device tags, a certificate summary and a correlation id. Anonymous at
 * the Functions level: the gateway proof (secret header / trusted proxy) is what authenticates
 * the forwarded header. A malfunction answers 503 and blocks (fail closed).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { bindLeafToUser, evaluatePolicies, identifyUser, validateClientCertificate } from '../shared/accessPipeline.js';
import { forwardedRequestOf, readForwardedRequest, type ClientContext } from '../shared/cert/intake/index.js';
import type { ValidationResult } from '../shared/cert/validation/index.js';
import { getServices } from '../shared/composition.js';
import { appHintOf, gatewayConfigs } from '../shared/gateways.js';
import { decisionResponse, prefersHtml } from '../shared/http/responses.js';
import { applyPolicyDecision, applyUserBinding, decideCertificateAccess, unavailableDecision, type Decision } from '../shared/policy/certificateDecision.js';

function correlationIdOf(request: HttpRequest, context: InvocationContext): string {
  const given = request.headers.get('x-correlation-id');
  return given && /^[A-Za-z0-9._-]{8,128}$/.test(given) ? given : context.invocationId !== 'unknown' ? context.invocationId : randomUUID();
}

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
  const correlationId = correlationIdOf(request, context);
  let services;
  try {
    services = getServices();
  } catch (error) {
    context.error(`authorize: configuration invalid: ${error instanceof Error ? error.message : String(error)}`);
    return decisionResponse(unavailableDecision(correlationId, new Date(), 'configuration'));
  }
  const { config, clock } = services;
  const now = clock.now();
  const forwarded = forwardedRequestOf(request.headers, request.url);
  const { intake, client } = readForwardedRequest(forwarded, gatewayConfigs(config));
  if (intake.kind === 'rejected' && intake.reason === 'forwarded-certificate-untrusted-forwarder') {
    context.warn(JSON.stringify({ event: 'certgate.alert.untrusted-forwarder', correlationId, detail: intake.detail, remoteAddress: forwarded.remoteAddress, client }));
  }
  let validation: ValidationResult | undefined;
  if (intake.kind === 'present') {
    try {
      validation = await validateClientCertificate(services, { leaf: intake.leaf, chain: intake.chain, now, correlationId, warn: (line) => { context.warn(line); } });
    } catch (error) {
      context.error(`authorize: trusted CAs unavailable, failing closed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const user = await identifyUser(services, request.headers, now);
  let certificateDecision = decideCertificateAccess({ intake, ...(validation ? { validation } : {}), correlationId, now });
  if (user.principal && intake.kind === 'present' && certificateDecision.effect === 'allow') {
    try {
      certificateDecision = applyUserBinding(certificateDecision, await bindLeafToUser(services, intake.leaf, validation, user.principal));
    } catch (error) {
      context.error(`authorize: user binding unavailable, failing closed: ${error instanceof Error ? error.message : String(error)}`);
      certificateDecision = unavailableDecision(correlationId, now, 'user-binding');
    }
  }
  let decision: Decision;
  try {
    const appHint = appHintOf(forwarded, request.query, gatewayConfigs(config), config);
    const principal = user.principal;
    const policyUser = principal ? { id: principal.objectId, ...(principal.upn ? { upn: principal.upn } : {}), ...(principal.groups ? { groups: principal.groups } : {}) } : undefined;
    const outcome = await evaluatePolicies(services, { ...(appHint !== undefined ? { appHint } : {}), client, ...(policyUser ? { user: policyUser } : {}) }, certificateDecision);
    decision = applyPolicyDecision(certificateDecision, outcome.policy, { deviceTags: outcome.deviceTags, ...(outcome.directory ? { trace: outcome.directory } : {}), ...(outcome.app ? { app: outcome.app } : {}) });
  } catch (error) {
    context.error(`authorize: access policies unavailable, failing closed: ${error instanceof Error ? error.message : String(error)}`);
    decision = unavailableDecision(correlationId, now, 'policies');
  }
  logDecision(context, decision, client, user.principal?.upn ?? (user.tokenReason ? `unauthenticated (${user.tokenReason})` : undefined));
  for (const alert of decision.policy?.alerts ?? []) {
    context.warn(JSON.stringify({ event: 'certgate.alert.policy', correlationId, policyId: alert.policyId, severity: alert.severity, effect: decision.effect, client }));
  }
  return decisionResponse(decision, { html: prefersHtml(request.headers.get('accept')), ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}) });
}

app.http('authorize', { methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], authLevel: 'anonymous', route: 'authorize/{*path}', handler: authorize });
