/**
 * The `timeWindow` condition: days of the week and hours of the day in an IANA time zone, against
 * the time of the request (`at`, passed in by the caller: the engine never reads the clock). The
 * zone's rules, daylight saving included, come from `Intl.DateTimeFormat` (the runtime's ICU data),
 * so a local time that is skipped never matches and one that repeats matches both times.
 * `from` is inclusive, `to` exclusive (minutes); a window whose `to` is before its `from` crosses
 * midnight and belongs to the day it starts.
 * May import: zod, the condition contract, the field schemas.
 */
import { z } from 'zod';
import { defineCondition } from '../condition.js';
import { checked } from '../fieldSchemas.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const MINUTES_PER_DAY = 24 * 60;
const TIME_OF_DAY = /^([01]\d|2[0-4]):([0-5]\d)$/;
// IANA names (Area/Location, Etc/GMT+1, UTC); not the UTC offsets newer runtimes also accept.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** `HH:MM` → minutes since midnight; undefined when malformed or past 24:00. */
function minutesOf(value: string): number | undefined {
  const match = TIME_OF_DAY.exec(value);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= MINUTES_PER_DAY ? minutes : undefined;
}

// One formatter per zone (building one costs far more than using it). Keyed lower-case, as zone
// names are matched, and only valid zones are kept, so the map is bounded by the zone database.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  if (zone.length > 64 || !ZONE_NAME.test(zone)) return undefined;
  const key = zone.toLowerCase();
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      return undefined;
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

/** The weekday (0 = Monday) and minutes since midnight of an instant in a zone. */
function localTime(formatter: Intl.DateTimeFormat, at: Date): { day: number; minutes: number; text: string } {
  let weekday = '';
  let hour = '';
  let minute = '';
  for (const part of formatter.formatToParts(at)) {
    if (part.type === 'weekday') weekday = part.value;
    else if (part.type === 'hour') hour = part.value;
    else if (part.type === 'minute') minute = part.value;
  }
  return {
    day: WEEKDAY_INDEX[weekday] ?? -1,
    minutes: Number(hour) * 60 + Number(minute),
    text: `${weekday} ${hour}:${minute}`,
  };
}

const from = checked(
  z.string(),
  (value) => (minutesOf(value) ?? MINUTES_PER_DAY) < MINUTES_PER_DAY,
  'invalid-value',
  'expected a time of day HH:MM from 00:00 to 23:59',
);
const to = checked(
  z.string(),
  (value) => minutesOf(value) !== undefined,
  'invalid-value',
  'expected a time of day HH:MM from 00:00 to 24:00',
);
const timeZone = checked(
  z.string(),
  (value) => formatterFor(value) !== undefined,
  'invalid-value',
  'expected an IANA time zone such as Europe/Berlin or UTC',
);

/** What `timeWindow` reads. */
export interface TimeWindowRequest {
  /** When the request was made (the attempt's `now`); absent, a time window is unknown. */
  readonly at?: Date;
}

/** The `timeWindow` condition. */
export const timeWindow = defineCondition<TimeWindowRequest>()({
  name: 'timeWindow',
  schema: z
    .strictObject({
      days: z.array(z.enum(DAYS)).min(1).max(7).optional(),
      from: from.optional(),
      to: to.optional(),
      timeZone,
    })
    .refine((window) => window.days !== undefined || window.from !== undefined || window.to !== undefined, {
      message: 'timeWindow needs days or from and to',
      params: { code: 'too-short' },
    })
    .refine((window) => window.from === undefined || window.to !== undefined, {
      path: ['to'],
      message: 'from needs to',
      params: { code: 'required' },
    })
    .refine((window) => window.to === undefined || window.from !== undefined, {
      path: ['from'],
      message: 'to needs from',
      params: { code: 'required' },
    })
    .refine((window) => window.from === undefined || window.from !== window.to, {
      path: ['to'],
      message: 'from and to are equal: say 00:00 to 24:00 for the whole day',
      params: { code: 'invalid-value' },
    }),
  reads: ['at'],
  compile(window) {
    // Validated: the zone has a formatter and the times parse.
    const formatter = formatterFor(window.timeZone) as Intl.DateTimeFormat;
    const zone = formatter.resolvedOptions().timeZone;
    const days = window.days === undefined ? undefined : new Set(window.days.map((day) => DAYS.indexOf(day)));
    const start = window.from === undefined ? undefined : (minutesOf(window.from) ?? 0);
    const end = window.to === undefined ? MINUTES_PER_DAY : (minutesOf(window.to) ?? MINUTES_PER_DAY);
    const onDay = (day: number) => days === undefined || days.has(day);
    const described = [
      window.days?.join(', ') ?? (start === undefined ? '' : 'every day'),
      start === undefined ? '' : `${window.from ?? ''}–${window.to ?? ''}`,
    ]
      .filter(Boolean)
      .join(' ');
    return ({ request }) => {
      const at = request.at;
      if (at === undefined) return { result: 'unknown', detail: 'the request time is not known' };
      if (Number.isNaN(at.getTime())) return { result: 'unknown', detail: 'the request time is not a valid date' };
      const local = localTime(formatter, at);
      let inside: boolean;
      if (start === undefined) inside = onDay(local.day);
      else if (start < end) inside = onDay(local.day) && local.minutes >= start && local.minutes < end;
      // Across midnight: the evening of a listed day, or the early hours after one.
      else inside = (local.minutes >= start && onDay(local.day)) || (local.minutes < end && onDay((local.day + 6) % 7));
      return {
        result: inside ? 'match' : 'no-match',
        detail: `${local.text} in ${zone} is ${inside ? 'in' : 'not in'} ${described}`,
      };
    };
  },
  example: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00', timeZone: 'Europe/Berlin' },
  docs: {
    shape:
      '`{ days?: Day[], from?: "HH:MM", to?: "HH:MM", timeZone: string }`, `Day` = `mon` … `sun`, `timeZone` an IANA zone (`Europe/Berlin`, `UTC`)',
    matchesWhen:
      "the request's time, in `timeZone` (daylight saving included), is on a listed day (no `days` = every day) and from `from` (inclusive) to `to` (exclusive; `24:00` = end of day; no hours = the whole day). A window whose `to` is before its `from` crosses midnight and belongs to the day it starts: `fri` 22:00–06:00 is Friday 22:00 to Saturday 06:00. Unknown when the request carries no time.",
  },
});
