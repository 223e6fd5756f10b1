-- Each seed pair commits to its successor: the hash of the next server seed is published
-- with the pair, before the player can choose the client seed that the successor uses.
ALTER TABLE seed_pairs ADD COLUMN next_server_seed TEXT;
ALTER TABLE seed_pairs ADD COLUMN next_server_seed_hash TEXT;
-- Pairs from before the commitment are revealed now (an operator rotation): a player's
-- first rotation used to start the new pair from the very seed it revealed. Each player
-- gets a new pair, with its commitment, on their next call.
UPDATE seed_pairs SET active = FALSE, revealed_at = now() WHERE active;
-- No server seed is used twice. Pairs from before the commitment (next_server_seed_hash
-- NULL) are exempt: some of them share a seed because of that bug.
CREATE UNIQUE INDEX seed_pairs_server_seed_hash_key ON seed_pairs (server_seed_hash) WHERE next_server_seed_hash IS NOT NULL;
CREATE UNIQUE INDEX seed_pairs_next_server_seed_hash_key ON seed_pairs (next_server_seed_hash);
