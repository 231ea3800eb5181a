/**
 * How a Microsoft Graph failure becomes a {@link DirectoryError}: HTTP status → error kind, the
 * `Retry-After` header (delta-seconds or an HTTP date) → `retryAfterSeconds`, and which kinds are
 * worth retrying. Graph's error body (`{error:{code,message}}`) only feeds the message.
 * May import: ../ports.js.
 */
import { DirectoryError, type DirectoryErrorKind } from '../ports.js';

/**
 * Seconds to wait from a `Retry-After` value (RFC 9110 §10.2.3: delay-seconds or an HTTP date,
 * measured from `now`); undefined when absent or unreadable. Never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** The Graph error code and message of an error body, when it has Graph's shape. */
export function graphErrorDetail(body: unknown): { readonly code?: string; readonly message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

function kindForStatus(status: number, retryAfterSeconds: number | undefined): DirectoryErrorKind {
  if (status === 429) return 'throttled';
  if (status === 503) return retryAfterSeconds === undefined ? 'unavailable' : 'throttled';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'denied';
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid';
  // 1xx and 3xx: nothing certgate asks for answers that way.
  return 'unavailable';
}

/** The error for a non-success Graph answer. */
export function directoryErrorForStatus(
  status: number,
  retryAfterSeconds: number | undefined,
  body: unknown,
  what: string,
): DirectoryError {
  const detail = graphErrorDetail(body);
  const described = [detail.code, detail.message].filter((part) => part !== undefined).join(': ');
  return new DirectoryError(
    kindForStatus(status, retryAfterSeconds),
    `Graph ${what}: HTTP ${status}${described === '' ? '' : ` (${described})`}`,
    retryAfterSeconds,
    status,
  );
}

/** Whether another try may succeed: throttling, outages and time-outs pass; a refusal or a bad request does not. */
export function isTransientDirectoryError(error: unknown): error is DirectoryError {
  return (
    error instanceof DirectoryError &&
    (error.kind === 'throttled' || error.kind === 'unavailable' || error.kind === 'timeout')
  );
}
