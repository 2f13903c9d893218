/**
 * The one error middleware: every failure leaves the API as the same JSON shape
 * `{ error: { type, message: { it, en }, fields?: [...] } }`, with a stable status per type.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DomainError, ErrorType, statusOf, type Bilingual } from '../domain/errors';
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

const isErrorType = (t: unknown): t is ErrorType => typeof t === 'string' && Object.values(ErrorType).includes(t as ErrorType);

/** Messages for the reasons workflows give when they refuse an update. */
const REFUSALS: Record<string, Bilingual> = {
  TOO_SOON: { it: 'È già stata chiesta una nuova lettera nelle ultime 24 ore.', en: 'A new letter was already requested in the last 24 hours.' },
  WINDOW_LIMIT: { it: 'Raggiunto il numero massimo di nuove lettere (4 in 30 giorni).', en: 'The maximum number of new letters (4 in 30 days) has been reached.' },
  NOT_WAITING: { it: 'Il PIN non è in attesa del primo accesso.', en: 'The PIN is not waiting for its first access.' },
};

function refusalMessage(reason: string): Bilingual {
  return REFUSALS[reason] ?? { it: 'Operazione non consentita in questo momento.', en: 'Operation not allowed at this time.' };
}

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new DomainError(ErrorType.NotFound, { it: 'Risorsa non trovata.', en: 'Resource not found.' }));
};

/**
 * What any failure means for a citizen, as a `DomainError`: domain errors as they are, body-parser
 * failures, workflow refusals (a validator or handler that threw with a domain error type, e.g. a
 * new letter TOO_SOON), a missing workflow, a dependency that is down; anything else is INTERNAL.
 * Shared by the JSON error middleware and the portal pages, so both say the same thing.
 */
export function toDomainError(err: unknown): DomainError {
  const e = err as { type?: unknown } | null | undefined;
  if (err instanceof DomainError) return err;
  if (e?.type === 'entity.parse.failed') {
    return new DomainError(ErrorType.Validation, { it: 'Il corpo della richiesta non è JSON valido.', en: 'The request body is not valid JSON.' }, [
      { field: 'body', code: 'invalid_json', message: { it: 'JSON non valido', en: 'invalid JSON' } },
    ]);
  }
  if (e?.type === 'entity.too.large') {
    return new DomainError(ErrorType.PayloadTooLarge, { it: 'La richiesta è troppo grande.', en: 'The request is too large.' });
  }
  if (err instanceof WorkflowUpdateFailedError && isErrorType((err.cause as { type?: string })?.type)) {
    // A workflow refused the update in its validator or handler, with a domain error type.
    const cause = err.cause as unknown as { type: ErrorType; message: string };
    return new DomainError(cause.type, refusalMessage(cause.message), [], { reason: cause.message });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });
  }
  if (isUnavailable(err)) {
    return new DomainError(ErrorType.Unavailable, {
      it: 'Servizio temporaneamente non disponibile, riprovi tra poco.',
      en: 'Service temporarily unavailable, please try again shortly.',
    });
  }
  return new DomainError(ErrorType.Internal, { it: 'Errore interno.', en: 'Internal error.' });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const domain = toDomainError(err);
    if (domain.type === ErrorType.Internal && domain !== err) log.error({ err, path: req.path }, 'unhandled error');
    if (domain.type === ErrorType.Unavailable || domain.type === ErrorType.RateLimited) {
      // A lock knows exactly when it ends; anything else: try again in a few seconds.
      const retryAfter = domain.details.retryAfterSeconds;
      res.setHeader('Retry-After', typeof retryAfter === 'number' ? String(retryAfter) : '5');
    }
    res.status(statusOf[domain.type]).json(errorBody(domain));
  };
}
