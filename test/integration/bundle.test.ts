/**
 * The deployment bundle (scripts/bundle.ts, `npm run build`): built from `functions/`, it registers
 * exactly the functions and hooks the source registers, with the same triggers, when a worker
 * (here the local host's `@azure/functions-core` stand-in, in a fresh process) imports it; the CRL
 * parser's worker entry sits beside it. What `func start` and the Functions worker load is `main`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleApp, functionModules } from '../../scripts/bundle.js';

const ROOT = join(import.meta.dirname, '../..');
let outdir: string;

/** What a fresh process registers when it imports `modules` behind the stand-in worker. */
function registrations(modules: readonly string[]): unknown {
  const script = `
    const { installFunctionsCore, registeredFunctions } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dev/host/functionsCore.ts')).href)});
    installFunctionsCore();
    for (const m of ${JSON.stringify(modules)}) await import(m);
    console.log(JSON.stringify(registeredFunctions().map((f) => ({ name: f.name, trigger: f.trigger })).sort((a, b) => a.name.localeCompare(b.name))));
  `;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? 'null');
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'certgate-bundle-'));
  await bundleApp(outdir);
}, 60_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('the deployment bundle', () => {
  it('registers the same functions with the same triggers as the source', () => {
    const fromSource = registrations(functionModules().map((path) => pathToFileURL(join(ROOT, path)).href));
    const fromBundle = registrations([pathToFileURL(join(outdir, 'main.js')).href]);
    expect(Array.isArray(fromSource) && fromSource.length).toBeGreaterThanOrEqual(15);
    expect(fromBundle).toEqual(fromSource);
  }, 60_000);

  it('puts the CRL parser worker beside main.js, self-contained', () => {
    const worker = join(outdir, 'crlParseWorker.js');
    expect(existsSync(worker)).toBe(true);
    expect(readFileSync(worker, 'utf8')).not.toMatch(/from ["']\.\/chunks\//);
  });

  it('package.json main is the bundle', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      scripts: Record<string, string>;
    };
    expect(pkg.main).toBe('dist/app/main.js');
    expect(pkg.scripts.build).toContain('scripts/bundle.ts');
  });
});
