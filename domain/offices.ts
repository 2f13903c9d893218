/**
 * An INPS office (sede) as typed by a clerk, reduced to its name: forms print "sede INPS di
 * <name>", so "Sede INPS di Roma Eur", "sede di Roma Eur" and "Roma Eur" are the same office.
 */
const PREFIX = /^(?:sede\s+(?:inps\s+)?(?:di\s+)?|inps\s+(?:di\s+)?)(?=\S)/i;

export function officeName(typed: string): string {
  return typed.trim().replace(/\s+/g, ' ').replace(PREFIX, '');
}
