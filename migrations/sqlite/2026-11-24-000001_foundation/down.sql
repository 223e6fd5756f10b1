DROP TABLE refresh_tokens;
DROP TRIGGER wallet_events_no_delete;
DROP TRIGGER wallet_events_no_update;
DROP TABLE wallet_events;
DROP TABLE wallets;
DROP TABLE players;
DROP TABLE accounts;
