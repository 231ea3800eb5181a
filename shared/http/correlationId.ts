/**
 * A request's correlation id: the caller's `X-Correlation-Id` when it is a safe token, else the
 * invocation id, else a new UUID. Its own small module because the triggers need it even when their
 * decision path failed to load (decisionPathUnavailable.ts).
 * May import: node:crypto.
 */
import { randomUUID } from 'node:crypto';

const CORRELATION_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** The caller's `X-Correlation-Id` when well formed, else the invocation id, else a new UUID. */
export function correlationIdOf(
  request: { readonly headers: { get(name: string): string | null } },
  invocationId?: string,
): string {
  const given = request.headers.get('x-correlation-id');
  if (given !== null && CORRELATION_ID.test(given)) return given;
  return invocationId !== undefined && invocationId !== 'unknown' ? invocationId : randomUUID();
}
