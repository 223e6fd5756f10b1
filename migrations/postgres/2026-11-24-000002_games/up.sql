-- The game aggregation layer: provably fair seed pairs, sessions, rounds with their
-- RNG audit data, and game control (RTP targets and their audit trail).

CREATE TABLE seed_pairs (
    id               UUID PRIMARY KEY,
    player_id        UUID NOT NULL REFERENCES players (account_id),
    server_seed      TEXT NOT NULL,
    server_seed_hash TEXT NOT NULL,
    client_seed      TEXT NOT NULL,
    next_nonce       BIGINT NOT NULL CHECK (next_nonce >= 0),
    active           BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    revealed_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX seed_pairs_one_active ON seed_pairs (player_id) WHERE active;

CREATE TABLE game_sessions (
    id         UUID PRIMARY KEY,
    player_id  UUID NOT NULL REFERENCES players (account_id),
    game_slug  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    rounds     BIGINT NOT NULL,
    wagered    BIGINT NOT NULL,
    won        BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ
);
CREATE INDEX game_sessions_player_idx ON game_sessions (player_id, game_slug) WHERE status = 'open';

CREATE TABLE rounds (
    id                  UUID PRIMARY KEY,
    position            BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT rounds_position_key UNIQUE,
    session_id          UUID NOT NULL REFERENCES game_sessions (id),
    player_id           UUID NOT NULL REFERENCES players (account_id),
    game_slug           TEXT NOT NULL,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    payout              BIGINT NOT NULL CHECK (payout >= 0),
    multiplier_micro    BIGINT NOT NULL CHECK (multiplier_micro >= 0),
    rtp_bp              INTEGER NOT NULL,
    expected_rtp        DOUBLE PRECISION NOT NULL,
    variance            DOUBLE PRECISION NOT NULL,
    weighted_expected   DOUBLE PRECISION NOT NULL,
    weighted_variance   DOUBLE PRECISION NOT NULL,
    params              TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    seed_pair_id        UUID NOT NULL REFERENCES seed_pairs (id),
    server_seed_hash    TEXT NOT NULL,
    client_seed         TEXT NOT NULL,
    nonce               BIGINT NOT NULL,
    draws               TEXT NOT NULL,
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    bet_event_id        UUID NOT NULL REFERENCES wallet_events (id),
    win_event_id        UUID REFERENCES wallet_events (id),
    status              TEXT NOT NULL CHECK (status IN ('settled', 'rolled_back')),
    rolled_back_at      TIMESTAMPTZ,
    rolled_back_by      UUID REFERENCES accounts (id),
    created_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT rounds_idempotency_key UNIQUE (player_id, idempotency_key),
    CONSTRAINT rounds_nonce_key UNIQUE (seed_pair_id, nonce)
);
CREATE INDEX rounds_game_idx ON rounds (game_slug, status);

CREATE TABLE rtp_targets (
    slug       TEXT PRIMARY KEY,
    rtp_bp     INTEGER NOT NULL CHECK (rtp_bp BETWEEN 8000 AND 9900),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID REFERENCES accounts (id)
);

CREATE TABLE rtp_changes (
    id         UUID PRIMARY KEY,
    slug       TEXT NOT NULL,
    old_bp     INTEGER NOT NULL,
    new_bp     INTEGER NOT NULL,
    changed_by UUID NOT NULL REFERENCES accounts (id),
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rtp_changes_changed_at_idx ON rtp_changes (changed_at DESC);
