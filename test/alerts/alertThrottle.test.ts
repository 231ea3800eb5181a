/**
 * The throttle and the request path's sink: dedup per (type, policy, user, device) within the window, the per-type
 * cap, one summary per type when the window closes; a flood of 10,000 identical blocks is at most 3 events. Fixed
 * clock, a recording outbox (the pure core's unit tests; the queue itself is tested against Azurite elsewhere).
 */
import { describe, expect, it } from 'vitest';
import { describeAlert } from '../../shared/alerts/alertEvents.js';
import { AlertThrottle } from '../../shared/alerts/alertThrottle.js';
import type { AlertEnvelope, AlertOutbox, EnqueueResult } from '../../shared/alerts/alertDelivery.js';
import { OutboxAlertSink } from '../../shared/alerts/outboxAlertSink.js';
import type { Alert, LogWriter } from '../../shared/ports.js';

function fakeClock(start = Date.parse('2025-03-01T10:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

const blocked = (user: string, policyId = 'block-unmanaged', device = 'ab'.repeat(32)): Alert => ({
  event: 'certgate.alert.policy',
  correlationId: `c-${user}`,
  subject: { user, device, app: 'portal' },
  policyId,
  severity: 'high',
  effect: 'block',
  client: { clientIp: '203.0.113.9' },
});

class RecordingOutbox implements AlertOutbox {
  readonly queued: AlertEnvelope[] = [];
  enqueue(envelopes: readonly AlertEnvelope[]): Promise<EnqueueResult> {
    this.queued.push(...envelopes);
    return Promise.resolve({ notQueued: [] });
  }
  retry(): Promise<void> {
    return Promise.resolve();
  }
  poison(): Promise<void> {
    return Promise.resolve();
  }
  backlog() {
    return Promise.resolve({ queued: this.queued.length, poisoned: 0 });
  }
}

const quiet: LogWriter = { log: () => undefined, warn: () => undefined };
const rules = { windowSeconds: 600, ratePerType: 20, maxKeys: 1000 };

describe('AlertThrottle', () => {
  it.each([
    { label: 'the same key within the window is held back', second: blocked('alice'), after: 599, expected: false },
    { label: 'the same key after the window goes out again', second: blocked('alice'), after: 600, expected: true },
    { label: 'another user is another key', second: blocked('bob'), after: 1, expected: true },
    { label: 'another policy is another key', second: blocked('alice', 'other'), after: 1, expected: true },
    {
      label: 'another device is another key',
      second: blocked('alice', 'block-unmanaged', 'cd'),
      after: 1,
      expected: true,
    },
  ])('$label', ({ second, after, expected }) => {
    const clock = fakeClock();
    const throttle = new AlertThrottle(clock, rules);
    expect(throttle.admit(describeAlert(blocked('alice')))).toBe(true);
    clock.advance(after);
    expect(throttle.admit(describeAlert(second))).toBe(expected);
  });

  it('caps each type per window and summarises what it held back when the window closes', () => {
    const clock = fakeClock();
    const throttle = new AlertThrottle(clock, { ...rules, ratePerType: 3 });
    const admitted = Array.from({ length: 10 }, (_, i) => throttle.admit(describeAlert(blocked(`user${i}`))));
    expect(admitted.filter(Boolean)).toHaveLength(3);
    expect(throttle.due()).toEqual([]);
    clock.advance(600);
    const [summary, ...rest] = throttle.due();
    expect(rest).toEqual([]);
    expect(summary?.type).toBe('certgate.policy.blocked');
    expect(summary?.data.summary?.suppressed).toBe(7);
    expect(summary?.data.message).toMatch(/^7 more like this in the last 10 minutes/);
    // Mixed users: the summary names no single user.
    expect(summary?.data.user).toBeUndefined();
    expect(throttle.due()).toEqual([]);
  });

  it('forgets the least recently emitted keys beyond maxKeys', () => {
    const clock = fakeClock();
    const throttle = new AlertThrottle(clock, { ...rules, ratePerType: 100, maxKeys: 2 });
    for (const user of ['a', 'b', 'c']) throttle.admit(describeAlert(blocked(user)));
    expect(throttle.admit(describeAlert(blocked('a')))).toBe(true);
    expect(throttle.admit(describeAlert(blocked('c')))).toBe(false);
  });
});

describe('OutboxAlertSink', () => {
  it('turns a flood of 10,000 identical blocks into at most 3 events (one, then one summary)', async () => {
    const clock = fakeClock();
    const outbox = new RecordingOutbox();
    const sink = new OutboxAlertSink(outbox, clock, quiet, {
      ...rules,
      source: '/certgate/test',
      bufferSize: 100,
      flushIntervalMs: 0,
    });
    for (let i = 0; i < 10_000; i++) {
      sink.raise(blocked('alice'));
      if (i % 100 === 0) clock.advance(1);
    }
    await sink.flush();
    clock.advance(600);
    await sink.flush();
    const events = outbox.queued.map((e) => e.event);
    expect(events.length).toBeLessThanOrEqual(3);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      type: 'certgate.policy.blocked',
      source: '/certgate/test',
      subject: 'user/alice',
      data: { user: 'alice', device: 'ab'.repeat(32), app: 'portal', policy: 'block-unmanaged', severity: 'high' },
    });
    expect(events[1]?.data).toMatchObject({ user: 'alice', summary: { suppressed: 9_999 } });
    expect(events[1]?.data.message).toMatch(/^9999 more like this in the last 10 minutes/);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(sink.status()).toMatchObject({ emitted: 1, suppressed: 9_999, summaries: 1, dropped: 0, buffered: 0 });
  });

  it('drops and counts beyond the buffer while the outbox is down, and queues the rest once it is back', async () => {
    const clock = fakeClock();
    const outbox = new RecordingOutbox();
    let down = true;
    const flaky: AlertOutbox = {
      enqueue: (envelopes) => (down ? Promise.reject(new Error('queue unreachable')) : outbox.enqueue(envelopes)),
      backlog: () => outbox.backlog(),
      retry: () => Promise.resolve(),
      poison: () => Promise.resolve(),
    };
    const sink = new OutboxAlertSink(flaky, clock, quiet, {
      ...rules,
      ratePerType: 1000,
      source: '/certgate/test',
      bufferSize: 5,
      flushIntervalMs: 0,
    });
    for (let i = 0; i < 8; i++) sink.raise(blocked(`user${i}`));
    expect(sink.status()).toMatchObject({ buffered: 5, dropped: 3 });
    await sink.flush();
    expect(sink.status()).toMatchObject({ buffered: 5, dropped: 3, outboxError: 'queue unreachable' });
    down = false;
    await sink.flush();
    expect(outbox.queued.map((e) => e.event.data.user)).toEqual(['user0', 'user1', 'user2', 'user3', 'user4']);
    expect(sink.status()).toMatchObject({ buffered: 0, dropped: 3, queued: 5 });
  });
});
