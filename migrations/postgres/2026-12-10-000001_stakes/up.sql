-- Real stakes (issue 13): operators' per-game bet limits, and how each round's payout
-- was rounded to a minor unit. Rounds played before this migration were rounded down;
-- new rounds name their rule explicitly (no default), so a verifier repeats each round
-- by the rule it was played under.

CREATE TABLE game_limits (
    slug       TEXT PRIMARY KEY,
    min_bet    BIGINT NOT NULL CHECK (min_bet >= 1),
    max_bet    BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID NOT NULL REFERENCES accounts (id),
    CONSTRAINT game_limits_ordered CHECK (max_bet >= min_bet)
);

ALTER TABLE rounds ADD COLUMN payout_rounding TEXT NOT NULL DEFAULT 'floor'
    CHECK (payout_rounding IN ('floor', 'unbiased'));
ALTER TABLE rounds ALTER COLUMN payout_rounding DROP DEFAULT;
