/**
 * The answer of a decision-path trigger (authorize, forward-auth, the gate) whose modules failed to
 * load on first use (a damaged deployment, a chunk missing or failing to evaluate): it blocks, as
 * any malfunction on the decision path does, with the same 503 and JSON as
 * `decisionResponse(unavailableDecision(…, 'code-load'))` (test/unit/decisionPathUnavailable.test.ts
 * holds the two equal), instead of the host's bare 500 for a handler that threw. The triggers import
 * this module statically, so it must not import what may have failed: no package, only the small
 * modules the triggers import anyway. JSON only: the block page is in the chunks that did not load.
 * The load is tried again on the next request (shared/onFirstUse.ts).
 * May import: @azure/functions types, errors, onFirstUse.
 */
import type { HttpResponseInit } from '@azure/functions';
import { messageOf } from '../errors.js';
import type { OnFirstUse } from '../onFirstUse.js';

/** What the decision log would say, for the error line: the check that failed. */
export const CODE_LOAD_CHECK = 'code-load';

/** The 503 `decision-unavailable` answer for a decision path that did not load. */
export function decisionPathUnavailable(correlationId: string, now: Date): HttpResponseInit {
  return {
    status: 503,
    jsonBody: {
      decision: 'block',
      reasons: ['decision-unavailable'],
      failedCheck: CODE_LOAD_CHECK,
      deviceTags: [],
      correlationId,
      decidedAt: now.toISOString(),
    },
    headers: { 'cache-control': 'no-store', 'x-correlation-id': correlationId },
  };
}

/**
 * The trigger's decision path, loaded now; undefined when the load failed, which is logged as an
 * error naming the trigger (the caller then answers {@link decisionPathUnavailable}).
 */
export async function loadDecisionPath<T>(
  path: OnFirstUse<T>,
  trigger: string,
  context: { error(line: string): void },
): Promise<T | undefined> {
  try {
    return await path();
  } catch (error) {
    context.error(
      `${trigger}: the decision path did not load, blocking (503 decision-unavailable): ${messageOf(error)}`,
    );
    return undefined;
  }
}
