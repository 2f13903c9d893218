/**
 * The receipt of a delegation registered at an INPS office, handed to the delegator at the
 * counter (docs/decisions/0022): who delegates whom, for what and until when, where and when it
 * was registered, that it applies only once the delegate accepts it online, and how to revoke it.
 * No contact details are on it.
 */
import { italianCalendarDate } from '../domain/calendar';
import { PageWriter, createDocument, drawFooters, drawLetterhead, formatDateLong, saveDocument, type Bilingual } from './layout';
import { receivedOn } from './receipt';

export interface OfficeDelegationReceiptInput {
  delegator: { name: string; codiceFiscale: string };
  delegate: { name: string; codiceFiscale: string };
  scope: 'consult' | 'consult_and_claims';
  /** The last day of the delegation (YYYY-MM-DD). */
  endsOn: string;
  office: string;
  /** ISO instant of the registration. */
  registeredAt: string;
  /** ISO instant by which the delegate must accept it (often the midnight ending a day). */
  acceptBy: string;
}

const TITLE: Bilingual = { it: 'Ricevuta di registrazione della delega', en: 'Receipt of the delegation’s registration' };

const SCOPE: Record<OfficeDelegationReceiptInput['scope'], Bilingual> = {
  consult: { it: 'Sola consultazione dei dati', en: 'Consulting the data only' },
  consult_and_claims: { it: 'Consultazione dei dati e presentazione di domande di prestazione', en: 'Consulting the data and filing benefit claims' },
};

const romeDay = (instant: number): string => italianCalendarDate(new Date(instant));

const both = (f: (lang: 'it' | 'en') => string): string => `${f('it')} / ${f('en')}`;

const person = (p: { name: string; codiceFiscale: string }): string => (p.name === p.codiceFiscale ? p.codiceFiscale : `${p.name} – ${p.codiceFiscale}`);

export async function renderOfficeDelegationReceipt(input: OfficeDelegationReceiptInput): Promise<Uint8Array> {
  const day = romeDay(Date.parse(input.registeredAt));
  const { doc, fonts } = await createDocument({
    title: `${TITLE.it} / ${TITLE.en}`,
    subject: 'Ricevuta delega / Delegation receipt',
    keywords: ['INPS', 'delega', 'delegation', 'ricevuta', 'receipt'],
    date: day,
  });
  const w = new PageWriter(doc, fonts, `${TITLE.it} / ${TITLE.en}`);
  drawLetterhead(w, { reference: input.office, date: both((l) => formatDateLong(day, l)) });
  w.gap(10);
  w.title(TITLE);
  // The last day it can be accepted: the day of the instant just before the deadline.
  const acceptDay = romeDay(Date.parse(input.acceptBy) - 1);
  w.detailsTable([
    { label: { it: 'Delegante', en: 'Delegator' }, value: person(input.delegator) },
    { label: { it: 'Persona delegata', en: 'Delegate' }, value: person(input.delegate) },
    { label: { it: 'Cosa permette', en: 'What it allows' }, value: both((l) => SCOPE[input.scope][l]) },
    { label: { it: 'Valida fino al', en: 'Valid until' }, value: both((l) => formatDateLong(input.endsOn, l)) },
    { label: { it: 'Sede INPS', en: 'INPS office' }, value: input.office },
    { label: { it: 'Registrata il', en: 'Registered on' }, value: receivedOn(input.registeredAt) },
    { label: { it: 'Da accettare entro il', en: 'To be accepted by' }, value: both((l) => formatDateLong(acceptDay, l)) },
  ]);
  w.gap(12);
  w.bilingualBlocks([
    {
      it: `La delega vale solo dopo che la persona delegata l'ha accettata online, accedendo con il proprio PIN alla pagina «Deleghe» della sua area personale, entro il ${formatDateLong(acceptDay, 'it')}; se non la accetta entro quel giorno, decade. Vale fino al ${formatDateLong(input.endsOn, 'it')} compreso.`,
      en: `The delegation applies only once the delegate has accepted it online, by logging in with their own PIN and opening "Delegations" in their personal area, by ${formatDateLong(acceptDay, 'en')}; if they do not accept it by that day, it lapses. It is valid until ${formatDateLong(input.endsOn, 'en')} included.`,
    },
    {
      it: 'La delega si può revocare in qualsiasi momento: presso una sede INPS, oppure online dalla pagina «Deleghe» dell’area personale, sia da chi l’ha conferita (con un PIN) sia dalla persona delegata.',
      en: 'The delegation can be revoked at any time: at an INPS office, or online on the "Delegations" page of the personal area, either by whoever gave it (with a PIN) or by the delegate.',
    },
    {
      it: 'Le operazioni che la persona delegata fa per conto del delegante sono registrate. Conserva questa ricevuta.',
      en: 'What the delegate does on the delegator’s behalf is recorded. Keep this receipt.',
    },
  ]);
  drawFooters(w, input.office);
  return saveDocument(doc, fonts, false);
}
