-- A day's batch is closed before it is dispatched: queueLetter files new letters into the next
-- day while the print files are built outside any transaction, in parts of 500 letters, then one
-- short transaction marks the letters and the batch dispatched (docs/decisions/0024).
ALTER TABLE mailroom_batches DROP CONSTRAINT mailroom_batches_status_check;
ALTER TABLE mailroom_batches ADD CONSTRAINT mailroom_batches_status_check CHECK (status IN ('open', 'closed', 'dispatched'));
ALTER TABLE mailroom_batches
  ADD COLUMN closed_at       timestamptz,
  ADD COLUMN closed_by       text,
  -- Letters in the print order when the batch closed (letter_count stays the number dispatched).
  ADD COLUMN letters_total   integer,
  ADD COLUMN print_path      text,
  ADD COLUMN print_sha256    text,
  ADD COLUMN csv_path        text,
  ADD COLUMN csv_sha256      text,
  ADD COLUMN files_built_at  timestamptz,
  -- The print file carries PIN halves: deleted with the letters' retention, and the row says when.
  ADD COLUMN files_purged_at timestamptz;

-- A letter's place in the batch's print order (country, postal code, city, address), from 1.
ALTER TABLE letters ADD COLUMN print_seq integer;
CREATE UNIQUE INDEX letters_print_order ON letters (batch_date, print_seq) WHERE print_seq IS NOT NULL;

-- One row per part of 500 letters built (cover page + letters): the letters it holds, so a
-- retry finds the part done and the progress is the sum of the parts.
CREATE TABLE mailroom_batch_parts (
  batch_date  date NOT NULL REFERENCES mailroom_batches (batch_date),
  part        integer NOT NULL,
  letter_ids  uuid[] NOT NULL,
  file_path   text NOT NULL,
  built_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_date, part)
);
