/**
 * Bundles the function app for deployment: every module in `functions/` (each registers itself,
 * as the Functions host loads `main`) and what they import, npm packages included, into
 * `dist/app/main.js` plus the chunks their dynamic imports load. A function module imports
 * statically only what registering it needs (`@azure/functions`); its handler's modules, the
 * composition root and the SDKs behind it come from `onFirstUse` (shared/onFirstUse.ts), each
 * dynamic import a chunk here, loaded by the `appStart` hooks or on first use. So what the host
 * imports before it serves is `@azure/functions` and the registrations (`eagerInputs`; a test keeps
 * it so). `@azure/functions-core` stays external: the Functions worker provides it at run time.
 *
 *   npx tsx scripts/bundle.ts [--outdir dist/app]
 */
import { build, type BuildOptions, type BuildResult, type Metafile } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The function modules, in a stable order (the order the host would register them in). */
export function functionModules(root: string = ROOT): string[] {
  return readdirSync(join(root, 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `./functions/${name}`);
}

const COMMON: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  external: ['@azure/functions-core'],
  // Some bundled packages are CommonJS that call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __certgateCreateRequire } from 'node:module'; const require = __certgateCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

/**
 * What importing `main.js` evaluates: the source files in main.js and in the chunks it imports
 * statically (not those behind a dynamic import), as esbuild's metafile names them.
 */
export function eagerInputs(metafile: Metafile): { readonly files: ReadonlySet<string>; readonly bytes: number } {
  const main = Object.keys(metafile.outputs).find((path) => path.endsWith('/main.js') || path === 'main.js');
  const outputs = new Set<string>();
  for (const pending = main ? [main] : []; pending.length > 0;) {
    const path = pending.pop()!;
    if (outputs.has(path)) continue;
    outputs.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
  }
  const files = new Set([...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {})));
  const bytes = [...outputs].reduce((sum, path) => sum + (metafile.outputs[path]?.bytes ?? 0), 0);
  return { files, bytes };
}

/** Bundles the app into `outdir`; returns esbuild's result (for main.js and its chunks) with its metafile. */
export async function bundleApp(outdir: string, root: string = ROOT): Promise<BuildResult<{ metafile: true }>> {
  // The CRL parser's worker thread loads its own entry, self-contained, beside main.js.
  await build({ ...COMMON, entryPoints: [join(root, 'shared/trust/crlParseWorker.ts')], outdir, splitting: false });
  return build({
    ...COMMON,
    stdin: {
      contents: functionModules(root)
        .map((path) => `import '${path}';`)
        .join('\n'),
      resolveDir: root,
      sourcefile: 'main.ts',
      loader: 'ts',
    },
    outdir,
    entryNames: 'main',
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const outdir = resolve(ROOT, at >= 0 ? (process.argv[at + 1] ?? 'dist/app') : 'dist/app');
  const result = await bundleApp(outdir);
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
  const eager = eagerInputs(result.metafile);
  console.log(
    `bundled ${functionModules().length} function modules into ${outdir}/main.js: ${(eager.bytes / 1024).toFixed(0)} KiB evaluated at import (main.js and the chunks it imports), ${outputs.length - 1} chunk(s) in all`,
  );
}
