-- A PIN request gets a protocol number people can read out and staff can look up, like a claim's
-- (`INPS.2026.00000007`): `PIN.<year>.<8 digits>`, one series for every channel.
CREATE SEQUENCE pin_request_protocol;
ALTER TABLE pin_requests ADD COLUMN protocol text UNIQUE;
UPDATE pin_requests SET protocol = 'PIN.' || to_char(created_at, 'YYYY') || '.' || lpad(nextval('pin_request_protocol')::text, 8, '0')
 WHERE protocol IS NULL;
ALTER TABLE pin_requests
  ALTER COLUMN protocol SET DEFAULT ('PIN.' || to_char(now(), 'YYYY') || '.' || lpad(nextval('pin_request_protocol')::text, 8, '0')),
  ALTER COLUMN protocol SET NOT NULL;
