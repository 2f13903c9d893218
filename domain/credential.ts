/**
 * A credential: its states — one vocabulary for the database, the workflow's query and the API —
 * and its row as services and activities read it.
 */

/**
 * The life of a credential. The database records all of them but `awaiting_letter_dispatch`,
 * which only the workflow's query shows (the letters table says when a letter was posted).
 * `awaiting_callback`: the declared residence differs from the institute's record and nothing is
 * made or sent until the contact centre's call verifies the requester; `refused`: it did not.
 */
export const CREDENTIAL_STATES = [
  'requested',
  'issuing',
  'awaiting_callback',
  'awaiting_letter_dispatch',
  'awaiting_first_access',
  'active',
  'pin_expired',
  'expired',
  'revoked',
  'refused',
] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

/** States after which a credential is over: not the citizen's PIN any more (a new one may be requested). */
export const ENDED_STATES = ['expired', 'revoked', 'refused'] as const satisfies readonly CredentialState[];

/** Live: still the citizen's PIN, whatever its stage. At most one per codice fiscale (unique index). */
export const isLive = (state: string): boolean => !(ENDED_STATES as readonly string[]).includes(state);

/** A credential whose holder can still use, recover, revoke or have it re-issued. */
export const HOLDER_STATES = ['awaiting_first_access', 'active', 'pin_expired'] as const satisfies readonly CredentialState[];

export interface CredentialRow {
  id: string;
  state: string;
  codice_fiscale: string;
  holder: { name: string; surname: string } & Record<string, unknown>;
  contacts: { mobile?: string; homePhone?: string; email?: string; pec?: string; preferredPhone: 'home' | 'mobile'; preferredTimeSlot: string };
  residence: Record<string, unknown>;
  profile: { category?: string; scheme?: string; intermediary?: boolean };
}

