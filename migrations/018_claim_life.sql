-- A claim's life after processing starts (docs/decisions/0020): decided (accepted or rejected,
-- with the reason), withdrawn by the claimant before a decision, or cancelled — with a notice —
-- when the credential it waits on is revoked.
ALTER TABLE benefit_claims DROP CONSTRAINT benefit_claims_status_check;
ALTER TABLE benefit_claims ADD CONSTRAINT benefit_claims_status_check
  CHECK (status IN ('waiting_for_dispositivo', 'released', 'in_processing', 'accepted', 'rejected', 'withdrawn', 'cancelled'));
ALTER TABLE benefit_claims
  ADD COLUMN ended_at    timestamptz,
  ADD COLUMN ended_by    text,
  ADD COLUMN reason      text;
