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

/**
 * Error codes of a database (or any TCP dependency) that is down, restarting or refusing
 * connections: node's socket errors, and PostgreSQL's classes 08 (connection exception) and 57P
 * (operator intervention: shutdown, crash recovery, "cannot connect now"), plus "too many connections".
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
// "no poller seen": a workflow query while no worker polls the task queue (a worker restarting,
// or Temporal just back from a restart and the workers not yet reconnected) — temporary.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|timeout exceeded when trying to connect|UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|no poller seen for task queue/i;

/** True for errors that mean "a dependency is down", which clients should retry later. */
function isUnavailable(err: unknown, depth = 0): boolean {
  const e = err as { code?: string | number; message?: string; errors?: unknown[]; cause?: unknown } | null | undefined;
  if (!e || depth > 3) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (UNAVAILABLE_MESSAGE.test(e.message ?? '')) return true;
  // Node reports a failed multi-address connect as an AggregateError; wrappers keep the cause.
  if (Array.isArray(e.errors) && e.errors.some((x) => isUnavailable(x, depth + 1))) return true;
  return e.cause !== undefined && isUnavailable(e.cause, depth + 1);
}

const isErrorType = (t: unknown): t is ErrorType => typeof t === 'string' && Object.values(ErrorType).includes(t as ErrorType);

/** Messages for the reasons workflows give when they refuse an update. */
const REFUSALS: Record<string, Bilingual> = {
  TOO_SOON: { it: 'È già stata chiesta una nuova lettera nelle ultime 24 ore.', en: 'A new letter was already requested in the last 24 hours.' },
  WINDOW_LIMIT: { it: 'Raggiunto il numero massimo di nuove lettere (4 in 30 giorni).', en: 'The maximum number of new letters (4 in 30 days) has been reached.' },
  NOT_WAITING: { it: 'Il PIN non è in attesa del primo accesso.', en: 'The PIN is not waiting for its first access.' },
  ALREADY_DISPOSITIVO: { it: 'Il PIN è già dispositivo.', en: 'The PIN is already a dispositivo PIN.' },
  REVIEW_IN_PROGRESS: { it: 'È già in corso una richiesta di conversione.', en: 'A conversion request is already in progress.' },
  WRONG_ROLE: { it: 'Il tuo ruolo non consente questa operazione.', en: 'Your role does not allow this operation.' },
  CASE_CLOSED: { it: 'La pratica è già stata decisa.', en: 'The case has already been decided.' },
  CASE_BUSY: { it: 'La pratica è in aggiornamento, riprova tra un momento.', en: 'The case is being updated, try again in a moment.' },
  AWAITING_SECOND_REVIEW: { it: 'La pratica attende la conferma di un secondo operatore.', en: 'The case is waiting for a second clerk to confirm.' },
  ALREADY_CLAIMED: { it: 'La pratica è già stata presa in carico da un altro operatore.', en: 'Another clerk has already claimed the case.' },
  NOT_CLAIMED_BY_YOU: { it: 'Prendi in carico la pratica prima di decidere.', en: 'Claim the case before deciding it.' },
  REASON_REQUIRED: { it: 'Scegli il motivo del rifiuto.', en: 'Choose the reason for the rejection.' },
  UNKNOWN_REASON: { it: 'Motivo del rifiuto non previsto: scegline uno dall’elenco.', en: 'Unknown reason for the rejection: choose one from the list.' },
  NOTE_REQUIRED: { it: 'Con «Altro motivo» scrivi una nota che spieghi il rifiuto.', en: 'With “Another reason”, write a note that explains the rejection.' },
  REASON_ONLY_TO_REJECT: { it: 'Un motivo di rifiuto si indica solo per respingere.', en: 'A rejection reason goes with a rejection only.' },
  BAD_DECISION: { it: 'Decisione non valida.', en: 'Invalid decision.' },
  SAME_REVIEWER: { it: 'La seconda verifica deve essere fatta da un operatore diverso.', en: 'The second review must be done by a different clerk.' },
  NO_SECOND_REVIEW_PENDING: { it: 'La pratica non attende una seconda verifica.', en: 'The case is not waiting for a second review.' },
  DELEGATION_ENDED: { it: 'La delega è già terminata.', en: 'The delegation has already ended.' },
  NOT_DELEGATOR: { it: 'Solo il delegante o un operatore di sede può revocare la delega.', en: 'Only the delegator or an office clerk can revoke the delegation.' },
  NOT_DELEGATE: { it: 'Operazione riservata al delegato.', en: 'Only the delegate can do this.' },
  NOT_PENDING: { it: 'La delega non è in attesa di accettazione.', en: 'The delegation is not awaiting acceptance.' },
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
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
    return new DomainError(ErrorType.UnsupportedMediaType, {
      it: 'Codifica dei caratteri o compressione del corpo della richiesta non supportata.',
      en: 'The character set or the content encoding of the request body is not supported.',
    });
  }
  if (err instanceof URIError && (err as URIError & { status?: number }).status === 400) {
    // The router could not percent-decode a path parameter.
    return new DomainError(ErrorType.Validation, { it: 'Indirizzo della richiesta non valido.', en: 'Invalid request path.' }, [
      { field: 'path', code: 'invalid_encoding', message: { it: 'Codifica percentuale non valida', en: 'invalid percent-encoding' } },
    ]);
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
      it: 'Servizio temporaneamente non disponibile, riprova tra poco.',
      en: 'Service temporarily unavailable, please try again shortly.',
    });
  }
  return new DomainError(ErrorType.Internal, { it: 'Errore interno.', en: 'Internal error.' });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // Answered already (a handler that ran past its deadline got 503): nothing more to send.
      log.warn({ err, path: req.path }, 'error after the answer was sent');
      return;
    }
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
