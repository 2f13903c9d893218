/** A benefit claim's statuses as the database keeps them: held, released, in processing, then one end. */
export const STORED_CLAIM_STATUSES = ['waiting_for_dispositivo', 'released', 'in_processing', 'accepted', 'rejected', 'withdrawn', 'cancelled'] as const;
export type StoredClaimStatus = (typeof STORED_CLAIM_STATUSES)[number];

/**
 * The declaration a claimant makes by filing a claim (the portal's "check your answers" step),
 * repeated on the claim's receipt.
 */
export const CLAIM_DECLARATION = {
  it: 'Dichiaro che i dati della domanda sono veri e di essere consapevole delle conseguenze delle dichiarazioni false (art. 76 del DPR 445/2000).',
  en: 'I declare that the data of the claim are true and that I am aware of the consequences of false statements (art. 76 of Presidential Decree 445/2000).',
} as const;

/**
 * Whether a claim was held for a dispositivo PIN when it was filed, from what its row says now:
 * still waiting, released by a conversion (a `claim_releases` row), cancelled with the PIN it
 * waited for, or withdrawn before it ever reached processing. A claim processed at once goes to
 * processing before it can be withdrawn, decided or released.
 */
export function heldAtFiling(claim: { status: StoredClaimStatus; releasedByConversion: boolean; processingAt: Date | string | null }): boolean {
  if (claim.releasedByConversion) return true;
  if (claim.status === 'waiting_for_dispositivo' || claim.status === 'cancelled') return true;
  return claim.status === 'withdrawn' && claim.processingAt === null;
}
