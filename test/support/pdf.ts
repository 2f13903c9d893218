/**
 * Test helpers for reading back PDFs: text through pdf.js (as a viewer or screen reader sees
 * it), form field values through pdf-lib (as a program filling or reading the form sees them),
 * and a PNG of the first page through poppler's `pdftoppm` (for a human to look at).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PDFCheckBox, PDFDocument, PDFDropdown, PDFOptionList, PDFRadioGroup, PDFTextField } from 'pdf-lib';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

/** pdf.js wants the standard font metrics as a URL ending in "/" when fonts are not embedded. */
const standardFontDataUrl = pathToFileURL(
  path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + path.sep,
).href;

/**
 * Extracts the text of every page with the pdf.js legacy build (the one meant for Node).
 * Text runs are joined with a space, lines and pages with a newline.
 */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js transfers (detaches) the buffer it is given: pass a copy so the caller's stays usable.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    standardFontDataUrl,
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : ' ');
      }
      pages.push(text);
    }
    return pages.join('\n');
  } finally {
    await task.destroy();
  }
}

/** One run of text with its position in PDF points (origin bottom-left, baseline `y`). */
export interface PdfTextItem {
  page: number;
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The positioned text runs of every page, for layout assertions (text inside the margins, the
 * address inside the envelope window) and page sizes, via the pdf.js legacy build.
 */
export async function pdfTextItems(bytes: Uint8Array): Promise<{ pages: { width: number; height: number }[]; items: PdfTextItem[] }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(bytes), standardFontDataUrl, useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    const pages: { width: number; height: number }[] = [];
    const items: PdfTextItem[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = page.view;
      pages.push({ width: x1 - x0, height: y1 - y0 });
      const content = await page.getTextContent();
      for (const item of content.items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        items.push({ page: n, str: item.str, x: item.transform[4], y: item.transform[5], width: item.width, height: item.height });
      }
    }
    return { pages, items };
  } finally {
    await task.destroy();
  }
}

/**
 * Reads the AcroForm fields with pdf-lib: text fields give their text ('' when empty),
 * check boxes 'On'/'Off', choices the selected options joined by ', ', signature fields ''
 * (their presence is what matters).
 */
export async function pdfFields(bytes: Uint8Array): Promise<Record<string, string>> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const out: Record<string, string> = {};
  for (const field of doc.getForm().getFields()) {
    const name = field.getName();
    if (field instanceof PDFTextField) out[name] = field.getText() ?? '';
    else if (field instanceof PDFCheckBox) out[name] = field.isChecked() ? 'On' : 'Off';
    else if (field instanceof PDFDropdown || field instanceof PDFOptionList) out[name] = field.getSelected().join(', ');
    else if (field instanceof PDFRadioGroup) out[name] = field.getSelected() ?? '';
    else out[name] = '';
  }
  return out;
}

/**
 * Renders the first page to `${outPathPrefix}.png` (the PDF itself is kept next to it as
 * `${outPathPrefix}.pdf`, useful when a rendering looks wrong). Returns the PNG path, or null
 * when `pdftoppm` (Debian package poppler-utils) is not installed, so that tests can skip
 * only this step.
 */
export async function renderPng(bytes: Uint8Array, outPathPrefix: string, dpi = 110): Promise<string | null> {
  try {
    await execFileAsync('pdftoppm', ['-v']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // `pdftoppm -v` exits 0 on recent poppler and 99 on old ones: anything but ENOENT means
    // the binary exists.
  }
  await mkdir(path.dirname(outPathPrefix), { recursive: true });
  const pdfPath = `${outPathPrefix}.pdf`;
  await writeFile(pdfPath, bytes);
  await execFileAsync('pdftoppm', ['-png', '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', pdfPath, outPathPrefix]);
  return `${outPathPrefix}.png`;
}
