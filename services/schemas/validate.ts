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

const REQUIRED: FieldIssue['message'] = { it: 'Campo obbligatorio.', en: 'This field is required.' };

/** The value at an issue's path in what was parsed. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** A field left out or left empty is "required", whatever rule its emptiness broke (too short, not an allowed value, not a date). */
const leftEmpty = (issue: z.core.$ZodIssue, value: unknown): boolean => {
  if (!['too_small', 'invalid_value', 'invalid_format', 'invalid_type'].includes(issue.code) || issue.path.length === 0) return false;
  const at = valueAt(value, issue.path);
  return at === undefined || (typeof at === 'string' && at.trim() === '');
};

/** Parses `value` or throws a VALIDATION error naming each bad field (`prefix` for query/params). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw validationError(
    parsed.error.issues.map((issue) => ({
      field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body',
      code: issue.code,
      message: issue.code !== 'custom' && leftEmpty(issue, value) ? REQUIRED : issueMessage(issue),
    })),
  );
}
