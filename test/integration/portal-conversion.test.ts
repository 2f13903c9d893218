/**
 * The portal's conversion and claim pages on the real servers (PostgreSQL, Temporal, the sinks),
 * driven only through HTML pages with a cookie jar, as a browser without script would: a citizen
 * with an ordinary PIN logs in at /portal/login, reads the pages in both languages, downloads
 * the prefilled form and uploads it with a PNG through the multipart form (a review case opens),
 * meets every refusal of the upload checks with nothing stored, and files a claim that waits for
 * the dispositivo PIN. After a clerk approves, the same session no longer gets the upload form.
 * When Chromium is installed, the pages are also driven in a headless browser and captured into
 * test-artifacts/portal/ for a human to look at.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStaffToken } from '../../services/staff/auth';
import { Browser, csrfOf } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, waitFor, type ActiveCitizen } from '../support/issuance';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';
import { pdfText } from '../support/pdf';
import { MAX_UPLOAD_BYTES } from '../../domain/uploads';

let stack: TestStack;
let clerk: string;

/** A 1×1 PNG: a real image, as a scanned identity document would be. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
/** The EICAR test file, assembled so this source does not trip an antivirus. */
const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!', '$H+H*'].join(''), 'latin1');

beforeAll(async () => {
  // No sampling: an approval needs one clerk.
  stack = await startTestStack({ secondReviewSampleRate: 0 });
  clerk = await issueStaffToken(stack.pool, 'clerk-portal', 'clerk');
});
afterAll(async () => {
  await stack?.stop();
});

interface PortalCitizen {
  citizen: ActiveCitizen;
  browser: Browser;
}

/** A citizen with an ordinary PIN, logged in through the portal's login page (cookie session). */
async function loggedIn(): Promise<PortalCitizen> {
  const citizen = await activeCitizen(stack, makeCitizen());
  await asWorker(stack, citizen.credentialId);
  const browser = new Browser(stack.baseUrl);
  const login = await browser.submit('/portal/login', { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin });
  expect(login.status, login.body.slice(0, 300)).toBe(303);
  expect(login.location).toBe('/portal/home');
  return { citizen, browser };
}

/** GETs bytes with the browser's cookies (a file download). */
async function download(browser: Browser, path: string) {
  const res = await fetch(stack.baseUrl + path, { headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }, redirect: 'manual' });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

interface Upload {
  bytes: Buffer;
  name: string;
  type: string;
}

/** The upload form as a browser sends it: the CSRF token first (as in the page), then the files. */
function uploadForm(csrf: string | undefined, files: { signedRequest?: Upload; identityDocument?: Upload }): FormData {
  const form = new FormData();
  if (csrf !== undefined) form.append('_csrf', csrf);
  for (const field of ['signedRequest', 'identityDocument'] as const) {
    const f = files[field];
    if (f) form.append(field, new File([f.bytes], f.name, { type: f.type }));
  }
  return form;
}

async function uploadPage(browser: Browser) {
  const page = await browser.get('/portal/conversion');
  expect(page.status).toBe(200);
  return page;
}

const stored = async (credentialId: string) => {
  const { rows } = await stack.pool.query<{ documents: number; cases: number; quarantined: number }>(
    `SELECT (SELECT count(*)::int FROM documents WHERE credential_id = $1::uuid) AS documents,
            (SELECT count(*)::int FROM review_cases WHERE credential_id = $1::uuid) AS cases,
            (SELECT count(*)::int FROM quarantined_uploads WHERE credential_id = $1::uuid) AS quarantined`,
    [credentialId],
  );
  return rows[0]!;
};

const signedForm = (bytes: Buffer): Upload => ({ bytes, name: 'modulo-firmato.pdf', type: 'application/pdf' });
const idPng: Upload = { bytes: PNG, name: 'carta-identità.png', type: 'image/png' };

describe('conversion page', () => {
  let a: PortalCitizen;
  let caseId: string;

  beforeAll(async () => {
    a = await loggedIn();
  });

  it('is linked from the home page and renders for an ordinary session in Italian and English', async () => {
    const home = await a.browser.get('/portal/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain('id="link-conversion"');
    expect(home.body).toContain('href="/portal/conversion"');
    expect(home.body).toContain('href="/portal/claims"');

    const it_ = await uploadPage(a.browser);
    expect(it_.body).toContain('<html lang="it">');
    expect(it_.body).toContain('PIN ordinario e PIN dispositivo');
    expect(it_.body).toContain('Scarica il modulo di richiesta');
    expect(it_.body).toContain('id="conversion-status" data-status="none"');
    expect(it_.body).toMatch(/<form method="post" action="\/portal\/conversion" enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf"/);
    expect(it_.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(it_.body).not.toContain('<script');

    const en = await a.browser.get('/portal/conversion?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Ordinary and dispositivo PIN');
    expect(en.body).toContain('Download the request form');
    expect(en.body).toContain('Send the request');
    // Back to Italian for the rest of the file.
    expect((await a.browser.get('/portal/conversion?lang=it')).body).toContain('Invia la richiesta');

    // No session: to the login, and nothing about anybody.
    const stranger = await new Browser(stack.baseUrl).get('/portal/conversion');
    expect(stranger.status).toBe(303);
    expect(stranger.location).toBe('/portal/login');
  });

  it('uploads the downloaded form and a PNG through the multipart form: a case opens, the page shows it in review', async () => {
    const pdf = await download(a.browser, '/portal/conversion/form');
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toContain('attachment');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const page = await uploadPage(a.browser);
    const sent = await a.browser.postMultipart('/portal/conversion', uploadForm(csrfOf(page.body), { signedRequest: signedForm(pdf.bytes), identityDocument: idPng }));
    expect(sent.status, sent.body.slice(0, 2000)).toBe(303);
    expect(sent.location).toBe('/portal/conversion?sent=1');

    const { rows: cases } = await stack.pool.query<{ id: string; status: string; source: string; created_by: string }>(
      'SELECT id, status, source, created_by FROM review_cases WHERE credential_id = $1::uuid',
      [a.citizen.credentialId],
    );
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ status: 'open', source: 'online', created_by: 'citizen' });
    caseId = cases[0]!.id;
    const { rows: docs } = await stack.pool.query<{ kind: string; media_type: string; display_name: string; size_bytes: number; case_id: string; uploaded_by: string }>(
      'SELECT kind, media_type, display_name, size_bytes, case_id, uploaded_by FROM documents WHERE credential_id = $1::uuid ORDER BY kind',
      [a.citizen.credentialId],
    );
    expect(docs).toEqual([
      { kind: 'identity_document', media_type: 'image/png', display_name: 'carta-identità.png', size_bytes: PNG.length, case_id: caseId, uploaded_by: `citizen:${a.citizen.credentialId}` },
      { kind: 'signed_request', media_type: 'application/pdf', display_name: 'modulo-firmato.pdf', size_bytes: pdf.bytes.length, case_id: caseId, uploaded_by: `citizen:${a.citizen.credentialId}` },
    ]);

    const after = await a.browser.follow(sent);
    expect(after.status).toBe(200);
    expect(after.body).toContain('Richiesta inviata');
    expect(after.body).toContain('data-status="in_review"');
    expect(after.body).toContain('In verifica');
    expect(after.body).not.toContain('id="upload-form"');
    expect((await a.browser.get('/portal/conversion?lang=en')).body).toContain('In review');
    await a.browser.get('/portal/conversion?lang=it');

    // The API agrees (same case, through the bearer session of the API login).
    const current = await fetch(`${stack.baseUrl}/api/conversion/requests/current`, { headers: { authorization: `Bearer ${a.citizen.token}` } });
    expect(await current.json()).toMatchObject({ caseId, status: 'open' });

    // Sending again (the first page, still open in another tab) while in review: refused before the body is read.
    const again = await a.browser.postMultipart('/portal/conversion', uploadForm(csrfOf(page.body), { signedRequest: signedForm(pdf.bytes), identityDocument: idPng }));
    expect(again.status).toBe(409);
    expect(again.body).toContain('Richiesta già in verifica');
    expect(await stored(a.citizen.credentialId)).toEqual({ documents: 2, cases: 1, quarantined: 0 });
  });

  it('after a clerk approves, the same session sees "already dispositivo" and no upload form (409 on a post)', async () => {
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${clerk}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    await waitFor('review open', async () => ((await (await api('GET', `/api/review/cases/${caseId}`)).json()) as { escalateAt?: string }).escalateAt ? true : undefined);
    expect((await api('POST', `/api/review/cases/${caseId}/claim`)).status).toBe(200);
    expect((await api('POST', `/api/review/cases/${caseId}/decision`, { decision: 'approve' })).status).toBe(200);

    const page = await waitFor('dispositivo page', async () => {
      const p = await a.browser.get('/portal/conversion');
      return p.body.includes('id="blocked"') && p.body.includes('Il tuo PIN è già dispositivo') ? p : undefined;
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Il tuo PIN è già dispositivo: non serve alcuna conversione.');
    expect(page.body).toContain('data-status="approved"');
    expect(page.body).not.toContain('id="upload-form"');
    expect(page.body).not.toContain('type="file"');
    expect((await a.browser.get('/portal/conversion?lang=en')).body).toContain('Your PIN is already a dispositivo PIN: no conversion is needed.');
    await a.browser.get('/portal/conversion?lang=it');

    // A form page kept open from before the approval posts with the token it holds.
    const post = await a.browser.postMultipart('/portal/conversion', uploadForm(a.browser.cookies.get('portal_csrf'), { signedRequest: signedForm(PNG), identityDocument: idPng }));
    expect(post.status).toBe(409);
    expect(post.body).toContain('Il tuo PIN è già dispositivo');
    expect((await download(a.browser, '/portal/conversion/form')).status).toBe(409);
    expect(await stored(a.citizen.credentialId)).toEqual({ documents: 2, cases: 1, quarantined: 0 });

    const home = await a.browser.get('/portal/home');
    expect(home.body).toMatch(/id="pin-type" data-scope="dispositivo"/);
    expect(home.body).not.toContain('id="link-conversion"');
    expect(home.body).toContain('id="link-claims"');
  });
});

describe('refused uploads through the form', () => {
  let b: PortalCitizen;
  let pdf: Buffer;

  beforeAll(async () => {
    b = await loggedIn();
    pdf = (await download(b.browser, '/portal/conversion/form')).bytes;
  });

  /** Posts the form with a fresh token from the page; the page that comes back. */
  async function send(files: { signedRequest?: Upload; identityDocument?: Upload }) {
    const page = await uploadPage(b.browser);
    return b.browser.postMultipart('/portal/conversion', uploadForm(csrfOf(page.body), files));
  }

  const expectNothingStored = async (quarantined = 0) => expect(await stored(b.citizen.credentialId)).toEqual({ documents: 0, cases: 0, quarantined });

  it('a wrong type: 415 with the error next to the field and in the summary', async () => {
    const page = await send({ signedRequest: { bytes: Buffer.from('solo testo, non un PDF'), name: 'modulo.pdf', type: 'application/pdf' }, identityDocument: idPng });
    expect(page.status).toBe(415);
    expect(page.body).toContain('<title>Errore: ');
    expect(page.body).toContain('id="error-summary"');
    expect(page.body).toContain('<a href="#f-signedRequest">Modulo di richiesta firmato</a>: Tipo di file non ammesso.');
    expect(page.body).toContain('Il contenuto del file non è un PDF, un JPEG o un PNG.');
    expect(page.body).toMatch(/id="f-signedRequest"[^>]*aria-invalid="true"/);
    expect(page.body).toContain('id="upload-form"');
    await expectNothingStored();

    // A PNG sent as a .pdf: the extension does not match the content.
    const mismatch = await send({ signedRequest: signedForm(pdf), identityDocument: { bytes: PNG, name: 'documento.pdf', type: 'image/png' } });
    expect(mismatch.status).toBe(415);
    expect(mismatch.body).toContain('L&#39;estensione del file non corrisponde al suo contenuto.');
    await expectNothingStored();
  });

  it('in English', async () => {
    await b.browser.get('/portal/conversion?lang=en');
    const page = await send({ signedRequest: signedForm(pdf), identityDocument: { bytes: Buffer.from('GIF89a'), name: 'id.gif', type: 'image/gif' } });
    expect(page.status).toBe(415);
    expect(page.body).toContain('Please check the data you entered');
    expect(page.body).toContain('<a href="#f-identityDocument">Identity document</a>: File type not accepted.');
    await b.browser.get('/portal/conversion?lang=it');
    await expectNothingStored();
  });

  it('EICAR: quarantined for the security team, 422 for the citizen, nothing attached or stored', async () => {
    const page = await send({ signedRequest: signedForm(pdf), identityDocument: { bytes: EICAR, name: 'carta.png', type: 'image/png' } });
    expect(page.status).toBe(422);
    expect(page.body).toContain('Il file contiene un virus o un contenuto pericoloso ed è stato bloccato');
    await expectNothingStored(1);
    const { rows } = await stack.pool.query<{ reason: string }>('SELECT reason FROM quarantined_uploads WHERE credential_id = $1::uuid', [b.citizen.credentialId]);
    expect(rows[0]?.reason).toBe('malware:EICAR-Test-File');
  });

  it('a file over 10 MB: 413, nothing stored', async () => {
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0x41);
    PNG.copy(big, 0, 0, 8);
    const page = await send({ signedRequest: signedForm(pdf), identityDocument: { bytes: big, name: 'scansione.png', type: 'image/png' } });
    expect(page.status).toBe(413);
    expect(page.body).toContain('Il file supera la dimensione massima di 10 MB.');
    await expectNothingStored(1);
  });

  it('a file name with a path, and a missing file: nothing stored', async () => {
    const path = await send({ signedRequest: { bytes: pdf, name: '../../modulo.pdf', type: 'application/pdf' }, identityDocument: idPng });
    expect(path.status).toBe(422);
    expect(path.body).toContain('Nome del file non ammesso');
    const missing = await send({ signedRequest: signedForm(pdf) });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('Scegli il file del documento di identità (campo obbligatorio).');
    await expectNothingStored(1);
  });

  it('refuses a post without the CSRF token, or with it after the files', async () => {
    const none = await b.browser.postMultipart('/portal/conversion', uploadForm(undefined, { signedRequest: signedForm(pdf), identityDocument: idPng }));
    expect(none.status).toBe(403);
    expect(none.body).toContain('Sessione non valida');

    const page = await uploadPage(b.browser);
    const late = new FormData();
    late.append('signedRequest', new File([pdf], 'modulo.pdf', { type: 'application/pdf' }));
    late.append('identityDocument', new File([PNG], 'id.png', { type: 'image/png' }));
    late.append('_csrf', csrfOf(page.body));
    expect((await b.browser.postMultipart('/portal/conversion', late)).status).toBe(403);

    const crossSite = await b.browser.postMultipart('/portal/conversion', uploadForm(csrfOf(page.body), { signedRequest: signedForm(pdf), identityDocument: idPng }), {
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    await expectNothingStored(1);

    // The same form with the token goes through: the refusals above were the token's.
    const ok = await b.browser.postMultipart('/portal/conversion', uploadForm(csrfOf(page.body), { signedRequest: signedForm(pdf), identityDocument: idPng }));
    expect(ok.status).toBe(303);
    expect(await stored(b.citizen.credentialId)).toEqual({ documents: 2, cases: 1, quarantined: 1 });
  });
});

describe('claims page', () => {
  it('files a claim: a protocol number and the received time, the claim waits for the dispositivo PIN', async () => {
    const c = await loggedIn();
    const page = await c.browser.get('/portal/claims');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Lavorata quando il PIN sarà dispositivo');
    expect(page.body).toContain('id="ordinary-note"');
    expect(page.body).toContain('id="no-claims"');
    // Only the types the session may file: a pensioner's claim is not offered to a worker, and the
    // COVID bonuses only under the simplified procedure (off here).
    expect(page.body).toContain('value="parental-leave"');
    expect(page.body).not.toContain('value="pension-recalculation"');
    expect(page.body).not.toContain('value="covid-bonus-babysitting"');
    const en = await c.browser.get('/portal/claims?lang=en');
    expect(en.body).toContain('Processed once your PIN is dispositivo');
    expect(en.body).toContain('Submit the claim');
    await c.browser.get('/portal/claims?lang=it');

    const csrf = csrfOf(page.body);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.body)![1]!;
    const before = Date.now();
    // Check your answers first: nothing is filed until the declaration is made.
    const check = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: key, type: 'parental-leave' });
    expect(check.status).toBe(200);
    expect(check.body).toContain('id="check-answers"');
    expect(check.body).toContain('DPR 445/2000');
    const undeclared = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: key, type: 'parental-leave', confirming: 'yes' });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body).toContain('href="#f-declaration"');
    expect((await stack.pool.query('SELECT 1 FROM benefit_claims WHERE credential_id = $1::uuid', [c.citizen.credentialId])).rowCount).toBe(0);
    const filed = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: key, type: 'parental-leave', confirming: 'yes', declaration: 'yes' });
    expect(filed.status, filed.body.slice(0, 1000)).toBe(303);
    const claimId = /^\/portal\/claims\/([0-9a-f-]{36})\?filed=1$/.exec(filed.location ?? '')?.[1];
    expect(claimId).toBeDefined();

    const shown = await c.browser.follow(filed);
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('Domanda ricevuta');
    const protocol = /id="protocol">(INPS\.\d{4}\.\d{8})</.exec(shown.body)?.[1];
    expect(protocol).toBeDefined();
    const receivedAt = /<time datetime="([^"]+)">/.exec(shown.body)?.[1];
    expect(Date.parse(receivedAt!)).toBeGreaterThanOrEqual(before - 5_000);
    expect(shown.body).toContain('In attesa del PIN dispositivo');

    const { rows } = await stack.pool.query<{ protocol: string; status: string; filed_by: string; received_at: Date }>(
      'SELECT protocol, status, filed_by, received_at FROM benefit_claims WHERE credential_id = $1::uuid',
      [c.citizen.credentialId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ protocol, status: 'waiting_for_dispositivo', filed_by: 'citizen' });
    expect(rows[0]!.received_at.toISOString()).toBe(receivedAt);

    // The same page posted again (double click): the same claim.
    const twice = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: key, type: 'parental-leave', confirming: 'yes', declaration: 'yes' });
    expect(twice.location).toBe(filed.location);
    const list = await c.browser.get('/portal/claims');
    expect(list.body).toContain(`data-claim="${claimId}" data-status="waiting_for_dispositivo"`);
    expect(list.body).toContain(protocol);
    // The claimant is told once, with the protocol number, for the two posts.
    const told = await waitFor('the claim-received mail', async () =>
      (await stack.mails({ to: c.citizen.citizen.email! })).find((m) => m.headers['x-purpose'] === 'claim-received'),
    );
    expect(told.subject).toContain(protocol);
    expect((await stack.mails({ to: c.citizen.citizen.email! })).filter((m) => m.headers['x-purpose'] === 'claim-received')).toHaveLength(1);

    // The claim's page links its printable receipt, served with the session; not to anyone else.
    expect(shown.body).toContain(`href="/portal/claims/${claimId}/receipt" id="receipt-link" download`);
    expect(shown.body).toContain('Scarica la ricevuta (PDF)');
    const pdf = await download(c.browser, `/portal/claims/${claimId}/receipt`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toContain('ricevuta-domanda-prestazione.pdf');
    const text = (await pdfText(new Uint8Array(pdf.bytes))).replace(/\s+/g, ' ');
    expect(text).toContain(protocol);
    expect(text).not.toContain(c.citizen.citizen.email!);
    expect((await (await loggedIn()).browser.get(`/portal/claims/${claimId}/receipt`)).status).toBe(404);

    // Refusals: no type, a type this session may not file, no token; nothing filed.
    const none = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: 'k-00000001', type: '' });
    expect(none.status).toBe(400);
    expect(none.body).toContain('Scegli la domanda da presentare (campo obbligatorio).');
    const notMine = await c.browser.post('/portal/claims', { _csrf: csrf, idempotencyKey: 'k-00000002', type: 'covid-bonus-babysitting' });
    expect(notMine.status).toBe(403);
    expect(notMine.body).toContain('Questa domanda non è disponibile per il tuo profilo o il tuo PIN.');
    expect((await c.browser.post('/portal/claims', { idempotencyKey: 'k-00000003', type: 'parental-leave' })).status).toBe(403);
    const { rows: count } = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM benefit_claims WHERE credential_id = $1::uuid', [c.citizen.credentialId]);
    expect(count[0]!.n).toBe(1);

    // The receipt page lets the claimant withdraw it before a decision, after a page that asks first.
    const receipt = await c.browser.get(`/portal/claims/${claimId}`);
    expect(receipt.body).toContain('id="withdraw-form"');
    expect(receipt.body).toContain(`href="/portal/claims/${claimId}/withdraw" id="withdraw-link"`);
    const ask = await c.browser.get(`/portal/claims/${claimId}/withdraw`);
    expect(ask.status).toBe(200);
    expect(ask.body).toContain('Vuoi ritirare la domanda?');
    expect(ask.body).toContain('La domanda non sarà lavorata e il ritiro non si può annullare.');
    // A post without the confirmation (an old page, a script) only asks.
    const unconfirmed = await c.browser.post(`/portal/claims/${claimId}/withdraw`, { _csrf: csrfOf(ask.body) });
    expect(unconfirmed.status).toBe(200);
    expect(unconfirmed.body).toContain('Vuoi ritirare la domanda?');
    expect((await stack.pool.query<{ status: string }>('SELECT status FROM benefit_claims WHERE id = $1::uuid', [claimId])).rows[0]!.status).not.toBe('withdrawn');
    const withdrawn = await c.browser.post(`/portal/claims/${claimId}/withdraw`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(withdrawn.status).toBe(303);
    const after = await c.browser.follow(withdrawn);
    expect(after.body).toContain('data-status="withdrawn"');
    expect(after.body).not.toContain('id="withdraw-form"');
    // Confirmed again (the answer lost, a second press): told as withdrawn, not refused.
    const again = await c.browser.post(`/portal/claims/${claimId}/withdraw`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(again.status).toBe(303);
    expect(again.location).toBe(`/portal/claims/${claimId}?withdrawn=1`);

    // Someone else's claim is "not found".
    const other = await loggedIn();
    expect((await other.browser.get(`/portal/claims/${claimId}`)).status).toBe(404);
  });
});


describe.skipIf(!hasChromium)('screenshots in headless Chromium', () => {
  it('captures the conversion page with an upload error, after sending, and the claim pages', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const citizen = await activeCitizen(stack, makeCitizen());
    await asWorker(stack, citizen.credentialId);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
      await page.goto(`${stack.baseUrl}/portal/login`);
      await page.fill('#f-codiceFiscale', citizen.citizen.codiceFiscale);
      await page.fill('#f-pin', citizen.pin);
      await page.click('button[type=submit]');
      await page.waitForURL('**/portal/home');
      await shot('home-with-actions.png');

      await page.click('#link-conversion a');
      await page.waitForURL('**/portal/conversion');
      await page.setInputFiles('#f-signedRequest', { name: 'modulo.pdf', mimeType: 'application/pdf', buffer: Buffer.from('non un PDF') });
      await page.setInputFiles('#f-identityDocument', { name: 'carta.png', mimeType: 'image/png', buffer: PNG });
      await page.click('#upload-form button[type=submit]');
      await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
      await shot('conversion-upload-error.png');

      const pdf = Buffer.from(await (await page.request.get(`${stack.baseUrl}/portal/conversion/form`)).body());
      await page.setInputFiles('#f-signedRequest', { name: 'modulo-firmato.pdf', mimeType: 'application/pdf', buffer: pdf });
      await page.setInputFiles('#f-identityDocument', { name: 'carta.png', mimeType: 'image/png', buffer: PNG });
      await page.click('#upload-form button[type=submit]');
      await page.waitForURL('**/portal/conversion?sent=1');
      expect(await page.locator('#conversion-status').getAttribute('data-status')).toBe('in_review');
      await shot('conversion-in-review.png');

      await page.goto(`${stack.baseUrl}/portal/claims?lang=en`);
      // bootstrap-italia draws its own radio: the label is what a person clicks.
      await page.click('label[for="f-type-parental-leave"]');
      await Promise.all([page.waitForSelector('#check-answers'), page.click('#claim-form button[type=submit]')]);
      await shot('claim-check-answers-en.png');
      await page.click('label[for="f-declaration"]');
      await page.click('#confirm-form button[type=submit]');
      await page.waitForURL('**/portal/claims/*');
      expect(await page.locator('#protocol').innerText()).toMatch(/^INPS\.\d{4}\.\d{8}$/);
      await shot('claim-filed-en.png');
      await page.goto(`${stack.baseUrl}/portal/claims`);
      await shot('claims-list-en.png');
    } finally {
      await browser.close();
    }
  });
});
