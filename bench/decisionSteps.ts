/**
 * Where /api/authorize's own time goes inside the local Functions host, step by step, against the
 * same steps in a tight loop (ratios in one run). A bench route through the host runs authorize's
 * steps itself, in authorize's order and with the same functions (checked once to give authorize's
 * attempt and answer): the correlation id, the forwarded request (X-Forwarded-For split), the
 * gateway proof and the certificate header (readForwardedRequest), the app hint, the decision
 * pipeline (decideAccess, with this invocation's decision log) and the answer (decisionResponse).
 * Under wrk load each step is timed (performance.now) the first time in the request, as authorize
 * runs it, and at once again on the same request; then the steps run back to back in a loop in
 * this process on one request. "first ÷ loop" is what running once per request among the host's own work costs a
 * step (its code and data gone from the caches since the last request) over the loop's figure, the
 * gap bench/decisionHttp.ts shows between deciding through the host and deciding in-process;
 * "again" shows how much of that the step's own first touch pays. The first pass's whole time
 * (entry to answer, awaits included) is printed too. A tool for finding what to cut, like
 * profileHost.ts; nothing here asserts a timing.
 *
 *   npx tsx bench/decisionSteps.ts [--seconds 4] [--rounds 2] [--concurrency 50]
 *   (npm run bench -- decisionSteps runs it compiled, as it ships)
 */
import azureFunctions, { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { isDeepStrictEqual } from 'node:util';
import { decideAccess, type AccessAttempt, type PipelineReport } from '../shared/access/decideAccess.js';
import { accessAttemptOf } from '../shared/access/requestAttempt.js';
import { forwardedRequestOf, readForwardedRequest } from '../shared/cert/intake/index.js';
import { getServices, type Services } from '../shared/composition.js';
import { appHintOf, gatewayConfigs } from '../shared/gateways.js';
import { correlationIdOf } from '../shared/http/correlationId.js';
import { decisionResponse } from '../shared/http/responses.js';
import { installFunctionsCore } from '../dev/host/functionsCore.js';
import { startEphemeralStack } from '../dev/stack.js';
import { hasWrk, httpLoad } from './httpLoad.js';
import { numberOption } from '../dev/commandLine.js';
import { forwardedCertificateHeaders } from './forwardedCertificate.js';

const seconds = numberOption('seconds', 4);
const rounds = numberOption('rounds', 2);
const concurrency = numberOption('concurrency', 50);
if (!hasWrk)
  throw new Error('bench/decisionSteps.ts needs wrk (apt-get install wrk): an in-process client would share the host');

const STEPS = ['correlation id', 'forwarded request', 'gateway proof + certificate', 'app hint', 'decide', 'answer'];
type Step = (typeof STEPS)[number];

/** Total µs and count per step and phase. */
class Timings {
  private readonly totals = new Map<string, { micros: number; count: number }>();

  add(key: string, micros: number): void {
    const entry = this.totals.get(key) ?? { micros: 0, count: 0 };
    entry.micros += micros;
    entry.count++;
    this.totals.set(key, entry);
  }

  mean(key: string): number {
    const entry = this.totals.get(key);
    return entry ? entry.micros / entry.count : Number.NaN;
  }

  reset(): void {
    this.totals.clear();
  }
}

const timings = new Timings();

/** Runs `work`, adding its time (µs) under `step` and `phase`. */
function timed<T>(phase: string, step: Step, work: () => T): T {
  const started = performance.now();
  const result = work();
  timings.add(`${phase}|${step}`, (performance.now() - started) * 1000);
  return result;
}

/** The decision's report as authorize makes it: this invocation's decision log, errors to its logger. */
function reportFor(services: Services, context: InvocationContext): PipelineReport {
  return {
    alerts: services.alerts.forInvocation(context),
    decisionLog: services.decisionLog.forInvocation(context),
    error: (line) => {
      context.error(line);
    },
  };
}

/** authorize's steps, each timed under `phase`; the answer. */
async function steps(phase: string, request: HttpRequest, context: InvocationContext) {
  const correlationId = timed(phase, 'correlation id', () => correlationIdOf(request, context.invocationId));
  const services = getServices();
  const now = services.clock.now();
  const gateways = gatewayConfigs(services.config);
  const forwarded = timed(phase, 'forwarded request', () => forwardedRequestOf(request.headers, request.url));
  const { intake, client } = timed(phase, 'gateway proof + certificate', () =>
    readForwardedRequest(forwarded, gateways),
  );
  const appHint = timed(phase, 'app hint', () => appHintOf(forwarded, request.query, gateways, services.config));
  const attempt: AccessAttempt = {
    intake,
    client,
    appHint,
    identity: { headers: request.headers },
    correlationId,
    now,
    peerAddress: forwarded.remoteAddress,
  };
  const started = performance.now();
  const { decision } = await decideAccess(services, attempt, reportFor(services, context));
  timings.add(`${phase}|decide`, (performance.now() - started) * 1000);
  const answer = timed(phase, 'answer', () =>
    decisionResponse(decision, { html: false, blockMessage: decision.blockMessage }),
  );
  return { attempt, answer };
}

installFunctionsCore();
app.http('bench-steps', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-steps',
  handler: async (request, context) => {
    // The host's own work queued for this request (microtasks and ticks) runs at the handler's first await,
    // whichever it is: let it run here, outside the timed steps (it measured about 10 µs in the first step
    // that awaits, and nothing in a second await).
    await Promise.resolve();
    const started = performance.now();
    const { answer } = await steps('first', request, context);
    timings.add('handler', (performance.now() - started) * 1000);
    await steps('again', request, context);
    return answer;
  },
});

const stack = await startEphemeralStack(
  'bench',
  // allows not written to Table Storage: the stack's Azurite runs in this process (see decisionHttp.ts)
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30', CERTGATE_DECISION_LOG_ALLOWS: 'none' },
  { demoPolicies: true },
);
try {
  const headers = forwardedCertificateHeaders(stack);
  const stepsUrl = `${stack.hostUrl}/api/bench-steps`;
  const authorizeUrl = `${stack.hostUrl}/api/authorize`;

  // The steps are authorize's: the same attempt as accessAttemptOf, the same answer as /api/authorize.
  const { HttpRequest, InvocationContext } = azureFunctions;
  const request = new HttpRequest({
    method: 'GET',
    url: authorizeUrl,
    headers: { ...headers, 'x-forwarded-for': '127.0.0.1' },
  });
  const context = new InvocationContext({ functionName: 'bench', invocationId: 'bench-0001', logHandler: () => {} });
  const { attempt, answer } = await steps('check', request, context);
  const services = getServices();
  const expected = accessAttemptOf(request, services.config, attempt.now, attempt.correlationId);
  if (!isDeepStrictEqual(attempt, expected))
    throw new Error('the bench steps no longer make accessAttemptOf’s attempt');
  const viaStepsBody = (await (await fetch(stepsUrl, { headers })).json()) as Record<string, unknown>;
  const viaAuthorizeBody = (await (await fetch(authorizeUrl, { headers })).json()) as Record<string, unknown>;
  const comparable = (body: Record<string, unknown>) => ({ ...body, correlationId: '', decidedAt: '' });
  if (!isDeepStrictEqual(comparable(viaStepsBody), comparable(viaAuthorizeBody)))
    throw new Error(
      `the bench steps answer differently from /api/authorize: ${JSON.stringify(viaStepsBody)} vs ${JSON.stringify(viaAuthorizeBody)}`,
    );
  if (answer.status !== 200) throw new Error(`the request is not allowed (${answer.status}): nothing to measure`);

  await httpLoad(stepsUrl, headers, 1000, concurrency); // warm-up
  timings.reset();
  let requests = 0;
  for (let round = 0; round < rounds; round++)
    requests += (await httpLoad(stepsUrl, headers, seconds * 1000, concurrency)).rps * seconds;
  // The loop: the steps back to back, over and over, on the one request built above, nothing else running.
  const until = performance.now() + Math.max(1000, (seconds * 1000) / 2);
  while (performance.now() < until) await steps('loop', request, context);

  console.log(
    `/api/authorize's steps through the host (wrk, ${concurrency} connections, ${rounds} × ${seconds} s, ${requests.toFixed(0)} requests), each step µs:`,
  );
  console.log('  step                          in host, first   again at once   in a loop   first ÷ loop');
  let firstSum = 0;
  let loopSum = 0;
  for (const step of STEPS) {
    const first = timings.mean(`first|${step}`);
    const again = timings.mean(`again|${step}`);
    const loop = timings.mean(`loop|${step}`);
    firstSum += first;
    loopSum += loop;
    console.log(
      `  ${step.padEnd(28)}  ${first.toFixed(2).padStart(14)}  ${again.toFixed(2).padStart(14)}  ${loop.toFixed(2).padStart(10)}  ${(first / loop).toFixed(1).padStart(12)}`,
    );
  }
  console.log(
    `  ${'all steps'.padEnd(28)}  ${firstSum.toFixed(2).padStart(14)}  ${''.padStart(14)}  ${loopSum.toFixed(2).padStart(10)}  ${(firstSum / loopSum).toFixed(1).padStart(12)}`,
  );
  console.log(
    `  the first pass whole, entry to answer, awaits included: ${timings.mean('handler').toFixed(2)} µs in the host`,
  );
} finally {
  await stack.close();
}
