/**
 * Checks on an uploaded file before anything is stored: size, malware, file name, and the
 * agreement of three things that must all name the same allowed type — the declared
 * Content-Type, the file name's extension and the content's magic bytes. Pure functions over
 * the bytes and headers (no I/O); services/conversion/documents.ts stores what passes and quarantines what
 * carries malware. Every refusal is a `DomainError` with a bilingual message and the field at
 * fault. See docs/decisions/0010-uploads-and-document-storage.md.
 */
import { createHash } from 'node:crypto';
import { fieldIssue, DomainError, ErrorType, validationError, type Bilingual } from './errors';

/** The media types a citizen or the fax gateway may send. */
export const UPLOAD_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;

export type UploadMediaType = (typeof UPLOAD_MEDIA_TYPES)[number];

/** At most 10 MB per file (a scanned A4 page at 300 dpi is well under 2 MB). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** At most this many characters in an uploaded file name (most file systems allow 255 bytes). */
const MAX_FILENAME_LENGTH = 200;

const EXTENSIONS: Readonly<Record<string, UploadMediaType>> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

const MAGIC: readonly { type: UploadMediaType; bytes: Buffer }[] = [
  { type: 'application/pdf', bytes: Buffer.from('%PDF-', 'latin1') },
  { type: 'image/jpeg', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
  { type: 'image/png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
];

/**
 * Signatures the built-in scanner looks for. The EICAR test string is assembled from pieces so
 * this source file does not itself trip an antivirus. The scanner is a stand-in for a real
 * engine (clamd) behind the same function shape.
 */
const SIGNATURES: readonly { name: string; bytes: Buffer }[] = [
  {
    name: 'EICAR-Test-File',
    bytes: Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!', '$H+H*'].join(''), 'latin1'),
  },
];

/** A file that passed every check, ready to be stored. */
export interface AcceptedUpload {
  verdict: 'accepted';
  bytes: Buffer;
  mediaType: UploadMediaType;
  /** The uploader's name, checked safe (no path, no control characters); for display only. */
  displayName: string;
  sizeBytes: number;
  sha256: Buffer;
}

/** A file that carried malware: kept apart for the security team, never attached. */
export interface QuarantinedUpload {
  verdict: 'quarantine';
  bytes: Buffer;
  reason: string;
  sizeBytes: number;
  sha256: Buffer;
}

export type UploadCheck = AcceptedUpload | QuarantinedUpload;

/** What an upload request carried, before any check. */
export interface RawUpload {
  bytes: Buffer;
  /** The declared Content-Type header, parameters included, as sent. */
  contentType: string | undefined;
  /** The file name from the `filename` query parameter or the `X-Filename` header. */
  filename: unknown;
}


const ALLOWED_TEXT: Bilingual = {
  it: 'Sono ammessi solo file PDF, JPEG o PNG (estensione .pdf, .jpg, .jpeg o .png).',
  en: 'Only PDF, JPEG or PNG files are accepted (extension .pdf, .jpg, .jpeg or .png).',
};

/** 413 with the limit spelled out; also used for body-parser's own refusal of a large body. */
export function uploadTooLargeError(): DomainError {
  return new DomainError(
    ErrorType.PayloadTooLarge,
    { it: 'Il file supera la dimensione massima di 10 MB.', en: 'The file is larger than the 10 MB limit.' },
    [fieldIssue('body', 'too_large', 'Massimo 10 MB per file.', 'At most 10 MB per file.')],
    { maxBytes: MAX_UPLOAD_BYTES },
  );
}

export function unsupportedType(field: string, code: string, it: string, en: string): DomainError {
  return new DomainError(
    ErrorType.UnsupportedMediaType,
    { it: `Tipo di file non ammesso. ${ALLOWED_TEXT.it}`, en: `File type not accepted. ${ALLOWED_TEXT.en}` },
    [fieldIssue(field, code, it, en)],
  );
}

/** 422 for an upload that was quarantined: the citizen is told plainly and nothing is attached. */
export function quarantinedError(): DomainError {
  return new DomainError(
    ErrorType.Unprocessable,
    {
      it:
        'Il file contiene un virus o un contenuto pericoloso ed è stato bloccato: non è stato allegato alla richiesta. ' +
        'Controlla il file con un antivirus e carica una copia pulita del documento.',
      en:
        'The file contains a virus or harmful content and has been blocked: it was not attached to the request. ' +
        'Please check the file with an antivirus program and upload a clean copy of the document.',
    },
    [fieldIssue('body', 'malware_detected', 'Il file è stato messo in quarantena.', 'The file has been quarantined.')],
    { reason: 'QUARANTINED' },
  );
}

/** The declared media type without parameters, lower case; undefined when absent. */
export function declaredMediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

/** The allowed type the content's first bytes announce, if any. */
export function sniffMediaType(bytes: Buffer): UploadMediaType | undefined {
  return MAGIC.find((m) => bytes.length >= m.bytes.length && bytes.subarray(0, m.bytes.length).equals(m.bytes))?.type;
}

/** The name of the first malware signature found anywhere in the bytes, if any. */
export function findMalware(bytes: Buffer): string | undefined {
  return SIGNATURES.find((s) => bytes.includes(s.bytes))?.name;
}

/** The allowed type a file name's extension stands for (case-insensitive), if any. */
function mediaTypeOfName(name: string): UploadMediaType | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? EXTENSIONS[name.slice(dot + 1).toLowerCase()] : undefined;
}

// C0/C1 controls and DEL (Cc), invisible format characters such as the right-to-left override
// that disguises "fdp.exe" as "exe.pdf" (Cf), path separators, and ':' (drive letters, NTFS streams).
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}/\\:]/u;

/**
 * Checks an uploaded file's name and returns it as it may be displayed. It is never used as a
 * path (files are stored under generated names), but a name that tries to be one is refused,
 * so that no later consumer (a download, an export, a clerk's desktop) can be misled by it.
 *
 * @throws DomainError VALIDATION (400) when missing or too long; UNPROCESSABLE (422) when unsafe.
 */
export function checkFilename(raw: unknown): string {
  if (Array.isArray(raw)) {
    throw validationError([fieldIssue('filename', 'invalid_type', 'Indica un solo nome di file.', 'Give exactly one file name.')]);
  }
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw validationError([
      fieldIssue('filename', 'required', 'Indica il nome del file (parametro filename).', 'Give the file name (filename parameter).'),
    ]);
  }
  const name = raw.normalize('NFC');
  if (name.length > MAX_FILENAME_LENGTH) {
    throw validationError([
      fieldIssue(
        'filename',
        'too_long',
        `Il nome del file può avere al massimo ${MAX_FILENAME_LENGTH} caratteri.`,
        `The file name can have at most ${MAX_FILENAME_LENGTH} characters.`,
      ),
    ]);
  }
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  if (UNSAFE_CHARS.test(name) || name.startsWith('.') || name !== name.trim() || name.endsWith('.') || base.trim() === '') {
    throw new DomainError(
      ErrorType.Unprocessable,
      {
        it: 'Nome del file non ammesso: non deve contenere percorsi (/ \\ ..), caratteri di controllo o iniziare con un punto.',
        en: 'File name not accepted: it must not contain paths (/ \\ ..) or control characters, nor start with a dot.',
      },
      [fieldIssue('filename', 'unsafe_filename', 'Rinomini il file, ad es. documento.pdf.', 'Rename the file, e.g. document.pdf.')],
    );
  }
  return name;
}

/**
 * Every check, in this order: size (413); empty body (400); malware anywhere in the bytes
 * (→ a quarantine verdict, whatever the name or type, so the security team sees every hit);
 * the file name (400/422); the declared type, the extension and the content, which must be an
 * allowed type and all the same (415).
 */
export function checkUpload(upload: RawUpload): UploadCheck {
  const { bytes } = upload;
  if (bytes.length > MAX_UPLOAD_BYTES) throw uploadTooLargeError();
  if (bytes.length === 0) {
    throw validationError([fieldIssue('body', 'empty', 'Il file è vuoto.', 'The file is empty.')]);
  }
  const sha256 = createHash('sha256').update(bytes).digest();
  const malware = findMalware(bytes);
  if (malware) return { verdict: 'quarantine', bytes, reason: `malware:${malware}`, sizeBytes: bytes.length, sha256 };

  const displayName = checkFilename(upload.filename);
  const declared = declaredMediaType(upload.contentType);
  if (!declared || !(UPLOAD_MEDIA_TYPES as readonly string[]).includes(declared)) {
    throw unsupportedType(
      'contentType',
      'type_not_allowed',
      `Content-Type «${declared ?? ''}» non ammesso: usa application/pdf, image/jpeg o image/png.`,
      `Content-Type "${declared ?? ''}" not accepted: use application/pdf, image/jpeg or image/png.`,
    );
  }
  const byName = mediaTypeOfName(displayName);
  if (!byName) {
    throw unsupportedType('filename', 'extension_not_allowed', "Estensione del file non ammessa.", 'File extension not accepted.');
  }
  const sniffed = sniffMediaType(bytes);
  if (!sniffed) {
    throw unsupportedType(
      'body',
      'content_not_recognised',
      'Il contenuto del file non è un PDF, un JPEG o un PNG.',
      'The content of the file is not a PDF, JPEG or PNG.',
    );
  }
  if (sniffed !== declared) {
    throw unsupportedType(
      'body',
      'content_type_mismatch',
      'Il contenuto del file non corrisponde al tipo dichiarato.',
      'The content of the file does not match the declared type.',
    );
  }
  if (byName !== declared) {
    throw unsupportedType(
      'filename',
      'extension_mismatch',
      "L'estensione del file non corrisponde al suo contenuto.",
      'The file extension does not match its content.',
    );
  }
  return { verdict: 'accepted', bytes, mediaType: sniffed, displayName, sizeBytes: bytes.length, sha256 };
}

