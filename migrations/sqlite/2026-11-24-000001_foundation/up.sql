-- Same schema meaning as migrations/postgres: UUIDs are canonical hyphenated text,
-- instants are RFC 3339 UTC text with microseconds (text order is time order).

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('player', 'operator', 'compliance', 'admin')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'self_excluded', 'closed')),
    created_at    TEXT NOT NULL
);
CREATE INDEX accounts_created_at_idx ON accounts (created_at DESC, id DESC);

CREATE TABLE players (
    account_id    TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id),
    date_of_birth TEXT NOT NULL,
    country       TEXT NOT NULL CHECK (length(country) = 2),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    kyc_status    TEXT NOT NULL CHECK (kyc_status IN ('none', 'pending', 'approved', 'rejected'))
);

CREATE TABLE wallets (
    player_id        TEXT PRIMARY KEY NOT NULL REFERENCES players (account_id),
    currency         TEXT NOT NULL,
    seq              INTEGER NOT NULL CHECK (seq >= 0),
    cash             INTEGER NOT NULL CHECK (cash >= 0),
    bonus            INTEGER NOT NULL CHECK (bonus >= 0),
    lifetime_wagered INTEGER NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE wallet_events (
    position            INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    player_id           TEXT NOT NULL REFERENCES wallets (player_id),
    seq                 INTEGER NOT NULL CHECK (seq >= 1),
    event_type          TEXT NOT NULL CHECK (event_type IN
                            ('DEPOSIT', 'WITHDRAWAL', 'BET', 'WIN', 'BONUS_CREDIT', 'BONUS_DEBIT', 'ROLLBACK')),
    amount              INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    currency            TEXT NOT NULL,
    cash_delta          INTEGER NOT NULL,
    bonus_delta         INTEGER NOT NULL,
    cash_balance_after  INTEGER NOT NULL CHECK (cash_balance_after >= 0),
    bonus_balance_after INTEGER NOT NULL CHECK (bonus_balance_after >= 0),
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    reference           TEXT,
    compensates         TEXT UNIQUE REFERENCES wallet_events (id),
    created_at          TEXT NOT NULL,
    UNIQUE (player_id, seq),
    UNIQUE (player_id, idempotency_key)
);

CREATE TRIGGER wallet_events_no_update BEFORE UPDATE ON wallet_events
BEGIN
    SELECT RAISE(ABORT, 'wallet_events is append-only');
END;
CREATE TRIGGER wallet_events_no_delete BEFORE DELETE ON wallet_events
BEGIN
    SELECT RAISE(ABORT, 'wallet_events is append-only');
END;

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
