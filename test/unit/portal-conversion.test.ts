/**
 * The pure parts of the portal's conversion and claim pages: the multipart reader (limits, the
 * CSRF gate before the first file, names kept raw for the checks), the mapping of the API's
 * upload refusals to the form's fields, the citizen's view of a case, and the pages' markup.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  caseStage,
  claimPage,
  claimsPage,
  conversionPage,
  missingFileIssue,
  uploadIssue,
  type ConversionPageInput,
} from '../../portal/conversion-claims-pages';
import { MultipartError, isMultipartFormData, maxMultipartBytes, readMultipart, type MultipartLimits } from '../../portal/multipart';
import type { PageContext } from '../../portal/views';
import { DomainError } from '../../domain/errors';
import { checkUpload, uploadTooLargeError } from '../../domain/uploads';

const LIMITS: MultipartLimits = { files: 2, fileBytes: 1024, fields: 2, fieldBytes: 64 };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** A request-like stream of what `fetch` would send for this form. */
async function requestOf(form: FormData, headers: Record<string, string> = {}) {
  const r = new Response(form);
  const body = Buffer.from(await r.arrayBuffer());
  return Object.assign(Readable.from([body]), {
    headers: { 'content-type': r.headers.get('content-type') ?? '', 'content-length': String(body.length), ...headers },
  });
}

/** A hand-written multipart body, for what `FormData` will not produce. */
function rawRequest(parts: string[], boundary = 'XyZ') {
  const body = Buffer.from(`${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`, 'utf8');
  return Object.assign(Readable.from([body]), { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
}

const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof MultipartError ? e.reason : String(e)),
  );

describe('readMultipart', () => {
  it('reads the fields and the files, with their declared types and names', async () => {
    const form = new FormData();
    form.append('_csrf', 'token');
    form.append('signedRequest', new File([PNG], 'scan.png', { type: 'image/png' }));
    form.append('identityDocument', new File(['%PDF-1.7'], 'id.pdf', { type: 'application/pdf' }));
    const got = await readMultipart(await requestOf(form), LIMITS, (fields) => fields._csrf === 'token');
    expect(got.fields).toEqual({ _csrf: 'token' });
    expect(got.files.map((f) => [f.field, f.filename, f.mimeType, f.bytes.length, f.truncated])).toEqual([
      ['signedRequest', 'scan.png', 'image/png', PNG.length, false],
      ['identityDocument', 'id.pdf', 'application/pdf', 8, false],
    ]);
  });

  it('asks the gate once, at the first file, with only the fields sent before it', async () => {
    const seen: Record<string, string>[] = [];
    const after = new FormData();
    after.append('signedRequest', new File([PNG], 'scan.png', { type: 'image/png' }));
    after.append('_csrf', 'token');
    expect(await reason(readMultipart(await requestOf(after), LIMITS, (f) => (seen.push({ ...f }), f._csrf === 'token')))).toBe('refused');
    expect(seen).toEqual([{}]);

    const wrong = new FormData();
    wrong.append('_csrf', 'other');
    wrong.append('signedRequest', new File([PNG], 'scan.png', { type: 'image/png' }));
    expect(await reason(readMultipart(await requestOf(wrong), LIMITS, (f) => f._csrf === 'token'))).toBe('refused');
  });

  it('keeps one byte over the limit and marks an oversize file truncated', async () => {
    const form = new FormData();
    form.append('signedRequest', new File([Buffer.alloc(5000, 7)], 'big.png', { type: 'image/png' }));
    const got = await readMultipart(await requestOf(form), LIMITS);
    expect(got.files[0]).toMatchObject({ truncated: true });
    expect(got.files[0]!.bytes.length).toBe(LIMITS.fileBytes + 1);
  });

  it('refuses a body declared longer than the limits allow, unread', async () => {
    const form = new FormData();
    form.append('_csrf', 'token');
    const req = await requestOf(form, { 'content-length': String(maxMultipartBytes(LIMITS) + 1) });
    expect(await reason(readMultipart(req, LIMITS))).toBe('too_large');
  });

  it('refuses more files or fields than allowed, a long field, a non-multipart body and a broken one', async () => {
    const files = new FormData();
    for (const n of ['a', 'b', 'c']) files.append(n, new File([PNG], `${n}.png`, { type: 'image/png' }));
    expect(await reason(readMultipart(await requestOf(files), LIMITS))).toBe('too_many_parts');

    const fields = new FormData();
    for (const n of ['a', 'b', 'c']) fields.append(n, 'x');
    expect(await reason(readMultipart(await requestOf(fields), LIMITS))).toBe('too_many_parts');

    const long = new FormData();
    long.append('_csrf', 'x'.repeat(LIMITS.fieldBytes + 1));
    expect(await reason(readMultipart(await requestOf(long), LIMITS))).toBe('field_too_long');

    const urlencoded = Object.assign(Readable.from([Buffer.from('a=b')]), { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(await reason(readMultipart(urlencoded, LIMITS))).toBe('not_multipart');
    const noBoundary = Object.assign(Readable.from([Buffer.from('x')]), { headers: { 'content-type': 'multipart/form-data' } });
    expect(await reason(readMultipart(noBoundary, LIMITS))).toBe('malformed');
  });

  it('passes a file name with a path, as sent, and reads UTF-8 names', async () => {
    const got = await readMultipart(
      rawRequest([
        'Content-Disposition: form-data; name="signedRequest"; filename="../../etc/modulo.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7',
        'Content-Disposition: form-data; name="identityDocument"; filename="carta d’identità.png"\r\nContent-Type: image/png\r\n\r\nPNG',
      ]),
      LIMITS,
    );
    expect(got.files.map((f) => f.filename)).toEqual(['../../etc/modulo.pdf', 'carta d’identità.png']);
  });

  it('tells multipart Content-Types apart', () => {
    expect(isMultipartFormData('multipart/form-data; boundary=x')).toBe(true);
    expect(isMultipartFormData('Multipart/Form-Data;boundary=x')).toBe(true);
    expect(isMultipartFormData('application/x-www-form-urlencoded')).toBe(false);
    expect(isMultipartFormData(undefined)).toBe(false);
  });
});

/** The refusal `checkUpload` throws for this upload. */
function refusal(bytes: Buffer, contentType: string, filename: string): DomainError {
  try {
    checkUpload({ bytes, contentType, filename });
  } catch (err) {
    if (err instanceof DomainError) return err;
  }
  throw new Error('not refused');
}

describe('uploadIssue', () => {
  it('puts the general and the specific message of a wrong type on the field', () => {
    const issue = uploadIssue('signedRequest', refusal(Buffer.from('hello'), 'application/pdf', 'modulo.pdf'));
    expect(issue).toMatchObject({ field: 'signedRequest', code: 'content_not_recognised' });
    expect(issue.message.it).toBe('Tipo di file non ammesso. Sono ammessi solo file PDF, JPEG o PNG (estensione .pdf, .jpg, .jpeg o .png). Il contenuto del file non è un PDF, un JPEG o un PNG.');
    expect(issue.message.en).toMatch(/^File type not accepted\..*not a PDF, JPEG or PNG\.$/);
  });

  it('does not name the Content-Type header, nor repeat the size limit', () => {
    const header = uploadIssue('identityDocument', refusal(PNG, 'text/plain', 'a.png'));
    expect(header.message.it).not.toContain('Content-Type');
    expect(uploadIssue('identityDocument', uploadTooLargeError()).message.en).toBe('The file is larger than the 10 MB limit.');
  });

  it('explains an unsafe name and an empty file', () => {
    expect(uploadIssue('signedRequest', refusal(PNG, 'image/png', '../x.png')).message.it).toMatch(/^Nome del file non ammesso.*Rinomini il file/);
    expect(uploadIssue('signedRequest', refusal(Buffer.alloc(0), 'image/png', 'x.png')).message).toEqual({ it: 'Il file è vuoto.', en: 'The file is empty.' });
    expect(missingFileIssue('identityDocument')).toMatchObject({ field: 'identityDocument', code: 'required' });
  });
});

describe('caseStage', () => {
  it('shows every state before a decision as "in review"', () => {
    expect(['open', 'claimed', 'awaiting_second_review'].map(caseStage)).toEqual(['in_review', 'in_review', 'in_review']);
    expect(caseStage('approved')).toBe('approved');
    expect(caseStage('rejected')).toBe('rejected');
  });
});

const ctx = (lang: 'it' | 'en'): PageContext => ({ lang, base: '/portal', selfPath: '/conversion' });
const CSRF = 'c'.repeat(43);

describe('conversion page', () => {
  const ordinary: ConversionPageInput = { scope: 'ordinary', showForm: true, issues: [], csrf: CSRF };

  it('puts the CSRF field before the file inputs of a multipart form', () => {
    const body = conversionPage(ctx('it'), ordinary);
    expect(body).toContain('enctype="multipart/form-data"');
    const csrfAt = body.indexOf('name="_csrf"');
    expect(csrfAt).toBeGreaterThan(0);
    expect(csrfAt).toBeLessThan(body.indexOf('type="file"'));
    expect(body).toContain('href="/portal/conversion/form"');
    expect(body).not.toContain('<script');
  });

  it('shows a rejection reason as text, and no form when blocked', () => {
    const body = conversionPage(ctx('en'), {
      ...ordinary,
      showForm: false,
      current: { status: 'rejected', createdAt: '2025-06-01T10:00:00Z', decidedAt: '2025-06-02T10:00:00Z', reason: '<img src=x onerror=alert(1)>' },
      blocked: { tone: 'info', title: { it: 'x', en: 'Blocked' }, text: { it: 'x', en: 'No form.' } },
    });
    expect(body).toContain('data-status="rejected"');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(body).not.toContain('<img');
    expect(body).not.toContain('id="upload-form"');
    expect(body).toContain('No form.');
  });

  it('links each issue from the summary to its file field', () => {
    const body = conversionPage(ctx('it'), { ...ordinary, issues: [missingFileIssue('identityDocument')] });
    expect(body).toContain('<title>Errore: ');
    expect(body).toContain('<a href="#f-identityDocument">Documento di identità</a>: Scegli il file del documento di identità (campo obbligatorio).');
    expect(body).toMatch(/id="f-identityDocument"[^>]*aria-invalid="true"/);
  });
});

describe('claim pages', () => {
  it('lists the types with how each is processed, and the claims with their status', () => {
    const body = claimsPage(ctx('en'), {
      scope: 'ordinary',
      types: [{ type: 'covid-bonus-babysitting', name: { it: 'Bonus', en: 'Baby-sitting bonus' }, processing: 'after_dispositivo' }],
      claims: [{ claimId: '00000000-0000-4000-8000-000000000001', protocol: 'INPS.2025.00000001', type: 'covid-bonus-babysitting', status: 'waiting_for_dispositivo', receivedAt: '2025-06-01T10:00:00Z' }],
      issues: [],
      csrf: CSRF,
      idempotencyKey: 'k'.repeat(36),
    });
    expect(body).toContain('Baby-sitting bonus – Processed once your PIN is dispositivo');
    expect(body).toContain('name="idempotencyKey" value="kkkk');
    expect(body).toContain('href="/portal/claims/00000000-0000-4000-8000-000000000001"');
    expect(body).toContain('Waiting for the dispositivo PIN');
    expect(body).toContain('1 June 2025 at 12:00');
  });

  it('with an ordinary PIN and no claim open to the profile, says only that there is none (no "you can submit now")', () => {
    const body = claimsPage(ctx('it'), { scope: 'ordinary', types: [], claims: [], issues: [], csrf: CSRF, idempotencyKey: 'k'.repeat(36) });
    expect(body).toContain('id="no-claim-types"');
    expect(body).not.toContain('id="ordinary-note"');
    expect(body).not.toContain('Puoi presentare la domanda già ora');
  });

  it('shows the protocol number and the received time in Italian time', () => {
    const body = claimPage(
      ctx('it'),
      { claimId: '00000000-0000-4000-8000-000000000001', protocol: 'INPS.2025.00000042', type: 'covid-bonus-babysitting', status: 'waiting_for_dispositivo', receivedAt: '2025-01-15T08:30:00Z' },
      { justFiled: true, csrf: 'test-csrf' },
    );
    expect(body).toContain('<span class="portal-code" id="protocol">INPS.2025.00000042</span>');
    expect(body).toContain('15 gennaio 2025');
    expect(body).toContain('09:30');
    expect(body).toContain('Domanda ricevuta');
    expect(body).toContain('href="/portal/claims/00000000-0000-4000-8000-000000000001/receipt"');
    expect(body).toContain('Scarica la ricevuta (PDF)');
    expect(claimPage(ctx('en'), { claimId: '00000000-0000-4000-8000-000000000001', protocol: 'INPS.2025.00000042', type: 'covid-bonus-babysitting', status: 'released', receivedAt: '2025-01-15T08:30:00Z' }, { justFiled: false, csrf: 'test-csrf' })).toContain(
      'Download the receipt (PDF)',
    );
  });
});
