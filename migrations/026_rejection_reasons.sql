-- A rejected conversion says why from a list of reasons, each with its Italian and English text
-- (domain/review-reasons.ts): the citizen's notice and pages give the reason in their language.
-- The clerk may add a note for the staff, never sent to the citizen. Decisions made before keep
-- their free text in `reason` (as does the 'refused_by_workflow' marker of a case the system closed).
ALTER TABLE review_cases
  ADD COLUMN reason_code text CHECK (reason_code IN (
    'document_illegible', 'document_expired', 'data_mismatch', 'signature_missing',
    'form_incomplete', 'document_not_valid', 'other'
  )),
  ADD COLUMN note text CHECK (char_length(note) <= 500);
