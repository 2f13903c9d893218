/**
 * Languages of the portal: Italian by default, English on request. The choice comes from
 * `?lang=` (which also stores it in a cookie) or from that cookie.
 */
import type { Request, Response } from 'express';
import type { Bilingual } from '../domain/errors';
import { italianDateTime } from '../domain/calendar';
import { COOKIE, readCookies, setCookie } from '../web/security';

export type Lang = 'it' | 'en';
export const LANGS: readonly Lang[] = ['it', 'en'];

function isLang(value: unknown): value is Lang {
  return value === 'it' || value === 'en';
}

/** Picks the page language and remembers an explicit choice for a year. */
export function resolveLang(req: Request, res: Response): Lang {
  const asked = req.query.lang;
  if (isLang(asked)) {
    setCookie(req, res, COOKIE.lang, asked, { path: req.baseUrl || '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 });
    return asked;
  }
  const stored = readCookies(req)[COOKIE.lang];
  return isLang(stored) ? stored : 'it';
}

/** The text of a bilingual message in the page language. */
export function tr(lang: Lang, text: Bilingual): string {
  return text[lang];
}

/** Shared wording used on several pages. */
export const T = {
  institute: { it: 'INPS - Istituto Nazionale Previdenza Sociale', en: 'INPS - Italian National Social Security Institute' },
  brand: { it: 'PIN INPS', en: 'INPS PIN' },
  // The portal covers requesting the PIN and using it (first access, login, new letters).
  tagline: { it: 'Il PIN per i servizi online', en: 'The PIN for the online services' },
  skipToContent: { it: 'Vai al contenuto principale', en: 'Skip to main content' },
  languageNav: { it: 'Lingua', en: 'Language' },
  home: { it: 'Home', en: 'Home' },
  requestPin: { it: 'Richiedi PIN', en: 'Request a PIN' },
  requestTitle: { it: 'Richiedi il tuo PIN', en: 'Request your PIN' },
  next: { it: 'Avanti', en: 'Next' },
  back: { it: 'Indietro', en: 'Back' },
  confirm: { it: 'Conferma', en: 'Confirm' },
  edit: { it: 'Modifica', en: 'Change' },
  cancel: { it: 'Annulla la richiesta', en: 'Cancel the request' },
  requiredField: { it: 'Campo obbligatorio.', en: 'Required field.' },
  errorTitlePrefix: { it: 'Errore: ', en: 'Error: ' },
  errorSummaryTitle: { it: 'Controlla i dati inseriti', en: 'Please check the data you entered' },
  errorSummaryIntro: {
    it: 'Alcuni dati non sono corretti o mancano. Correggi i campi indicati:',
    en: 'Some data are wrong or missing. Please correct these fields:',
  },
  stepOf: { it: 'Passo {n} di {total}', en: 'Step {n} of {total}' },
  stepsLabel: { it: 'Passi della richiesta', en: 'Request steps' },
  stepDone: { it: 'completato', en: 'completed' },
  stepCurrent: { it: 'passo attuale', en: 'current step' },
  choose: { it: 'Scegli', en: 'Choose' },
  footer: {
    it: 'Servizio dimostrativo per la gestione del PIN. I dati inseriti sono usati solo per rilasciare e gestire il PIN: leggi l’informativa qui sotto.',
    en: 'Demonstration service for PIN management. The data you enter are used only to issue and manage the PIN: see the privacy notice below.',
  },
} as const satisfies Record<string, Bilingual>;

/** `{name}` placeholders filled from `params`. */
export function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, key: string) => (Object.hasOwn(params, key) ? String(params[key]) : m));
}

/**
 * "1 giugno 2025, 12:00" / "1 June 2025, 12:00", Italian time; `medium` (the staff console's
 * tables): "1 giu 2025, 12:00" / "1 Jun 2025, 12:00".
 */
export function formatDateTime(lang: Lang, iso: string, style: 'long' | 'medium' = 'long'): string {
  return italianDateTime(lang, iso, style);
}

/** The day alone, in the same styles: "1 giugno 2025" / "1 giu 2025"; a bare YYYY-MM-DD is that calendar day. */
export function formatDate(lang: Lang, isoOrDay: string, style: 'long' | 'medium' = 'long'): string {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(isoOrDay) ? `${isoOrDay}T12:00:00Z` : isoOrDay);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang === 'it' ? 'it-IT' : 'en-GB', { dateStyle: style, timeZone: 'Europe/Rome' }).format(d);
}
