/**
 * Where a request's time goes through the local Functions host (dev/host/server.ts): wrk drives
 * `/api/authorize` (the warm certificate shape of bench/decisionHttp.ts) or a bare
 * `@azure/functions` handler through the host, in this process, under the V8 CPU profiler; prints
 * self time per request by module and by function. Needs wrk (apt-get install wrk). A tool for
 * finding what to cut in the host shim and the request path, not a benchmark.
 *
 *   npx tsx bench/profileHost.ts [--seconds 4] [--target authorize|bare] [--top 30]
 */
import { app } from '@azure/functions';
import { execFile } from 'node:child_process';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import { installFunctionsCore } from '../dev/host/functionsCore.js';
import { startEphemeralStack } from '../dev/stack.js';
import { printSelfTime, profiled } from './cpuProfile.js';

const args = process.argv.slice(2);
const at = (name: string) => args.indexOf(`--${name}`);
const seconds = at('seconds') >= 0 ? Number(args[at('seconds') + 1]) : 4;
const target = at('target') >= 0 ? args[at('target') + 1] : 'authorize';
const top = at('top') >= 0 ? Number(args[at('top') + 1]) : 30;

/** Runs wrk (one thread, 50 connections); resolves with the requests it completed. */
function wrk(url: string, headers: Record<string, string>, durationSeconds: number): Promise<number> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c50', `-d${durationSeconds}s`, ...headerArgs, url], (error: Error | null, stdout) => {
      if (error) reject(error);
      else resolve(Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN));
    });
  });
}

installFunctionsCore();
app.http('bench-bare', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-bare',
  handler: () => ({ status: 200, jsonBody: { ok: true } }),
});
const stack = await startEphemeralStack(
  'profile',
  // allows not written to Table Storage: the stack's Azurite runs in this process (see decisionHttp.ts)
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30', CERTGATE_DECISION_LOG_ALLOWS: 'none' },
  { demoPolicies: true },
);
try {
  const headers: Record<string, string> =
    target === 'bare'
      ? {}
      : {
          'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem),
          [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
          'x-forwarded-host': CONTOSO_PORTAL_HOST,
        };
  const url = `${stack.hostUrl}/api/${target === 'bare' ? 'bench-bare' : 'authorize'}`;
  await wrk(url, headers, 1);
  const { result: requests, profile } = await profiled(() => wrk(url, headers, seconds));
  console.log(`${target} through the host, wrk 50 connections, ${seconds} s:`);
  printSelfTime(profile, requests, 'request', top);
} finally {
  await stack.close();
}
