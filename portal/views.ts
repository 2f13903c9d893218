/**
 * Page frame and form components in bootstrap-italia 2 markup, rendered without client script:
 * labels are always in their raised (`active`) position, errors use `is-invalid` with an
 * `invalid-feedback` next to the field and an error summary at the top of the page.
 */
import type { Bilingual, FieldIssue } from '../domain/errors';
import { html, type HtmlValue, type SafeHtml } from '../web/html';
import { fill, LANGS, T, tr, type Lang } from './i18n';
import { countryName, isIsoCountryCode } from '../domain/countries';

/** What every page needs to know about the request it answers. */
export interface PageContext {
  lang: Lang;
  /** Where the portal is mounted, e.g. `/portal`. */
  base: string;
  /** Path (inside the portal) that shows this page by GET, for the language links. */
  selfPath: string;
  /** Where the assets are served when not under `base` (the staff console uses the portal's). */
  assetBase?: string;
  /** Where the portal is mounted when not at `base` (the staff console's footer links the portal's notices). */
  portalBase?: string;
}

/** The institutional notices every footer links, inside the portal (pages: notice-pages.ts). */
export const NOTICE_PATHS = {
  accessibility: '/accessibilita',
  privacy: '/privacy',
  legal: '/note-legali',
} as const;

export type NoticeId = keyof typeof NOTICE_PATHS;

export const NOTICE_TITLES: Readonly<Record<NoticeId, Bilingual>> = {
  accessibility: { it: 'Dichiarazione di accessibilità', en: 'Accessibility statement' },
  privacy: { it: 'Informativa sul trattamento dei dati personali', en: 'Privacy notice' },
  legal: { it: 'Note legali', en: 'Legal notes' },
};

/** The footer's links to the notices, in the page's language. */
function noticeLinks(ctx: PageContext): SafeHtml {
  const base = ctx.portalBase ?? ctx.base;
  // Inside the portal its language cookie carries the choice; from the console the language is said.
  const query = base === ctx.base ? '' : `?lang=${ctx.lang}`;
  const ids = Object.keys(NOTICE_PATHS) as NoticeId[];
  return html`<div class="it-footer-small-prints clearfix">
    <div class="container">
      <nav aria-label="${tr(ctx.lang, { it: 'Note e informative', en: 'Notices' })}">
        <ul class="it-footer-small-prints-list list-inline mb-0 d-flex flex-column flex-md-row" data-testid="footer-notices">${ids.map(
          (id) => html`<li class="list-inline-item"><a href="${base}${NOTICE_PATHS[id]}${query}" data-testid="footer-${id}">${tr(ctx.lang, NOTICE_TITLES[id])}</a></li>`,
        )}</ul>
      </nav>
    </div>
  </div>`;
}

const assetUrl = (ctx: PageContext, path: string): string => `${ctx.assetBase ?? `${ctx.base}/assets`}/${path}`;

/** An icon from bootstrap-italia's SVG sprite, hidden from assistive technology. */
export function icon(ctx: PageContext, name: string, classes = 'icon icon-sm'): SafeHtml {
  return html`<svg class="${classes}" aria-hidden="true" focusable="false"><use href="${assetUrl(ctx, `bootstrap-italia/svg/sprites.svg#${name}`)}"></use></svg>`;
}

const LANG_LABEL: Record<Lang, { short: string; long: string }> = {
  it: { short: 'ITA', long: 'Italiano' },
  en: { short: 'ENG', long: 'English' },
};

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Prefixes the title with "Error:" so screen-reader users hear it first. */
  hasErrors?: boolean;
  /**
   * False on a page that cannot be shown again by GET (the new PIN, shown once): a language link
   * would lose it, so only the current language is shown.
   */
  langSwitch?: boolean;
  /** Brand and tagline in the header, when not the portal's (the staff console). */
  brand?: string;
  tagline?: string;
  /** Navigation shown under the header (the staff console's menu and user). */
  nav?: SafeHtml;
  /** The footer's notice, when not the portal's. */
  footer?: string;
  /** Reloads the page (or loads `url`, e.g. after a POST) every so many seconds: work in progress shown without script. */
  refresh?: { seconds: number; url: string };
}

/** The whole document: header with language links, main content, footer. */
export function page(ctx: PageContext, opts: PageOptions): string {
  const { lang } = ctx;
  const brand = opts.brand ?? tr(lang, T.brand);
  const fullTitle = `${opts.hasErrors ? tr(lang, T.errorTitlePrefix) : ''}${opts.title} - ${brand}`;
  const sep = ctx.selfPath.includes('?') ? '&' : '?';
  const langLinks = LANGS.filter((l) => opts.langSwitch !== false || l === lang).map((l) =>
    l === lang
      ? html`<li class="nav-item"><span class="nav-link portal-lang-current" aria-current="true" lang="${l}"><abbr title="${LANG_LABEL[l].long}">${LANG_LABEL[l].short}</abbr></span></li>`
      : html`<li class="nav-item"><a class="nav-link" href="${ctx.base}${ctx.selfPath}${sep}lang=${l}" lang="${l}" hreflang="${l}"><abbr title="${LANG_LABEL[l].long}">${LANG_LABEL[l].short}</abbr></a></li>`,
  );
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${fullTitle}</title>
${opts.refresh ? html`<meta http-equiv="refresh" content="${`${opts.refresh.seconds}; url=${opts.refresh.url}`}">` : ''}
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl(ctx, 'bootstrap-italia/css/bootstrap-italia.min.css')}">
<link rel="stylesheet" href="${assetUrl(ctx, 'portal/portal.css')}">
</head>
<body>
<div class="skiplinks"><a class="visually-hidden-focusable" href="#main">${tr(lang, T.skipToContent)}</a></div>
<header class="it-header-wrapper">
  <div class="it-header-slim-wrapper">
    <div class="container">
      <div class="row"><div class="col-12">
        <div class="it-header-slim-wrapper-content">
          <span class="navbar-brand">${tr(lang, T.institute)}</span>
          <nav class="it-header-slim-right-zone" aria-label="${tr(lang, T.languageNav)}">
            <ul class="nav portal-lang">${langLinks}</ul>
          </nav>
        </div>
      </div></div>
    </div>
  </div>
  <div class="it-header-center-wrapper">
    <div class="container">
      <div class="row"><div class="col-12">
        <div class="it-header-center-content-wrapper">
          <div class="it-brand-wrapper">
            <a href="${ctx.base}">
              ${icon(ctx, 'it-pa', 'icon')}
              <div class="it-brand-text">
                <div class="it-brand-title">${brand}</div>
                <div class="it-brand-tagline d-none d-md-block">${opts.tagline ?? tr(lang, T.tagline)}</div>
              </div>
            </a>
          </div>
        </div>
      </div></div>
    </div>
  </div>
${opts.nav ?? ''}
</header>
<main id="main" class="container my-5">
${opts.body}
</main>
<footer class="it-footer">
  <div class="it-footer-main">
    <div class="container py-4">
      <p class="mb-0 text-white">${tr(lang, T.institute)}</p>
      <p class="mb-0 small text-white">${opts.footer ?? tr(lang, T.footer)}</p>
    </div>
  </div>
  ${noticeLinks(ctx)}
</footer>
</body>
</html>
`.value;
}

// ---------------------------------------------------------------------------------------------
// Steps indicator

export interface StepperItem {
  label: string;
  state: 'done' | 'current' | 'todo';
}

export function stepper(ctx: PageContext, items: StepperItem[], current: number): SafeHtml {
  const { lang } = ctx;
  const lis = items.map((item, i) => {
    const number = html`<span class="steppers-number" aria-hidden="true">${i + 1}</span>`;
    if (item.state === 'current') {
      return html`<li class="active" aria-current="step">${number}${item.label}<span class="visually-hidden"> (${tr(lang, T.stepCurrent)})</span></li>`;
    }
    if (item.state === 'done') {
      return html`<li class="confirmed">${number}${item.label}${icon(ctx, 'it-check', 'icon steppers-success')}<span class="visually-hidden"> (${tr(lang, T.stepDone)})</span></li>`;
    }
    return html`<li>${number}${item.label}</li>`;
  });
  return html`<nav class="steppers mb-4" aria-label="${tr(lang, T.stepsLabel)}">
  <div class="steppers-header">
    <ul>${lis}</ul>
    <span class="steppers-index" aria-hidden="true">${current}/${items.length}</span>
  </div>
  <p class="visually-hidden">${fill(tr(lang, T.stepOf), { n: current, total: items.length })}</p>
</nav>`;
}

// ---------------------------------------------------------------------------------------------
// Form components

/** Values and issues of the form being rendered. */
export interface FormState {
  values: Partial<Record<string, string>>;
  issues: FieldIssue[];
}

export const fieldId = (name: string): string => `f-${name.replace(/\./g, '-')}`;

function issuesOf(state: FormState, name: string): FieldIssue[] {
  return state.issues.filter((i) => i.field === name);
}

/** `aria-describedby` ids and the feedback markup for a field. */
function describe(ctx: PageContext, state: FormState, name: string, hint: HtmlValue | undefined) {
  const id = fieldId(name);
  const issues = issuesOf(state, name);
  const ids = [hint ? `${id}-hint` : '', issues.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  const feedback = issues.length
    ? html`<div class="invalid-feedback d-block" id="${id}-error">${issues.map(
        (i, n) => html`${n > 0 ? html`<br>` : ''}${tr(ctx.lang, i.message)}`,
      )}</div>`
    : '';
  const hintHtml = hint ? html`<small class="form-text d-block" id="${id}-hint">${hint}</small>` : '';
  return { id, invalid: issues.length > 0, describedBy: ids, feedback, hintHtml };
}

/** "*" for required fields, "**" for the contacts of which at least one is required. */
function mark(required: boolean | '**'): SafeHtml {
  if (required === '**') return html` <span class="portal-required" aria-hidden="true">**</span>`;
  return required ? html` <span class="portal-required" aria-hidden="true">*</span>` : html``;
}

export interface TextFieldOptions {
  name: string;
  label: string;
  /** A `password` field never shows a value back: secrets are not echoed into the page. */
  type?: 'text' | 'email' | 'tel' | 'date' | 'password';
  hint?: HtmlValue;
  required?: boolean | '**';
  autocomplete?: string;
  maxlength?: number;
  inputmode?: string;
  list?: string;
  autocapitalize?: 'characters' | 'words' | 'off';
  spellcheck?: boolean;
  /** Rendered as read-only text instead of an input (e.g. the codice fiscale on step 2). */
  readOnly?: boolean;
}

export function textField(ctx: PageContext, state: FormState, o: TextFieldOptions): SafeHtml {
  const d = describe(ctx, state, o.name, o.hint);
  const value = o.type === 'password' ? '' : (state.values[o.name] ?? '');
  return html`<div class="form-group">
  <label for="${d.id}" class="active">${o.label}${mark(o.required ?? false)}</label>
  <input type="${o.type ?? 'text'}" class="form-control${d.invalid ? ' is-invalid' : ''}" id="${d.id}" name="${o.name}" value="${value}"${
    o.required === true ? html` required aria-required="true"` : ''
  }${d.invalid ? html` aria-invalid="true"` : ''}${d.describedBy ? html` aria-describedby="${d.describedBy}"` : ''}${
    o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''
  }${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${
    o.list ? html` list="${o.list}"` : ''
  }${o.autocapitalize ? html` autocapitalize="${o.autocapitalize}"` : ''}${o.spellcheck === false ? html` spellcheck="false"` : ''}${
    o.readOnly ? html` readonly` : ''
  }>
  ${d.feedback}${d.hintHtml}
</div>`;
}

export interface TextAreaFieldOptions {
  name: string;
  label: string;
  hint?: HtmlValue;
  required?: boolean;
  maxlength: number;
  rows?: number;
}

export function textAreaField(ctx: PageContext, state: FormState, o: TextAreaFieldOptions): SafeHtml {
  const d = describe(ctx, state, o.name, o.hint);
  return html`<div class="form-group">
  <label for="${d.id}" class="active">${o.label}${mark(o.required ?? false)}</label>
  <textarea id="${d.id}" name="${o.name}" class="form-control${d.invalid ? ' is-invalid' : ''}" maxlength="${o.maxlength}" rows="${o.rows ?? 3}"${
    o.required ? html` required aria-required="true"` : ''
  }${d.invalid ? html` aria-invalid="true"` : ''}${d.describedBy ? html` aria-describedby="${d.describedBy}"` : ''}>${state.values[o.name] ?? ''}</textarea>
  ${d.feedback}${d.hintHtml}
</div>`;
}

export interface Option {
  value: string;
  label: string;
}

/** ISO codes of every country but Italy (the residence abroad list). */
const FOREIGN_COUNTRIES: readonly string[] = (() => {
  const codes: string[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (code !== 'IT' && isIsoCountryCode(code)) codes.push(code);
    }
  }
  return codes;
})();

const countryOptionsCache = new Map<Lang, Option[]>();
/** Every country but Italy, by name in the page's language (a residence abroad, a foreign document's issuing state). */
export function countryOptions(lang: Lang): Option[] {
  let options = countryOptionsCache.get(lang);
  if (!options) {
    options = FOREIGN_COUNTRIES.map((code) => ({ value: code, label: countryName(code)[lang] })).sort((a, b) =>
      a.label.localeCompare(b.label, lang),
    );
    countryOptionsCache.set(lang, options);
  }
  return options;
}

export interface SelectFieldOptions {
  name: string;
  label: string;
  options: readonly Option[];
  placeholder: string;
  hint?: HtmlValue;
  required?: boolean;
}

export function selectField(ctx: PageContext, state: FormState, o: SelectFieldOptions): SafeHtml {
  const d = describe(ctx, state, o.name, o.hint);
  const value = state.values[o.name] ?? '';
  const options = o.options.map(
    (opt) => html`<option value="${opt.value}"${opt.value === value ? html` selected` : ''}>${opt.label}</option>`,
  );
  return html`<div class="select-wrapper mb-5">
  <label for="${d.id}">${o.label}${mark(o.required ?? false)}</label>
  <select id="${d.id}" name="${o.name}" class="${d.invalid ? 'is-invalid' : ''}"${o.required ? html` required aria-required="true"` : ''}${
    d.invalid ? html` aria-invalid="true"` : ''
  }${d.describedBy ? html` aria-describedby="${d.describedBy}"` : ''}>
    <option value=""${value === '' ? html` selected` : ''}>${o.placeholder}</option>
    ${options}
  </select>
  ${d.feedback}${d.hintHtml}
</div>`;
}

export interface RadioGroupOptions {
  name: string;
  legend: string;
  options: readonly Option[];
  hint?: HtmlValue;
  required?: boolean;
}

export function radioGroup(ctx: PageContext, state: FormState, o: RadioGroupOptions): SafeHtml {
  const d = describe(ctx, state, o.name, o.hint);
  const value = state.values[o.name] ?? '';
  const radios = o.options.map((opt) => {
    const id = `${d.id}-${opt.value}`;
    return html`<div class="form-check form-check-inline">
    <input type="radio" id="${id}" name="${o.name}" value="${opt.value}"${opt.value === value ? html` checked` : ''}${
      d.invalid ? html` class="is-invalid" aria-invalid="true"` : ''
    }${d.describedBy ? html` aria-describedby="${d.describedBy}"` : ''}${o.required ? html` required` : ''}>
    <label for="${id}">${opt.label}</label>
  </div>`;
  });
  return html`<fieldset class="mb-4" id="${d.id}">
  <legend class="portal-legend">${o.legend}${mark(o.required ?? false)}</legend>
  ${d.hintHtml}
  ${radios}
  ${d.feedback}
</fieldset>`;
}

export interface CheckboxOptions {
  name: string;
  label: string;
  hint?: HtmlValue;
}

export function checkbox(ctx: PageContext, state: FormState, o: CheckboxOptions): SafeHtml {
  const d = describe(ctx, state, o.name, o.hint);
  const checked = state.values[o.name] === 'yes';
  return html`<div class="form-check mb-4">
  <input type="checkbox" id="${d.id}" name="${o.name}" value="yes"${checked ? html` checked` : ''}${
    d.invalid ? html` class="is-invalid" aria-invalid="true"` : ''
  }${d.describedBy ? html` aria-describedby="${d.describedBy}"` : ''}>
  <label for="${d.id}">${o.label}</label>
  ${d.hintHtml}
  ${d.feedback}
</div>`;
}

/** The list of all problems, each linking to its field; identical messages are listed once. */
export function errorSummary(ctx: PageContext, issues: readonly FieldIssue[], labelOf: (field: string) => string | undefined): SafeHtml {
  if (issues.length === 0) return html``;
  const seen = new Set<string>();
  const items: SafeHtml[] = [];
  for (const issue of issues) {
    const text = tr(ctx.lang, issue.message);
    if (seen.has(`${issue.code}|${text}`)) continue;
    seen.add(`${issue.code}|${text}`);
    const label = labelOf(issue.field);
    items.push(
      label
        ? html`<li><a href="#${fieldId(issue.field)}">${label}</a>: ${text}</li>`
        : html`<li>${text}</li>`,
    );
  }
  return html`<div class="alert alert-danger" role="alert" aria-labelledby="error-summary-title" tabindex="-1" id="error-summary">
  <h2 class="h4" id="error-summary-title">${tr(ctx.lang, T.errorSummaryTitle)}</h2>
  <p>${tr(ctx.lang, T.errorSummaryIntro)}</p>
  <ul class="mb-0">${items}</ul>
</div>`;
}

/** A hidden CSRF field for every form that posts. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/**
 * A failure whose outcome is not known (a dependency did not answer in time): the page does not
 * say it failed. Every action behind these pages is safe to ask again — done once, it answers
 * "already done" — so the citizen is told just that.
 */
export const NOT_CONFIRMED = {
  tone: 'warning' as const,
  title: { it: 'Esito non ancora confermato', en: 'Outcome not confirmed yet' },
  text: {
    it: 'Il servizio non ha risposto in tempo e non possiamo ancora dirti l’esito. Riprova tra qualche minuto con lo stesso pulsante: se l’operazione era già stata fatta te lo diremo, e non verrà fatta due volte.',
    en: 'The service did not answer in time and we cannot tell you the outcome yet. Try again in a few minutes with the same button: if it was already done we will tell you, and it will not be done twice.',
  },
};

/**
 * A required field left empty, said the same way on every portal form: what to give, and that
 * the field is required ("Inserisci il codice fiscale (campo obbligatorio).").
 */
export function requiredIssue(field: string, what: Bilingual): FieldIssue {
  return { field, code: 'required', message: { it: `${what.it} (campo obbligatorio).`, en: `${what.en} (required).` } };
}

/** The "Sei sicuro?" step of an action that cannot be undone: what it does, what follows, and two ways on. */
export interface ConfirmStep {
  /** What is about to be done, in one sentence. */
  lead: Bilingual;
  /** What follows and cannot be undone. */
  consequences: readonly Bilingual[];
  /** What the citizen gave or chose (check your answers). */
  rows?: readonly { label: Bilingual; value: string }[];
  /** Where the confirmation is posted (with `confirmed=yes` and the hidden fields). */
  action: string;
  hidden?: Readonly<Record<string, string>>;
  csrf: string;
  /** The button that does it ("Sì, revoca il PIN"). */
  confirm: Bilingual;
  /** The way back, doing nothing: a link, or (to keep what was typed) a second button of the same form. */
  back: { path: string; label: Bilingual } | { button: string; label: Bilingual };
}

export function confirmStep(ctx: PageContext, c: ConfirmStep): SafeHtml {
  const { lang } = ctx;
  const hidden = Object.entries(c.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const back =
    'path' in c.back
      ? html`<a class="btn btn-outline-primary" href="${ctx.base}${c.back.path}" id="confirm-back">${tr(lang, c.back.label)}</a>`
      : html`<button type="submit" class="btn btn-outline-primary" name="${c.back.button}" value="yes" id="confirm-back">${tr(lang, c.back.label)}</button>`;
  return html`<p class="lead" id="confirm-lead">${tr(lang, c.lead)}</p>
${c.rows?.length ? html`<dl class="row mb-4" id="confirm-rows">${c.rows.map((r) => html`<dt class="col-sm-5">${tr(lang, r.label)}</dt><dd class="col-sm-7">${r.value}</dd>`)}</dl>` : ''}
<div class="callout warning mb-4"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-warning-circle')}<span class="text">${tr(lang, { it: 'Non si può annullare', en: 'This cannot be undone' })}</span></div>
  <ul class="mb-0" id="confirm-consequences">${c.consequences.map((x) => html`<li>${tr(lang, x)}</li>`)}</ul>
</div></div>
<form method="post" action="${ctx.base}${c.action}" class="portal-form" novalidate id="confirm-form">
${csrfField(c.csrf)}
${hidden}
<input type="hidden" name="confirmed" value="yes">
<div class="d-flex flex-wrap gap-3 mt-2">
  <button type="submit" class="btn btn-danger" id="confirm-submit">${tr(lang, c.confirm)}</button>
  ${back}
</div>
</form>`;
}
