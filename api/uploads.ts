/**
 * An upload as HTTP carries it: the raw body parser of the upload routes and the reading of the
 * body, Content-Type and file name from a request. The checks themselves are domain/uploads.ts.
 */
import express, { type Request, type RequestHandler } from 'express';
import { fieldIssue, validationError } from '../domain/errors';
import { MAX_UPLOAD_BYTES, unsupportedType, uploadTooLargeError, type RawUpload } from '../domain/uploads';

/**
 * The raw upload a request carried: the body (a Buffer from `uploadBody`; anything else, e.g.
 * a JSON body the global parser took, counts as content of the wrong type), the Content-Type,
 * and the file name from `?filename=` or, failing that, the percent-encoded `X-Filename` header.
 */
export function rawUploadOf(req: Request): RawUpload {
  const body: unknown = req.body;
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (!Buffer.isBuffer(body) && body !== undefined) {
    throw unsupportedType('contentType', 'type_not_allowed', 'Inviare il file come corpo binario.', 'Send the file as the binary request body.');
  }
  let filename: unknown = req.query.filename;
  const header = req.get('x-filename');
  if (filename === undefined && header !== undefined) {
    try {
      filename = decodeURIComponent(header);
    } catch {
      throw validationError([fieldIssue('filename', 'invalid_encoding', 'Nome del file con codifica non valida.', 'The file name is not validly encoded.')]);
    }
  }
  return { bytes, contentType: req.get('content-type'), filename };
}

/**
 * The body parser of the upload routes only: any Content-Type read as raw bytes (the checks
 * decide what is allowed), up to 10 MB, compressed bodies refused (no decompression bombs);
 * body-parser's own "too large" becomes the same structured 413 as the size check.
 */
export function uploadBody(): RequestHandler {
  const raw = express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES, inflate: false });
  return (req, res, next) => {
    raw(req, res, (err?: unknown) => {
      const type = (err as { type?: string } | undefined)?.type;
      if (type === 'entity.too.large') return next(uploadTooLargeError());
      if (type === 'encoding.unsupported') {
        return next(unsupportedType('contentEncoding', 'encoding_not_allowed', 'Non inviare il file compresso.', 'Do not send the file compressed.'));
      }
      next(err);
    });
  };
}
