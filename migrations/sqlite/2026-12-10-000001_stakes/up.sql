-- Same schema meaning as migrations/postgres.
-- Real stakes (issue 13): operators' per-game bet limits, and how each round's payout
-- was rounded to a minor unit. Rounds played before this migration were rounded down;
-- new rounds name their rule explicitly (SQLite cannot drop the column default, so the
-- code always writes it).

CREATE TABLE game_limits (
    slug       TEXT PRIMARY KEY NOT NULL,
    min_bet    INTEGER NOT NULL CHECK (min_bet >= 1),
    max_bet    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES accounts (id),
    CONSTRAINT game_limits_ordered CHECK (max_bet >= min_bet)
);

ALTER TABLE rounds ADD COLUMN payout_rounding TEXT NOT NULL DEFAULT 'floor'
    CHECK (payout_rounding IN ('floor', 'unbiased'));
