/**
 * The portal's pages, in the order of the INPS online procedure: home, codice fiscale and
 * residence, personal data, contacts, review ("Indietro" / "Conferma"), done.
 */
import { PROVINCE } from 'codice-fiscale-js/src/lista-province.js';
import type { Bilingual, FieldIssue } from '../domain/errors';
import { isCurrentProvince } from '../domain/belfiore';
import {
  deliveryPlan,
  PREFERRED_TIME_SLOTS,
  summarisePinRequest,
  type PinRequest,
} from '../domain/pin-request';
import { maxLength, STEP_FIELDS, STEP_IDS, type DraftValues, type StepId } from './draft';
import { html, type SafeHtml } from '../web/html';
import { T, tr, type Lang } from './i18n';
import { privacySummary } from './notice-pages';
import {
  checkbox,
  countryOptions,
  csrfField,
  errorSummary,
  icon,
  page,
  radioGroup,
  selectField,
  stepper,
  textField,
  type FormState,
  type PageContext,
  type StepperItem,
} from './views';

// ---------------------------------------------------------------------------------------------
// Labels and fixed lists

/** Form labels, by field path (the domain's labels are for messages, these for the form). */
const FIELD_LABELS: Readonly<Record<string, Bilingual>> = {
  codiceFiscale: { it: 'Codice fiscale', en: 'Codice fiscale (Italian tax code)' },
  'residence.abroad': { it: 'Residenza', en: 'Residence' },
  'residence.country': { it: 'Stato estero di residenza', en: 'Country of residence' },
  'residence.address': { it: 'Indirizzo (via, numero civico)', en: 'Address (street and number)' },
  'residence.city': { it: 'Comune o città', en: 'Municipality or city' },
  'residence.postalCode': { it: 'CAP o codice postale', en: 'Postal code' },
  'residence.province': { it: 'Provincia, regione o stato federato', en: 'Province, region or state' },
  hasItalianIdentityDocument: {
    it: "Ho un documento di identità italiano (carta d'identità o passaporto) in corso di validità",
    en: 'I have a valid Italian identity document (identity card or passport)',
  },
  surname: { it: 'Cognome', en: 'Surname' },
  name: { it: 'Nome', en: 'Name' },
  birthDate: { it: 'Data di nascita', en: 'Date of birth' },
  sex: { it: 'Sesso', en: 'Sex' },
  birthProvince: { it: 'Provincia di nascita', en: 'Province of birth' },
  birthMunicipality: { it: 'Comune di nascita (o Stato estero)', en: 'Municipality of birth (or foreign country)' },
  homePhone: { it: 'Telefono abitazione', en: 'Home phone' },
  mobile: { it: 'Cellulare', en: 'Mobile phone' },
  email: { it: 'Indirizzo e-mail', en: 'E-mail address' },
  pec: { it: 'Indirizzo PEC', en: 'PEC address (certified e-mail)' },
  preferredPhone: { it: 'Telefono preferenziale', en: 'Preferred phone' },
  preferredTimeSlot: { it: 'Orario preferenziale', en: 'Preferred time' },
};

export function fieldLabel(lang: Lang, field: string): string | undefined {
  const l = FIELD_LABELS[field];
  return l ? tr(lang, l) : undefined;
}

const label = (ctx: PageContext, field: string): string => fieldLabel(ctx.lang, field) ?? field;

const STEP_TITLES: Readonly<Record<StepId | 'review', Bilingual>> = {
  residence: { it: 'Codice fiscale e residenza', en: 'Tax code and residence' },
  personal: { it: 'Dati anagrafici', en: 'Personal data' },
  contacts: { it: 'Recapiti personali', en: 'Personal contacts' },
  review: { it: 'Riepilogo e conferma', en: 'Review and confirm' },
};

/** Where each step lives inside the portal. */
export const STEP_PATHS: Readonly<Record<StepId | 'review' | 'confirm' | 'done' | 'cancel' | 'notEligible', string>> = {
  residence: '/request',
  personal: '/request/personal',
  contacts: '/request/contacts',
  review: '/request/review',
  confirm: '/request/confirm',
  done: '/request/done',
  cancel: '/request/cancel',
  notEligible: '/request/not-eligible',
};

const ALL_STEPS = [...STEP_IDS, 'review'] as const;

function steps(ctx: PageContext, current: (typeof ALL_STEPS)[number]): SafeHtml {
  const at = ALL_STEPS.indexOf(current);
  const items: StepperItem[] = ALL_STEPS.map((s, i) => ({
    label: tr(ctx.lang, STEP_TITLES[s]),
    state: i < at ? 'done' : i === at ? 'current' : 'todo',
  }));
  return stepper(ctx, items, at + 1);
}

const PROVINCES = Object.entries(PROVINCE).sort((a, b) => a[1].localeCompare(b[1], 'it'));

/** Suggestions for the province fields: a datalist works without script and accepts any text. */
function provinceList(id: string, which: 'current' | 'birth'): SafeHtml {
  const entries = PROVINCES.filter(([sigla]) => (which === 'current' ? isCurrentProvince(sigla) && sigla !== 'EE' : true));
  return html`<datalist id="${id}">${entries.map(([sigla, name]) => html`<option value="${sigla}">${name}</option>`)}</datalist>`;
}

function requiredLegend(ctx: PageContext, contacts = false): SafeHtml {
  return html`<p class="small text-muted mt-2">* ${tr(ctx.lang, T.requiredField)}${
    contacts
      ? html`<br>** ${tr(ctx.lang, {
          it: 'Almeno un recapito tra Telefono abitazione e Cellulare e uno tra Indirizzo e-mail e PEC.',
          en: 'At least one of Home phone and Mobile phone, and one of E-mail and PEC.',
        })}`
      : ''
  }</p>`;
}

function heading(ctx: PageContext, title: Bilingual): SafeHtml {
  return html`<p class="portal-kicker mb-1">${tr(ctx.lang, T.requestTitle)}</p>
<h1 class="mb-4">${tr(ctx.lang, title)}</h1>`;
}

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

// ---------------------------------------------------------------------------------------------
// Home

/** "Hai già un PIN?": the pages of a citizen who already has one. */
function accessLinks(ctx: PageContext): SafeHtml {
  const { lang } = ctx;
  const item = (path: string, title: Bilingual, text: Bilingual, id: string) => html`<li class="col-md-6 mb-3" id="${id}">
    <a class="portal-access-link" href="${link(ctx, path)}"><strong>${tr(lang, title)}</strong><span>${tr(lang, text)}</span></a>
  </li>`;
  return html`<section class="portal-access mt-4 mb-5" aria-labelledby="have-pin-title">
<h2 class="h3" id="have-pin-title">${tr(lang, { it: 'Hai già un PIN?', en: 'Do you already have a PIN?' })}</h2>
<ul class="row list-unstyled mt-3 mb-0">
  ${item('/login', { it: 'Accedi', en: 'Log in' }, { it: 'Con il codice fiscale e il PIN di 8 caratteri.', en: 'With your codice fiscale and 8-character PIN.' }, 'link-login')}
  ${item('/first-access', { it: 'Primo accesso', en: 'First access' }, { it: 'Hai ricevuto le due parti del PIN di 16 caratteri: ottieni il PIN definitivo.', en: 'You got both parts of the 16-character PIN: get your final PIN.' }, 'link-first-access')}
  ${item('/letter', { it: 'Non hai ricevuto la lettera?', en: 'Didn’t get the letter?' }, { it: 'Chiedi una nuova lettera con la seconda parte del PIN.', en: 'Ask for a new letter with the second part of the PIN.' }, 'link-letter')}
  ${item('/regenerate', { it: 'PIN scaduto', en: 'Expired PIN' }, { it: 'Genera un nuovo PIN con il PIN scaduto.', en: 'Get a new PIN with the expired one.' }, 'link-regenerate')}
  ${item('/recovery', { it: 'PIN dimenticato o bloccato', en: 'Forgotten or locked PIN' }, { it: 'Ripristina il PIN con il codice fiscale e due dei recapiti indicati nella richiesta.', en: 'Recover your PIN with your codice fiscale and two of the contacts given in the request.' }, 'link-recovery')}
  ${item('/revoke', { it: 'Revoca il PIN', en: 'Revoke your PIN' }, { it: 'Se pensi che qualcuno conosca il tuo PIN: revocalo con la tessera sanitaria.', en: 'If you think someone knows your PIN: revoke it with your health-insurance card.' }, 'link-revoke')}
</ul>
</section>
<section class="portal-access mb-5" aria-labelledby="spid-title">
<h2 class="h3" id="spid-title">${tr(lang, { it: 'Accedi con SPID, CIE o CNS?', en: 'Do you sign in with SPID, CIE or CNS?' })}</h2>
<ul class="row list-unstyled mt-3 mb-0">
  ${item('/telephone-pin', { it: 'PIN telefonico', en: 'Telephone PIN' }, { it: 'Un codice temporaneo per farti riconoscere dal Contact center al telefono.', en: 'A temporary code so the contact centre can recognise you on the phone.' }, 'link-telephone-pin')}
</ul>
</section>`;
}

export function homePage(ctx: PageContext, opts: { eligibilityPolicy: boolean; accessPages?: boolean }): string {
  const { lang } = ctx;
  const who = opts.eligibilityPolicy
    ? {
        it: "Dal 1° ottobre 2021 l'INPS rilascia il PIN solo ai cittadini residenti all'estero che non hanno un documento di identità italiano. Tutti gli altri accedono ai servizi online con SPID, CIE (Carta di identità elettronica) o CNS (Carta nazionale dei servizi). I PIN già rilasciati restano validi fino alla loro dismissione.",
        en: 'Since 1 October 2021 INPS issues a PIN only to citizens resident abroad who have no Italian identity document. Everybody else accesses the online services with SPID, CIE (electronic identity card) or CNS (national services card). PINs already issued keep working until they are retired.',
      }
    : {
        it: 'Il PIN può essere richiesto online da ogni cittadino in possesso di codice fiscale.',
        en: 'Any citizen with a codice fiscale can request a PIN online.',
      };
  const body = html`<div class="row"><div class="col-lg-8">
<h1 class="mb-4">${tr(lang, { it: 'Il PIN INPS', en: 'The INPS PIN' })}</h1>
<p class="lead">${tr(lang, {
    it: "Il PIN (Personal Identification Number) è il codice identificativo personale che consente l'accesso ai servizi online dell'INPS, in base alle caratteristiche anagrafiche dell'utente e agli altri dati presenti negli archivi: ad esempio, un pensionato non può accedere ai servizi dedicati ai lavoratori.",
    en: "The PIN (Personal Identification Number) is the personal code that gives access to INPS's online services, according to the holder's personal data and the other data in the institute's records: for example, a pensioner cannot access the services meant for workers.",
  })}</p>
${opts.accessPages ? accessLinks(ctx) : ''}

<h2 class="h3 mt-5">${tr(lang, { it: 'PIN ordinario e PIN dispositivo', en: 'Ordinary and "dispositivo" PIN' })}</h2>
<p>${tr(lang, {
    it: 'Il PIN ordinario, rilasciato con questa procedura, permette di consultare i propri dati contributivi e pensionistici. Per richiedere prestazioni e pagamenti serve il PIN dispositivo: il PIN ordinario si può convertire inviando il modulo di richiesta firmato con un documento di identità, oppure in una sede INPS.',
    en: 'The ordinary PIN, issued by this procedure, lets you consult your own contribution and pension data. To claim benefits and payments you need a "dispositivo" PIN: the ordinary PIN can be converted by sending the signed request form with an identity document, or at an INPS office.',
  })}</p>

<h2 class="h3 mt-5">${tr(lang, { it: 'Come arriva il PIN', en: 'How the PIN reaches you' })}</h2>
<p>${tr(lang, {
    it: "Il PIN iniziale ha 16 caratteri: i primi 8 arrivano ai recapiti indicati nella richiesta (SMS al cellulare, e-mail o PEC), gli altri 8 per posta all'indirizzo di residenza. Al primo accesso con il PIN completo una procedura guidata ti assegna il PIN definitivo di 8 caratteri.",
    en: 'The initial PIN has 16 characters: the first 8 reach the contacts given in the request (text message to the mobile, e-mail or PEC), the other 8 arrive by post at the residence address. At the first access with the full PIN a guided procedure gives you the final 8-character PIN.',
  })}</p>

<h2 class="h3 mt-5">${tr(lang, { it: 'Chi può richiederlo', en: 'Who can request it' })}</h2>
<div class="callout note"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Attenzione', en: 'Please note' })}</span></div>
  <p class="mb-0">${tr(lang, who)}</p>
</div></div>

<h2 class="h3 mt-5">${tr(lang, { it: 'Cosa serve', en: 'What you need' })}</h2>
<ul>
  <li>${tr(lang, { it: 'il codice fiscale', en: 'your codice fiscale (Italian tax code)' })}</li>
  <li>${tr(lang, { it: 'i dati anagrafici e l’indirizzo di residenza', en: 'your personal data and residence address' })}</li>
  <li>${tr(lang, {
    it: 'almeno un numero di telefono e un indirizzo e-mail o PEC; ti consigliamo di indicare almeno due recapiti tra cellulare, e-mail e PEC, necessari per recuperare il PIN in caso di smarrimento',
    en: 'at least one phone number and one e-mail or PEC address; we advise giving at least two contacts among mobile, e-mail and PEC, which are needed to recover the PIN if you lose it',
  })}</li>
</ul>
<p class="mt-5"><a class="btn btn-primary btn-lg" href="${link(ctx, STEP_PATHS.residence)}">${tr(lang, T.requestPin)}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, { it: 'Il PIN INPS', en: 'The INPS PIN' }), body });
}

// ---------------------------------------------------------------------------------------------
// Steps

export interface StepPageInput {
  values: DraftValues;
  issues: FieldIssue[];
  csrf: string;
  /** An information shown above the form (e.g. "your session expired"). */
  notice?: Bilingual;
}

function stepForm(ctx: PageContext, step: StepId, input: StepPageInput, fields: SafeHtml, backPath: string | undefined, note?: SafeHtml): string {
  const { lang } = ctx;
  // The summary follows the order of the fields on the page.
  const order = (field: string) => {
    const i = STEP_FIELDS[step].indexOf(field);
    return i < 0 ? STEP_FIELDS[step].length : i;
  };
  const issues = [...input.issues].sort((a, b) => order(a.field) - order(b.field));
  const body = html`${steps(ctx, step)}
<div class="row"><div class="col-lg-8">
${heading(ctx, STEP_TITLES[step])}
${errorSummary(ctx, issues, (f) => fieldLabel(lang, f))}
${input.notice ? html`<div class="alert alert-info" role="status">${tr(lang, input.notice)}</div>` : ''}
${note ?? ''}
<form method="post" action="${link(ctx, STEP_PATHS[step])}" class="portal-form" novalidate>
${csrfField(input.csrf)}
${fields}
<div class="d-flex flex-wrap gap-3 mt-4">
  <button type="submit" class="btn btn-primary">${tr(lang, T.next)}</button>
  ${backPath !== undefined ? html`<a class="btn btn-outline-primary" href="${link(ctx, backPath)}">${tr(lang, T.back)}</a>` : ''}
</div>
</form>
</div></div>`;
  return page(ctx, { title: tr(lang, STEP_TITLES[step]), body, hasErrors: input.issues.length > 0 });
}

export function residencePage(ctx: PageContext, input: StepPageInput, opts: { eligibilityPolicy: boolean }): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const fields = html`
${textField(ctx, state, {
  name: 'codiceFiscale',
  label: label(ctx, 'codiceFiscale'),
  required: true,
  maxlength: maxLength('codiceFiscale'),
  autocapitalize: 'characters',
  spellcheck: false,
  autocomplete: 'off',
  hint: tr(lang, { it: '16 caratteri, ad esempio RSSMRA80A01H501U.', en: '16 characters, for example RSSMRA80A01H501U.' }),
})}
<h2 class="h4 mt-5 mb-4">${tr(lang, { it: 'Residenza', en: 'Residence' })}</h2>
${radioGroup(ctx, state, {
  name: 'residence.abroad',
  legend: tr(lang, { it: 'Dove risiedi?', en: 'Where do you live?' }),
  required: true,
  options: [
    { value: 'no', label: tr(lang, { it: 'Italiana (in Italia)', en: 'In Italy' }) },
    { value: 'yes', label: tr(lang, { it: "Estera (all'estero)", en: 'Abroad' }) },
  ],
})}
${selectField(ctx, state, {
  name: 'residence.country',
  label: label(ctx, 'residence.country'),
  placeholder: tr(lang, { it: 'Scegli lo Stato', en: 'Choose the country' }),
  options: countryOptions(lang),
  hint: tr(lang, { it: "Solo per la residenza all'estero.", en: 'Only for a residence abroad.' }),
})}
${textField(ctx, state, { name: 'residence.address', label: label(ctx, 'residence.address'), required: true, autocomplete: 'street-address', maxlength: maxLength('residence.address') })}
<div class="row">
  <div class="col-md-8">${textField(ctx, state, { name: 'residence.city', label: label(ctx, 'residence.city'), required: true, autocomplete: 'address-level2', maxlength: maxLength('residence.city') })}</div>
  <div class="col-md-4">${textField(ctx, state, { name: 'residence.postalCode', label: label(ctx, 'residence.postalCode'), required: true, autocomplete: 'postal-code', maxlength: maxLength('residence.postalCode'), autocapitalize: 'characters' })}</div>
</div>
${textField(ctx, state, {
  name: 'residence.province',
  label: label(ctx, 'residence.province'),
  maxlength: maxLength('residence.province'),
  autocomplete: 'address-level1',
  list: 'current-provinces',
  hint: tr(lang, {
    it: "In Italia la sigla della provincia (ad es. RM), obbligatoria; all'estero facoltativa.",
    en: 'In Italy the province code (e.g. RM), required; abroad optional.',
  }),
})}
${provinceList('current-provinces', 'current')}
<h2 class="h4 mt-5 mb-4">${tr(lang, { it: 'Documento di identità', en: 'Identity document' })}</h2>
${checkbox(ctx, state, {
  name: 'hasItalianIdentityDocument',
  label: label(ctx, 'hasItalianIdentityDocument'),
  hint: opts.eligibilityPolicy
    ? tr(lang, {
        it: "Dal 1° ottobre 2021 il PIN è rilasciato solo a chi risiede all'estero e non ha un documento di identità italiano; chi lo ha accede con SPID, CIE o CNS.",
        en: 'Since 1 October 2021 a PIN is issued only to people living abroad without an Italian identity document; whoever has one uses SPID, CIE or CNS.',
      })
    : undefined,
})}
${requiredLegend(ctx)}`;
  // The privacy notice comes before the first personal datum is typed.
  return stepForm(ctx, 'residence', input, fields, undefined, privacySummary(ctx));
}

export function personalPage(ctx: PageContext, input: StepPageInput): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const note = html`<dl class="row mb-5">
  <dt class="col-sm-4">${label(ctx, 'codiceFiscale')}</dt>
  <dd class="col-sm-8"><span class="portal-code">${input.values.codiceFiscale ?? ''}</span>
    <a class="ms-3" href="${link(ctx, STEP_PATHS.residence)}">${tr(lang, T.edit)}<span class="visually-hidden"> ${label(ctx, 'codiceFiscale')}</span></a></dd>
</dl>`;
  const fields = html`
<div class="row">
  <div class="col-md-6">${textField(ctx, state, { name: 'surname', label: label(ctx, 'surname'), required: true, autocomplete: 'family-name', maxlength: maxLength('surname') })}</div>
  <div class="col-md-6">${textField(ctx, state, { name: 'name', label: label(ctx, 'name'), required: true, autocomplete: 'given-name', maxlength: maxLength('name') })}</div>
</div>
<div class="row">
  <div class="col-md-6">${textField(ctx, state, {
    name: 'birthDate',
    label: label(ctx, 'birthDate'),
    type: 'date',
    required: true,
    autocomplete: 'bday',
    hint: tr(lang, { it: 'Giorno, mese e anno di nascita.', en: 'Day, month and year of birth.' }),
  })}</div>
  <div class="col-md-6">${radioGroup(ctx, state, {
    name: 'sex',
    legend: label(ctx, 'sex'),
    required: true,
    options: [
      { value: 'M', label: tr(lang, { it: 'Maschio', en: 'Male' }) },
      { value: 'F', label: tr(lang, { it: 'Femmina', en: 'Female' }) },
    ],
  })}</div>
</div>
<div class="row">
  <div class="col-md-4">${textField(ctx, state, {
    name: 'birthProvince',
    label: label(ctx, 'birthProvince'),
    required: true,
    maxlength: maxLength('birthProvince'),
    autocapitalize: 'characters',
    list: 'birth-provinces',
    hint: tr(lang, { it: 'Sigla, ad es. RM; EE se sei nato all’estero.', en: 'Code, e.g. RM; EE if you were born abroad.' }),
  })}</div>
  <div class="col-md-8">${textField(ctx, state, {
    name: 'birthMunicipality',
    label: label(ctx, 'birthMunicipality'),
    required: true,
    maxlength: maxLength('birthMunicipality'),
    hint: tr(lang, {
      it: 'Per i nati all’estero, lo Stato di nascita (ad es. Argentina).',
      en: 'If you were born abroad, the country of birth (e.g. Argentina).',
    }),
  })}</div>
</div>
${provinceList('birth-provinces', 'birth')}
${requiredLegend(ctx)}`;
  return stepForm(ctx, 'personal', input, fields, STEP_PATHS.residence, note);
}

export function contactsPage(ctx: PageContext, input: StepPageInput): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const rules = html`<div class="callout note mb-5"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Come compilare i recapiti', en: 'How to fill in the contacts' })}</span></div>
  <ul class="mb-0">
    <li>${tr(lang, {
      it: 'È obbligatorio indicare almeno un recapito tra Telefono abitazione e Cellulare, e uno tra Indirizzo e-mail e PEC.',
      en: 'You must give at least one of Home phone and Mobile phone, and one of E-mail and PEC.',
    })}</li>
    <li>${tr(lang, {
      it: 'I numeri di telefono devono comprendere il prefisso internazionale (ad es. +39 per l’Italia, +54 per l’Argentina).',
      en: 'Phone numbers must include the international prefix (e.g. +39 for Italy, +54 for Argentina).',
    })}</li>
    <li><strong>${tr(lang, {
      it: 'L’INPS consiglia di inserire almeno due contatti tra cellulare, e-mail e PEC: servono per recuperare il PIN online in caso di smarrimento.',
      en: 'INPS advises giving at least two contacts among mobile, e-mail and PEC: they are needed to recover the PIN online if you lose it.',
    })}</strong></li>
  </ul>
</div></div>`;
  const phoneHint = tr(lang, { it: 'Con prefisso internazionale, ad es. +39 06 1234567.', en: 'With the international prefix, e.g. +39 06 1234567.' });
  const fields = html`
<h2 class="h4 mb-5">${tr(lang, { it: 'Telefono', en: 'Phone' })}</h2>
<div class="row">
  <div class="col-md-6">${textField(ctx, state, { name: 'homePhone', label: label(ctx, 'homePhone'), type: 'tel', required: '**', autocomplete: 'home tel', inputmode: 'tel', maxlength: maxLength('homePhone'), hint: phoneHint })}</div>
  <div class="col-md-6">${textField(ctx, state, { name: 'mobile', label: label(ctx, 'mobile'), type: 'tel', required: '**', autocomplete: 'mobile tel', inputmode: 'tel', maxlength: maxLength('mobile'), hint: tr(lang, { it: 'Ad es. +39 333 1234567. Qui riceverai via SMS la prima parte del PIN.', en: 'E.g. +39 333 1234567. The first half of the PIN will be sent here by text message.' }) })}</div>
</div>
<h2 class="h4 mt-4 mb-5">${tr(lang, { it: 'Posta elettronica', en: 'E-mail' })}</h2>
<div class="row">
  <div class="col-md-6">${textField(ctx, state, { name: 'email', label: label(ctx, 'email'), type: 'email', required: '**', autocomplete: 'email', spellcheck: false, maxlength: maxLength('email') })}</div>
  <div class="col-md-6">${textField(ctx, state, { name: 'pec', label: label(ctx, 'pec'), type: 'email', required: '**', spellcheck: false, maxlength: maxLength('pec') })}</div>
</div>
<h2 class="h4 mt-4 mb-4">${tr(lang, { it: 'Per ricontattarti', en: 'To call you back' })}</h2>
<p class="small">${tr(lang, {
  it: 'Se serve (ad esempio se l’indirizzo di residenza è diverso da quello negli archivi INPS) il Contact center ti chiamerà al telefono e nella fascia oraria che preferisci.',
  en: 'If needed (for example if the residence address differs from the one in the INPS records) the contact centre will call you on the phone and in the time slot you prefer.',
})}</p>
<div class="row">
  <div class="col-md-6">${selectField(ctx, state, {
    name: 'preferredPhone',
    label: label(ctx, 'preferredPhone'),
    required: true,
    placeholder: tr(lang, { it: 'Scegli il telefono preferenziale', en: 'Choose the preferred phone' }),
    options: [
      { value: 'home', label: label(ctx, 'homePhone') },
      { value: 'mobile', label: label(ctx, 'mobile') },
    ],
  })}</div>
  <div class="col-md-6">${selectField(ctx, state, {
    name: 'preferredTimeSlot',
    label: label(ctx, 'preferredTimeSlot'),
    required: true,
    placeholder: tr(lang, { it: 'Scegli l’orario preferenziale', en: 'Choose the preferred time' }),
    options: PREFERRED_TIME_SLOTS.map((s) => ({ value: s.id, label: tr(lang, s.label) })),
  })}</div>
</div>
${requiredLegend(ctx, true)}`;
  return stepForm(ctx, 'contacts', input, fields, STEP_PATHS.personal, rules);
}

// ---------------------------------------------------------------------------------------------
// Review

/** Why the last "Conferma" did not go through, shown above the review. */
export interface SubmitProblem {
  kind: 'conflict' | 'unavailable' | 'ineligible';
  message: Bilingual;
}

export interface ReviewPageInput {
  request: PinRequest;
  warnings: FieldIssue[];
  csrf: string;
  idempotencyKey: string;
  problem?: SubmitProblem;
}

/** Which step edits each review section. */
const SECTION_STEP: Readonly<Record<string, StepId>> = {
  personal: 'personal',
  residence: 'residence',
  contacts: 'contacts',
  preferences: 'contacts',
};

function problemAlert(ctx: PageContext, problem: SubmitProblem): SafeHtml {
  const { lang } = ctx;
  const extra: Record<SubmitProblem['kind'], Bilingual> = {
    conflict: {
      it: 'Se hai smarrito il PIN puoi recuperarlo con la procedura di ripristino (servono il codice fiscale e due dei recapiti indicati nella richiesta) oppure revocarlo e chiederne uno nuovo. Per assistenza chiama il Contact center: 803 164 da rete fissa, 06 164 164 da cellulare.',
      en: 'If you lost your PIN you can recover it with the recovery procedure (you need the codice fiscale and two of the contacts given in the request) or revoke it and request a new one. For help call the contact centre: 803 164 from a landline, +39 06 164 164 from a mobile or from abroad.',
    },
    unavailable: {
      it: 'Non possiamo ancora dirti se la richiesta è stata registrata. Premi di nuovo «Conferma» tra qualche minuto: se era già registrata vedrai il numero di protocollo (che ricevi anche per e-mail), e non verrà inserita due volte.',
      en: 'We cannot tell you yet whether the request was recorded. Press "Confirm" again in a few minutes: if it was already recorded you will see its protocol number (which you also get by e-mail), and it will not be recorded twice.',
    },
    ineligible: { it: '', en: '' },
  };
  const title: Record<SubmitProblem['kind'], Bilingual> = {
    conflict: { it: 'Hai già un PIN', en: 'You already have a PIN' },
    unavailable: { it: 'Esito non ancora confermato', en: 'Outcome not confirmed yet' },
    ineligible: { it: 'Il PIN non può esserti rilasciato', en: 'A PIN cannot be issued to you' },
  };
  const more = tr(lang, extra[problem.kind]);
  if (problem.kind === 'ineligible') {
    // An answer, not an error: the rule, and the ways into the services instead.
    return html`<div class="alert alert-info" role="status" id="problem">
  <h2 class="h4">${tr(lang, title.ineligible)}</h2>
  <p>${tr(lang, problem.message)}</p>
  ${digitalIdentities(ctx)}
</div>`;
  }
  return html`<div class="alert ${problem.kind === 'unavailable' ? 'alert-warning' : 'alert-danger'}" role="alert">
  <h2 class="h4">${tr(lang, title[problem.kind])}</h2>
  <p class="mb-0">${tr(lang, problem.message)}${more ? html` ${more}` : ''}</p>
</div>`;
}

export function reviewPage(ctx: PageContext, input: ReviewPageInput): string {
  const { lang } = ctx;
  const summary = summarisePinRequest(input.request);
  const plan = deliveryPlan(input.request);
  const sections = summary.sections
    .filter((s) => s.id !== 'request')
    .map((s) => {
      const step = SECTION_STEP[s.id];
      const rows = s.items.map(
        (item) => html`<dt class="col-sm-5">${tr(lang, item.label)}</dt><dd class="col-sm-7">${tr(lang, item.value)}</dd>`,
      );
      return html`<section class="mb-4" aria-labelledby="sec-${s.id}">
  <div class="d-flex justify-content-between align-items-baseline border-bottom mb-3">
    <h2 class="h4 mb-2" id="sec-${s.id}">${tr(lang, s.title)}</h2>
    ${step ? html`<a href="${link(ctx, STEP_PATHS[step])}">${icon(ctx, 'it-pencil', 'icon icon-sm icon-primary me-1')}${tr(lang, T.edit)}<span class="visually-hidden"> ${tr(lang, s.title)}</span></a>` : ''}
  </div>
  <dl class="row">${rows}</dl>
</section>`;
    });
  const warnings = input.warnings.length
    ? html`<div class="alert alert-warning mb-5" role="status">
  <h2 class="h4">${tr(lang, { it: 'Avvisi', en: 'Warnings' })}</h2>
  <ul class="mb-0">${input.warnings.map((w) => html`<li>${tr(lang, w.message)}</li>`)}</ul>
</div>`
    : '';
  const body = html`${steps(ctx, 'review')}
<div class="row"><div class="col-lg-8">
${heading(ctx, STEP_TITLES.review)}
${input.problem ? problemAlert(ctx, input.problem) : ''}
<div class="callout note"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Attenzione', en: 'Please note' })}</span></div>
  <p class="mb-0">${tr(lang, {
    it: 'Verifica i dati inseriti. Premi il pulsante «Conferma» per confermare l’inserimento della richiesta oppure «Indietro» per modificare i dati.',
    en: 'Check the data you entered. Press "Confirm" to submit the request, or "Back" to change the data.',
  })}</p>
</div></div>
${warnings}
${sections}
<section class="mb-4" aria-labelledby="sec-delivery">
  <h2 class="h4 border-bottom pb-2 mb-3" id="sec-delivery">${tr(lang, { it: 'Come riceverai il PIN', en: 'How you will receive the PIN' })}</h2>
  <p>${tr(lang, plan.message)}</p>
</section>
<form method="post" action="${link(ctx, STEP_PATHS.confirm)}">
${csrfField(input.csrf)}
<input type="hidden" name="idempotencyKey" value="${input.idempotencyKey}">
<div class="d-flex flex-wrap gap-3 mt-4">
  <button type="submit" class="btn btn-primary">${tr(lang, T.confirm)}</button>
  <a class="btn btn-outline-primary" href="${link(ctx, STEP_PATHS.contacts)}">${tr(lang, T.back)}</a>
</div>
</form>
<form method="post" action="${link(ctx, STEP_PATHS.cancel)}" class="mt-4">
${csrfField(input.csrf)}
<button type="submit" class="btn btn-link px-0">${tr(lang, T.cancel)}</button>
</form>
</div></div>`;
  return page(ctx, { title: tr(lang, STEP_TITLES.review), body, hasErrors: input.problem !== undefined });
}

// ---------------------------------------------------------------------------------------------
// Done

/** What the done page shows; kept (sealed) in a cookie so a reload shows it again. */
export interface DoneData {
  key: string;
  requestId: string;
  /** Absent in a done cookie sealed before requests had protocol numbers. */
  protocol?: string;
  plan: { message: Bilingual; firstHalf: Bilingual[]; secondHalf: Bilingual[] };
  recoveryAdvice: boolean;
}

export function donePage(ctx: PageContext, done: DoneData): string {
  const { lang } = ctx;
  const list = (items: Bilingual[]) => html`<ul>${items.map((i) => html`<li>${tr(lang, i)}</li>`)}</ul>`;
  const body = html`<div class="row"><div class="col-lg-8">
<div class="alert alert-success" role="status">
  <h1 class="h2">${tr(lang, { it: 'Richiesta inserita', en: 'Request received' })}</h1>
  <p class="mb-0">${tr(lang, {
    it: 'La richiesta del PIN è stata inserita correttamente.',
    en: 'Your PIN request has been recorded.',
  })}</p>
</div>
<dl class="row">
  <dt class="col-sm-5">${tr(lang, { it: 'Numero di protocollo', en: 'Protocol number' })}</dt>
  <dd class="col-sm-7"><span class="portal-code" id="request-protocol">${done.protocol ?? done.requestId}</span></dd>
</dl>
<p class="small">${tr(lang, { it: 'Conserva questo numero: ti servirà se contatti l’INPS per questa richiesta. Lo ricevi anche per e-mail.', en: 'Keep this number: you will need it if you contact INPS about this request. You also get it by e-mail.' })}</p>
<p><a class="btn btn-outline-primary" id="receipt-link" href="/api/pin-requests/${done.requestId}/receipt">${tr(lang, { it: 'Scarica la ricevuta (PDF)', en: 'Download the receipt (PDF)' })}</a></p>
<h2 class="h4 mt-4">${tr(lang, { it: 'Come riceverai il PIN', en: 'How you will receive the PIN' })}</h2>
<p>${tr(lang, done.plan.message)}</p>
<h3 class="h5">${tr(lang, { it: 'Prima parte (primi 8 caratteri)', en: 'First half (first 8 characters)' })}</h3>
${list(done.plan.firstHalf)}
<h3 class="h5">${tr(lang, { it: 'Seconda parte (ultimi 8 caratteri)', en: 'Second half (last 8 characters)' })}</h3>
${list(done.plan.secondHalf)}
<p>${tr(lang, {
    it: 'In caso di necessità (ad esempio se l’indirizzo di residenza indicato è diverso da quello presente negli archivi INPS) sarai ricontattato al numero indicato come «Telefono preferenziale».',
    en: 'If needed (for example if the residence address you gave differs from the one in the INPS records) you will be called back on the number you chose as "Preferred phone".',
  })}</p>
${done.recoveryAdvice
    ? html`<div class="alert alert-warning" role="status">${tr(lang, {
        it: 'Hai indicato un solo recapito tra cellulare, e-mail e PEC: per poter recuperare il PIN online ne servono due. Puoi aggiungerne un altro tramite il Contact center.',
        en: 'You gave only one contact among mobile, e-mail and PEC: recovering the PIN online needs two. You can add another one through the contact centre.',
      })}</div>`
    : ''}
<p class="mt-5"><a class="btn btn-outline-primary" href="${link(ctx, '')}">${tr(lang, T.home)}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, { it: 'Richiesta inserita', en: 'Request received' }), body });
}

// ---------------------------------------------------------------------------------------------
// Not eligible: an answer, not an error to correct

/** SPID, CIE and CNS, said plainly: what each is and where it comes from. */
export function digitalIdentities(ctx: PageContext): SafeHtml {
  const { lang } = ctx;
  const item = (name: string, title: Bilingual, text: Bilingual) =>
    html`<li class="mb-3"><strong>${name}</strong> – ${tr(lang, title)}. ${tr(lang, text)}</li>`;
  return html`<ul id="digital-identities">
  ${item(
    'SPID',
    { it: 'Sistema Pubblico di Identità Digitale', en: 'Public Digital Identity System' },
    {
      it: 'Un nome utente e una password, con un secondo codice (ad esempio da un’app sul telefono), che chiedi a uno dei gestori di identità riconosciuti dallo Stato: l’elenco è su spid.gov.it. Con SPID accedi ai servizi online di tutta la pubblica amministrazione, anche dall’estero.',
      en: 'A username and a password, with a second code (for example from an app on your phone), which you ask for from one of the identity providers recognised by the State: the list is on spid.gov.it. With SPID you sign in to the online services of the whole public administration, from abroad too.',
    },
  )}
  ${item(
    'CIE',
    { it: 'Carta d’Identità Elettronica', en: 'Electronic Identity Card' },
    {
      it: 'La carta d’identità con il chip, rilasciata dal Comune (e da molti Consolati a chi risiede all’estero). Con il suo PIN e l’app CieID sul telefono, o con un lettore di carte, accedi ai servizi online.',
      en: 'The identity card with a chip, issued by the municipality (and by many consulates to people living abroad). With its PIN and the CieID app on your phone, or with a card reader, you sign in to the online services.',
    },
  )}
  ${item(
    'CNS',
    { it: 'Carta Nazionale dei Servizi', en: 'National Services Card' },
    {
      it: 'Di solito è la tessera sanitaria con il chip, da attivare negli uffici indicati dalla tua Regione; per usarla serve un lettore di carte.',
      en: 'Usually the health-insurance card with a chip, activated at the offices your Region names; you need a card reader to use it.',
    },
  )}
</ul>`;
}

/**
 * The answer to a citizen the 2021 policy excludes: not a field error to "correct", but what the
 * rule is, why it applies to them, and how to reach the services instead. Their answers are kept:
 * whoever answered by mistake goes back and changes them.
 */
export function notEligiblePage(ctx: PageContext, verdict: { message: Bilingual }): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Il PIN non può esserti rilasciato', en: 'A PIN cannot be issued to you' };
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, T.requestTitle)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
<div class="callout note mb-4"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Perché', en: 'Why' })}</span></div>
  <p class="mb-0" id="not-eligible-reason">${tr(lang, verdict.message)}</p>
</div></div>
<h2 class="h4 mt-4">${tr(lang, { it: 'Come accedere ai servizi INPS', en: 'How to access the INPS services' })}</h2>
<p>${tr(lang, { it: 'Accedi con una di queste identità digitali, valide per tutti i servizi online dell’INPS:', en: 'Sign in with one of these digital identities, valid for all the INPS online services:' })}</p>
${digitalIdentities(ctx)}
<p>${tr(lang, {
    it: 'Se non puoi usarle, una persona di fiducia può operare per te: la delega si registra presso una sede INPS, con il modulo firmato e un documento di identità, anche se non hai un PIN.',
    en: 'If you cannot use them, a trusted person can act for you: the delegation is registered at an INPS office, with the signed form and an identity document, even if you have no PIN.',
  })}</p>
<p class="mt-4">${tr(lang, { it: 'Hai risposto per errore?', en: 'Did you answer by mistake?' })} <a href="${link(ctx, STEP_PATHS.residence)}" id="change-answers">${tr(lang, { it: 'Modifica le risposte', en: 'Change your answers' })}</a></p>
<p class="mt-4"><a class="btn btn-outline-primary" href="${link(ctx, '')}">${tr(lang, T.home)}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, title), body });
}

// ---------------------------------------------------------------------------------------------
// Messages

export function messagePage(
  ctx: PageContext,
  opts: { title: Bilingual; text: Bilingual; linkPath: string; linkText: Bilingual },
): string {
  const { lang } = ctx;
  const body = html`<div class="row"><div class="col-lg-8">
<h1 class="mb-4">${tr(lang, opts.title)}</h1>
<p>${tr(lang, opts.text)}</p>
<p class="mt-4"><a class="btn btn-primary" href="${link(ctx, opts.linkPath)}">${tr(lang, opts.linkText)}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, opts.title), body });
}
