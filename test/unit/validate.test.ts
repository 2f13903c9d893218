/**
 * How a schema's verdict reads on a form and in the API's error: a field left out or left empty
 * is "required" whatever rule its emptiness broke; a filled-in field keeps the rule it broke.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseInput } from '../../services/schemas/validate';

const schema = z.strictObject({
  name: z.string().trim().min(1),
  method: z.enum(['video_call', 'telephone_pin']),
  day: z.iso.date(),
  document: z.strictObject({ number: z.string().min(5) }),
});

function fieldsOf(input: unknown): Record<string, string> {
  try {
    parseInput(schema, input);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return Object.fromEntries((err as DomainError).fields.map((f) => [f.field, f.message.en]));
  }
  throw new Error('expected a validation error');
}

describe('parseInput', () => {
  it('says "required" for every field left out or empty, nested ones too', () => {
    expect(fieldsOf({ name: '  ', method: '', day: '', document: { number: '' } })).toEqual({
      name: 'This field is required.',
      method: 'This field is required.',
      day: 'This field is required.',
      'document.number': 'This field is required.',
    });
    expect(fieldsOf({})).toMatchObject({ name: 'This field is required.', method: 'This field is required.' });
  });

  it('keeps the broken rule for a field that was filled in', () => {
    expect(fieldsOf({ name: 'Maria', method: 'fax', day: '5 dicembre', document: { number: 'AB1' } })).toEqual({
      method: 'Value not allowed.',
      day: 'Invalid value.',
      'document.number': 'Value too short or too small.',
    });
  });
});
