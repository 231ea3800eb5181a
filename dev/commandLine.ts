/**
 * The command line of the benchmarks and scripts: `--name <number>` options with a default.
 * May import: nothing.
 */

/** The number after `--name` on the command line, or `fallback` when the option is absent; throws on a non-number. */
export function numberOption(name: string, fallback: number, args: readonly string[] = process.argv.slice(2)): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const text = args[at + 1];
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value))
    throw new Error(`--${name} expects a number, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  return value;
}
