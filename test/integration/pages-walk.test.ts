/**
 * Every page of the portal and the console, in headless Chromium, as the people who use them
 * meet them: in Italian and in English, on a desktop (1280 px) and on a phone (390 px), for a
 * visitor, a PIN holder, a clerk's supervisor (who sees every desk) and an administrator, and
 * each form also as it comes back with its errors. On every one:
 * - axe-core finds no WCAG 2.1 A/AA violation;
 * - no visible text looks like an internal code (snake_case or kebab-case identifiers, ISO dates
 *   or timestamps, UUIDs, a stored enum value where its label belongs);
 * - no heading or fieldset legend is drawn over a field label;
 * - nothing is wider than the screen.
 * A screenshot of each lands in test-artifacts/pages/ (CI keeps the folder).
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser as HttpBrowser, csrfOf } from '../support/browser';
import { artifactsDir, axeViolations, hasChromium, headingOverLabel, internalCodes, launchChromium, overflowPx } from '../support/chromium';
import { makeCitizen, type CitizenRequest } from '../support/citizens';
import { signInAs } from '../support/identity';
import { activeCitizen, asWorker, waitFor, type ActiveCitizen } from '../support/issuance';
import { createTestStaff, openTestSession } from '../support/staff';
import { apiCall, requestConversion } from '../support/api';
import { freshDatabase, startTestStack, type TestStack } from '../support/stack';

type Who = 'visitor' | 'holder' | 'phoneHolder' | 'supervisor' | 'admin';
type Lang = 'it' | 'en';

interface PageVisit {
  name: string;
  who: Who;
  /** The page to open (a function when it needs the fixtures). */
  path: string | (() => string);
  /** After opening it: e.g. submit the form empty, to see it come back with its errors. */
  act?: (page: Page) => Promise<void>;
  /** Before opening it, with the context's cookies: e.g. fill the earlier steps of a wizard. */
  prepare?: (context: BrowserContext) => Promise<void>;
}

const WIDTHS = [1280, 390] as const;
const LANGS: Lang[] = ['it', 'en'];
const ARTIFACTS = artifactsDir('pages');

let stack: TestStack;
let chrome: Browser;
let holder: ActiveCitizen;
let caseId: string;
let claimId: string;
let processingClaimId: string;
let actingDelegationId: string;
let adminUsername: string;
/** Staff usernames: shown in the console's header, made up by this test with a random suffix. */
const usernames: string[] = [];
const cookies = new Map<Who, { name: string; value: string }[]>();

/** Submits the page's main form as it is (the first submit button inside `main`). */
const submitEmpty = (selector = 'main form[method="post"] button[type="submit"]') => async (page: Page) => {
  await Promise.all([page.waitForLoadState('load'), page.locator(selector).first().click()]);
  await page.waitForLoadState('load');
};

/** Claims the review case on its page, unless it is already claimed. */
async function claimCase(page: Page): Promise<void> {
  const claim = page.locator('[data-testid="claim"]');
  if ((await claim.count()) === 0) return;
  await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'claim'), claim.click()]);
}

/** Posts a form of the portal with the context's cookies, as the browser would from the page. */
async function postWith(context: BrowserContext, pagePath: string, fields: Record<string, string>): Promise<void> {
  const form = await context.request.get(`${stack.baseUrl}${pagePath}`);
  const res = await context.request.post(`${stack.baseUrl}${pagePath}`, { form: { _csrf: csrfOf(await form.text()), ...fields }, maxRedirects: 0 });
  expect(res.status(), `${pagePath}: ${(await res.text()).slice(0, 300)}`).toBe(303);
}

const newcomer: CitizenRequest = makeCitizen();
const wizard: Record<'residence' | 'personal' | 'contacts', Record<string, string>> = {
  residence: {
    codiceFiscale: newcomer.codiceFiscale,
    'residence.abroad': 'yes',
    'residence.country': newcomer.residence.country,
    'residence.address': newcomer.residence.address,
    'residence.city': newcomer.residence.city,
    'residence.postalCode': newcomer.residence.postalCode,
    'residence.province': '',
  },
  personal: {
    surname: newcomer.surname,
    name: newcomer.name,
    birthDate: newcomer.birthDate,
    sex: newcomer.sex,
    birthProvince: newcomer.birthProvince,
    birthMunicipality: newcomer.birthMunicipality,
  },
  contacts: { homePhone: '', mobile: newcomer.mobile!, email: newcomer.email!, pec: '', preferredPhone: 'mobile', preferredTimeSlot: '08-11' },
};
const toStep = (steps: (keyof typeof wizard)[]) => async (context: BrowserContext) => {
  const paths = { residence: '/portal/request', personal: '/portal/request/personal', contacts: '/portal/request/contacts' };
  for (const s of steps) await postWith(context, paths[s], wizard[s]);
};

/** A form page as it opens, and as it comes back when sent empty. */
function withErrors(name: string, who: Who, path: PageVisit['path'], opts: { prepare?: PageVisit['prepare']; submit?: string } = {}): PageVisit[] {
  return [
    { name, who, path, prepare: opts.prepare },
    { name: `${name}-errors`, who, path, prepare: opts.prepare, act: submitEmpty(opts.submit) },
  ];
}

const VISITS: PageVisit[] = [
  // The portal, for anyone.
  { name: 'portal-home', who: 'visitor', path: '/portal/' },
  ...withErrors('request-residence', 'visitor', '/portal/request'),
  ...withErrors('request-personal', 'visitor', '/portal/request/personal', { prepare: toStep(['residence']) }),
  ...withErrors('request-contacts', 'visitor', '/portal/request/contacts', { prepare: toStep(['residence', 'personal']) }),
  { name: 'request-review', who: 'visitor', path: '/portal/request/review', prepare: toStep(['residence', 'personal', 'contacts']) },
  ...withErrors('login', 'visitor', '/portal/login'),
  ...withErrors('first-access', 'visitor', '/portal/first-access'),
  ...withErrors('letter', 'visitor', '/portal/letter'),
  ...withErrors('regenerate', 'visitor', '/portal/regenerate'),
  ...withErrors('recovery', 'visitor', '/portal/recovery'),
  // The e-mailed link's page (a token of the right shape: the page only shows the button).
  { name: 'recovery-confirm', who: 'visitor', path: `/portal/recovery/confirm?token=${'A'.repeat(43)}` },
  ...withErrors('revoke', 'visitor', '/portal/revoke'),
  { name: 'telephone-pin-signed-out', who: 'visitor', path: '/portal/telephone-pin' },
  { name: 'notice-accessibility', who: 'visitor', path: '/portal/accessibilita' },
  { name: 'notice-privacy', who: 'visitor', path: '/portal/privacy' },
  { name: 'notice-legal', who: 'visitor', path: '/portal/note-legali' },
  // The portal, for a holder logged in with their PIN.
  { name: 'personal-area', who: 'holder', path: '/portal/home' },
  { name: 'my-requests', who: 'holder', path: '/portal/requests' },
  ...withErrors('contacts', 'holder', '/portal/contacts'),
  { name: 'delegations', who: 'holder', path: '/portal/delegations' },
  // The holder acts for the claimant, who delegated them: the claimant's claims and the form to file one for them.
  ...withErrors('delegation-acting', 'holder', () => `/portal/delegations/${actingDelegationId}/claims`),
  { name: 'conversion', who: 'holder', path: '/portal/conversion' },
  { name: 'claims', who: 'holder', path: '/portal/claims' },
  { name: 'claim', who: 'holder', path: () => `/portal/claims/${claimId}` },
  { name: 'telephone-pin', who: 'phoneHolder', path: '/portal/telephone-pin' },
  // The console.
  ...withErrors('console-login', 'visitor', '/console/login'),
  { name: 'console-home', who: 'supervisor', path: '/console/' },
  { name: 'console-lookup', who: 'supervisor', path: '/console/citizens' },
  { name: 'console-lookup-holder', who: 'supervisor', path: () => `/console/citizens?cf=${holder.citizen.codiceFiscale}` },
  ...withErrors('console-counter', 'supervisor', '/console/counter'),
  ...withErrors('console-counter-conversion', 'supervisor', '/console/counter/conversion'),
  ...withErrors('console-counter-delegations', 'supervisor', '/console/counter/delegations'),
  ...withErrors('console-fax-intake', 'supervisor', '/console/counter/fax-intake'),
  { name: 'console-contact-centre', who: 'supervisor', path: '/console/contact-centre' },
  ...withErrors('console-cc-pin-request', 'supervisor', '/console/contact-centre/pin-request'),
  ...withErrors('console-cc-remote-identification', 'supervisor', '/console/contact-centre/remote-identification'),
  ...withErrors('console-cc-revoke', 'supervisor', '/console/contact-centre/revoke', { submit: 'main form button[type="submit"]' }),
  ...withErrors('console-cc-verify', 'supervisor', '/console/contact-centre/verify'),
  ...withErrors('console-cc-contacts', 'supervisor', '/console/contact-centre/contacts'),
  { name: 'console-review-queue', who: 'supervisor', path: '/console/review' },
  { name: 'console-review-case', who: 'supervisor', path: () => `/console/review/${caseId}` },
  // Claimed by the supervisor (the first visit claims it): the decision form.
  { name: 'console-review-case-claimed', who: 'supervisor', path: () => `/console/review/${caseId}`, act: claimCase },
  { name: 'console-claims', who: 'supervisor', path: '/console/claims' },
  // A claim in processing: its decision form, and "reject" sent without the reason.
  ...withErrors('console-claim', 'supervisor', () => `/console/claims/${processingClaimId}`, { submit: 'main [data-testid="reject"]' }),
  { name: 'console-mailroom', who: 'supervisor', path: '/console/mailroom' },
  ...withErrors('console-password', 'supervisor', '/console/password'),
  ...withErrors('console-admin-staff', 'admin', '/console/admin/staff'),
  { name: 'console-admin-tokens', who: 'admin', path: () => `/console/admin/staff/${adminUsername}/tokens` },
  { name: 'console-admin-audit', who: 'admin', path: '/console/admin/audit' },
];


beforeAll(async () => {
  if (!hasChromium) return;
  // A database of its own: the pages list what this test made (staff accounts, the audit log, the
  // review queue), not what the other files left in the shared one.
  stack = await startTestStack({ secondReviewSampleRate: 0, identityProvider: true, databaseUrl: await freshDatabase('pin_pages') });
  chrome = await launchChromium();

  // A holder with a claim waiting for the dispositivo PIN and a conversion request under review.
  holder = await activeCitizen(stack, makeCitizen());
  await asWorker(stack, holder.credentialId);
  const claim = await apiCall(stack, 'POST', '/api/claims', { token: holder.token, json: { type: 'parental-leave' } });
  expect(claim.status).toBe(202);
  claimId = claim.body.claimId as string;
  caseId = await requestConversion(stack, holder);
  // Another holder, with a dispositivo PIN, whose claim is in processing: the back office's to decide.
  const claimant = await activeCitizen(stack, makeCitizen());
  await asWorker(stack, claimant.credentialId);
  await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [claimant.credentialId]);
  const processing = await apiCall(stack, 'POST', '/api/claims', { token: claimant.token, json: { type: 'parental-leave' } });
  expect(processing.status).toBe(202);
  processingClaimId = processing.body.claimId as string;
  await waitFor('the claim in processing', async () =>
    (await stack.pool.query('SELECT 1 FROM benefit_claims WHERE id = $1::uuid AND status = $2::text', [processingClaimId, 'in_processing'])).rowCount ? true : undefined,
  );
  // The claimant delegates the holder (consult and claims), who accepts it.
  const delegated = await apiCall(stack, 'POST', '/api/delegations', {
    token: claimant.token,
    json: { delegateCodiceFiscale: holder.citizen.codiceFiscale, scope: 'consult_and_claims', endsOn: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) },
  });
  expect(delegated.status).toBe(201);
  actingDelegationId = delegated.body.delegationId as string;
  expect((await apiCall(stack, 'POST', `/api/delegations/${actingDelegationId}/accept`, { token: holder.token })).status).toBe(200);

  const portal = new HttpBrowser(stack.baseUrl);
  const login = await portal.submitForm('/portal/login', '/portal/login', { codiceFiscale: holder.citizen.codiceFiscale, pin: holder.pin });
  expect(login.status).toBe(303);
  cookies.set('holder', [...portal.cookies].map(([name, value]) => ({ name, value })));

  const signedIn = await signInAs(stack, { codiceFiscale: holder.citizen.codiceFiscale, givenName: holder.citizen.name, familyName: holder.citizen.surname, method: 'SPID' }, `${stack.baseUrl}/portal/identity/login`);
  cookies.set(
    'phoneHolder',
    signedIn.jar
      .header(new URL(stack.baseUrl))
      .split('; ')
      .filter(Boolean)
      .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) })),
  );

  for (const role of ['supervisor', 'admin'] as const) {
    const staff = await createTestStaff(stack, role);
    if (role === 'admin') adminUsername = staff.username;
    usernames.push(staff.username);
    const session = await openTestSession(stack, staff.accountId);
    const [name, value] = session.cookie.split('=') as [string, string];
    cookies.set(role, [{ name, value }]);
  }
  cookies.set('visitor', []);
}, 240_000);

afterAll(async () => {
  await chrome?.close();
  await stack?.stop();
});

/** What is wrong with one page in one language and width, one line each (none when it is right). */
async function visit(v: PageVisit, lang: Lang, width: number): Promise<string[]> {
  // The pages' CSP allows no inline script: axe-core is injected past it (the pages themselves run none).
  const context = await chrome.newContext({ viewport: { width, height: 900 }, locale: lang === 'it' ? 'it-IT' : 'en-GB', bypassCSP: true });
  try {
    await context.addCookies([...(cookies.get(v.who) ?? []), { name: 'portal_lang', value: lang }].map((c) => ({ ...c, url: stack.baseUrl })));
    await v.prepare?.(context);
    const page = await context.newPage();
    const target = typeof v.path === 'function' ? v.path() : v.path;
    const res = await page.goto(`${stack.baseUrl}${target}`);
    expect(res?.status(), `${target} answered ${res?.status()}`).toBeLessThan(400);
    await v.act?.(page);
    await page.screenshot({ path: path.join(ARTIFACTS, `${v.name}-${lang}-${width}.png`), fullPage: true });
    const where = `${v.name} (${lang}, ${width} px)`;
    const overflow = await overflowPx(page);
    return [
      ...(await axeViolations(page)).map((a) => `${where} axe ${a.rule} (${a.impact}): ${a.help} — ${a.targets.slice(0, 3).join(' | ')}`),
      ...(await internalCodes(page, lang, usernames)).map((c) => `${where} code ${c.kind}: ${c.text}`),
      ...(await headingOverLabel(page)).map((o) => `${where} overlap: heading "${o.heading}" over label "${o.label}"`),
      ...(overflow > 0 ? [`${where} ${overflow} px wider than the screen`] : []),
    ];
  } finally {
    await context.close();
  }
}

describe.skipIf(!hasChromium)('every page in Chromium, in both languages, desktop and 390 px', () => {
  it.each(VISITS.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const problems: string[] = [];
    for (const lang of LANGS) for (const width of WIDTHS) problems.push(...(await visit(v, lang, width)));
    expect(problems).toEqual([]);
  });
});
