-- Same schema meaning as migrations/postgres. Compliance (KYC, AML, the national self-exclusion register), responsible gaming
-- settings and alerts, and the staff audit log.

CREATE TABLE kyc_submissions (
    id              TEXT PRIMARY KEY NOT NULL,
    player_id       TEXT NOT NULL REFERENCES players (account_id),
    document_type   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    issuing_country TEXT NOT NULL,
    expires_on      TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    address         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_at    TEXT NOT NULL,
    decided_at      TEXT,
    decided_by      TEXT REFERENCES accounts (id),
    reason          TEXT
);
CREATE INDEX kyc_submissions_player_idx ON kyc_submissions (player_id, submitted_at DESC);
CREATE INDEX kyc_submissions_status_idx ON kyc_submissions (status, submitted_at);

CREATE TABLE rg_settings (
    player_id  TEXT PRIMARY KEY NOT NULL REFERENCES players (account_id),
    settings   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE exclusions (
    id         TEXT PRIMARY KEY NOT NULL,
    player_id  TEXT NOT NULL REFERENCES players (account_id),
    kind       TEXT NOT NULL,
    duration   TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ends_at    TEXT
);
CREATE INDEX exclusions_started_idx ON exclusions (started_at);

CREATE TABLE aml_alerts (
    id          TEXT PRIMARY KEY NOT NULL,
    player_id   TEXT NOT NULL REFERENCES players (account_id),
    rule        TEXT NOT NULL,
    risk_score  INTEGER NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    risk_level  TEXT NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'dismissed', 'escalated', 'sar_filed')),
    details     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    reviewed_by TEXT REFERENCES accounts (id),
    reviewed_at TEXT,
    note        TEXT
);
CREATE INDEX aml_alerts_player_idx ON aml_alerts (player_id, status, rule);
CREATE INDEX aml_alerts_created_idx ON aml_alerts (created_at DESC);

CREATE TABLE harm_alerts (
    id           TEXT PRIMARY KEY NOT NULL,
    player_id    TEXT NOT NULL REFERENCES players (account_id),
    marker       TEXT NOT NULL,
    intervention TEXT NOT NULL,
    details      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX harm_alerts_player_idx ON harm_alerts (player_id, created_at DESC);

CREATE TABLE exclusion_register (
    id            TEXT PRIMARY KEY NOT NULL,
    full_name     TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    email         TEXT NOT NULL,
    added_by      TEXT NOT NULL REFERENCES accounts (id),
    added_at      TEXT NOT NULL
);
CREATE INDEX exclusion_register_email_idx ON exclusion_register (email);
CREATE INDEX exclusion_register_dob_idx ON exclusion_register (date_of_birth);

CREATE TABLE audit_log (
    position INTEGER PRIMARY KEY,
    id       TEXT NOT NULL UNIQUE,
    actor    TEXT NOT NULL REFERENCES accounts (id),
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    before   TEXT,
    after    TEXT,
    at       TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

ALTER TABLE game_sessions ADD COLUMN last_activity_at TEXT;
