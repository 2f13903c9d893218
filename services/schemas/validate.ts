/**
 * Turns a zod schema's verdict into the API's validation error: one field issue per bad field,
 * with a bilingual message. Handlers parse with `parseInput(schema, req.body)` and get typed data.
 */
import type { z } from 'zod';
import { validationError, type FieldIssue } from '../../domain/errors';

function issueMessage(issue: z.core.$ZodIssue): FieldIssue['message'] {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? { it: 'Campo obbligatorio.', en: 'This field is required.' } : { it: 'Tipo di valore non valido.', en: 'Invalid value type.' };
    case 'invalid_value':
      return { it: 'Valore non ammesso.', en: 'Value not allowed.' };
    case 'too_big':
      return { it: 'Valore troppo lungo o troppo grande.', en: 'Value too long or too large.' };
    case 'too_small':
      return { it: 'Valore troppo corto o troppo piccolo.', en: 'Value too short or too small.' };
    case 'unrecognized_keys':
      return { it: `Campi non previsti: ${issue.keys.join(', ')}.`, en: `Unexpected fields: ${issue.keys.join(', ')}.` };
    case 'custom': {
      // A schema's own rule says what is wrong in both languages (`params.message`).
      const message = (issue.params as { message?: FieldIssue['message'] } | undefined)?.message;
      return message ?? { it: 'Valore non valido.', en: 'Invalid value.' };
    }
    default:
      return { it: 'Valore non valido.', en: 'Invalid value.' };
  }
}

/** Parses `value` or throws a VALIDATION error naming each bad field (`prefix` for query/params). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw validationError(
    parsed.error.issues.map((issue) => ({
      field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body',
      code: issue.code,
      message: issueMessage(issue),
    })),
  );
}
