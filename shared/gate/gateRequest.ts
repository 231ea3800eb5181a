/**
 * Gate mode, one request: certgate as the reverse proxy in front of a registered app.
 *   1. which app: only under the gateway proof, the registered app whose route matches the host
 *      and path the gateway saw, and that has an `upstream` (else 401 `gate-request-unproven` /
 *      404 `gate-app-not-found`); the gateway's app hint is not used (the route names the upstream);
 *   2. the signing key must be configured (else 503 `gate-signing-key-missing`: an upstream never
 *      gets identity headers without the assertion that lets it check them);
 *   3. decide with the one pipeline (decideAccess: recorded in the decision log, alerts raised);
 *      a block answers as authorize does (the block page for browsers, JSON otherwise);
 *   4. session controls, request side (shared/session `checkRequest`): an upload blocked by its
 *      headers answers 403 before anything goes upstream; a multipart body a multipartFile control
 *      must see passes through the upload guard, which fails the stream before a file part's
 *      first byte reaches the upstream (then the client gets the 403, not the upstream's answer);
 *   5. stream the request to the upstream: method, path and query as received, the body as a
 *      stream, the client's headers minus hop-by-hop and gateway / certgate / platform headers,
 *      plus the identity headers (X-Certgate-User, -Device-Tags, -Decision-Id, -Assertion);
 *   6. session controls, response side (`checkResponse`, on the status and headers): a download
 *      blocked becomes the block page / JSON 403 before any byte of the file is sent, never a
 *      truncated file; the upstream's body is dropped;
 *   7. relay the answer: status, headers filtered the same way (Location and Set-Cookie Domain
 *      rewritten where the upstream's host differs from the public host), the body streamed (a
 *      small body that came whole with the headers handed on as its bytes);
 *      no answer in time → 504 `gate-upstream-timeout`, no connection → 502 `gate-upstream-unavailable`.
 * Session controls with an alert flag raise `certgate.alert.session`. Nothing is buffered: the
 * bodies pass as streams with back-pressure.
 * May import: the decision pipeline and its request translation, the gate's modules, the session
 * core, the HTTP answer modules, composition types, errors, node built-ins.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { ReadableStream } from 'node:stream/web';
import { decideAccess, type PipelineReport } from '../access/decideAccess.js';
import { accessAttemptOf, type IncomingRequest } from '../access/requestAttempt.js';
import type { Services } from '../composition.js';
import { messageOf } from '../errors.js';
import { correlationIdOf } from '../http/correlationId.js';
import { gateError, sessionBlockResponse } from '../http/gateResponses.js';
import { decisionResponse, prefersHtml } from '../http/responses.js';
import { unavailableDecision } from '../policy/certificateDecision.js';
import { resolveApp } from '../policy/registeredApps.js';
import type { ClientContext } from '../cert/intake/index.js';
import {
  checkRequest,
  checkResponse,
  createUploadGuard,
  SessionUploadBlockedError,
  type SessionRequest,
  type SessionVerdict,
} from '../session/index.js';
import { assertionSignerFor } from './assertionSigner.js';
import { clientResponseHeaders, headerPolicyFor, upstreamRequestHeaders } from './headerPolicy.js';
import { upstreamIdentityHeaders } from './identityHeaders.js';
import { relayedBodyOf, sendUpstream, UpstreamError } from './upstreamProxy.js';
import {
  upstreamPathFor,
  parsedUrl,
  pathAndQueryOf,
  rewriteLocation,
  rewriteSetCookie,
  type GateSides,
  type ParsedUrl,
} from './urlRewrite.js';

/** What the gate reads of a request: the trigger's HttpRequest has this shape. */
export interface GateIncomingRequest extends IncomingRequest {
  readonly method: string;
  readonly headers: IncomingRequest['headers'] & Iterable<[string, string]>;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** Where the gate reports: the pipeline's report plus an info line per relayed request. */
export interface GateReport extends PipelineReport {
  info(line: string): void;
}

/** Statuses whose responses carry no body (RFC 9110), besides any answer to HEAD. */
const NO_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/** The registered app with this id (a loop: no closure per request). */
function appById<App extends { readonly id: string }>(apps: readonly App[], id: string): App | undefined {
  for (const app of apps) if (app.id === id) return app;
  return undefined;
}

function discard(body: ReadableStream<Uint8Array> | null): void {
  body?.cancel().catch(() => undefined);
}

/** Raises the alerts a session verdict asks for (enforced controls with an alert flag). */
function raiseSessionAlerts(
  verdict: SessionVerdict,
  report: GateReport,
  correlationId: string,
  client: ClientContext,
): void {
  for (const finding of verdict.alerts) {
    if (!finding.alert) continue;
    report.alerts.raise({
      event: 'certgate.alert.session',
      correlationId,
      policyId: finding.policyId,
      control: finding.control,
      code: finding.code,
      rule: finding.rule,
      severity: finding.alert.severity,
      client,
    });
  }
}

/** The upload guard's verdict, when the upstream request failed because the guard stopped the body. */
function uploadBlockOf(error: unknown): SessionVerdict | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause)
    if (current instanceof SessionUploadBlockedError) return current.verdict;
  return undefined;
}

/** Handles one request in gate mode (see the module comment). Never throws. */
export async function handleGateRequest(
  services: Services,
  request: GateIncomingRequest,
  invocationId: string,
  report: GateReport,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request, invocationId);
  const { config } = services;
  const now = services.clock.now();
  const attempt = accessAttemptOf(request, config, now, correlationId);
  const { client } = attempt;
  if (client.proven !== true) {
    discard(request.body);
    return gateError('gate-request-unproven', correlationId);
  }

  let upstream: ParsedUrl;
  let appId: string;
  try {
    const snapshot = await services.policies.get();
    const resolution = resolveApp(snapshot.compiled.apps, { host: client.host, path: client.path });
    const app = resolution.status === 'registered' ? appById(snapshot.configuration.apps, resolution.id) : undefined;
    if (!app?.upstream) {
      discard(request.body);
      return gateError('gate-app-not-found', correlationId);
    }
    upstream = parsedUrl(app.upstream);
    appId = app.id;
  } catch (error) {
    report.error(`gate: registered apps unavailable, failing closed: ${messageOf(error)}`);
    discard(request.body);
    return decisionResponse(unavailableDecision(correlationId, now, 'policies'), {
      html: prefersHtml(request.headers.get('accept')),
    });
  }
  if (!assertionSignerFor(config)) {
    report.error('gate: CERTGATE_GATE_SIGNING_KEY is not set; gate mode refuses to proxy without the assertion');
    discard(request.body);
    return gateError('gate-signing-key-missing', correlationId);
  }

  // The route picked the upstream: the decision is for that app, not for a hint (the attempt as is when it names none).
  const routed = attempt.appHint === undefined ? attempt : { ...attempt, appHint: undefined };
  const outcome = await decideAccess(services, routed, report);
  const { decision } = outcome;
  if (decision.effect !== 'allow' || decision.app?.status !== 'registered' || decision.app.id !== appId) {
    discard(request.body);
    if (decision.effect === 'allow') {
      // The configuration changed between the look-up and the decision: fail closed, ask again.
      report.error(`gate: app resolution changed during the decision (${appId}), failing closed`);
      return decisionResponse(unavailableDecision(correlationId, now, 'policies'));
    }
    return decisionResponse(decision, {
      html: prefersHtml(request.headers.get('accept')),
      ...(decision.blockMessage ? { blockMessage: decision.blockMessage } : {}),
    });
  }

  let identity: Record<string, string>;
  try {
    identity = await upstreamIdentityHeaders(services, outcome, { appId });
  } catch (error) {
    report.error(`gate: signing the assertion failed: ${messageOf(error)}`);
    discard(request.body);
    return gateError('gate-signing-key-missing', correlationId);
  }

  const method = request.method.toUpperCase();
  const html = prefersHtml(request.headers.get('accept'));
  const pathAndQuery = pathAndQueryOf(request.url);
  const sessionRequest: SessionRequest = { method, url: pathAndQuery, headers: request.headers };
  const requestVerdict = checkRequest(outcome.session, sessionRequest);
  raiseSessionAlerts(requestVerdict, report, correlationId, client);
  if (requestVerdict.action === 'block') {
    report.info(`gate: ${method} ${appId} upload blocked by ${requestVerdict.policyId ?? '?'} (${correlationId})`);
    discard(request.body);
    return sessionBlockResponse(requestVerdict, correlationId, { html });
  }
  let body = method === 'GET' || method === 'HEAD' ? null : request.body;
  if (body && requestVerdict.inspectBody) {
    const guard = createUploadGuard(outcome.session, sessionRequest);
    if (guard) body = body.pipeThrough(guard);
  }

  const policy = headerPolicyFor(config);
  const sides: GateSides = { upstream, publicOrigin: parsedUrl(`https://${client.host ?? upstream.host}`) };
  let answer;
  try {
    answer = await sendUpstream({
      // The upstream's origin, and its base path + the path and query as received, unparsed.
      url: { origin: upstream, path: upstreamPathFor(upstream, pathAndQuery) },
      method,
      headers: upstreamRequestHeaders(request.headers, policy, identity),
      body,
      timeoutMs: config.gate.upstreamTimeoutMs,
    });
  } catch (error) {
    const blocked = uploadBlockOf(error);
    if (blocked) {
      raiseSessionAlerts(blocked, report, correlationId, client);
      report.info(`gate: ${method} ${appId} upload blocked by ${blocked.policyId ?? '?'} (${correlationId})`);
      discard(request.body);
      return sessionBlockResponse(blocked, correlationId, { html });
    }
    const kind = error instanceof UpstreamError ? error.kind : 'unavailable';
    report.error(`gate: upstream of ${appId} ${kind}: ${messageOf(error)} (${correlationId})`);
    discard(request.body);
    return gateError(kind === 'timeout' ? 'gate-upstream-timeout' : 'gate-upstream-unavailable', correlationId);
  }

  if (answer.status < 200 || answer.status > 599) {
    answer.body.destroy();
    report.error(`gate: upstream of ${appId} answered status ${answer.status}, not relayable (${correlationId})`);
    return gateError('gate-upstream-unavailable', correlationId);
  }
  const headers = new Headers();
  try {
    for (const [name, value] of clientResponseHeaders(answer.rawHeaders, policy)) {
      if (name === 'location') headers.append(name, rewriteLocation(value, sides));
      else if (name === 'set-cookie') headers.append(name, rewriteSetCookie(value, sides));
      else headers.append(name, value);
    }
  } catch (error) {
    answer.body.destroy();
    report.error(`gate: upstream of ${appId} sent a header that cannot be relayed: ${messageOf(error)}`);
    return gateError('gate-upstream-unavailable', correlationId);
  }
  const responseVerdict = checkResponse(outcome.session, sessionRequest, { status: answer.status, headers });
  raiseSessionAlerts(responseVerdict, report, correlationId, client);
  if (responseVerdict.action === 'block') {
    // Not one byte of the file: the upstream's body is dropped and its connection closed.
    answer.body.destroy();
    report.info(`gate: ${method} ${appId} download blocked by ${responseVerdict.policyId ?? '?'} (${correlationId})`);
    return sessionBlockResponse(responseVerdict, correlationId, { html });
  }
  headers.set('x-correlation-id', correlationId);
  report.info(`gate: ${method} ${appId} → ${answer.status} (${correlationId})`);
  const bodyless = method === 'HEAD' || NO_BODY_STATUSES.has(answer.status);
  if (bodyless) answer.body.resume();
  return {
    status: answer.status,
    headers,
    ...(bodyless ? {} : { body: relayedBodyOf(answer.body) }),
  };
}
