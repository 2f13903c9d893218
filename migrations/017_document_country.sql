-- A checked identity document names the state that issued it (ISO 3166-1 alpha-2): foreign
-- passports and identity cards are accepted wherever a document is checked.
ALTER TABLE identity_verifications ADD COLUMN issuing_country text NOT NULL DEFAULT 'IT' CHECK (issuing_country ~ '^[A-Z]{2}$');
