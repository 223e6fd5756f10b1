DROP INDEX seed_pairs_next_server_seed_hash_key;
DROP INDEX seed_pairs_server_seed_hash_key;
ALTER TABLE seed_pairs DROP COLUMN next_server_seed_hash;
ALTER TABLE seed_pairs DROP COLUMN next_server_seed;
