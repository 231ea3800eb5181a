/**
 * Reads the app settings the way `func start` does: the `Values` of `local.settings.json` when it
 * exists, else of `local.settings.sample.json`; variables already in the environment win.
 * Dev and test only.
 * May import: node built-ins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The settings file's values merged under the current environment. */
export function localSettings(root: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const own = join(root, 'local.settings.json');
  const file = existsSync(own) ? own : join(root, 'local.settings.sample.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> };
  const merged: Record<string, string> = { ...(parsed.Values ?? {}) };
  for (const [name, value] of Object.entries(env)) if (value !== undefined && name in merged) merged[name] = value;
  return merged;
}
