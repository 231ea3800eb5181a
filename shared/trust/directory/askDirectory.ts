/**
 * One round trip to the directory, bounded by the time-out even when the adapter ignores it (an
 * unref'd guard timer, cleared when the call settles), and how a failure reads in the decision
 * trace. Never rejects: whatever the adapter does becomes a {@link DirectoryError}.
 * May import: ports, errors, the facts union.
 */
import { messageOf } from '../../errors.js';
import { DirectoryError } from '../../ports.js';
import type { Directory, DirectoryErrorKind, DirectoryOutcome, DirectoryQuestion } from '../../ports.js';
import { GRAPH_DISABLED_DETAIL } from './facts.js';

/** What one round trip gave: an outcome per question (in order, possibly too few), or one error for all. */
export type RoundTripResult =
  | { readonly ok: true; readonly outcomes: readonly DirectoryOutcome[] }
  | { readonly ok: false; readonly error: DirectoryError };

/**
 * Failures that say Graph is sick (they count toward the circuit breaker); `denied` and `invalid` say it is up and
 * answering.
 */
const TRANSIENT: ReadonlySet<DirectoryErrorKind> = new Set<DirectoryErrorKind>(['throttled', 'unavailable', 'timeout']);

export function isTransient(error: DirectoryError): boolean {
  return TRANSIENT.has(error.kind);
}

/** Asks `questions` in one `answer` call, within `timeoutMs`; no directory (Graph turned off) is a failure. */
export async function askDirectory(
  directory: Directory | undefined,
  questions: readonly DirectoryQuestion[],
  timeoutMs: number,
): Promise<RoundTripResult> {
  if (!directory) return { ok: false, error: new DirectoryError('unavailable', GRAPH_DISABLED_DETAIL) };
  let timer: NodeJS.Timeout | undefined;
  try {
    const answered = new Promise<DirectoryOutcome[]>((resolve) => {
      resolve(directory.answer(questions, { timeoutMs }));
    });
    const guard = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new DirectoryError('timeout', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    });
    const outcomes = await Promise.race([answered, guard]);
    if (!Array.isArray(outcomes))
      return { ok: false, error: new DirectoryError('unavailable', 'the directory gave no list of answers') };
    return { ok: true, outcomes };
  } catch (error) {
    return { ok: false, error: asDirectoryError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome for the question at `index` of a round trip. */
export function outcomeAt(result: RoundTripResult, index: number): DirectoryOutcome {
  if (!result.ok) return { ok: false, error: result.error };
  return (
    result.outcomes[index] ?? {
      ok: false,
      error: new DirectoryError('unavailable', 'the directory gave no answer to this question'),
    }
  );
}

export function asDirectoryError(error: unknown): DirectoryError {
  if (error instanceof DirectoryError) return error;
  return new DirectoryError('unavailable', messageOf(error), undefined, undefined, { cause: error });
}

/** The `detail` of a failure, for the decision trace (the admin's, not the user's). */
export function describeFailure(error: DirectoryError, timeoutMs: number): string {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
  switch (error.kind) {
    case 'throttled':
      return error.retryAfterSeconds !== undefined
        ? `Graph throttled; retry after ${error.retryAfterSeconds} s`
        : `Graph throttled${status}`;
    case 'timeout':
      return `timed out after ${timeoutMs} ms`;
    case 'unavailable':
      return `Graph unavailable${status}: ${error.message}`;
    case 'denied':
      return `Graph denied the request${status}; check the app's Graph permissions: ${error.message}`;
    case 'invalid':
      return `Graph rejected the question as invalid${status}: ${error.message}`;
  }
}
