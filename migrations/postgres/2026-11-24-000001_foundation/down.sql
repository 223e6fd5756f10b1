DROP TABLE refresh_tokens;
DROP TRIGGER wallet_events_append_only ON wallet_events;
DROP FUNCTION wallet_events_append_only();
DROP TABLE wallet_events;
DROP TABLE wallets;
DROP TABLE players;
DROP TABLE accounts;
