/**
 * `multipart/form-data` for the portal's one upload form (the conversion documents), read with
 * busboy into memory within fixed limits. Nothing here judges the files: the caller passes each
 * file's bytes, declared type and name through the API's own checks (api/uploads.ts).
 *
 * Two rules make it safe to read such a body before knowing the request is genuine:
 * - a `gate` runs on the fields received before the first file part (the form puts its CSRF
 *   token first); if it says no, no file byte is kept and reading stops;
 * - the whole body is bounded (Content-Length up front, counted bytes while streaming), so
 *   a client cannot make the parser read forever by sending more than the limits allow.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';

export interface MultipartLimits {
  /** File parts accepted. */
  files: number;
  /**
   * Bytes kept per file. A longer file is cut at this size and marked `truncated` (the rest is
   * read and thrown away, within `maxMultipartBytes`).
   */
  fileBytes: number;
  /** Non-file fields accepted. */
  fields: number;
  /** Bytes per field value. */
  fieldBytes: number;
}

export interface ReceivedFile {
  /** The form field's name. */
  field: string;
  /** The name as the browser sent it (paths preserved, so that the name checks can refuse them). */
  filename: string;
  /** The Content-Type the browser declared for the part. */
  mimeType: string;
  bytes: Buffer;
  /** The file was longer than `fileBytes`. */
  truncated: boolean;
}

export interface ReceivedForm {
  /** Field values; a repeated name keeps its first value. */
  fields: Record<string, string>;
  /** File parts in the order received. */
  files: ReceivedFile[];
}

/** Why a body was not read. */
export type MultipartFailure = 'not_multipart' | 'malformed' | 'too_many_parts' | 'field_too_long' | 'too_large' | 'refused';

export class MultipartError extends Error {
  constructor(readonly reason: MultipartFailure) {
    super(`multipart body not read: ${reason}`);
    this.name = 'MultipartError';
  }
}

/** Room for the part headers and boundaries around the files and fields. */
const OVERHEAD_BYTES = 64 * 1024;

/** The most bytes a body within `limits` can have; a longer one is refused unread. */
export function maxMultipartBytes(limits: MultipartLimits): number {
  return limits.files * limits.fileBytes + limits.fields * limits.fieldBytes + OVERHEAD_BYTES;
}

/** Whether a Content-Type header announces `multipart/form-data`. */
export function isMultipartFormData(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Reads a multipart body. `gate` is asked once, with the fields received so far, when the first
 * file part begins (and not at all when there is none): returning false rejects with `refused`.
 * Rejects with a `MultipartError`; on a rejection the request may be left partly unread, so the
 * caller answers with `Connection: close`.
 */
export function readMultipart(
  req: Readable & { headers: IncomingHttpHeaders },
  limits: MultipartLimits,
  gate?: (fields: Readonly<Record<string, string>>) => boolean,
): Promise<ReceivedForm> {
  return new Promise((resolve, reject) => {
    if (!isMultipartFormData(req.headers['content-type'])) {
      reject(new MultipartError('not_multipart'));
      return;
    }
    const max = maxMultipartBytes(limits);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new MultipartError('too_large'));
      return;
    }

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // The raw name goes to the checks, which refuse a path rather than silently cutting it.
        preservePath: true,
        // Browsers send file names as UTF-8 in the part header.
        defParamCharset: 'utf8',
        limits: {
          files: limits.files,
          // One byte more than allowed, so an oversize file is told from one of exactly the limit.
          fileSize: limits.fileBytes + 1,
          fields: limits.fields,
          fieldSize: limits.fieldBytes,
          // busboy emits 'partsLimit' when a part *ends* with the count reached, so a body with
          // exactly the parts allowed would be refused: one more, and the per-kind limits above
          // refuse any part beyond them.
          parts: limits.files + limits.fields + 1,
          fieldNameSize: 100,
          headerPairs: 20,
        },
      });
    } catch {
      // No boundary, or a Content-Type busboy cannot read.
      reject(new MultipartError('malformed'));
      return;
    }

    const fields: Record<string, string> = {};
    const files: ReceivedFile[] = [];
    let settled = false;
    let gateAsked = false;
    let received = 0;

    const fail = (reason: MultipartFailure) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.off('data', count);
      reject(new MultipartError(reason));
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) fail('too_large');
    };

    parser.on('field', (name, value, info) => {
      if (settled) return;
      if (info.valueTruncated || info.nameTruncated) {
        fail('field_too_long');
        return;
      }
      if (!Object.hasOwn(fields, name)) fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (!settled && gate && !gateAsked) {
        gateAsked = true;
        if (!gate(fields)) fail('refused');
      }
      if (settled) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      stream.on('data', (chunk: Buffer) => {
        // Past the limit busboy stops giving data; this bound is belt and braces.
        if (size <= limits.fileBytes) chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('limit', () => {
        truncated = true;
      });
      stream.on('end', () => {
        const bytes = Buffer.concat(chunks);
        files.push({
          field: name,
          filename: info.filename ?? '',
          mimeType: info.mimeType,
          bytes: bytes.length > limits.fileBytes ? bytes.subarray(0, limits.fileBytes + 1) : bytes,
          truncated: truncated || bytes.length > limits.fileBytes,
        });
      });
    });
    parser.on('filesLimit', () => fail('too_many_parts'));
    parser.on('fieldsLimit', () => fail('too_many_parts'));
    parser.on('partsLimit', () => fail('too_many_parts'));
    parser.on('error', () => fail('malformed'));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ fields, files });
    });
    req.on('error', () => fail('malformed'));
    req.on('aborted', () => fail('malformed'));
    req.on('data', count);
    req.pipe(parser);
  });
}
