/**
 * The identity-document fields of the console's forms (counter issuance, counter conversion,
 * remote identification, office delegation), with the office where the form has one: the same
 * labels, the same order, the same input for the services (domain/identity-document.ts checks
 * it). A form with two documents (the delegator's and the delegate's) names them by `prefix`.
 */
import { IDENTITY_DOCUMENT_TYPES } from '../domain/identity-document';
import { countryOptions, selectField, textField, type FormState } from '../portal/views';
import { html, type SafeHtml } from '../web/html';
import { t, tb, type ConsoleContext } from './layout';

const PARTS = ['type', 'number', 'issuer', 'issuingCountry', 'issuedOn', 'expiresOn'] as const;

/** The form field names of one identity document. */
export const documentFields = (prefix: string): string[] => PARTS.map((part) => `${prefix}.${part}`);

export const DOCUMENT_FIELDS = documentFields('identityDocument') as readonly string[];

/** Labels of the office and identity-document fields (`prefix`'s fields; `whose` ends each label, e.g. "(delegante)"). */
export function documentLabels(ctx: ConsoleContext, prefix = 'identityDocument', whose = ''): Record<string, string> {
  const end = whose ? ` ${whose}` : '';
  return {
    office: t(ctx, 'Sede INPS', 'INPS office'),
    [`${prefix}.type`]: t(ctx, 'Tipo di documento', 'Document type') + end,
    [`${prefix}.number`]: t(ctx, 'Numero del documento', 'Document number') + end,
    [`${prefix}.issuer`]: t(ctx, 'Rilasciato da', 'Issued by') + end,
    [`${prefix}.issuingCountry`]: t(ctx, 'Stato di rilascio (documenti esteri)', 'Issuing state (foreign documents)') + end,
    [`${prefix}.issuedOn`]: t(ctx, 'Data di rilascio', 'Issue date') + end,
    [`${prefix}.expiresOn`]: t(ctx, 'Data di scadenza', 'Expiry date') + end,
  };
}

/**
 * The office (unless `withOffice` is false) and the identity document shown, as the counter and
 * the contact centre ask for them; `prefix`, `legend`, `whose` and `required` for a form with
 * more than one document (an optional one is left empty when not shown).
 */
export function documentFieldset(
  ctx: ConsoleContext,
  state: FormState,
  opts: { withOffice?: boolean; prefix?: string; legend?: string; whose?: string; required?: boolean } = {},
): SafeHtml {
  const prefix = opts.prefix ?? 'identityDocument';
  const required = opts.required !== false;
  const labels = documentLabels(ctx, prefix, opts.whose);
  const text = (name: string, extra: Partial<Parameters<typeof textField>[2]> = {}) => textField(ctx, state, { name, label: labels[name] ?? name, required, ...extra });
  const withOffice = opts.withOffice !== false;
  const legend = opts.legend ?? (withOffice ? t(ctx, 'Sede e documento esibito', 'Office and document shown') : t(ctx, 'Documento di identità', 'Identity document'));
  return html`<fieldset class="mb-4"><legend class="h5">${legend}</legend>
  ${withOffice ? html`<div class="row"><div class="col-md-6">${textField(ctx, state, { name: 'office', label: labels.office!, required: true, maxlength: 120 })}</div></div>` : ''}
  <div class="row">
    <div class="col-md-6">${selectField(ctx, state, {
      name: `${prefix}.type`,
      label: labels[`${prefix}.type`]!,
      required,
      placeholder: t(ctx, 'Scegli', 'Choose'),
      options: Object.entries(IDENTITY_DOCUMENT_TYPES).map(([value, d]) => ({ value, label: tb(ctx, d.label) })),
    })}</div>
    <div class="col-md-3">${text(`${prefix}.number`, { maxlength: 20, autocapitalize: 'characters' })}</div>
    <div class="col-md-3">${text(`${prefix}.issuer`, { maxlength: 120 })}</div>
  </div>
  <div class="row">
    <div class="col-md-3">${selectField(ctx, state, {
      name: `${prefix}.issuingCountry`,
      label: labels[`${prefix}.issuingCountry`]!,
      placeholder: t(ctx, 'Scegli lo Stato', 'Choose the country'),
      options: countryOptions(ctx.lang),
      hint: t(ctx, 'Solo per i documenti esteri.', 'Foreign documents only.'),
    })}</div>
    <div class="col-md-3">${text(`${prefix}.issuedOn`, { type: 'date' })}</div>
    <div class="col-md-3">${text(`${prefix}.expiresOn`, { type: 'date' })}</div>
  </div>
  </fieldset>`;
}

/** The identity document of a posted counter form (`prefix`'s fields), as the services take it. */
export function documentInput(values: Record<string, string>, prefix = 'identityDocument') {
  return {
    type: values[`${prefix}.type`] || undefined,
    number: values[`${prefix}.number`],
    issuer: values[`${prefix}.issuer`],
    ...(values[`${prefix}.issuingCountry`] ? { issuingCountry: values[`${prefix}.issuingCountry`] } : {}),
    issuedOn: values[`${prefix}.issuedOn`],
    expiresOn: values[`${prefix}.expiresOn`],
  };
}

/** Whether any of `prefix`'s document fields was filled in (an optional document left empty is not given). */
export const documentGiven = (values: Record<string, string>, prefix: string): boolean => documentFields(prefix).some((f) => (values[f] ?? '').trim() !== '');
