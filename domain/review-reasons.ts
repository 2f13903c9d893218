/**
 * Why a clerk rejects a conversion request: one reason picked from a list, each with its Italian
 * and English text, plus an optional note for the staff. The citizen's notice and pages say the
 * reason's text in their language; the note is never sent to the citizen (a clerk's free text
 * cannot be told in both languages), but is kept with the decision for the contact centre and
 * the offices. The codes are stored (review_cases.reason_code, migration 026).
 */
import type { Bilingual } from './errors';

export const REJECTION_REASONS = {
  document_illegible: { text: { it: 'Documento illeggibile', en: 'Document illegible' } },
  document_expired: { text: { it: 'Documento di identità scaduto', en: 'Identity document expired' } },
  data_mismatch: { text: { it: 'Dati non corrispondenti a quelli in possesso dell’Istituto', en: 'Data not matching the institute’s records' } },
  signature_missing: { text: { it: 'Firma mancante sul modulo di richiesta', en: 'Signature missing on the request form' } },
  form_incomplete: { text: { it: 'Modulo di richiesta incompleto', en: 'Request form incomplete' } },
  document_not_valid: { text: { it: 'Documento non valido per l’identificazione', en: 'Document not valid for identification' } },
  other: {
    label: { it: 'Altro motivo (spiegalo nella nota)', en: 'Another reason (explain it in the note)' },
    text: {
      it: 'Altro motivo: per i dettagli rivolgersi al Contact center o a una sede INPS',
      en: 'Another reason: for the details, contact the INPS contact centre or an INPS office',
    },
  },
} as const satisfies Record<string, { text: Bilingual; label?: Bilingual }>;

export type RejectionReasonCode = keyof typeof REJECTION_REASONS;

export const REJECTION_REASON_CODES = Object.keys(REJECTION_REASONS) as [RejectionReasonCode, ...RejectionReasonCode[]];

export const isRejectionReasonCode = (value: unknown): value is RejectionReasonCode => typeof value === 'string' && Object.hasOwn(REJECTION_REASONS, value);

/** A reason as the staff pick it from the list (the citizen's text unless it has a label of its own). */
export function rejectionLabel(code: RejectionReasonCode): Bilingual {
  const reason: { text: Bilingual; label?: Bilingual } = REJECTION_REASONS[code];
  return reason.label ?? reason.text;
}

/** Longest note kept with a decision. */
export const DECISION_NOTE_MAX = 500;

/** The reason of a rejection as told to the citizen: the code's text, or the free text of a decision made before the codes. */
export function rejectionText(reasonCode: string | null | undefined, legacyReason?: string | null): Bilingual | undefined {
  if (isRejectionReasonCode(reasonCode)) return REJECTION_REASONS[reasonCode].text;
  const text = legacyReason?.trim();
  return text ? { it: text, en: text } : undefined;
}

/**
 * What is wrong with a decision's reason, as the review workflow's refusal code, or undefined:
 * a rejection needs a known reason code (or, in a decision sent before the codes, its free text
 * `reason`); "other" needs a note; a code goes with a rejection only.
 */
export function decisionReasonProblem(
  rejecting: boolean,
  given: { reasonCode?: string; note?: string; reason?: string },
): 'REASON_REQUIRED' | 'UNKNOWN_REASON' | 'NOTE_REQUIRED' | 'REASON_ONLY_TO_REJECT' | undefined {
  if (given.reasonCode !== undefined && !isRejectionReasonCode(given.reasonCode)) return 'UNKNOWN_REASON';
  if (!rejecting) return given.reasonCode !== undefined ? 'REASON_ONLY_TO_REJECT' : undefined;
  if (given.reasonCode === undefined) return given.reason?.trim() ? undefined : 'REASON_REQUIRED';
  if (given.reasonCode === 'other' && !given.note?.trim()) return 'NOTE_REQUIRED';
  return undefined;
}
