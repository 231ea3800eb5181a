/**
 * Where a warm decision's time goes: runs the authorize handler in-process (the signed-in shape of
 * bench/decisionHttp.ts: certificate, token, Graph facts cached, a registered app) for a few
 * seconds under the V8 CPU profiler and prints self time by function and by module, ours first.
 * A tool for finding what to cut, not a benchmark: no baseline, no ratios.
 *
 * `--callers <name>` also prints, for the functions whose name starts with `<name>` (a native such
 * as `parse` or `(garbage collector)`), their self time by calling function.
 *
 *   npx tsx bench/profileDecision.ts [--seconds 3] [--shape certificate|signed-in] [--top 30] [--callers NAME]
 */
import azureFunctions from '@azure/functions';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import { printCallers, printSelfTime, profiled } from './cpuProfile.js';

const args = process.argv.slice(2);
const at = (name: string) => args.indexOf(`--${name}`);
const seconds = at('seconds') >= 0 ? Number(args[at('seconds') + 1]) : 3;
const shape = at('shape') >= 0 ? args[at('shape') + 1] : 'signed-in';
const top = at('top') >= 0 ? Number(args[at('top') + 1]) : 30;
const callers = at('callers') >= 0 ? args[at('callers') + 1] : undefined;

const stack = await startEphemeralStack(
  'profile',
  // allows not written to Table Storage: the stack's Azurite runs in this process (see decisionHttp.ts)
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30', CERTGATE_DECISION_LOG_ALLOWS: 'none' },
  { demoPolicies: true },
);
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
  const { result: decisions, profile } = await profiled(() => run(seconds * 1000));
  console.log(`${shape}, ${seconds} s:`);
  printSelfTime(profile, decisions, 'decision', top);
  if (callers !== undefined) printCallers(profile, decisions, 'decision', callers, top);
} finally {
  await stack.close();
}
