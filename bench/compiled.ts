/**
 * The benchmarks run on compiled JavaScript, as the app ships, not under tsx: no loader in the
 * measured process, and none of tsx's `keepNames`, which wraps every function created at run time in
 * a naming call (`__name(fn, "name")`, an `Object.defineProperty`; CPU profiles of the gate under
 * tsx show them per request) that the deployment bundle does not make (scripts/bundle.ts keeps no
 * names). How much that moves a figure is within this machine's run-to-run noise; what is measured
 * is now what ships.
 *
 * `compileForBench()` transpiles the project's TypeScript (functions, shared, dev, bench, scripts, test)
 * file by file with esbuild, no bundling (the same modules and imports), into
 * `.certgate/bench-build/` (ignored by git, eslint and prettier), with what those modules read
 * beside them (every other file in those folders: the Graph stand-in's data and TLS files;
 * `local.settings.sample.json`, `host.json`, `package.json` at the root) and `node_modules` linked.
 * May import: esbuild, node built-ins.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['functions', 'shared', 'dev', 'bench', 'scripts', 'test'];
const ROOT_FILES = ['local.settings.sample.json', 'host.json', 'package.json'];

/** Every file under `folder`, recursively (paths from the root). */
function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

/** Compiles the project for the benchmarks; returns the build's root (mirrors the project's layout). */
export async function compileForBench(): Promise<string> {
  const out = join(ROOT, '.certgate', 'bench-build');
  rmSync(out, { recursive: true, force: true });
  const files = FOLDERS.filter((folder) => existsSync(join(ROOT, folder))).flatMap(filesUnder);
  await build({
    entryPoints: files.filter((file) => file.endsWith('.ts')).map((file) => join(ROOT, file)),
    outdir: out,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const file of [...files.filter((name) => !name.endsWith('.ts')), ...ROOT_FILES]) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(out, file)), { recursive: true });
    cpSync(join(ROOT, file), join(out, file));
  }
  symlinkSync(relative(out, join(ROOT, 'node_modules')), join(out, 'node_modules'), 'dir');
  return out;
}
