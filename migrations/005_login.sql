-- Login: how a session was opened, and lock counters for identifiers that have no live
-- credential, so that a codice fiscale without a PIN locks exactly like one with a PIN and the
-- answers never tell which codici fiscali hold a PIN (docs/decisions/0005-login-lockout.md).

-- 'personal': the 8-character PIN (scope = the credential's current PIN type);
-- 'simplified': the first half of the initial PIN under the 2020 simplified procedure.
ALTER TABLE sessions ADD COLUMN auth_kind text NOT NULL DEFAULT 'personal'
  CHECK (auth_kind IN ('personal', 'simplified'));

-- Keyed by HMAC-SHA-256(pepper, codice fiscale): no codice fiscale in clear for people who
-- may have no PIN at all (often a typing mistake for someone else's code).
CREATE TABLE login_identifier_access (
  id_hash               bytea PRIMARY KEY,
  consecutive_failures  integer NOT NULL DEFAULT 0,
  locked_until          timestamptz,
  permanently_locked_at timestamptz,
  last_failure_at       timestamptz,
  last_success_at       timestamptz
);
