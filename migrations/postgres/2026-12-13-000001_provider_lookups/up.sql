-- Every index of the provider tables leads with the column its lookups pin (the
-- transaction id, the referenced transaction, the round, the day, the idle time), never
-- with `provider`, which every lookup names. With `provider` first, all of them matched
-- every lookup, and a plan made while the tables were nearly empty — PostgreSQL keeps a
-- prepared statement's generic plan for the life of the connection — could pick any:
-- one picked `(provider, created_at)` for a transaction-id lookup and so walked the
-- provider's whole history on every call, slower as it grew.
ALTER TABLE provider_transactions DROP CONSTRAINT provider_transactions_key;
ALTER TABLE provider_transactions ADD CONSTRAINT provider_transactions_key UNIQUE (transaction_id, provider, kind);
DROP INDEX provider_transactions_reference_idx;
CREATE INDEX provider_transactions_reference_idx ON provider_transactions (reference, provider, kind);
DROP INDEX provider_transactions_round_idx;
CREATE INDEX provider_transactions_round_idx ON provider_transactions (round, player_id, provider, kind);
DROP INDEX provider_transactions_created_idx;
CREATE INDEX provider_transactions_created_idx ON provider_transactions (created_at, provider);

ALTER TABLE provider_rounds DROP CONSTRAINT provider_rounds_round_key;
ALTER TABLE provider_rounds ADD CONSTRAINT provider_rounds_round_key UNIQUE (round, player_id, provider);
DROP INDEX provider_rounds_open_idx;
-- Only open rounds, by how long they have been idle (the stuck-round report).
CREATE INDEX provider_rounds_open_idx ON provider_rounds (updated_at, provider) WHERE status = 'open';
-- (SQLite keeps its indexes: its planner prefers the index matching the most equality
-- terms and plans each statement once its table is not empty, and its reports use the
-- indexes that lead with `provider`.)
