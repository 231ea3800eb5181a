/**
 * The deployment bundle (scripts/bundle.ts, `npm run build`): built from `functions/`, it registers
 * exactly the functions and hooks the source registers, with the same triggers, when a worker
 * (here the local host's `@azure/functions-core` stand-in, in a fresh process) imports it; the CRL
 * parser's worker entry sits beside it. What `func start` and the Functions worker load is `main`.
 * What importing it evaluates (main.js and the chunks it imports statically, from esbuild's
 * metafile) is `@azure/functions` and the registrations: the SDKs, zod, the Graph client, the
 * composition root and the decision path are chunks loaded at start or on first use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metafile } from 'esbuild';
import { bundleApp, eagerInputs, functionModules } from '../../scripts/bundle.js';

const ROOT = join(import.meta.dirname, '../..');
let outdir: string;
let metafile: Metafile;

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
  ({ metafile } = await bundleApp(outdir));
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

  it('evaluates at import only @azure/functions and the registrations, not the packages and modules loaded on first use', () => {
    const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    const eager = [...eagerInputs(metafile).files];
    const functionsPackage = JSON.parse(
      readFileSync(join(ROOT, 'node_modules/@azure/functions/package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    const allowed = new Set(['@azure/functions', ...Object.keys(functionsPackage.dependencies ?? {})]);
    expect([...new Set(eager.map(packageOf).filter((name) => name !== undefined && !allowed.has(name)))]).toEqual([]);
    const lazy = [
      'shared/composition.ts',
      'shared/config.ts',
      'shared/access/decideAccess.ts',
      'shared/gate/gateRequest.ts',
      'shared/adapters/storageClients.ts',
      'shared/adapters/graphDirectory.ts',
      'shared/trust/caAdmission.ts',
      'shared/telemetry/startTelemetry.ts',
    ];
    expect(eager.filter((input) => lazy.includes(input))).toEqual([]);
    // Not vacuous: the bundle holds them all, in chunks.
    const everything = new Set(Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs)));
    const bundledPackages = new Set([...everything].map(packageOf));
    for (const name of [
      '@azure/data-tables',
      '@azure/storage-blob',
      '@azure/identity',
      '@azure/eventgrid',
      '@microsoft/microsoft-graph-client',
      'zod',
      'asn1js',
      'jose',
      '@opentelemetry/api',
    ])
      expect(bundledPackages.has(name), name).toBe(true);
    for (const input of lazy) expect(everything.has(input), input).toBe(true);
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
