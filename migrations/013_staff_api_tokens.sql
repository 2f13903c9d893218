-- Staff API tokens as a product feature (docs/decisions/0018-threat-model.md): issued to a staff
-- account by an administrator or `npm run staff:token`, with an expiry, revocable, and refused
-- once the account is disabled. Tokens made before (tests, no account) keep working as they were.
ALTER TABLE staff_tokens ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE staff_tokens ADD CONSTRAINT staff_tokens_id_unique UNIQUE (id);
ALTER TABLE staff_tokens ADD COLUMN account_id uuid REFERENCES staff_accounts (id);
ALTER TABLE staff_tokens ADD COLUMN label text;
ALTER TABLE staff_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE staff_tokens ADD COLUMN created_by text;
ALTER TABLE staff_tokens ADD COLUMN revoked_by text;
CREATE INDEX staff_tokens_account ON staff_tokens (account_id, created_at);
