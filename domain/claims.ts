/** A benefit claim's statuses as the database keeps them: held, released, in processing, then one end. */
export const STORED_CLAIM_STATUSES = ['waiting_for_dispositivo', 'released', 'in_processing', 'accepted', 'rejected', 'withdrawn', 'cancelled'] as const;
export type StoredClaimStatus = (typeof STORED_CLAIM_STATUSES)[number];
