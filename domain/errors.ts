/**
 * Domain error vocabulary shared by the API, the activities and (as plain strings) the workflows.
 *
 * One string enum of error types: the API maps each to an HTTP status, activities use the same
 * strings as `ApplicationFailure` types so a workflow can tell a permanent business failure from
 * a transient one.
 */

/** A message shown to a person, always in both languages. */
export interface Bilingual {
  it: string;
  en: string;
}

export const ErrorType = {
  Validation: 'VALIDATION',
  NotEligible: 'NOT_ELIGIBLE',
  Conflict: 'CONFLICT',
  NotFound: 'NOT_FOUND',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  RateLimited: 'RATE_LIMITED',
  Unavailable: 'UNAVAILABLE',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** Well-formed but refused as it is: an unsafe file name, an upload that carried malware. */
  Unprocessable: 'UNPROCESSABLE',
  Internal: 'INTERNAL',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** HTTP status for each error type; the single place this mapping lives. */
export const statusOf: Record<ErrorType, number> = {
  VALIDATION: 400,
  NOT_ELIGIBLE: 422,
  CONFLICT: 409,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  INTERNAL: 500,
};

/** One problem with one input field. `code` is stable and machine-readable. */
export interface FieldIssue {
  field: string;
  code: string;
  message: Bilingual;
}

/** An error the API turns into a structured JSON body with a stable shape. */
export class DomainError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly userMessage: Bilingual,
    readonly fields: FieldIssue[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(userMessage.en);
    this.name = 'DomainError';
  }

  get status(): number {
    return statusOf[this.type];
  }
}

export function validationError(fields: FieldIssue[]): DomainError {
  return new DomainError(
    ErrorType.Validation,
    { it: 'Alcuni dati non sono validi.', en: 'Some of the data is not valid.' },
    fields,
  );
}

/**
 * The one answer to a failed PIN check, whether the codice fiscale is unknown or the PIN is
 * wrong, so the answer never tells which codici fiscali have a PIN.
 */
export function invalidCredentialsError(): DomainError {
  return new DomainError(ErrorType.Unauthenticated, {
    it: 'Codice fiscale o PIN non corretti.',
    en: 'The codice fiscale or the PIN is not correct.',
  });
}

/** One field's problem, in both languages. */
export function fieldIssue(field: string, code: string, it: string, en: string): FieldIssue {
  return { field, code, message: { it, en } };
}
