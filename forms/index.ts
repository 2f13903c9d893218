/**
 * PDF documents of the PIN service, rendered with pdf-lib: the posted second-half letter, the
 * sealed-envelope sheet, form MV35 and the conversion request form. Every renderer is pure
 * (no I/O, no clock) and returns identical bytes for identical input, so an activity may be
 * retried safely.
 */
export { renderSecondHalfLetter, type SecondHalfLetterInput } from './second-half-letter';
export { renderSealedEnvelope, type SealedEnvelopeInput } from './sealed-envelope';
export { renderRequestReceipt, type RequestReceiptInput } from './request-receipt';
export { renderOfficeDelegationReceipt, type OfficeDelegationReceiptInput } from './office-delegation-receipt';
export { renderClaimReceipt, type ClaimReceiptInput } from './claim-receipt';
export { renderMv35, MV35_FIELDS, MV35_TITLE, type Mv35Input } from './mv35';
export {
  renderConversionRequest,
  CONVERSION_REQUEST_FIELDS,
  CONVERSION_REQUEST_TITLE,
  type ConversionRequestInput,
} from './conversion-request';
export { toWinAnsi, wrapText, WIN_ANSI_CODE_POINTS, PRODUCER, CREATOR } from './layout';
export { renderPrintPart, mergePrintParts, LETTERS_PER_PART, type PrintPartInput } from './print-batch';
