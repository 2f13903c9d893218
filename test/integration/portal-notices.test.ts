/**
 * The institutional notices on the real stack: every portal and console page's footer links the
 * accessibility statement, the privacy notice and the legal notes; each answers 200 without a
 * login in Italian and English; the privacy notice says what this system keeps (the letter's
 * retention) and who to write to; the request form's first step shows the privacy summary and
 * its link before the first personal datum. Then the notices in headless Chromium at 390 px,
 * reached from the request form's link and the footer (screenshots in test-artifacts/portal/).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser';
import { consoleLogin, createTestStaff } from '../support/staff';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const NOTICES = [
  { path: '/portal/accessibilita', testId: 'footer-accessibility', it: 'Dichiarazione di accessibilità', en: 'Accessibility statement' },
  { path: '/portal/privacy', testId: 'footer-privacy', it: 'Informativa sul trattamento dei dati personali', en: 'Privacy notice' },
  { path: '/portal/note-legali', testId: 'footer-legal', it: 'Note legali', en: 'Legal notes' },
] as const;

/** The footer's notice links of a page, as `href → text`. */
function footerLinks(body: string): Map<string, string> {
  const footer = body.slice(body.indexOf('<footer'));
  const links = new Map<string, string>();
  for (const m of footer.matchAll(/<a href="([^"]+)" data-testid="footer-[a-z]+">([^<]+)<\/a>/g)) links.set(m[1]!, m[2]!);
  return links;
}

describe('institutional notices', () => {
  it('are linked from the footer of a portal page and of a console page, in the page’s language', async () => {
    const home = await new Browser(stack.baseUrl).get('/portal');
    expect(footerLinks(home.body)).toEqual(new Map(NOTICES.map((n) => [n.path, n.it])));
    // In the portal the language cookie carries the choice to the notice.
    const citizen = new Browser(stack.baseUrl);
    const loginEn = await citizen.get('/portal/login?lang=en');
    expect(footerLinks(loginEn.body)).toEqual(new Map(NOTICES.map((n) => [n.path, n.en])));
    expect((await citizen.get('/portal/privacy')).body).toContain('<html lang="en">');

    const clerk = await consoleLogin(stack, await createTestStaff(stack, 'clerk'));
    const consoleHome = await clerk.get('/console/');
    expect(consoleHome.status).toBe(200);
    // From the console (another cookie path) the language is given in the link.
    expect(footerLinks(consoleHome.body)).toEqual(new Map(NOTICES.map((n) => [`${n.path}?lang=it`, n.it])));
    expect(footerLinks((await clerk.get('/console/review?lang=en')).body)).toEqual(new Map(NOTICES.map((n) => [`${n.path}?lang=en`, n.en])));
    // The console's login page (no session yet) has them too.
    expect(footerLinks((await new Browser(stack.baseUrl).get('/console/login')).body).size).toBe(3);
  });

  it('answer 200 without a login in Italian and in English, in the portal’s frame', async () => {
    for (const n of NOTICES) {
      const it_ = await new Browser(stack.baseUrl).get(n.path);
      expect(it_.status, n.path).toBe(200);
      expect(it_.body).toContain('<html lang="it">');
      expect(it_.body).toContain(`<h1 class="mb-4">${n.it.split(' ')[0]}`);
      expect(it_.body).toContain('class="it-header-wrapper"');
      expect(it_.body).toContain('<footer class="it-footer">');
      const en = await new Browser(stack.baseUrl).get(`${n.path}?lang=en`);
      expect(en.status, `${n.path}?lang=en`).toBe(200);
      expect(en.body).toContain('<html lang="en">');
      expect(en.body).toContain(`<title>${n.en}`);
      // No internal codes, no script.
      expect(en.body + it_.body).not.toMatch(/<script|LETTER_RETENTION_DAYS|DOCUMENTS_DIR|undefined/);
    }
  });

  it('the privacy notice names the controller, the data, the retention this system applies, the recipients, the rights and the DPO', async () => {
    const it_ = (await new Browser(stack.baseUrl).get('/portal/privacy')).body;
    for (const text of [
      'articolo 13 del Regolamento (UE) 2016/679',
      'Il titolare del trattamento è l&#39;INPS',
      'codice fiscale',
      'documenti di identità',
      'articolo 6, paragrafo 1, lettera e',
      'cancellata 30 giorni dopo la spedizione',
      'al servizio postale',
      'ai fornitori di SMS, e-mail e PEC',
      'Garante per la protezione dei dati personali',
      'responsabile.protezionedati@inps.example',
    ]) {
      expect(it_).toContain(text);
    }
    const en = (await new Browser(stack.baseUrl).get('/portal/privacy?lang=en')).body;
    expect(en).toContain('deleted 30 days after it is posted');
    // One register: the citizen is spoken to with "tu", never "Lei".
    expect(it_).not.toMatch(/\b(Lei|Suo|Sua|La preghiamo)\b/);
  });

  it('the request form shows the privacy summary and its link before the first personal datum', async () => {
    const step1 = await new Browser(stack.baseUrl).get('/portal/request');
    expect(step1.status).toBe(200);
    const summary = step1.body.indexOf('data-testid="privacy-summary"');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(step1.body.indexOf('name="codiceFiscale"'));
    expect(step1.body).toContain('<a href="/portal/privacy" id="privacy-link">Leggi l’informativa completa sul trattamento dei dati personali</a>');
    const en = await new Browser(stack.baseUrl).get('/portal/request?lang=en');
    expect(en.body).toContain('id="privacy-link">Read the full privacy notice</a>');
  });
});


describe.skipIf(!hasChromium)('the notices in headless Chromium', () => {
  it('are reached from the request form and the footer, and read at 390 px wide', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const chrome = await launchChromium();
    try {
      const page = await chrome.newPage({ viewport: { width: 390, height: 900 } });
      const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
      await page.goto(`${stack.baseUrl}/portal/request`);
      await expect(page.locator('#privacy-summary').isVisible()).resolves.toBe(true);
      await shot('request-step1-privacy-summary.png');
      await Promise.all([page.waitForURL('**/portal/privacy'), page.click('#privacy-link')]);
      await expect(page.locator('h1').innerText()).resolves.toBe('Informativa sul trattamento dei dati personali');
      await shot('notice-privacy-it.png');
      for (const [testId, file, heading, target] of [
        ['footer-accessibility', 'notice-accessibility-it.png', 'Dichiarazione di accessibilità', '/portal/accessibilita'],
        ['footer-legal', 'notice-legal-it.png', 'Note legali', '/portal/note-legali'],
      ] as const) {
        await Promise.all([page.waitForURL((u) => u.pathname === target), page.click(`[data-testid="${testId}"]`)]);
        await expect(page.locator('h1').innerText()).resolves.toBe(heading);
        // Nothing wider than the screen.
        await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
        await shot(file);
      }
      for (const [p, file, heading] of [
        ['/portal/privacy?lang=en', 'notice-privacy-en.png', 'Privacy notice'],
        ['/portal/accessibilita?lang=en', 'notice-accessibility-en.png', 'Accessibility statement'],
        ['/portal/note-legali?lang=en', 'notice-legal-en.png', 'Legal notes'],
      ] as const) {
        await page.goto(`${stack.baseUrl}${p}`);
        await expect(page.locator('h1').innerText()).resolves.toBe(heading);
        await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
        await shot(file);
      }
    } finally {
      await chrome.close();
    }
  });
});
