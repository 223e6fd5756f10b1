-- Same schema meaning as migrations/postgres. The game aggregation layer: provably fair seed pairs, sessions, rounds with their
-- RNG audit data, and game control (RTP targets and their audit trail).

CREATE TABLE seed_pairs (
    id               TEXT PRIMARY KEY NOT NULL,
    player_id        TEXT NOT NULL REFERENCES players (account_id),
    server_seed      TEXT NOT NULL,
    server_seed_hash TEXT NOT NULL,
    client_seed      TEXT NOT NULL,
    next_nonce       INTEGER NOT NULL CHECK (next_nonce >= 0),
    active           INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    revealed_at      TEXT
);
CREATE UNIQUE INDEX seed_pairs_one_active ON seed_pairs (player_id) WHERE active = 1;

CREATE TABLE game_sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    player_id  TEXT NOT NULL REFERENCES players (account_id),
    game_slug  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    rounds     INTEGER NOT NULL,
    wagered    INTEGER NOT NULL,
    won        INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT
);
CREATE INDEX game_sessions_player_idx ON game_sessions (player_id, game_slug) WHERE status = 'open';

CREATE TABLE rounds (
    position            INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    session_id          TEXT NOT NULL REFERENCES game_sessions (id),
    player_id           TEXT NOT NULL REFERENCES players (account_id),
    game_slug           TEXT NOT NULL,
    amount              INTEGER NOT NULL CHECK (amount > 0),
    payout              INTEGER NOT NULL CHECK (payout >= 0),
    multiplier_micro    INTEGER NOT NULL CHECK (multiplier_micro >= 0),
    rtp_bp              INTEGER NOT NULL,
    expected_rtp        REAL NOT NULL,
    variance            REAL NOT NULL,
    weighted_expected   REAL NOT NULL,
    weighted_variance   REAL NOT NULL,
    params              TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    seed_pair_id        TEXT NOT NULL REFERENCES seed_pairs (id),
    server_seed_hash    TEXT NOT NULL,
    client_seed         TEXT NOT NULL,
    nonce               INTEGER NOT NULL,
    draws               TEXT NOT NULL,
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    bet_event_id        TEXT NOT NULL REFERENCES wallet_events (id),
    win_event_id        TEXT REFERENCES wallet_events (id),
    status              TEXT NOT NULL CHECK (status IN ('settled', 'rolled_back')),
    rolled_back_at      TEXT,
    rolled_back_by      TEXT REFERENCES accounts (id),
    created_at          TEXT NOT NULL,
    CONSTRAINT rounds_idempotency_key UNIQUE (player_id, idempotency_key),
    CONSTRAINT rounds_nonce_key UNIQUE (seed_pair_id, nonce)
);
CREATE INDEX rounds_game_idx ON rounds (game_slug, status);

CREATE TABLE rtp_targets (
    slug       TEXT PRIMARY KEY,
    rtp_bp     INTEGER NOT NULL CHECK (rtp_bp BETWEEN 8000 AND 9900),
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES accounts (id)
);

CREATE TABLE rtp_changes (
    id         TEXT PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL,
    old_bp     INTEGER NOT NULL,
    new_bp     INTEGER NOT NULL,
    changed_by TEXT NOT NULL REFERENCES accounts (id),
    changed_at TEXT NOT NULL
);
CREATE INDEX rtp_changes_changed_at_idx ON rtp_changes (changed_at DESC);
