/**
 * The one error middleware: every failure leaves the API as the same JSON shape
 * `{ error: { type, message: { it, en }, fields?: [...] } }`, with a stable status per type.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { DomainError, ErrorType, statusOf } from '../domain/errors';
import type { Logger } from '../lib/logger';

export function errorBody(err: DomainError) {
  return {
    error: {
      type: err.type,
      message: err.userMessage,
      ...(err.fields.length ? { fields: err.fields } : {}),
      ...(Object.keys(err.details).length ? { details: err.details } : {}),
    },
  };
}

/** True for errors that mean "a dependency is down", which clients should retry later. */
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string | number; name?: string; message?: string };
  const pgDown = typeof e?.code === 'string' && (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300'].includes(e.code));
  const msg = e?.message ?? '';
  return pgDown || /Connection terminated|timeout exceeded when trying to connect|UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect/i.test(msg);
}

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new DomainError(ErrorType.NotFound, { it: 'Risorsa non trovata.', en: 'Resource not found.' }));
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let domain: DomainError;
    if (err instanceof DomainError) {
      domain = err;
    } else if (err?.type === 'entity.parse.failed') {
      domain = new DomainError(ErrorType.Validation, { it: 'Il corpo della richiesta non è JSON valido.', en: 'The request body is not valid JSON.' }, [
        { field: 'body', code: 'invalid_json', message: { it: 'JSON non valido', en: 'invalid JSON' } },
      ]);
    } else if (err?.type === 'entity.too.large') {
      domain = new DomainError(ErrorType.PayloadTooLarge, { it: 'La richiesta è troppo grande.', en: 'The request is too large.' });
    } else if (err instanceof WorkflowUpdateFailedError && (err.cause as { type?: string })?.type === ErrorType.RateLimited) {
      domain = new DomainError(ErrorType.RateLimited, { it: 'Limite raggiunto, riprovi più tardi.', en: 'Limit reached, try again later.' });
    } else if (isUnavailable(err)) {
      domain = new DomainError(ErrorType.Unavailable, {
        it: 'Servizio temporaneamente non disponibile, riprovi tra poco.',
        en: 'Service temporarily unavailable, please try again shortly.',
      });
    } else {
      log.error({ err, path: req.path }, 'unhandled error');
      domain = new DomainError(ErrorType.Internal, { it: 'Errore interno.', en: 'Internal error.' });
    }
    if (domain.type === ErrorType.Unavailable || domain.type === ErrorType.RateLimited) res.setHeader('Retry-After', '5');
    res.status(statusOf[domain.type]).json(errorBody(domain));
  };
}
