/**
 * The session checks: `checkRequest` (before a request goes upstream: uploads, monitor) and
 * `checkResponse` (before a response's first byte goes back: downloads). Both take the controls
 * `selectSessionControls` chose for the allowed request and answer with a {@link SessionVerdict}.
 *
 * A response is a file for a block-download control when any criterion it lists matches, in
 * this order (the first match is the rule named):
 *   1. attachment    Content-Disposition is `attachment` (or any type but `inline`), any spelling;
 *   2. content-type  the media type (essence, lower-case; every value when several) is listed; a
 *                    206 `multipart/byteranges` answer counts (its parts' type is not visible);
 *   3. extension     the Content-Disposition file name (`filename`, `filename*`, decoded), or, for
 *                    a 2xx answer, the request path's last segment (decoded until stable), ends
 *                    with a listed extension;
 *   4. size          for a 2xx answer: the whole file (Content-Length; a 206's Content-Range total)
 *                    is over the limit; an unknown size (chunked, no length, `/*`) counts as
 *                    `unknownSize` says (default: a file).
 * The URL's query never matters (`?download=1` is decided by the response), HEAD is checked like
 * the GET it describes (its headers are the GET's), and a 206 of a file is the file.
 *
 * A request carries a file for a block-upload control when its method is listed, its media type is
 * listed, or (multipartFile) it is `multipart/*` and the multipart guard finds a file part in the
 * body. When the body will not be inspected (`bodyInspection: 'none'`, forward auth), is encoded
 * (Content-Encoding), has no usable boundary, or several Content-Types, a multipart request counts
 * as carrying a file (`multipart-uninspectable`).
 *
 * Enforced controls decide (the first in priority order names the verdict); report-only controls
 * are listed in `reportOnly`; monitor controls record every request (`monitor`). Never throws.
 * May import: the session policies (types), the header readers, the verdict.
 */
import type {
  AppliedSessionPolicy,
  CompiledDownloadControl,
  CompiledUploadControl,
  SessionControls,
} from './sessionPolicies.js';
import {
  dispositionOf,
  lastPathSegment,
  matchingExtension,
  mediaTypeListed,
  mediaTypesOf,
  comparableFileName,
  parameterOf,
  wholeSizeOf,
  type HeaderValues,
} from './httpFileFacts.js';
import {
  SESSION_ALLOWED,
  type SessionFinding,
  type SessionReason,
  type SessionRule,
  type SessionVerdict,
} from './verdict.js';

/** The request as the session checks see it (translated from transport at the edge). */
export interface SessionRequest {
  readonly method: string;
  /** The URL the client asked for: absolute, or path and query. */
  readonly url: string;
  readonly headers: HeaderValues;
}

/** The response's status line and headers (the body is never needed). */
export interface SessionResponse {
  readonly status: number;
  readonly headers: HeaderValues;
}

/** How the request body will be handled. */
export interface RequestCheckOptions {
  /**
   * `stream` (the gate): a multipart body will pass through the multipart guard; `none` (forward
   * auth): the body is never seen, so a multipart request under a multipartFile control counts as
   * an upload. Default `stream`.
   */
  readonly bodyInspection?: 'stream' | 'none';
}

/** Builds the verdict from what the controls found (in priority order). */
function verdictOf(
  blocks: readonly SessionFinding[],
  reportOnly: readonly SessionFinding[],
  monitor: readonly SessionFinding[],
  inspectBody: boolean,
): SessionVerdict {
  const decider = blocks[0];
  if (!decider && reportOnly.length === 0 && monitor.length === 0 && !inspectBody) return SESSION_ALLOWED;
  const alerts = [...(decider?.alert ? [decider] : []), ...monitor.filter((finding) => finding.alert !== undefined)];
  const common = { reportOnly, monitor, alerts, ...(inspectBody && !decider ? { inspectBody: true } : {}) };
  if (!decider) return { action: 'allow', code: 'session-allowed', ...common };
  return {
    action: 'block',
    code: decider.code,
    rule: decider.rule,
    ...(decider.message !== undefined ? { message: decider.message } : {}),
    policyId: decider.policyId,
    ...(decider.alert ? { alert: decider.alert } : {}),
    ...common,
  };
}

function finding(
  policy: AppliedSessionPolicy,
  control: {
    readonly type: SessionFinding['control'];
    readonly message?: string;
    readonly alert?: SessionFinding['alert'];
  },
  code: SessionReason,
  rule: SessionRule,
): SessionFinding {
  return {
    policyId: policy.policyId,
    control: control.type,
    action: control.type === 'monitor' ? 'record' : 'block',
    code,
    rule,
    ...(control.message !== undefined ? { message: control.message } : {}),
    ...(control.alert !== undefined && policy.enforced ? { alert: control.alert } : {}),
  };
}

// ---- downloads ---------------------------------------------------------------------------------

/** Which rule makes the response a file for this control, if any. */
export function downloadRule(
  control: CompiledDownloadControl,
  request: SessionRequest,
  response: SessionResponse,
): SessionRule | undefined {
  const disposition = dispositionOf(response.headers.get('content-disposition'));
  if (control.attachment && disposition.attachment) return 'attachment';
  if (control.contentTypes.size > 0 || control.wholeContentTypes.size > 0) {
    const types = mediaTypesOf(response.headers.get('content-type'));
    for (const type of types) {
      if (mediaTypeListed(type, control.contentTypes, control.wholeContentTypes)) return 'content-type';
      if (response.status === 206 && type === 'multipart/byteranges') return 'content-type';
    }
  }
  const success = response.status >= 200 && response.status < 300;
  if (control.extensions.length > 0) {
    for (const name of disposition.fileNames)
      if (matchingExtension(comparableFileName(name), control.extensions) !== undefined) return 'extension';
    if (success && matchingExtension(lastPathSegment(request.url), control.extensions) !== undefined)
      return 'extension';
  }
  if (control.largerThan && success && response.status !== 204 && response.status !== 205) {
    const size = wholeSizeOf(response.status, response.headers);
    if (size === undefined ? control.largerThan.unknownSize === 'file' : size > control.largerThan.bytes) return 'size';
  }
  return undefined;
}

/** Checks a response against the block-download controls (before its first byte is sent on). */
export function checkResponse(
  controls: SessionControls | undefined,
  request: SessionRequest,
  response: SessionResponse,
): SessionVerdict {
  if (!controls || controls.policies.length === 0) return SESSION_ALLOWED;
  const blocks: SessionFinding[] = [];
  const reportOnly: SessionFinding[] = [];
  for (const policy of controls.policies) {
    for (const control of policy.controls) {
      if (control.type !== 'block-download') continue;
      const rule = downloadRule(control, request, response);
      if (rule === undefined) continue;
      (policy.enforced ? blocks : reportOnly).push(finding(policy, control, 'session-download-blocked', rule));
    }
  }
  return verdictOf(blocks, reportOnly, [], false);
}

// ---- uploads -----------------------------------------------------------------------------------

/** The multipart boundary of a request, or why the body cannot be inspected. */
export function multipartBoundaryOf(
  headers: HeaderValues,
): { readonly multipart: false } | { readonly multipart: true; readonly boundary: string | undefined } {
  const contentType = headers.get('content-type');
  const types = mediaTypesOf(contentType);
  if (!types.some((type) => type.startsWith('multipart/'))) return { multipart: false };
  if (types.length !== 1 || contentType === null) return { multipart: true, boundary: undefined };
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity' && encoding.trim() !== '')
    return { multipart: true, boundary: undefined };
  const boundary = parameterOf(contentType, 'boundary');
  // RFC 2046: 1-70 characters; a longer one is tolerated, an empty one or one with line breaks is not.
  if (boundary === undefined || boundary.length === 0 || boundary.length > 200 || /[\r\n]/.test(boundary))
    return { multipart: true, boundary: undefined };
  return { multipart: true, boundary };
}

/** Which rule makes the request an upload for this control from its headers alone, if any. */
function uploadRule(
  control: CompiledUploadControl,
  request: SessionRequest,
  bodyInspection: 'stream' | 'none',
): SessionRule | 'inspect' | undefined {
  if (control.methods.has(request.method.toUpperCase())) return 'method';
  if (control.contentTypes.size > 0 || control.wholeContentTypes.size > 0) {
    for (const type of mediaTypesOf(request.headers.get('content-type')))
      if (mediaTypeListed(type, control.contentTypes, control.wholeContentTypes)) return 'content-type';
  }
  if (control.multipartFile) {
    const multipart = multipartBoundaryOf(request.headers);
    if (multipart.multipart) {
      if (bodyInspection === 'none' || multipart.boundary === undefined) return 'multipart-uninspectable';
      return 'inspect';
    }
  }
  return undefined;
}

/**
 * Checks a request against the block-upload and monitor controls (before any of it goes
 * upstream). `inspectBody` in an allow verdict: pipe the body through `createUploadGuard`.
 */
export function checkRequest(
  controls: SessionControls | undefined,
  request: SessionRequest,
  options: RequestCheckOptions = {},
): SessionVerdict {
  if (!controls || controls.policies.length === 0) return SESSION_ALLOWED;
  const bodyInspection = options.bodyInspection ?? 'stream';
  const blocks: SessionFinding[] = [];
  const reportOnly: SessionFinding[] = [];
  const monitor: SessionFinding[] = [];
  let inspectBody = false;
  for (const policy of controls.policies) {
    for (const control of policy.controls) {
      if (control.type === 'monitor') {
        const found = finding(policy, control, 'session-monitored', 'every-request');
        if (policy.enforced) monitor.push(found);
        else reportOnly.push(found);
        continue;
      }
      if (control.type !== 'block-upload') continue;
      const rule = uploadRule(control, request, bodyInspection);
      if (rule === undefined) continue;
      if (rule === 'inspect') {
        inspectBody = true;
        continue;
      }
      (policy.enforced ? blocks : reportOnly).push(finding(policy, control, 'session-upload-blocked', rule));
    }
  }
  return verdictOf(blocks, reportOnly, monitor, inspectBody);
}

/**
 * The multipartFile controls that will judge a streamed body's parts, in priority order: the
 * verdict the first enforced one gives when a file part appears, and what report-only ones would do.
 */
export function multipartJudges(
  controls: SessionControls | undefined,
  request: SessionRequest,
):
  | { readonly boundary: string; readonly block?: SessionFinding; readonly reportOnly: readonly SessionFinding[] }
  | undefined {
  if (!controls || controls.policies.length === 0) return undefined;
  const multipart = multipartBoundaryOf(request.headers);
  if (!multipart.multipart || multipart.boundary === undefined) return undefined;
  let block: SessionFinding | undefined;
  const reportOnly: SessionFinding[] = [];
  for (const policy of controls.policies) {
    for (const control of policy.controls) {
      if (control.type !== 'block-upload' || !control.multipartFile) continue;
      const found = finding(policy, control, 'session-upload-blocked', 'multipart-file');
      if (policy.enforced) block ??= found;
      else reportOnly.push(found);
    }
  }
  if (!block && reportOnly.length === 0) return undefined;
  return { boundary: multipart.boundary, ...(block ? { block } : {}), reportOnly };
}

/** The verdict for a file part (or an uninspectable body) the guard found. */
export function blockedUploadVerdict(block: SessionFinding, rule: SessionRule): SessionVerdict {
  return verdictOf([{ ...block, rule }], [], [], false);
}
