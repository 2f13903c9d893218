/**
 * The console's page frame and small building blocks, on the portal's (portal/views.ts):
 * the same bootstrap-italia header and footer with the console's brand, a menu of the sections
 * the staff member's role may open, and the user with a logout button.
 */
import type { Request, Response } from 'express';
import type { Bilingual } from '../domain/errors';
import { html, type HtmlValue, type SafeHtml } from '../web/html';
import { formatDate, formatDateTime, resolveLang, type Lang } from '../portal/i18n';
import { page, type PageContext } from '../portal/views';
import type { StaffRole } from '../services/staff/auth';
import type { ConsoleStaff } from '../services/staff/sessions';
import { ROLE_LABELS } from '../services/staff/accounts';
import { SECTIONS, type SectionId } from './roles';

/** The bootstrap-italia assets are the portal's. */
const ASSETS_BASE = '/portal/assets';
/** The footer's notices (accessibility, privacy, legal notes) are the portal's pages. */
const PORTAL_BASE = '/portal';

/** What a console page needs: language, where it is, who is looking, the session's CSRF token. */
export interface ConsoleContext extends PageContext {
  staff?: ConsoleStaff;
  csrf?: string;
}

export function consoleContext(req: Request, res: Response, selfPath: string): ConsoleContext {
  return {
    lang: resolveLang(req, res),
    base: req.baseUrl,
    selfPath,
    assetBase: ASSETS_BASE,
    portalBase: PORTAL_BASE,
    staff: res.locals.staff as ConsoleStaff | undefined,
    csrf: res.locals.csrf as string | undefined,
  };
}

/** The text in the page language. */
export const t = (ctx: { lang: Lang }, it: string, en: string): string => (ctx.lang === 'it' ? it : en);
export const tb = (ctx: { lang: Lang }, text: Bilingual): string => text[ctx.lang];

const SECTION_LABELS: Record<SectionId, Bilingual> = {
  review: { it: 'Verifica documenti', en: 'Document review' },
  claims: { it: 'Domande di prestazione', en: 'Benefit claims' },
  counter: { it: 'Sportello (MV35)', en: 'Counter (MV35)' },
  contactCentre: { it: 'Contact center', en: 'Contact centre' },
  lookup: { it: 'Ricerca cittadino', en: 'Citizen lookup' },
  mailroom: { it: 'Ufficio posta', en: 'Mail room' },
  admin: { it: 'Account del personale', en: 'Staff accounts' },
};

export const SECTION_PATHS: Record<SectionId, string> = {
  review: '/review',
  claims: '/claims',
  counter: '/counter',
  contactCentre: '/contact-centre',
  lookup: '/citizens',
  mailroom: '/mailroom',
  admin: '/admin/staff',
};

/** The pages of a section besides its first one, listed under it on the home page. */
export const SECTION_PAGES: Partial<Record<SectionId, readonly { path: string; label: Bilingual }[]>> = {
  counter: [
    { path: '/counter/conversion', label: { it: 'Conversione in PIN dispositivo', en: 'Conversion to a dispositivo PIN' } },
    { path: '/counter/delegations', label: { it: 'Registra delega', en: 'Register a delegation' } },
    { path: '/counter/fax-intake', label: { it: 'Fax ricevuto (richiesta di conversione)', en: 'Received fax (conversion request)' } },
  ],
};

export const sectionLabel = (ctx: { lang: Lang }, id: SectionId): string => tb(ctx, SECTION_LABELS[id]);
export const roleLabel = (ctx: { lang: Lang }, role: StaffRole): string => tb(ctx, ROLE_LABELS[role]);

/** The sections a role may open, in menu order. */
export function sectionsFor(role: StaffRole): SectionId[] {
  return (Object.keys(SECTIONS) as SectionId[]).filter((id) => SECTIONS[id].includes(role));
}

/** A hidden CSRF field for a form that posts (the session's token). */
export function csrfInput(ctx: ConsoleContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">`;
}

function nav(ctx: ConsoleContext, active: SectionId | undefined): SafeHtml {
  const staff = ctx.staff;
  if (!staff) return html``;
  // A generated password not yet changed opens no section: no links to them.
  const items = (staff.mustChangePassword ? [] : sectionsFor(staff.role)).map((id) =>
    id === active
      ? html`<li class="nav-item"><a class="nav-link text-white fw-bold text-decoration-underline" aria-current="page" href="${ctx.base}${SECTION_PATHS[id]}"><span>${sectionLabel(ctx, id)}</span></a></li>`
      : html`<li class="nav-item"><a class="nav-link text-white" href="${ctx.base}${SECTION_PATHS[id]}"><span>${sectionLabel(ctx, id)}</span></a></li>`,
  );
  return html`<div class="it-header-navbar-wrapper console-nav">
  <div class="container">
    <nav class="navbar navbar-expand-lg has-megamenu" aria-label="${t(ctx, 'Menu della console', 'Console menu')}">
      <div class="menu-wrapper w-100 d-flex flex-wrap align-items-center justify-content-between">
        <ul class="navbar-nav flex-row flex-wrap">
          <li class="nav-item"><a class="nav-link text-white${active === undefined ? ' fw-bold text-decoration-underline' : ''}" href="${ctx.base}/"${active === undefined ? html` aria-current="page"` : ''}><span>${t(ctx, 'Inizio', 'Home')}</span></a></li>
          ${items}
        </ul>
        <form method="post" action="${ctx.base}/logout" class="d-flex align-items-center gap-2 py-2">
          ${csrfInput(ctx)}
          <span class="text-white small" data-testid="staff-user">${staff.displayName} (${staff.staffId}, ${roleLabel(ctx, staff.role)})</span>
          <a class="btn btn-sm btn-outline-light" href="${ctx.base}/password">${t(ctx, 'Password', 'Password')}</a>
          <button type="submit" class="btn btn-sm btn-outline-light">${t(ctx, 'Esci', 'Log out')}</button>
        </form>
      </div>
    </nav>
  </div>
</div>`;
}

export interface ConsolePageOptions {
  title: string;
  body: SafeHtml;
  active?: SectionId;
  hasErrors?: boolean;
  /** False on a page shown once (a new password, the envelope): no language links. */
  langSwitch?: boolean;
  /** Loads `url` again every so many seconds while work is in progress (no script). */
  refresh?: { seconds: number; url: string };
}

export function consolePage(ctx: ConsoleContext, opts: ConsolePageOptions): string {
  return page(ctx, {
    title: opts.title,
    brand: t(ctx, 'Console PIN INPS', 'INPS PIN Console'),
    tagline: t(ctx, 'Back-office del personale', 'Staff back office'),
    nav: nav(ctx, opts.active),
    footer: t(ctx, 'Console riservata al personale autorizzato. Ogni accesso e ogni operazione sono registrati.', 'For authorised staff only. Every login and every action is recorded.'),
    hasErrors: opts.hasErrors,
    langSwitch: opts.langSwitch,
    refresh: opts.refresh,
    // `console-page` scopes the console's form layout (portal.css: labels in the flow above their field).
    body: html`<div class="console-page"><h1 class="h2 mb-4">${opts.title}</h1>${opts.body}</div>`,
  });
}

export function alertBox(kind: 'success' | 'danger' | 'warning' | 'info', content: HtmlValue, testId?: string): SafeHtml {
  return html`<div class="alert alert-${kind}" role="${kind === 'danger' ? 'alert' : 'status'}"${testId ? html` data-testid="${testId}"` : ''}>${content}</div>`;
}

/** A moment or a day as given to the formatters (a Date, an ISO instant, or a YYYY-MM-DD day). */
type When = Date | string | null | undefined;
const iso = (d: Date | string): string => (typeof d === 'string' ? d : Number.isNaN(d.getTime()) ? '' : d.toISOString());

/** A moment as Rome's wall clock, one format on every console page: "5 dic 2026, 09:14" / "5 Dec 2026, 09:14". */
export function fmtDateTime(ctx: { lang: Lang }, d: When): string {
  if (d === null || d === undefined) return '—';
  return formatDateTime(ctx.lang, iso(d), 'medium') || '—';
}

/** A day in the same format: "5 dic 2026" / "5 Dec 2026" (a YYYY-MM-DD day is that calendar day). */
export function fmtDate(ctx: { lang: Lang }, d: When): string {
  if (d === null || d === undefined) return '—';
  return formatDate(ctx.lang, iso(d), 'medium') || '—';
}

/** "2 g 3 h" / "2 d 3 h"; negative = overdue ("scaduta da ..."). */
export function fmtTimeLeft(ctx: { lang: Lang }, seconds: number | null): string {
  if (seconds === null) return '—';
  const abs = Math.abs(seconds);
  const d = Math.floor(abs / 86_400);
  const h = Math.floor((abs % 86_400) / 3_600);
  const m = Math.floor((abs % 3_600) / 60);
  const parts = d > 0 ? `${d} ${t(ctx, 'g', 'd')} ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
  return seconds < 0 ? t(ctx, `scaduto da ${parts}`, `overdue by ${parts}`) : parts;
}

/** A definition list of label/value pairs. */
export function facts(rows: [string, HtmlValue][]): SafeHtml {
  return html`<dl class="row">${rows.map(([k, v]) => html`<dt class="col-sm-4">${k}</dt><dd class="col-sm-8">${v === '' || v === undefined || v === null ? '—' : v}</dd>`)}</dl>`;
}

/**
 * A simple table; `caption` is read by screen readers. On a narrow screen its box scrolls
 * sideways: it takes the keyboard's focus and is named, so the scroll is reachable without a mouse.
 */
export function table(caption: string, head: string[], rows: HtmlValue[][], testId?: string): SafeHtml {
  return html`<div class="table-responsive" tabindex="0" role="region" aria-label="${caption}"><table class="table table-sm"${testId ? html` data-testid="${testId}"` : ''}>
<caption class="visually-hidden">${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table></div>`;
}
