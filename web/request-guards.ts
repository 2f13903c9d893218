/**
 * Guards every front-end puts around its handlers: a body carrying a NUL byte is refused before
 * any handler sees it (PostgreSQL cannot store one, and no form field needs one), and a handler
 * still running past its deadline is answered 503 + Retry-After instead of leaving the client
 * hanging.
 */
import type { RequestHandler } from 'express';
import { DomainError, ErrorType, fieldIssue, validationError } from '../domain/errors';
import { errorBody } from '../api/errors';

/** The path of the first string holding a NUL byte in a parsed body, if any (depth-limited). */
function nulPath(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : undefined;
  if (depth > 8 || value === null || typeof value !== 'object') return undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes('\u0000')) return path || 'body';
    const found = nulPath(v, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** After a body parser: 400 on the field that carries a NUL byte. */
export function refuseNulBytes(): RequestHandler {
  return (req, _res, next) => {
    const field = nulPath(req.body, '', 0);
    if (!field) return next();
    next(validationError([fieldIssue(field, 'control_character', 'Il campo contiene un carattere non ammesso.', 'The field contains a character that is not allowed.')]));
  };
}

/**
 * Answers 503 (Retry-After) when a request is still unanswered after `timeoutMs`; whatever the
 * handler does afterwards is dropped by the error middleware (`res.headersSent`).
 */
export function handlerDeadline(timeoutMs: number, retryAfterSeconds = 5): RequestHandler {
  return (req, res, next) => {
    // A multipart upload may take long to arrive on a slow link; its size limits bound it instead.
    if (req.is('multipart/form-data')) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const err = new DomainError(ErrorType.Unavailable, {
        it: 'Il servizio sta impiegando troppo tempo: riprova tra poco.',
        en: 'The service is taking too long: please try again shortly.',
      });
      res.setHeader('Retry-After', String(retryAfterSeconds));
      res.status(err.status).json(errorBody(err));
    }, timeoutMs);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
    res.once('finish', () => clearTimeout(timer));
    next();
  };
}
