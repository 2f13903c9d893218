/**
 * The identity-document fields of the console's forms (counter issuance, counter conversion,
 * remote identification), with the office where the form has one: the same labels, the same
 * order, the same input for the services (domain/identity-document.ts checks it).
 */
import { IDENTITY_DOCUMENT_TYPES } from '../domain/identity-document';
import { selectField, textField, type FormState } from '../portal/views';
import { html, type SafeHtml } from '../web/html';
import { t, tb, type ConsoleContext } from './layout';

export const DOCUMENT_FIELDS = ['identityDocument.type', 'identityDocument.number', 'identityDocument.issuer', 'identityDocument.issuingCountry', 'identityDocument.issuedOn', 'identityDocument.expiresOn'] as const;

/** Labels of the office and identity-document fields. */
export function documentLabels(ctx: ConsoleContext): Record<string, string> {
  return {
    office: t(ctx, 'Sede INPS', 'INPS office'),
    'identityDocument.type': t(ctx, 'Tipo di documento', 'Document type'),
    'identityDocument.number': t(ctx, 'Numero del documento', 'Document number'),
    'identityDocument.issuer': t(ctx, 'Rilasciato da', 'Issued by'),
    'identityDocument.issuingCountry': t(ctx, 'Stato di rilascio (documenti esteri)', 'Issuing state (foreign documents)'),
    'identityDocument.issuedOn': t(ctx, 'Data di rilascio', 'Issue date'),
    'identityDocument.expiresOn': t(ctx, 'Data di scadenza', 'Expiry date'),
  };
}

/** The office (unless `withOffice` is false) and the identity document shown, as the counter and the contact centre ask for them. */
export function documentFieldset(ctx: ConsoleContext, state: FormState, opts: { withOffice?: boolean } = {}): SafeHtml {
  const labels = documentLabels(ctx);
  const text = (name: string, extra: Partial<Parameters<typeof textField>[2]> = {}) => textField(ctx, state, { name, label: labels[name] ?? name, required: true, ...extra });
  const withOffice = opts.withOffice !== false;
  return html`<fieldset class="mb-4"><legend class="h5">${withOffice ? t(ctx, 'Sede e documento esibito', 'Office and document shown') : t(ctx, 'Documento di identità', 'Identity document')}</legend>
  ${withOffice ? html`<div class="row"><div class="col-md-6">${text('office', { maxlength: 120 })}</div></div>` : ''}
  <div class="row">
    <div class="col-md-6">${selectField(ctx, state, {
      name: 'identityDocument.type',
      label: labels['identityDocument.type']!,
      required: true,
      placeholder: t(ctx, 'Scegli', 'Choose'),
      options: Object.entries(IDENTITY_DOCUMENT_TYPES).map(([value, d]) => ({ value, label: tb(ctx, d.label) })),
    })}</div>
    <div class="col-md-3">${text('identityDocument.number', { maxlength: 20, autocapitalize: 'characters' })}</div>
    <div class="col-md-3">${text('identityDocument.issuer', { maxlength: 120 })}</div>
  </div>
  <div class="row">
    <div class="col-md-3">${text('identityDocument.issuingCountry', { required: false, maxlength: 2, autocapitalize: 'characters', hint: t(ctx, 'Codice ISO di 2 lettere (es. AR)', '2-letter ISO code (e.g. AR)') })}</div>
    <div class="col-md-3">${text('identityDocument.issuedOn', { type: 'date' })}</div>
    <div class="col-md-3">${text('identityDocument.expiresOn', { type: 'date' })}</div>
  </div>
  </fieldset>`;
}

/** The identity document of a posted counter form, as the services take it. */
export function documentInput(values: Record<string, string>) {
  return {
    type: values['identityDocument.type'] || undefined,
    number: values['identityDocument.number'],
    issuer: values['identityDocument.issuer'],
    ...(values['identityDocument.issuingCountry'] ? { issuingCountry: values['identityDocument.issuingCountry'] } : {}),
    issuedOn: values['identityDocument.issuedOn'],
    expiresOn: values['identityDocument.expiresOn'],
  };
}
