-- Recovery (ripristino), revocation, contact changes and delegation
-- (docs/decisions/0011-recovery-revocation-delegation.md).

-- Attempts at the identity checks that anyone may start with a codice fiscale (recovery
-- requests, holder revocations), counted per codice fiscale over a sliding window. Keyed by
-- HMAC-SHA-256(pepper, purpose, codice fiscale), so codici fiscali that hold no PIN are counted
-- the same way and never stored in clear.
CREATE TABLE identity_check_attempts (
  id       bigserial PRIMARY KEY,
  purpose  text NOT NULL CHECK (purpose IN ('recovery', 'revocation')),
  id_hash  bytea NOT NULL,
  at       timestamptz NOT NULL
);
CREATE INDEX identity_check_attempts_window ON identity_check_attempts (purpose, id_hash, at);

-- Recovery confirmation links. The token exists only in the e-mail/PEC that carries it (and,
-- until that is sent, encrypted in the outbox): here only its SHA-256. Single use, 24 hours.
-- 'requested': accepted by the API, link not created yet; 'sent': created and handed to the
-- outbox; 'used'; 'expired' (by its workflow's timer); 'void' (another link was used first).
CREATE TABLE recovery_links (
  id             uuid PRIMARY KEY,
  credential_id  uuid NOT NULL REFERENCES credentials (id),
  channel        text NOT NULL CHECK (channel IN ('email', 'pec')),
  status         text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'sent', 'used', 'expired', 'void')),
  token_hash     bytea UNIQUE,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  used_at        timestamptz
);
CREATE INDEX recovery_links_credential ON recovery_links (credential_id, requested_at);

-- Health-insurance cards (tessera sanitaria) as the institute knows them, to check a holder's
-- revocation request: the card number only as HMAC-SHA-256(pepper, number). Loaded from the
-- archive in a deployment; the development stack seeds its sample citizens at start-up (the
-- pepper is not known to SQL), tests insert their own.
CREATE TABLE health_cards (
  codice_fiscale    text PRIMARY KEY,
  card_number_hash  bytea NOT NULL,
  expires_on        date NOT NULL
);

-- Every change of a credential's contacts, with the old and new sets (personal data, as in
-- credentials.contacts; never a secret), who made it and how the caller was verified.
CREATE TABLE contact_changes (
  id             uuid PRIMARY KEY,
  credential_id  uuid NOT NULL REFERENCES credentials (id),
  old_contacts   jsonb NOT NULL,
  new_contacts   jsonb NOT NULL,
  changed_by     text NOT NULL,
  verification   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_changes_credential ON contact_changes (credential_id, created_at);

-- Delegations: a holder of a dispositivo PIN lets a trusted person (by codice fiscale) act for
-- them within a scope until an end date. One workflow per delegation (`delegation-<id>`) ends it
-- at `ends_at`; every check also compares `ends_at` with the clock, so access never outlives it.
CREATE TABLE delegations (
  id                       uuid PRIMARY KEY,
  delegator_credential_id  uuid NOT NULL REFERENCES credentials (id),
  delegator_cf             text NOT NULL,
  delegate_cf              text NOT NULL,
  scope                    text NOT NULL CHECK (scope IN ('consult', 'consult_and_claims')),
  ends_on                  date NOT NULL,
  ends_at                  timestamptz NOT NULL,
  status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'revoked')),
  created_at               timestamptz NOT NULL DEFAULT now(),
  ended_at                 timestamptz,
  ended_by                 text,
  CHECK (delegator_cf <> delegate_cf)
);
CREATE UNIQUE INDEX delegations_one_active ON delegations (delegator_cf, delegate_cf) WHERE status = 'active';
CREATE INDEX delegations_delegate ON delegations (delegate_cf, status);
CREATE INDEX delegations_delegator ON delegations (delegator_cf, status);
