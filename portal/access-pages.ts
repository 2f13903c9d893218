/**
 * The pages of a citizen who already has a PIN: first access (16 → 8 characters), a new letter,
 * login, the personal area with the services of the session, and the guided regeneration of an
 * expired PIN. Same frame, components and rules as the request pages: errors next to the fields
 * and in a summary, one escape helper, no script.
 *
 * A new PIN is rendered straight into the answer of the POST that created it (never redirected,
 * stored or put in a cookie): the page has no language links, since following one would lose it.
 */
import type { Bilingual, FieldIssue } from '../domain/errors';
import type { HolderProfile, ProfileCategory, Scheme, Service, SessionScope } from '../domain/services';
import { html, type SafeHtml } from '../web/html';
import { fill, T, tr, type Lang } from './i18n';
import { csrfField, errorSummary, icon, page, textField, type FormState, type PageContext } from './views';

/** Where each page lives inside the portal. */
export const ACCESS_PATHS = {
  firstAccess: '/first-access',
  letter: '/letter',
  login: '/login',
  home: '/home',
  logout: '/logout',
  regenerate: '/regenerate',
  request: '/request',
} as const;

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

/** Labels of the access forms' fields. */
const ACCESS_LABELS: Readonly<Record<string, Bilingual>> = {
  codiceFiscale: { it: 'Codice fiscale', en: 'Codice fiscale (Italian tax code)' },
  pinFirst: { it: 'Prima parte (SMS/e-mail)', en: 'First part (text message/e-mail)' },
  pinSecond: { it: 'Seconda parte (lettera)', en: 'Second part (letter)' },
  firstHalf: { it: 'Prima parte del PIN (SMS/e-mail)', en: 'First part of the PIN (text message/e-mail)' },
  pin: { it: 'PIN', en: 'PIN' },
  expiredPin: { it: 'PIN scaduto', en: 'Expired PIN' },
};

function accessLabel(lang: Lang, field: string): string | undefined {
  const l = ACCESS_LABELS[field];
  return l ? tr(lang, l) : undefined;
}

/** Durations for people: "45 secondi", "5 minuti", "24 ore", "30 giorni". */
export function formatDuration(lang: Lang, ms: number): string {
  const units: [number, Bilingual, Bilingual][] = [
    [86_400_000, { it: 'giorno', en: 'day' }, { it: 'giorni', en: 'days' }],
    [3_600_000, { it: 'ora', en: 'hour' }, { it: 'ore', en: 'hours' }],
    [60_000, { it: 'minuto', en: 'minute' }, { it: 'minuti', en: 'minutes' }],
  ];
  for (const [size, one, many] of units) {
    // Whole days (from two) or hours read best; minutes are rounded up (a wait is never
    // shorter than said). "24 ore" rather than "1 giorno", as the rules are worded.
    const whole = ms % size === 0 && (size !== 86_400_000 || ms >= 2 * size);
    if (ms >= size && (size === 60_000 || whole)) {
      const n = size === 60_000 ? Math.ceil(ms / size) : ms / size;
      return `${n} ${tr(lang, n === 1 ? one : many)}`;
    }
  }
  const s = Math.max(1, Math.ceil(ms / 1000));
  return `${s} ${tr(lang, s === 1 ? { it: 'secondo', en: 'second' } : { it: 'secondi', en: 'seconds' })}`;
}

/** "1 new letter every 24 hours, at most 4 in 30 days". */
function letterLimitsText(lang: Lang, limits: { minIntervalMs: number; maxInWindow: number; windowMs: number }): string {
  return fill(
    tr(lang, {
      it: 'Puoi chiedere al massimo una nuova lettera ogni {interval} e non più di {max} nuove lettere in {window}.',
      en: 'You can ask for at most one new letter every {interval}, and no more than {max} new letters in {window}.',
    }),
    { interval: formatDuration(lang, limits.minIntervalMs), max: limits.maxInWindow, window: formatDuration(lang, limits.windowMs) },
  );
}

function formatDate(lang: Lang, iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang === 'it' ? 'it-IT' : 'en-GB', { dateStyle: 'long', timeZone: 'Europe/Rome' }).format(d);
}

// ---------------------------------------------------------------------------------------------
// Shared parts

/** Why the last attempt did not go through (or a plain notice), shown above the form. */
export interface Problem {
  tone: 'danger' | 'warning' | 'info' | 'success';
  title: Bilingual;
  text: Bilingual;
  /** More lines under the text. */
  more?: Bilingual[];
  /** A button to the page that solves it. */
  action?: { path: string; label: Bilingual };
}

function problemBox(ctx: PageContext, p: Problem): SafeHtml {
  const { lang } = ctx;
  const urgent = p.tone === 'danger' || p.tone === 'warning';
  return html`<div class="alert alert-${p.tone} mb-4" role="${urgent ? 'alert' : 'status'}" id="problem">
  <h2 class="h4">${tr(lang, p.title)}</h2>
  <p class="mb-0">${tr(lang, p.text)}</p>
  ${(p.more ?? []).map((m) => html`<p class="mb-0 mt-2">${tr(lang, m)}</p>`)}
  ${p.action ? html`<p class="mt-3 mb-0"><a class="btn btn-primary btn-sm" href="${link(ctx, p.action.path)}">${tr(lang, p.action.label)}</a></p>` : ''}
</div>`;
}

const OTHER_PAGES: readonly { path: string; label: Bilingual }[] = [
  { path: ACCESS_PATHS.login, label: { it: 'Accedi con il PIN', en: 'Log in with your PIN' } },
  { path: ACCESS_PATHS.firstAccess, label: { it: 'Primo accesso con il PIN di 16 caratteri', en: 'First access with the 16-character PIN' } },
  { path: ACCESS_PATHS.letter, label: { it: 'Non hai ricevuto la lettera?', en: 'Didn’t get the letter?' } },
  { path: ACCESS_PATHS.regenerate, label: { it: 'PIN scaduto: generane uno nuovo', en: 'Expired PIN: get a new one' } },
  { path: ACCESS_PATHS.request, label: { it: 'Non hai un PIN? Richiedilo', en: 'No PIN yet? Request one' } },
  { path: '/recovery', label: { it: 'PIN dimenticato o bloccato? Ripristinalo', en: 'Forgot your PIN, or is it blocked? Recover it' } },
  { path: '/revoke', label: { it: 'Revoca il PIN', en: 'Revoke your PIN' } },
];

/** Links to the other access pages, beside the form. */
function otherPages(ctx: PageContext, current: string): SafeHtml {
  const { lang } = ctx;
  const items = OTHER_PAGES.filter((p) => p.path !== current).map(
    (p) => html`<li><a class="list-item" href="${link(ctx, p.path)}"><span>${tr(lang, p.label)}</span></a></li>`,
  );
  return html`<nav class="link-list-wrapper portal-aside" aria-labelledby="other-pages-title">
  <h2 class="h5" id="other-pages-title">${tr(lang, { it: 'Altre operazioni', en: 'Other options' })}</h2>
  <ul class="link-list">${items}</ul>
</nav>`;
}

const KICKER: Bilingual = { it: 'Accesso ai servizi', en: 'Access to the services' };

/** What the access forms render: the codice fiscale typed (PINs are never shown back). */
export interface AccessFormInput {
  values: { codiceFiscale?: string };
  issues: FieldIssue[];
  csrf: string;
  problem?: Problem;
}

interface AccessFormOptions {
  path: string;
  title: Bilingual;
  intro: SafeHtml;
  fields: (state: FormState) => SafeHtml;
  /** Field names in page order, for the error summary. */
  order: readonly string[];
  submit: Bilingual;
  /** Below the form (e.g. the new-letter limits). */
  after?: SafeHtml;
}

function accessFormPage(ctx: PageContext, input: AccessFormInput, o: AccessFormOptions): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const rank = (field: string) => (o.order.includes(field) ? o.order.indexOf(field) : o.order.length);
  const issues = [...input.issues].sort((a, b) => rank(a.field) - rank(b.field));
  const failed = issues.length > 0 || input.problem?.tone === 'danger' || input.problem?.tone === 'warning';
  const body = html`<div class="row">
<div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, o.title)}</h1>
${errorSummary(ctx, issues, (f) => accessLabel(lang, f))}
${input.problem ? problemBox(ctx, input.problem) : ''}
${o.intro}
<form method="post" action="${link(ctx, o.path)}" class="portal-form" novalidate>
${csrfField(input.csrf)}
${o.fields(state)}
<p class="small text-muted mt-2">* ${tr(lang, T.requiredField)}</p>
<div class="d-flex flex-wrap gap-3 mt-4">
  <button type="submit" class="btn btn-primary">${tr(lang, o.submit)}</button>
</div>
</form>
${o.after ?? ''}
</div>
<div class="col-lg-4 mt-5 mt-lg-0">${otherPages(ctx, o.path)}</div>
</div>`;
  return page(ctx, { title: tr(lang, o.title), body, hasErrors: failed });
}

function codiceFiscaleField(ctx: PageContext, state: FormState, autocomplete: 'username' | 'off'): SafeHtml {
  return textField(ctx, state, {
    name: 'codiceFiscale',
    label: accessLabel(ctx.lang, 'codiceFiscale')!,
    required: true,
    maxlength: 16,
    autocapitalize: 'characters',
    spellcheck: false,
    autocomplete,
    hint: tr(ctx.lang, { it: '16 caratteri, ad esempio RSSMRA80A01H501U.', en: '16 characters, for example RSSMRA80A01H501U.' }),
  });
}

/** An 8-character part of a PIN: a password field, never filled back, nothing remembered. */
function pinField(ctx: PageContext, state: FormState, name: string, hint: Bilingual, autocomplete: 'off' | 'current-password' = 'off'): SafeHtml {
  return textField(ctx, state, {
    name,
    label: accessLabel(ctx.lang, name)!,
    type: 'password',
    required: true,
    // Room for spaces or dashes typed in the middle; the portal removes them.
    maxlength: 12,
    autocapitalize: 'characters',
    spellcheck: false,
    autocomplete,
    hint: tr(ctx.lang, hint),
  });
}

const LOCKOUT_HINT: Bilingual = {
  it: 'Dopo {n} tentativi non riusciti di seguito l’accesso viene sospeso per alcuni minuti, poi per periodi sempre più lunghi.',
  en: 'After {n} unsuccessful attempts in a row access is suspended for a few minutes, then for longer and longer periods.',
};

export function lockoutHint(lang: Lang, lockAfter: number): string {
  return fill(tr(lang, LOCKOUT_HINT), { n: lockAfter });
}

// ---------------------------------------------------------------------------------------------
// First access

export function firstAccessPage(ctx: PageContext, input: AccessFormInput): string {
  const { lang } = ctx;
  const intro = html`<p>${tr(lang, {
    it: 'Il PIN iniziale ha 16 caratteri: la prima parte (8 caratteri) ti è arrivata via SMS o e-mail, la seconda parte (8 caratteri) con la lettera spedita all’indirizzo di residenza. Inseriscile qui: ti verrà assegnato il PIN definitivo di 8 caratteri, da usare per accedere ai servizi.',
    en: 'The initial PIN has 16 characters: the first part (8 characters) reached you by text message or e-mail, the second part (8 characters) in the letter sent to your residence address. Enter them here: you will be given your final 8-character PIN, which you use to access the services.',
  })}</p>`;
  return accessFormPage(ctx, input, {
    path: ACCESS_PATHS.firstAccess,
    title: { it: 'Primo accesso', en: 'First access' },
    intro,
    order: ['codiceFiscale', 'pinFirst', 'pinSecond'],
    submit: { it: 'Prosegui', en: 'Continue' },
    fields: (state) => html`${codiceFiscaleField(ctx, state, 'off')}
<div role="group" aria-labelledby="pin-parts-title" class="portal-pin-parts">
  <p class="portal-legend" id="pin-parts-title">${tr(lang, { it: 'PIN di 16 caratteri, in due parti', en: '16-character PIN, in two parts' })}</p>
  <div class="row pt-4">
    <div class="col-md-6">${pinField(ctx, state, 'pinFirst', { it: 'Gli 8 caratteri ricevuti via SMS o e-mail.', en: 'The 8 characters you got by text message or e-mail.' })}</div>
    <div class="col-md-6">${pinField(ctx, state, 'pinSecond', { it: 'Gli 8 caratteri stampati nella lettera.', en: 'The 8 characters printed in the letter.' })}</div>
  </div>
</div>`,
    after: html`<p class="mt-4"><a href="${link(ctx, ACCESS_PATHS.letter)}">${tr(lang, {
      it: 'Non hai ricevuto la lettera con la seconda parte?',
      en: 'Didn’t get the letter with the second part?',
    })}</a></p>`,
  });
}

// ---------------------------------------------------------------------------------------------
// The new PIN, shown once

export interface NewPinView {
  pin: string;
  /** Absent while the PIN is still being activated (the workflow had not confirmed in time). */
  pinExpiresAt?: string;
  /** After the first access, or after regenerating an expired PIN. */
  kind: 'first_access' | 'regeneration';
}

export function newPinPage(ctx: PageContext, v: NewPinView): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Il tuo nuovo PIN', en: 'Your new PIN' };
  const done: Bilingual =
    v.kind === 'first_access'
      ? { it: 'Primo accesso completato: questo è il tuo PIN definitivo di 8 caratteri.', en: 'First access completed: this is your final 8-character PIN.' }
      : { it: 'Il PIN scaduto è stato sostituito: questo è il tuo nuovo PIN di 8 caratteri, con gli stessi servizi.', en: 'Your expired PIN has been replaced: this is your new 8-character PIN, with the same services.' };
  const old: Bilingual =
    v.kind === 'first_access'
      ? { it: 'Il PIN di 16 caratteri non è più valido.', en: 'The 16-character PIN is no longer valid.' }
      : { it: 'Il PIN scaduto non è più valido.', en: 'The expired PIN is no longer valid.' };
  const expires = v.pinExpiresAt ? formatDate(lang, v.pinExpiresAt) : undefined;
  // Two groups of four for reading; no space between them, so a copied PIN is the PIN.
  const groups = [v.pin.slice(0, 4), v.pin.slice(4)];
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
<div class="alert alert-success" role="status"><p class="mb-0">${tr(lang, done)}</p>${
    v.pinExpiresAt
      ? ''
      : html`<p class="mb-0 mt-2" id="pin-activating">${tr(lang, {
          it: 'Il PIN è in attivazione e funzionerà entro pochi minuti; se non dovesse funzionare, ripeti l’operazione con il PIN che avevi.',
          en: 'The PIN is being activated and will work within a few minutes; if it does not, repeat this with the PIN you had.',
        })}</p>`
  }</div>
<section class="portal-pin-box my-4" aria-labelledby="new-pin-label">
  <p class="portal-pin-label" id="new-pin-label">${tr(lang, { it: 'Il tuo PIN', en: 'Your PIN' })}</p>
  <p class="portal-pin" id="new-pin">${groups.map((g) => html`<span>${g}</span>`)}</p>
  <p class="portal-pin-note mb-0">${tr(lang, {
    it: 'Lettere maiuscole e cifre da 2 a 9: il PIN non contiene mai 0, 1, I, L oppure O.',
    en: 'Capital letters and digits from 2 to 9: the PIN never contains 0, 1, I, L or O.',
  })}</p>
</section>
<div class="callout warning"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-warning-circle')}<span class="text">${tr(lang, { it: 'Annotalo adesso', en: 'Write it down now' })}</span></div>
  <ul class="mb-0">
    <li><strong>${tr(lang, {
      it: 'Per motivi di sicurezza il PIN viene mostrato solo ora, in questa pagina: non verrà più visualizzato e non ti sarà inviato per SMS, e-mail o posta.',
      en: 'For security the PIN is shown only now, on this page: it will not be shown again, nor sent to you by text message, e-mail or post.',
    })}</strong></li>
    <li>${tr(lang, {
      it: 'Scrivilo e conservalo in un luogo sicuro, separato dal codice fiscale. Non comunicarlo a nessuno: l’INPS non te lo chiederà mai, né per telefono né per e-mail.',
      en: 'Write it down and keep it somewhere safe, away from your codice fiscale. Do not tell it to anyone: INPS will never ask you for it, by phone or by e-mail.',
    })}</li>
    <li>${tr(lang, old)}</li>
    ${expires
      ? html`<li>${fill(tr(lang, {
          it: 'Il PIN scade il {date}: prima della scadenza riceverai un promemoria e potrai generarne uno nuovo.',
          en: 'The PIN expires on {date}: you will be reminded before then and can get a new one.',
        }), { date: expires })}</li>`
      : ''}
  </ul>
</div></div>
<p class="mt-4"><a class="btn btn-primary" href="${link(ctx, ACCESS_PATHS.login)}">${tr(lang, { it: 'Accedi con il nuovo PIN', en: 'Log in with the new PIN' })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, title), body, langSwitch: false });
}

// ---------------------------------------------------------------------------------------------
// A new letter

export function letterPage(ctx: PageContext, input: AccessFormInput, limits: { minIntervalMs: number; maxInWindow: number; windowMs: number }): string {
  const { lang } = ctx;
  const intro = html`<p>${tr(lang, {
    it: 'La seconda parte del PIN arriva per posta all’indirizzo di residenza. Se la lettera non è arrivata o è andata persa puoi chiederne una nuova, con la stessa seconda parte: inserisci il codice fiscale e la prima parte del PIN, che hai ricevuto via SMS o e-mail.',
    en: 'The second part of the PIN arrives by post at your residence address. If the letter did not arrive or was lost you can ask for a new one, with the same second part: enter your codice fiscale and the first part of the PIN, which you got by text message or e-mail.',
  })}</p>
<div class="callout note mb-4"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Limiti', en: 'Limits' })}</span></div>
  <p class="mb-0" id="letter-limits">${letterLimitsText(lang, limits)}</p>
</div></div>`;
  return accessFormPage(ctx, input, {
    path: ACCESS_PATHS.letter,
    title: { it: 'Non hai ricevuto la lettera?', en: 'Didn’t get the letter?' },
    intro,
    order: ['codiceFiscale', 'firstHalf'],
    submit: { it: 'Richiedi una nuova lettera', en: 'Ask for a new letter' },
    fields: (state) => html`${codiceFiscaleField(ctx, state, 'off')}
${pinField(ctx, state, 'firstHalf', { it: 'Gli 8 caratteri ricevuti via SMS o e-mail.', en: 'The 8 characters you got by text message or e-mail.' })}`,
  });
}

export function letterSentPage(ctx: PageContext, o: { seq?: number; message: Bilingual }): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Nuova lettera richiesta', en: 'New letter requested' };
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
<div class="alert alert-success" role="status">
  <p class="mb-0">${tr(lang, o.message)}</p>
</div>
${
    o.seq === undefined
      ? ''
      : html`<p>${fill(tr(lang, {
          it: 'È la lettera numero {seq} per questa richiesta. Contiene la stessa seconda parte del PIN delle lettere precedenti: se una di queste arriva, puoi usarla.',
          en: 'This is letter number {seq} for this request. It holds the same second part of the PIN as the earlier letters: if one of them arrives, you can use it.',
        }), { seq: o.seq })}</p>`
  }
<p>${tr(lang, {
    it: 'Quando avrai la lettera, completa il primo accesso con le due parti del PIN.',
    en: 'Once you have the letter, complete the first access with the two parts of the PIN.',
  })}</p>
<p class="mt-5"><a class="btn btn-primary" href="${link(ctx, ACCESS_PATHS.firstAccess)}">${tr(lang, { it: 'Vai al primo accesso', en: 'Go to the first access' })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, title), body });
}

// ---------------------------------------------------------------------------------------------
// Login and regeneration

export function loginPage(ctx: PageContext, input: AccessFormInput): string {
  const { lang } = ctx;
  const intro = html`<p>${tr(lang, {
    it: 'Accedi ai servizi online con il codice fiscale e il PIN di 8 caratteri.',
    en: 'Log in to the online services with your codice fiscale and 8-character PIN.',
  })}</p>`;
  return accessFormPage(ctx, input, {
    path: ACCESS_PATHS.login,
    title: { it: 'Accedi con il PIN', en: 'Log in with your PIN' },
    intro,
    order: ['codiceFiscale', 'pin'],
    submit: { it: 'Accedi', en: 'Log in' },
    fields: (state) => html`${codiceFiscaleField(ctx, state, 'username')}
${pinField(
  ctx,
  state,
  'pin',
  { it: '8 caratteri. Se hai ancora il PIN di 16 caratteri, fai prima il primo accesso.', en: '8 characters. If you still have the 16-character PIN, do the first access first.' },
  'current-password',
)}`,
  });
}

export function regeneratePage(ctx: PageContext, input: AccessFormInput): string {
  const { lang } = ctx;
  const intro = html`<p>${tr(lang, {
    it: 'Per sicurezza il PIN ha una scadenza. Se il tuo PIN è scaduto puoi generarne subito uno nuovo, con gli stessi servizi: inserisci il codice fiscale e il PIN scaduto.',
    en: 'For security the PIN expires. If your PIN has expired you can get a new one at once, with the same services: enter your codice fiscale and the expired PIN.',
  })}</p>`;
  return accessFormPage(ctx, input, {
    path: ACCESS_PATHS.regenerate,
    title: { it: 'PIN scaduto', en: 'Expired PIN' },
    intro,
    order: ['codiceFiscale', 'expiredPin'],
    submit: { it: 'Genera il nuovo PIN', en: 'Get the new PIN' },
    fields: (state) => html`${codiceFiscaleField(ctx, state, 'username')}
${pinField(ctx, state, 'expiredPin', { it: 'Il PIN di 8 caratteri che è scaduto.', en: 'The 8-character PIN that has expired.' }, 'current-password')}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Personal area

const CATEGORY: Readonly<Record<ProfileCategory, Bilingual>> = {
  pensioner: { it: 'Pensionato', en: 'Pensioner' },
  employee: { it: 'Lavoratore dipendente', en: 'Employee' },
  self_employed: { it: 'Lavoratore autonomo', en: 'Self-employed worker' },
  citizen: { it: 'Cittadino', en: 'Citizen' },
};

const SCHEME: Readonly<Record<Scheme, Bilingual>> = {
  private: { it: 'Gestione privata', en: 'Private-sector scheme' },
  public: { it: 'Gestione dipendenti pubblici (ex INPDAP)', en: 'Public employees’ scheme (former INPDAP)' },
};

const SCOPE: Readonly<Record<SessionScope, { name: Bilingual; what: Bilingual }>> = {
  ordinary: {
    name: { it: 'PIN ordinario', en: 'Ordinary PIN' },
    what: { it: 'consultazione dei tuoi dati', en: 'consulting your data' },
  },
  dispositivo: {
    name: { it: 'PIN dispositivo', en: '“Dispositivo” PIN' },
    what: { it: 'consultazione e domande di prestazione', en: 'consulting your data and claiming benefits' },
  },
  simplified: {
    name: { it: 'Prima parte del PIN (procedura semplificata)', en: 'First part of the PIN (simplified procedure)' },
    what: { it: 'solo le domande delle indennità COVID-19', en: 'the COVID-19 allowance claims only' },
  },
};

export interface HomeView {
  codiceFiscale: string;
  /** Name and surname as on the request. */
  holderName?: string;
  /** When the PIN in use expires. */
  pinExpiresAt?: string;
  scope: SessionScope;
  profile: HolderProfile;
  intermediary: boolean;
  services: readonly Service[];
  csrf: string;
  /** Links to the conversion and claim pages, when the portal offers them. */
  links?: { conversion: boolean; claims: boolean; delegations?: boolean };
}

export function homeAreaPage(ctx: PageContext, v: HomeView): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'La tua area personale', en: 'Your personal area' };
  const profile = [tr(lang, CATEGORY[v.profile.category]), v.profile.scheme ? tr(lang, SCHEME[v.profile.scheme]) : ''].filter(Boolean).join(' – ');
  const list = (kind: Service['kind'], heading: Bilingual, id: string) => {
    const items = v.services.filter((s) => s.kind === kind);
    if (items.length === 0) return html``;
    return html`<section class="mb-5" aria-labelledby="${id}">
  <h3 class="h5" id="${id}">${tr(lang, heading)}</h3>
  <ul class="portal-services" data-kind="${kind}">${items.map(
    (s) => html`<li data-service="${s.id}">${icon(ctx, kind === 'claim' ? 'it-arrow-right-circle' : 'it-list', 'icon icon-sm icon-primary')}<span>${tr(lang, s.name)}</span></li>`,
  )}</ul>
</section>`;
  };
  const hasClaims = v.services.some((s) => s.kind === 'claim');
  const note =
    v.scope === 'ordinary'
      ? html`<div class="callout note mt-0 mb-4" id="dispositivo-note"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Le domande sono lavorate con il PIN dispositivo', en: 'Claims are processed with a “dispositivo” PIN' })}</span></div>
  <p class="mb-0">${tr(
    lang,
    hasClaims
      ? {
          // An ordinary PIN files claims that wait for the conversion (api/routes/claims.ts claimAdmission).
          it: 'Con il PIN ordinario puoi consultare i tuoi dati e già presentare le domande: sono ricevute subito (la data di ricezione ferma i termini) e lavorate quando il PIN diventa dispositivo. Per renderlo dispositivo invia il modulo di richiesta firmato insieme alla copia di un documento di identità valido, oppure rivolgiti a una sede INPS. Il PIN resta lo stesso.',
          en: 'With an ordinary PIN you can consult your data and already submit claims: they are received at once (the received date stops any deadline) and processed once the PIN becomes “dispositivo”. To make it dispositivo, send the signed request form with a copy of a valid identity document, or go to an INPS office. Your PIN stays the same.',
        }
      : {
          it: 'Con il PIN ordinario puoi consultare i tuoi dati. Per chiedere prestazioni e pagamenti (pensione, NASpI, congedi, assegni) il PIN deve diventare dispositivo: invia il modulo di richiesta firmato insieme alla copia di un documento di identità valido, oppure rivolgiti a una sede INPS. Il PIN resta lo stesso.',
          en: 'With an ordinary PIN you can consult your data. To claim benefits and payments (pension, NASpI, leave, allowances) the PIN must become “dispositivo”: send the signed request form with a copy of a valid identity document, or go to an INPS office. Your PIN stays the same.',
        },
  )}</p>
</div></div>`
      : v.scope === 'simplified'
        ? html`<div class="callout note mt-0 mb-4" id="simplified-note"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Accesso con la sola prima parte del PIN', en: 'Access with the first part of the PIN only' })}</span></div>
  <p class="mb-0">${tr(lang, {
    it: 'Con la prima parte del PIN puoi presentare solo le domande delle indennità COVID-19. Per gli altri servizi completa il primo accesso quando ricevi la lettera con la seconda parte.',
    en: 'With the first part of the PIN you can only submit the COVID-19 allowance claims. For the other services complete the first access when the letter with the second part arrives.',
  })}</p>
  <p class="mt-2 mb-0"><a href="${link(ctx, ACCESS_PATHS.firstAccess)}">${tr(lang, { it: 'Vai al primo accesso', en: 'Go to the first access' })}</a></p>
</div></div>`
        : html``;
  const action = (path: string, title: Bilingual, text: Bilingual, id: string) => html`<li class="col-md-6 mb-3" id="${id}">
    <a class="portal-access-link" href="${link(ctx, path)}"><strong>${tr(lang, title)}</strong><span>${tr(lang, text)}</span></a>
  </li>`;
  // The conversion is offered to an ordinary PIN only: a dispositivo one already is, a first-half session may not.
  const actions =
    v.links && (v.links.conversion || v.links.claims || v.links.delegations)
      ? html`<section class="mb-5" aria-labelledby="actions-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="actions-title">${tr(lang, { it: 'Cosa puoi fare', en: 'What you can do' })}</h2>
  <ul class="row list-unstyled mb-0">
  ${v.links.conversion && v.scope === 'ordinary'
    ? action(
        '/conversion',
        { it: 'Converti il PIN in PIN dispositivo', en: 'Convert your PIN to a dispositivo PIN' },
        { it: 'Invia online il modulo firmato e un documento di identità.', en: 'Send the signed form and an identity document online.' },
        'link-conversion',
      )
    : ''}
  ${v.links.claims
    ? action(
        '/claims',
        { it: 'Domande di prestazione', en: 'Benefit claims' },
        { it: 'Presenta una domanda e segui quelle già presentate.', en: 'Submit a claim and follow the ones already submitted.' },
        'link-claims',
      )
    : ''}
  ${v.scope !== 'simplified'
    ? action('/requests', { it: 'Le mie richieste', en: 'My requests' }, { it: 'Richieste, lettere, conversioni e domande, con i numeri di protocollo.', en: 'Requests, letters, conversions and claims, with their protocol numbers.' }, 'link-requests')
    : ''}
  ${v.scope !== 'simplified'
    ? action('/contacts', { it: 'Modifica i recapiti', en: 'Change your contacts' }, { it: 'Cellulare, telefono, e-mail e PEC a cui ricevi il PIN e gli avvisi.', en: 'The mobile, phone, e-mail and PEC you get the PIN and notices on.' }, 'link-contacts')
    : ''}
  ${v.links.delegations && v.scope !== 'simplified'
    ? action(
        '/delegations',
        { it: 'Deleghe', en: 'Delegations' },
        { it: 'Delega una persona di fiducia, o accetta le deleghe che hai ricevuto.', en: 'Delegate a trusted person, or accept the delegations you received.' },
        'link-delegations',
      )
    : ''}
  </ul>
</section>`
      : html``;
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
<section class="mb-5" aria-labelledby="pin-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="pin-title">${tr(lang, { it: 'Il tuo PIN', en: 'Your PIN' })}</h2>
  <dl class="row mb-0">
    ${v.holderName
      ? html`<dt class="col-sm-4">${tr(lang, { it: 'Titolare', en: 'Holder' })}</dt>
    <dd class="col-sm-8" id="holder-name">${v.holderName}</dd>`
      : ''}
    <dt class="col-sm-4">${accessLabel(lang, 'codiceFiscale')}</dt>
    <dd class="col-sm-8"><span class="portal-code" id="codice-fiscale">${v.codiceFiscale}</span></dd>
    <dt class="col-sm-4">${tr(lang, { it: 'Tipo di PIN', en: 'PIN type' })}</dt>
    <dd class="col-sm-8" id="pin-type" data-scope="${v.scope}">${tr(lang, SCOPE[v.scope].name)} <span class="text-muted">(${tr(lang, SCOPE[v.scope].what)})</span></dd>
    ${v.pinExpiresAt
      ? html`<dt class="col-sm-4">${tr(lang, { it: 'Scadenza del PIN', en: 'PIN expiry' })}</dt>
    <dd class="col-sm-8" id="pin-expires"><time datetime="${v.pinExpiresAt}">${formatDate(lang, v.pinExpiresAt)}</time></dd>`
      : ''}
    <dt class="col-sm-4">${tr(lang, { it: 'Profilo', en: 'Profile' })}</dt>
    <dd class="col-sm-8" id="profile">${profile}${v.intermediary ? html`<br>${tr(lang, { it: 'Intermediario istituzionale', en: 'Institutional intermediary' })}` : ''}</dd>
  </dl>
</section>
${actions}
<section aria-labelledby="services-title">
  <h2 class="h4 border-bottom pb-2 mb-4" id="services-title">${tr(lang, { it: 'I servizi che puoi usare', en: 'The services you can use' })}</h2>
  ${note}
  ${list('consult', { it: 'Consultazione', en: 'Consult' }, 'services-consult')}
  ${list('claim', { it: 'Domande di prestazione', en: 'Benefit claims' }, 'services-claim')}
  ${v.services.length === 0 ? html`<p>${tr(lang, { it: 'Nessun servizio disponibile per questo accesso.', en: 'No service is available for this access.' })}</p>` : ''}
  ${!hasClaims && v.scope === 'dispositivo'
    ? html`<p class="small text-muted">${tr(lang, { it: 'Per il tuo profilo non sono previste domande di prestazione online.', en: 'No online benefit claims apply to your profile.' })}</p>`
    : ''}
</section>
<form method="post" action="${link(ctx, ACCESS_PATHS.logout)}" class="mt-5">
${csrfField(v.csrf)}
<button type="submit" class="btn btn-outline-primary">${icon(ctx, 'it-logout', 'icon icon-sm icon-primary me-2')}${tr(lang, { it: 'Esci', en: 'Log out' })}</button>
</form>
<p class="small text-muted mt-3">${tr(lang, {
    it: 'Per sicurezza la sessione si chiude da sola dopo qualche minuto di inattività. Se usi un computer condiviso, esci sempre al termine.',
    en: 'For security the session closes by itself after a few minutes of inactivity. On a shared computer, always log out when you finish.',
  })}</p>
</div></div>`;
  return page(ctx, { title: tr(lang, title), body });
}
