/**
 * Warm decisions, side by side with baselines measured in the same run (ratios, not absolute
 * times: the machine is shared and noisy):
 *  - over HTTP: requests/s of `/api/authorize` through the local Functions host (a valid
 *    certificate forwarded with the gateway secret for a registered app's host: CAs, verdict,
 *    policies cached) ÷ a bare `@azure/functions` handler through the same host, and ÷ a bare
 *    `node:http` JSON handler. Load from `wrk` when it is installed (apt-get install wrk), else from
 *    an in-process Node client (which shares the CPU, so its figures are lower; the output says which).
 *    A fourth target separates the cost of authorize's bigger answer from the cost of deciding: an
 *    answer-shaped bare handler through the host (`api/bench-answer`), which returns authorize's
 *    own allow answer, captured once (its status, the headers the handler sets, the same JSON as
 *    `jsonBody`, serialized per request as authorize's is), without deciding anything;
 *    answer-shaped bare ÷ bare is what the bigger answer costs, authorize ÷ answer-shaped bare what
 *    the decision does. A fifth, the trust boundary + answer (`api/bench-intake`), reads the attempt
 *    as authorize does (gateway proof, certificate header, client context) and returns the same
 *    captured answer without deciding: a ceiling for authorize ÷ bare, since authorize does that
 *    and decides;
 *  - in-process: the authorize handler fed a real HttpRequest, per decision p50 / p99 and the
 *    bytes allocated, against a bare handler fed the same request; certificate only, and signed in
 *    with Graph facts cached (the 9 demo policies' group and device conditions).
 *
 * The decision log's allows are not written to Table Storage (CERTGATE_DECISION_LOG_ALLOWS=none,
 * `--log-allows all` to write them): the local stack's Azurite runs in this process and would
 * measure its own table transactions; `record()` and the log line are still on the measured path.
 *
 * All five HTTP targets get the same request (the forwarded certificate, the gateway secret, the
 * app's host), so the ratios compare what answering costs, not what the request carries; with wrk
 * each also reports this process's CPU time per request (user + system, every thread), which a busy
 * neighbour on the shared machine sways far less than requests per second. `--http-only` skips the
 * in-process half; `--profile` runs `/api/authorize` once more under the V8 CPU profiler and prints
 * self time per request (see bench/profileHost.ts for the host alone).
 *
 *   npx tsx bench/decisionHttp.ts [--seconds 5] [--concurrency 50] [--log-allows none|all|<rate>] [--http-only]
 *                                 [--profile]
 */
import azureFunctions, { app, type HttpResponseInit } from '@azure/functions';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GCProfiler } from 'node:v8';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { accessAttemptOf } from '../shared/access/requestAttempt.js';
import { getServices } from '../shared/composition.js';
import { correlationIdOf } from '../shared/http/correlationId.js';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import { installFunctionsCore } from '../dev/host/functionsCore.js';
import { printSelfTime, profiled } from './cpuProfile.js';
import { hasWrk, httpLoad, type Load } from './httpLoad.js';
import { numberOption } from '../dev/commandLine.js';
import { forwardedCertificateHeaders } from './forwardedCertificate.js';

const args = process.argv.slice(2);
const seconds = numberOption('seconds', 5);
const concurrency = numberOption('concurrency', 50);
const logAllows = args.includes('--log-allows') ? (args[args.indexOf('--log-allows') + 1] ?? 'none') : 'none';

/** A load run and this process's CPU time per request in µs (with wrk, the load generator is another process). */
type Measured = Load & { readonly cpuMicros: number };

async function load(url: string, headers: Record<string, string>, durationMs: number): Promise<Measured> {
  const before = process.cpuUsage();
  const result = await httpLoad(url, headers, durationMs, concurrency);
  const used = process.cpuUsage(before);
  return { ...result, cpuMicros: (used.user + used.system) / (result.rps * (durationMs / 1000)) };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** Per-call durations (µs) and bytes allocated per call (from the GC profiler's heap figures). */
async function measure(
  fn: () => Promise<unknown>,
  ms: number,
): Promise<{ p50: number; p99: number; mean: number; bytesPerCall: number }> {
  const durations: number[] = [];
  const profiler = new GCProfiler();
  profiler.start();
  const heapBefore = process.memoryUsage().heapUsed;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const started = performance.now();
    await fn();
    durations.push((performance.now() - started) * 1000);
  }
  const heapAfter = process.memoryUsage().heapUsed;
  const stats = profiler.stop();
  // Allocated = what each GC found used (minus what the previous one left) + the growth since the last one.
  let allocated = 0;
  let previous = heapBefore;
  for (const gc of stats.statistics) {
    allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - previous);
    previous = gc.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += Math.max(0, heapAfter - previous);
  durations.sort((a, b) => a - b);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  return {
    p50: percentile(durations, 0.5),
    p99: percentile(durations, 0.99),
    mean,
    bytesPerCall: allocated / durations.length,
  };
}

installFunctionsCore();
app.http('bench-bare', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-bare',
  handler: () => ({ status: 200, jsonBody: { ok: true } }),
});

/** Answer headers the host (or the transport) sets, not the handler: not part of the captured answer. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** /api/authorize's allow answer as its handler returned it, captured once the stack is up. */
let authorizeAnswer: { status: number; headers: Record<string, string>; jsonBody: unknown } | undefined;
app.http('bench-answer', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-answer',
  handler: (): HttpResponseInit =>
    authorizeAnswer ? { ...authorizeAnswer, headers: { ...authorizeAnswer.headers } } : { status: 503 },
});

/**
 * The trust boundary alone: what authorize reads before deciding anything (correlation id, services, the
 * attempt: gateway proof, certificate header, client context, app hint), as authorize reads it, then the
 * captured allow answer. Its ratio to the bare handler bounds authorize's: authorize does all this and decides.
 */
app.http('bench-intake', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-intake',
  handler: (request, context): HttpResponseInit => {
    const correlationId = correlationIdOf(request, context.invocationId);
    const services = getServices();
    const attempt = accessAttemptOf(request, services.config, services.clock.now(), correlationId);
    if (!authorizeAnswer || attempt.intake.kind !== 'present') return { status: 503 };
    return { ...authorizeAnswer, headers: { ...authorizeAnswer.headers } };
  },
});

/** Captures the allow answer `url` gives `headers` (status, the handler's headers, the JSON body). */
async function captureAnswer(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const answer = await fetch(url, { headers });
  const body = await answer.text();
  if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}, not an allow: ${body}`);
  const kept = [...answer.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name));
  return { status: answer.status, headers: Object.fromEntries(kept), body };
}

const bareNode = createServer((_req, res) => {
  const body = JSON.stringify({ ok: true });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise<void>((resolve) => bareNode.listen(0, '127.0.0.1', resolve));
const bareNodeUrl = `http://127.0.0.1:${(bareNode.address() as AddressInfo).port}/`;

const stack = await startEphemeralStack(
  'bench',
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30', CERTGATE_DECISION_LOG_ALLOWS: logAllows },
  { demoPolicies: true },
);
try {
  const headers = forwardedCertificateHeaders(stack);
  const authorizeUrl = `${stack.hostUrl}/api/authorize`;
  const bareUrl = `${stack.hostUrl}/api/bench-bare`;
  const answerUrl = `${stack.hostUrl}/api/bench-answer`;
  const captured = await captureAnswer(authorizeUrl, headers);
  authorizeAnswer = { status: captured.status, headers: captured.headers, jsonBody: JSON.parse(captured.body) };
  const replayed = await captureAnswer(answerUrl, headers);
  if (JSON.stringify(replayed) !== JSON.stringify(captured))
    throw new Error(`the answer-shaped handler's answer differs from authorize's: ${JSON.stringify(replayed)}`);
  // The trust boundary's yardstick answers the same: it reads the attempt as authorize does (gateway proof,
  // certificate header, client context), decides nothing, and returns the captured answer.
  const intakeUrl = `${stack.hostUrl}/api/bench-intake`;
  const viaIntake = await captureAnswer(intakeUrl, headers);
  if (JSON.stringify(viaIntake) !== JSON.stringify(captured))
    throw new Error(`the trust-boundary handler's answer differs from authorize's: ${JSON.stringify(viaIntake)}`);
  const targets = [
    { name: 'bare node:http                    ', url: bareNodeUrl },
    { name: 'bare @azure/functions via the host', url: bareUrl },
    { name: 'answer-shaped bare via the host   ', url: answerUrl },
    { name: 'trust boundary + answer via host  ', url: intakeUrl },
    { name: '/api/authorize via the host       ', url: authorizeUrl },
  ];
  for (const target of targets) await load(target.url, headers, 1000); // warm-up: JIT, CA cache, verdict cache
  const runs = targets.map((): Measured[] => []);
  for (let round = 0; round < 2; round++)
    for (const [index, target] of targets.entries()) runs[index]!.push(await load(target.url, headers, seconds * 1000));
  const mean = (index: number, pick: (run: Measured) => number) =>
    runs[index]!.reduce((sum, run) => sum + pick(run), 0) / runs[index]!.length;
  const rps = targets.map((_, index) => mean(index, (run) => run.rps));
  const cpuMicros = targets.map((_, index) => mean(index, (run) => run.cpuMicros));
  const p99 = targets.map((_, index) => mean(index, (run) => run.p99Ms ?? Number.NaN));
  const [NODE, BARE, ANSWER, INTAKE, AUTHORIZE] = [0, 1, 2, 3, 4] as const;
  console.log(`decision log allows written to Table Storage: ${logAllows}`);
  console.log(
    `decision over HTTP (warm, ${hasWrk ? `wrk, ${concurrency} connections` : 'in-process Node client (wrk not installed)'}, ${seconds} s each, 2 interleaved rounds, the same request to each):`,
  );
  for (const [index, target] of targets.entries()) {
    const non2xx = runs[index]!.reduce((sum, run) => sum + run.non2xx, 0);
    const cpu = hasWrk
      ? `, ${cpuMicros[index]!.toFixed(0).padStart(4)} µs CPU/request, p99 ${p99[index]!.toFixed(2)} ms`
      : '';
    const extra =
      index === ANSWER
        ? `; authorize's allow answer: ${Object.keys(captured.headers).join(', ')}, ${Buffer.byteLength(captured.body)}-byte body`
        : '';
    console.log(`  ${target.name} ${rps[index]!.toFixed(0).padStart(6)} req/s${cpu}  (non-2xx: ${non2xx}${extra})`);
  }
  const ratio = (label: string, of: number, to: number, note = ''): void => {
    console.log(
      `  ratio ${label.padEnd(40)} = ${(rps[of]! / rps[to]!).toFixed(2)}` +
        `${hasWrk ? `; by CPU per request ${(cpuMicros[to]! / cpuMicros[of]!).toFixed(2)}` : ''}${note}`,
    );
  };
  ratio('authorize ÷ bare functions handler', AUTHORIZE, BARE);
  ratio('authorize ÷ bare node:http', AUTHORIZE, NODE);
  ratio('answer-shaped bare ÷ bare', ANSWER, BARE, "  (the bigger answer's cost)");
  ratio('trust boundary + answer ÷ bare', INTAKE, BARE, '  (a ceiling for authorize ÷ bare: nothing decided yet)');
  ratio('authorize ÷ answer-shaped bare', AUTHORIZE, ANSWER, "  (deciding's cost)");
  if (args.includes('--profile')) {
    const { result, profile } = await profiled(() => load(authorizeUrl, headers, seconds * 1000));
    console.log(`/api/authorize under the CPU profiler: ${result.rps.toFixed(0)} req/s`);
    printSelfTime(profile, Math.round(result.rps * seconds), 'request', 40);
  }
  if (args.includes('--http-only')) {
    await stack.close();
    bareNode.close();
    process.exit(0);
  }
  // In-process: the handler alone, fed a real HttpRequest, against a bare handler fed the same.
  const { authorize } = await import('../functions/authorize.js');
  const { HttpRequest, InvocationContext } = azureFunctions;
  const quiet = () => undefined;
  const makeRequest = () =>
    new HttpRequest({ method: 'GET', url: authorizeUrl, headers: { ...headers, 'x-forwarded-for': '127.0.0.1' } });
  const context = new InvocationContext({ functionName: 'authorize', invocationId: 'bench-0001', logHandler: quiet });
  const bareHandler = (request: InstanceType<typeof HttpRequest>) =>
    Promise.resolve({ status: 200, jsonBody: { ok: request.method } });
  // Signed in: dave (a nested Finance member, no groups claim: memberships from Graph) on the dev
  // device (its compliance from Graph), so the demo policies' group and device conditions need
  // directory data, all of it cached after the warm-up.
  const daveToken = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
  const signedInHeaders = {
    'x-client-certificate': encodeURIComponent(stack.pki.users.device!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    'x-forwarded-host': CONTOSO_PORTAL_HOST,
    authorization: `Bearer ${daveToken}`,
    'x-forwarded-for': '127.0.0.1',
  };
  const makeSignedInRequest = () => new HttpRequest({ method: 'GET', url: authorizeUrl, headers: signedInHeaders });
  await measure(() => authorize(makeRequest(), context), 500);
  await measure(() => authorize(makeSignedInRequest(), context), 500);
  stack.graph.reset();
  const shapes = [
    { name: 'certificate only          ', make: makeRequest },
    { name: 'signed in + device (Graph)', make: makeSignedInRequest },
  ];
  console.log(
    'decision in-process (warm: CAs, CRLs, verdict, the demo policies and Graph data cached; HttpRequest built each time):',
  );
  for (const shape of shapes) {
    const bare = await measure(() => bareHandler(shape.make()), seconds * 1000);
    const decided = await measure(() => authorize(shape.make(), context), seconds * 1000);
    const sample = await authorize(shape.make(), context);
    const body = sample.jsonBody as { reasons?: string[]; app?: unknown };
    console.log(
      `  ${shape.name}: bare p50 ${bare.p50.toFixed(1)} µs; authorize p50 ${decided.p50.toFixed(1)} µs, p99 ${decided.p99.toFixed(1)} µs, mean ${decided.mean.toFixed(1)} µs; ` +
        `the decision adds p50 ${(decided.p50 - bare.p50).toFixed(1)} µs, ${((decided.bytesPerCall - bare.bytesPerCall) / 1024).toFixed(1)} KiB allocated (status ${sample.status}, ${JSON.stringify(body.reasons)}, app ${JSON.stringify(body.app)})`,
    );
  }
  console.log(`  Graph calls while measuring: ${stack.graph.calls().total}`);
} finally {
  await stack.close();
  bareNode.close();
}
