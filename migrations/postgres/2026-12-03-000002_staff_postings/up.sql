-- Money moved by hand names who moved it and why (and the second admin who approved
-- it, above the approval threshold).
ALTER TABLE wallet_events ADD COLUMN posted_by UUID REFERENCES accounts (id);
ALTER TABLE wallet_events ADD COLUMN reason TEXT;
ALTER TABLE wallet_events ADD COLUMN approved_by UUID REFERENCES accounts (id);

-- Staff postings above the approval threshold wait here until a second admin approves
-- (the event is then posted, `event_id`) or someone rejects them. No money moves before.
CREATE TABLE manual_postings (
    id                  UUID PRIMARY KEY,
    position            BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT manual_postings_position_key UNIQUE,
    player_id           UUID NOT NULL REFERENCES wallets (player_id),
    event_type          TEXT NOT NULL CHECK (event_type IN
                            ('DEPOSIT', 'WITHDRAWAL', 'BET', 'WIN', 'BONUS_CREDIT', 'BONUS_DEBIT', 'ROLLBACK')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    reference           TEXT,
    compensates         UUID REFERENCES wallet_events (id),
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    reason              TEXT NOT NULL,
    requested_by        UUID NOT NULL REFERENCES accounts (id),
    requested_at        TIMESTAMPTZ NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by          UUID REFERENCES accounts (id),
    decided_at          TIMESTAMPTZ,
    decision_note       TEXT,
    event_id            UUID REFERENCES wallet_events (id),
    CONSTRAINT manual_postings_idempotency_key UNIQUE (player_id, idempotency_key)
);
CREATE INDEX manual_postings_status_idx ON manual_postings (status, position);
