-- The workflow starter claims credentials with a short lease instead of holding row locks in a
-- transaction while it calls Temporal (docs/decisions/0018-threat-model.md): a starter that dies
-- mid-pass leaves rows whose lease simply runs out.
ALTER TABLE credentials ADD COLUMN workflow_start_lease_until timestamptz;
