/**
 * Globs for the `userAgents` and `certificate` conditions: `*` is the only wildcard, matching is
 * case-insensitive, whole-string and linear (no regex, so no backtracking blow-up on long
 * headers). Pure.
 * May import: nothing.
 */

/** A compiled glob; `matches` takes lower-cased text. */
export interface Glob {
  readonly source: string;
  matches(lowerText: string): boolean;
}

/** Compiles a pattern into its literal pieces once. */
export function compileGlob(pattern: string): Glob {
  const pieces = pattern.toLowerCase().split('*');
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  const exact = pieces.length === 1;
  return {
    source: pattern,
    matches(text) {
      if (exact) return text === first;
      if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
      let from = first.length;
      const end = text.length - last.length;
      for (const piece of middle) {
        const at = text.indexOf(piece, from);
        if (at === -1 || at + piece.length > end) return false;
        from = at + piece.length;
      }
      return true;
    },
  };
}

/** The first glob that matches, if any. */
export function firstGlobMatch(globs: readonly Glob[], text: string): Glob | undefined {
  for (const glob of globs) if (glob.matches(text)) return glob;
  return undefined;
}
