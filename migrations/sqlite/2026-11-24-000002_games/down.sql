DROP TABLE rtp_changes;
DROP TABLE rtp_targets;
DROP TABLE rounds;
DROP TABLE game_sessions;
DROP TABLE seed_pairs;
