ALTER TABLE provider_rounds DROP CONSTRAINT provider_rounds_round_key;
ALTER TABLE provider_rounds ADD CONSTRAINT provider_rounds_round_key UNIQUE (provider, round, player_id);
DROP INDEX provider_rounds_open_idx;
CREATE INDEX provider_rounds_open_idx ON provider_rounds (provider, status, updated_at);

ALTER TABLE provider_transactions DROP CONSTRAINT provider_transactions_key;
ALTER TABLE provider_transactions ADD CONSTRAINT provider_transactions_key UNIQUE (provider, transaction_id, kind);
DROP INDEX provider_transactions_reference_idx;
CREATE INDEX provider_transactions_reference_idx ON provider_transactions (provider, reference, kind);
DROP INDEX provider_transactions_round_idx;
CREATE INDEX provider_transactions_round_idx ON provider_transactions (provider, round, player_id, kind);
DROP INDEX provider_transactions_created_idx;
CREATE INDEX provider_transactions_created_idx ON provider_transactions (provider, created_at);
