/**
 * Warm decisions over HTTP, side by side with a bare handler on the same local host in the same
 * run: requests/s of `/api/authorize` (valid certificate forwarded with the gateway secret, CAs
 * cached) ÷ requests/s of a handler that returns 200 and does nothing. Ratios, not absolute times:
 * the machine is shared and noisy.
 *
 *   npx tsx bench/decisionHttp.ts [--seconds 5] [--concurrency 8]
 */
import azureFunctions, { app } from '@azure/functions';
import { Agent, request } from 'node:http';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { installFunctionsCore } from '../dev/host/functionsCore.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seconds = option('seconds', 5);
const concurrency = option('concurrency', 8);

async function load(url: string, headers: Record<string, string>, durationMs: number): Promise<{ rps: number; statuses: Record<number, number> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<number, number> = {};
  let done = 0;
  const end = performance.now() + durationMs;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return { rps: done / ((performance.now() - started) / 1000), statuses };
}

installFunctionsCore();
app.http('bench-bare', { methods: ['GET'], authLevel: 'anonymous', route: 'bench-bare', handler: () => ({ status: 200, jsonBody: { ok: true } }) });

const stack = await startEphemeralStack('bench', { CERTGATE_CONFIG_REFRESH_SECONDS: '30' }, { demoPolicies: true });
try {
  const headers = {
    'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
  };
  await load(`${stack.hostUrl}/api/authorize`, headers, 1000); // warm-up: JIT, CA cache, verdict cache
  await load(`${stack.hostUrl}/api/bench-bare`, {}, 1000);
  const bare = await load(`${stack.hostUrl}/api/bench-bare`, {}, seconds * 1000);
  const decision = await load(`${stack.hostUrl}/api/authorize`, headers, seconds * 1000);
  const bare2 = await load(`${stack.hostUrl}/api/bench-bare`, {}, seconds * 1000);
  const baseline = (bare.rps + bare2.rps) / 2;
  console.log(`decision over HTTP (warm, concurrency ${concurrency}, ${seconds} s each):`);
  console.log(`  bare handler      ${baseline.toFixed(0)} req/s (runs: ${bare.rps.toFixed(0)}, ${bare2.rps.toFixed(0)})`);
  console.log(`  /api/authorize    ${decision.rps.toFixed(0)} req/s  statuses ${JSON.stringify(decision.statuses)}`);
  console.log(`  ratio authorize ÷ bare = ${(decision.rps / baseline).toFixed(2)}`);
  console.log(`  added per request ≈ ${((1 / decision.rps - 1 / baseline) * 1e6).toFixed(0)} µs of event-loop time`);
  // In-process: the handler alone, fed a real HttpRequest, against a bare handler fed the same.
  const { authorize } = await import('../functions/authorize.js');
  const { HttpRequest, InvocationContext } = azureFunctions;
  const quiet = () => undefined;
  const makeRequest = () => new HttpRequest({ method: 'GET', url: `${stack.hostUrl}/api/authorize`, headers: { ...headers, 'x-forwarded-for': '127.0.0.1' } });
  const context = new InvocationContext({ functionName: 'authorize', invocationId: 'bench-0001', logHandler: quiet });
  const bareHandler = (request: InstanceType<typeof HttpRequest>) => Promise.resolve({ status: 200, jsonBody: { ok: request.method } });
  const time = async (fn: () => Promise<unknown>, ms: number) => {
    const until = performance.now() + ms;
    let n = 0;
    const started = performance.now();
    while (performance.now() < until) {
      await fn();
      n++;
    }
    return (performance.now() - started) / n;
  };
  // Signed in: dave (a nested Finance member, no groups claim: memberships from Graph) on the dev
  // device (its compliance from Graph), so the demo policies' group and device conditions need
  // directory data, all of it cached after the warm-up.
  const daveToken = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
  const signedInHeaders = {
    'x-client-certificate': encodeURIComponent(stack.pki.users.device!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    authorization: `Bearer ${daveToken}`,
    'x-forwarded-for': '127.0.0.1',
  };
  const makeSignedInRequest = () => new HttpRequest({ method: 'GET', url: `${stack.hostUrl}/api/authorize?app=contoso-portal`, headers: signedInHeaders });
  await time(() => authorize(makeRequest(), context), 500);
  await time(() => authorize(makeSignedInRequest(), context), 500);
  stack.graph.reset();
  // Each shape against a bare handler fed the same request (the signed-in one carries a ~1 KB token).
  const bareUs = (await time(() => bareHandler(makeRequest()), seconds * 1000)) * 1000;
  const authorizeUs = (await time(() => authorize(makeRequest(), context), seconds * 1000)) * 1000;
  const bareSignedInUs = (await time(() => bareHandler(makeSignedInRequest()), seconds * 1000)) * 1000;
  const signedInUs = (await time(() => authorize(makeSignedInRequest(), context), seconds * 1000)) * 1000;
  const sample = await authorize(makeSignedInRequest(), context);
  console.log('decision in-process (warm: CAs, CRLs, verdict, the 8 demo policies and Graph data cached; HttpRequest built each time):');
  console.log(`  certificate only:            bare handler ${bareUs.toFixed(1)} µs, authorize ${authorizeUs.toFixed(1)} µs: the decision adds ${(authorizeUs - bareUs).toFixed(1)} µs`);
  console.log(`  signed in + device (Graph):  bare handler ${bareSignedInUs.toFixed(1)} µs, authorize ${signedInUs.toFixed(1)} µs: the decision adds ${(signedInUs - bareSignedInUs).toFixed(1)} µs (status ${sample.status}, Graph calls while measuring: ${stack.graph.calls().total})`);
} finally {
  await stack.close();
}
