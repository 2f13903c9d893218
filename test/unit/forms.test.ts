/**
 * The PDF documents of forms/: each is read back with real PDF libraries (pdf.js for text and
 * positions, pdf-lib for fields and metadata) rather than inspected as bytes, and rendered to
 * a PNG under test-artifacts/forms/ for a human to look at.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument, PDFSignature, PDFTextField, StandardFonts } from 'pdf-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../domain/errors';
import {
  CONVERSION_REQUEST_FIELDS,
  CREATOR,
  MV35_FIELDS,
  PRODUCER,
  WIN_ANSI_CODE_POINTS,
  renderClaimReceipt,
  renderConversionRequest,
  renderRequestReceipt,
  renderMv35,
  renderSealedEnvelope,
  renderSecondHalfLetter,
  toWinAnsi,
  wrapText,
  type ConversionRequestInput,
  type Mv35Input,
  type SealedEnvelopeInput,
  type SecondHalfLetterInput,
} from '../../forms';
import { A4, ADDRESS_WINDOW, MARGIN, mm } from '../../forms/layout';
import { pdfFields, pdfText, pdfTextItems, renderPng } from '../support/pdf';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts/forms');

const letterInput: SecondHalfLetterInput = {
  reference: 'L-7d0c1f52-3b9e-4c1a-9a57-2a1e6f0b9c11',
  date: '2025-11-27',
  recipient: {
    fullName: "Nicolò Dell'Acqua Peña",
    addressLines: ['Calle de Alcalá 42, 3º izq.', '28014 Madrid'],
    country: 'Spagna',
  },
  secondHalf: 'K7mQ2xRp',
};

const envelopeInput: SealedEnvelopeInput = {
  reference: 'MV35-2025-000123',
  date: '2025-11-27',
  holderName: 'Nicolò Ferrè',
  codiceFiscale: 'FRRNCL80A01D704X',
  pin: 'aB3dE5gH',
  office: 'Forlì',
};

const mv35Input: Mv35Input = {
  reference: 'MV35-2025-000123',
  date: '2025-11-27',
  office: 'Forlì',
  citizen: {
    codiceFiscale: 'FRRNCL80A01D704X',
    surname: 'Ferrè',
    name: 'Nicolò',
    birthDate: '1980-01-01',
    sex: 'M',
    birthPlace: 'Forlì (FC)',
    residence: 'Rua Augusta 12, 1100-053 Lisboa, Portogallo',
    email: 'nicolo.ferre@example.pt',
    mobile: '+351 912 345 678',
  },
  identityDocument: {
    type: 'Passaporto',
    number: 'YA1234567',
    issuer: "Consolato Generale d'Italia a Lisbona",
    issueDate: '2019-03-12',
    expiryDate: '2029-03-11',
  },
  clerk: { id: 'op-0042', name: 'Giulia Bianchi' },
};

const conversionInput: ConversionRequestInput = {
  reference: 'CONV-2025-000077',
  date: '2025-11-27',
  citizen: {
    codiceFiscale: 'FRRNCL80A01D704X',
    surname: 'Ferrè',
    name: 'Nicolò',
    birthDate: '1980-01-01',
    birthPlace: 'Forlì (FC)',
    residence: 'Rua Augusta 12, 1100-053 Lisboa, Portogallo',
  },
};

/** Text with all whitespace removed: the code box prints one character per cell. */
const squash = (s: string): string => s.replace(/\s+/g, '');

/** Text with runs of whitespace collapsed, for phrases that may wrap across lines. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

/** Renders the same input at two different wall-clock times; the bytes must not differ. */
async function renderAtTwoTimes(render: () => Promise<Uint8Array>): Promise<[Uint8Array, Uint8Array]> {
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(new Date('2021-01-01T08:00:00Z'));
    const first = await render();
    vi.setSystemTime(new Date('2031-06-15T23:59:59Z'));
    const second = await render();
    return [first, second];
  } finally {
    vi.useRealTimers();
  }
}

async function metadata(bytes: Uint8Array) {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return {
    title: doc.getTitle() ?? '',
    subject: doc.getSubject() ?? '',
    keywords: doc.getKeywords() ?? '',
    author: doc.getAuthor() ?? '',
    creator: doc.getCreator() ?? '',
    producer: doc.getProducer() ?? '',
    created: doc.getCreationDate()?.toISOString(),
    modified: doc.getModificationDate()?.toISOString(),
    pages: doc.getPageCount(),
  };
}

/**
 * Every text run must sit inside the side margins and between the footer and the top margin.
 * pdf.js measures the non-embedded standard fonts with substitute metrics about 1% wider than
 * the Adobe metrics pdf-lib (and real viewers) use, hence the width allowance; `height` is the
 * font size, so capitals reach about 0.75 of it above the baseline.
 */
async function expectTextWithinMargins(bytes: Uint8Array): Promise<void> {
  const { pages, items } = await pdfTextItems(bytes);
  for (const page of pages) {
    expect(page.width).toBeCloseTo(A4.width, 0);
    expect(page.height).toBeCloseTo(A4.height, 0);
  }
  const outside = items.filter(
    (i) =>
      i.x < MARGIN.left - 0.5 ||
      i.x + i.width * 0.985 > A4.width - MARGIN.right + 0.5 ||
      i.y < mm(10) - 0.5 ||
      i.y + i.height * 0.75 > A4.height - MARGIN.top + 0.5,
  );
  expect(outside.map((i) => `${i.str} @${i.x.toFixed(1)},${i.y.toFixed(1)} w${i.width.toFixed(1)}`)).toEqual([]);
}

/** The PNG step only: skipped (with a note) when poppler's pdftoppm is not installed. */
async function writePng(bytes: Uint8Array, name: string): Promise<void> {
  const png = await renderPng(bytes, path.join(ARTIFACTS, name));
  if (png === null) {
    console.warn(`pdftoppm not found: PNG of ${name} not written (apt-get install poppler-utils)`);
    return;
  }
  expect(existsSync(png)).toBe(true);
  expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('text sanitising (WinAnsi)', () => {
  it('knows exactly the code points the standard fonts can encode', async () => {
    const doc = await PDFDocument.create();
    for (const name of [StandardFonts.Helvetica, StandardFonts.HelveticaOblique, StandardFonts.CourierBold]) {
      const font = await doc.embedFont(name);
      expect(new Set(font.getCharacterSet())).toEqual(new Set(WIN_ANSI_CODE_POINTS));
    }
  });

  it('keeps Italian accents and Western European letters unchanged', () => {
    const text = 'àèéìòù ÀÈÉÌÒÙ äöü ñ ç ß Ø å € « » – … “ ” ’ °';
    expect(toWinAnsi(text)).toBe(text);
    // A decomposed accent (e + combining acute) is recomposed rather than lost.
    expect(toWinAnsi('Nicole\u0301')).toBe('Nicolé');
  });

  it('transliterates what WinAnsi lacks instead of throwing', async () => {
    expect(toWinAnsi('Łukasz Wąsowski')).toBe('Lukasz Wasowski');
    expect(toWinAnsi('Ștefan Țurcanu')).toBe('Stefan Turcanu');
    expect(toWinAnsi('Gödöllő, Đakovo')).toBe('Gödöllo, Dakovo');
    expect(toWinAnsi('Жанна Щукина')).toBe('Zhanna Shchukina');
    expect(toWinAnsi('Σωκράτης')).toBe('Sokratis');
    expect(toWinAnsi('ﬁne − ok')).toBe('fine - ok');
    expect(toWinAnsi('a\u200Bb\u200Ec\uFEFF')).toBe('abc');
    expect(toWinAnsi('casa 🏠 北京')).toBe('casa ? ??');
    expect(toWinAnsi('riga 1\nriga 2\tfine\u00A0x\u00ADy')).toBe('riga 1 riga 2 fine xy');
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const torture = 'ŁĄŻŹĆŃŚĘÓ ǅ ẞ Ŋ ı ĳ ﬀ 𝔸 ① ™ ½ Ω 中文 🎉 \u0301 \u202E';
    expect(() => font.encodeText(toWinAnsi(torture))).not.toThrow();
  });

  it('wraps within the width and splits words longer than a line', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const lines = wrapText(
      'Il PIN è strettamente personale: non lo comunichi a nessuno. averyveryveryveryveryverylongaddress@example.com',
      font,
      10,
      120,
    );
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(font.widthOfTextAtSize(line, 10)).toBeLessThanOrEqual(120);
    expect(lines.join('')).toContain('averyvery');
    expect(wrapText('uno\ndue', font, 10, 500)).toEqual(['uno', 'due']);
    // Narrower than one letter: one character per line rather than an endless loop.
    expect(wrapText('WWW', font, 10, 1)).toEqual(['W', 'W', 'W']);
  });
});

describe('second-half letter', () => {
  it('prints sender, recipient, reference, bilingual text and the 8 characters', async () => {
    const bytes = await renderSecondHalfLetter(letterInput);
    const text = await pdfText(bytes);
    expect(text).toContain('Istituto Nazionale Previdenza Sociale – Servizio PIN');
    expect(text).toContain("Nicolò Dell'Acqua Peña");
    expect(text).toContain('Calle de Alcalá 42, 3º izq.');
    expect(text).toContain('28014 Madrid');
    expect(text).toContain('SPAGNA');
    expect(text).toContain(letterInput.reference);
    expect(text).toContain('27 novembre 2025');
    expect(text).toContain('27 November 2025');
    const body = flat(text);
    // Italian, then English.
    expect(body).toContain('la seconda parte del tuo PIN');
    expect(body).toContain('I primi 8 caratteri del PIN sono stati inviati ai recapiti indicati');
    expect(body).toContain('nuovo PIN di 8 caratteri');
    expect(body).toContain('non comunicarlo a nessuno');
    expect(body).toContain('the second part of your PIN');
    expect(body).toContain('The first 8 characters of the PIN were sent to the contacts');
    expect(body).toContain('new 8-character PIN');
    expect(body).toContain('do not share it with anyone');
    expect(body.indexOf('Buongiorno')).toBeLessThan(body.indexOf('Dear'));
    expect(text).toContain('Seconda parte del PIN');
    expect(text).toContain('Second part of the PIN');
    expect(squash(text)).toContain(letterInput.secondHalf);
    expect(text).not.toContain('Reinvio');
    expect((await metadata(bytes)).pages).toBe(1);
    await expectTextWithinMargins(bytes);
    await writePng(bytes, 'second-half-letter');
  });

  it('places the recipient address inside the envelope window', async () => {
    const bytes = await renderSecondHalfLetter(letterInput);
    const { items } = await pdfTextItems(bytes);
    const window = {
      left: ADDRESS_WINDOW.left,
      right: ADDRESS_WINDOW.left + ADDRESS_WINDOW.width,
      top: A4.height - ADDRESS_WINDOW.top,
      bottom: A4.height - ADDRESS_WINDOW.top - ADDRESS_WINDOW.height,
    };
    for (const str of ["Nicolò Dell'Acqua Peña", '28014 Madrid', 'SPAGNA']) {
      const item = items.find((i) => i.str.trim() === str);
      expect(item, str).toBeDefined();
      expect(item!.x).toBeGreaterThanOrEqual(window.left);
      expect(item!.x + item!.width).toBeLessThanOrEqual(window.right);
      expect(item!.y).toBeGreaterThanOrEqual(window.bottom);
      expect(item!.y + item!.height).toBeLessThanOrEqual(window.top);
    }
    // The code is below the first fold, so it cannot show through the window.
    const code = items.find((i) => i.str === letterInput.secondHalf[0]);
    expect(code!.y).toBeLessThan(A4.height - mm(99));
  });

  it('keeps a long address in the window and omits the country for Italy', async () => {
    const bytes = await renderSecondHalfLetter({
      ...letterInput,
      recipient: {
        fullName: 'Maria Giuseppina Alessandra della Rovere di Montefeltro Sforza',
        addressLines: [
          'c/o Studio Associato Bianchi & Partners S.r.l., Via Vittorio Emanuele II 123, scala B, interno 45',
          'Frazione San Martino in Pensilis',
          '86046 San Martino in Pensilis (CB)',
          'Presso portineria',
        ],
        country: 'Italia',
      },
    });
    const text = await pdfText(bytes);
    expect(text).not.toContain('ITALIA');
    expect(flat(text)).toContain('86046 San Martino in Pensilis (CB)');
    const { items } = await pdfTextItems(bytes);
    const addressItems = items.filter((i) => i.x >= ADDRESS_WINDOW.left - 0.5 && i.y > A4.height - mm(100));
    expect(addressItems.length).toBeGreaterThan(5);
    for (const item of addressItems) {
      expect(item.x + item.width).toBeLessThanOrEqual(ADDRESS_WINDOW.left + ADDRESS_WINDOW.width + 0.5);
      expect(item.y).toBeGreaterThanOrEqual(A4.height - ADDRESS_WINDOW.top - ADDRESS_WINDOW.height - 0.5);
    }
    await expectTextWithinMargins(bytes);
  });

  it('says when it replaces earlier letters', async () => {
    const text = flat(await pdfText(await renderSecondHalfLetter({ ...letterInput, resendNumber: 2 })));
    expect(text).toContain('Reinvio n. 2');
    expect(text).toContain('Resent letter no. 2');
  });

  it('keeps the code out of the metadata and stamps fixed, input-derived metadata', async () => {
    const meta = await metadata(await renderSecondHalfLetter(letterInput));
    for (const value of [meta.title, meta.subject, meta.keywords, meta.author, meta.creator, meta.producer]) {
      expect(value).not.toContain(letterInput.secondHalf);
      expect(value).not.toContain('Nicolò');
    }
    expect(meta.title).toContain(letterInput.reference);
    expect(meta.producer).toBe(PRODUCER);
    expect(meta.creator).toBe(CREATOR);
    expect(meta.created).toBe('2025-11-27T00:00:00.000Z');
    expect(meta.modified).toBe('2025-11-27T00:00:00.000Z');
  });

  it('renders identical bytes for the same input, whatever the clock says', async () => {
    const [a, b] = await renderAtTwoTimes(() => renderSecondHalfLetter(letterInput));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const other = await renderSecondHalfLetter({ ...letterInput, secondHalf: 'K7mQ2xRq' });
    expect(Buffer.from(a).equals(Buffer.from(other))).toBe(false);
  });

  it('renders names outside WinAnsi by transliterating them', async () => {
    const bytes = await renderSecondHalfLetter({
      ...letterInput,
      recipient: { fullName: 'Łukasz Wąsowski 🙂', addressLines: ['ul. Świętokrzyska 14', '00-050 Warszawa'], country: 'Polonia' },
    });
    const text = await pdfText(bytes);
    expect(text).toContain('Lukasz Wasowski ?');
    expect(text).toContain('ul. Swietokrzyska 14');
    expect(text).toContain('POLONIA');
  });

  it('rejects a malformed code or date without echoing the code', async () => {
    const secret = 'SECRET123';
    const error = await renderSecondHalfLetter({ ...letterInput, secondHalf: secret }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(JSON.stringify({ message: (error as DomainError).message, fields: (error as DomainError).fields })).not.toContain(secret);
    await expect(renderSecondHalfLetter({ ...letterInput, secondHalf: 'AB CD EF' })).rejects.toBeInstanceOf(DomainError);
    await expect(renderSecondHalfLetter({ ...letterInput, date: '2025-02-30' })).rejects.toBeInstanceOf(DomainError);
    await expect(renderSecondHalfLetter({ ...letterInput, date: '27/11/2025' })).rejects.toBeInstanceOf(DomainError);
  });

  it('renders a letter in well under 100 ms', async () => {
    await renderSecondHalfLetter(letterInput); // warm-up
    const count = 20;
    const started = performance.now();
    for (let i = 0; i < count; i++) await renderSecondHalfLetter({ ...letterInput, reference: `L-${i}` });
    const perLetter = (performance.now() - started) / count;
    expect(perLetter).toBeLessThan(100);
  });
});

describe('sealed envelope', () => {
  it('prints holder, tax code, office, reference, bilingual text and the PIN', async () => {
    const bytes = await renderSealedEnvelope(envelopeInput);
    const text = await pdfText(bytes);
    expect(text).toContain('Nicolò Ferrè');
    expect(text).toContain('FRRNCL80A01D704X');
    expect(text).toContain('Forlì');
    expect(text).toContain(envelopeInput.reference);
    expect(text).toContain('PIN dispositivo');
    expect(text).toContain('Dispositivo PIN');
    const body = flat(text);
    expect(body).toContain('Questa busta contiene il tuo PIN dispositivo');
    expect(body).toContain('This envelope contains your dispositivo PIN');
    expect(body).toContain('non usare il PIN');
    expect(body).toContain('do not use the PIN');
    expect(squash(text)).toContain(envelopeInput.pin);
    expect((await metadata(bytes)).pages).toBe(1);
    await expectTextWithinMargins(bytes);
    await writePng(bytes, 'sealed-envelope');
  });

  it('keeps the PIN out of the metadata and is deterministic', async () => {
    const [a, b] = await renderAtTwoTimes(() => renderSealedEnvelope(envelopeInput));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const meta = await metadata(a);
    for (const value of [meta.title, meta.subject, meta.keywords]) {
      expect(value).not.toContain(envelopeInput.pin);
      expect(value).not.toContain(envelopeInput.codiceFiscale);
    }
    expect(meta.title).toContain(envelopeInput.reference);
    expect(meta.producer).toBe(PRODUCER);
    expect(meta.created).toBe('2025-11-27T00:00:00.000Z');
  });

  it('rejects a PIN that is not 8 printable characters', async () => {
    await expect(renderSealedEnvelope({ ...envelopeInput, pin: 'abc' })).rejects.toBeInstanceOf(DomainError);
  });
});

describe('MV35 form', () => {
  it('has the title, the bilingual declaration and the signature captions', async () => {
    const bytes = await renderMv35(mv35Input);
    const text = flat(await pdfText(bytes));
    expect(text).toContain('Modulo MV35 – Richiesta assegnazione codice dispositivo per il cittadino in sede');
    expect(text).toContain('Form MV35');
    expect(text).toContain("chiede l'assegnazione del codice PIN dispositivo");
    expect(text).toContain('request the assignment of a dispositivo PIN');
    expect(text).toContain('Firma del richiedente');
    expect(text).toContain("Applicant's signature");
    expect(text).toContain(mv35Input.reference);
    expect((await metadata(bytes)).pages).toBe(1);
    await expectTextWithinMargins(bytes);
    await writePng(bytes, 'mv35');
  });

  it('has fillable fields with stable names, prefilled from the input', async () => {
    const bytes = await renderMv35(mv35Input);
    const fields = await pdfFields(bytes);
    expect(Object.keys(fields).sort()).toEqual([...MV35_FIELDS].sort());
    expect(fields).toEqual({
      cognome: 'Ferrè',
      nome: 'Nicolò',
      codiceFiscale: 'FRRNCL80A01D704X',
      sesso: 'M',
      dataNascita: '01/01/1980',
      luogoNascita: 'Forlì (FC)',
      residenza: 'Rua Augusta 12, 1100-053 Lisboa, Portogallo',
      email: 'nicolo.ferre@example.pt',
      cellulare: '+351 912 345 678',
      documentoTipo: 'Passaporto',
      documentoNumero: 'YA1234567',
      documentoRilasciatoDa: "Consolato Generale d'Italia a Lisbona",
      documentoDataRilascio: '12/03/2019',
      documentoScadenza: '11/03/2029',
      sede: 'Forlì',
      data: '27/11/2025',
      operatore: 'Giulia Bianchi (op-0042)',
      firma: '',
    });
  });

  it('is not flattened: fields can be changed and firma is an unsigned signature field', async () => {
    const doc = await PDFDocument.load(await renderMv35(mv35Input));
    const form = doc.getForm();
    expect(form.getField('firma')).toBeInstanceOf(PDFSignature);
    const surname = form.getTextField('cognome');
    expect(surname).toBeInstanceOf(PDFTextField);
    expect(surname.isReadOnly()).toBe(false);
    surname.setText('Ferré');
    const refilled = await pdfFields(await doc.save());
    expect(refilled.cognome).toBe('Ferré');
  });

  it('leaves optional contacts empty and transliterates values outside WinAnsi', async () => {
    const bytes = await renderMv35({
      ...mv35Input,
      citizen: { ...mv35Input.citizen, surname: 'Wąsowska', name: 'Łucja', email: undefined, mobile: undefined },
    });
    const fields = await pdfFields(bytes);
    expect(fields.cognome).toBe('Wasowska');
    expect(fields.nome).toBe('Lucja');
    expect(fields.email).toBe('');
    expect(fields.cellulare).toBe('');
  });

  it('stays on one page with very long values, keeping them in full in the fields', async () => {
    const long = {
      ...mv35Input,
      office: 'Direzione Provinciale di Reggio nell\'Emilia – Agenzia territoriale di Castelnovo ne\' Monti',
      citizen: {
        ...mv35Input.citizen,
        surname: 'della Rovere di Montefeltro Sforza Visconti Malatesta',
        name: 'Maria Giuseppina Alessandra Benedetta',
        residence:
          'c/o Studio Associato Bianchi & Partners S.r.l., Avenida da Liberdade 245, 5º andar, escritório 12, ' +
          '1250-143 Lisboa, Portogallo (citofono Bianchi)',
        email: 'maria.giuseppina.alessandra.della.rovere@example-very-long-domain.pt',
      },
    };
    const bytes = await renderMv35(long);
    expect((await metadata(bytes)).pages).toBe(1);
    const fields = await pdfFields(bytes);
    expect(fields.residenza).toBe(long.citizen.residence);
    expect(fields.sede).toBe(long.office);
    await expectTextWithinMargins(bytes);
    await writePng(bytes, 'mv35-long-values');
  });

  it('is deterministic and keeps personal data out of the metadata', async () => {
    const [a, b] = await renderAtTwoTimes(() => renderMv35(mv35Input));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const meta = await metadata(a);
    expect(meta.title).toContain('Modulo MV35');
    expect(meta.title).not.toContain('Ferrè');
    expect(meta.keywords).not.toContain(mv35Input.citizen.codiceFiscale);
    expect(meta.created).toBe('2025-11-27T00:00:00.000Z');
  });
});

describe('conversion request form', () => {
  it('has the title, the instructions for the three channels and the declaration', async () => {
    const bytes = await renderConversionRequest(conversionInput);
    const text = flat(await pdfText(bytes));
    expect(text).toContain('Richiesta di conversione del PIN ordinario in PIN dispositivo');
    expect(text).toContain('Request to convert an ordinary PIN into a dispositivo PIN');
    expect(text).toContain('«Vuoi il PIN dispositivo?»');
    expect(text).toContain('fax al numero 800 803 164');
    expect(text).toContain('by fax to 800 803 164');
    expect(text).toContain('Sportello veloce');
    expect(text).toContain('INPS office');
    expect(text).toContain('Firma del richiedente');
    expect(text).toContain(conversionInput.reference);
    expect((await metadata(bytes)).pages).toBe(1);
    await expectTextWithinMargins(bytes);
    await writePng(bytes, 'conversion-request');
  });

  it('prefills the citizen and leaves the document, place and signature to the citizen', async () => {
    const bytes = await renderConversionRequest(conversionInput);
    const fields = await pdfFields(bytes);
    expect(Object.keys(fields).sort()).toEqual([...CONVERSION_REQUEST_FIELDS].sort());
    expect(fields).toMatchObject({
      cognome: 'Ferrè',
      nome: 'Nicolò',
      codiceFiscale: 'FRRNCL80A01D704X',
      dataNascita: '01/01/1980',
      luogoNascita: 'Forlì (FC)',
      residenza: 'Rua Augusta 12, 1100-053 Lisboa, Portogallo',
      data: '27/11/2025',
      documentoTipo: '',
      documentoNumero: '',
      luogo: '',
      firma: '',
    });
    const form = (await PDFDocument.load(bytes)).getForm();
    expect(form.getField('firma')).toBeInstanceOf(PDFSignature);
    expect(form.getTextField('documentoNumero').isReadOnly()).toBe(false);
  });

  it('is deterministic', async () => {
    const [a, b] = await renderAtTwoTimes(() => renderConversionRequest(conversionInput));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect((await metadata(a)).modified).toBe('2025-11-27T00:00:00.000Z');
  });
});

describe('receipts', () => {
  const claimInput = {
    protocol: 'INPS.2026.00000042',
    receivedAt: '2026-12-05T08:14:00Z',
    claimName: { it: 'Congedo parentale', en: 'Parental leave' },
    held: true,
    holderName: 'Nicolò Dell’Acqua',
    codiceFiscale: 'DLLNCL80A01H501U',
  };

  it('a claim’s receipt has the protocol, the claim, the received time in Italian time, the status when filed, the claimant and the declaration', async () => {
    const text = (await pdfText(await renderClaimReceipt(claimInput))).replace(/\s+/g, ' ');
    for (const part of ['INPS.2026.00000042', 'Congedo parentale / Parental leave', '5 dicembre 2026 alle ore 09:14', '5 December 2026', 'In attesa del PIN dispositivo', 'DLLNCL80A01H501U', 'Nicolò Dell’Acqua', 'DPR 445/2000', 'Presidential Decree 445/2000']) {
      expect(text).toContain(part);
    }
    const processed = (await pdfText(await renderClaimReceipt({ ...claimInput, held: false }))).replace(/\s+/g, ' ');
    expect(processed).toContain('Avviata alla lavorazione / Sent to processing');
    expect(processed).not.toContain('In attesa del PIN dispositivo');
  });

  it('a claim’s receipt is deterministic; the request’s receipt still reads as before', async () => {
    const [a, b] = await renderAtTwoTimes(() => renderClaimReceipt(claimInput));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect((await metadata(a)).title).toBe('Ricevuta della domanda di prestazione / Receipt of the benefit claim – INPS.2026.00000042');
    const request = (await pdfText(await renderRequestReceipt({ protocol: 'PIN.2026.00000007', receivedAt: '2026-12-05T08:14:00Z', holderName: 'Ada Rossi', codiceFiscale: 'RSSDAA80A41H501X', channels: [{ channel: 'sms' }, { channel: 'email' }] }))).replace(/\s+/g, ' ');
    for (const part of ['Ricevuta della richiesta di PIN', 'PIN.2026.00000007', '5 dicembre 2026 alle ore 09:14', 'Ada Rossi', 'via SMS, poi e-mail']) expect(request).toContain(part);
  });
});
