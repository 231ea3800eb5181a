/**
 * Every runtime dependency is imported by the app (`shared/`, `functions/`): one nothing imports
 * only adds to the deployment and to the cold start's module resolution, and to what must be
 * patched. The imports come from TypeScript's scanner (type imports included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The package a bare import specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative or node:
 * import.
 */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The dependencies no source imports. */
function unimported(dependencies: readonly string[], files: readonly string[]): string[] {
  const imported = new Set(
    files.flatMap((file) =>
      ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((entry) => packageOf(entry.fileName)),
    ),
  );
  return dependencies.filter((name) => !imported.has(name));
}

describe('runtime dependencies', () => {
  it('finds a dependency nothing imports (the check itself)', () => {
    expect(packageOf('@azure/storage-blob/dist/x.js')).toBe('@azure/storage-blob');
    expect(packageOf('zod')).toBe('zod');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(unimported(['zod', 'left-pad'], [new URL(import.meta.url).pathname])).toEqual(['zod', 'left-pad']);
  });

  it('are all imported by shared/ or functions/', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const files = ['shared', 'functions'].flatMap((directory) => sources(join(ROOT, directory)));
    expect(unimported(Object.keys(dependencies), files)).toEqual([]);
  });
});
