/**
 * Cold-start import time: how long a fresh Node process takes to import the app as deployed (the
 * esbuild bundle `main` points at, scripts/bundle.ts) and, for comparison, every function module
 * compiled but unbundled (what a new Functions worker paid before the bundle), side by side with
 * importing `@azure/functions` alone (what any Node function app pays). Median of several runs.
 *
 *   npx tsx bench/coldStart.ts [--runs 7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleApp } from '../scripts/bundle.js';

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
  const modules: number[] = [];
  const bundle: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push(timeImport(['@azure/functions']));
    modules.push(timeImport(functions));
    bundle.push(timeImport(['./app/main.js']));
  }
  const m = median(modules);
  const a = median(bundle);
  const b = median(baseline);
  console.log(`cold start (median of ${runs} fresh processes, compiled JS):`);
  console.log(`  import @azure/functions alone                  ${b.toFixed(1)} ms`);
  console.log(
    `  import the deployment bundle (dist/app/main.js) ${a.toFixed(1)} ms  (${(a / b).toFixed(2)} × baseline)`,
  );
  console.log(
    `  import all ${functions.length} function modules unbundled   ${m.toFixed(1)} ms  (${(m / b).toFixed(2)} × baseline)`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
