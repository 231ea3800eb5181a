/**
 * Where a warm decision's time goes: runs the authorize handler in-process (the signed-in shape of
 * bench/decisionHttp.ts: certificate, token, Graph facts cached, a registered app) for a few
 * seconds under the V8 CPU profiler and prints self time by function and by module, ours first.
 * A tool for finding what to cut, not a benchmark: no baseline, no ratios.
 *
 *   npx tsx bench/profileDecision.ts [--seconds 3] [--shape certificate|signed-in]
 */
import azureFunctions from '@azure/functions';
import { Session } from 'node:inspector/promises';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';

const args = process.argv.slice(2);
const at = (name: string) => args.indexOf(`--${name}`);
const seconds = at('seconds') >= 0 ? Number(args[at('seconds') + 1]) : 3;
const shape = at('shape') >= 0 ? args[at('shape') + 1] : 'signed-in';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const stack = await startEphemeralStack('profile', { CERTGATE_CONFIG_REFRESH_SECONDS: '30' }, { demoPolicies: true });
try {
  const { authorize } = await import('../functions/authorize.js');
  const { HttpRequest, InvocationContext } = azureFunctions;
  const token = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
  const headers: Record<string, string> = {
    'x-client-certificate': encodeURIComponent(stack.pki.users[shape === 'signed-in' ? 'device' : 'alice']!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    'x-forwarded-host': CONTOSO_PORTAL_HOST,
    'x-forwarded-for': '127.0.0.1',
    ...(shape === 'signed-in' ? { authorization: `Bearer ${token}` } : {}),
  };
  const context = new InvocationContext({
    functionName: 'authorize',
    invocationId: 'profile-0001',
    logHandler: () => undefined,
  });
  const run = async (ms: number) => {
    const until = performance.now() + ms;
    let n = 0;
    while (performance.now() < until) {
      await authorize(new HttpRequest({ method: 'GET', url: `${stack.hostUrl}/api/authorize`, headers }), context);
      n++;
    }
    return n;
  };
  await run(1000);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const decisions = await run(seconds * 1000);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    if (!node) return;
    total += delta;
    const module =
      node.callFrame.url
        .replace(/^.*\/node_modules\//, 'npm:')
        .replace(/^.*\/work\/[^/]+\//, '')
        .replace(/^file:\/\/.*\/(shared|functions|dev)\//, '$1/') || '(native)';
    const name = `${node.callFrame.functionName || '(anonymous)'} ${module}:${node.callFrame.lineNumber + 1}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    selfByModule.set(module, (selfByModule.get(module) ?? 0) + delta);
  });
  const perDecisionUs = (part: number) => part / decisions;
  console.log(
    `${decisions} decisions (${shape}) in ${seconds} s: ${perDecisionUs(total).toFixed(1)} µs of samples per decision`,
  );
  console.log('self time by module, µs per decision:');
  for (const [module, time] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`  ${perDecisionUs(time).toFixed(2).padStart(7)}  ${module}`);
  console.log('self time by function, µs per decision:');
  for (const [name, time] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`  ${perDecisionUs(time).toFixed(2).padStart(7)}  ${name}`);
} finally {
  await stack.close();
}
