-- Credentials, requests, secrets (hashes only), the notification outbox and the mail room.
-- Personal data (codice fiscale, names, contacts) is stored in clear because clerks need it;
-- secrets (PINs, halves, link tokens) never are: only keyed hashes, or AES-GCM ciphertext
-- for a half that is still waiting to be printed or sent, wiped once it is no longer needed.

CREATE TABLE credentials (
  id              uuid PRIMARY KEY,
  codice_fiscale  text NOT NULL,
  state           text NOT NULL,
  pin_type        text NOT NULL DEFAULT 'ordinary',
  channel         text NOT NULL,
  holder          jsonb NOT NULL,
  contacts        jsonb NOT NULL,
  residence       jsonb NOT NULL,
  profile         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- At most one live credential per codice fiscale; expired and revoked ones stay for the record.
CREATE UNIQUE INDEX credentials_one_live_per_cf ON credentials (codice_fiscale)
  WHERE state NOT IN ('expired', 'revoked', 'cancelled');
CREATE INDEX credentials_cf ON credentials (codice_fiscale);

CREATE TABLE pin_requests (
  id               uuid PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  channel          text NOT NULL CHECK (channel IN ('online', 'contact_center', 'counter')),
  operator_id      text,
  data             jsonb NOT NULL,
  warnings         jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pin_requests_credential ON pin_requests (credential_id);

-- One row per PIN generation of a credential. The initial 16-character PIN is kept as two keyed
-- hashes (one per half), so a returned letter can void and replace the posted half alone.
CREATE TABLE pin_secrets (
  credential_id     uuid NOT NULL REFERENCES credentials (id),
  version           integer NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('initial', 'personal', 'telephone')),
  first_half_hash   bytea,
  second_half_hash  bytea,
  pin_hash          text,
  salt              bytea NOT NULL,
  second_half_enc   bytea,
  created_at        timestamptz NOT NULL DEFAULT now(),
  superseded_at     timestamptz,
  PRIMARY KEY (credential_id, version)
);

CREATE TABLE outbox (
  id               uuid PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  channel          text NOT NULL CHECK (channel IN ('sms', 'email', 'pec')),
  purpose          text NOT NULL,
  recipient        text NOT NULL,
  message_id       text NOT NULL,
  payload_enc      bytea,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX outbox_credential ON outbox (credential_id, created_at);
CREATE INDEX outbox_pending ON outbox (created_at) WHERE status = 'pending';

CREATE TABLE mailroom_batches (
  batch_date     date PRIMARY KEY,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dispatched')),
  manifest_path  text,
  letter_count   integer NOT NULL DEFAULT 0,
  dispatched_at  timestamptz,
  dispatched_by  text
);

CREATE TABLE letters (
  id             uuid PRIMARY KEY,
  credential_id  uuid NOT NULL REFERENCES credentials (id),
  pin_version    integer NOT NULL,
  seq            integer NOT NULL,
  reason         text NOT NULL,
  status         text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'dispatched', 'returned', 'void')),
  batch_date     date REFERENCES mailroom_batches (batch_date),
  file_path      text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  dispatched_at  timestamptz,
  UNIQUE (credential_id, seq)
);
CREATE INDEX letters_batch ON letters (batch_date);

-- The institute's own residence records, used to spot a request whose address differs.
CREATE TABLE institute_records (
  codice_fiscale  text PRIMARY KEY,
  residence       jsonb NOT NULL,
  profile         jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE callback_tasks (
  id             uuid PRIMARY KEY,
  credential_id  uuid NOT NULL UNIQUE REFERENCES credentials (id),
  reason         text NOT NULL,
  phone          text NOT NULL,
  time_slot      text NOT NULL,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz,
  closed_by      text
);

CREATE TABLE operational_alerts (
  id             uuid PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  credential_id  uuid REFERENCES credentials (id),
  kind           text NOT NULL,
  detail         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- The credential timeline: what happened, when, and who did it. Idempotent by key.
CREATE TABLE credential_events (
  id               bigserial PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  type             text NOT NULL,
  actor            text NOT NULL,
  data             jsonb NOT NULL DEFAULT '{}'::jsonb,
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credential_events_credential ON credential_events (credential_id, id);

-- Staff API tokens (hashed). The staff console's accounts and sessions build on this.
CREATE TABLE staff_tokens (
  token_hash  bytea PRIMARY KEY,
  staff_id    text NOT NULL,
  role        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
