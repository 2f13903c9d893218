-- Conversion to dispositivo (documents, review cases), benefit claims held until conversion,
-- counter issuance (MV35) and remote identification.

-- Uploaded or generated documents. The file lives on disk under `storage_name` (a generated
-- name, never the uploader's) in a directory nothing serves statically; only staff routes read
-- it back, with its stored media type and `nosniff`.
CREATE TABLE documents (
  id             uuid PRIMARY KEY,
  credential_id  uuid NOT NULL REFERENCES credentials (id),
  kind           text NOT NULL CHECK (kind IN ('signed_request', 'identity_document', 'fax', 'mv35')),
  media_type     text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes     integer NOT NULL,
  sha256         bytea NOT NULL,
  storage_name   text NOT NULL UNIQUE,
  -- The name the uploader gave, reduced to a safe display form (no path, no control characters).
  display_name   text NOT NULL,
  uploaded_by    text NOT NULL,
  case_id        uuid,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_credential ON documents (credential_id, created_at);

-- Uploads refused because they carried malware (the EICAR test string in tests): kept apart
-- for the security team, never attached to a case.
CREATE TABLE quarantined_uploads (
  id             uuid PRIMARY KEY,
  credential_id  uuid REFERENCES credentials (id),
  reason         text NOT NULL,
  size_bytes     integer NOT NULL,
  sha256         bytea NOT NULL,
  storage_name   text NOT NULL,
  uploaded_by    text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- One review case per conversion request; its workflow (`review-<id>`) is a child of the
-- credential's workflow. This table is the read model for queues, the console and metrics.
CREATE TABLE review_cases (
  id                      uuid PRIMARY KEY,
  credential_id           uuid NOT NULL REFERENCES credentials (id),
  source                  text NOT NULL CHECK (source IN ('online', 'fax', 'office')),
  status                  text NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'claimed', 'awaiting_second_review', 'approved', 'rejected')),
  high_risk               boolean NOT NULL DEFAULT false,
  risk_flags              jsonb NOT NULL DEFAULT '[]'::jsonb,
  second_review_required  boolean NOT NULL DEFAULT false,
  claimed_by              text,
  claimed_at              timestamptz,
  first_decision_by       text,
  first_decision_at       timestamptz,
  decided_by              text,
  decided_at              timestamptz,
  reason                  text,
  escalate_at             timestamptz,
  escalated_at            timestamptz,
  created_by              text NOT NULL,
  created_at              timestamptz NOT NULL DEFAULT now()
);
-- One conversion in progress per credential.
CREATE UNIQUE INDEX review_cases_one_open ON review_cases (credential_id)
  WHERE status IN ('open', 'claimed', 'awaiting_second_review');
CREATE INDEX review_cases_queue ON review_cases (status, created_at);
ALTER TABLE documents ADD CONSTRAINT documents_case FOREIGN KEY (case_id) REFERENCES review_cases (id);

-- Benefit claims: received (the deadline stops) with any PIN, processed only with a dispositivo one.
CREATE SEQUENCE benefit_claim_protocol;
CREATE TABLE benefit_claims (
  id               uuid PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE,
  protocol         text NOT NULL UNIQUE,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  claim_type       text NOT NULL,
  status           text NOT NULL CHECK (status IN ('waiting_for_dispositivo', 'released', 'in_processing')),
  filed_by         text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  released_at      timestamptz,
  processing_at    timestamptz
);
CREATE INDEX benefit_claims_credential ON benefit_claims (credential_id, received_at);

-- The hand-off of held claims when a PIN becomes dispositivo: written in the conversion's
-- transaction, drained by the credential workflow (a signal to each claim's workflow).
CREATE TABLE claim_releases (
  claim_id      uuid PRIMARY KEY REFERENCES benefit_claims (id),
  credential_id uuid NOT NULL REFERENCES credentials (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  signalled_at  timestamptz
);

-- Identity checks behind a dispositivo PIN issued without an online review: at an office
-- counter (MV35) or by the contact centre's remote identification.
CREATE TABLE identity_verifications (
  id               uuid PRIMARY KEY,
  credential_id    uuid NOT NULL REFERENCES credentials (id),
  method           text NOT NULL CHECK (method IN ('counter', 'remote')),
  document_type    text NOT NULL,
  document_number  text NOT NULL,
  document_issuer  text NOT NULL,
  issued_on        date,
  expires_on       date NOT NULL,
  verified_by      text NOT NULL,
  office           text,
  mv35_document_id uuid REFERENCES documents (id),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_verifications_credential ON identity_verifications (credential_id);

ALTER TABLE pin_requests DROP CONSTRAINT pin_requests_channel_check;
ALTER TABLE pin_requests ADD CONSTRAINT pin_requests_channel_check
  CHECK (channel IN ('online', 'contact_center', 'counter', 'remote_identification'));
-- How the credential's first PIN is delivered: halves by letter + contacts, or both halves over
-- two contact channels (remote identification, recovery), and the PIN type it starts with.
ALTER TABLE credentials ADD COLUMN issuance_mode text NOT NULL DEFAULT 'letter'
  CHECK (issuance_mode IN ('letter', 'two_channel', 'counter'));
