-- Running totals, so that no posting re-reads a wallet's history: the projection keeps
-- what was deposited ever and the net position from play (won − wagered); each event
-- keeps the wallet's wagered and net totals after it, so play over any window is the
-- head's total less that of the last such event before the window.
ALTER TABLE wallets ADD COLUMN lifetime_deposited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallets ADD COLUMN lifetime_net BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_events ADD COLUMN wagered_after BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_events ADD COLUMN net_after BIGINT NOT NULL DEFAULT 0;

-- The stream is append-only; these two derived columns are filled in once, here.
ALTER TABLE wallet_events DISABLE TRIGGER wallet_events_append_only;
UPDATE wallet_events e SET wagered_after = t.wagered_after, net_after = t.net_after
FROM (
    SELECT id,
        SUM(CASE WHEN event_type = 'BET' THEN amount
                 WHEN event_type = 'ROLLBACK' AND cash_delta >= 0 AND bonus_delta >= 0 THEN -amount
                 ELSE 0 END) OVER (PARTITION BY player_id ORDER BY seq) AS wagered_after,
        SUM(CASE WHEN event_type IN ('BET', 'WIN', 'ROLLBACK') THEN cash_delta + bonus_delta ELSE 0 END)
            OVER (PARTITION BY player_id ORDER BY seq) AS net_after
    FROM wallet_events
) t
WHERE e.id = t.id;
ALTER TABLE wallet_events ENABLE TRIGGER wallet_events_append_only;

UPDATE wallets w SET
    lifetime_deposited = COALESCE((SELECT SUM(amount) FROM wallet_events e
                                   WHERE e.player_id = w.player_id AND e.event_type = 'DEPOSIT'), 0),
    lifetime_net = COALESCE((SELECT net_after FROM wallet_events e
                             WHERE e.player_id = w.player_id ORDER BY seq DESC LIMIT 1), 0);
