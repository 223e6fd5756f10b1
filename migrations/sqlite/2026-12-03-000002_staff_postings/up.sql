-- Same schema meaning as migrations/postgres.
-- Money moved by hand names who moved it and why (and the second admin who approved
-- it, above the approval threshold).
ALTER TABLE wallet_events ADD COLUMN posted_by TEXT REFERENCES accounts (id);
ALTER TABLE wallet_events ADD COLUMN reason TEXT;
ALTER TABLE wallet_events ADD COLUMN approved_by TEXT REFERENCES accounts (id);

-- Staff postings above the approval threshold wait here until a second admin approves
-- (the event is then posted, `event_id`) or someone rejects them. No money moves before.
CREATE TABLE manual_postings (
    position            INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    player_id           TEXT NOT NULL REFERENCES wallets (player_id),
    event_type          TEXT NOT NULL CHECK (event_type IN
                            ('DEPOSIT', 'WITHDRAWAL', 'BET', 'WIN', 'BONUS_CREDIT', 'BONUS_DEBIT', 'ROLLBACK')),
    amount              INTEGER NOT NULL CHECK (amount > 0),
    reference           TEXT,
    compensates         TEXT REFERENCES wallet_events (id),
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    reason              TEXT NOT NULL,
    requested_by        TEXT NOT NULL REFERENCES accounts (id),
    requested_at        TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by          TEXT REFERENCES accounts (id),
    decided_at          TEXT,
    decision_note       TEXT,
    event_id            TEXT REFERENCES wallet_events (id),
    CONSTRAINT manual_postings_idempotency_key UNIQUE (player_id, idempotency_key)
);
CREATE INDEX manual_postings_status_idx ON manual_postings (status, position);
