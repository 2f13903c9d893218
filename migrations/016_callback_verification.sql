-- The residence call-back is a verification step, not a reminder (docs/decisions/0019): a request
-- whose declared residence differs from the institute's record waits, with no PIN made, sent or
-- posted, until a contact-centre operator records the call's outcome.
--
-- `awaiting_callback`: the request waits for the call. `refused`: the call did not verify the
-- requester (or nobody answered within the tries and days allowed); the request is over and the
-- person may ask again.
ALTER TABLE credentials DROP CONSTRAINT credentials_state_check;
ALTER TABLE credentials ADD CONSTRAINT credentials_state_check
  CHECK (state IN ('requested', 'issuing', 'awaiting_callback', 'awaiting_first_access', 'active', 'pin_expired', 'expired', 'revoked', 'refused'));
DROP INDEX credentials_one_live_per_cf;
CREATE UNIQUE INDEX credentials_one_live_per_cf ON credentials (codice_fiscale) WHERE state NOT IN ('expired', 'revoked', 'refused');

-- Each call's outcome, who recorded it and when; the task ends verified or refused.
ALTER TABLE callback_tasks DROP CONSTRAINT callback_tasks_status_check;
UPDATE callback_tasks SET status = 'verified' WHERE status = 'done';
ALTER TABLE callback_tasks ADD CONSTRAINT callback_tasks_status_check CHECK (status IN ('open', 'verified', 'refused'));
ALTER TABLE callback_tasks
  ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
  ADD COLUMN outcome         text CHECK (outcome IN ('verified', 'not_verified', 'unreachable', 'expired')),
  ADD COLUMN address         text CHECK (address IN ('record', 'declared')),
  ADD COLUMN note            text,
  ADD COLUMN last_attempt_at timestamptz,
  ADD COLUMN last_attempt_by text;
CREATE TABLE callback_attempts (
  task_id      uuid NOT NULL REFERENCES callback_tasks (id),
  attempt      integer NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('verified', 'not_verified', 'unreachable')),
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  note         text,
  PRIMARY KEY (task_id, attempt)
);
