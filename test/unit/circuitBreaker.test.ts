import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../shared/trust/circuitBreaker.js';

const closedTicket = { probe: false };

function failTimes(breaker: CircuitBreaker, times: number, nowMs = 0, retryAfterSeconds?: number) {
  const transitions = [];
  for (let index = 0; index < times; index++) {
    const admission = breaker.admit(nowMs);
    if (!admission.admitted) throw new Error('expected admission');
    transitions.push(breaker.record(admission, false, nowMs, retryAfterSeconds));
  }
  return transitions;
}

describe('CircuitBreaker', () => {
  it('opens on the Nth failure in a row, not before', () => {
    const breaker = new CircuitBreaker({ failures: 3, cooldownSeconds: 30 });
    expect(failTimes(breaker, 3)).toEqual([undefined, undefined, 'opened']);
    expect(breaker.state(0)).toBe('open');
    expect(breaker.admit(0)).toEqual({ admitted: false, detail: 'circuit open after 3 failures; next try in 30 s' });
  });

  it('forgets failures after a success', () => {
    const breaker = new CircuitBreaker({ failures: 2, cooldownSeconds: 30 });
    failTimes(breaker, 1);
    breaker.record(closedTicket, true, 0);
    expect(failTimes(breaker, 1)).toEqual([undefined]);
    expect(breaker.state(0)).toBe('closed');
  });

  it('is half-open exactly at the end of the cool-down and admits a single probe', () => {
    const breaker = new CircuitBreaker({ failures: 1, cooldownSeconds: 30 });
    failTimes(breaker, 1);
    expect(breaker.state(29_999)).toBe('open');
    expect(breaker.state(30_000)).toBe('half-open');
    expect(breaker.admit(30_000)).toEqual({ admitted: true, probe: true });
    expect(breaker.admit(30_000)).toMatchObject({ admitted: false });
  });

  it.each([
    { label: 'a successful probe closes', succeeded: true, state: 'closed', transition: 'closed' },
    { label: 'a failed probe re-opens for another cool-down', succeeded: false, state: 'open', transition: 'opened' },
  ])('$label', ({ succeeded, state, transition }) => {
    const breaker = new CircuitBreaker({ failures: 1, cooldownSeconds: 30 });
    failTimes(breaker, 1);
    const probe = breaker.admit(30_000);
    expect(probe.admitted).toBe(true);
    if (!probe.admitted) return;
    expect(breaker.record(probe, succeeded, 31_000)).toBe(transition);
    expect(breaker.state(31_000)).toBe(state);
    if (!succeeded) expect(breaker.state(61_000)).toBe('half-open');
  });

  it('ignores late answers to calls admitted before it opened', () => {
    const breaker = new CircuitBreaker({ failures: 1, cooldownSeconds: 30 });
    const early = breaker.admit(0);
    failTimes(breaker, 1);
    if (!early.admitted) throw new Error('expected admission');
    expect(breaker.record(early, true, 1_000)).toBeUndefined();
    expect(breaker.state(1_000)).toBe('open');
    const probe = breaker.admit(30_000);
    expect(breaker.record(early, true, 30_000)).toBeUndefined();
    expect(breaker.state(30_000)).toBe('half-open');
    expect(breaker.admit(30_000).admitted).toBe(false);
    if (probe.admitted) breaker.record(probe, true, 30_000);
    expect(breaker.state(30_000)).toBe('closed');
  });

  it('stays open for Retry-After when it is longer than the cool-down, and for the cool-down when shorter', () => {
    const long = new CircuitBreaker({ failures: 1, cooldownSeconds: 30 });
    failTimes(long, 1, 0, 120);
    expect(long.state(119_999)).toBe('open');
    expect(long.state(120_000)).toBe('half-open');
    const short = new CircuitBreaker({ failures: 1, cooldownSeconds: 30 });
    failTimes(short, 1, 0, 5);
    expect(short.state(29_999)).toBe('open');
    expect(short.state(30_000)).toBe('half-open');
  });

  it.each([{ failures: 0 }, { failures: 1.5 }])('refuses failures = $failures', ({ failures }) => {
    expect(() => new CircuitBreaker({ failures, cooldownSeconds: 30 })).toThrow(RangeError);
  });
});
