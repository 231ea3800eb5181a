/**
 * `npm run bench`: every benchmark, one fresh process each, in sequence. Each prints its figures
 * next to a baseline measured in the same run; nothing here asserts a timing. They run on the
 * project compiled to JavaScript (bench/compiled.ts: not under tsx, whose `keepNames` adds a call per
 * closure created), with the Node that runs this script; `coldStart` runs from the sources, as it
 * builds and times the deployment bundle itself.
 *
 *   npm run bench [-- <name prefix> [the bench's own options]]
 *   e.g. npm run bench -- decisionHttp --seconds 4
 *   on Node 22: NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt <node22> --import tsx bench/index.ts [...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileForBench } from './compiled.js';

/** Benchmarks that run from the TypeScript sources (they build what they measure). */
const FROM_SOURCES = new Set(['coldStart.ts']);

const benches = [
  'validation.ts',
  'warmValidation.ts',
  'crlRefresh.ts',
  'ocsp.ts',
  'decisionHttp.ts',
  'decisionSteps.ts',
  'decisionLog.ts',
  'graphCalls.ts',
  'graphThrottle.ts',
  'coldStart.ts',
  'alertOutbox.ts',
  'gate.ts',
  'sessionControls.ts',
];
const [only, ...options] = process.argv.slice(2);
const selected = benches.filter(
  (bench) => (!only || bench.startsWith(only)) && existsSync(fileURLToPath(new URL(bench, import.meta.url))),
);
const compiled = selected.some((bench) => !FROM_SOURCES.has(bench)) ? await compileForBench() : undefined;
for (const bench of selected) {
  console.log(
    `\n== bench/${bench} (Node ${process.version}${FROM_SOURCES.has(bench) ? ', from the sources' : ', compiled'})`,
  );
  const args =
    compiled && !FROM_SOURCES.has(bench)
      ? [join(compiled, 'bench', bench.replace(/\.ts$/, '.js'))]
      : ['--import', 'tsx', fileURLToPath(new URL(bench, import.meta.url))];
  execFileSync(process.execPath, [...args, ...options], { stdio: 'inherit' });
}
