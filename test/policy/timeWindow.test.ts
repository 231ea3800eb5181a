/**
 * The `timeWindow` condition: days of the week and hours in an IANA time zone, against the
 * request's time (`at`, a fact the caller passes in: the engine never reads the clock). Boundary
 * cases: from inclusive, to exclusive; a window across midnight belongs to the day it starts;
 * daylight-saving changes follow the zone (the same UTC instant is inside on one side of the change
 * and outside on the other; a local time that does not exist is never inside; one that occurs
 * twice is inside both times); no time → unknown (a block policy then fails closed).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicyConfiguration, evaluateAccess } from '../../shared/policy/evaluateAccess.js';
import { validateAccessPolicy, type PolicyConfigurationInput } from '../../shared/policy/model.js';
import { accessRequest } from './accessRequests.js';

type Result = 'match' | 'no-match' | 'unknown';
type TimeWindow = NonNullable<PolicyConfigurationInput['policies'][number]['conditions']['timeWindow']>;

const OFFICE_HOURS: TimeWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  from: '08:00',
  to: '18:00',
  timeZone: 'Europe/Berlin',
};
const EVERY_DAY_8_TO_18: TimeWindow = { from: '08:00', to: '18:00', timeZone: 'Europe/Berlin' };
const FRIDAY_NIGHT: TimeWindow = { days: ['fri'], from: '22:00', to: '06:00', timeZone: 'Europe/Berlin' };
const NIGHTS: TimeWindow = { from: '22:00', to: '06:00', timeZone: 'Europe/Berlin' };

interface Case {
  readonly label: string;
  readonly window: TimeWindow;
  readonly at: Date | undefined;
  readonly result: Result;
}

const cases: Case[] = [
  // Monday 2 June 2025, Berlin on CEST (UTC+2).
  { label: 'from is inclusive', window: OFFICE_HOURS, at: new Date('2025-06-02T06:00:00Z'), result: 'match' },
  { label: 'a minute before from', window: OFFICE_HOURS, at: new Date('2025-06-02T05:59:59Z'), result: 'no-match' },
  { label: 'the last second before to', window: OFFICE_HOURS, at: new Date('2025-06-02T15:59:59Z'), result: 'match' },
  { label: 'to is exclusive', window: OFFICE_HOURS, at: new Date('2025-06-02T16:00:00Z'), result: 'no-match' },
  {
    label: 'a day not listed (Saturday)',
    window: OFFICE_HOURS,
    at: new Date('2025-06-07T10:00:00Z'),
    result: 'no-match',
  },
  {
    label: "the weekday is the zone's: Monday 00:30 in Berlin is Sunday in UTC",
    window: { days: ['mon'], timeZone: 'Europe/Berlin' },
    at: new Date('2025-06-01T22:30:00Z'),
    result: 'match',
  },
  {
    label: "the weekday is the zone's: Sunday 23:30 in Berlin",
    window: { days: ['mon'], timeZone: 'Europe/Berlin' },
    at: new Date('2025-06-01T21:30:00Z'),
    result: 'no-match',
  },
  // Daylight saving: Berlin springs forward on Sunday 30 March 2025 (02:00 CET → 03:00 CEST) and
  // falls back on Sunday 26 October 2025 (03:00 CEST → 02:00 CET).
  {
    label: 'DST: 06:30Z the day before spring-forward is 07:30 CET (outside)',
    window: EVERY_DAY_8_TO_18,
    at: new Date('2025-03-29T06:30:00Z'),
    result: 'no-match',
  },
  {
    label: 'DST: 06:30Z on spring-forward day is 08:30 CEST (inside)',
    window: EVERY_DAY_8_TO_18,
    at: new Date('2025-03-30T06:30:00Z'),
    result: 'match',
  },
  {
    label: 'DST: 06:30Z the day before fall-back is 08:30 CEST (inside)',
    window: EVERY_DAY_8_TO_18,
    at: new Date('2025-10-25T06:30:00Z'),
    result: 'match',
  },
  {
    label: 'DST: 06:30Z on fall-back day is 07:30 CET (outside)',
    window: EVERY_DAY_8_TO_18,
    at: new Date('2025-10-26T06:30:00Z'),
    result: 'no-match',
  },
  {
    label: 'DST: the skipped hour never happens (01:59 CET)',
    window: { from: '02:00', to: '03:00', timeZone: 'Europe/Berlin' },
    at: new Date('2025-03-30T00:59:59Z'),
    result: 'no-match',
  },
  {
    label: 'DST: the skipped hour never happens (03:00 CEST)',
    window: { from: '02:00', to: '03:00', timeZone: 'Europe/Berlin' },
    at: new Date('2025-03-30T01:00:00Z'),
    result: 'no-match',
  },
  {
    label: 'DST: the repeated hour, first time (02:30 CEST)',
    window: { from: '02:00', to: '03:00', timeZone: 'Europe/Berlin' },
    at: new Date('2025-10-26T00:30:00Z'),
    result: 'match',
  },
  {
    label: 'DST: the repeated hour, second time (02:30 CET)',
    window: { from: '02:00', to: '03:00', timeZone: 'Europe/Berlin' },
    at: new Date('2025-10-26T01:30:00Z'),
    result: 'match',
  },
  // Across midnight: the window belongs to the day it starts.
  {
    label: 'midnight wrap: Friday 22:00 (from)',
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-06T20:00:00Z'),
    result: 'match',
  },
  {
    label: 'midnight wrap: Saturday 00:00',
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-06T22:00:00Z'),
    result: 'match',
  },
  {
    label: 'midnight wrap: Saturday 05:59, the night Friday started',
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-07T03:59:00Z'),
    result: 'match',
  },
  {
    label: 'midnight wrap: Saturday 06:00 (to)',
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-07T04:00:00Z'),
    result: 'no-match',
  },
  {
    label: 'midnight wrap: Saturday 22:00 starts a night not listed',
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-07T20:00:00Z'),
    result: 'no-match',
  },
  {
    label: "midnight wrap: Friday 05:00 ends Thursday's night, not listed",
    window: FRIDAY_NIGHT,
    at: new Date('2025-06-06T03:00:00Z'),
    result: 'no-match',
  },
  { label: 'midnight wrap, every day: 23:30', window: NIGHTS, at: new Date('2025-06-04T21:30:00Z'), result: 'match' },
  { label: 'midnight wrap, every day: 05:00', window: NIGHTS, at: new Date('2025-06-04T03:00:00Z'), result: 'match' },
  {
    label: 'midnight wrap, every day: 12:00',
    window: NIGHTS,
    at: new Date('2025-06-04T10:00:00Z'),
    result: 'no-match',
  },
  // Whole days, 24:00, other zones.
  {
    label: 'days only: Sunday in UTC',
    window: { days: ['sat', 'sun'], timeZone: 'UTC' },
    at: new Date('2025-06-08T23:59:59Z'),
    result: 'match',
  },
  {
    label: 'days only: Monday in UTC',
    window: { days: ['sat', 'sun'], timeZone: 'UTC' },
    at: new Date('2025-06-09T00:00:00Z'),
    result: 'no-match',
  },
  {
    label: 'to 24:00 takes the day to its end',
    window: { days: ['sun'], from: '20:00', to: '24:00', timeZone: 'UTC' },
    at: new Date('2025-06-08T23:59:59Z'),
    result: 'match',
  },
  {
    label: 'a zone west of UTC (New York, EDT)',
    window: { days: ['mon'], from: '09:00', to: '17:00', timeZone: 'America/New_York' },
    at: new Date('2025-06-02T13:00:00Z'),
    result: 'match',
  },
  {
    label: 'a zone with a half-hour offset (Kolkata)',
    window: { from: '09:00', to: '09:30', timeZone: 'Asia/Kolkata' },
    at: new Date('2025-06-02T03:29:00Z'),
    result: 'no-match',
  },
  {
    label: 'a zone with a half-hour offset (Kolkata), inside',
    window: { from: '09:00', to: '09:30', timeZone: 'Asia/Kolkata' },
    at: new Date('2025-06-02T03:45:00Z'),
    result: 'match',
  },
  // No time.
  { label: 'no request time: unknown', window: OFFICE_HOURS, at: undefined, result: 'unknown' },
  { label: 'an invalid date: unknown', window: OFFICE_HOURS, at: new Date(Number.NaN), result: 'unknown' },
];

function evaluate(window: TimeWindow, at: Date | undefined) {
  const compiled = compilePolicyConfiguration({
    schemaVersion: 1,
    settings: { baseline: 'allow' },
    policies: [
      {
        id: 'time-window',
        name: 'Time window',
        state: 'enabled',
        priority: 1,
        conditions: { timeWindow: window },
        action: 'block',
      },
    ],
  });
  return evaluateAccess(accessRequest(at === undefined ? {} : { at }), compiled);
}

describe('timeWindow', () => {
  it.each(cases)('$label → $result', ({ window, at, result }) => {
    const decision = evaluate(window, at);
    const [trace] = decision.policies;
    expect(trace?.conditions).toEqual([{ condition: 'timeWindow', result, detail: expect.any(String) }]);
    expect(decision.reason).toBe(
      result === 'match' ? 'policy-block' : result === 'no-match' ? 'baseline-allow' : 'policy-unknown-fail-closed',
    );
  });

  it('the trace says the local time it compared', () => {
    const [trace] = evaluate(OFFICE_HOURS, new Date('2025-06-02T06:00:00Z')).policies;
    expect(trace?.conditions[0]?.detail).toBe('Mon 08:00 in Europe/Berlin is in mon, tue, wed, thu, fri 08:00–18:00');
  });
});

interface ValidationCase {
  readonly label: string;
  readonly window: unknown;
  readonly issues: readonly (readonly [string, string])[];
}

const validation: ValidationCase[] = [
  {
    label: 'invalid zone',
    window: { ...OFFICE_HOURS, timeZone: 'Mars/Olympus' },
    issues: [['conditions.timeWindow.timeZone', 'invalid-value']],
  },
  {
    label: 'an offset is not an IANA zone',
    window: { ...OFFICE_HOURS, timeZone: '+01:00' },
    issues: [['conditions.timeWindow.timeZone', 'invalid-value']],
  },
  {
    label: 'empty zone',
    window: { ...OFFICE_HOURS, timeZone: '' },
    issues: [['conditions.timeWindow.timeZone', 'invalid-value']],
  },
  { label: 'zone missing', window: { days: ['mon'] }, issues: [['conditions.timeWindow.timeZone', 'required']] },
  {
    label: 'time without two-digit hour',
    window: { ...OFFICE_HOURS, from: '8:00' },
    issues: [['conditions.timeWindow.from', 'invalid-value']],
  },
  {
    label: 'from 24:00',
    window: { ...OFFICE_HOURS, from: '24:00' },
    issues: [['conditions.timeWindow.from', 'invalid-value']],
  },
  {
    label: 'to past 24:00',
    window: { ...OFFICE_HOURS, to: '24:01' },
    issues: [['conditions.timeWindow.to', 'invalid-value']],
  },
  {
    label: 'minutes past 59',
    window: { ...OFFICE_HOURS, to: '17:60' },
    issues: [['conditions.timeWindow.to', 'invalid-value']],
  },
  {
    label: 'from equals to (empty or whole day: ambiguous)',
    window: { ...OFFICE_HOURS, to: '08:00' },
    issues: [['conditions.timeWindow.to', 'invalid-value']],
  },
  {
    label: 'from without to',
    window: { days: ['mon'], from: '08:00', timeZone: 'UTC' },
    issues: [['conditions.timeWindow.to', 'required']],
  },
  {
    label: 'to without from',
    window: { days: ['mon'], to: '08:00', timeZone: 'UTC' },
    issues: [['conditions.timeWindow.from', 'required']],
  },
  { label: 'neither days nor hours', window: { timeZone: 'UTC' }, issues: [['conditions.timeWindow', 'too-short']] },
  {
    label: 'day name',
    window: { ...OFFICE_HOURS, days: ['monday'] },
    issues: [['conditions.timeWindow.days[0]', 'invalid-value']],
  },
  { label: 'no days', window: { ...OFFICE_HOURS, days: [] }, issues: [['conditions.timeWindow.days', 'too-short']] },
  {
    label: 'unknown field',
    window: { ...OFFICE_HOURS, until: '18:00' },
    issues: [['conditions.timeWindow.until', 'unknown-field']],
  },
];

describe('timeWindow validation', () => {
  it.each(validation)('$label', ({ window, issues }) => {
    const result = validateAccessPolicy({
      id: 'p',
      name: 'P',
      state: 'enabled',
      priority: 1,
      conditions: { timeWindow: window },
      action: 'block',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => [issue.path, issue.code])).toEqual(issues);
  });

  it.each<TimeWindow>([
    OFFICE_HOURS,
    FRIDAY_NIGHT,
    { days: ['sat', 'sun'], timeZone: 'UTC' },
    { from: '00:00', to: '24:00', timeZone: 'europe/berlin' },
  ])('valid: %j', (window) => {
    expect(
      validateAccessPolicy({
        id: 'p',
        name: 'P',
        state: 'enabled',
        priority: 1,
        conditions: { timeWindow: window },
        action: 'block',
      }).ok,
    ).toBe(true);
  });
});
