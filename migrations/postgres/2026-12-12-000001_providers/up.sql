-- Third-party game providers (issue 17): the providers and their games, launch tokens,
-- and the seamless wallet's provider transactions and rounds. A provider transaction is
-- written in the same transaction as the wallet events it moves; its key is
-- (provider, transaction_id, kind).

CREATE TABLE providers (
    slug                 TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    protocol             TEXT NOT NULL CHECK (protocol IN ('hub88', 'pragmatic')),
    -- Hub88: the provider's RSA public key (PEM); Pragmatic: the shared secret.
    provider_key         TEXT NOT NULL,
    -- Hub88: the key our responses are signed with, and its public half.
    operator_private_key TEXT,
    operator_public_key  TEXT,
    config               TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE provider_games (
    slug     TEXT PRIMARY KEY,
    provider TEXT NOT NULL REFERENCES providers (slug),
    code     TEXT NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    rtp_bp   INTEGER NOT NULL CHECK (rtp_bp BETWEEN 8000 AND 9900),
    min_bet  BIGINT NOT NULL CHECK (min_bet >= 1),
    max_bet  BIGINT NOT NULL,
    CONSTRAINT provider_games_code_key UNIQUE (provider, code),
    CONSTRAINT provider_games_ordered CHECK (max_bet >= min_bet)
);

-- Only the hash of a launch token is kept.
CREATE TABLE provider_launches (
    token_hash TEXT PRIMARY KEY,
    provider   TEXT NOT NULL REFERENCES providers (slug),
    player_id  UUID NOT NULL REFERENCES players (account_id),
    game_slug  TEXT NOT NULL REFERENCES provider_games (slug),
    session_id UUID NOT NULL REFERENCES game_sessions (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE provider_rounds (
    id          UUID PRIMARY KEY,
    provider    TEXT NOT NULL REFERENCES providers (slug),
    round       TEXT NOT NULL,
    player_id   UUID NOT NULL REFERENCES players (account_id),
    game_slug   TEXT NOT NULL REFERENCES provider_games (slug),
    session_id  UUID NOT NULL REFERENCES game_sessions (id),
    wagered     BIGINT NOT NULL CHECK (wagered >= 0),
    won         BIGINT NOT NULL CHECK (won >= 0),
    refunded    BIGINT NOT NULL CHECK (refunded >= 0),
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at   TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ,
    CONSTRAINT provider_rounds_round_key UNIQUE (provider, round, player_id)
);
CREATE INDEX provider_rounds_open_idx ON provider_rounds (provider, status, updated_at);

CREATE TABLE provider_transactions (
    id             UUID PRIMARY KEY,
    provider       TEXT NOT NULL REFERENCES providers (slug),
    transaction_id TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('bet', 'win', 'rollback')),
    win_kind       TEXT CHECK (win_kind IN ('normal', 'free', 'jackpot', 'promo')),
    player_id      UUID NOT NULL REFERENCES players (account_id),
    round          TEXT NOT NULL,
    game_slug      TEXT NOT NULL,
    reference      TEXT,
    amount         BIGINT NOT NULL CHECK (amount >= 0),
    fingerprint    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('applied', 'rolled_back', 'tombstone')),
    event_id       UUID REFERENCES wallet_events (id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT provider_transactions_key UNIQUE (provider, transaction_id, kind)
);
CREATE INDEX provider_transactions_reference_idx ON provider_transactions (provider, reference, kind);
CREATE INDEX provider_transactions_round_idx ON provider_transactions (provider, round, player_id, kind);
CREATE INDEX provider_transactions_created_idx ON provider_transactions (provider, created_at);
