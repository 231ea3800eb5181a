/**
 * An intake step's outcome: a value, or a rejection with its stable reason code. Every decoding
 * module returns one instead of throwing, which is how the intake keeps its "never throws" promise.
 * Kept apart from types.ts so that the encoding modules and the format files can use it without
 * importing the registry that types.ts derives the gateway kinds from (no import cycle).
 * May import: intake reasons.
 */
import type { IntakeReason } from './reasons.js';

/** An intermediate step's outcome: a value, or a rejection with its code. */
export type IntakeStep<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: IntakeReason; readonly detail: string };

/** A successful {@link IntakeStep}. */
export function stepOk<T>(value: T): IntakeStep<T> {
  return { ok: true, value };
}

/** A failed {@link IntakeStep}. */
export function stepFail<T = never>(reason: IntakeReason, detail: string): IntakeStep<T> {
  return { ok: false, reason, detail };
}
