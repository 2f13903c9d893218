-- Staff accounts and console sessions (docs/decisions/0013-staff-accounts-and-console.md).
-- The password is kept as argon2id (with the pepper), the TOTP secret as AES-256-GCM ciphertext
-- (SECRETS_KEY, bound to the account id); a session as the SHA-256 of its token only.

CREATE TABLE staff_accounts (
  id                uuid PRIMARY KEY,
  -- Lower case; also the staff id recorded in cases, timelines and the audit log.
  username          text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{2,31}$'),
  display_name      text NOT NULL,
  role              text NOT NULL CHECK (role IN ('clerk', 'supervisor', 'operator', 'operations', 'admin')),
  password_hash     text NOT NULL,
  totp_secret_enc   bytea NOT NULL,
  -- The last 30-second step a code was accepted for: a code is never accepted twice.
  totp_last_step    bigint NOT NULL DEFAULT 0,
  failed_attempts   integer NOT NULL DEFAULT 0,
  locked_until      timestamptz,
  last_login_at     timestamptz,
  disabled_at       timestamptz,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_sessions (
  token_hash     bytea PRIMARY KEY,
  staff_id       uuid NOT NULL REFERENCES staff_accounts (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  client_ip      text,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX staff_sessions_live_by_staff ON staff_sessions (staff_id) WHERE revoked_at IS NULL;
