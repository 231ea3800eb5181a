/**
 * Packing alert envelopes into queue messages (shared/alerts/alertDelivery.ts `packEnvelopes` / `readEnvelopes`):
 * every message fits the queue's 64 KiB once base64-encoded, none could take one more envelope, order and content
 * survive the round trip, a single envelope as queued before packing still reads, a broken message reads as none.
 */
import { describe, expect, it } from 'vitest';
import {
  packEnvelopes,
  QUEUE_MESSAGE_MAX_BYTES,
  readEnvelopes,
  type AlertEnvelope,
} from '../../shared/alerts/alertDelivery.js';

const envelope = (i: number, padding = 0): AlertEnvelope => ({
  event: {
    specversion: '1.0',
    id: `id-${i}`,
    source: '/certgate/test',
    type: 'certgate.policy.blocked',
    time: '2025-03-01T10:00:00.000Z',
    datacontenttype: 'application/json',
    data: { severity: 'medium', message: `blocked ${'é'.repeat(padding)}`, user: `user${i}@contoso.example` },
  },
  attempt: 0,
  delivered: [],
  queuedAt: '2025-03-01T10:00:00.000Z',
});

const base64Length = (text: string) => Buffer.from(text, 'utf8').toString('base64').length;

describe('packEnvelopes', () => {
  it.each([
    { label: 'small events, many to a message', count: 2000, padding: 0 },
    { label: 'multi-byte text is counted in bytes, not characters', count: 300, padding: 700 },
  ])('$label', ({ count, padding }) => {
    const envelopes = Array.from({ length: count }, (_, i) => envelope(i, padding));
    const messages = packEnvelopes(envelopes);
    expect(messages.length).toBeGreaterThan(1);
    for (const [i, message] of messages.entries()) {
      expect(base64Length(message.text)).toBeLessThanOrEqual(QUEUE_MESSAGE_MAX_BYTES);
      expect(readEnvelopes(message.text)).toEqual(message.envelopes);
      const next = messages[i + 1]?.envelopes[0];
      if (next) {
        const withNext = `${message.text.slice(0, -2)},${JSON.stringify(next)}]}`;
        expect(base64Length(withNext)).toBeGreaterThan(QUEUE_MESSAGE_MAX_BYTES);
      }
    }
    expect(messages.flatMap((m) => m.envelopes.map((e) => e.event.id))).toEqual(envelopes.map((e) => e.event.id));
  });

  it('an envelope too large for a message gets one of its own', () => {
    const messages = packEnvelopes([envelope(1), envelope(2, 40_000), envelope(3)]);
    expect(messages.map((m) => m.envelopes.map((e) => e.event.id))).toEqual([['id-1'], ['id-2'], ['id-3']]);
  });

  it('nothing to pack, no message', () => {
    expect(packEnvelopes([])).toEqual([]);
  });
});

describe('readEnvelopes', () => {
  it.each([
    { label: 'a single envelope (queued before packing)', message: envelope(1), expected: ['id-1'] },
    {
      label: 'a packed message as JSON text',
      message: JSON.stringify({ envelopes: [envelope(1), envelope(2)] }),
      expected: ['id-1', 'id-2'],
    },
    { label: 'a packed message parsed by the host', message: { envelopes: [envelope(3)] }, expected: ['id-3'] },
    { label: 'an empty pack is not a message', message: { envelopes: [] }, expected: undefined },
    {
      label: 'one broken envelope makes the message unreadable',
      message: { envelopes: [envelope(1), { event: {} }] },
      expected: undefined,
    },
    { label: 'an envelope whose event is null', message: { ...envelope(1), event: null }, expected: undefined },
    { label: 'not JSON', message: 'hello', expected: undefined },
    { label: 'not an object', message: 42, expected: undefined },
  ])('$label', ({ message, expected }) => {
    expect(readEnvelopes(message)?.map((e) => e.event.id)).toEqual(expected);
  });
});
