-- A granted login in one round trip (api/routes/sessions.ts, docs/decisions/0005-login-lockout.md):
-- reset the failure count only if no lock holds at p_now, open the session, and append the
-- 'granted' row to the chained audit log — the same append as lib/audit.ts (advisory lock
-- 7233002, previous row's hash, SHA-256 over it and the row's encoded content, which the caller
-- computes exactly as auditRowHash does and passes as p_hash_parts).
--
-- VOLATILE plpgsql: under READ COMMITTED each statement takes a fresh snapshot, so the previous
-- row is read after the advisory lock is held, as lib/audit.ts does with two statements.
-- Returns false, having changed nothing, when the counter row is missing or a lock holds.
CREATE FUNCTION login_grant(
  p_credential_id uuid,
  p_now           timestamptz,
  p_token_hash    bytea,
  p_pin_version   integer,
  p_auth_kind     text,
  p_expires_at    timestamptz,
  p_client_ip     text,
  p_audit_at      timestamptz,
  p_actor         text,
  p_subject       text,
  p_detail        jsonb,
  p_hash_parts    bytea
) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  prev bytea;
BEGIN
  UPDATE credential_access
     SET consecutive_failures = 0, locked_until = NULL, last_success_at = p_now
   WHERE credential_id = p_credential_id
     AND permanently_locked_at IS NULL
     AND (locked_until IS NULL OR locked_until <= p_now);
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO sessions (token_hash, credential_id, pin_version, auth_kind, created_at, last_seen_at, expires_at, client_ip)
  VALUES (p_token_hash, p_credential_id, p_pin_version, p_auth_kind, p_now, p_now, p_expires_at, p_client_ip);
  PERFORM pg_advisory_xact_lock(7233002);
  SELECT row_hash INTO prev FROM audit_log ORDER BY id DESC LIMIT 1;
  INSERT INTO audit_log (at, actor, action, subject, decision, detail, prev_hash, row_hash)
  VALUES (p_audit_at, p_actor, 'login', p_subject, 'granted', p_detail, prev, sha256(coalesce(prev, ''::bytea) || p_hash_parts));
  RETURN true;
END
$$;
