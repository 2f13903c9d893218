-- Accepting a request only writes to PostgreSQL; a starter drains accepted credentials into
-- Temporal at the pace it absorbs. NULL = accepted, its workflow not started yet.
ALTER TABLE credentials ADD COLUMN workflow_started_at timestamptz;
UPDATE credentials SET workflow_started_at = created_at;
CREATE INDEX credentials_to_start ON credentials (created_at) WHERE workflow_started_at IS NULL;
