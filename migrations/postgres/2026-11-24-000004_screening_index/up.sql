-- Screening counts a player's recent events of one type (bets in the last minute,
-- deposits in the last week): this keeps that a short range scan however long the
-- player's stream grows. On a large existing table the build blocks writes to
-- wallet_events: run `CREATE INDEX CONCURRENTLY wallet_events_screening_idx ON
-- wallet_events (player_id, event_type, created_at)` by hand first, and this finds it.
CREATE INDEX IF NOT EXISTS wallet_events_screening_idx ON wallet_events (player_id, event_type, created_at);
