/**
 * What the session core answers with: the reason codes (a closed union of stable kebab-case codes,
 * they are API), the rule that made a request or response a file, the verdict of
 * `checkRequest` / `checkResponse`, and the error the multipart guard fails a stream with.
 * Pure: no I/O, no clock.
 * May import: the errors base.
 */
import { CertgateError } from '../errors.js';

/** Why a session check came out the way it did. */
export const SESSION_REASONS = {
  'session-allowed': 'No enforced session control blocked the request or response.',
  'session-download-blocked': 'An enforced block-download control matched the response: it was a file.',
  'session-upload-blocked': 'An enforced block-upload control matched the request: it carried a file.',
  'session-monitored': 'A monitor control recorded the request.',
} as const;

/** A session reason code. */
export type SessionReason = keyof typeof SESSION_REASONS;

/** Which criterion of a control matched (what made the response or request a file). */
export const SESSION_RULES = {
  attachment: 'Content-Disposition says attachment (or a type other than inline).',
  'content-type': "The media type is in the control's list (or a multipart/byteranges answer whose type is unknown).",
  extension: "The decoded path's last segment or the Content-Disposition file name ends with a listed extension.",
  size: 'The file is larger than the limit (or its size is unknown and unknownSize is file).',
  method: "The request's method is in the control's list.",
  'multipart-file': 'A multipart part has a file name or declares a non-text Content-Type.',
  'multipart-uninspectable':
    'The request is multipart but its body cannot be inspected (no boundary, an encoded body, forward auth, or a malformed part): it counts as carrying a file.',
  'every-request': 'A monitor control records every request of the session.',
} as const;

/** A rule code. */
export type SessionRule = keyof typeof SESSION_RULES;

/** An alert a control asks for. */
export interface SessionAlertRequest {
  readonly severity: 'low' | 'medium' | 'high';
}

/** One control that acted (or would have, for a report-only policy). */
export interface SessionFinding {
  readonly policyId: string;
  readonly control: 'block-download' | 'block-upload' | 'monitor';
  /** `block` for block controls, `record` for monitor. */
  readonly action: 'block' | 'record';
  readonly code: SessionReason;
  readonly rule: SessionRule;
  readonly message?: string;
  readonly alert?: SessionAlertRequest;
}

/** The verdict of a session check. */
export interface SessionVerdict {
  readonly action: 'allow' | 'block';
  readonly code: SessionReason;
  /** The matching rule of the deciding control (block only). */
  readonly rule?: SessionRule;
  /** The deciding control's message for the person blocked. */
  readonly message?: string;
  /** The policy of the deciding control. */
  readonly policyId?: string;
  /** The deciding control's alert, when it asks for one. */
  readonly alert?: SessionAlertRequest;
  /** What report-only policies would have done (never enforced, never alerted). */
  readonly reportOnly: readonly SessionFinding[];
  /** What enforced monitor controls recorded. */
  readonly monitor: readonly SessionFinding[];
  /** Every enforced control that acted with an alert flag (the decider's and monitors'), to raise. */
  readonly alerts: readonly SessionFinding[];
  /**
   * `checkRequest` only: the body may carry a file part and must pass through the multipart guard
   * (`createUploadGuard`) before any byte of it reaches the upstream.
   */
  readonly inspectBody?: boolean;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** The verdict when nothing applies (shared, frozen: no allocation on the common path). */
export const SESSION_ALLOWED: SessionVerdict = Object.freeze({
  action: 'allow',
  code: 'session-allowed',
  reportOnly: EMPTY,
  monitor: EMPTY,
  alerts: EMPTY,
});

/**
 * Thrown into a request body stream by the multipart guard when a file part appears under an
 * enforced block-upload control (or the body cannot be inspected): the stream errors before any
 * byte of the part reaches the upstream. `verdict` is what the gate answers with.
 */
export class SessionUploadBlockedError extends CertgateError {
  readonly code = 'session-upload-blocked';
  constructor(readonly verdict: SessionVerdict) {
    super(`session upload blocked (${verdict.rule ?? 'multipart-file'}) by ${verdict.policyId ?? 'a session policy'}`);
    this.name = 'SessionUploadBlockedError';
  }
}
