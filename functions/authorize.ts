/**
 * `/api/authorize`: the forward-auth decision point. Reads the client certificate the gateway
 * forwarded, validates it against the trusted CAs and answers 200 (allow) or 403 (block) with the
 * decision, reason codes, device tags, a certificate summary and a correlation id. Anonymous at
 * the Functions level: the gateway proof (secret header / trusted proxy) is what authenticates
 * the forwarded header. A malfunction answers 503 and blocks (fail closed).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createHash, randomUUID } from 'node:crypto';
import { readClientContext, readForwardedCertificate, type ClientContext } from '../shared/cert/intake/index.js';
import { parseCertificates, validateCertificatePath, type ParsedCertificate, type ValidationResult } from '../shared/cert/validation/index.js';
import { getServices, type Services } from '../shared/composition.js';
import { gatewayConfigs } from '../shared/gateways.js';
import { decisionResponse, prefersHtml } from '../shared/http/responses.js';
import { applyPolicyDecision, decideCertificateAccess, unavailableDecision, type Decision } from '../shared/policy/certificateDecision.js';
import { evaluateAccess, type PolicyDecision } from '../shared/policy/evaluateAccess.js';
import { OcspCache } from '../shared/trust/ocspCache.js';
import { alertsOnUnknown, crlUrlsOf, revocationModeResolver, thumbprintOf } from '../shared/trust/revocationPolicy.js';
import type { TrustAnchors } from '../shared/trust/trustAnchorCache.js';
import { VerdictCache } from '../shared/trust/verdictCache.js';

function correlationIdOf(request: HttpRequest, context: InvocationContext): string {
  const given = request.headers.get('x-correlation-id');
  return given && /^[A-Za-z0-9._-]{8,128}$/.test(given) ? given : context.invocationId !== 'unknown' ? context.invocationId : randomUUID();
}

function logDecision(context: InvocationContext, decision: Decision, client: ClientContext): void {
  const line = JSON.stringify({ event: 'certgate.decision', ...decision, client });
  if (decision.effect === 'allow') context.log(line);
  else context.warn(line);
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
  const xff = request.headers.get('x-forwarded-for');
  const remoteAddress = xff?.split(',').at(-1)?.trim().replace(/:\d+$/, '');
  const forwarded = { headers: request.headers, url: request.url, ...(remoteAddress ? { remoteAddress } : {}) };
  const intake = readForwardedCertificate(forwarded, gatewayConfigs(config));
  const client = readClientContext(forwarded, gatewayConfigs(config));
  if (intake.kind === 'rejected' && intake.reason === 'forwarded-certificate-untrusted-forwarder') {
    context.warn(JSON.stringify({ event: 'certgate.alert.untrusted-forwarder', correlationId, detail: intake.detail, remoteAddress, client }));
  }
  let validation: ValidationResult | undefined;
  if (intake.kind === 'present') {
    try {
      const anchors = await services.trustAnchors.get();
      services.crls.track(anchors.crlUrls);
      services.crls.refreshInBackground();
      const verdictKey = VerdictCache.keyOf(intake.leaf, intake.chain);
      const verdictScope = `${anchors.version}|${services.crls.generation}`;
      validation = services.verdicts.get(verdictKey, verdictScope, now);
      if (!validation) {
        validation = await validateFresh(services, anchors, intake.leaf, intake.chain, now, correlationId, context);
        services.verdicts.set(verdictKey, verdictScope, now, validation);
      }
    } catch (error) {
      context.error(`authorize: trusted CAs unavailable, failing closed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const certificateDecision = decideCertificateAccess({ intake, ...(validation ? { validation } : {}), correlationId, now });
  let decision: Decision;
  try {
    decision = applyPolicyDecision(certificateDecision, await evaluatePolicies(services, request, client, certificateDecision));
  } catch (error) {
    context.error(`authorize: access policies unavailable, failing closed: ${error instanceof Error ? error.message : String(error)}`);
    decision = unavailableDecision(correlationId, now, 'policies');
  }
  logDecision(context, decision, client);
  for (const alert of decision.policy?.alerts ?? []) {
    context.warn(JSON.stringify({ event: 'certgate.alert.policy', correlationId, policyId: alert.policyId, severity: alert.severity, effect: decision.effect, client }));
  }
  return decisionResponse(decision, { html: prefersHtml(request.headers.get('accept')), ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}) });
}

/**
 * The access policies' verdict for this request; undefined when no policy is enabled or in
 * report-only (the built-in rule, a valid client certificate, then stands) or when the request
 * never got as far as a certificate decision (bad input, malfunction).
 */
async function evaluatePolicies(services: Services, request: HttpRequest, client: ClientContext, certificate: Decision): Promise<PolicyDecision | undefined> {
  const [outcome] = certificate.reasons;
  if (outcome === 'forwarded-certificate-rejected' || outcome === 'decision-unavailable') return undefined;
  const snapshot = await services.policies.get();
  if (!snapshot.configuration.policies.some((policy) => policy.state !== 'disabled')) return undefined;
  const summary = certificate.certificate;
  const valid = certificate.deviceTags.includes('valid-client-certificate');
  const appId = request.query.get('app') ?? request.headers.get('x-certgate-app') ?? undefined;
  return evaluateAccess(
    {
      app: { ...(appId ? { id: appId } : {}), ...(client.host ? { host: client.host } : {}), ...(client.path ? { path: client.path } : {}) },
      ...(client.userAgent ? { userAgent: client.userAgent } : {}),
      ...(client.clientIp ? { clientIp: client.clientIp } : {}),
      deviceTags: new Set(certificate.deviceTags),
      ...(valid && summary
        ? { certificate: { issuerThumbprints: certificate.pathThumbprints ?? [], policyOids: summary.policyOids, subject: summary.subject, subjectAltNames: summary.subjectAltNames } }
        : {}),
    },
    snapshot.compiled,
  );
}

/**
 * Full validation against the current CAs, CRLs and OCSP answers. When the CRLs say nothing about
 * the leaf and it names an OCSP responder, the responder is asked (once, then cached) and the path
 * validated again; the leaf's CRL URLs are learnt for the next refresh.
 */
async function validateFresh(services: Services, anchors: TrustAnchors, leaf: Uint8Array, chain: Uint8Array[], now: Date, correlationId: string, context: InvocationContext): Promise<ValidationResult> {
  const { config } = services;
  const resolveMode = revocationModeResolver(anchors.byThumbprint);
  let alertingIssuers: ParsedCertificate[] = [];
  const run = (): ValidationResult => {
    alertingIssuers = [];
    return validateCertificatePath({
      leaf,
      intermediates: chain,
      trustStore: anchors.store,
      time: now,
      clockSkewSeconds: config.clockSkewSeconds,
      requiredEkus: [...config.requiredEkus],
      parsedCrls: services.crls.current(),
      crlGraceSeconds: config.crlGraceSeconds,
      revocationModeFor: (certificate, issuer) => {
        if (alertsOnUnknown(anchors.byThumbprint, issuer)) alertingIssuers.push(issuer);
        return resolveMode(certificate, issuer);
      },
      revocationStatusFor: (certificate, issuer) => services.ocsp.lookup(certificate.der, issuer.der, now),
    });
  };
  const unknownFor = (result: ValidationResult, position: string) =>
    result.trace.some((entry) => entry.check === 'revocation' && entry.certificate === position && entry.reason === 'certificate-revocation-unknown');
  let validation = run();
  if (unknownFor(validation, 'leaf') && OcspCache.hasResponder(leaf)) {
    const issuerDer = issuerOf(validation, anchors, chain);
    if (issuerDer) {
      await services.ocsp.prefetch(leaf, issuerDer, now);
      validation = run();
    }
  }
  if (validation.trace.some((entry) => entry.reason === 'certificate-revocation-unknown')) {
    // Learn the leaf's distribution points so the next refresh fetches them.
    const parsed = parseCertificates(leaf);
    if (parsed.ok && parsed.certificates[0] && services.crls.track(crlUrlsOf(parsed.certificates[0]))) services.crls.refreshInBackground();
    if (validation.ok && alertingIssuers.length > 0) {
      context.warn(JSON.stringify({ event: 'certgate.alert.revocation-unknown', correlationId, certificate: validation.leaf?.sha256Thumbprint }));
    }
  }
  return validation;
}

/** DER of the leaf's issuer on the validated (or best failing) path: a trusted CA or a forwarded intermediate. */
function issuerOf(validation: ValidationResult, anchors: TrustAnchors, chain: readonly Uint8Array[]): Uint8Array | undefined {
  const thumbprint = validation.path?.[1]?.sha256Thumbprint;
  if (!thumbprint) return undefined;
  const anchor = anchors.store.anchors.find((candidate) => thumbprintOf(candidate) === thumbprint);
  if (anchor) return anchor.der;
  return chain.find((der) => createHash('sha256').update(der).digest('hex') === thumbprint);
}

app.http('authorize', { methods: ['GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], authLevel: 'anonymous', route: 'authorize/{*path}', handler: authorize });
