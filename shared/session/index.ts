/**
 * Session controls: the pure core that applies session policies to an allowed request's streams.
 * `selectSessionControls` (which session policies apply, compiled once per configuration),
 * `checkRequest` / `checkResponse` (the verdict for a request before it goes upstream and for a
 * response before its first byte goes back), `createUploadGuard` (the multipart guard for request
 * bodies). The gate uses all of it; forward auth only `checkRequest` with `bodyInspection: 'none'`.
 * No adapters, no I/O, no clock.
 * May import: the modules of this folder.
 */
export {
  checkRequest,
  checkResponse,
  downloadRule,
  multipartBoundaryOf,
  type RequestCheckOptions,
  type SessionRequest,
  type SessionResponse,
} from './checkSession.js';
export type { HeaderValues } from './httpFileFacts.js';
export {
  createMultipartGuard,
  createUploadGuard,
  judgePartHeaders,
  type MultipartJudges,
  type UploadGuardOptions,
} from './multipartGuard.js';
export {
  compileSessionPolicies,
  selectSessionControls,
  type AppliedSessionPolicy,
  type CompiledSessionControl,
  type SessionControls,
  type SessionPolicyTrace,
} from './sessionPolicies.js';
export {
  SESSION_ALLOWED,
  SESSION_REASONS,
  SESSION_RULES,
  SessionUploadBlockedError,
  type SessionFinding,
  type SessionReason,
  type SessionRule,
  type SessionVerdict,
} from './verdict.js';
export { reportSessionVerdict, type SessionReportContext } from './reportSessionVerdict.js';
