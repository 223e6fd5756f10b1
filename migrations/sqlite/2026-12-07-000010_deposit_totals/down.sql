DROP INDEX wallet_events_manual_idx;
DROP INDEX wallet_events_deposit_amount_idx;
ALTER TABLE wallet_events DROP COLUMN deposits_after;
ALTER TABLE wallet_events DROP COLUMN deposited_after;
ALTER TABLE wallets DROP COLUMN lifetime_deposits;
