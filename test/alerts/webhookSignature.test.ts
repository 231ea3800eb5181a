/**
 * The webhook signature: what a receiver recomputes verifies; any tampering, a replay outside the tolerance, a
 * missing header fails with its code.
 */
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../shared/alerts/webhookSignature.js';

const secret = 'a-webhook-secret-of-at-least-32-characters';
const now = new Date('2025-03-01T10:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const body = '{"specversion":"1.0","id":"e1","type":"certgate.policy.blocked"}';
const signed = { id: 'e1', timestamp: String(ts), signature: signWebhook(secret, 'e1', ts, body) };

describe('webhook signature', () => {
  it('is the Standard Webhooks v1 HMAC-SHA256 over id.timestamp.body (a known vector)', () => {
    // Computed independently: printf 'e1.1740823200.{...}' | openssl dgst -sha256 -hmac <secret> -binary | base64
    expect(signWebhook(secret, 'e1', 1740823200, body)).toBe('v1,4/Jv0wxLrSgzKCKuLw/+lsCDkD6GeaCyF/LYiE/94pQ=');
  });

  it.each([
    { label: 'as signed', headers: signed, text: body, expected: { ok: true } },
    {
      label: 'one of several signatures (rotation)',
      headers: { ...signed, signature: `v1,AAAA ${signed.signature}` },
      text: body,
      expected: { ok: true },
    },
    {
      label: 'body tampered',
      headers: signed,
      text: body.replace('blocked', 'matched'),
      expected: { ok: false, reason: 'webhook-signature-mismatch' },
    },
    {
      label: 'id swapped',
      headers: { ...signed, id: 'e2' },
      text: body,
      expected: { ok: false, reason: 'webhook-signature-mismatch' },
    },
    {
      label: 'timestamp changed',
      headers: { ...signed, timestamp: String(ts + 1) },
      text: body,
      expected: { ok: false, reason: 'webhook-signature-mismatch' },
    },
    {
      label: 'wrong secret',
      headers: { ...signed, signature: signWebhook(`${secret}x`, 'e1', ts, body) },
      text: body,
      expected: { ok: false, reason: 'webhook-signature-mismatch' },
    },
    {
      label: 'replayed after the tolerance',
      headers: { ...signed, timestamp: String(ts - 301), signature: signWebhook(secret, 'e1', ts - 301, body) },
      text: body,
      expected: { ok: false, reason: 'webhook-timestamp-out-of-tolerance' },
    },
    {
      label: 'timestamp not a number',
      headers: { ...signed, timestamp: '1e9' },
      text: body,
      expected: { ok: false, reason: 'webhook-timestamp-invalid' },
    },
    {
      label: 'signature missing',
      headers: { ...signed, signature: null },
      text: body,
      expected: { ok: false, reason: 'webhook-headers-missing' },
    },
  ])('$label', ({ headers, text, expected }) => {
    expect(verifyWebhook(secret, headers, text, now)).toEqual(expected);
  });
});
