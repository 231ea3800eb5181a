/**
 * Bundles the function app for deployment: every module in `functions/` (each registers itself,
 * as the Functions host loads `main`) and what they import, npm packages included, into
 * `dist/app/main.js` plus the chunks its dynamic imports load on first use (the Graph adapter,
 * OCSP, @azure/identity for the managed identity). One file instead of some two thousand: a new
 * worker imports the app in a fraction of the time (bench/coldStart.ts measures it).
 * `@azure/functions-core` stays external: the Functions worker provides it at run time.
 *
 *   npx tsx scripts/bundle.ts [--outdir dist/app]
 */
import { build, type BuildOptions, type BuildResult } from 'esbuild';
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
  const main = outputs.find(([path]) => path.endsWith('main.js'));
  console.log(
    `bundled ${functionModules().length} function modules into ${outdir}/main.js (${((main?.[1].bytes ?? 0) / 1024).toFixed(0)} KiB) and ${outputs.length - 1} chunk(s) loaded on first use`,
  );
}
