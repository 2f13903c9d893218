-- One vocabulary for the credential's state and the request's channel, the same words in the
-- database, the workflow's query and the API (docs/decisions/0017-one-vocabulary.md).
--
-- The state after issuance was `pending_first_access` here and `awaiting_first_access` in the
-- workflow and the API: the database takes the workflow's word. `cancelled` was never written;
-- it leaves the live-credential predicate. `contact_center` becomes `contact_centre`, the
-- spelling of the audit actions, the revocation reason and the code.

UPDATE credentials SET state = 'awaiting_first_access' WHERE state = 'pending_first_access';
ALTER TABLE credentials ADD CONSTRAINT credentials_state_check
  CHECK (state IN ('requested', 'issuing', 'awaiting_first_access', 'active', 'pin_expired', 'expired', 'revoked'));

DROP INDEX credentials_one_live_per_cf;
CREATE UNIQUE INDEX credentials_one_live_per_cf ON credentials (codice_fiscale) WHERE state NOT IN ('expired', 'revoked');

ALTER TABLE pin_requests DROP CONSTRAINT pin_requests_channel_check;
UPDATE pin_requests SET channel = 'contact_centre' WHERE channel = 'contact_center';
ALTER TABLE pin_requests ADD CONSTRAINT pin_requests_channel_check
  CHECK (channel IN ('online', 'contact_centre', 'counter', 'remote_identification'));
UPDATE credentials SET channel = 'contact_centre' WHERE channel = 'contact_center';
