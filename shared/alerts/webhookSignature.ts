/**
 * The webhook signature (the Standard Webhooks scheme): `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the shared secret's UTF-8 bytes. The id is the CloudEvent id
 * (the idempotency key), the timestamp Unix seconds at sending. A receiver recomputes it, compares in constant
 * time, and refuses a timestamp outside its tolerance (replays). Several signatures may be listed, space-separated
 * (secret rotation). Pure: node:crypto only, time passed in.
 * May import: node built-ins.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a signed delivery carries. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** The `v1,<base64>` signature of one delivery. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${id}.${timestampSeconds}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${mac}`;
}

/** Why a delivery's signature was not accepted. */
export type WebhookVerificationFailure =
  | 'webhook-headers-missing'
  | 'webhook-timestamp-invalid'
  | 'webhook-timestamp-out-of-tolerance'
  | 'webhook-signature-mismatch';

/**
 * Checks a delivery: the headers present, the timestamp within `toleranceSeconds` of `now`, one of the listed
 * signatures equal (constant time) to the one computed with `secret`.
 */
export function verifyWebhook(
  secret: string,
  headers: { readonly id?: string | null; readonly timestamp?: string | null; readonly signature?: string | null },
  body: string,
  now: Date,
  toleranceSeconds = 300,
): { readonly ok: true } | { readonly ok: false; readonly reason: WebhookVerificationFailure } {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'webhook-headers-missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp-invalid' };
  const seconds = Number(timestamp);
  if (Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds)
    return { ok: false, reason: 'webhook-timestamp-out-of-tolerance' };
  const expected = Buffer.from(signWebhook(secret, id, seconds, body), 'utf8');
  for (const candidate of signature.split(' ')) {
    const given = Buffer.from(candidate, 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'webhook-signature-mismatch' };
}
