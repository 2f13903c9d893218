-- Telephone PINs are created by citizens authenticated with SPID, CIE or CNS, most of whom hold no
-- PIN credential (none has been issued to them since October 2021): the PIN belongs to the codice
-- fiscale, and links to the citizen's live credential only when there is one.
ALTER TABLE telephone_pins ALTER COLUMN credential_id DROP NOT NULL;
CREATE INDEX telephone_pins_cf ON telephone_pins (codice_fiscale, created_at);

-- Identity-broker assertions already used (their `jti`), so one cannot be replayed. A row is
-- needed only until the assertion expires; after that the expiry check refuses it anyway.
CREATE TABLE used_identity_assertions (
  jti         text PRIMARY KEY,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX used_identity_assertions_expiry ON used_identity_assertions (expires_at);
