/**
 * The citizen's data as one console form (a request taken over the phone, a counter issuance),
 * with the portal's field names, labels and form-to-request mapping (portal/draft.ts), so
 * the domain's validation (`validatePinRequest`) speaks about the same fields.
 */
import { PREFERRED_TIME_SLOTS } from '../domain/pin-request';
import { requestInput, STEP_FIELDS } from '../portal/draft';
import { fieldLabel } from '../portal/pages';
import { html, type SafeHtml } from '../web/html';
import { checkbox, countryOptions, errorSummary, selectField, textField, type FormState } from '../portal/views';
import { t, type ConsoleContext } from './layout';

/** Every field of the request form. */
export const CITIZEN_FIELDS: readonly string[] = [...STEP_FIELDS.residence, ...STEP_FIELDS.personal, ...STEP_FIELDS.contacts];

const labelOf = (ctx: ConsoleContext, field: string): string => fieldLabel(ctx.lang, field) ?? field;

/** The request body for the domain, from the form values; `channel` as given. */
export function citizenInput(values: Record<string, string>, channel: 'contact_centre' | undefined): Record<string, unknown> {
  const input = requestInput(values);
  if (channel) input.channel = channel;
  else delete input.channel;
  return input;
}

export function citizenErrorSummary(ctx: ConsoleContext, state: FormState, extraLabels: Record<string, string> = {}): SafeHtml {
  return errorSummary(ctx, state.issues, (f) => extraLabels[f] ?? fieldLabel(ctx.lang, f));
}

/** The fields; `callbackRequired` marks the call-back preferences (phone and time slot) as required. */
export function citizenFields(ctx: ConsoleContext, state: FormState, opts: { callbackRequired: boolean }): SafeHtml {
  const text = (name: string, extra: Partial<Parameters<typeof textField>[2]> = {}) => textField(ctx, state, { name, label: labelOf(ctx, name), ...extra });
  return html`<fieldset class="mb-4"><legend class="h5">${t(ctx, 'Identità e residenza', 'Identity and residence')}</legend>
<div class="row"><div class="col-md-6">${text('codiceFiscale', { required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}</div></div>
<div class="row">
  <div class="col-md-4">${text('surname', { required: true, maxlength: 60 })}</div>
  <div class="col-md-4">${text('name', { required: true, maxlength: 60 })}</div>
  <div class="col-md-4">${text('birthDate', { type: 'date', required: true })}</div>
</div>
<div class="row">
  <div class="col-md-4">${selectField(ctx, state, { name: 'sex', label: labelOf(ctx, 'sex'), required: true, placeholder: t(ctx, 'Scegli', 'Choose'), options: [{ value: 'M', label: 'M' }, { value: 'F', label: 'F' }] })}</div>
  <div class="col-md-4">${text('birthProvince', { required: true, maxlength: 2, hint: t(ctx, 'Sigla, EE se nato all’estero', 'Code, EE if born abroad') })}</div>
  <div class="col-md-4">${text('birthMunicipality', { required: true, maxlength: 100 })}</div>
</div>
<div class="row">
  <div class="col-md-4">${selectField(ctx, state, {
    name: 'residence.abroad',
    label: labelOf(ctx, 'residence.abroad'),
    required: true,
    placeholder: t(ctx, 'Scegli', 'Choose'),
    options: [
      { value: 'yes', label: t(ctx, 'All’estero', 'Abroad') },
      { value: 'no', label: t(ctx, 'In Italia', 'In Italy') },
    ],
  })}</div>
  <div class="col-md-4">${selectField(ctx, state, {
    name: 'residence.country',
    label: labelOf(ctx, 'residence.country'),
    placeholder: t(ctx, 'Scegli lo Stato', 'Choose the country'),
    options: countryOptions(ctx.lang),
    hint: t(ctx, 'Solo per la residenza all’estero.', 'Only for a residence abroad.'),
  })}</div>
  <div class="col-md-4">${text('residence.province', { maxlength: 60 })}</div>
</div>
<div class="row">
  <div class="col-md-6">${text('residence.address', { required: true, maxlength: 200 })}</div>
  <div class="col-md-3">${text('residence.city', { required: true, maxlength: 100 })}</div>
  <div class="col-md-3">${text('residence.postalCode', { required: true, maxlength: 12 })}</div>
</div>
${checkbox(ctx, state, { name: 'hasItalianIdentityDocument', label: t(ctx, 'Il cittadino ha un documento di identità italiano valido', 'The citizen has a valid Italian identity document') })}
</fieldset>
<fieldset class="mb-4"><legend class="h5">${t(ctx, 'Recapiti', 'Contacts')}</legend>
<div class="row">
  <div class="col-md-6">${text('mobile', { type: 'tel', maxlength: 23, hint: t(ctx, 'Con prefisso internazionale, es. +39…', 'With the international prefix, e.g. +39…') })}</div>
  <div class="col-md-6">${text('homePhone', { type: 'tel', maxlength: 23 })}</div>
</div>
<div class="row">
  <div class="col-md-6">${text('email', { type: 'email', maxlength: 254 })}</div>
  <div class="col-md-6">${text('pec', { type: 'email', maxlength: 254 })}</div>
</div>
<div class="row">
  <div class="col-md-6">${selectField(ctx, state, {
    name: 'preferredPhone',
    label: labelOf(ctx, 'preferredPhone'),
    required: opts.callbackRequired,
    placeholder: t(ctx, 'Scegli', 'Choose'),
    options: [
      { value: 'mobile', label: labelOf(ctx, 'mobile') },
      { value: 'home', label: labelOf(ctx, 'homePhone') },
    ],
  })}</div>
  <div class="col-md-6">${selectField(ctx, state, {
    name: 'preferredTimeSlot',
    label: labelOf(ctx, 'preferredTimeSlot'),
    required: opts.callbackRequired,
    placeholder: t(ctx, 'Scegli', 'Choose'),
    options: PREFERRED_TIME_SLOTS.map((s) => ({ value: s.id, label: s.label[ctx.lang] })),
  })}</div>
</div>
</fieldset>`;
}
