-- Compliance (KYC, AML, the national self-exclusion register), responsible gaming
-- settings and alerts, and the staff audit log.

CREATE TABLE kyc_submissions (
    id              UUID PRIMARY KEY,
    player_id       UUID NOT NULL REFERENCES players (account_id),
    document_type   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    issuing_country TEXT NOT NULL,
    expires_on      DATE NOT NULL,
    full_name       TEXT NOT NULL,
    address         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_at    TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ,
    decided_by      UUID REFERENCES accounts (id),
    reason          TEXT
);
CREATE INDEX kyc_submissions_player_idx ON kyc_submissions (player_id, submitted_at DESC);
CREATE INDEX kyc_submissions_status_idx ON kyc_submissions (status, submitted_at);

CREATE TABLE rg_settings (
    player_id  UUID PRIMARY KEY REFERENCES players (account_id),
    settings   TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE exclusions (
    id         UUID PRIMARY KEY,
    player_id  UUID NOT NULL REFERENCES players (account_id),
    kind       TEXT NOT NULL,
    duration   TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ
);
CREATE INDEX exclusions_started_idx ON exclusions (started_at);

CREATE TABLE aml_alerts (
    id          UUID PRIMARY KEY,
    player_id   UUID NOT NULL REFERENCES players (account_id),
    rule        TEXT NOT NULL,
    risk_score  INTEGER NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    risk_level  TEXT NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'dismissed', 'escalated', 'sar_filed')),
    details     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    reviewed_by UUID REFERENCES accounts (id),
    reviewed_at TIMESTAMPTZ,
    note        TEXT
);
CREATE INDEX aml_alerts_player_idx ON aml_alerts (player_id, status, rule);
CREATE INDEX aml_alerts_created_idx ON aml_alerts (created_at DESC);

CREATE TABLE harm_alerts (
    id           UUID PRIMARY KEY,
    player_id    UUID NOT NULL REFERENCES players (account_id),
    marker       TEXT NOT NULL,
    intervention TEXT NOT NULL,
    details      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX harm_alerts_player_idx ON harm_alerts (player_id, created_at DESC);

CREATE TABLE exclusion_register (
    id            UUID PRIMARY KEY,
    full_name     TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    email         TEXT NOT NULL,
    added_by      UUID NOT NULL REFERENCES accounts (id),
    added_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX exclusion_register_email_idx ON exclusion_register (email);
CREATE INDEX exclusion_register_dob_idx ON exclusion_register (date_of_birth);

CREATE TABLE audit_log (
    id       UUID PRIMARY KEY,
    position BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT audit_log_position_key UNIQUE,
    actor    UUID NOT NULL REFERENCES accounts (id),
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    before   TEXT,
    after    TEXT,
    at       TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

ALTER TABLE game_sessions ADD COLUMN last_activity_at TIMESTAMPTZ;
