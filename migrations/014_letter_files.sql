-- Letter PDFs carry the second half of a PIN: their files are deleted once they are no longer
-- needed (a voided letter at once, a dispatched one after LETTER_RETENTION_DAYS), and the row
-- says when (docs/decisions/0018-threat-model.md).
ALTER TABLE letters ADD COLUMN file_purged_at timestamptz;
CREATE INDEX letters_files_to_purge ON letters (dispatched_at) WHERE file_path IS NOT NULL AND status <> 'queued';
