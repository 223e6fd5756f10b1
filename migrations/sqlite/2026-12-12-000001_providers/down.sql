DROP TABLE provider_transactions;
DROP TABLE provider_rounds;
DROP TABLE provider_launches;
DROP TABLE provider_games;
DROP TABLE providers;
