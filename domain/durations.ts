/**
 * Durations as the policies and inputs spell them ('60 days', '24 hours', '2 seconds') or as a
 * number of milliseconds, converted to milliseconds. The rules are those of the `ms` package,
 * which Temporal uses for its own durations (a timer of '60 days' is the same number of
 * milliseconds as a deadline computed here): an optional decimal number, optional spaces, an
 * optional unit (ms when absent), case-insensitive; a year is 365.25 days and there is no month.
 *
 * A pure function with no imports: workflows, services and the front-ends all use it.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365.25 * DAY;

const UNIT_MS: Readonly<Record<string, number>> = {
  years: YEAR, year: YEAR, yrs: YEAR, yr: YEAR, y: YEAR,
  weeks: WEEK, week: WEEK, w: WEEK,
  days: DAY, day: DAY, d: DAY,
  hours: HOUR, hour: HOUR, hrs: HOUR, hr: HOUR, h: HOUR,
  minutes: MINUTE, minute: MINUTE, mins: MINUTE, min: MINUTE, m: MINUTE,
  seconds: SECOND, second: SECOND, secs: SECOND, sec: SECOND, s: SECOND,
  milliseconds: 1, millisecond: 1, msecs: 1, msec: 1, ms: 1,
};

const DURATION = /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i;

/** Milliseconds in `duration`: a number is already milliseconds; a string such as '14 days' is parsed. */
export function durationToMs(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const match = duration.length <= 100 ? DURATION.exec(duration) : null;
  if (!match) throw new TypeError(`Invalid duration string: '${duration}'`);
  return parseFloat(match[1]!) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!;
}
