ALTER TABLE rounds DROP COLUMN payout_rounding;
DROP TABLE game_limits;
