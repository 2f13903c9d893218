/**
 * Conversion to dispositivo on the real servers: the citizen downloads the form, uploads the
 * signed form and an identity document, files a claim that waits; a clerk claims and approves
 * through the API; the same PIN becomes dispositivo (the open session widens at once) and the
 * waiting claim goes to processing. The rejection path, the second review, the review routes'
 * authorization, and the contact centre's remote identification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStaffToken } from '../../services/staff/auth';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, waitFor, waitForView, type ActiveCitizen } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';
import { claimStateQuery } from '../../workflows/claim-definitions';
import { italianDateTime } from '../../domain/calendar';
import { pdfText } from '../support/pdf';

let stack: TestStack;
let clerkA: string;
let clerkB: string;
let operator: string;

/** A 1×1 PNG: a real image, as a scanned identity document would be. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  // No sampling: only the tests that ask for a second review get one.
  stack = await startTestStack({ secondReviewSampleRate: 0 });
  clerkA = await issueStaffToken(stack.pool, 'clerk-a', 'clerk');
  clerkB = await issueStaffToken(stack.pool, 'clerk-b', 'clerk');
  operator = await issueStaffToken(stack.pool, 'op-1', 'operator');
});
afterAll(async () => {
  await stack?.stop();
});

async function api(method: string, path: string, opts: { token?: string; body?: unknown; raw?: Buffer; type?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.raw) headers['content-type'] = opts.type ?? 'application/octet-stream';
  const res = await fetch(`${stack.baseUrl}${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const buf = Buffer.from(await res.arrayBuffer());
  const isJson = res.headers.get('content-type')?.includes('json');
  return { status: res.status, headers: res.headers, // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
    body: (isJson ? JSON.parse(buf.toString()) : undefined) as Record<string, any>, bytes: buf };
}

/** Downloads the prefilled form and uploads it (as the signed scan) with an identity document. */
async function requestConversion(c: ActiveCitizen): Promise<string> {
  const form = await api('GET', '/api/conversion/form', { token: c.token });
  expect(form.status).toBe(200);
  expect(form.headers.get('content-type')).toContain('application/pdf');
  const signed = await api('POST', '/api/conversion/documents?kind=signed_request&filename=richiesta-firmata.pdf', { token: c.token, raw: form.bytes, type: 'application/pdf' });
  expect(signed.status).toBe(201);
  const id = await api('POST', '/api/conversion/documents?kind=identity_document&filename=passaporto.png', { token: c.token, raw: PNG, type: 'image/png' });
  expect(id.status).toBe(201);
  const res = await api('POST', '/api/conversion/requests', {
    token: c.token,
    body: { signedRequestDocumentId: signed.body.documentId, identityDocumentId: id.body.documentId },
  });
  expect(res.status).toBe(202);
  return res.body.caseId as string;
}

async function fileClaim(c: ActiveCitizen, type = 'parental-leave') {
  await asWorker(stack, c.credentialId);
  const res = await api('POST', '/api/claims', { token: c.token, body: { type } });
  expect(res.status).toBe(202);
  return res.body;
}

const sessionScope = async (c: ActiveCitizen) => (await api('GET', '/api/session', { token: c.token })).body?.session?.scope as string | undefined;

describe('conversion to dispositivo', () => {
  it('upload → clerk approval via the API → the same PIN is dispositivo → the waiting claim is released', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    expect(await sessionScope(citizen)).toBe('ordinary');
    const claim = await fileClaim(citizen);
    expect(claim).toMatchObject({ status: 'waiting_for_dispositivo', protocol: expect.stringMatching(/^INPS\.\d{4}\.\d{8}$/) });
    expect(Date.parse(claim.receivedAt)).toBeLessThanOrEqual(Date.now());

    const caseId = await requestConversion(citizen);
    // A second request while one is in review returns the same case.
    const queue = await api('GET', '/api/review/cases', { token: clerkA });
    const listed = queue.body.cases.find((x: { caseId: string }) => x.caseId === caseId);
    expect(listed).toMatchObject({ status: 'open', codiceFiscale: citizen.citizen.codiceFiscale, secondReviewRequired: false });
    await waitFor('escalation deadline', async () => ((await api('GET', `/api/review/cases/${caseId}`, { token: clerkA })).body.escalateAt ? true : undefined));
    const detail = await api('GET', `/api/review/cases/${caseId}`, { token: clerkA });
    // Five working days ahead: at least 5 and at most 5 + a long weekend of holidays.
    expect(detail.body.secondsToEscalation).toBeGreaterThan(5 * 86_400 - 60);
    expect(detail.body.documents.map((d: { kind: string }) => d.kind).sort()).toEqual(['identity_document', 'signed_request']);
    // The clerk sees the documents inline with their stored type.
    const doc = await api('GET', `/api/staff/documents/${detail.body.documents[0].documentId}`, { token: clerkA });
    expect(doc.status).toBe(200);
    expect(doc.headers.get('x-content-type-options')).toBe('nosniff');

    // Deciding before claiming is refused; claiming then approving works.
    const early = await api('POST', `/api/review/cases/${caseId}/decision`, { token: clerkA, body: { decision: 'approve' } });
    expect(early.status).toBe(409);
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: clerkA })).status).toBe(200);
    const approved = await api('POST', `/api/review/cases/${caseId}/decision`, { token: clerkA, body: { decision: 'approve' } });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    // The same session (no new login, no new PIN) now has the dispositivo scope.
    await waitFor('dispositivo scope', async () => ((await sessionScope(citizen)) === 'dispositivo' ? true : undefined));
    const view = await waitForView(stack, citizen.credentialId, (v) => v.conversion?.status === 'approved');
    expect(view).toMatchObject({ pinType: 'dispositivo', state: 'active', pinVersion: view.pinVersion });
    const released = await waitFor('claim in processing', async () => {
      const c = await api('GET', `/api/claims/${claim.claimId}`, { token: citizen.token });
      return c.body.status === 'in_processing' ? c.body : undefined;
    });
    expect(Date.parse(released.releasedAt)).toBeGreaterThanOrEqual(Date.parse(claim.receivedAt));
    expect(released.receivedAt).toBe(claim.receivedAt); // the deadline stopped at filing
    const { rows } = await stack.pool.query('SELECT signalled_at FROM claim_releases WHERE claim_id = $1::uuid', [claim.claimId]);
    expect(rows[0]?.signalled_at).toBeTruthy();

    // The login still works with the same PIN, now dispositivo; new claims go straight through.
    const login = await api('POST', '/api/sessions', { body: { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin } });
    expect(login.status).toBe(201);
    expect(login.body.session.scope).toBe('dispositivo');
    const straight = await fileClaim({ ...citizen, token: login.body.token });
    expect(straight.status).toBe('released');
    await waitFor('second claim in processing', async () =>
      (await api('GET', `/api/claims/${straight.claimId}`, { token: citizen.token })).body.status === 'in_processing' ? true : undefined,
    );
    const mails = await waitFor('approval mail', async () => {
      const m = (await stack.mails({ to: citizen.citizen.email })).filter((x) => /dispositivo/i.test(x.subject ?? ''));
      return m.length ? m : undefined;
    });
    expect(mails[0]!.text).toContain('PIN non cambia');
    // Already dispositivo: uploading for a conversion is refused.
    expect((await api('POST', '/api/conversion/documents?kind=identity_document&filename=x.png', { token: citizen.token, raw: PNG, type: 'image/png' })).status).toBe(409);
  });

  it('rejection: a reason from the list is required, the citizen is told it in Italian and English (not the clerk’s note), the PIN stays ordinary and the claim keeps waiting', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    const caseId = await requestConversion(citizen);
    await waitFor('review open', async () => ((await api('GET', `/api/review/cases/${caseId}`, { token: clerkB })).body.escalateAt ? true : undefined));
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: clerkB })).status).toBe(200);
    const decide = (body: Record<string, unknown>) => api('POST', `/api/review/cases/${caseId}/decision`, { token: clerkB, body });
    // Refused, each on its field: no reason, a reason not in the list, "other" without a note, a reason with an approval.
    const noReason = await decide({ decision: 'reject' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields).toEqual([{ field: 'reasonCode', code: 'custom', message: { it: 'Scegli il motivo del rifiuto.', en: 'Choose the reason for the rejection.' } }]);
    expect((await decide({ decision: 'reject', reasonCode: 'bad_mood' })).body.error.fields[0].field).toBe('reasonCode');
    expect((await decide({ decision: 'reject', reasonCode: 'other' })).body.error.fields[0].field).toBe('note');
    expect((await decide({ decision: 'approve', reasonCode: 'document_expired' })).body.error.fields[0].field).toBe('reasonCode');
    const bad = await decide({ decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('decision');
    const rejected = await decide({ decision: 'reject', reasonCode: 'signature_missing', note: 'Modulo senza firma in fondo alla pagina 2' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reasonCode: 'signature_missing', note: 'Modulo senza firma in fondo alla pagina 2' });

    const mail = await waitFor('rejection mail', async () => {
      const m = (await stack.mails({ to: citizen.citizen.email })).find((x) => /non accolta/.test(x.subject ?? ''));
      return m;
    });
    // Each language's part of the notice says the reason in that language; the note is the staff's.
    const [italian, english] = mail.text.split(/\n(?=Dear )/);
    expect(italian).toContain('Motivo: Firma mancante sul modulo di richiesta');
    expect(english).toContain('Reason: Signature missing on the request form');
    expect(english).not.toMatch(/Firma|Modulo/);
    expect(mail.text).not.toContain('pagina 2');
    const current = await api('GET', '/api/conversion/requests/current', { token: citizen.token });
    expect(current.body).toEqual({
      caseId,
      status: 'rejected',
      source: 'online',
      createdAt: expect.any(String),
      decidedAt: expect.any(String),
      reason: 'Firma mancante sul modulo di richiesta',
      reasonCode: 'signature_missing',
      reasonText: { it: 'Firma mancante sul modulo di richiesta', en: 'Signature missing on the request form' },
    });
    // The stored decision keeps the code and the note; the staff read both.
    const row = await stack.pool.query('SELECT status, reason_code, note, reason FROM review_cases WHERE id = $1::uuid', [caseId]);
    expect(row.rows).toEqual([{ status: 'rejected', reason_code: 'signature_missing', note: 'Modulo senza firma in fondo alla pagina 2', reason: null }]);
    expect((await api('GET', `/api/review/cases/${caseId}`, { token: clerkA })).body).toMatchObject({
      reasonCode: 'signature_missing',
      note: 'Modulo senza firma in fondo alla pagina 2',
      reason: 'Firma mancante sul modulo di richiesta',
    });
    await waitForView(stack, citizen.credentialId, (v) => v.conversion?.status === 'rejected');
    expect(await sessionScope(citizen)).toBe('ordinary');
    expect((await api('GET', `/api/claims/${claim.claimId}`, { token: citizen.token })).body.status).toBe('waiting_for_dispositivo');
    // Decided: no more actions on the case.
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: clerkA })).status).toBe(409);
  });

  it('a client of the API before reason codes still rejects with free text: kept as the note of an “other” rejection, the citizen told to ask for the details', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const caseId = await requestConversion(citizen);
    await waitFor('review open', async () => ((await api('GET', `/api/review/cases/${caseId}`, { token: clerkA })).body.escalateAt ? true : undefined));
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: clerkA })).status).toBe(200);
    const rejected = await api('POST', `/api/review/cases/${caseId}/decision`, { token: clerkA, body: { decision: 'reject', reason: 'Firma assente sul modulo' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reasonCode: 'other', note: 'Firma assente sul modulo' });
    const mail = await waitFor('rejection mail', async () => (await stack.mails({ to: citizen.citizen.email })).find((x) => /non accolta/.test(x.subject ?? '')));
    expect(mail.text).toContain('Motivo: Altro motivo: per i dettagli rivolgersi al Contact center o a una sede INPS');
    expect(mail.text).toContain('Reason: Another reason: for the details, contact the INPS contact centre or an INPS office');
    expect(mail.text).not.toContain('Firma assente');
  });

  it('a high-risk case (declared residence differs from the records) is approved only when a different clerk confirms', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    await stack.pool.query(
      `INSERT INTO callback_tasks (id, credential_id, reason, phone, time_slot) VALUES (gen_random_uuid(), $1::uuid, 'residence_mismatch', '+5491100000000', 'morning')
       ON CONFLICT (credential_id) DO NOTHING`,
      [citizen.credentialId],
    );
    const caseId = await requestConversion(citizen);
    await waitFor('review open', async () => ((await api('GET', `/api/review/cases/${caseId}`, { token: clerkA })).body.escalateAt ? true : undefined));
    const detail = await api('GET', `/api/review/cases/${caseId}`, { token: clerkA });
    expect(detail.body).toMatchObject({ highRisk: true, riskFlags: ['residence_mismatch'], secondReviewRequired: true });

    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: clerkA })).status).toBe(200);
    const first = await api('POST', `/api/review/cases/${caseId}/decision`, { token: clerkA, body: { decision: 'approve' } });
    expect(first.body.status).toBe('awaiting_second_review');
    expect(await sessionScope(citizen)).toBe('ordinary');
    const same = await api('POST', `/api/review/cases/${caseId}/second-review`, { token: clerkA, body: { decision: 'confirm' } });
    expect(same.status).toBe(409);
    expect(same.body.error.details.reason).toBe('SAME_REVIEWER');
    const confirmed = await api('POST', `/api/review/cases/${caseId}/second-review`, { token: clerkB, body: { decision: 'confirm' } });
    expect(confirmed.body).toMatchObject({ status: 'approved', firstDecisionBy: 'clerk-a', decidedBy: 'clerk-b' });
    await waitFor('dispositivo scope', async () => ((await sessionScope(citizen)) === 'dispositivo' ? true : undefined));
  });

  it('refuses review routes to citizens, to missing tokens and to the wrong role, and claims of someone else', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const other = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    const caseId = await requestConversion(citizen);
    for (const path of ['/api/review/cases', `/api/review/cases/${caseId}`]) {
      expect((await api('GET', path)).status).toBe(401);
      expect((await api('GET', path, { token: citizen.token })).status).toBe(403); // a citizen session: forbidden, not unauthenticated
      expect((await api('GET', path, { token: operator })).status).toBe(403);
    }
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: operator })).status).toBe(403);
    expect((await api('POST', `/api/review/cases/${caseId}/claim`, { token: citizen.token })).status).toBe(403);
    // Another citizen: the claim and the case are "not found", nothing leaks.
    const foreign = await api('GET', `/api/claims/${claim.claimId}`, { token: other.token });
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain(citizen.citizen.codiceFiscale);
    expect((await api('GET', '/api/conversion/requests/current', { token: other.token })).status).toBe(404);
    // A bogus claim type is refused with the field named, and nothing is stored.
    const before = await stack.pool.query('SELECT count(*)::int AS n FROM benefit_claims WHERE credential_id = $1::uuid', [other.credentialId]);
    const badType = await api('POST', '/api/claims', { token: other.token, body: { type: 'free-money' } });
    expect(badType.status).toBe(403);
    expect(badType.body.error.fields[0].field).toBe('type');
    const after = await stack.pool.query('SELECT count(*)::int AS n FROM benefit_claims WHERE credential_id = $1::uuid', [other.credentialId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

describe('remote identification by the contact centre', () => {
  it('ends with the 8-character dispositivo PIN, in two parts on two channels and usable at once; the old PIN and its sessions dead', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    const res = await api('POST', '/api/contact-centre/remote-identifications', {
      token: operator,
      body: {
        codiceFiscale: citizen.citizen.codiceFiscale,
        method: 'video_call',
        // Before: a foreign passport got 400 (Italian documents only).
        identityDocument: { type: 'passaporto_estero', number: 'AAB123456', issuer: 'República Argentina', issuingCountry: 'AR', issuedOn: '2021-05-02', expiresOn: '2031-05-01' },
      },
    });
    expect(res.status).toBe(202);
    const idv = await stack.pool.query('SELECT method, document_type, issuing_country FROM identity_verifications WHERE credential_id = $1::uuid', [citizen.credentialId]);
    expect(idv.rows).toEqual([{ method: 'remote', document_type: 'passaporto_estero', issuing_country: 'AR' }]);
    // The old session and PIN are dead at once.
    expect((await api('GET', '/api/session', { token: citizen.token })).status).toBe(401);
    expect((await api('POST', '/api/sessions', { body: { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin } })).status).toBe(401);

    // Before: a 16-character PIN in halves that still needed a first access.
    const view = await waitForView(stack, citizen.credentialId, (v) => v.state === 'active' && v.pinType === 'dispositivo' && v.firstHalf.length === 2 && v.firstHalf.every((f) => f.state === 'sent'));
    expect(view.pinExpiresAt).toBeDefined();
    const sms = (await stack.smses({ to: citizen.citizen.mobile })).filter((m) => /parte del PIN dispositivo/.test(m.text));
    expect(sms).toHaveLength(1);
    const first = /dispositivo PIN: ([A-Z0-9]{4})\./.exec(sms[0]!.text)![1]!;
    const secondMail = (await stack.mails({ to: citizen.citizen.pec })).find((m) => /Seconda parte del PIN dispositivo/.test(m.subject ?? ''));
    expect(secondMail).toBeDefined();
    const second = /PIN dispositivo è: ([A-Z0-9]{4}) /.exec(secondMail!.text)![1]!;
    // No letter for this PIN.
    const letters = await stack.pool.query(`SELECT count(*)::int AS n FROM letters WHERE credential_id = $1::uuid AND pin_version = $2::int`, [citizen.credentialId, res.body.pinVersion]);
    expect(letters.rows[0].n).toBe(0);

    // The two parts are the PIN: no first access, straight to a dispositivo session.
    const login = await api('POST', '/api/sessions', { body: { codiceFiscale: citizen.citizen.codiceFiscale, pin: first + second } });
    expect(login.status).toBe(201);
    expect(login.body.session.scope).toBe('dispositivo');
    // Becoming dispositivo released the waiting claim too.
    await waitFor('claim released', async () =>
      (await api('GET', `/api/claims/${claim.claimId}`, { token: login.body.token })).body.status === 'in_processing' ? true : undefined,
    );
  });

  it('refuses an expired identity document and a caller without a PIN, and changes nothing', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const expired = await api('POST', '/api/contact-centre/remote-identifications', {
      token: operator,
      body: { codiceFiscale: citizen.citizen.codiceFiscale, method: 'video_call', identityDocument: { type: 'passaporto', number: 'YA1234567', issuer: 'Consolato', issuedOn: '2010-01-02', expiresOn: '2020-01-01' } },
    });
    expect(expired.status).toBe(400);
    expect(expired.body.error.fields[0].field).toBe('identityDocument.expiresOn');
    const noCountry = await api('POST', '/api/contact-centre/remote-identifications', {
      token: operator,
      body: { codiceFiscale: citizen.citizen.codiceFiscale, method: 'video_call', identityDocument: { type: 'passaporto_estero', number: 'AAB123456', issuer: 'República Argentina', issuedOn: '2021-05-02', expiresOn: '2031-05-01' } },
    });
    expect(noCountry.status).toBe(400);
    expect(noCountry.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['identityDocument.issuingCountry']);
    expect(await sessionScope(citizen)).toBe('ordinary');
    const unknown = await api('POST', '/api/contact-centre/remote-identifications', {
      token: operator,
      body: { codiceFiscale: makeCitizen().codiceFiscale, method: 'video_call', identityDocument: { type: 'passaporto', number: 'YA1234567', issuer: 'Consolato', issuedOn: '2021-01-02', expiresOn: '2031-01-01' } },
    });
    expect(unknown.status).toBe(404);
    expect((await api('POST', '/api/contact-centre/remote-identifications', { token: citizen.token, body: {} })).status).toBe(403);
  });
});

describe('conversion at an INPS office', () => {
  const officeBody = (c: ActiveCitizen) => ({
    codiceFiscale: c.citizen.codiceFiscale,
    office: 'Roma Eur',
    identityDocument: { type: 'passaporto_estero', number: 'AAB123456', issuer: 'República Argentina', issuingCountry: 'AR', issuedOn: '2021-05-02', expiresOn: '2031-05-01' },
    signedRequestChecked: true,
  });

  it('makes the holder’s existing PIN dispositivo — no new PIN — through an office review case decided by the clerk, and releases the held claim', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    // Before: the counter only issued new PINs, and refused this holder (409).
    const res = await api('POST', '/api/counter/conversions', { token: clerkA, body: officeBody(citizen) });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ credentialId: citizen.credentialId, status: 'approved' });
    await waitFor('dispositivo', async () => ((await sessionScope(citizen)) === 'dispositivo' ? true : undefined));
    // The same PIN: the holder's session widened, and the PIN they had still logs in.
    const login = await api('POST', '/api/sessions', { body: { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin } });
    expect(login.status).toBe(201);
    expect(login.body.session.scope).toBe('dispositivo');
    const secrets = await stack.pool.query('SELECT count(*)::int AS n FROM pin_secrets WHERE credential_id = $1::uuid', [citizen.credentialId]);
    expect(secrets.rows[0].n).toBe(2); // the initial PIN and the personal one: nothing new
    const caseRow = await stack.pool.query('SELECT source, status, decided_by, created_by FROM review_cases WHERE id = $1::uuid', [res.body.caseId]);
    expect(caseRow.rows[0]).toEqual({ source: 'office', status: 'approved', decided_by: 'clerk-a', created_by: 'staff:clerk-a' });
    const idv = await stack.pool.query('SELECT method, office, issuing_country FROM identity_verifications WHERE credential_id = $1::uuid', [citizen.credentialId]);
    expect(idv.rows).toEqual([{ method: 'counter', office: 'Roma Eur', issuing_country: 'AR' }]);
    const audit = await stack.pool.query(`SELECT action FROM audit_log WHERE subject = $1 AND action IN ('office_identification', 'conversion_requested', 'review_claim', 'review_approve', 'convert_to_dispositivo') ORDER BY id`, [
      citizen.credentialId,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(['office_identification', 'conversion_requested', 'review_claim', 'review_approve', 'convert_to_dispositivo']);
    await waitFor('claim released', async () => ((await api('GET', `/api/claims/${claim.claimId}`, { token: login.body.token })).body.status === 'in_processing' ? true : undefined));
    // Once dispositivo, a second conversion is refused.
    expect((await api('POST', '/api/counter/conversions', { token: clerkA, body: officeBody(citizen) })).status).toBe(409);
  });

  it('refuses without the signed request checked, an expired document, or a person with no PIN (pointing to the MV35), and changes nothing', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const unsigned = await api('POST', '/api/counter/conversions', { token: clerkA, body: { ...officeBody(citizen), signedRequestChecked: false } });
    expect(unsigned.status).toBe(400);
    const expired = await api('POST', '/api/counter/conversions', {
      token: clerkA,
      body: { ...officeBody(citizen), identityDocument: { ...officeBody(citizen).identityDocument, issuedOn: '2010-01-02', expiresOn: '2020-01-01' } },
    });
    expect(expired.status).toBe(400);
    const nobody = await api('POST', '/api/counter/conversions', { token: clerkA, body: { ...officeBody(citizen), codiceFiscale: makeCitizen().codiceFiscale } });
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.message.en).toContain('MV35');
    // The field's own message too, which is what the console's form shows beside it.
    expect(nobody.body.error.fields[0].message.it).toContain('modulo MV35');
    expect((await api('POST', '/api/counter/conversions', { token: operator, body: officeBody(citizen) })).status).toBe(403);
    expect(await sessionScope(citizen)).toBe('ordinary');
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM review_cases WHERE credential_id = $1::uuid', [citizen.credentialId])).rows[0].n).toBe(0);
  });
});

describe('a claim’s life after it is filed', () => {
  const claimWorkflowStatus = async (claimId: string) => (await stack.client.workflow.getHandle(`claim-${claimId}`).query(claimStateQuery)).status;
  const processingClaim = async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [citizen.credentialId]);
    const claim = await fileClaim(citizen);
    await waitFor('in processing', async () => ((await claimWorkflowStatus(claim.claimId)) === 'in_processing' ? true : undefined));
    return { citizen, claim };
  };

  it('the back office decides a claim in processing; a rejection needs its reason and the claimant is told it', async () => {
    const { citizen, claim } = await processingClaim();
    const queue = await api('GET', '/api/staff/claims', { token: clerkA });
    expect(queue.body.claims.map((c: { claimId: string }) => c.claimId)).toContain(claim.claimId);
    const noReason = await api('POST', `/api/staff/claims/${claim.claimId}/decision`, { token: clerkA, body: { decision: 'rejected' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields[0].field).toBe('reason');
    expect((await api('POST', `/api/staff/claims/${claim.claimId}/decision`, { token: operator, body: { decision: 'accepted' } })).status).toBe(403);
    const decided = await api('POST', `/api/staff/claims/${claim.claimId}/decision`, { token: clerkA, body: { decision: 'rejected', reason: 'Requisito contributivo non raggiunto' } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'rejected', reason: 'Requisito contributivo non raggiunto' });
    const told = await waitFor('the outcome mail', async () => (await stack.mails({ to: citizen.citizen.email })).find((m) => m.headers['x-purpose'] === 'claim-decided' && (m.subject ?? '').includes(claim.protocol)));
    expect(told.text).toContain('Requisito contributivo non raggiunto');
    expect((await api('GET', `/api/claims/${claim.claimId}`, { token: citizen.token })).body).toMatchObject({ status: 'rejected', reason: 'Requisito contributivo non raggiunto' });
    // Decided once: no second decision, no withdrawal.
    expect((await api('POST', `/api/staff/claims/${claim.claimId}/decision`, { token: clerkB, body: { decision: 'accepted' } })).status).toBe(409);
    expect((await api('POST', `/api/claims/${claim.claimId}/withdraw`, { token: citizen.token })).status).toBe(409);
    await stack.client.workflow.getHandle(`claim-${claim.claimId}`).result();
  });

  it('filing tells the claimant once (also after a retried filing), with the protocol number, and gives a printable receipt only to them', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    await asWorker(stack, citizen.credentialId);
    const file = () => api('POST', '/api/claims', { token: citizen.token, body: { type: 'parental-leave' }, headers: { 'idempotency-key': `receipt-${citizen.credentialId}` } });
    const filed = await file();
    expect(filed.status).toBe(202);
    const retried = await file();
    expect(retried.status).toBe(200);
    expect(retried.body.claimId).toBe(filed.body.claimId);
    const { claimId, protocol, receivedAt } = filed.body as { claimId: string; protocol: string; receivedAt: string };
    expect(protocol).toMatch(/^INPS\.\d{4}\.\d{8}$/);

    // One confirmation per mail address (e-mail and PEC), delivered once.
    const received = (to: string) => stack.mails({ to }).then((all) => all.filter((m) => m.headers['x-purpose'] === 'claim-received'));
    const mail = await waitFor('the claim-received mail', async () => (await received(citizen.citizen.email!))[0]);
    await waitFor('the claim-received PEC', async () => (await received(citizen.citizen.pec!))[0]);
    const rows = await stack.pool.query<{ channel: string; status: string }>(`SELECT channel, status FROM outbox WHERE credential_id = $1::uuid AND purpose = 'claim-received' ORDER BY channel`, [
      citizen.credentialId,
    ]);
    expect(rows.rows).toEqual([
      { channel: 'email', status: 'sent' },
      { channel: 'pec', status: 'sent' },
    ]);
    expect(await received(citizen.citizen.email!)).toHaveLength(1);
    expect(await received(citizen.citizen.pec!)).toHaveLength(1);
    expect(mail.subject).toContain(protocol);
    expect(mail.text).toContain('Congedo parentale');
    expect(mail.text).toContain('Parental leave');
    expect(mail.text).toContain(italianDateTime('it', receivedAt, 'medium'));
    expect(mail.text).toContain(italianDateTime('en', receivedAt, 'medium'));
    expect(mail.text).toMatch(/sarà lavorata quando il tuo PIN sarà dispositivo/);
    expect(mail.text).toMatch(/deadline is met as of the date and time it was received/);
    expect(mail.text).not.toMatch(/waiting_for_dispositivo|parental-leave|\d{4}-\d{2}-\d{2}T/);
    expect(mail.text).not.toContain(citizen.citizen.codiceFiscale);

    // The printable receipt: the protocol, the claim, the claimant and the declaration; no contact details.
    const receipt = await api('GET', `/api/claims/${claimId}/receipt`, { token: citizen.token });
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toBe('application/pdf');
    expect(receipt.headers.get('content-disposition')).toMatch(/^attachment/);
    const text = (await pdfText(new Uint8Array(receipt.bytes))).replace(/\s+/g, ' ');
    expect(text).toContain(protocol);
    expect(text).toContain('Congedo parentale');
    expect(text).toContain(citizen.citizen.codiceFiscale);
    expect(text).toContain(`${citizen.citizen.name} ${citizen.citizen.surname}`);
    expect(text).toContain('In attesa del PIN dispositivo');
    expect(text).toContain('DPR 445/2000');
    expect(text).toContain(italianDateTime('it', receivedAt));
    for (const contact of [citizen.citizen.email!, citizen.citizen.pec!, citizen.citizen.mobile!]) expect(text).not.toContain(contact);
    expect(text).not.toContain('@');

    // Someone else's receipt, a made-up id and no session: not theirs to have.
    const other = await activeCitizen(stack, makeCitizen());
    expect((await api('GET', `/api/claims/${claimId}/receipt`, { token: other.token })).status).toBe(404);
    expect((await api('GET', '/api/claims/not-a-claim/receipt', { token: citizen.token })).status).toBe(404);
    expect((await api('GET', `/api/claims/${claimId}/receipt`)).status).toBe(401);
  });

  it('the claimant withdraws a claim before the decision, once; nobody else can', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    const other = await activeCitizen(stack, makeCitizen());
    expect((await api('POST', `/api/claims/${claim.claimId}/withdraw`, { token: other.token })).status).toBe(404);
    const withdrawn = await api('POST', `/api/claims/${claim.claimId}/withdraw`, { token: citizen.token });
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', endedAt: expect.any(String) });
    expect((await api('POST', `/api/claims/${claim.claimId}/withdraw`, { token: citizen.token })).body.status).toBe('withdrawn');
    expect((await stack.client.workflow.getHandle(`claim-${claim.claimId}`).result()).status).toBe('withdrawn');
    expect((await api('POST', `/api/staff/claims/${claim.claimId}/decision`, { token: clerkA, body: { decision: 'accepted' } })).status).toBe(409);
  });

  it('a claim held for a PIN that is revoked is cancelled, its workflow ends and the holder is told (before: it waited for ever)', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const claim = await fileClaim(citizen);
    await waitFor('held', async () => ((await claimWorkflowStatus(claim.claimId)) === 'waiting_for_dispositivo' ? true : undefined));
    const revoked = await api('POST', `/api/contact-centre/credentials/${citizen.credentialId}/revoke`, {
      token: await issueStaffToken(stack.pool, 'op-revoke', 'operator'),
      body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } },
    });
    expect(revoked.status).toBe(200);
    expect((await stack.client.workflow.getHandle(`claim-${claim.claimId}`).result()).status).toBe('cancelled');
    const row = await stack.pool.query('SELECT status, reason FROM benefit_claims WHERE id = $1::uuid', [claim.claimId]);
    expect(row.rows[0]).toEqual({ status: 'cancelled', reason: 'credential_revoked' });
    const told = await waitFor('the cancellation mail', async () => (await stack.mails({ to: citizen.citizen.email })).find((m) => /Domande annullate/.test(m.subject ?? '')));
    expect(told.text).toContain(claim.protocol);
  });
});
