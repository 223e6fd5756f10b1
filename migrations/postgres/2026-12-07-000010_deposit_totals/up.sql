-- Deposits over any window without re-reading them: the projection keeps how many
-- deposits the wallet ever had, and each event keeps the wallet's deposit count and
-- sum after it, so the deposits in a window are the head's totals less those of the
-- last deposit before the window (the RG limits, the AML rules and the markers of harm
-- read 1 h, 24 h, 7 d, 14 d and 30 d windows).
ALTER TABLE wallets ADD COLUMN lifetime_deposits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_events ADD COLUMN deposited_after BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_events ADD COLUMN deposits_after BIGINT NOT NULL DEFAULT 0;

-- The stream is append-only; these two derived columns are filled in once, here.
ALTER TABLE wallet_events DISABLE TRIGGER wallet_events_append_only;
UPDATE wallet_events e SET deposited_after = t.deposited_after, deposits_after = t.deposits_after
FROM (
    SELECT id,
        SUM(CASE WHEN event_type = 'DEPOSIT' THEN amount ELSE 0 END)
            OVER (PARTITION BY player_id ORDER BY seq) AS deposited_after,
        SUM(CASE WHEN event_type = 'DEPOSIT' THEN 1 ELSE 0 END)
            OVER (PARTITION BY player_id ORDER BY seq) AS deposits_after
    FROM wallet_events
) t
WHERE e.id = t.id;
ALTER TABLE wallet_events ENABLE TRIGGER wallet_events_append_only;

UPDATE wallets w SET
    lifetime_deposits = (SELECT COUNT(*) FROM wallet_events e
                         WHERE e.player_id = w.player_id AND e.event_type = 'DEPOSIT');

-- Structuring looks for deposits just below the large-deposit threshold in the last
-- 24 h: this index reaches them by amount, so a long run of ordinary deposits is not
-- scanned. Only deposits pay for it. (Queries must name event_type = 'DEPOSIT' as a
-- literal for the planner to use it.)
CREATE INDEX wallet_events_deposit_amount_idx ON wallet_events (player_id, amount, created_at)
    WHERE event_type = 'DEPOSIT';
-- Credits made by hand are rare: withdrawal screening finds the recent ones here.
CREATE INDEX wallet_events_manual_idx ON wallet_events (player_id, created_at)
    WHERE posted_by IS NOT NULL;
