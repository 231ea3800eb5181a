/**
 * Cold-start import time: how long a fresh Node process takes to import every function module of
 * the compiled app (what a new Functions worker pays before its first request), side by side with
 * importing `@azure/functions` alone (what any Node function app pays). Median of several runs.
 *
 *   npx tsx bench/coldStart.ts [--runs 7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const app: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push(timeImport(['@azure/functions']));
    app.push(timeImport(functions));
  }
  const a = median(app);
  const b = median(baseline);
  console.log(`cold start (median of ${runs} fresh processes, compiled JS):`);
  console.log(`  import @azure/functions alone     ${b.toFixed(1)} ms`);
  console.log(`  import all ${functions.length} function modules  ${a.toFixed(1)} ms`);
  console.log(`  ratio app ÷ baseline = ${(a / b).toFixed(2)}  (app adds ${(a - b).toFixed(1)} ms)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
