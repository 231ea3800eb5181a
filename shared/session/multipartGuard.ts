/**
 * The multipart upload guard: a TransformStream over a request body that passes bytes through as
 * they come but holds back each part's header section until it is complete, judges it, and errors
 * the stream with a {@link SessionUploadBlockedError} (carrying the verdict) when the part is a
 * file under an enforced block-upload control. So no byte of a file part's content, nor its
 * headers, reaches the upstream: the gate answers with the verdict instead.
 *
 * Parsing leans towards finding parts, never towards missing them (a lenient upstream parser must
 * not see a part the guard did not):
 *  - a delimiter is `--boundary` at the start of the body or after any LF (not only CRLF), and
 *    after the close delimiter the epilogue is still scanned;
 *  - the rest of a delimiter line must be `--` (close) or blank (spaces, tabs, CR); anything else
 *    (`--boundaryX`), a header line without a colon, or a header section over `maxHeaderBytes`
 *    (16 KiB) makes the body uninspectable, which blocks like a file part;
 *  - a part is a file when its Content-Disposition has a `filename` or `filename*` parameter (even
 *    an empty one: a crafted part can carry content under an empty name) or mentions `filename` at
 *    all, or when it declares a Content-Type other than text/plain (nested multipart included);
 *  - a delimiter split across chunks at any byte offset is found (the last delimiter-length bytes
 *    are carried to the next chunk).
 * Report-only controls are told once per body (`onReportOnly`) and never stop it.
 * Pure: no I/O, no clock (Buffer for byte search only).
 * May import: the session checks, the header readers, the verdict.
 */
import { Buffer } from 'node:buffer';
import { blockedUploadVerdict, multipartJudges, type SessionRequest } from './checkSession.js';
import type { SessionControls } from './sessionPolicies.js';
import { dispositionOf, mediaTypesOf } from './httpFileFacts.js';
import { SessionUploadBlockedError, type SessionFinding, type SessionRule } from './verdict.js';

/** Options of the guard. */
export interface UploadGuardOptions {
  /** Called once per body with what report-only controls would have done. */
  onReportOnly?(findings: readonly SessionFinding[]): void;
  /** The most bytes of one part's header section held back (default 16 KiB); more makes the body uninspectable. */
  readonly maxHeaderBytes?: number;
}

/** Who judges the parts: the first enforced multipartFile control, and the report-only ones. */
export interface MultipartJudges {
  readonly boundary: string;
  readonly block?: SessionFinding;
  readonly reportOnly: readonly SessionFinding[];
}

const LF = 0x0a;
const CR = 0x0d;
const MAX_DELIMITER_LINE = 1024;
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

type State = 'scan' | 'delimiter-line' | 'headers' | 'passthrough' | 'failed';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  // allocUnsafe: every byte is written just below (a zero-filled copy costs as much again).
  const out = Buffer.allocUnsafe(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether a complete header section describes a file part; `malformed` when it cannot be read. */
export function judgePartHeaders(section: string): 'file' | 'field' | 'malformed' {
  const lines = section.split(/\r?\n/);
  const headers: string[] = [];
  for (const line of lines) {
    if (line === '' || line === '\r') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      headers[headers.length - 1] = `${headers[headers.length - 1] ?? ''} ${line.trim()}`;
      continue;
    }
    headers.push(line);
  }
  let verdict: 'file' | 'field' = 'field';
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon <= 0) return 'malformed';
    const name = header.slice(0, colon).trim().toLowerCase();
    const value = header.slice(colon + 1);
    if (name === 'content-disposition') {
      if (dispositionOf(value).fileNames.length > 0 || /filename/i.test(value)) verdict = 'file';
    } else if (name === 'content-type') {
      const types = mediaTypesOf(value);
      if (types.length === 0 || types.some((type) => type !== 'text/plain')) verdict = 'file';
    }
  }
  return verdict;
}

/**
 * A guard for a multipart body with this boundary, judged by `judges`. Prefer
 * {@link createUploadGuard}, which finds the boundary and judges from the session controls.
 */
export function createMultipartGuard(
  judges: MultipartJudges,
  options: UploadGuardOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  // Searched without its LF (a body's lines make LF a frequent first byte, which slows the search
  // several-fold); a match counts when the byte before it is an LF (or the virtual one).
  const dashBoundary = Buffer.from(`--${judges.boundary}`, 'latin1');
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  let state: State = 'scan';
  let pending: Uint8Array = new Uint8Array(0);
  // A virtual LF before `pending`: the body's start, and the start of every line after a part's
  // headers or a delimiter line, can begin a delimiter.
  let virtualNewline = true;
  let reported = false;

  const report = (rule: SessionRule) => {
    if (reported || judges.reportOnly.length === 0) return;
    reported = true;
    options.onReportOnly?.(judges.reportOnly.map((finding) => ({ ...finding, rule })));
  };

  /**
   * A file part or an uninspectable body: error the stream (enforced) or report and let it pass.
   * True when inspection stops (the stream failed, or passes through uninspected from here).
   */
  const found = (controller: TransformStreamDefaultController<Uint8Array>, rule: SessionRule): boolean => {
    report(rule);
    if (judges.block) {
      state = 'failed';
      pending = new Uint8Array(0);
      controller.error(new SessionUploadBlockedError(blockedUploadVerdict(judges.block, rule)));
      return true;
    }
    if (rule !== 'multipart-uninspectable') return false;
    state = 'passthrough';
    if (pending.length > 0) controller.enqueue(pending);
    pending = new Uint8Array(0);
    return true;
  };

  const emit = (controller: TransformStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    if (bytes.length > 0) controller.enqueue(bytes);
  };

  /** Runs the state machine over `pending` as far as it goes. */
  const advance = (controller: TransformStreamDefaultController<Uint8Array>, final: boolean): void => {
    for (;;) {
      if (state === 'scan') {
        const space = virtualNewline ? concat(Uint8Array.of(LF), pending) : pending;
        const start = virtualNewline ? 1 : 0;
        const buffer = view(space);
        let at = buffer.indexOf(dashBoundary, 1);
        while (at >= 0 && space[at - 1] !== LF) at = buffer.indexOf(dashBoundary, at + 1);
        if (at >= 0) {
          const end = at + dashBoundary.length;
          emit(controller, space.subarray(start, end));
          pending = space.subarray(end);
          virtualNewline = false;
          state = 'delimiter-line';
          continue;
        }
        // Keep what could still be the start of a delimiter: its LF and all but one byte of `--boundary`.
        const keepFrom = final ? space.length : Math.max(0, space.length - dashBoundary.length);
        if (keepFrom > start) {
          emit(controller, space.subarray(start, keepFrom));
          pending = space.subarray(keepFrom);
          virtualNewline = false;
        }
        return;
      }
      if (state === 'delimiter-line') {
        const newline = pending.indexOf(LF);
        if (newline < 0) {
          if (pending.length > MAX_DELIMITER_LINE) {
            found(controller, 'multipart-uninspectable');
            return;
          }
          if (!final) return;
          // The body ends on a delimiter line: fine when it is the close delimiter or blank (no part follows).
          const rest = Buffer.from(pending)
            .toString('latin1')
            .replace(/[ \t\r]+$/, '');
          if (rest !== '' && !rest.startsWith('--')) {
            found(controller, 'multipart-uninspectable');
            return;
          }
          emit(controller, pending);
          pending = new Uint8Array(0);
          return;
        }
        const rest = Buffer.from(pending.subarray(0, newline))
          .toString('latin1')
          .replace(/[ \t\r]+$/, '');
        if (rest.startsWith('--')) {
          emit(controller, pending.subarray(0, newline + 1));
          pending = pending.subarray(newline + 1);
          virtualNewline = true;
          state = 'scan';
          continue;
        }
        if (rest.replace(/[ \t]/g, '') !== '') {
          found(controller, 'multipart-uninspectable');
          return;
        }
        emit(controller, pending.subarray(0, newline + 1));
        pending = pending.subarray(newline + 1);
        state = 'headers';
        continue;
      }
      if (state === 'headers') {
        let end = -1;
        if (pending[0] === LF) end = 1;
        else if (pending[0] === CR && pending[1] === LF) end = 2;
        else {
          const buffer = view(pending);
          const lflf = buffer.indexOf('\n\n', 0, 'latin1');
          const lfcrlf = buffer.indexOf('\n\r\n', 0, 'latin1');
          if (lflf >= 0 && (lfcrlf < 0 || lflf < lfcrlf)) end = lflf + 2;
          else if (lfcrlf >= 0) end = lfcrlf + 3;
        }
        if (end < 0) {
          if (pending.length > maxHeaderBytes) {
            found(controller, 'multipart-uninspectable');
            return;
          }
          if (!final) return;
          // The body ends inside a header section: no content follows; judge what there is.
          end = pending.length;
        } else if (end > maxHeaderBytes) {
          found(controller, 'multipart-uninspectable');
          return;
        }
        const judged = judgePartHeaders(Buffer.from(pending.subarray(0, end)).toString('latin1'));
        if (judged === 'malformed') {
          found(controller, 'multipart-uninspectable');
          return;
        }
        if (judged === 'file' && found(controller, 'multipart-file')) return;
        emit(controller, pending.subarray(0, end));
        pending = pending.subarray(end);
        virtualNewline = true;
        state = 'scan';
        continue;
      }
      return;
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (state === 'failed') return;
      if (state === 'passthrough') {
        controller.enqueue(chunk);
        return;
      }
      pending = concat(pending, chunk);
      advance(controller, false);
    },
    flush(controller) {
      if (state === 'failed' || state === 'passthrough') return;
      advance(controller, true);
      if ((state as State) !== 'failed' && pending.length > 0) {
        controller.enqueue(pending);
        pending = new Uint8Array(0);
      }
    },
  });
}

/**
 * The guard for a request the session controls allowed with `inspectBody`: undefined when no
 * multipartFile control applies or the request is not a multipart body with a usable boundary
 * (then `checkRequest` has already decided). Pipe the body through it before it goes upstream.
 */
export function createUploadGuard(
  controls: SessionControls | undefined,
  request: SessionRequest,
  options: UploadGuardOptions = {},
): TransformStream<Uint8Array, Uint8Array> | undefined {
  const judges = multipartJudges(controls, request);
  return judges ? createMultipartGuard(judges, options) : undefined;
}
