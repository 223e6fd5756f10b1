-- A provider's rounds, newest first (GET /api/v2/providers/{slug}/rounds).
CREATE INDEX provider_rounds_opened_idx ON provider_rounds (opened_at);
