-- Screening counts a player's recent events of one type (bets in the last minute,
-- deposits in the last week): this keeps that a short range scan however long the
-- player's stream grows.
CREATE INDEX wallet_events_screening_idx ON wallet_events (player_id, event_type, created_at);
