import { describe, expect, it } from 'vitest';
import { addWorkingDays, easterSunday, isWorkingDay } from '../../domain/working-days';

/** Noon UTC of a date: 13:00 or 14:00 in Rome, the same calendar day. */
const noon = (d: string) => Date.parse(`${d}T12:00:00Z`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('working days (Rome, Monday to Friday, national holidays)', () => {
  it('computes Easter Sunday', () => {
    expect(easterSunday(2024)).toEqual({ month: 3, day: 31 });
    expect(easterSunday(2026)).toEqual({ month: 4, day: 5 });
    expect(easterSunday(2027)).toEqual({ month: 3, day: 28 });
    expect(easterSunday(2038)).toEqual({ month: 4, day: 25 });
  });

  it('skips weekends', () => {
    // Friday 27 November 2026 + 5 working days = Friday 4 December.
    expect(day(addWorkingDays(noon('2026-11-27'), 5))).toBe('2026-12-04');
    // Monday + 5 = next Monday; Saturday + 1 = Monday.
    expect(day(addWorkingDays(noon('2026-11-23'), 5))).toBe('2026-11-30');
    expect(day(addWorkingDays(noon('2026-11-28'), 1))).toBe('2026-11-30');
  });

  it('skips national holidays, fixed and Easter Monday', () => {
    // Tue 8 December 2026 (Immacolata) does not count: after Fri 4 Dec come 7, 9, 10, 11, 14.
    expect(day(addWorkingDays(noon('2026-12-04'), 5))).toBe('2026-12-14');
    // Christmas week 2026: Fri 25 and Sat 26 are holidays anyway; Thu 24 + 1 = Mon 28.
    expect(day(addWorkingDays(noon('2026-12-24'), 1))).toBe('2026-12-28');
    // Easter Monday 6 April 2026: Thu 2 April + 2 = Tue 7 April.
    expect(day(addWorkingDays(noon('2026-04-02'), 2))).toBe('2026-04-07');
    expect(isWorkingDay(noon('2026-04-06'))).toBe(false);
    expect(isWorkingDay(noon('2026-04-07'))).toBe(true);
    expect(isWorkingDay(noon('2026-06-02'))).toBe(false);
  });

  it('keeps the time of day and uses the calendar of Rome', () => {
    const from = Date.parse('2026-11-27T15:30:00Z');
    expect(addWorkingDays(from, 5) - from).toBe(7 * 86_400_000);
    // 23:30 UTC on a Friday is already Saturday in Rome: not a working day.
    expect(isWorkingDay(Date.parse('2026-11-27T23:30:00Z'))).toBe(false);
    expect(isWorkingDay(Date.parse('2026-11-27T22:30:00Z'))).toBe(true);
  });
});
