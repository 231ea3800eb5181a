/**
 * Cold start, in fresh Node processes (median of several runs), side by side with importing
 * `@azure/functions` alone (what any Node function app pays):
 *  - import: how long importing the app as deployed takes (the esbuild bundle `main` points at,
 *    scripts/bundle.ts), and every function module compiled but unbundled (what a new Functions
 *    worker paid before the bundle);
 *  - first decision: what a fresh worker pays before its first `/api/authorize` answer. The bundle
 *    is imported behind the local host's `@azure/functions-core` stand-in (dev/host/functionsCore.ts,
 *    bundled beside it), the `appStart` hooks run as the worker runs them once the app is loaded
 *    (services built, the request path's chunks loaded), then the registered authorize handler
 *    decides one request: a valid client certificate forwarded with the gateway secret for a
 *    registered app, against a local stack (Azurite, the demo policies) started once by this bench.
 *    Nothing is cached in the child: it reads the trusted CAs and policies from storage, as a new
 *    worker does. Printed as import / appStart / first decision, and their sum.
 *
 *   npx tsx bench/coldStart.ts [--runs 7]          (on Node 22: <node22> --import tsx bench/coldStart.ts)
 */
import { build } from 'esbuild';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startEphemeralStack } from '../dev/stack.js';
import { bundleApp } from '../scripts/bundle.js';
import { forwardedCertificateHeaders } from './forwardedCertificate.js';

/**
 * The import-only child runs in a scratch folder where the npm scripts' relative NODE_EXTRA_CA_CERTS does not resolve;
 * it needs no extra CA.
 */
function withoutExtraCa(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...rest } = env;
  return rest;
}

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args[at + 1]) : 7;
const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'certgate-cold-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timeImport(modules: string[]): number {
  const script = `const t = performance.now(); for (const m of ${JSON.stringify(modules)}) await import(m); console.log(performance.now() - t);`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: out,
    encoding: 'utf8',
    env: { ...withoutExtraCa(process.env), NODE_NO_WARNINGS: '1' },
  });
  return Number(output.trim().split('\n').at(-1));
}

interface FirstDecision {
  readonly importMs: number;
  readonly appStartMs: number;
  readonly decisionMs: number;
  readonly status: number;
  readonly decision: string;
}

/**
 * A fresh process: the bundle imported behind the functions-core stand-in, its appStart hooks run, one authorize
 * request decided. `@azure/functions` for the request object is imported between the hooks and the request, off the
 * clock (the bundle carries its own copy; the host builds the request in its own code).
 */
async function timeFirstDecision(headers: Record<string, string>, url: string): Promise<FirstDecision> {
  const script = `
    const { installFunctionsCore, registeredFunctions, runAppStartHooks } = await import('./functionsCore.js');
    installFunctionsCore();
    const t0 = performance.now();
    await import('./app/main.js');
    const t1 = performance.now();
    await runAppStartHooks();
    const t2 = performance.now();
    const { HttpRequest, InvocationContext } = (await import('@azure/functions')).default;
    const request = new HttpRequest({ method: 'GET', url: ${JSON.stringify(url)}, headers: ${JSON.stringify(headers)} });
    const context = new InvocationContext({ functionName: 'authorize', invocationId: 'cold-start-0001', logHandler: () => {} });
    const authorize = registeredFunctions().find((f) => f.name === 'authorize').handler;
    const t3 = performance.now();
    const response = await authorize(request, context);
    const t4 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, appStartMs: t2 - t1, decisionMs: t4 - t3, status: response.status ?? 200, decision: [response.jsonBody?.decision, ...(response.jsonBody?.reasons ?? [])].join(' ') }));
    process.exit(0);
  `;
  // A file, not --eval: the CRL parser's worker thread would inherit --input-type. Not execFileSync: the stack's
  // Azurite answers from this process.
  writeFileSync(join(out, 'firstDecision.mjs'), script);
  const { stdout: output } = await promisify(execFile)(process.execPath, [join(out, 'firstDecision.mjs')], {
    cwd: out,
    encoding: 'utf8',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(root, 'dev/graph/tls/ca.crt'), NODE_NO_WARNINGS: '1' },
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as FirstDecision;
}

try {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      join(out, 'dist'),
    ],
    { stdio: 'inherit' },
  );
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0-bench' }));
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
  const functions = readdirSync(join(out, 'dist/functions'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => `./dist/functions/${f}`);
  await bundleApp(join(out, 'app'));
  await build({
    entryPoints: [join(root, 'dev/host/functionsCore.ts')],
    outfile: join(out, 'functionsCore.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  const modules: number[] = [];
  const bundle: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push(timeImport(['@azure/functions']));
    modules.push(timeImport(functions));
    bundle.push(timeImport([pathToFileURL(join(out, 'app/main.js')).href]));
  }
  const m = median(modules);
  const a = median(bundle);
  const b = median(baseline);
  console.log(`cold start (median of ${runs} fresh processes, compiled JS, Node ${process.versions.node}):`);
  console.log(`  import @azure/functions alone                  ${b.toFixed(1)} ms`);
  console.log(
    `  import the deployment bundle (dist/app/main.js) ${a.toFixed(1)} ms  (${(a / b).toFixed(2)} × baseline)`,
  );
  console.log(
    `  import all ${functions.length} function modules unbundled   ${m.toFixed(1)} ms  (${(m / b).toFixed(2)} × baseline)`,
  );

  // The first decision: a local stack (its settings go into process.env, which the children inherit).
  const stack = await startEphemeralStack(
    'coldstart',
    { CERTGATE_DECISION_LOG_ALLOWS: 'none' },
    { demoPolicies: true },
  );
  try {
    const headers = { ...forwardedCertificateHeaders(stack), 'x-forwarded-for': '127.0.0.1' };
    const url = `${stack.hostUrl}/api/authorize`;
    const firsts: FirstDecision[] = [];
    for (let i = 0; i < runs; i++) firsts.push(await timeFirstDecision(headers, url));
    const pick = (f: (r: FirstDecision) => number) => median(firsts.map(f));
    const total = pick((r) => r.importMs + r.appStartMs + r.decisionMs);
    const answers = [...new Set(firsts.map((r) => `${String(r.status)} ${r.decision}`))].join(', ');
    console.log(`first /api/authorize decision in a fresh process (median of ${runs}; answered ${answers}):`);
    console.log(
      `  import ${pick((r) => r.importMs).toFixed(1)} ms + appStart hooks ${pick((r) => r.appStartMs).toFixed(1)} ms + first decision ${pick((r) => r.decisionMs).toFixed(1)} ms`,
    );
    console.log(
      `  = ${total.toFixed(1)} ms until the first answer  (${(total / b).toFixed(2)} × @azure/functions alone)`,
    );
  } finally {
    await stack.close();
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
