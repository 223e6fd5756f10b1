ALTER TABLE wallet_events DROP COLUMN net_after;
ALTER TABLE wallet_events DROP COLUMN wagered_after;
ALTER TABLE wallets DROP COLUMN lifetime_net;
ALTER TABLE wallets DROP COLUMN lifetime_deposited;
