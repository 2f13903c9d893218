/**
 * Working days of the institute's offices: Monday to Friday, except the Italian national public
 * holidays, on the calendar of Rome. Review deadlines ("5 working days") are counted with it.
 *
 * Pure and deterministic (no clock, no I/O), so workflows can import it.
 */

const DAY_MS = 86_400_000;

/** Fixed-date national holidays, as `MM-DD`. */
const FIXED_HOLIDAYS = new Set([
  '01-01', // Capodanno
  '01-06', // Epifania
  '04-25', // Festa della Liberazione
  '05-01', // Festa del Lavoro
  '06-02', // Festa della Repubblica
  '08-15', // Ferragosto
  '11-01', // Ognissanti
  '12-08', // Immacolata Concezione
  '12-25', // Natale
  '12-26', // Santo Stefano
]);

/** Easter Sunday of a Gregorian year (month 1-12, day), by the anonymous Gregorian computus. */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

const romeParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  weekday: 'short',
});

/** The calendar date in Rome of an instant: `{ year, month, day, weekday }` (weekday 0 = Sunday). */
function romeDate(instantMs: number): { year: number; month: number; day: number; weekday: number } {
  const parts = Object.fromEntries(romeParts.formatToParts(new Date(instantMs)).map((p) => [p.type, p.value]));
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!);
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday };
}

/** True for a day the offices work (in Rome) that contains this instant. */
export function isWorkingDay(instantMs: number): boolean {
  const { year, month, day, weekday } = romeDate(instantMs);
  if (weekday === 0 || weekday === 6) return false;
  const mmdd = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (FIXED_HOLIDAYS.has(mmdd)) return false;
  // Easter Monday (Lunedì dell'Angelo) is the only movable national holiday on a weekday.
  const easter = easterSunday(year);
  const easterMonday = new Date(Date.UTC(year, easter.month - 1, easter.day + 1));
  return !(easterMonday.getUTCMonth() + 1 === month && easterMonday.getUTCDate() === day);
}

/**
 * The instant `days` working days after `fromMs`, at the same time of day: each following
 * calendar day that is a working day counts one. A case opened on Friday afternoon with 5
 * working days is due the next Friday afternoon; holidays push it further.
 */
export function addWorkingDays(fromMs: number, days: number): number {
  let at = fromMs;
  let counted = 0;
  while (counted < days) {
    at += DAY_MS;
    if (isWorkingDay(at)) counted++;
  }
  return at;
}
