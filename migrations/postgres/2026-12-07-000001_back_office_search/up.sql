-- The back office searches the platform's wallet events, rounds, sessions and audit
-- log, and charts the last days and hours. These keep each search a range scan.
-- On large existing tables each build blocks writes to its table: create them by
-- hand first with `CREATE INDEX CONCURRENTLY … ` (same names and columns), and this
-- finds them.
CREATE INDEX IF NOT EXISTS wallet_events_reference_idx ON wallet_events (reference) WHERE reference IS NOT NULL;
CREATE INDEX IF NOT EXISTS wallet_events_idempotency_idx ON wallet_events (idempotency_key);
CREATE INDEX IF NOT EXISTS wallet_events_type_idx ON wallet_events (event_type, position);
CREATE INDEX IF NOT EXISTS wallet_events_created_idx ON wallet_events (created_at);
CREATE INDEX IF NOT EXISTS rounds_created_idx ON rounds (created_at);
CREATE INDEX IF NOT EXISTS rounds_player_idx ON rounds (player_id, position);
CREATE INDEX IF NOT EXISTS game_sessions_started_idx ON game_sessions (started_at, id);
CREATE INDEX IF NOT EXISTS game_sessions_player_started_idx ON game_sessions (player_id, started_at);
CREATE INDEX IF NOT EXISTS audit_log_actor_idx ON audit_log (actor, position);
