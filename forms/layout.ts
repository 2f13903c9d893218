/**
 * Shared drawing toolkit for every document in `forms/`.
 *
 * All the layout that the four documents have in common lives here, once: the document set-up
 * with deterministic metadata, the WinAnsi-safe text sanitiser, word wrapping, the letterhead,
 * bilingual paragraphs and headings, the window-envelope address block, the framed code box
 * for PIN characters, rows of fillable AcroForm fields, signature boxes and page footers.
 *
 * Design constraints that shape this module:
 * - **Pure**: no I/O, no clock, no randomness. The only inputs are the arguments; pdf-lib's own
 *   resource-name generator is seeded, so the same input always yields the same bytes. An
 *   activity that renders a letter may be retried and must produce the identical PDF.
 * - **Standard fonts only** (Helvetica, Courier): nothing to embed or ship, but they can only
 *   encode WinAnsi (Windows-1252). Every string therefore passes through {@link toWinAnsi}
 *   before it reaches pdf-lib, which would otherwise throw on e.g. "ł" or an emoji.
 */
import {
  PDFDocument,
  PDFString,
  StandardFonts,
  rgb,
  type PDFFont,
  type PDFPage,
  type PDFTextField,
  type RGB,
} from 'pdf-lib';
import { validationError, type Bilingual } from '../domain/errors';
import { formatLongDate } from '../domain/calendar';

export type { Bilingual };

// ---------------------------------------------------------------------------------------------
// Units, page geometry, palette
// ---------------------------------------------------------------------------------------------

/** Converts millimetres to PDF points (1/72 inch): printed layouts are specified in mm. */
export function mm(value: number): number {
  return (value * 72) / 25.4;
}

/** A4 portrait in points. */
export const A4 = { width: 595.28, height: 841.89 } as const;

/** Page margins in points. The bottom one leaves room for the footer line. */
export const MARGIN = { left: mm(20), right: mm(20), top: mm(14), bottom: mm(20) } as const;

/** Width available for content between the side margins. */
const CONTENT_WIDTH = A4.width - MARGIN.left - MARGIN.right;

/** The palette: a dark institutional blue plus greys that still print well in black and white. */
export const COLORS = {
  text: rgb(0.1, 0.1, 0.12),
  muted: rgb(0.33, 0.35, 0.4),
  brand: rgb(0, 0.26, 0.52),
  rule: rgb(0.62, 0.65, 0.7),
  panel: rgb(0.94, 0.96, 0.98),
  fieldBackground: rgb(0.97, 0.98, 1),
  white: rgb(1, 1, 1),
} as const;

/** Fixed document metadata, so that nothing environment-dependent leaks into the bytes. */
export const PRODUCER = 'pin-backoffice forms (pdf-lib)';
export const CREATOR = 'pin-backoffice';
const AUTHOR = 'Istituto Nazionale Previdenza Sociale – Servizio PIN';

/** Sender identification used in the letterhead and the return-address line. */
const INSTITUTE = {
  senderLine: 'Istituto Nazionale Previdenza Sociale – Servizio PIN',
  address: 'Via Ciro il Grande, 21 – 00144 Roma (RM) – Italia',
  contacts:
    'www.inps.it · Contact center 803 164 (rete fissa / landline) · +39 06 164 164 (cellulare / mobile)',
  returnAddress: 'INPS – Servizio PIN · Via Ciro il Grande, 21 · 00144 Roma · Italia',
} as const;

// ---------------------------------------------------------------------------------------------
// Text sanitising (WinAnsi)
// ---------------------------------------------------------------------------------------------

/**
 * The code points WinAnsiEncoding can represent: printable ASCII, Latin-1 from U+00A0, and the
 * 27 Windows-1252 extras in 0x80–0x9F. Written out rather than read from pdf-lib's transitive
 * `@pdf-lib/standard-fonts` dependency; a unit test checks it against the font's own set.
 */
const WIN_ANSI_EXTRAS = [
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
  0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x017e, 0x0178,
];

/** See {@link WIN_ANSI_EXTRAS}. Exported for tests. */
export const WIN_ANSI_CODE_POINTS: ReadonlySet<number> = new Set<number>([
  ...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => 0x20 + i),
  ...Array.from({ length: 0xff - 0xa0 + 1 }, (_, i) => 0xa0 + i),
  ...WIN_ANSI_EXTRAS,
]);

/**
 * Letters that Unicode decomposition does not reduce to an ASCII base (ł is not "l + mark"),
 * and punctuation look-alikes. The common Central European cases matter for names of citizens
 * resident abroad.
 */
const SPECIAL_LETTERS: Record<string, string> = {
  ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ı: 'i', ħ: 'h', Ħ: 'H', ŀ: 'l', Ŀ: 'L', ŋ: 'n', Ŋ: 'N',
  ĸ: 'k', ſ: 's', ẞ: 'SS', ə: 'e', Ə: 'E', ĳ: 'ij', Ĳ: 'IJ', ŉ: "'n",
  '‐': '-', '‑': '-', '‒': '-', '−': '-', '―': '-', '⁃': '-',
  '′': "'", '″': '"', '‛': "'", '‟': '"', '⁄': '/', '∕': '/',
};

/** A basic Cyrillic and Greek transliteration (ICAO 9303 style), for names given in script. */
const SCRIPT_LETTERS: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', ґ: 'g', д: 'd', ђ: 'd', е: 'e', ё: 'e', є: 'ie', ж: 'zh',
  з: 'z', и: 'i', і: 'i', ї: 'i', й: 'i', ј: 'j', к: 'k', л: 'l', љ: 'lj', м: 'm', н: 'n',
  њ: 'nj', о: 'o', п: 'p', р: 'r', с: 's', т: 't', ћ: 'c', у: 'u', ў: 'u', ф: 'f', х: 'kh',
  ц: 'ts', ч: 'ch', џ: 'dz', ш: 'sh', щ: 'shch', ъ: 'ie', ы: 'y', ь: '', э: 'e', ю: 'iu',
  я: 'ia',
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l',
  μ: 'm', ν: 'n', ξ: 'x', ο: 'o', π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f',
  χ: 'ch', ψ: 'ps', ω: 'o',
};

function transliterateScript(ch: string): string | undefined {
  const lower = ch.toLowerCase();
  const mapped = SCRIPT_LETTERS[lower];
  if (mapped === undefined) return undefined;
  // Keep the case of the source letter: "Ж" → "Zh", "ж" → "zh".
  return lower === ch || mapped === '' ? mapped : mapped.charAt(0).toUpperCase() + mapped.slice(1);
}

/** One code point (already known not to be WinAnsi) mapped to WinAnsi text, or "?" if hopeless. */
function fallbackFor(ch: string): string {
  const special = SPECIAL_LETTERS[ch] ?? transliterateScript(ch);
  if (special !== undefined) return special;
  // Compatibility decomposition handles accents outside Latin-1 ("ő" → "o"), ligatures
  // ("ﬁ" → "fi"), full-width forms and the like; the combining marks are then dropped.
  const decomposed = ch.normalize('NFKD').replace(/\p{M}/gu, '');
  if (decomposed !== '' && decomposed !== ch) {
    let out = '';
    for (const part of decomposed) {
      const code = part.codePointAt(0) ?? 0;
      if (WIN_ANSI_CODE_POINTS.has(code)) out += part;
      else out += SPECIAL_LETTERS[part] ?? transliterateScript(part) ?? '?';
    }
    return out;
  }
  return '?';
}

/**
 * Makes a string drawable with pdf-lib's standard fonts (WinAnsi encoding).
 *
 * Italian and most Western European letters (à è é ì ò ù, ä ö ü ñ ç ß, € « » – …) pass through
 * unchanged. Other letters are transliterated (ł → l, ő → o, ș → s, Cyrillic and Greek to Latin),
 * invisible format characters are removed, any whitespace (including line breaks) becomes one
 * space, and whatever is left (emoji, CJK) becomes "?". Never throws.
 */
export function toWinAnsi(text: string): string {
  // Printable ASCII (nearly every string of a letter) is WinAnsi already: nothing to do.
  if (PRINTABLE_ASCII.test(text)) return text;
  // NFC first, so that "e" + combining grave is recognised as the WinAnsi letter "è".
  const input = text.normalize('NFC');
  let out = '';
  for (const ch of input) {
    const c = ch.charCodeAt(0);
    if (c >= 0x21 && c <= 0x7e) {
      out += ch;
      continue;
    }
    // Format characters (soft hyphen, zero-width space and joiners, bidi marks, BOM) carry no
    // visible letter: drop them. Checked before whitespace because JS counts the BOM as space.
    if (/\p{Cf}/u.test(ch)) continue;
    if (/\s/u.test(ch)) {
      out += ' ';
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    if (WIN_ANSI_CODE_POINTS.has(code)) {
      out += ch;
      continue;
    }
    // Other control characters and stray combining marks: nothing to print either.
    if (/[\p{Cc}\p{M}]/u.test(ch)) continue;
    out += fallbackFor(ch);
  }
  return out;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Wrapped lines by font, size, width and text. Most text of a form is the same on every copy
 * (the body of a letter, the notes of a form), and measuring it word by word with kerning is
 * most of what rendering costs: each process measures a given paragraph once.
 */
const wrapped = new Map<string, readonly string[]>();
const WRAP_CACHE_LIMIT = 2_000;

/**
 * Greedy word wrap for one font and size. Explicit "\n" starts a new line; a single word wider
 * than `maxWidth` (a long e-mail address, say) is split across lines rather than overflowing.
 * The returned lines are already WinAnsi-safe.
 */
export function wrapText(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
  const key = `${font.name}\u0000${size}\u0000${maxWidth}\u0000${text}`;
  const known = wrapped.get(key);
  if (known) return [...known];
  const lines = measureAndWrap(text, font, size, maxWidth);
  // Names and addresses vary per letter: a full cache starts again rather than growing.
  if (wrapped.size >= WRAP_CACHE_LIMIT) wrapped.clear();
  wrapped.set(key, lines);
  return [...lines];
}

function measureAndWrap(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  const fits = (s: string): boolean => font.widthOfTextAtSize(s, size) <= maxWidth;
  for (const rawParagraph of text.split(/\r?\n/)) {
    const words = toWinAnsi(rawParagraph).split(' ').filter((w) => w !== '');
    let line = '';
    for (const word of words) {
      const candidate = line === '' ? word : `${line} ${word}`;
      if (fits(candidate)) {
        line = candidate;
        continue;
      }
      if (line !== '') lines.push(line);
      // Hard-split a word that does not fit on a line of its own. At least one character per
      // line, so that even an absurdly narrow width terminates (and overflows visibly).
      let rest = word;
      while (rest.length > 1 && !fits(rest)) {
        let cut = rest.length - 1;
        while (cut > 1 && !fits(rest.slice(0, cut))) cut -= 1;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}

/** Largest font size, from `preferred` down to `minimum`, at which `text` fits in `maxWidth`. */
function fitFontSize(
  text: string,
  font: PDFFont,
  maxWidth: number,
  preferred: number,
  minimum = 6,
): number {
  let size = preferred;
  while (size > minimum && font.widthOfTextAtSize(toWinAnsi(text), size) > maxWidth) size -= 0.5;
  return size;
}

// ---------------------------------------------------------------------------------------------
// Input validation and dates
// ---------------------------------------------------------------------------------------------

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parses a calendar date `YYYY-MM-DD` to midnight UTC. Rejects impossible dates (2025-02-30)
 * with a validation {@link DomainError}, because a letter dated wrongly must not be posted.
 */
export function parseIsoDate(value: string, field: string): Date {
  const match = ISO_DATE.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!match || !date || date.toISOString().slice(0, 10) !== value) {
    throw validationError([
      {
        field,
        code: 'invalid_date',
        message: {
          it: 'La data deve essere nel formato AAAA-MM-GG.',
          en: 'The date must be in the format YYYY-MM-DD.',
        },
      },
    ]);
  }
  return date;
}

/**
 * Checks that a PIN part is exactly `length` printable ASCII characters without spaces.
 * The message deliberately never echoes the value: it is a secret and errors end up in logs.
 */
export function assertCode(value: string, length: number, field: string): void {
  if (value.length !== length || !/^[\x21-\x7e]+$/.test(value)) {
    throw validationError([
      {
        field,
        code: 'invalid_code',
        message: {
          it: `Il codice deve avere ${length} caratteri stampabili.`,
          en: `The code must have ${length} printable characters.`,
        },
      },
    ]);
  }
}

/** `2025-11-27` → `27 novembre 2025` (it) or `27 November 2025` (en). */
export function formatDateLong(iso: string, language: 'it' | 'en', field = 'date'): string {
  parseIsoDate(iso, field); // refuses anything but a real YYYY-MM-DD day
  return formatLongDate(iso, language);
}

/**
 * Dates shown in form fields use the Italian numeric style `DD/MM/YYYY`. Values that are not
 * ISO dates (a document issue date already typed as "12/03/2019") are shown as given, since a
 * form must still be printable for the clerk to correct by hand.
 */
export function displayDate(value: string): string {
  const match = ISO_DATE.exec(value);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : value;
}

// ---------------------------------------------------------------------------------------------
// Document set-up and saving
// ---------------------------------------------------------------------------------------------

/** The standard fonts every document uses. */
export interface FontSet {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
  mono: PDFFont;
  monoBold: PDFFont;
}

/** Metadata of a rendered document. Never put a PIN or personal data here. */
export interface DocumentMeta {
  title: string;
  subject: string;
  keywords: string[];
  /** `YYYY-MM-DD`: becomes both creation and modification date, for reproducible bytes. */
  date: string;
}

/**
 * Creates an empty document with fixed, input-derived metadata and the standard fonts.
 * `updateMetadata: false` stops pdf-lib from stamping the current time and its own producer.
 */
export async function createDocument(meta: DocumentMeta): Promise<{ doc: PDFDocument; fonts: FontSet }> {
  const when = parseIsoDate(meta.date, 'date');
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(meta.title, { showInWindowTitleBar: true });
  doc.setSubject(meta.subject);
  doc.setKeywords(meta.keywords);
  doc.setAuthor(AUTHOR);
  doc.setCreator(CREATOR);
  doc.setProducer(PRODUCER);
  doc.setLanguage('it-IT');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  const fonts: FontSet = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    italic: await doc.embedFont(StandardFonts.HelveticaOblique),
    mono: await doc.embedFont(StandardFonts.Courier),
    monoBold: await doc.embedFont(StandardFonts.CourierBold),
  };
  return { doc, fonts };
}

/**
 * Serialises the document. Field appearances are generated here explicitly with the regular
 * font; letting `save()` do it would embed a second copy of Helvetica as the form default.
 */
export async function saveDocument(doc: PDFDocument, fonts: FontSet, hasForm: boolean): Promise<Uint8Array> {
  if (hasForm) doc.getForm().updateFieldAppearances(fonts.regular);
  return doc.save({ useObjectStreams: true, updateFieldAppearances: false });
}

// ---------------------------------------------------------------------------------------------
// The page writer: a cursor that flows content down the page and onto new pages
// ---------------------------------------------------------------------------------------------

/** Font, size and colour of a run of text. */
export interface TextStyle {
  font: PDFFont;
  size: number;
  color?: RGB;
  /** Distance between baselines; defaults to 1.3 × size. */
  leading?: number;
}

/** A text field placed in a row by {@link PageWriter.fieldRow}. */
export interface FieldSpec {
  /** Stable AcroForm name: other systems read the filled-in form by these names. */
  name: string;
  label: Bilingual;
  value?: string;
  /** Relative width within the row (default 1). */
  flex?: number;
  /** Number of text lines; above 1 the field is multiline. */
  lines?: number;
}

/** A signature area placed by {@link PageWriter.signatureRow}. */
export interface SignatureSpec {
  label: Bilingual;
  /** When set, an empty AcroForm signature field of this name covers the box. */
  fieldName?: string;
  flex?: number;
}

/** Text density: `compact` trades a little size for fitting a form on one page. */
export type Density = 'normal' | 'compact';

const FIELD_HEIGHT = 18;
const FIELD_LABEL_SIZE = 7;
const FIELD_FONT_SIZE = 10;
const ROW_GAP = 6;
const MIN_LABEL_SIZE = 5;

/**
 * Flows content from the top of the page downwards, adding pages when the remaining space is
 * too small. Forms and letters are built as a sequence of calls on one writer, so that the
 * vertical arithmetic lives here and not in each template.
 *
 * Content is laid out within a horizontal region (`left`, `width`): the full content width by
 * default, or one column inside {@link PageWriter.columns}.
 */
export class PageWriter {
  /** Every page created so far, in order. */
  readonly pages: PDFPage[] = [];
  /** Current page. */
  page!: PDFPage;
  /** Top of the free space on the current page, in points from the bottom edge. */
  y = 0;
  /** Left edge of the current region. */
  left: number = MARGIN.left;
  /** Width of the current region. */
  width: number = CONTENT_WIDTH;
  /** Whether an AcroForm field was added (the document then needs field appearances). */
  hasForm = false;

  constructor(
    readonly doc: PDFDocument,
    readonly fonts: FontSet,
    /** Title repeated in the small header of continuation pages. */
    private readonly continuationTitle: string,
    readonly density: Density = 'normal',
  ) {
    this.addPage();
  }

  /** Default body style: Italian text. */
  get body(): TextStyle {
    return this.density === 'compact'
      ? { font: this.fonts.regular, size: 8.8, color: COLORS.text, leading: 11.3 }
      : { font: this.fonts.regular, size: 9.5, color: COLORS.text, leading: 12.5 };
  }

  /** Default style for the English translation, set apart in italics. */
  get translation(): TextStyle {
    return this.density === 'compact'
      ? { font: this.fonts.italic, size: 8.3, color: COLORS.muted, leading: 10.7 }
      : { font: this.fonts.italic, size: 9, color: COLORS.muted, leading: 11.8 };
  }

  /** Starts a new page; continuation pages get a one-line header instead of the letterhead. */
  addPage(): PDFPage {
    this.page = this.doc.addPage([A4.width, A4.height]);
    this.pages.push(this.page);
    this.y = A4.height - MARGIN.top;
    if (this.pages.length > 1) {
      this.drawText(`INPS – ${this.continuationTitle}`, MARGIN.left, this.y - 8, {
        font: this.fonts.bold,
        size: 8,
        color: COLORS.brand,
      });
      this.y -= 20;
    }
    return this.page;
  }

  /** Makes sure `height` points are free below the cursor, starting a new page if not. */
  ensureSpace(height: number): void {
    if (this.y - height < MARGIN.bottom) this.addPage();
  }

  /** Moves the cursor down. */
  gap(points: number): void {
    this.y -= points;
  }

  /**
   * Lays out side-by-side columns sharing the current region in proportion to `flex`, each
   * starting at the current cursor; afterwards the cursor is below the tallest column.
   * `height` is reserved up front, because a page break inside one column would tear the
   * row apart: callers give an upper bound of what the columns draw.
   */
  columns(height: number, specs: { flex?: number; draw: () => void }[], gutter = 16): void {
    this.ensureSpace(height);
    const saved = { left: this.left, width: this.width };
    const top = this.y;
    const totalFlex = specs.reduce((sum, s) => sum + (s.flex ?? 1), 0);
    const usable = saved.width - gutter * (specs.length - 1);
    let x = saved.left;
    let lowest = top;
    for (const spec of specs) {
      this.left = x;
      this.width = (usable * (spec.flex ?? 1)) / totalFlex;
      this.y = top;
      spec.draw();
      lowest = Math.min(lowest, this.y);
      x += this.width + gutter;
    }
    this.left = saved.left;
    this.width = saved.width;
    this.y = lowest;
  }

  /** Draws one line of sanitised text at an absolute position (baseline). */
  drawText(text: string, x: number, y: number, style: TextStyle): void {
    this.page.drawText(toWinAnsi(text), {
      x,
      y,
      font: style.font,
      size: style.size,
      color: style.color ?? COLORS.text,
    });
  }

  /** Width of "Italian / English" with the Italian part in `itFont` and the rest in italics. */
  bilingualWidth(label: Bilingual, size: number, itFont: PDFFont): number {
    return (
      itFont.widthOfTextAtSize(toWinAnsi(label.it), size) +
      this.fonts.italic.widthOfTextAtSize(toWinAnsi(` / ${label.en}`), size)
    );
  }

  /**
   * Draws "Italian / English" on one line at an absolute baseline, the Italian part in
   * `itFont` and the English part in italics. With `maxWidth`, the size shrinks (down to
   * 5 pt) so that a long label never runs past its field or the margin. Returns the width.
   */
  drawBilingualLine(
    label: Bilingual,
    x: number,
    y: number,
    size: number,
    itFont: PDFFont,
    color: RGB = COLORS.text,
    maxWidth?: number,
  ): number {
    let fitted = size;
    while (maxWidth !== undefined && fitted > MIN_LABEL_SIZE && this.bilingualWidth(label, fitted, itFont) > maxWidth) {
      fitted -= 0.25;
    }
    const it = toWinAnsi(label.it);
    const en = toWinAnsi(` / ${label.en}`);
    this.page.drawText(it, { x, y, font: itFont, size: fitted, color });
    const itWidth = itFont.widthOfTextAtSize(it, fitted);
    this.page.drawText(en, { x: x + itWidth, y, font: this.fonts.italic, size: fitted, color: COLORS.muted });
    return itWidth + this.fonts.italic.widthOfTextAtSize(en, fitted);
  }

  /**
   * A caption under a box: on one line when it fits, otherwise Italian on the first line and
   * English on the second. Returns the number of lines used.
   */
  private caption(label: Bilingual, x: number, y: number, size: number, maxWidth: number): number {
    if (this.bilingualWidth(label, size, this.fonts.regular) <= maxWidth) {
      this.drawBilingualLine(label, x, y, size, this.fonts.regular, COLORS.muted);
      return 1;
    }
    this.drawText(label.it, x, y, { font: this.fonts.regular, size: fitFontSize(label.it, this.fonts.regular, maxWidth, size), color: COLORS.muted });
    this.drawText(label.en, x, y - size * 1.25, {
      font: this.fonts.italic,
      size: fitFontSize(label.en, this.fonts.italic, maxWidth, size),
      color: COLORS.muted,
    });
    return 2;
  }

  /** A wrapped paragraph across the current region (indented by `indent`). */
  paragraph(text: string, style: TextStyle = this.body, indent = 0): void {
    const leading = style.leading ?? style.size * 1.3;
    for (const line of wrapText(text, style.font, style.size, this.width - indent)) {
      this.ensureSpace(leading);
      this.y -= leading;
      this.drawText(line, this.left + indent, this.y + (leading - style.size) * 0.6, style);
    }
  }

  /** One line centred in the current region (shrunk if it would not fit). */
  centredLine(text: string, style: TextStyle): void {
    const clean = toWinAnsi(text);
    const size = fitFontSize(clean, style.font, this.width, style.size);
    const leading = style.leading ?? size * 1.3;
    this.ensureSpace(leading);
    this.y -= leading;
    const width = style.font.widthOfTextAtSize(clean, size);
    this.drawText(clean, this.left + (this.width - width) / 2, this.y + (leading - size) * 0.6, { ...style, size });
  }

  /** The Italian paragraph followed by its English translation in italics. */
  bilingualParagraph(text: Bilingual, after = 7): void {
    this.paragraph(text.it, this.body);
    this.gap(2);
    this.paragraph(text.en, this.translation);
    this.gap(after);
  }

  /**
   * Italian paragraphs, then the English ones: a letter reads as two complete versions, each
   * with its own salutation when `greeting` is given.
   */
  bilingualBlocks(paragraphs: Bilingual[], greeting?: Bilingual): void {
    if (greeting) {
      this.paragraph(greeting.it, this.body);
      this.gap(4);
    }
    for (const p of paragraphs) {
      this.paragraph(p.it, this.body);
      this.gap(5);
    }
    this.gap(3);
    if (greeting) {
      this.paragraph(greeting.en, this.translation);
      this.gap(4);
    }
    for (const p of paragraphs) {
      this.paragraph(p.en, this.translation);
      this.gap(5);
    }
  }

  /** A numbered list, each item bilingual, with a hanging indent. */
  numberedList(items: Bilingual[]): void {
    const body = this.body;
    items.forEach((item, index) => {
      this.ensureSpace(3 * (body.leading ?? 12));
      const baseline = this.y - (body.leading ?? 12) + ((body.leading ?? 12) - body.size) * 0.6;
      this.drawText(`${index + 1}.`, this.left + 2, baseline, { font: this.fonts.bold, size: body.size });
      this.paragraph(item.it, body, 16);
      this.gap(1);
      this.paragraph(item.en, this.translation, 16);
      this.gap(this.density === 'compact' ? 3 : 5);
    });
  }

  /** Document title: large Italian line, English line below, both wrapped. */
  title(text: Bilingual): void {
    this.paragraph(text.it, { font: this.fonts.bold, size: 13.5, color: COLORS.brand, leading: 17 });
    this.paragraph(text.en, { font: this.fonts.italic, size: 10.5, color: COLORS.muted, leading: 14 });
    this.gap(this.density === 'compact' ? 4 : 8);
  }

  /** Section heading "Italiano / English" with a thin rule below it. */
  heading(text: Bilingual): void {
    this.ensureSpace(60); // never leave a heading alone at the foot of a page
    this.y -= 13;
    this.drawBilingualLine(text, this.left, this.y, 9.5, this.fonts.bold, COLORS.brand, this.width);
    this.y -= 4;
    this.page.drawLine({
      start: { x: this.left, y: this.y },
      end: { x: this.left + this.width, y: this.y },
      thickness: 0.6,
      color: COLORS.brand,
    });
    this.y -= 6;
  }

  /**
   * A row of labelled, fillable text fields sharing the current region in proportion to
   * `flex`. Values are sanitised, and the font shrinks (down to 6 pt) when a value would not
   * fit; labels shrink to the width of their field.
   */
  fieldRow(specs: FieldSpec[]): PDFTextField[] {
    const form = this.doc.getForm();
    this.hasForm = true;
    const maxLines = Math.max(...specs.map((s) => s.lines ?? 1));
    const rowHeight = FIELD_LABEL_SIZE + 3 + FIELD_HEIGHT + (maxLines - 1) * 11 + ROW_GAP;
    this.ensureSpace(rowHeight);
    const gutter = 8;
    const totalFlex = specs.reduce((sum, s) => sum + (s.flex ?? 1), 0);
    const usable = this.width - gutter * (specs.length - 1);
    let x = this.left;
    const fields: PDFTextField[] = [];
    for (const spec of specs) {
      const width = (usable * (spec.flex ?? 1)) / totalFlex;
      const lines = spec.lines ?? 1;
      const height = FIELD_HEIGHT + (lines - 1) * 11;
      const labelY = this.y - FIELD_LABEL_SIZE;
      this.drawBilingualLine(spec.label, x, labelY, FIELD_LABEL_SIZE, this.fonts.regular, COLORS.muted, width);
      const field = form.createTextField(spec.name);
      const value = toWinAnsi(spec.value ?? '');
      if (lines > 1) field.enableMultiline();
      if (value !== '') field.setText(value);
      field.addToPage(this.page, {
        x,
        y: labelY - 3 - height,
        width,
        height,
        font: this.fonts.regular,
        textColor: COLORS.text,
        backgroundColor: COLORS.fieldBackground,
        borderColor: COLORS.rule,
        borderWidth: 0.8,
      });
      // The size goes into /DA, which only exists once the widget is added. A fixed size (not
      // pdf-lib's auto size) keeps all fields alike; long values shrink to stay readable.
      field.setFontSize(lines > 1 ? this.multilineFontSize(value, width - 6, lines) : fitFontSize(value, this.fonts.regular, width - 6, FIELD_FONT_SIZE));
      fields.push(field);
      x += width + gutter;
    }
    this.y -= rowHeight;
    return fields;
  }

  /** Largest size (9 pt down to 6 pt) at which `value` wraps into at most `lines` lines. */
  private multilineFontSize(value: string, width: number, lines: number): number {
    let size = 9;
    // pdf-lib lays out multiline fields with a line height of about 1.2 × size; the field
    // grows by 11 pt per extra line, so smaller sizes may also fit an extra line.
    const capacity = (s: number): number => Math.max(lines, Math.floor((FIELD_HEIGHT + (lines - 1) * 11 - 4) / (s * 1.2)));
    while (size > 6 && wrapText(value, this.fonts.regular, size, width).length > capacity(size)) size -= 0.5;
    return size;
  }

  /**
   * A row of framed signature boxes with bilingual captions below. A box with `fieldName`
   * also gets an empty AcroForm signature field, so the form can be signed digitally as well
   * as by hand after printing.
   */
  signatureRow(specs: SignatureSpec[], boxHeight = 52): void {
    const captionSize = 7.5;
    this.ensureSpace(boxHeight + 6 + 2 * captionSize * 1.25);
    const gutter = 16;
    const totalFlex = specs.reduce((sum, s) => sum + (s.flex ?? 1), 0);
    const usable = this.width - gutter * (specs.length - 1);
    let x = this.left;
    let captionLines = 1;
    for (const spec of specs) {
      const width = (usable * (spec.flex ?? 1)) / totalFlex;
      const bottom = this.y - boxHeight;
      this.page.drawRectangle({
        x,
        y: bottom,
        width,
        height: boxHeight,
        borderColor: COLORS.rule,
        borderWidth: 0.8,
        color: COLORS.white,
      });
      // A baseline to sign on, as on paper forms.
      this.page.drawLine({
        start: { x: x + 10, y: bottom + 12 },
        end: { x: x + width - 10, y: bottom + 12 },
        thickness: 0.5,
        color: COLORS.rule,
      });
      captionLines = Math.max(captionLines, this.caption(spec.label, x, bottom - 10, captionSize, width));
      if (spec.fieldName) this.addSignatureField(spec.fieldName, x, bottom, width, boxHeight);
      x += width + gutter;
    }
    this.y -= boxHeight + 8 + captionLines * captionSize * 1.25;
  }

  /**
   * pdf-lib has no API to create signature fields, so the merged field/widget dictionary is
   * built by hand: /FT /Sig without /V is an unsigned signature field, which viewers offer
   * to sign. An empty appearance stream keeps strict viewers from complaining.
   */
  private addSignatureField(name: string, x: number, y: number, width: number, height: number): void {
    const form = this.doc.getForm();
    this.hasForm = true;
    const context = this.doc.context;
    const appearance = context.register(context.formXObject([], { BBox: [0, 0, width, height] }));
    const widget = context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFString.of(name),
      Rect: [x, y, x + width, y + height],
      F: 4, // print
      P: this.page.ref,
      AP: { N: appearance },
    });
    const ref = context.register(widget);
    this.page.node.addAnnot(ref);
    form.acroForm.addField(ref);
  }

  /**
   * A framed box holding a code (PIN characters) in large monospace letters, one per cell,
   * with the character positions printed under the cells (e.g. 9–16 for the second half of a
   * 16-character PIN), so that the citizen knows where the characters go.
   */
  codeBox(label: Bilingual, code: string, firstPosition = 1): void {
    const cell = 36;
    const chars = [...toWinAnsi(code)];
    const boxWidth = chars.length * cell + 24;
    const boxHeight = cell + 26;
    this.ensureSpace(boxHeight + 30);
    const labelY = this.y - 11;
    const x0 = this.left + (this.width - boxWidth) / 2;
    const labelWidth = this.bilingualWidth(label, 10, this.fonts.bold);
    this.drawBilingualLine(label, this.left + (this.width - labelWidth) / 2, labelY, 10, this.fonts.bold, COLORS.brand);
    const top = labelY - 8;
    const bottom = top - boxHeight;
    this.page.drawRectangle({
      x: x0,
      y: bottom,
      width: boxWidth,
      height: boxHeight,
      color: COLORS.panel,
      borderColor: COLORS.brand,
      borderWidth: 1.5,
    });
    const size = 24;
    chars.forEach((ch, i) => {
      const cx = x0 + 12 + i * cell;
      this.page.drawRectangle({
        x: cx + 2,
        y: bottom + 18,
        width: cell - 4,
        height: cell,
        color: COLORS.white,
        borderColor: COLORS.rule,
        borderWidth: 0.6,
      });
      const w = this.fonts.monoBold.widthOfTextAtSize(ch, size);
      this.page.drawText(ch, { x: cx + (cell - w) / 2, y: bottom + 27, font: this.fonts.monoBold, size, color: COLORS.text });
    });
    // Positions after all characters, so that text extraction keeps the code contiguous.
    chars.forEach((_, i) => {
      const n = String(firstPosition + i);
      const w = this.fonts.regular.widthOfTextAtSize(n, 6.5);
      this.page.drawText(n, {
        x: x0 + 12 + i * cell + (cell - w) / 2,
        y: bottom + 7,
        font: this.fonts.regular,
        size: 6.5,
        color: COLORS.muted,
      });
    });
    this.y = bottom - 12;
  }

  /** Label/value pairs in two aligned columns (static text, e.g. holder details). */
  detailsTable(rows: { label: Bilingual; value: string }[]): void {
    const labelWidth = mm(62);
    for (const row of rows) {
      const valueLines = wrapText(row.value, this.fonts.bold, 10, this.width - labelWidth);
      const height = Math.max(1, valueLines.length) * 13 + 3;
      this.ensureSpace(height);
      this.drawBilingualLine(row.label, this.left, this.y - 10, 8, this.fonts.regular, COLORS.muted, labelWidth - 6);
      valueLines.forEach((line, i) => {
        this.drawText(line, this.left + labelWidth, this.y - 10 - i * 13, { font: this.fonts.bold, size: 10 });
      });
      this.y -= height;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fixed-position elements
// ---------------------------------------------------------------------------------------------

/**
 * The institute letterhead at the top of the first page; leaves the writer's cursor under it.
 * `reference` and `date` (already formatted) are printed on the right when given.
 */
export function drawLetterhead(w: PageWriter, right?: { reference: string; date?: string }): void {
  const top = A4.height - MARGIN.top;
  const logoSize = 24;
  w.drawText('INPS', MARGIN.left, top - logoSize + 4, { font: w.fonts.bold, size: logoSize, color: COLORS.brand });
  const textX = MARGIN.left + w.fonts.bold.widthOfTextAtSize('INPS', logoSize) + 10;
  w.page.drawLine({
    start: { x: textX - 5, y: top + 2 },
    end: { x: textX - 5, y: top - 28 },
    thickness: 0.8,
    color: COLORS.brand,
  });
  w.drawText(INSTITUTE.senderLine, textX, top - 6, { font: w.fonts.bold, size: 8.5, color: COLORS.brand });
  w.drawText(INSTITUTE.address, textX, top - 16, { font: w.fonts.regular, size: 7, color: COLORS.muted });
  w.drawText(INSTITUTE.contacts, textX, top - 25, { font: w.fonts.regular, size: 7, color: COLORS.muted });
  if (right) {
    const rightEdge = A4.width - MARGIN.right;
    const ref = toWinAnsi(`Rif. / Ref. ${right.reference}`);
    const size = fitFontSize(ref, w.fonts.bold, mm(45), 8);
    w.drawText(ref, rightEdge - w.fonts.bold.widthOfTextAtSize(ref, size), top - 6, { font: w.fonts.bold, size });
    if (right.date) {
      const date = toWinAnsi(right.date);
      w.drawText(date, rightEdge - w.fonts.regular.widthOfTextAtSize(date, 8), top - 16, { font: w.fonts.regular, size: 8 });
    }
  }
  w.page.drawLine({
    start: { x: MARGIN.left, y: top - 34 },
    end: { x: A4.width - MARGIN.right, y: top - 34 },
    thickness: 1.2,
    color: COLORS.brand,
  });
  w.y = top - 44;
}

/**
 * Where the recipient address must sit to show through the window of the Italian standard
 * window envelope (110 × 230 mm, window 100 × 45 mm on the right) once the A4 sheet is
 * folded in three: the window spans roughly x 100–200 mm and y 45–95 mm of the sheet.
 * The block is kept 5 mm inside that area on every side to allow for folding tolerance.
 */
export const ADDRESS_WINDOW = { left: mm(105), top: mm(48), width: mm(88), height: mm(40) } as const;

/**
 * The recipient address block for a window envelope: a small return-address line (as postal
 * services expect), then the lines of the address, then the country in capitals for mail
 * abroad. The font shrinks if the address has many lines, so it never leaves the window.
 */
export function drawAddressBlock(
  w: PageWriter,
  recipient: { fullName: string; addressLines: string[]; country: string },
): void {
  const { left, top, width, height } = ADDRESS_WINDOW;
  const returnY = A4.height - top - 7;
  const returnText = toWinAnsi(INSTITUTE.returnAddress);
  const returnSize = fitFontSize(returnText, w.fonts.regular, width, 6.5, 5);
  w.drawText(returnText, left, returnY, { font: w.fonts.regular, size: returnSize, color: COLORS.muted });
  w.page.drawLine({
    start: { x: left, y: returnY - 2.5 },
    end: { x: left + w.fonts.regular.widthOfTextAtSize(returnText, returnSize), y: returnY - 2.5 },
    thickness: 0.4,
    color: COLORS.muted,
  });
  const country = toWinAnsi(recipient.country).trim().toUpperCase();
  // Mail posted inside Italy carries no country line; everything else must name the country.
  const domestic = ['', 'ITALIA', 'ITALY', 'IT', 'ITA'].includes(country);
  const raw = [recipient.fullName, ...recipient.addressLines, ...(domestic ? [] : [country])].filter(
    (l) => l.trim() !== '',
  );
  const available = height - 14;
  let size = 10.5;
  let lines: string[] = [];
  for (; size >= 6; size -= 0.5) {
    lines = raw.flatMap((l) => wrapText(l, w.fonts.regular, size, width));
    if (lines.length * size * 1.25 <= available) break;
  }
  // Nothing fitted even at 6 pt (an absurd address): print at 6 pt, the lines wrapped for it.
  size = Math.max(size, 6);
  let y = returnY - 6 - size * 1.25;
  for (const [i, line] of lines.entries()) {
    // The name line in bold helps the postal sorter and the citizen alike.
    w.drawText(line, left, y, { font: i === 0 ? w.fonts.bold : w.fonts.regular, size });
    y -= size * 1.25;
  }
}

/**
 * Short ticks on the left edge where the sheet is folded in three (99 and 198 mm from the
 * top), so that the address lands in the envelope window.
 */
export function drawFoldMarks(w: PageWriter): void {
  for (const fromTop of [mm(99), mm(198)]) {
    const y = A4.height - fromTop;
    w.page.drawLine({ start: { x: mm(4), y }, end: { x: mm(9), y }, thickness: 0.5, color: COLORS.rule });
  }
}

/**
 * Draws the footer on every page: reference on the left, "Pagina i di n / Page i of n" on the
 * right. Called last, when the number of pages is known.
 */
export function drawFooters(w: PageWriter, reference: string): void {
  const total = w.pages.length;
  w.pages.forEach((page, index) => {
    const y = mm(10);
    page.drawLine({
      start: { x: MARGIN.left, y: y + 9 },
      end: { x: A4.width - MARGIN.right, y: y + 9 },
      thickness: 0.5,
      color: COLORS.rule,
    });
    const left = toWinAnsi(`INPS – Servizio PIN · Rif. / Ref. ${reference}`);
    const size = fitFontSize(left, w.fonts.regular, CONTENT_WIDTH - mm(45), 7, 5);
    page.drawText(left, { x: MARGIN.left, y, font: w.fonts.regular, size, color: COLORS.muted });
    const right = `Pagina ${index + 1} di ${total} / Page ${index + 1} of ${total}`;
    const rw = w.fonts.regular.widthOfTextAtSize(right, 7);
    page.drawText(right, { x: A4.width - MARGIN.right - rw, y, font: w.fonts.regular, size: 7, color: COLORS.muted });
  });
}
