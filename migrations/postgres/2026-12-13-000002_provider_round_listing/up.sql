-- A provider's rounds, newest first (GET /api/v2/providers/{slug}/rounds). Led by the
-- time, not by provider, so no lookup that pins a round can take it (see the previous
-- migration on PostgreSQL).
CREATE INDEX provider_rounds_opened_idx ON provider_rounds (opened_at);
