DROP TABLE manual_postings;
ALTER TABLE wallet_events DROP COLUMN approved_by;
ALTER TABLE wallet_events DROP COLUMN reason;
ALTER TABLE wallet_events DROP COLUMN posted_by;
