/**
 * A fact read from the directory, or why there is none: the one union the directory cache answers
 * with and the decision trace reports. Where it came from (`source`) says what else it carries: a
 * value for `cache`, `directory` and `stale`, a `detail` for `stale` (and, from the cache, for
 * `unavailable` and `disabled`).
 * The names of the sources are the policy core's ({@link DirectorySource}), so the trace and the
 * cache cannot drift apart.
 * May import: the policy core's trace types.
 */
import type { DirectorySource } from '../../policy/directoryNeeds.js';

/**
 * Where a directory fact came from: a fresh cache entry, Graph just now, a stale entry while Graph fails, nowhere, or
 * Graph turned off.
 */
export type DirectoryFactsSource = DirectorySource;

/** An answer: fresh in the cache, or just read from the directory (`ageSeconds` 0). */
export interface AnsweredFacts<T> {
  readonly source: 'cache' | 'directory';
  readonly value: T;
  /** How old the value is, in whole seconds. */
  readonly ageSeconds: number;
  readonly detail?: undefined;
}

/** An answer past its TTL, used because asking again failed (`detail` says why). */
export interface StaleFacts<T> {
  readonly source: 'stale';
  readonly value: T;
  readonly ageSeconds: number;
  readonly detail: string;
}

/**
 * No answer: the directory could not be asked or did not answer (`unavailable`), or Graph is turned off (`disabled`).
 */
export interface MissingFacts {
  readonly source: 'unavailable' | 'disabled';
  readonly value?: undefined;
  readonly ageSeconds?: undefined;
  /** Why; the directory cache always says (optional in the type so that readers stay defensive). */
  readonly detail?: string;
}

/** A fact read from the directory, or why there is none (see the module header). */
export type DirectoryFacts<T> = AnsweredFacts<T> | StaleFacts<T> | MissingFacts;

/** The `detail` of every answer while Graph is turned off. */
export const GRAPH_DISABLED_DETAIL = 'Microsoft Graph is turned off (CERTGATE_GRAPH_ENABLED=false)';

/** The fact of Graph being turned off. */
export const DISABLED_FACTS: MissingFacts = Object.freeze({ source: 'disabled', detail: GRAPH_DISABLED_DETAIL });

/** No answer, and why. */
export function unavailable(detail: string): MissingFacts {
  return { source: 'unavailable', detail };
}
