/**
 * The console's sections through their forms (a cookie-keeping HTTP client posting as a browser
 * does) on the real servers: both languages; the citizen lookup's timeline; the mail room
 * (CSV manifest, letter PDF, dispatch, print file, a returned letter answered with a new one); counter issuance
 * with the envelope framed once in a print page and the MV35; review decisions by post/redirect/get; the contact centre (request for a caller, call-backs, a
 * contact added, a revocation); benefit claims decided from their page (post/redirect/get); CSRF on every form; and every action in the audit log.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../lib/audit';
import { createCitizenAccountService } from '../../services/citizen-account';
import { withTransaction } from '../../lib/db';
import { makeCitizen, type CitizenRequest } from '../support/citizens';
import { activeCitizen, asWorker, requestAndCollect, secondHalfFrom, waitFor, waitForView } from '../support/issuance';
import { apiCall } from '../support/api';
import { staffToken } from '../support/lifecycle';
import { pdfText } from '../support/pdf';
import { csrfOf, type Browser } from '../support/browser';
import { consoleLogin, createTestStaff } from '../support/staff';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let clerk: Browser;
let operator: Browser;
let operations: Browser;
const usernames: Record<string, string> = {};

beforeAll(async () => {
  stack = await startTestStack();
  for (const role of ['clerk', 'operator', 'operations'] as const) {
    const staff = await createTestStaff(stack, role);
    usernames[role] = staff.username;
    const browser = await consoleLogin(stack, staff);
    if (role === 'clerk') clerk = browser;
    else if (role === 'operator') operator = browser;
    else operations = browser;
  }
});
afterAll(async () => {
  await stack?.stop();
});

/** The citizen as the console's form fields. */
function formOf(c: CitizenRequest): Record<string, string> {
  return {
    codiceFiscale: c.codiceFiscale,
    surname: c.surname,
    name: c.name,
    birthDate: c.birthDate,
    sex: c.sex,
    birthProvince: c.birthProvince,
    birthMunicipality: c.birthMunicipality,
    'residence.abroad': c.residence.abroad ? 'yes' : 'no',
    'residence.country': c.residence.country,
    'residence.address': c.residence.address,
    'residence.city': c.residence.city,
    'residence.postalCode': c.residence.postalCode,
    mobile: c.mobile ?? '',
    email: c.email ?? '',
    pec: c.pec ?? '',
    preferredPhone: c.preferredPhone,
    preferredTimeSlot: c.preferredTimeSlot,
  };
}

async function consoleActions(role: string) {
  const { rows } = await stack.pool.query<{ action: string; decision: string; subject: string | null }>(
    `SELECT action, decision, subject FROM audit_log WHERE actor = $1::text AND action LIKE 'console.%' AND action <> 'console.login' ORDER BY id`,
    [`staff:${usernames[role]}`],
  );
  return rows;
}

describe('console pages', () => {
  it('speaks Italian by default and English on request, and refuses a form without its CSRF token', async () => {
    expect((await clerk.get('/console/')).body).toContain('Benvenuto');
    const en = await clerk.get('/console/?lang=en');
    expect(en.body).toContain('Welcome');
    expect(en.body).toContain('<html lang="en">');
    expect((await clerk.get('/console/review')).body).toContain('Conversion review queue');
    await clerk.get('/console/?lang=it');
    const forged = await clerk.post('/console/review/00000000-0000-4000-8000-000000000000/claim', {});
    expect(forged.status).toBe(403);
    const wrong = await clerk.post('/console/review/00000000-0000-4000-8000-000000000000/claim', { _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
  });

  it('shows a citizen’s credential timeline, and audits the lookup', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const page = await clerk.get(`/console/citizens?cf=${citizen.citizen.codiceFiscale.toLowerCase()}`);
    expect(page.status).toBe(200);
    const timeline = /data-testid="timeline">([\s\S]*?)<\/ol>/.exec(page.body)![1]!;
    for (const step of ['PIN richiesto', 'PIN generato', 'Prima metà del PIN — SMS', 'Prima metà del PIN — e-mail', 'Lettera accodata al lotto', 'Primo accesso', 'Scadenza del PIN']) {
      expect(timeline).toContain(step);
    }
    // What an event recorded, in words: the channel, the letter and its batch, the PIN's version and expiry.
    expect(timeline).toContain('(online)');
    expect(timeline).toMatch(/lettera n\. 1 · lotto del \d{1,2} [a-z]{3} \d{4}/);
    expect(timeline).toMatch(/versione del PIN 2 · scade il \d{1,2} [a-z]{3} \d{4}/);
    expect(timeline).toContain('da cittadino');
    expect(timeline).toContain('da sistema');
    expect(page.body).toContain('data-testid="credential-state">attivo');
    const en = await clerk.get(`/console/citizens?cf=${citizen.citizen.codiceFiscale}&lang=en`);
    expect(en.body).toContain('data-testid="credential-state">active');
    expect(en.body).toContain('First half of the PIN — e-mail');
    expect(en.body).toMatch(/PIN version 2 · expires on \d{1,2} [A-Z][a-z]{2} \d{4}/);
    await clerk.get('/console/?lang=it');
    // Never a secret: no half of the PIN, no personal PIN.
    for (const secret of [citizen.firstHalf, citizen.secondHalf, citizen.pin]) expect(page.body).not.toContain(secret);
    expect((await clerk.get('/console/citizens?cf=NOTACF')).status).toBe(400);
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.citizen_lookup', decision: 'done', subject: citizen.citizen.codiceFiscale });
  });

  it('runs the mail room: manifest, letter PDF, dispatch, and a returned letter answered with a new one', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const { rows } = await stack.pool.query<{ id: string; batch_date: string }>(
      `SELECT id, to_char(batch_date, 'YYYY-MM-DD') AS batch_date FROM letters WHERE credential_id = $1::uuid AND seq = 1`,
      [issued.credentialId],
    );
    const letter = rows[0]!;
    const page = await operations.get(`/console/mailroom?date=${letter.batch_date}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(letter.id.slice(0, 8));

    const preview = await operations.get(`/console/mailroom/${letter.batch_date}/manifest`);
    expect(preview.headers.get('content-disposition')).toContain(`manifest-preview-${letter.batch_date}.csv`);
    expect(preview.headers.get('content-type')).toContain('text/csv');
    expect(preview.body.split('\r\n').some((line) => line.split(',')[1] === letter.id)).toBe(true);
    const pdf = await fetch(`${stack.baseUrl}/console/mailroom/letters/${letter.id}/pdf`, { headers: { cookie: `staff_session=${operations.cookies.get('staff_session')}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    // Post/redirect/get: the batch's page says what was dispatched; reloading it dispatches nothing.
    const posted = await operations.post(`/console/mailroom/${letter.batch_date}/dispatch`, { _csrf: csrfOf(page.body) });
    expect(posted.status).toBe(303);
    expect(posted.location).toMatch(new RegExp(`^/console/mailroom\\?date=${letter.batch_date}&dispatched=\\d+$`));
    const dispatched = await operations.follow(posted);
    expect(dispatched.body).toMatch(/Lotto spedito: (1 lettera|\d+ lettere)\./);
    expect(dispatched.body).not.toContain('data-testid="dispatch"');
    // A day with nothing filed offers no dispatch.
    const empty = await operations.get('/console/mailroom?date=2099-01-05');
    expect(empty.body).toContain('data-testid="nothing-to-dispatch"');
    expect(empty.body).not.toContain('data-testid="dispatch"');
    expect(dispatched.body).toContain('data-testid="batch-status">spedito');
    // The provider's CSV and the print file, not the JSON manifest (which names who dispatched).
    expect(dispatched.body).toContain(`/console/mailroom/${letter.batch_date}/print`);
    const manifest = await operations.get(`/console/mailroom/${letter.batch_date}/manifest`);
    expect(manifest.headers.get('content-disposition')).toContain(`manifest-${letter.batch_date}.csv`);
    expect(manifest.body.split('\r\n').some((line) => line.split(',')[1] === letter.id)).toBe(true);
    const json = (await stack.pool.query<{ manifest_path: string }>('SELECT manifest_path FROM mailroom_batches WHERE batch_date = $1::date', [letter.batch_date])).rows[0]!;
    expect(JSON.parse(await readFile(json.manifest_path, 'utf8'))).toMatchObject({ batchDate: letter.batch_date, dispatchedBy: `staff:${usernames.operations}` });

    const returned = await operations.post(`/console/mailroom/letters/${letter.id}/returned`, { _csrf: csrfOf(dispatched.body) });
    expect(returned.status).toBe(200);
    expect(returned.body).toContain('nuova lettera n. 2 accodata');
    const letters = await stack.pool.query<{ seq: number; status: string }>('SELECT seq, status FROM letters WHERE credential_id = $1::uuid ORDER BY seq', [issued.credentialId]);
    expect(letters.rows).toEqual([
      { seq: 1, status: 'returned' },
      { seq: 2, status: 'queued' },
    ]);
    const events = await stack.pool.query<{ type: string; actor: string }>(`SELECT type, actor FROM credential_events WHERE credential_id = $1::uuid AND type IN ('posted_half_voided', 'letter_requested') ORDER BY id`, [issued.credentialId]);
    expect(events.rows).toEqual([
      { type: 'posted_half_voided', actor: `staff:${usernames.operations}` },
      { type: 'letter_requested', actor: `staff:${usernames.operations}` },
    ]);
    // The returned letter's half is void; the new letter carries a new one that works.
    const firstAccess = (pin: string) =>
      fetch(`${stack.baseUrl}/api/first-access`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin }) });
    expect((await firstAccess(issued.firstHalf + issued.secondHalf)).status).toBe(401);
    const newLetter = await stack.pool.query<{ file_path: string }>('SELECT file_path FROM letters WHERE credential_id = $1::uuid AND seq = 2', [issued.credentialId]);
    const newHalf = secondHalfFrom(await pdfText(new Uint8Array(await readFile(newLetter.rows[0]!.file_path))));
    expect(newHalf).toBeDefined();
    expect(newHalf).not.toBe(issued.secondHalf);
    expect((await firstAccess(issued.firstHalf + newHalf!)).status).toBe(200);
    // Returned twice: refused, nothing more happens.
    const again = await operations.post(`/console/mailroom/letters/${letter.id}/returned`, { _csrf: csrfOf(dispatched.body) });
    expect(again.status).toBe(409);
    expect((await consoleActions('operations')).map((a) => `${a.action}:${a.decision}`)).toEqual([
      'console.mailroom.manifest_download:done',
      'console.mailroom.letter_download:done',
      'console.mailroom.dispatch:done',
      'console.mailroom.manifest_download:done',
      'console.mailroom.letter_returned:done',
      'console.mailroom.letter_returned:refused',
    ]);
  });

  it('issues a dispositivo PIN at the counter: 303 to a print page framing the envelope, served once inline and never cached; the MV35 downloadable; errors on the form', async () => {
    const citizen = makeCitizen();
    const form = await clerk.get('/console/counter');
    const fields = { ...formOf(citizen), office: 'Roma Eur', 'identityDocument.type': 'passaporto_estero', 'identityDocument.number': 'AAB123456', 'identityDocument.issuer': 'República Argentina', 'identityDocument.issuingCountry': 'AR', 'identityDocument.issuedOn': '2021-04-01', 'identityDocument.expiresOn': '2031-03-31' };
    const missing = await clerk.post('/console/counter', { _csrf: csrfOf(form.body), ...fields, office: '' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('href="#f-office"');
    const issued = await clerk.post('/console/counter', { _csrf: csrfOf(form.body), ...fields });
    // Post/redirect/get: the answer carries no PIN, a reload of the print page cannot issue again.
    expect(issued.status).toBe(303);
    expect(issued.body).not.toContain('application/pdf');
    const printPath = issued.location!;
    expect(printPath).toMatch(/^\/console\/counter\/envelope\/[A-Za-z0-9_-]{32}$/);
    const print = await clerk.get(printPath);
    expect(print.status).toBe(200);
    expect(print.headers.get('cache-control')).toBe('no-store');
    expect(print.body).toContain('data-testid="envelope-warning"');
    expect(print.body).toContain('chiudi questa pagina');
    expect(print.body).not.toContain('data:application/pdf');
    expect(print.body).not.toMatch(/<script|onclick/i);
    const pdfPath = /<iframe src="([^"]+)"[^>]*data-testid="envelope-frame"/.exec(print.body)![1]!;
    expect(pdfPath).toBe(`${printPath}/pdf`);
    // The page names the issuance as people know it: the holder and the request's protocol number, no record id.
    const protocol = /data-testid="protocol">(PIN\.\d{4}\.\d{8})</.exec(print.body)![1]!;
    expect(print.body).toContain(`${citizen.name} ${citizen.surname}`);
    expect(print.body).not.toMatch(/>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</);
    const credentialId = (await stack.pool.query<{ credential_id: string }>('SELECT credential_id FROM pin_requests WHERE protocol = $1::text', [protocol])).rows[0]!.credential_id;

    const cookie = `staff_session=${clerk.cookies.get('staff_session')}`;
    const envelope = await fetch(`${stack.baseUrl}${pdfPath}`, { headers: { cookie } });
    expect(envelope.status).toBe(200);
    expect(envelope.headers.get('content-type')).toBe('application/pdf');
    expect(envelope.headers.get('content-disposition')).toMatch(/^inline; filename="busta-pin-/);
    expect(envelope.headers.get('cache-control')).toContain('no-store');
    expect(envelope.headers.get('etag')).toBeNull();
    expect(envelope.headers.get('last-modified')).toBeNull();
    expect(envelope.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const text = await pdfText(new Uint8Array(await envelope.arrayBuffer()));
    expect(text).toContain('PIN dispositivo');
    expect(text).toContain(citizen.codiceFiscale);
    // Once: the PDF is gone, the page says so (and frames nothing), another clerk sees nothing.
    expect((await fetch(`${stack.baseUrl}${pdfPath}`, { headers: { cookie } })).status).toBe(410);
    const reloaded = await clerk.get(printPath);
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toContain('data-testid="envelope-served"');
    expect(reloaded.body).not.toContain('data-testid="envelope-frame"');
    const otherClerk = await consoleLogin(stack, await createTestStaff(stack, 'clerk'));
    expect((await otherClerk.get(printPath)).status).toBe(410);
    expect((await otherClerk.get(pdfPath)).status).toBe(410);
    // Closing the page forgets it.
    const closed = await clerk.post(`${printPath}/close`, { _csrf: csrfOf(print.body) });
    expect(closed.status).toBe(303);
    expect(closed.location).toBe('/console/counter?closed=1');
    expect((await clerk.get(printPath)).status).toBe(410);

    const mv35 = await fetch(`${stack.baseUrl}/api/counter/issuances/${credentialId}/mv35`, { headers: { cookie } });
    expect(mv35.status).toBe(200);
    expect(mv35.headers.get('content-type')).toContain('application/pdf');
    const { rows } = await stack.pool.query('SELECT state, pin_type, channel FROM credentials WHERE id = $1::uuid', [credentialId]);
    expect(rows[0]).toEqual({ state: 'active', pin_type: 'dispositivo', channel: 'counter' });
    const actions = await consoleActions('clerk');
    expect(actions).toContainEqual({ action: 'console.counter.issue', decision: 'done', subject: citizen.codiceFiscale });
    expect(actions.filter((a) => a.action === 'console.counter.envelope_shown' && a.subject === credentialId)).toEqual([{ action: 'console.counter.envelope_shown', decision: 'served', subject: credentialId }]);
  });

  it('a clerk decides a benefit claim in processing from its page: a rejection without its reason is refused beside the field, with it the claimant is told; an operator cannot open claims', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    await asWorker(stack, citizen.credentialId);
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [citizen.credentialId]);
    const filed = await apiCall(stack, 'POST', '/api/claims', { token: citizen.token, json: { type: 'parental-leave' } });
    expect(filed.status).toBe(202);
    const { claimId, protocol } = filed.body as { claimId: string; protocol: string };
    const statusOf = async () => (await stack.pool.query<{ status: string }>('SELECT status FROM benefit_claims WHERE id = $1::uuid', [claimId])).rows[0]!.status;
    await waitFor('in processing', async () => ((await statusOf()) === 'in_processing' ? true : undefined));

    const list = await clerk.get('/console/claims');
    expect(list.status).toBe(200);
    expect(list.body).toContain(`href="/console/claims/${claimId}"`);
    expect(list.body).toContain(protocol);
    const path = `/console/claims/${claimId}`;
    const page = await clerk.get(path);
    expect(page.body).toContain(`${citizen.citizen.name} ${citizen.citizen.surname}`);
    expect(page.body).toContain('data-testid="reject"');

    const noReason = await clerk.post(`${path}/decision`, { _csrf: csrfOf(page.body), decision: 'rejected', reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('Scrivi il motivo del rifiuto');
    expect(noReason.body).toContain('aria-invalid="true"');
    expect(await statusOf()).toBe('in_processing');
    expect((await operator.get(path)).status).toBe(403);

    const reason = 'Manca il requisito contributivo per il congedo richiesto';
    const decided = await clerk.post(`${path}/decision`, { _csrf: csrfOf(noReason.body), decision: 'rejected', reason });
    expect(decided.status).toBe(303);
    expect(decided.location).toBe(`${path}?done=rejected`);
    const shown = await clerk.get(decided.location!);
    expect(shown.body).toContain('Domanda respinta');
    expect(shown.body).toContain(reason);
    expect(shown.body).toContain(`(${usernames.clerk})`);
    expect(shown.body).not.toContain('data-testid="reject"');
    expect(await statusOf()).toBe('rejected');
    const told = await waitFor('the outcome mail', async () => (await stack.mails({ to: citizen.citizen.email })).find((m) => m.headers['x-purpose'] === 'claim-decided' && (m.subject ?? '').includes(protocol)));
    expect(told.text).toContain(reason);
    // Decided once: the form is gone, and a second post (another tab) is refused on the page.
    const again = await clerk.post(`${path}/decision`, { _csrf: csrfOf(shown.body), decision: 'accepted', reason: '' });
    expect(again.status).toBe(409);
    expect(await statusOf()).toBe('rejected');
    // The lookup's claims table opens the claim.
    expect((await clerk.get(`/console/citizens?cf=${citizen.citizen.codiceFiscale}`)).body).toContain(`href="/console/claims/${claimId}"`);
    expect((await consoleActions('clerk')).filter((a) => a.action === 'console.claims.decision').map((a) => a.decision)).toEqual(['refused', 'done', 'refused']);
  });

  it('answers a review decision with 303 to the case page, which shows the outcome; reading it again decides nothing', async () => {
    // A case opened from a received fax, as the fax intake page does.
    const holder = await activeCitizen(stack, makeCitizen());
    const intake = await clerk.get('/console/counter/fax-intake');
    const data = new FormData();
    data.append('_csrf', csrfOf(intake.body));
    data.append('codiceFiscale', holder.citizen.codiceFiscale);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
    data.append('fax', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'fax.pdf');
    const attached = await clerk.postMultipart('/console/counter/fax-intake', data);
    expect(attached.status).toBe(202);
    const caseId = /href="\/console\/review\/([0-9a-f-]{36})" data-testid="case-link"/.exec(attached.body)![1]!;
    await waitFor('case open', async () => {
      const { rows } = await stack.pool.query<{ escalate_at: Date | null }>('SELECT escalate_at FROM review_cases WHERE id = $1::uuid', [caseId]);
      return rows[0]?.escalate_at ? true : undefined;
    });
    const casePath = `/console/review/${caseId}`;
    const decisions = async () =>
      (await stack.pool.query(`SELECT 1 FROM audit_log WHERE action = 'console.review.decision' AND subject = $1::text AND decision = 'done'`, [caseId])).rowCount;

    const claimed = await clerk.post(`${casePath}/claim`, { _csrf: csrfOf((await clerk.get(casePath)).body) });
    expect(claimed.status).toBe(303);
    expect(claimed.location).toBe(`${casePath}?done=claim&status=claimed`);
    const afterClaim = await clerk.get(claimed.location!);
    expect(afterClaim.status).toBe(200);
    expect(afterClaim.body).toMatch(/data-testid="notice">Pratica presa in carico\. Stato della pratica: In lavorazione\.</);
    expect(afterClaim.body).toContain('data-testid="approve"');

    const decided = await clerk.post(`${casePath}/decision`, { _csrf: csrfOf(afterClaim.body), decision: 'approve' });
    expect(decided.status).toBe(303);
    expect(decided.location).toMatch(new RegExp(`^${casePath}\\?done=decision&status=(approved|awaiting_second_review)$`));
    const outcome = await clerk.get(decided.location!);
    expect(outcome.status).toBe(200);
    expect(outcome.body).toContain('data-testid="notice">Decisione registrata.');
    expect(outcome.body).not.toContain('data-testid="approve"');
    // A reload (the same GET) reads the case again: still one decision.
    const again = await clerk.get(decided.location!);
    expect(again.status).toBe(200);
    expect(again.body).toContain('Decisione registrata.');
    expect(await decisions()).toBe(1);
    // In English; an unknown outcome code says nothing.
    expect((await clerk.get(`${decided.location!}&lang=en`)).body).toContain('data-testid="notice">Decision recorded.');
    await clerk.get('/console/?lang=it');
    const odd = await clerk.get(`${casePath}?done=constructor&status=__proto__`);
    expect(odd.status).toBe(200);
    expect(odd.body).not.toContain('data-testid="notice"');
    // A refused action changes nothing and is said on the page at once (no redirect).
    const refused = await clerk.post(`${casePath}/decision`, { _csrf: csrfOf(outcome.body), decision: 'approve' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body).toContain('data-testid="action-error"');
    expect(await decisions()).toBe(1);
  });

  it('converts a holder’s existing PIN to dispositivo at the counter, once the signed form and the document are checked', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const issuance = await clerk.get('/console/counter');
    expect(issuance.body).toContain('/console/counter/conversion');
    const form = await clerk.get('/console/counter/conversion');
    const fields = {
      codiceFiscale: holder.citizen.codiceFiscale,
      office: 'Roma Eur',
      'identityDocument.type': 'carta_identita',
      'identityDocument.number': 'AY1234567',
      'identityDocument.issuer': 'Comune di Roma',
      'identityDocument.issuedOn': '2021-04-01',
      'identityDocument.expiresOn': '2031-03-31',
    };
    const unchecked = await clerk.post('/console/counter/conversion', { _csrf: csrfOf(form.body), ...fields });
    expect(unchecked.status).toBe(400);
    expect(unchecked.body).toContain('href="#f-signedRequestChecked"');
    const converted = await clerk.post('/console/counter/conversion', { _csrf: csrfOf(form.body), ...fields, signedRequestChecked: 'yes' });
    expect(converted.status).toBe(202);
    expect(converted.body).toMatch(/Conversione (approvata|registrata)/);
    const { rows } = await stack.pool.query(`SELECT source FROM review_cases WHERE credential_id = $1::uuid`, [holder.credentialId]);
    expect(rows).toEqual([{ source: 'office' }]);
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.counter.convert', decision: 'done', subject: holder.citizen.codiceFiscale });
  });

  it('registers a delegation handed in at the office: errors on the form and nothing stored, then pending until the delegate accepts; a second post of the same form is the same delegation', async () => {
    // The delegator has no PIN (known by codice fiscale only); the delegate holds one (known by name).
    const delegator = makeCitizen();
    const delegate = (await activeCitizen(stack, makeCitizen())).citizen;
    const home = await clerk.get('/console/');
    expect(home.body).toContain('href="/console/counter/delegations"');
    expect(home.body).toContain('href="/console/counter/fax-intake"');
    expect((await operations.get('/console/')).body).not.toContain('/console/counter/delegations');
    expect((await operator.get('/console/counter/delegations')).status).toBe(403);
    const form = await clerk.get('/console/counter/delegations');
    expect(form.status).toBe(200);
    expect(form.body).toContain('Registra delega');
    expect(form.body).toContain('persona di fiducia');
    const formKey = /name="formKey" value="([^"]+)"/.exec(form.body)![1]!;
    const fields = {
      formKey,
      delegatorCodiceFiscale: delegator.codiceFiscale,
      delegateCodiceFiscale: delegate.codiceFiscale,
      scope: 'consult',
      endsOn: new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10),
      office: 'Milano Nord',
      'delegatorDocument.type': 'passaporto_estero',
      'delegatorDocument.number': 'AAB123456',
      'delegatorDocument.issuer': 'República Argentina',
      'delegatorDocument.issuingCountry': 'AR',
      'delegatorDocument.issuedOn': '2021-04-01',
      'delegatorDocument.expiresOn': '2031-03-31',
    };
    expect((await clerk.post('/console/counter/delegations', fields)).status).toBe(403);
    const unchecked = await clerk.post('/console/counter/delegations', { _csrf: csrfOf(form.body), ...fields });
    expect(unchecked.status).toBe(400);
    expect(unchecked.body).toContain('href="#f-signedFormReceived"');
    // A delegate's document begun and not finished; then a foreign document without its issuing state.
    const halfDocument = await clerk.post('/console/counter/delegations', { _csrf: csrfOf(form.body), ...fields, 'delegateDocument.number': 'X', signedFormReceived: 'yes' });
    expect(halfDocument.status).toBe(400);
    expect(halfDocument.body).toContain('href="#f-delegateDocument-type"');
    const badDocument = await clerk.post('/console/counter/delegations', { _csrf: csrfOf(form.body), ...fields, 'delegatorDocument.issuingCountry': '', signedFormReceived: 'yes' });
    expect(badDocument.status).toBe(400);
    expect(badDocument.body).toContain('href="#f-delegatorDocument-issuingCountry"');
    expect((await stack.pool.query('SELECT 1 FROM delegations WHERE delegator_cf = $1::text', [delegator.codiceFiscale])).rowCount).toBe(0);

    const registered = await clerk.post('/console/counter/delegations', { _csrf: csrfOf(form.body), ...fields, signedFormReceived: 'yes' });
    expect(registered.status).toBe(201);
    expect(registered.body).toContain('In attesa di accettazione');
    // What a person knows, not the delegation's internal id: who to whom, scope, until, status; and the receipt.
    const id = /data-testid="delegation-receipt" data-delegation="([0-9a-f-]{36})"/.exec(registered.body)![1]!;
    const visible = registered.body.replace(/<[^>]+>/g, ' ');
    expect(visible).not.toContain(id);
    expect(visible).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(visible.replace(/\s+/g, ' ')).toContain(`${delegator.codiceFiscale} → ${delegate.name} ${delegate.surname} (${delegate.codiceFiscale})`);
    expect(registered.body).toContain('Sola consultazione');
    expect(registered.body).toContain(`href="/api/staff/delegations/${id}/receipt"`);
    expect(registered.body).toContain('stampa la ricevuta e consegnala al delegante');
    // The receipt opens with the console session of the clerk who registered it, and only theirs.
    const receipt = await fetch(`${stack.baseUrl}/api/staff/delegations/${id}/receipt`, { headers: { cookie: [...clerk.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toBe('application/pdf');
    const text = (await pdfText(new Uint8Array(await receipt.arrayBuffer()))).replace(/\s+/g, ' ');
    expect(text).toContain(delegator.codiceFiscale);
    expect(text).toContain(`${delegate.name} ${delegate.surname} – ${delegate.codiceFiscale}`);
    expect(text).toContain('Milano Nord');
    expect(text).toContain('Sola consultazione dei dati');
    expect(text).not.toContain(delegate.email!);
    const supervisorReceipt = await fetch(`${stack.baseUrl}/api/staff/delegations/${id}/receipt`, { headers: { authorization: `Bearer ${await staffToken(stack, 'supervisor')}` } });
    expect(supervisorReceipt.status).toBe(404);
    const again = await clerk.post('/console/counter/delegations', { _csrf: csrfOf(form.body), ...fields, signedFormReceived: 'yes' });
    expect(again.status).toBe(200);
    expect(again.body).toContain(`data-delegation="${id}"`);
    const { rows } = await stack.pool.query('SELECT status, source, office, delegate_cf FROM delegations WHERE delegator_cf = $1::text', [delegator.codiceFiscale]);
    expect(rows).toEqual([{ status: 'pending', source: 'office', office: 'Milano Nord', delegate_cf: delegate.codiceFiscale }]);
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.counter.register_delegation', decision: 'done', subject: delegator.codiceFiscale });
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.counter.register_delegation', decision: 'refused', subject: delegator.codiceFiscale });
    const en = await clerk.get('/console/counter/delegations?lang=en');
    expect(en.body).toContain('Register a delegation');
    await clerk.get('/console/?lang=it');

    // The delegate asks at the counter to revoke it: found by codice fiscale, revoked with a note.
    expect((await clerk.get('/console/counter/delegations?codiceFiscale=XYZ')).status).toBe(400);
    expect((await clerk.get(`/console/counter/delegations?codiceFiscale=${makeCitizen().codiceFiscale}`)).body).toContain('data-testid="delegations-none"');
    const found = await clerk.get(`/console/counter/delegations?codiceFiscale=${delegate.codiceFiscale.toLowerCase()}`);
    expect(found.status).toBe(200);
    expect(found.body).toContain(`data-testid="revoke-${id}"`);
    expect(found.body).toMatch(new RegExp(`data-testid="status-${id}">In attesa di accettazione<`));
    expect((await clerk.post(`/console/counter/delegations/${id}/revoke`, { codiceFiscale: delegate.codiceFiscale })).status).toBe(403);
    expect((await clerk.post('/console/counter/delegations/not-an-id/revoke', { _csrf: csrfOf(found.body) })).status).toBe(404);
    const revoked = await clerk.post(`/console/counter/delegations/${id}/revoke`, { _csrf: csrfOf(found.body), codiceFiscale: delegate.codiceFiscale, reason: 'chiesto dal delegato allo sportello' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toContain('Delega revocata');
    expect(revoked.body).toMatch(new RegExp(`data-testid="status-${id}">Revocata<`));
    expect(revoked.body).not.toContain(`data-testid="revoke-${id}"`);
    const ended = await stack.pool.query<{ status: string; ended_by: string }>('SELECT status, ended_by FROM delegations WHERE id = $1::uuid', [id]);
    expect(ended.rows[0]).toEqual({ status: 'revoked', ended_by: `clerk:${usernames.clerk}` });
    const note = await stack.pool.query<{ detail: { reason: string } }>(`SELECT detail FROM audit_log WHERE action = 'delegation.revoke.note' AND subject = $1::text`, [id]);
    expect(note.rows.map((r) => r.detail.reason)).toEqual(['chiesto dal delegato allo sportello']);
    const twice = await clerk.post(`/console/counter/delegations/${id}/revoke`, { _csrf: csrfOf(found.body), codiceFiscale: delegate.codiceFiscale });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain('già terminata');
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.counter.revoke_delegation', decision: 'done', subject: id });
  });

  it('attaches a received fax to a conversion case, with clear errors for a missing file, a file that is not a PDF and a codice fiscale without PIN', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const form = await clerk.get('/console/counter/fax-intake');
    expect(form.status).toBe(200);
    expect(form.body).toContain('enctype="multipart/form-data"');
    const post = (fields: Record<string, string>, file?: { bytes: Buffer; name: string; type: string }) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      if (file) data.append('fax', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
      return clerk.postMultipart('/console/counter/fax-intake', data);
    };
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
    const csrf = csrfOf(form.body);

    // A forged form (no token before the file) keeps nothing.
    expect((await post({ codiceFiscale: holder.citizen.codiceFiscale }, { bytes: pdf, name: 'fax.pdf', type: 'application/pdf' })).status).toBe(403);
    const noFile = await post({ _csrf: csrf, codiceFiscale: holder.citizen.codiceFiscale });
    expect(noFile.status).toBe(400);
    expect(noFile.body).toContain('href="#f-fax"');
    expect(noFile.body).toContain('Allega il fax ricevuto');
    const notPdf = await post({ _csrf: csrf, codiceFiscale: holder.citizen.codiceFiscale }, { bytes: Buffer.from('solo testo'), name: 'fax.pdf', type: 'application/pdf' });
    expect(notPdf.status).toBeGreaterThanOrEqual(400);
    expect(notPdf.body).toContain('id="f-fax-error"');
    const noPin = await post({ _csrf: csrf, codiceFiscale: makeCitizen().codiceFiscale }, { bytes: pdf, name: 'fax.pdf', type: 'application/pdf' });
    expect(noPin.status).toBe(404);
    expect(noPin.body).toContain('Nessun PIN valido per questo codice fiscale');
    const badCf = await post({ _csrf: csrf, codiceFiscale: 'ABC' }, { bytes: pdf, name: 'fax.pdf', type: 'application/pdf' });
    expect(badCf.status).toBe(400);
    expect(badCf.body).toContain('href="#f-codiceFiscale"');
    expect((await stack.pool.query(`SELECT 1 FROM documents WHERE credential_id = $1::uuid`, [holder.credentialId])).rowCount).toBe(0);

    const attached = await post({ _csrf: csrf, codiceFiscale: holder.citizen.codiceFiscale }, { bytes: pdf, name: 'fax.pdf', type: 'application/pdf' });
    expect(attached.status).toBe(202);
    const caseId = /href="\/console\/review\/([0-9a-f-]{36})" data-testid="case-link"/.exec(attached.body)![1]!;
    const { rows } = await stack.pool.query('SELECT source, credential_id FROM review_cases WHERE id = $1::uuid', [caseId]);
    expect(rows).toEqual([{ source: 'fax', credential_id: holder.credentialId }]);
    // A second fax while the case is open is refused, and not kept.
    const second = await post({ _csrf: csrf, codiceFiscale: holder.citizen.codiceFiscale }, { bytes: pdf, name: 'fax2.pdf', type: 'application/pdf' });
    expect(second.status).toBe(409);
    expect(second.body).toContain('già in corso una verifica');
    expect((await stack.pool.query(`SELECT 1 FROM documents WHERE credential_id = $1::uuid`, [holder.credentialId])).rowCount).toBe(1);
    expect(await consoleActions('clerk')).toContainEqual({ action: 'console.counter.fax_intake', decision: 'done', subject: holder.credentialId });
  });

  it('records a remote identification from the contact centre: the caller’s PIN becomes the 8-character dispositivo one', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const form = await operator.get('/console/contact-centre/remote-identification');
    expect(form.status).toBe(200);
    const fields = {
      codiceFiscale: holder.citizen.codiceFiscale,
      method: 'video_call',
      'identityDocument.type': 'passaporto_estero',
      'identityDocument.number': 'AAB123456',
      'identityDocument.issuer': 'República Argentina',
      'identityDocument.issuedOn': '2021-04-01',
      'identityDocument.expiresOn': '2031-03-31',
    };
    const noCountry = await operator.post('/console/contact-centre/remote-identification', { _csrf: csrfOf(form.body), ...fields });
    expect(noCountry.status).toBe(400);
    expect(noCountry.body).toContain('href="#f-identityDocument-issuingCountry"');
    const done = await operator.post('/console/contact-centre/remote-identification', { _csrf: csrfOf(form.body), ...fields, 'identityDocument.issuingCountry': 'AR' });
    expect(done.status).toBe(202);
    expect(done.body).toContain('PIN dispositivo di 8 caratteri');
    await waitForView(stack, holder.credentialId, (v) => v.state === 'active' && v.pinType === 'dispositivo');
    // The holder finds it in their own timeline.
    const timeline = await createCitizenAccountService(stack).timeline(holder.citizen.codiceFiscale);
    expect(timeline.filter((e) => e.kind === 'remote_identification')).toHaveLength(1);
  });

  it('serves the contact centre: a request for a caller, call-backs, a contact added, a revocation', async () => {
    // A request taken over the phone, recorded with the operator.
    const caller = makeCitizen();
    const requestForm = await operator.get('/console/contact-centre/pin-request');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(requestForm.body)![1]!;
    const accepted = await operator.post('/console/contact-centre/pin-request', { _csrf: csrfOf(requestForm.body), idempotencyKey: key, ...formOf(caller) });
    expect(accepted.status).toBe(202);
    const stored = await stack.pool.query<{ channel: string; operator_id: string }>('SELECT r.channel, r.operator_id FROM pin_requests r JOIN credentials c ON c.id = r.credential_id WHERE c.codice_fiscale = $1', [caller.codiceFiscale]);
    expect(stored.rows).toEqual([{ channel: 'contact_centre', operator_id: usernames.operator }]);
    // The same form posted twice (double click) records one request.
    expect((await operator.post('/console/contact-centre/pin-request', { _csrf: csrfOf(requestForm.body), idempotencyKey: key, ...formOf(caller) })).status).toBe(202);
    expect((await stack.pool.query('SELECT 1 FROM pin_requests r JOIN credentials c ON c.id = r.credential_id WHERE c.codice_fiscale = $1', [caller.codiceFiscale])).rowCount).toBe(1);

    // A citizen with a mobile and an e-mail but no PEC: the operator adds it after identity questions.
    const holder = await activeCitizen(stack, makeCitizen({ pec: undefined }));

    // A request whose residence differs from the record waits for the call-back: the operator
    // sees both residences and records the outcome (the form insists on one, and on an address).
    const moved = makeCitizen();
    await stack.pool.query(`INSERT INTO institute_records (codice_fiscale, residence) VALUES ($1::text, $2::jsonb)`, [
      moved.codiceFiscale,
      JSON.stringify({ ...moved.residence, address: 'Via del Record 9', city: 'Bologna', postalCode: '40100' }),
    ]);
    const movedRequest = await fetch(`${stack.baseUrl}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(moved) });
    const movedId = ((await movedRequest.json()) as { credentialId: string }).credentialId;
    await waitForView(stack, movedId, (v) => v.state === 'awaiting_callback');
    const callbacks = await operator.get('/console/contact-centre');
    expect(callbacks.body).toContain(moved.codiceFiscale);
    const taskId = new RegExp(`/console/contact-centre/callbacks/([0-9a-f-]{36})"`).exec(callbacks.body.slice(callbacks.body.indexOf(moved.codiceFiscale)))![1]!;
    const outcomePage = await operator.get(`/console/contact-centre/callbacks/${taskId}`);
    expect(outcomePage.body).toContain('Via del Record 9');
    expect(outcomePage.body).toContain(moved.residence.address);
    const missing = await operator.post(`/console/contact-centre/callbacks/${taskId}`, { _csrf: csrfOf(outcomePage.body), outcome: 'verified' });
    expect(missing.status).toBe(400);
    const recorded = await operator.post(`/console/contact-centre/callbacks/${taskId}`, { _csrf: csrfOf(outcomePage.body), outcome: 'verified', address: 'declared', note: 'moved last month, confirmed by questions' });
    expect(recorded.status).toBe(200);
    expect((await stack.pool.query('SELECT status, outcome, address, closed_by FROM callback_tasks WHERE id = $1::uuid', [taskId])).rows[0]).toEqual({
      status: 'verified',
      outcome: 'verified',
      address: 'declared',
      closed_by: `staff:${usernames.operator}`,
    });
    await waitForView(stack, movedId, (v) => v.state === 'awaiting_letter_dispatch');

    const contactsForm = await operator.get('/console/contact-centre/contacts');
    const pec = `${holder.citizen.surname.toLowerCase()}@pec.example.it`;
    const added = await operator.post('/console/contact-centre/contacts', {
      _csrf: csrfOf(contactsForm.body),
      codiceFiscale: holder.citizen.codiceFiscale,
      pec,
      method: 'identity_questions',
      note: 'Data di nascita e indirizzo confermati al telefono',
    });
    expect(added.status).toBe(201);
    const contacts = await stack.pool.query<{ contacts: { pec?: string } }>('SELECT contacts FROM credentials WHERE id = $1::uuid', [holder.credentialId]);
    expect(contacts.rows[0]!.contacts.pec).toBe(pec);

    // The revocation needs the confirmation box, then ends the PIN.
    const revokeForm = await operator.get(`/console/contact-centre/revoke?codiceFiscale=${holder.citizen.codiceFiscale}`);
    const shownId = /name="credentialId" value="([^"]+)"/.exec(revokeForm.body)![1]!;
    const unconfirmed = await operator.post('/console/contact-centre/revoke', { _csrf: csrfOf(revokeForm.body), codiceFiscale: holder.citizen.codiceFiscale, credentialId: shownId });
    expect(unconfirmed.status).toBe(400);
    const revoked = await operator.post('/console/contact-centre/revoke', {
      _csrf: csrfOf(revokeForm.body),
      codiceFiscale: holder.citizen.codiceFiscale,
      credentialId: shownId,
      method: 'identity_questions',
      note: 'Richiesta del titolare identificato',
      confirm: 'yes',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toContain('PIN revocato');
    await waitFor('revoked', async () => ((await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [holder.credentialId])).rows[0]!.state === 'revoked' ? true : undefined));
    const login = await fetch(`${stack.baseUrl}/api/session`, { headers: { authorization: `Bearer ${holder.token}` } });
    expect(login.status).toBe(401);
    // The lookup plans no expiry for a PIN that was revoked before it.
    const lookup = await clerk.get(`/console/citizens?cf=${holder.citizen.codiceFiscale}`);
    expect(lookup.body).toContain('PIN revocato');
    expect(lookup.body).not.toContain('Scadenza del PIN');

    expect((await consoleActions('operator')).map((a) => `${a.action}:${a.decision}`)).toEqual([
      // The remote identification test before this one: refused (no issuing country), then done.
      'console.contact_centre.remote_identification:refused',
      'console.contact_centre.remote_identification:done',
      'console.contact_centre.pin_request:done',
      'console.contact_centre.pin_request:done',
      'console.callback.outcome:done',
      'console.contact_centre.add_contact:done',
      'console.contact_centre.revoke:done',
    ]);
  });
  it('rejects from the case page with a reason picked from the list: the note is required with “other”, the page shows the reason and the note, the citizen is told the reason in both languages', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const intake = await clerk.get('/console/counter/fax-intake');
    const data = new FormData();
    data.append('_csrf', csrfOf(intake.body));
    data.append('codiceFiscale', holder.citizen.codiceFiscale);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
    data.append('fax', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'fax.pdf');
    const caseId = /href="\/console\/review\/([0-9a-f-]{36})" data-testid="case-link"/.exec((await clerk.postMultipart('/console/counter/fax-intake', data)).body)![1]!;
    await waitFor('case open', async () => ((await stack.pool.query('SELECT 1 FROM review_cases WHERE id = $1::uuid AND escalate_at IS NOT NULL', [caseId])).rowCount ? true : undefined));
    const casePath = `/console/review/${caseId}`;
    const claimed = await clerk.post(`${casePath}/claim`, { _csrf: csrfOf((await clerk.get(casePath)).body) });
    const page = await clerk.get(claimed.location!);
    // The list of reasons, by their labels, in the page's language.
    expect(page.body).toContain('<option value="document_expired">Documento di identità scaduto</option>');
    expect(page.body).toContain('<option value="other">Altro motivo (spiegalo nella nota)</option>');
    expect((await clerk.get(`${casePath}?lang=en`)).body).toContain('<option value="document_expired">Identity document expired</option>');
    await clerk.get('/console/?lang=it');

    // Without a reason, and "other" without a note: refused on the field, what was typed kept.
    const noReason = await clerk.post(`${casePath}/decision`, { _csrf: csrfOf(page.body), decision: 'reject', reasonCode: '', note: 'illeggibile' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('href="#f-reasonCode"');
    expect(noReason.body).toContain('Scegli il motivo del rifiuto.');
    expect(noReason.body).toContain('>illeggibile</textarea>');
    const noNote = await clerk.post(`${casePath}/decision`, { _csrf: csrfOf(page.body), decision: 'reject', reasonCode: 'other', note: '' });
    expect(noNote.status).toBe(400);
    expect(noNote.body).toContain('href="#f-note"');
    expect(noNote.body).toContain('id="f-note-error"');
    expect(noNote.body).toMatch(/<option value="other" selected>/);
    expect((await stack.pool.query('SELECT status FROM review_cases WHERE id = $1::uuid', [caseId])).rows).toEqual([{ status: 'claimed' }]);

    const rejected = await clerk.post(`${casePath}/decision`, { _csrf: csrfOf(page.body), decision: 'reject', reasonCode: 'document_expired', note: 'Scaduto a marzo, chiesto nuovo documento' });
    expect(rejected.status).toBe(303);
    expect(rejected.location).toBe(`${casePath}?done=decision&status=rejected`);
    const decided = await clerk.get(rejected.location!);
    expect(decided.body).toContain('data-testid="case-reason">Documento di identità scaduto<');
    expect(decided.body).toContain('Scaduto a marzo, chiesto nuovo documento');
    expect((await clerk.get(`${rejected.location!}&lang=en`)).body).toContain('data-testid="case-reason">Identity document expired<');
    await clerk.get('/console/?lang=it');
    expect((await stack.pool.query('SELECT status, reason_code, note FROM review_cases WHERE id = $1::uuid', [caseId])).rows).toEqual([
      { status: 'rejected', reason_code: 'document_expired', note: 'Scaduto a marzo, chiesto nuovo documento' },
    ]);
    const mail = await waitFor('rejection mail', async () => (await stack.mails({ to: holder.citizen.email })).find((m) => /non accolta/.test(m.subject ?? '')));
    expect(mail.text).toContain('Motivo: Documento di identità scaduto');
    expect(mail.text).toContain('Reason: Identity document expired');
    expect(mail.text).not.toContain('marzo');
    // The lookup's conversions say the reason and the note too.
    const lookup = await clerk.get(`/console/citizens?cf=${holder.citizen.codiceFiscale}`);
    expect(lookup.body).toContain('Documento di identità scaduto · nota: Scaduto a marzo, chiesto nuovo documento');
  });

  it('says no stored code and no ISO date on any page, in Italian and in English: every value has its label, every date one format', async () => {
    const adminAccount = await createTestStaff(stack, 'admin');
    const admin = await consoleLogin(stack, adminAccount);
    const citizen = await activeCitizen(stack, makeCitizen());
    // An audit row whose actor and subject are ids: the viewer names them as a person knows them.
    await withTransaction(stack.pool, (client) => appendAudit(client, { actor: `staff:${adminAccount.accountId}`, action: 'document_read', subject: citizen.credentialId, decision: 'served' }));
    const { rows } = await stack.pool.query<{ batch_date: string }>(`SELECT to_char(batch_date, 'YYYY-MM-DD') AS batch_date FROM letters WHERE credential_id = $1::uuid`, [citizen.credentialId]);
    const cases = await stack.pool.query<{ id: string }>('SELECT id FROM review_cases ORDER BY created_at DESC LIMIT 3');
    const pages: [Browser, string][] = [
      [clerk, `/console/citizens?cf=${citizen.citizen.codiceFiscale}`],
      [clerk, '/console/review'],
      [clerk, '/console/review?status=rejected'],
      [clerk, '/console/review?status=approved'],
      ...cases.rows.map((c): [Browser, string] => [clerk, `/console/review/${c.id}`]),
      [clerk, `/console/mailroom?date=${rows[0]!.batch_date}`],
      [clerk, '/console/counter/delegations'],
      [clerk, '/console/claims'],
      ...(await stack.pool.query<{ id: string }>('SELECT id FROM benefit_claims ORDER BY received_at DESC LIMIT 5')).rows.map((c): [Browser, string] => [clerk, `/console/claims/${c.id}`]),
      [operator, '/console/contact-centre'],
      [admin, '/console/admin/staff'],
      [admin, '/console/admin/audit'],
    ];
    // Visible text only: what a person reads (attribute values such as form values are not).
    const visible = (body: string) =>
      body
        .replace(/<(script|style|iframe)[\s\S]*?<\/\1>/g, ' ')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&[a-z#0-9]+;/g, ' ');
    const problems: string[] = [];
    for (const lang of ['it', 'en']) {
      for (const [who, path] of pages) {
        const page = await who.get(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        expect(page.status, path).toBe(200);
        const text = visible(page.body);
        // A code: snake_case (awaiting_first_access, in_processing…), an e-mail's kebab purpose, a bare ISO date or instant, the old dd/mm/yy.
        for (const m of text.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b|\b(?:first|second|expiry|recovery|conversion|claim|pin)-[a-z-]+\b|\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?\b|\b\d{2}\/\d{2}\/\d{2,4}\b/g)) {
          problems.push(`${lang} ${path}: ${m[0]}`);
        }
        if (/<code>[a-z_]+<\/code>/.test(page.body.replace(/<code>[0-9a-f-]{8,36}<\/code>/g, ''))) problems.push(`${lang} ${path}: a code without its label`);
      }
    }
    for (const b of [clerk, operator, admin]) await b.get('/console/?lang=it');
    expect(problems).toEqual([]);
    // One date format per page: "5 dic 2026, 09:14" / "5 Dec 2026, 09:14".
    const audit = await admin.get('/console/admin/audit');
    const protocol = (await stack.pool.query<{ protocol: string }>('SELECT protocol FROM pin_requests WHERE credential_id = $1::uuid', [citizen.credentialId])).rows[0]!.protocol;
    expect(visible(audit.body)).toContain(`personale ${adminAccount.username}`);
    expect(visible(audit.body)).toContain(protocol);
    expect(audit.body).not.toContain(`>${citizen.credentialId}<`);
    expect(audit.body).toMatch(/<td>\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) \d{4}, \d{2}:\d{2}<\/td>/);
    expect((await admin.get('/console/admin/audit?lang=en')).body).toMatch(/<td>\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}<\/td>/);
    await admin.get('/console/?lang=it');
  });
});
