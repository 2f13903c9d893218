-- Delegations registered at an INPS office, and the delegate's consent
-- (docs/decisions/0022-office-delegation-consent.md). Schema only.

-- Where it was given: 'online' by the delegator's dispositivo session, 'office' by a clerk from
-- the signed form and the documents checked in person. An office delegation is bound to the
-- person identified there, not to a PIN: it has no delegator credential.
ALTER TABLE delegations ADD COLUMN source text NOT NULL DEFAULT 'online' CHECK (source IN ('online', 'office'));
ALTER TABLE delegations ALTER COLUMN delegator_credential_id DROP NOT NULL;
ALTER TABLE delegations ADD CONSTRAINT delegations_online_has_credential CHECK (source = 'office' OR delegator_credential_id IS NOT NULL);
ALTER TABLE delegations ADD COLUMN registered_by text;
ALTER TABLE delegations ADD COLUMN office text;

-- The consent step: a new delegation is 'pending' until the delegate accepts it ('active') or
-- declines it; unanswered by `accept_by` it lapses. Rows from before (no `accept_by`) stay as
-- they are.
ALTER TABLE delegations DROP CONSTRAINT delegations_status_check;
ALTER TABLE delegations ADD CONSTRAINT delegations_status_check CHECK (status IN ('pending', 'active', 'expired', 'revoked', 'declined', 'lapsed'));
ALTER TABLE delegations ADD COLUMN accept_by timestamptz;
ALTER TABLE delegations ADD COLUMN accepted_at timestamptz;
ALTER TABLE delegations ADD COLUMN accepted_by text;

-- One live (pending or active) delegation per pair.
DROP INDEX delegations_one_active;
CREATE UNIQUE INDEX delegations_one_active ON delegations (delegator_cf, delegate_cf) WHERE status IN ('pending', 'active');

-- The identity documents a clerk checked in person for an office delegation: the delegator's,
-- and the delegate's when they came too.
CREATE TABLE delegation_identity_checks (
  id               uuid PRIMARY KEY,
  delegation_id    uuid NOT NULL REFERENCES delegations (id),
  party            text NOT NULL CHECK (party IN ('delegator', 'delegate')),
  document_type    text NOT NULL,
  document_number  text NOT NULL,
  document_issuer  text NOT NULL,
  issuing_country  text NOT NULL CHECK (issuing_country ~ '^[A-Z]{2}$'),
  issued_on        date,
  expires_on       date NOT NULL,
  verified_by      text NOT NULL,
  office           text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (delegation_id, party)
);

-- Idempotency of the clerk's registration (Idempotency-Key, scoped by the clerk).
ALTER TABLE delegations ADD COLUMN idempotency_key text UNIQUE;
