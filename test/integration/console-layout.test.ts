/**
 * The console's layout in a real browser (headless Chromium from the Debian package, driven by
 * playwright-core) against the real stack: on every console page, at desktop width and at
 * 390 px, no heading or fieldset legend overlaps a label (bootstrap-italia lifts a form label
 * above its input with an absolute position, where it used to cover the heading before it: the
 * MV35 form's "Codice fiscale" under "Identità e residenza", the review case's "Motivo" under
 * "Azioni"). Boxes are measured with getBoundingClientRect.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, waitFor } from '../support/issuance';
import { createTestStaff, openTestSession, type TestStaff } from '../support/staff';
import { startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A 1×1 PNG, as a scanned identity document would be. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const WIDTHS = [1280, 390] as const;
/** Screenshots of the pages measured, as the run's artifacts (ignored by git). */
const ARTIFACTS = resolve('test-artifacts', 'console-layout');

let stack: TestStack;
let browser: Browser;
let supervisor: TestStaff;
let admin: TestStaff;
let caseId: string;

async function api(method: string, url: string, opts: { token?: string; json?: unknown; raw?: Buffer; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.raw) headers['content-type'] = opts.type!;
  const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body: opts.raw ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json)) });
  const buf = Buffer.from(await res.arrayBuffer());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(buf.toString()) : undefined) as Record<string, any>;
  return { status: res.status, body, bytes: buf };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startTestStack({ secondReviewSampleRate: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  supervisor = await createTestStaff(stack, 'supervisor');
  admin = await createTestStaff(stack, 'admin');
  // A conversion case, for the case page.
  const c = await activeCitizen(stack, makeCitizen());
  const form = await api('GET', '/api/conversion/form', { token: c.token });
  const signed = await api('POST', '/api/conversion/documents?kind=signed_request&filename=richiesta-firmata.pdf', { token: c.token, raw: form.bytes, type: 'application/pdf' });
  const id = await api('POST', '/api/conversion/documents?kind=identity_document&filename=passaporto.png', { token: c.token, raw: PNG, type: 'image/png' });
  const requested = await api('POST', '/api/conversion/requests', { token: c.token, json: { signedRequestDocumentId: signed.body.documentId, identityDocumentId: id.body.documentId } });
  expect(requested.status).toBe(202);
  caseId = requested.body.caseId as string;
  await waitFor('case open', async () => {
    const { rows } = await stack.pool.query<{ escalate_at: Date | null }>('SELECT escalate_at FROM review_cases WHERE id = $1::uuid', [caseId]);
    return rows[0]?.escalate_at ? true : undefined;
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A browser context logged in as `staff` (a session opened directly), at `width` px. */
async function contextFor(staff: TestStaff, width: number): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'it-IT', viewport: { width, height: 900 } });
  const session = await openTestSession(stack, staff.accountId);
  const url = new URL(stack.baseUrl);
  await context.addCookies([{ name: 'staff_session', value: session.token, domain: url.hostname, path: '/', httpOnly: true }]);
  return context;
}

interface Overlap {
  heading: string;
  label: string;
}

/** Every visible heading or legend whose box intersects a visible label's box. */
async function overlaps(page: Page): Promise<Overlap[]> {
  return page.evaluate(() => {
    type Box = { left: number; top: number; right: number; bottom: number; width: number; height: number };
    type El = { getBoundingClientRect(): Box; textContent: string | null; tagName: string };
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document;
    const visible = (b: Box) => b.width > 0 && b.height > 0;
    const boxes = (selector: string) =>
      Array.from(doc.querySelectorAll(selector))
        .map((el) => ({ text: `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 60)}"`, box: el.getBoundingClientRect() }))
        .filter((x) => visible(x.box));
    const headings = boxes('main h1, main h2, main h3, main h4, main h5, main h6, main legend, main .h1, main .h2, main .h3, main .h4, main .h5, main .h6');
    const labels = boxes('main label');
    const found: { heading: string; label: string }[] = [];
    for (const h of headings) {
      for (const l of labels) {
        // More than half a pixel each way: touching edges are not an overlap.
        const x = Math.min(h.box.right, l.box.right) - Math.max(h.box.left, l.box.left);
        const y = Math.min(h.box.bottom, l.box.bottom) - Math.max(h.box.top, l.box.top);
        if (x > 0.5 && y > 0.5) found.push({ heading: h.text, label: l.text });
      }
    }
    return found;
  });
}

/** Opens `path` and answers the overlaps found there, after checking the page is the one asked for. */
async function overlapsOn(page: Page, path: string, expectLabel?: string): Promise<Overlap[]> {
  const res = await page.goto(`${stack.baseUrl}${path}`);
  expect(res?.status(), path).toBeLessThan(400);
  expect(new URL(page.url()).pathname, path).toBe(new URL(path, stack.baseUrl).pathname);
  if (expectLabel) await expect(page.locator('main label', { hasText: expectLabel }).first().isVisible(), `${path}: label ${expectLabel}`).resolves.toBe(true);
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(ARTIFACTS, `${width}${path.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
  return overlaps(page);
}

describe('console layout in Chromium', () => {
  for (const width of WIDTHS) {
    it(`the MV35 counter form and a review case: no heading or legend over a label, ${width} px wide`, async () => {
      const context = await contextFor(supervisor, width);
      const page = await context.newPage();
      try {
        const counter = await overlapsOn(page, '/console/counter', 'Codice fiscale');
        // The case page as the clerk who claimed it sees it: the decision form under "Azioni".
        await page.goto(`${stack.baseUrl}/console/review/${caseId}`);
        if (await page.locator('[data-testid="claim"]').count()) {
          await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'claim'), page.click('[data-testid="claim"]')]);
        }
        await page.locator('[data-testid="approve"]').waitFor();
        const reviewCase = await overlapsOn(page, `/console/review/${caseId}`, 'Motivo');
        expect({ counter, reviewCase }).toEqual({ counter: [], reviewCase: [] });
      } finally {
        await context.close();
      }
    });

    it(`every other console page: no heading or legend over a label, ${width} px wide`, async () => {
      const pages: [TestStaff, string][] = [
        [supervisor, '/console/'],
        [supervisor, '/console/password'],
        [supervisor, '/console/review'],
        [supervisor, '/console/counter/conversion'],
        [supervisor, '/console/counter/delegations'],
        [supervisor, '/console/counter/fax-intake'],
        [supervisor, '/console/contact-centre'],
        [supervisor, '/console/contact-centre/pin-request'],
        [supervisor, '/console/contact-centre/verify'],
        [supervisor, '/console/contact-centre/contacts'],
        [supervisor, '/console/contact-centre/revoke'],
        [supervisor, '/console/contact-centre/remote-identification'],
        [supervisor, '/console/citizens'],
        [supervisor, '/console/mailroom'],
        [admin, '/console/admin/staff'],
        [admin, '/console/admin/audit'],
        [admin, `/console/admin/staff/${supervisor.username}/tokens`],
      ];
      const found: Record<string, Overlap[]> = {};
      for (const who of [supervisor, admin]) {
        const context = await contextFor(who, width);
        const page = await context.newPage();
        try {
          for (const [staff, path] of pages) {
            if (staff !== who) continue;
            const o = await overlapsOn(page, path);
            if (o.length) found[path] = o;
          }
        } finally {
          await context.close();
        }
      }
      // The login page, without a session.
      const anonymous = await browser.newContext({ locale: 'it-IT', viewport: { width, height: 900 } });
      try {
        const o = await overlapsOn(await anonymous.newPage(), '/console/login', 'Nome utente');
        if (o.length) found['/console/login'] = o;
      } finally {
        await anonymous.close();
      }
      expect(found).toEqual({});
    });
  }
});
