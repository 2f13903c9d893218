-- Access: the personal 8-character PIN (argon2id in pin_secrets.pin_hash), login failure
-- counting and locks, sessions, telephone PINs, and the append-only audit log.

ALTER TABLE pin_secrets ADD COLUMN activated_at timestamptz;
ALTER TABLE pin_secrets ADD COLUMN expires_at timestamptz;
-- A personal PIN row is written 'pending' by the API and activated by the credential's workflow.
ALTER TABLE pin_secrets ADD COLUMN status text NOT NULL DEFAULT 'active'
  CHECK (status IN ('pending', 'active', 'superseded'));

-- One row per credential. Failures are counted per credential and survive a new PIN (issuing
-- one does not reset them); a permanent lock needs recovery or revocation.
CREATE TABLE credential_access (
  credential_id         uuid PRIMARY KEY REFERENCES credentials (id),
  consecutive_failures  integer NOT NULL DEFAULT 0,
  locked_until          timestamptz,
  permanently_locked_at timestamptz,
  last_failure_at       timestamptz,
  last_success_at       timestamptz
);

-- Opaque session tokens, stored as SHA-256.
CREATE TABLE sessions (
  token_hash      bytea PRIMARY KEY,
  credential_id   uuid NOT NULL REFERENCES credentials (id),
  pin_version     integer NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  client_ip       text,
  revoked_at      timestamptz,
  revoked_reason  text
);
CREATE INDEX sessions_live_by_credential ON sessions (credential_id) WHERE revoked_at IS NULL;

-- Telephone PINs for the contact centre: argon2id hash only, one active per credential.
CREATE TABLE telephone_pins (
  id               uuid PRIMARY KEY,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  codice_fiscale   text NOT NULL,
  pin_hash         text NOT NULL,
  validity         text NOT NULL CHECK (validity IN ('1d', '1w', '1m', '3m')),
  identity_method  text NOT NULL CHECK (identity_method IN ('SPID', 'CIE', 'CNS')),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'revoked', 'locked')),
  failed_attempts  integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  ended_at         timestamptz
);
CREATE UNIQUE INDEX telephone_pins_one_active ON telephone_pins (codice_fiscale) WHERE status = 'active';

-- Append-only audit log, each row chained to the previous one by a SHA-256 hash over its
-- content and the previous row's hash; editing or deleting a row breaks the chain.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor       text NOT NULL,
  action      text NOT NULL,
  subject     text,
  decision    text,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash   bytea,
  row_hash    bytea NOT NULL
);
