/**
 * The upload checks of api/uploads.ts, one bad case at a time, and the counter request's
 * identity-document and data checks (domain/identity-document.ts, services/counter/counter.ts).
 */
import { officeName } from '../../domain/offices';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentDisposition } from '../../web/documents';
import { parseCounterIssuance } from '../../services/counter/counter';
import { EXAMPLE_COUNTER_ISSUANCE, counterIssuanceBodySchema } from '../../services/schemas/documents';
import { checkIdentityDocument, issuerText } from '../../domain/identity-document';
import { DomainError, statusOf } from '../../domain/errors';
import { MAX_UPLOAD_BYTES, checkFilename, checkUpload, declaredMediaType, findMalware, sniffMediaType, type RawUpload } from '../../domain/uploads';

/** The EICAR test string, assembled here so the repository never holds it in one piece. */
export const EICAR = ['X5O!P%@AP[4\\PZX', '54(P^)7CC)7}$EI', 'CAR-STANDARD-ANTIV', 'IRUS-TEST-FILE!$H+H*'].join('');

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200, 0x20), Buffer.from('\n%%EOF\n')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 1)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 2)]);

const upload = (over: Partial<RawUpload> = {}): RawUpload => ({ bytes: PDF, contentType: 'application/pdf', filename: 'modulo.pdf', ...over });

/** The refusal `fn` throws: HTTP status, error type and the first field issue. */
function refusal(fn: () => unknown): { status: number; type: string; field?: string; code?: string; message: { it: string; en: string } } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    return { status: statusOf[e.type], type: e.type, field: e.fields[0]?.field, code: e.fields[0]?.code, message: e.userMessage };
  }
  throw new Error('expected a refusal');
}

describe('upload checks: accepted files', () => {
  it('accepts a PDF, a JPEG (.jpg and .jpeg) and a PNG whose type, extension and content agree', () => {
    const cases: [Buffer, string, string][] = [
      [PDF, 'application/pdf', 'modulo firmato.PDF'],
      [JPEG, 'image/jpeg', 'documento.jpg'],
      [JPEG, 'image/jpeg; charset=binary', 'Carta identità.jpeg'],
      [PNG, 'IMAGE/PNG', 'scansione.png'],
    ];
    for (const [bytes, contentType, filename] of cases) {
      const checked = checkUpload({ bytes, contentType, filename });
      expect(checked.verdict).toBe('accepted');
      if (checked.verdict !== 'accepted') continue;
      expect(checked.mediaType).toBe(declaredMediaType(contentType));
      expect(checked.displayName).toBe(filename.normalize('NFC'));
      expect(checked.sizeBytes).toBe(bytes.length);
      expect(checked.sha256.equals(createHash('sha256').update(bytes).digest())).toBe(true);
    }
  });

  it('accepts exactly 10 MB', () => {
    const bytes = Buffer.concat([PDF, Buffer.alloc(MAX_UPLOAD_BYTES - PDF.length, 0x20)]);
    expect(checkUpload(upload({ bytes })).verdict).toBe('accepted');
  });
});

describe('upload checks: refusals', () => {
  it('413 over 10 MB', () => {
    const r = refusal(() => checkUpload(upload({ bytes: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0x25) })));
    expect(r).toMatchObject({ status: 413, type: 'PAYLOAD_TOO_LARGE', field: 'body', code: 'too_large' });
    expect(r.message.it).toContain('10 MB');
    expect(r.message.en).toContain('10 MB');
  });

  it('400 for an empty body', () => {
    expect(refusal(() => checkUpload(upload({ bytes: Buffer.alloc(0) })))).toMatchObject({ status: 400, field: 'body', code: 'empty' });
  });

  it('415 for a type that is not allowed (declared), with the allowed types in both languages', () => {
    const r = refusal(() => checkUpload(upload({ contentType: 'text/html', filename: 'x.pdf' })));
    expect(r).toMatchObject({ status: 415, type: 'UNSUPPORTED_MEDIA_TYPE', field: 'contentType', code: 'type_not_allowed' });
    expect(r.message.it).toContain('PDF, JPEG o PNG');
    expect(r.message.en).toContain('PDF, JPEG or PNG');
    expect(refusal(() => checkUpload(upload({ contentType: undefined })))).toMatchObject({ status: 415, field: 'contentType' });
    expect(refusal(() => checkUpload(upload({ contentType: 'image/gif', bytes: Buffer.from('GIF89a....'), filename: 'x.gif' })))).toMatchObject({ status: 415 });
  });

  it('415 for an extension that is not allowed, or none', () => {
    expect(refusal(() => checkUpload(upload({ filename: 'modulo.exe' })))).toMatchObject({ status: 415, field: 'filename', code: 'extension_not_allowed' });
    expect(refusal(() => checkUpload(upload({ filename: 'modulo' })))).toMatchObject({ status: 415, field: 'filename', code: 'extension_not_allowed' });
    expect(refusal(() => checkUpload(upload({ filename: 'modulo.pdf.html' })))).toMatchObject({ status: 415, field: 'filename' });
  });

  it('415 when the content is not one of the types, whatever the name and header say', () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    expect(refusal(() => checkUpload(upload({ bytes: html })))).toMatchObject({ status: 415, field: 'body', code: 'content_not_recognised' });
    // The magic must be at the very start.
    expect(refusal(() => checkUpload(upload({ bytes: Buffer.concat([Buffer.from(' '), PDF]) })))).toMatchObject({ status: 415, code: 'content_not_recognised' });
  });

  it('415 when content and declared type disagree (a PNG sent as a PDF)', () => {
    expect(refusal(() => checkUpload(upload({ bytes: PNG, contentType: 'application/pdf', filename: 'x.pdf' })))).toMatchObject({
      status: 415,
      field: 'body',
      code: 'content_type_mismatch',
    });
  });

  it('415 when the extension disagrees with content and type (a real PDF named .png)', () => {
    expect(refusal(() => checkUpload(upload({ filename: 'modulo.png' })))).toMatchObject({ status: 415, field: 'filename', code: 'extension_mismatch' });
    expect(refusal(() => checkUpload(upload({ bytes: JPEG, contentType: 'image/jpeg', filename: 'foto.png' })))).toMatchObject({ status: 415, code: 'extension_mismatch' });
  });

  it('quarantines a file carrying the EICAR test string anywhere, whatever its type or name', () => {
    const inPdf = Buffer.concat([PDF.subarray(0, 20), Buffer.from(EICAR), PDF.subarray(20)]);
    for (const raw of [upload({ bytes: inPdf }), upload({ bytes: Buffer.from(EICAR), contentType: 'text/plain', filename: '../eicar.com' })]) {
      const checked = checkUpload(raw);
      expect(checked.verdict).toBe('quarantine');
      if (checked.verdict === 'quarantine') {
        expect(checked.reason).toBe('malware:EICAR-Test-File');
        expect(checked.sha256.equals(createHash('sha256').update(raw.bytes).digest())).toBe(true);
      }
    }
    expect(findMalware(PDF)).toBeUndefined();
    // A string that is only nearly EICAR is not a hit.
    expect(findMalware(Buffer.from(EICAR.slice(0, -1)))).toBeUndefined();
  });

  it.each([
    ['../x.pdf'],
    ['..\\x.pdf'],
    ['docs/x.pdf'],
    ['/etc/passwd.pdf'],
    ['C:x.pdf'],
    ['x\u0000.pdf'],
    ['x.pdf\u0000.png'],
    ['x\n.pdf'],
    ['x\u001b[31m.pdf'],
    ['x\u007f.pdf'],
    ['fattura\u202efdp.exe.pdf'],
    ['.pdf'],
    ['..'],
    ['.hidden.pdf'],
    [' x.pdf'],
    ['x.pdf.'],
  ])('422 for the unsafe file name %j, with the field', (name) => {
    const r = refusal(() => checkFilename(name));
    expect(r).toMatchObject({ status: 422, type: 'UNPROCESSABLE', field: 'filename', code: 'unsafe_filename' });
    expect(r.message.it).toMatch(/percorsi/);
    expect(r.message.en).toMatch(/paths/);
    expect(refusal(() => checkUpload(upload({ filename: name }))).status).toBe(422);
  });

  it('400 for a missing, repeated or overlong file name', () => {
    expect(refusal(() => checkFilename(undefined))).toMatchObject({ status: 400, field: 'filename', code: 'required' });
    expect(refusal(() => checkFilename('  '))).toMatchObject({ status: 400, field: 'filename', code: 'required' });
    expect(refusal(() => checkFilename(['a.pdf', 'b.pdf']))).toMatchObject({ status: 400, field: 'filename' });
    expect(refusal(() => checkFilename(`${'a'.repeat(200)}.pdf`))).toMatchObject({ status: 400, code: 'too_long' });
  });

  it('sniffs only the three magic numbers', () => {
    expect(sniffMediaType(PDF)).toBe('application/pdf');
    expect(sniffMediaType(JPEG)).toBe('image/jpeg');
    expect(sniffMediaType(PNG)).toBe('image/png');
    expect(sniffMediaType(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffMediaType(PNG.subarray(0, 7))).toBeUndefined();
  });
});

describe('Content-Disposition of a served document', () => {
  it('quotes an ASCII-only fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('inline', 'Carta identità "2".pdf')).toBe(`inline; filename="Carta identita _2_.pdf"; filename*=UTF-8''Carta%20identit%C3%A0%20%222%22.pdf`);
    expect(contentDisposition('attachment', 'modulo.pdf')).toBe(`attachment; filename="modulo.pdf"; filename*=UTF-8''modulo.pdf`);
  });
});

describe('identity document at the counter', () => {
  const today = new Date('2025-06-15T10:00:00Z');
  const good = { type: 'carta_identita', number: 'ay 1234567', issuer: 'Comune di Roma', issuedOn: '2020-01-10', expiresOn: '2030-01-10' };
  const fieldsOf = (input: unknown, birthDate?: string) => checkIdentityDocument(input, { today, birthDate }).issues.map((i) => `${i.field}:${i.code}`);

  it('names a foreign document\'s issuing state with its issuer, once, for the MV35', () => {
    expect(issuerText({ issuer: 'Stadt Berlin', issuingCountry: 'DE' })).toBe('Stadt Berlin (Germania)');
    expect(issuerText({ issuer: 'República Argentina', issuingCountry: 'AR' })).toBe('República Argentina');
    expect(issuerText({ issuer: 'Comune di Roma', issuingCountry: 'IT' })).toBe('Comune di Roma');
  });

  it('accepts a plausible document and normalises its number', () => {
    const r = checkIdentityDocument(good, { today, birthDate: '1980-01-01' });
    expect(r.issues).toEqual([]);
    expect(r.document).toEqual({ ...good, type: 'carta_identita', number: 'AY1234567', issuingCountry: 'IT' });
    expect(checkIdentityDocument({ ...good, type: 'cie', number: 'CA12345AB' }, { today }).issues).toEqual([]);
  });

  it('accepts a foreign passport or identity card with its issuing state, and only with one', () => {
    const foreign = { ...good, type: 'passaporto_estero', number: 'C01X00T47', issuer: 'República Argentina', issuingCountry: 'ar' };
    expect(checkIdentityDocument(foreign, { today }).document).toMatchObject({ type: 'passaporto_estero', issuingCountry: 'AR' });
    expect(checkIdentityDocument({ ...foreign, type: 'documento_estero', number: '30123456' }, { today }).issues).toEqual([]);
    const { issuingCountry: _none, ...withoutCountry } = foreign;
    expect(fieldsOf(withoutCountry)).toEqual(['identityDocument.issuingCountry:required']);
    expect(fieldsOf({ ...foreign, issuingCountry: 'IT' })).toEqual(['identityDocument.issuingCountry:italian_document']);
    expect(fieldsOf({ ...good, issuingCountry: 'AR' })).toEqual(['identityDocument.issuingCountry:foreign_document']);
  });

  it('refuses an expired document, one expiring today, and an implausible one, naming each field', () => {
    expect(fieldsOf({ ...good, expiresOn: '2025-06-14' })).toEqual(['identityDocument.expiresOn:expired']);
    expect(fieldsOf({ ...good, expiresOn: '2025-06-15' })).toEqual(['identityDocument.expiresOn:expired']);
    expect(fieldsOf({ ...good, number: '12345' })).toEqual(['identityDocument.number:implausible_number']);
    expect(fieldsOf({ ...good, type: 'cie', number: 'AY1234567' })).toEqual(['identityDocument.number:implausible_number']);
    expect(fieldsOf({ ...good, issuedOn: '2025-07-01' })).toEqual(['identityDocument.issuedOn:date_in_future']);
    expect(fieldsOf(good, '2020-06-01')).toEqual(['identityDocument.issuedOn:before_birth']);
    expect(fieldsOf({ ...good, issuedOn: '2013-01-01', expiresOn: '2025-12-31' })).toEqual(['identityDocument.expiresOn:validity_too_long']);
    expect(fieldsOf({ ...good, type: 'tessera_biblioteca', issuer: '', issuedOn: '10/01/2020' }).sort()).toEqual([
      'identityDocument.issuedOn:invalid_date',
      'identityDocument.issuer:required',
      'identityDocument.type:invalid_value',
    ]);
    expect(fieldsOf(undefined)).toEqual(['identityDocument:required']);
    expect(fieldsOf({ ...good, colour: 'blue' })).toEqual(['identityDocument.colour:unknown_field']);
  });
});

describe('counter request data', () => {
  const today = new Date('2025-06-15T10:00:00Z');

  it('accepts the documented example, without call-back preferences, and derives the Italian-document flag', () => {
    expect(counterIssuanceBodySchema.safeParse(EXAMPLE_COUNTER_ISSUANCE).success).toBe(true);
    const r = parseCounterIssuance(EXAMPLE_COUNTER_ISSUANCE, { today, eligibilityPolicy: true });
    expect(r.office).toBe('Roma Eur');
    expect(r.citizen.preferredPhone).toBeUndefined();
    expect(r.citizen.preferredTimeSlot).toBeUndefined();
    expect(r.citizen.hasItalianIdentityDocument).toBe(false);
    expect(r.identityDocument.type).toBe('passaporto_estero');
  });

  it('lists the PIN request problems and the document problems together (400)', () => {
    const body = { ...EXAMPLE_COUNTER_ISSUANCE, surname: '', mobile: undefined, identityDocument: { ...EXAMPLE_COUNTER_ISSUANCE.identityDocument, expiresOn: '2024-01-01' } };
    const r = refusal(() => parseCounterIssuance(body, { today, eligibilityPolicy: true }));
    expect(r.status).toBe(400);
    let fields: string[] = [];
    try {
      parseCounterIssuance(body, { today, eligibilityPolicy: true });
    } catch (err) {
      fields = (err as DomainError).fields.map((f) => f.field);
    }
    expect(fields).toEqual(expect.arrayContaining(['surname', 'homePhone', 'mobile', 'identityDocument.expiresOn']));
    // The defaulted preferred phone is not reported as a problem of its own.
    expect(fields).not.toContain('preferredPhone');
  });

  it('refuses a channel and a missing office', () => {
    const { office: _office, ...noOffice } = EXAMPLE_COUNTER_ISSUANCE;
    let fields: string[] = [];
    try {
      parseCounterIssuance({ ...noOffice, channel: 'online' }, { today, eligibilityPolicy: true });
    } catch (err) {
      fields = (err as DomainError).fields.map((f) => f.field);
    }
    expect(fields.sort()).toEqual(['channel', 'office']);
  });

  it('applies the 2021 policy: an Italian document shown makes the citizen not eligible (422)', () => {
    const body = { ...EXAMPLE_COUNTER_ISSUANCE, identityDocument: { type: 'carta_identita', number: 'AY1234567', issuer: 'Comune di Roma', issuedOn: '2020-01-10', expiresOn: '2030-01-10' } };
    expect(refusal(() => parseCounterIssuance(body, { today, eligibilityPolicy: true }))).toMatchObject({ status: 422, type: 'NOT_ELIGIBLE' });
    expect(parseCounterIssuance(body, { today, eligibilityPolicy: false }).citizen.hasItalianIdentityDocument).toBe(true);
  });
});

describe('office names', () => {
  it('keep the name only, so forms do not print "sede INPS di Sede INPS di …"', () => {
    expect(['Sede INPS di Roma Eur', 'sede di Roma Eur', '  Roma   Eur ', 'INPS Roma Eur', 'Sede INPS Roma Eur'].map(officeName)).toEqual(Array(5).fill('Roma Eur'));
    expect(officeName('Di Vittorio')).toBe('Di Vittorio');
    expect(officeName('Sedegliano')).toBe('Sedegliano');
  });
});
