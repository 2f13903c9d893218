/**
 * Documents and counter issuance on the real servers (PostgreSQL, the Temporal dev server, the
 * SMTP/SMS sinks), through the HTTP API:
 * - citizen uploads for the conversion: every bad upload refused with its status and nothing
 *   stored (no row, no file), EICAR quarantined, a good upload stored outside any served
 *   directory and readable only by clerks, with headers that keep a browser from running it;
 * - the fax intake that opens a review case;
 * - counter issuance (MV35): the dispositivo PIN from the sealed envelope logs in with a
 *   dispositivo scope, and appears nowhere else (logs, tables, history, the rest of the answer);
 *   a bad identity document creates nothing;
 * - the PDFs these flows produce (conversion form, MV35, sealed envelope, second-half letter),
 *   read back with pdf.js and pdf-lib and rendered to test-artifacts/flows/.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStaffToken } from '../../services/staff/auth';
import { MV35_FIELDS } from '../../forms';
import { credentialWorkflowId } from '../../workflows/definitions';
import { makeCitizen, type CitizenRequest } from '../support/citizens';
import { requestAndCollect, waitForView, type Issued } from '../support/issuance';
import { pdfFields, pdfText, renderPng } from '../support/pdf';
import { startTestStack, type TestStack } from '../support/stack';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/flows');

/** The EICAR test string, assembled so the repository never holds it in one piece. */
const EICAR = ['X5O!P%@AP[4\\PZX', '54(P^)7CC)7}$EI', 'CAR-STANDARD-ANTIV', 'IRUS-TEST-FILE!$H+H*'].join('');

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF'), Buffer.alloc(300, 7), Buffer.from([0xff, 0xd9])]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(300, 3)]);

let stack: TestStack;
let clerk: string;
let supervisor: string;
let operator: string;
const clerkId = `clerk-${randomUUID().slice(0, 8)}`;

/** Every response body, to search for the counter PIN at the end. */
const responses: string[] = [];

let ipCounter = randomInt(2 ** 22);
const nextIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

interface Reply {
  status: number;
  headers: Headers;
  bytes: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
  body: any;
}

async function call(method: string, url: string, opts: { token?: string; json?: unknown; bytes?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'x-forwarded-for': nextIp(), ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: Uint8Array | string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.bytes) body = opts.bytes;
  const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const text = type.includes('json') ? bytes.toString('utf8') : '';
  if (text) responses.push(text);
  return { status: res.status, headers: res.headers, bytes, body: text ? JSON.parse(text) : undefined };
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

function uploadAs(token: string | undefined, bytes: Uint8Array, contentType: string | undefined, query: Record<string, string>, headers: Record<string, string> = {}) {
  return call('POST', `/api/conversion/documents?${q(query)}`, { token, bytes, headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers } });
}

/** Every file under the document store (quarantine included), relative paths. */
function storedFiles(): string[] {
  return (readdirSync(stack.documentsDir, { recursive: true }) as string[]).filter((f) => statSync(path.join(stack.documentsDir, f)).isFile()).sort();
}

async function counts(credentialId: string) {
  const { rows } = await stack.pool.query<{ docs: number; quarantined: number }>(
    `SELECT (SELECT count(*)::int FROM documents WHERE credential_id = $1::uuid) AS docs,
            (SELECT count(*)::int FROM quarantined_uploads WHERE credential_id = $1::uuid) AS quarantined`,
    [credentialId],
  );
  return { ...rows[0]!, files: storedFiles() };
}

/** A citizen with an active ordinary PIN and a logged-in session (request, letter, first access, login). */
async function ordinaryCitizen(): Promise<{ issued: Issued; pin: string; token: string }> {
  const issued = await requestAndCollect(stack, makeCitizen());
  const first = await call('POST', '/api/first-access', { json: { codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf } });
  expect(first.status).toBe(200);
  await waitForView(stack, issued.credentialId, (v) => v.state === 'active');
  const login = await call('POST', '/api/sessions', { json: { codiceFiscale: issued.citizen.codiceFiscale, pin: first.body.pin } });
  expect(login.status).toBe(201);
  expect(login.body.session.scope).toBe('ordinary');
  return { issued, pin: first.body.pin as string, token: login.body.token as string };
}

async function writePng(bytes: Uint8Array, name: string): Promise<void> {
  const png = await renderPng(bytes, path.join(ARTIFACTS, name));
  if (png === null) {
    console.warn(`pdftoppm not found: PNG of ${name} not written`);
    return;
  }
  expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
}

const expectError = (r: Reply, status: number, type: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.type).toBe(type);
  expect(r.body.error.message.it.length).toBeGreaterThan(5);
  expect(r.body.error.message.en.length).toBeGreaterThan(5);
};

let ordinary: Awaited<ReturnType<typeof ordinaryCitizen>>;

beforeAll(async () => {
  stack = await startTestStack({ policy: { simplifiedProcedure: true } });
  clerk = await issueStaffToken(stack.pool, clerkId, 'clerk');
  supervisor = await issueStaffToken(stack.pool, `sup-${randomUUID().slice(0, 8)}`, 'supervisor');
  operator = await issueStaffToken(stack.pool, `op-${randomUUID().slice(0, 8)}`, 'operator');
  ordinary = await ordinaryCitizen();
});
afterAll(async () => {
  await stack?.stop();
});

describe('citizen uploads for the conversion', () => {
  it('stores a good PDF under a generated name, outside any served directory, with size and SHA-256', async () => {
    const res = await uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'Richiesta firmata.pdf' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ documentId: expect.any(String), kind: 'signed_request', mediaType: 'application/pdf', sizeBytes: PDF.length });
    const { rows } = await stack.pool.query<{ credential_id: string; storage_name: string; display_name: string; sha256: Buffer; size_bytes: number; uploaded_by: string; case_id: string | null }>(
      'SELECT credential_id, storage_name, display_name, sha256, size_bytes, uploaded_by, case_id FROM documents WHERE id = $1::uuid',
      [res.body.documentId],
    );
    const row = rows[0]!;
    expect(row).toMatchObject({ credential_id: ordinary.issued.credentialId, display_name: 'Richiesta firmata.pdf', size_bytes: PDF.length, case_id: null });
    expect(row.uploaded_by).toBe(`citizen:${ordinary.issued.credentialId}`);
    expect(row.storage_name).toMatch(/^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    const file = path.join(stack.documentsDir, row.storage_name);
    expect(readFileSync(file).equals(PDF)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    const { createHash } = await import('node:crypto');
    expect(row.sha256.equals(createHash('sha256').update(PDF).digest())).toBe(true);
    // Outside the repository (where the static assets are) and not reachable by any URL but the staff route.
    expect(path.relative(ROOT, file).startsWith('..')).toBe(true);
    for (const url of [`/${row.storage_name}`, `/portal/${row.storage_name}`, `/documents/${row.storage_name}`, `/portal/assets/${row.storage_name}`]) {
      expect((await call('GET', url)).status, url).toBe(404);
    }
  });

  it('accepts a JPEG named in X-Filename (percent-encoded UTF-8) and a PNG', async () => {
    const jpeg = await uploadAs(ordinary.token, JPEG, 'image/jpeg', { kind: 'identity_document' }, { 'x-filename': encodeURIComponent('Carta d’identità.JPG') });
    expect(jpeg.status, JSON.stringify(jpeg.body)).toBe(201);
    expect(jpeg.body.mediaType).toBe('image/jpeg');
    const png = await uploadAs(ordinary.token, PNG, 'image/png', { kind: 'identity_document', filename: 'retro.png' });
    expect(png.status).toBe(201);
    const read = await call('GET', `/api/staff/documents/${jpeg.body.documentId}`, { token: clerk });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('image/jpeg');
    expect(read.headers.get('content-disposition')).toBe(`inline; filename="Carta d_identita.JPG"; filename*=UTF-8''Carta%20d%E2%80%99identit%C3%A0.JPG`);
    expect(read.bytes.equals(JPEG)).toBe(true);
  });

  describe('every bad upload is refused with a structured bilingual error and stores nothing', () => {
    const bad: [string, () => Promise<Reply>, number, string, string?][] = [
      ['over 10 MB', () => uploadAs(ordinary.token, Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024, 0x20)]), 'application/pdf', { kind: 'signed_request', filename: 'big.pdf' }), 413, 'PAYLOAD_TOO_LARGE', 'body'],
      ['an HTML page', () => uploadAs(ordinary.token, Buffer.from('<html><script>alert(1)</script></html>'), 'text/html', { kind: 'signed_request', filename: 'x.html' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'contentType'],
      ['HTML declared as a PDF', () => uploadAs(ordinary.token, Buffer.from('<html><script>alert(1)</script></html>'), 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'body'],
      ['a PNG named .pdf', () => uploadAs(ordinary.token, PNG, 'image/png', { kind: 'identity_document', filename: 'scan.pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'filename'],
      ['a PDF declared image/png', () => uploadAs(ordinary.token, PDF, 'image/png', { kind: 'identity_document', filename: 'scan.png' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'body'],
      ['a gzip-encoded body', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }, { 'content-encoding': 'gzip' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a name ../x.pdf', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: '../x.pdf' }), 422, 'UNPROCESSABLE', 'filename'],
      ['a name ..\\x.pdf', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: '..\\x.pdf' }), 422, 'UNPROCESSABLE', 'filename'],
      ['a name with NUL', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x\u0000.pdf' }), 422, 'UNPROCESSABLE', 'filename'],
      ['a name with a path in X-Filename', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request' }, { 'x-filename': '..%2F..%2Fetc%2Fx.pdf' }), 422, 'UNPROCESSABLE', 'filename'],
      ['no file name', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request' }), 400, 'VALIDATION', 'filename'],
      ['an unknown kind', () => uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'mv35', filename: 'x.pdf' }), 400, 'VALIDATION', 'kind'],
      ['an empty body', () => uploadAs(ordinary.token, Buffer.alloc(0), 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 400, 'VALIDATION', 'body'],
      ['no session', () => uploadAs(undefined, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 401, 'UNAUTHENTICATED'],
      ['a staff token', () => uploadAs(clerk, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 401, 'UNAUTHENTICATED'],
    ];
    it.each(bad)('%s → %i', async (_what, send, status, type, field) => {
      const before = await counts(ordinary.issued.credentialId);
      const res = await send();
      expectError(res, status, type);
      if (field) expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect(await counts(ordinary.issued.credentialId)).toEqual(before);
      expect(existsSync(path.join(stack.documentsDir, '..', 'x.pdf'))).toBe(false);
    });
  });

  it('quarantines a PDF carrying EICAR: 422 with a clear message, a quarantine row and file, no document', async () => {
    const before = await counts(ordinary.issued.credentialId);
    const infected = Buffer.concat([PDF.subarray(0, 30), Buffer.from(EICAR), PDF.subarray(30)]);
    const res = await uploadAs(ordinary.token, infected, 'application/pdf', { kind: 'identity_document', filename: 'documento.pdf' });
    expectError(res, 422, 'UNPROCESSABLE');
    expect(res.body.error.message.it).toContain('virus');
    expect(res.body.error.message.en).toContain('virus');
    expect(res.body.error.details).toEqual({ reason: 'QUARANTINED' });
    const after = await counts(ordinary.issued.credentialId);
    expect(after.docs).toBe(before.docs);
    expect(after.quarantined).toBe(before.quarantined + 1);
    const { rows } = await stack.pool.query<{ id: string; reason: string; storage_name: string; size_bytes: number; uploaded_by: string }>(
      'SELECT id, reason, storage_name, size_bytes, uploaded_by FROM quarantined_uploads WHERE credential_id = $1::uuid ORDER BY created_at DESC LIMIT 1',
      [ordinary.issued.credentialId],
    );
    expect(rows[0]).toMatchObject({ reason: 'malware:EICAR-Test-File', size_bytes: infected.length, uploaded_by: `citizen:${ordinary.issued.credentialId}` });
    expect(rows[0]!.storage_name).toBe(`quarantine/${rows[0]!.id}`);
    expect(after.files.filter((f) => !before.files.includes(f))).toEqual([path.join('quarantine', rows[0]!.id)]);
    expect(readFileSync(path.join(stack.documentsDir, rows[0]!.storage_name)).equals(infected)).toBe(true);
    const audit = await stack.pool.query(`SELECT 1 FROM audit_log WHERE subject = $1::text AND action = 'upload' AND decision = 'quarantined'`, [ordinary.issued.credentialId]);
    expect(audit.rowCount).toBe(1);
  });
});

describe('reading documents back (staff only)', () => {
  let documentId: string;
  beforeAll(async () => {
    const res = await uploadAs(ordinary.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'modulo "firmato".pdf' });
    expect(res.status).toBe(201);
    documentId = res.body.documentId;
  });

  it('serves a clerk (and a supervisor) the bytes with the stored type and sandboxing headers, and audits it', async () => {
    for (const token of [clerk, supervisor]) {
      const res = await call('GET', `/api/staff/documents/${documentId}`, { token });
      expect(res.status).toBe(200);
      expect(res.bytes.equals(PDF)).toBe(true);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="modulo _firmato_.pdf"; filename\*=UTF-8''modulo%20%22firmato%22.pdf$/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const { rows } = await stack.pool.query(`SELECT actor FROM audit_log WHERE action = 'document_read' AND detail->>'documentId' = $1::text ORDER BY id`, [documentId]);
    expect(rows.map((r: { actor: string }) => r.actor)[0]).toBe(`staff:${clerkId}`);
    expect(rows).toHaveLength(2);
  });

  it('refuses the citizen who uploaded it (403: a citizen session), another role (403), nobody (401); unknown ids are 404', async () => {
    expectError(await call('GET', `/api/staff/documents/${documentId}`, { token: ordinary.token }), 403, 'FORBIDDEN');
    expectError(await call('GET', `/api/staff/documents/${documentId}`, { token: operator }), 403, 'FORBIDDEN');
    expectError(await call('GET', `/api/staff/documents/${documentId}`), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `/api/staff/documents/${randomUUID()}`, { token: clerk }), 404, 'NOT_FOUND');
    expectError(await call('GET', '/api/staff/documents/..%2F..%2Fetc%2Fpasswd', { token: clerk }), 404, 'NOT_FOUND');
  });
});

describe('the conversion form and the session scope', () => {
  it('gives an ordinary citizen the request form prefilled with their data', async () => {
    const res = await call('GET', '/api/conversion/form', { token: ordinary.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="richiesta-conversione-pin-dispositivo.pdf"/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const c = ordinary.issued.citizen;
    const fields = await pdfFields(res.bytes);
    const [y, m, d] = c.birthDate.split('-');
    expect(fields).toMatchObject({
      cognome: c.surname,
      nome: c.name,
      codiceFiscale: c.codiceFiscale,
      dataNascita: `${d}/${m}/${y}`,
      luogoNascita: c.birthProvince === 'EE' ? 'Argentina (Stato estero / foreign country)' : 'Roma (RM)',
      residenza: `${c.residence.address}, ${c.residence.postalCode} ${c.residence.city}, Argentina`,
      documentoNumero: '',
      firma: '',
    });
    expect(fields.data).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    const text = (await pdfText(res.bytes)).replace(/\s+/g, ' ');
    expect(text).toContain('Richiesta di conversione del PIN ordinario in PIN dispositivo');
    expect(text).toContain(`CONV-${ordinary.issued.credentialId}`);
    await writePng(res.bytes, 'conversion-request-from-portal');
  });

  it('refuses a first-half (simplified) session: 403, nothing stored', async () => {
    const pending = await requestAndCollect(stack, makeCitizen());
    const login = await call('POST', '/api/sessions', { json: { codiceFiscale: pending.citizen.codiceFiscale, pin: pending.firstHalf } });
    expect(login.status).toBe(201);
    expect(login.body.session.scope).toBe('simplified');
    expectError(await call('GET', '/api/conversion/form', { token: login.body.token }), 403, 'FORBIDDEN');
    expectError(await uploadAs(login.body.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 403, 'FORBIDDEN');
    expect((await counts(pending.credentialId)).docs).toBe(0);
    // The posted letter of this flow, read back as the citizen reads it.
    const { rows } = await stack.pool.query<{ file_path: string }>('SELECT file_path FROM letters WHERE credential_id = $1::uuid AND seq = 1', [pending.credentialId]);
    const letter = readFileSync(rows[0]!.file_path);
    const text = (await pdfText(letter)).replace(/\s+/g, ' ');
    expect(text).toContain(`${pending.citizen.name} ${pending.citizen.surname}`);
    expect(text).toContain(pending.citizen.residence.city);
    expect(text.replace(/\s/g, '')).toContain(pending.secondHalf);
    expect(text.replace(/\s/g, '')).not.toContain(pending.firstHalf);
    await writePng(letter, 'second-half-letter-from-mailroom');
  });

  it('answers 401 without a session', async () => {
    expectError(await call('GET', '/api/conversion/form'), 401, 'UNAUTHENTICATED');
  });
});

/** The counter body for a citizen: their data, the office and a foreign passport (eligible under the 2021 policy). */
function counterBody(c: CitizenRequest, document: Record<string, unknown> = {}) {
  const { channel: _c, preferredPhone: _p, preferredTimeSlot: _t, hasItalianIdentityDocument: _h, ...data } = c;
  return {
    ...data,
    office: 'Sede INPS di Roma Eur', // printed as "sede INPS di Roma Eur", never twice
    identityDocument: { type: 'passaporto_estero', number: 'AAB123456', issuer: 'República Argentina', issuingCountry: 'AR', issuedOn: '2021-04-01', expiresOn: '2031-03-31', ...document },
  };
}

const extractPin = (envelopeText: string): string => {
  const m = /Dispositivo PIN\s*\n((?:[A-Z0-9]\s+){7}[A-Z0-9])\s*\n\s*1\s+2/.exec(envelopeText);
  if (!m) throw new Error('no PIN in the envelope');
  return m[1]!.replace(/\s/g, '');
};

describe('counter issuance (MV35)', () => {
  const citizen = makeCitizen();
  let issued: Reply;
  let pin: string;
  let envelope: Buffer;

  it('issues an active dispositivo PIN in one go and returns the sealed envelope once', async () => {
    issued = await call('POST', '/api/counter/issuances', { token: clerk, json: counterBody(citizen) });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const b = issued.body;
    expect(b).toMatchObject({ credentialId: expect.any(String), requestId: expect.any(String), mv35DocumentId: expect.any(String), pinType: 'dispositivo' });
    envelope = Buffer.from(b.envelopePdfBase64, 'base64');
    pin = extractPin(await pdfText(envelope));
    expect(pin).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    // Six calendar months (not an intermediary).
    const months = (new Date(b.pinExpiresAt).getTime() - Date.now()) / (30.44 * 86_400_000);
    expect(months).toBeGreaterThan(5.9);
    expect(months).toBeLessThan(6.1);

    const cred = await stack.pool.query(
      'SELECT state, pin_type, channel, issuance_mode, workflow_started_at, codice_fiscale FROM credentials WHERE id = $1::uuid',
      [b.credentialId],
    );
    expect(cred.rows[0]).toMatchObject({ state: 'active', pin_type: 'dispositivo', channel: 'counter', issuance_mode: 'counter', codice_fiscale: citizen.codiceFiscale });
    expect(cred.rows[0].workflow_started_at).not.toBeNull();
    const req = await stack.pool.query('SELECT channel, operator_id FROM pin_requests WHERE id = $1::uuid', [b.requestId]);
    expect(req.rows[0]).toEqual({ channel: 'counter', operator_id: clerkId });
    const secrets = await stack.pool.query<{ version: number; kind: string; status: string; pin_hash: string; activated_at: Date | null; first_half_hash: Buffer | null }>(
      'SELECT version, kind, status, pin_hash, activated_at, first_half_hash FROM pin_secrets WHERE credential_id = $1::uuid',
      [b.credentialId],
    );
    expect(secrets.rows).toHaveLength(1);
    expect(secrets.rows[0]).toMatchObject({ version: 1, kind: 'personal', status: 'active', first_half_hash: null });
    expect(secrets.rows[0]!.pin_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(secrets.rows[0]!.activated_at).not.toBeNull();
    const idv = await stack.pool.query('SELECT method, document_type, issuing_country, document_number, verified_by, office, mv35_document_id, expires_on FROM identity_verifications WHERE credential_id = $1::uuid', [
      b.credentialId,
    ]);
    expect(idv.rows[0]).toMatchObject({ method: 'counter', document_type: 'passaporto_estero', issuing_country: 'AR', document_number: 'AAB123456', verified_by: `staff:${clerkId}`, office: 'Roma Eur', mv35_document_id: b.mv35DocumentId });
    const doc = await stack.pool.query('SELECT kind, media_type, credential_id FROM documents WHERE id = $1::uuid', [b.mv35DocumentId]);
    expect(doc.rows[0]).toEqual({ kind: 'mv35', media_type: 'application/pdf', credential_id: b.credentialId });
    const events = await stack.pool.query(`SELECT actor FROM credential_events WHERE credential_id = $1::uuid AND type = 'counter_issued'`, [b.credentialId]);
    expect(events.rows).toEqual([{ actor: `staff:${clerkId}` }]);
    const audits = await stack.pool.query(`SELECT decision FROM audit_log WHERE subject = $1::text AND action = 'counter_issuance'`, [b.credentialId]);
    expect(audits.rows).toEqual([{ decision: 'issued' }]);
  });

  it('runs the credential workflow already active and dispositivo', async () => {
    const view = await waitForView(stack, issued.body.credentialId, (v) => v.state === 'active');
    expect(view).toMatchObject({ pinType: 'dispositivo', pinVersion: 1, pinExpiresAt: issued.body.pinExpiresAt, letters: [] });
  });

  it('lets the citizen log in with the PIN from the envelope, with a dispositivo scope', async () => {
    const login = await call('POST', '/api/sessions', { json: { codiceFiscale: citizen.codiceFiscale, pin } });
    expect(login.status, JSON.stringify(login.body)).toBe(201);
    expect(login.body.session).toMatchObject({ credentialId: issued.body.credentialId, pinType: 'dispositivo', scope: 'dispositivo' });
    // A dispositivo PIN needs no conversion: form, upload and fax all say so (409), storing nothing.
    expectError(await call('GET', '/api/conversion/form', { token: login.body.token }), 409, 'CONFLICT');
    expectError(await uploadAs(login.body.token, PDF, 'application/pdf', { kind: 'signed_request', filename: 'x.pdf' }), 409, 'CONFLICT');
    expectError(
      await call('POST', `/api/staff/fax-intake?${q({ codiceFiscale: citizen.codiceFiscale, filename: 'fax.pdf' })}`, { token: clerk, bytes: PDF, headers: { 'content-type': 'application/pdf' } }),
      409,
      'CONFLICT',
    );
    expect((await counts(issued.body.credentialId)).docs).toBe(1); // the MV35 only
  });

  it('re-downloads the MV35 (not the envelope), prefilled and fillable, for clerks only', async () => {
    const res = await call('GET', `/api/counter/issuances/${issued.body.credentialId}/mv35`, { token: clerk });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.bytes.equals(envelope)).toBe(false);
    const fields = await pdfFields(res.bytes);
    expect(Object.keys(fields).sort()).toEqual([...MV35_FIELDS].sort());
    const [y, m, d] = citizen.birthDate.split('-');
    expect(fields).toMatchObject({
      cognome: citizen.surname,
      nome: citizen.name,
      codiceFiscale: citizen.codiceFiscale,
      sesso: citizen.sex,
      dataNascita: `${d}/${m}/${y}`,
      luogoNascita: citizen.birthProvince === 'EE' ? 'Argentina (Stato estero / foreign country)' : 'Roma (RM)',
      residenza: `${citizen.residence.address}, ${citizen.residence.postalCode} ${citizen.residence.city}, Argentina`,
      email: citizen.email,
      cellulare: citizen.mobile,
      documentoTipo: 'Passaporto estero',
      documentoNumero: 'AAB123456',
      // The issuer names its state already: not repeated ("Stadt Berlin" would read "Stadt Berlin (Germania)").
      documentoRilasciatoDa: 'República Argentina',
      documentoDataRilascio: '01/04/2021',
      documentoScadenza: '31/03/2031',
      sede: 'Roma Eur',
      // An API token without an account: the clerk's id (an account's display name comes first otherwise).
      operatore: clerkId,
      firma: '',
    });
    expect(fields.data).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    const text = await pdfText(res.bytes);
    expect(text.replace(/\s+/g, ' ')).toContain('Modulo MV35');
    expect(text.replace(/\s/g, '')).not.toContain(pin);
    await writePng(res.bytes, 'mv35-from-counter');

    expectError(await call('GET', `/api/counter/issuances/${issued.body.credentialId}/mv35`, { token: operator }), 403, 'FORBIDDEN');
    expectError(await call('GET', `/api/counter/issuances/${issued.body.credentialId}/mv35`), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `/api/counter/issuances/${ordinary.issued.credentialId}/mv35`, { token: clerk }), 404, 'NOT_FOUND');
  });

  it('prints holder, codice fiscale, office and the PIN in the sealed envelope', async () => {
    const text = (await pdfText(envelope)).replace(/\s+/g, ' ');
    expect(text).toContain(`${citizen.name} ${citizen.surname}`);
    expect(text).toContain(citizen.codiceFiscale);
    expect(text).toContain('sede INPS di Roma Eur');
    expect(text).not.toMatch(/di Sede INPS/i);
    expect(text).toContain(`MV35-${issued.body.requestId}`);
    expect(text).toContain('PIN dispositivo');
    await writePng(envelope, 'sealed-envelope-from-counter');
  });

  it('refuses a second counter issuance for the same codice fiscale (409), creating nothing', async () => {
    const before = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expectError(await call('POST', '/api/counter/issuances', { token: supervisor, json: counterBody(citizen) }), 409, 'CONFLICT');
    const after = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('keeps the PIN out of the logs, every table, the workflow history and every other answer', async () => {
    expect(stack.logLines.join('\n')).not.toContain(pin);
    for (const table of ['credentials', 'pin_requests', 'pin_secrets', 'identity_verifications', 'documents', 'credential_events', 'audit_log', 'outbox', 'operational_alerts', 'sessions']) {
      const { rows } = await stack.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      expect(rows.some((r) => r.row.includes(pin)), table).toBe(false);
    }
    const history = await stack.historyText(credentialWorkflowId(issued.body.credentialId));
    expect(history).not.toContain(pin);
    const { envelopePdfBase64: _envelope, ...rest } = issued.body;
    expect(JSON.stringify(rest)).not.toContain(pin);
    const others = responses.filter((r) => !r.includes('envelopePdfBase64'));
    expect(others.some((r) => r.includes(pin))).toBe(false);
    // The stored MV35 file does not hold it either.
    for (const f of storedFiles()) expect(readFileSync(path.join(stack.documentsDir, f)).includes(pin)).toBe(false);
  });

  it.each([
    ['an expired document', { expiresOn: '2024-01-31' }, 'identityDocument.expiresOn'],
    ['an implausible number', { type: 'carta_identita', number: '12-34' }, 'identityDocument.number'],
    ['a validity over 11 years', { issuedOn: '2015-01-01', expiresOn: '2030-01-01' }, 'identityDocument.expiresOn'],
    ['an issue date in the future', { issuedOn: '2999-01-01' }, 'identityDocument.issuedOn'],
  ])('refuses %s with 400 naming the field, and creates nothing', async (_what, document, field) => {
    const c = makeCitizen();
    const filesBefore = storedFiles();
    const res = await call('POST', '/api/counter/issuances', { token: clerk, json: counterBody(c, document) });
    expectError(res, 400, 'VALIDATION');
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    const { rows } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [c.codiceFiscale]);
    expect(rows).toHaveLength(0);
    expect(storedFiles()).toEqual(filesBefore);
  });

  it('refuses other roles and anonymous callers', async () => {
    expectError(await call('POST', '/api/counter/issuances', { token: operator, json: counterBody(makeCitizen()) }), 403, 'FORBIDDEN');
    expectError(await call('POST', '/api/counter/issuances', { json: counterBody(makeCitizen()) }), 401, 'UNAUTHENTICATED');
  });
});

describe('fax intake', () => {
  const fax = (token: string | undefined, codiceFiscale: string, bytes: Uint8Array, contentType = 'application/pdf', filename = 'fax.pdf') =>
    call('POST', `/api/staff/fax-intake?${q({ codiceFiscale, filename })}`, { token, bytes, headers: { 'content-type': contentType } });

  it('refuses an unknown codice fiscale (404), a bad file (415), other roles (403), storing nothing', async () => {
    const before = await counts(ordinary.issued.credentialId);
    expectError(await fax(clerk, makeCitizen().codiceFiscale, PDF), 404, 'NOT_FOUND');
    expectError(await fax(clerk, 'NOTACODE', PDF), 400, 'VALIDATION');
    expectError(await fax(clerk, ordinary.issued.citizen.codiceFiscale, PNG, 'application/pdf'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await fax(operator, ordinary.issued.citizen.codiceFiscale, PDF), 403, 'FORBIDDEN');
    expectError(await fax(ordinary.token, ordinary.issued.citizen.codiceFiscale, PDF), 403, 'FORBIDDEN');
    expect(await counts(ordinary.issued.credentialId)).toEqual(before);
  });

  it('stores the fax and opens a review case from it (202)', async () => {
    const res = await fax(clerk, ordinary.issued.citizen.codiceFiscale.toLowerCase(), PDF);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ caseId: expect.any(String), documentId: expect.any(String) });
    const doc = await stack.pool.query('SELECT kind, uploaded_by, case_id, credential_id FROM documents WHERE id = $1::uuid', [res.body.documentId]);
    expect(doc.rows[0]).toEqual({ kind: 'fax', uploaded_by: `staff:${clerkId}`, case_id: res.body.caseId, credential_id: ordinary.issued.credentialId });
    const kase = await stack.pool.query('SELECT source, created_by FROM review_cases WHERE id = $1::uuid', [res.body.caseId]);
    expect(kase.rows[0]).toEqual({ source: 'fax', created_by: `staff:${clerkId}` });

    // A second fax while the case is open: 409, and the fax does not linger unattached.
    const before = await counts(ordinary.issued.credentialId);
    const again = await fax(supervisor, ordinary.issued.citizen.codiceFiscale, PDF);
    expectError(again, 409, 'CONFLICT');
    expect(await counts(ordinary.issued.credentialId)).toEqual(before);
  });
});

describe('a bound on uploads not sent', () => {
  it('refuses a citizen the 21st upload of a day not part of a request (quarantined ones count), storing nothing', async () => {
    const pending = async () =>
      (
        await stack.pool.query<{ n: number }>(
          `SELECT (SELECT count(*)::int FROM documents WHERE credential_id = $1::uuid AND case_id IS NULL)
                + (SELECT count(*)::int FROM quarantined_uploads WHERE credential_id = $1::uuid) AS n`,
          [ordinary.issued.credentialId],
        )
      ).rows[0]!.n;
    for (let n = await pending(); n < 20; n++) {
      expect((await uploadAs(ordinary.token, PNG, 'image/png', { kind: 'identity_document', filename: `pagina-${n}.png` })).status).toBe(201);
    }
    const before = await counts(ordinary.issued.credentialId);
    const res = await uploadAs(ordinary.token, PNG, 'image/png', { kind: 'identity_document', filename: 'troppi.png' });
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers.get('retry-after')).toBe('3600');
    expect(await counts(ordinary.issued.credentialId)).toEqual(before);
  });
});
