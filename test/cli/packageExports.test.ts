/**
 * The package surface: `certgate/validation` (package.json `exports`) and the `certgate` bin must
 * point at files `npm run build` (tsconfig.build.json) emits, and what they load must be
 * shippable: every relative import stays inside the build's include, every package import is a
 * runtime dependency (a consumer does not get devDependencies). The build itself is not run
 * here (too slow for the suite); the dist paths are mapped back to their sources, and the source
 * of the validation export is imported through that same mapping and exercised.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as ValidationApi from '../../shared/cert/validation/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface PackageJson {
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>;
  readonly bin: Record<string, string>;
  readonly dependencies: Record<string, string>;
}

interface BuildConfig {
  readonly extends?: string;
  readonly compilerOptions: {
    readonly outDir: string;
    readonly rootDir: string;
    readonly declaration?: boolean;
    readonly noEmit?: boolean;
  };
  readonly include: readonly string[];
}

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
const buildConfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as BuildConfig;
const outDir = posix.normalize(buildConfig.compilerOptions.outDir);

/**
 * The source file the build compiles to `distPath` (e.g. `./dist/shared/x/index.d.ts` → `shared/x/index.ts`), as tsc
 * maps it with rootDir `.`.
 */
function sourceOf(distPath: string): string {
  const normalized = posix.normalize(distPath);
  expect(normalized.startsWith(`${outDir}/`), `${distPath} is not under the build outDir ${outDir}`).toBe(true);
  return normalized.slice(outDir.length + 1).replace(/\.d\.ts$|\.js$/u, '.ts');
}

function isIncludedInBuild(source: string): boolean {
  return buildConfig.include.some((folder) => source === folder || source.startsWith(`${posix.normalize(folder)}/`));
}

/** Every module reachable from `entry` through relative imports, and every package they import. */
function importGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  const specifiers = /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/gu;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (modules.has(next)) continue;
    modules.add(next);
    const text = readFileSync(join(REPO_ROOT, next), 'utf8');
    for (const match of text.matchAll(specifiers)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) {
        pending.push(posix.normalize(posix.join(posix.dirname(next), specifier)).replace(/\.js$/u, '.ts'));
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
  }
  return { modules, packages };
}

describe('package.json exports: certgate/validation', () => {
  const entry = packageJson.exports['./validation'];

  it('has types first and a default, both emitted by the build from the same source', () => {
    expect(typeof entry).toBe('object');
    if (typeof entry !== 'object') return;
    expect(Object.keys(entry)[0]).toBe('types');
    expect(entry.types.endsWith('.d.ts')).toBe(true);
    expect(entry.default.endsWith('.js')).toBe(true);
    expect(sourceOf(entry.types)).toBe('shared/cert/validation/index.ts');
    expect(sourceOf(entry.default)).toBe('shared/cert/validation/index.ts');
  });

  it('the build config emits JavaScript and declarations with the source layout (rootDir ".")', () => {
    const options = buildConfig.compilerOptions;
    expect(options.noEmit).toBe(false);
    expect(options.declaration).toBe(true);
    expect(posix.normalize(options.rootDir)).toBe('.');
    expect(isIncludedInBuild('shared/cert/validation/index.ts')).toBe(true);
  });

  it('everything the export loads is in the build, and every package it needs is a runtime dependency', () => {
    const { modules, packages } = importGraph(sourceOf((entry as { default: string }).default));
    expect(modules.size).toBeGreaterThan(5);
    for (const module of modules) {
      expect(existsSync(join(REPO_ROOT, module)), `${module} exists`).toBe(true);
      expect(isIncludedInBuild(module), `${module} is in the build`).toBe(true);
    }
    for (const name of packages)
      expect(Object.keys(packageJson.dependencies), `${name} is a dependency`).toContain(name);
  });

  it('the module at the mapped source path is the validation API and validates', async () => {
    const url = pathToFileURL(join(REPO_ROOT, sourceOf((entry as { default: string }).default))).href;
    const api = (await import(url)) as typeof ValidationApi;
    for (const name of [
      'validateCertificatePath',
      'createTrustStore',
      'parseCertificates',
      'parseCrl',
      'certificateSummary',
      'isCertificateReason',
    ] as const) {
      expect(typeof api[name], name).toBe('function');
    }
    const result = api.validateCertificatePath({
      leaf: 'not a certificate',
      trustStore: api.createTrustStore([]),
      time: new Date('2026-01-01T00:00:00Z'),
    });
    expect({ ok: result.ok, reason: result.reason }).toEqual({ ok: false, reason: 'certificate-malformed' });
    expect(api.isCertificateReason(result.reason)).toBe(true);
  });
});

describe('package.json bin: certgate', () => {
  const binPath = packageJson.bin.certgate;

  it('points at the compiled CLI entry, which the build includes and which starts with a node shebang', () => {
    expect(binPath).toBeDefined();
    const source = sourceOf(binPath!);
    expect(source).toBe('shared/cli/certgate.ts');
    expect(isIncludedInBuild(source)).toBe(true);
    expect(readFileSync(join(REPO_ROOT, source), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('everything the CLI loads is in the build, and every package it needs is a runtime dependency', () => {
    const { modules, packages } = importGraph(sourceOf(binPath!));
    expect(modules).toContain('shared/cli/verifyCommand.ts');
    expect(modules).toContain('shared/cert/validation/index.ts');
    for (const module of modules) expect(isIncludedInBuild(module), `${module} is in the build`).toBe(true);
    for (const name of packages)
      expect(Object.keys(packageJson.dependencies), `${name} is a dependency`).toContain(name);
  });
});
