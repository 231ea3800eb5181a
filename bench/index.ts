/**
 * `npm run bench`: every benchmark, one fresh process each, in sequence. Each prints its figures
 * next to a baseline measured in the same run; nothing here asserts a timing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches = [
  'validation.ts',
  'warmValidation.ts',
  'crlRefresh.ts',
  'ocsp.ts',
  'decisionHttp.ts',
  'decisionLog.ts',
  'graphCalls.ts',
  'graphThrottle.ts',
  'coldStart.ts',
  'alertOutbox.ts',
  'gate.ts',
  'sessionControls.ts',
];
const only = process.argv[2];
for (const bench of benches) {
  if (only && !bench.startsWith(only)) continue;
  const path = fileURLToPath(new URL(bench, import.meta.url));
  if (!existsSync(path)) continue;
  console.log(`\n== bench/${bench}`);
  execFileSync(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit' });
}
