-- Citizens signed in with SPID, CIE or CNS through OpenID Connect (services/identity/citizen-identity.ts,
-- docs/decisions/0023-citizen-sign-in-openid-connect.md). The session token is never stored:
-- only its SHA-256. The home-made broker assertion this replaces kept the ids of used assertions.
CREATE TABLE identity_sessions (
  id             uuid PRIMARY KEY,
  token_hash     bytea NOT NULL UNIQUE,
  codice_fiscale text NOT NULL,
  method         text NOT NULL CHECK (method IN ('SPID', 'CIE', 'CNS')),
  acr            text NOT NULL,
  -- The provider's subject identifier, to trace a session back to its sign-in there.
  subject        text NOT NULL,
  client_ip      text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  ended_at       timestamptz
);
CREATE INDEX identity_sessions_expiry ON identity_sessions (expires_at) WHERE ended_at IS NULL;

DROP TABLE used_identity_assertions;
