-- The audit log under a key kept outside the database (lib/audit.ts, docs/decisions/0018).
--
-- key_id names the secrets key whose derived audit key MACed the row; rows written before this
-- migration keep their unkeyed SHA-256 and key_id NULL (accepted only as the chain's prefix).
ALTER TABLE audit_log ADD COLUMN key_id smallint;

-- Append-only: no role, the owner included, may change or remove a row through ordinary SQL.
-- (Someone who can drop the trigger can also rewrite rows; the keyed MACs and the checkpoints
-- kept outside the database are what show it.)
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- The login's grant no longer writes the audit row itself: the row's MAC needs the key, which
-- never reaches the database. The function resets the count, opens the session, takes the
-- chain's lock and returns the chain's head; the caller appends the row in the same transaction.
DROP FUNCTION login_grant(uuid, timestamptz, bytea, integer, text, timestamptz, text, timestamptz, text, text, jsonb, bytea);
CREATE FUNCTION login_grant(
  p_credential_id uuid,
  p_now           timestamptz,
  p_token_hash    bytea,
  p_pin_version   integer,
  p_auth_kind     text,
  p_expires_at    timestamptz,
  p_client_ip     text
) RETURNS TABLE (granted boolean, chain_head bytea)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  UPDATE credential_access
     SET consecutive_failures = 0, locked_until = NULL, last_success_at = p_now
   WHERE credential_id = p_credential_id
     AND permanently_locked_at IS NULL
     AND (locked_until IS NULL OR locked_until <= p_now);
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, NULL::bytea;
    RETURN;
  END IF;
  INSERT INTO sessions (token_hash, credential_id, pin_version, auth_kind, created_at, last_seen_at, expires_at, client_ip)
  VALUES (p_token_hash, p_credential_id, p_pin_version, p_auth_kind, p_now, p_now, p_expires_at, p_client_ip);
  PERFORM pg_advisory_xact_lock(7233002);
  -- A statement of its own, so its snapshot is taken after the lock is held.
  RETURN QUERY SELECT true, (SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1);
END
$$;
