/**
 * The request draft: the form values typed so far, which steps were submitted, and how the
 * domain validation's verdict is split among the steps.
 *
 * Validation always runs on the whole draft with the domain's `validatePinRequest`, so the
 * portal has no rules of its own; a step shows only the issues of its own fields. Codice fiscale
 * mismatches are shown next to the personal datum they contradict (surname, date of birth...),
 * on the personal-data step, because that is where the citizen notices and fixes them.
 */
import { DomainError, ErrorType, type FieldIssue } from '../domain/errors';
import {
  checkEligibility,
  validatePinRequest,
  type PinRequest,
  type Residence,
} from '../domain/pin-request';

export const STEP_IDS = ['residence', 'personal', 'contacts'] as const;
export type StepId = (typeof STEP_IDS)[number];

/** The form fields of each step, named with the domain's dot paths. */
export const STEP_FIELDS: Readonly<Record<StepId, readonly string[]>> = {
  residence: [
    'codiceFiscale',
    'residence.abroad',
    'residence.country',
    'residence.address',
    'residence.city',
    'residence.postalCode',
    'residence.province',
    'hasItalianIdentityDocument',
  ],
  personal: ['surname', 'name', 'birthDate', 'sex', 'birthProvince', 'birthMunicipality'],
  contacts: ['homePhone', 'mobile', 'email', 'pec', 'preferredPhone', 'preferredTimeSlot'],
};

const FIELD_STEP: ReadonlyMap<string, StepId> = new Map(
  STEP_IDS.flatMap((step) => STEP_FIELDS[step].map((field) => [field, step] as const)),
);

/**
 * Longest value kept per field: one more than the domain accepts, so an over-long value is still
 * reported as too long, while the draft cookie stays small.
 */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  codiceFiscale: 32,
  'residence.abroad': 4,
  'residence.country': 3,
  'residence.address': 201,
  'residence.city': 101,
  'residence.postalCode': 13,
  'residence.province': 61,
  hasItalianIdentityDocument: 4,
  surname: 61,
  name: 61,
  birthDate: 11,
  sex: 2,
  birthProvince: 3,
  birthMunicipality: 101,
  homePhone: 24,
  mobile: 24,
  email: 255,
  pec: 255,
  preferredPhone: 7,
  preferredTimeSlot: 6,
};

/** The longest value the form lets a citizen type (the `maxlength` attribute). */
export function maxLength(field: string): number | undefined {
  const max = MAX_LENGTH[field];
  return max === undefined ? undefined : Math.max(1, max - 1);
}

/** Raw form values by field path; checkbox and radio values are `yes`/`no`, codes as typed. */
export type DraftValues = Partial<Record<string, string>>;

export interface Draft {
  values: DraftValues;
  /** Steps posted at least once: only these show their errors when displayed again. */
  submitted: StepId[];
}

export const EMPTY_DRAFT: Draft = Object.freeze({ values: {}, submitted: [] }) as Draft;

/** Restores a draft from its (already authenticated) cookie payload, dropping anything unexpected. */
export function draftFromPayload(payload: unknown): Draft {
  if (typeof payload !== 'object' || payload === null) return { values: {}, submitted: [] };
  const p = payload as { values?: unknown; submitted?: unknown };
  const values: DraftValues = {};
  if (typeof p.values === 'object' && p.values !== null) {
    for (const [k, v] of Object.entries(p.values as Record<string, unknown>)) {
      if (FIELD_STEP.has(k) && typeof v === 'string') values[k] = v;
    }
  }
  const submitted = Array.isArray(p.submitted)
    ? STEP_IDS.filter((s) => (p.submitted as unknown[]).includes(s))
    : [];
  return { values, submitted };
}

/** The values of one step from a posted form; absent fields become empty (unchecked boxes). */
export function stepValuesFromBody(step: StepId, body: unknown): DraftValues {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const values: DraftValues = {};
  for (const field of STEP_FIELDS[step]) {
    let raw = source[field];
    if (Array.isArray(raw)) raw = raw[0];
    const text = typeof raw === 'string' ? raw : '';
    values[field] = text.slice(0, MAX_LENGTH[field] ?? 300);
  }
  return values;
}

/** Accepts the `DD/MM/YYYY` a browser without a date picker lets people type. */
function isoBirthDate(text: string): string {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return text;
  return `${m[3]}-${(m[2] ?? '').padStart(2, '0')}-${(m[1] ?? '').padStart(2, '0')}`;
}

const yesNo = (value: string | undefined): boolean | undefined =>
  value === 'yes' ? true : value === 'no' ? false : undefined;

/** Empty choices are sent as absent, so the domain reports "required" rather than "not allowed". */
const choice = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/** The request body the domain validates, built from the draft. */
export function requestInput(values: DraftValues): Record<string, unknown> {
  const abroad = yesNo(values['residence.abroad']);
  const residence: Record<string, unknown> = {
    abroad,
    // The country list is only for residents abroad; a residence in Italy is in Italy.
    country: abroad === false ? 'IT' : choice(values['residence.country']),
    address: values['residence.address'] ?? '',
    city: values['residence.city'] ?? '',
    postalCode: values['residence.postalCode'] ?? '',
  };
  if (choice(values['residence.province']?.trim()) !== undefined) residence.province = values['residence.province'];
  const input: Record<string, unknown> = {
    channel: 'online',
    codiceFiscale: values.codiceFiscale ?? '',
    surname: values.surname ?? '',
    name: values.name ?? '',
    birthDate: isoBirthDate(values.birthDate ?? ''),
    sex: choice(values.sex),
    birthProvince: values.birthProvince ?? '',
    birthMunicipality: values.birthMunicipality ?? '',
    residence,
    preferredPhone: choice(values.preferredPhone),
    preferredTimeSlot: choice(values.preferredTimeSlot),
    hasItalianIdentityDocument: values.hasItalianIdentityDocument === 'yes',
  };
  for (const key of ['homePhone', 'mobile', 'email', 'pec'] as const) {
    if (choice(values[key]?.trim()) !== undefined) input[key] = values[key];
  }
  return input;
}

/** Codice fiscale contradictions, shown next to the personal datum they concern. */
const CF_MISMATCH_FIELD: Readonly<Record<string, string>> = {
  cf_surname_mismatch: 'surname',
  cf_name_mismatch: 'name',
  cf_birthdate_mismatch: 'birthDate',
  cf_sex_mismatch: 'sex',
  cf_birthplace_mismatch: 'birthMunicipality',
};

function placed(issue: FieldIssue): FieldIssue {
  const to = issue.field === 'codiceFiscale' ? CF_MISMATCH_FIELD[issue.code] : undefined;
  return to ? { ...issue, field: to } : issue;
}

/** The step an issue belongs to; issues on no form field go to the first step. */
function stepOfField(field: string): StepId {
  return FIELD_STEP.get(field) ?? 'residence';
}

/** The domain's verdict on a whole draft, split by step. */
export interface Assessment {
  issues: Record<StepId, FieldIssue[]>;
  /** Present when every field is valid and the citizen is eligible. */
  valid?: { request: PinRequest; warnings: FieldIssue[] };
  /** Present when every field is valid but the eligibility policy refuses the request. */
  ineligible?: DomainError;
}

export interface AssessOptions {
  today: Date;
  eligibilityPolicy: boolean;
}

/**
 * Validates the whole draft. Besides the domain's field issues, the eligibility policy is
 * applied as soon as step 1 answers its two questions (residence abroad, Italian document), so
 * an ineligible citizen learns it before typing the rest; the issue is put on the field whose
 * answer makes them ineligible.
 */
export function assessDraft(draft: Draft, opts: AssessOptions): Assessment {
  const issues: Record<StepId, FieldIssue[]> = { residence: [], personal: [], contacts: [] };
  const result: Assessment = { issues };
  try {
    result.valid = validatePinRequest(requestInput(draft.values), opts);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.type === ErrorType.Validation) {
      for (const issue of err.fields.map(placed)) issues[stepOfField(issue.field)].push(issue);
    } else if (err.type === ErrorType.NotEligible) {
      result.ineligible = err;
    } else {
      throw err;
    }
  }
  const abroad = yesNo(draft.values['residence.abroad']);
  if (abroad !== undefined) {
    const residence: Residence = { abroad, country: '', address: '', city: '', postalCode: '' };
    const verdict = checkEligibility(
      { residence, hasItalianIdentityDocument: draft.values.hasItalianIdentityDocument === 'yes' },
      opts,
    );
    if (!verdict.eligible) {
      issues.residence.push({
        field: verdict.reason === 'resident_in_italy' ? 'residence.abroad' : 'hasItalianIdentityDocument',
        code: 'not_eligible',
        message: verdict.message,
      });
    }
  }
  return result;
}

/** The first step that was never submitted or still has issues; `undefined` when all are fine. */
export function firstIncompleteStep(draft: Draft, assessment: Assessment): StepId | undefined {
  return STEP_IDS.find((s) => !draft.submitted.includes(s) || assessment.issues[s].length > 0);
}
