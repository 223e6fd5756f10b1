-- Accounts (players and staff), player profiles, the event-sourced wallet and
-- refresh tokens.

CREATE TABLE accounts (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL CONSTRAINT accounts_username_key UNIQUE,
    email         TEXT NOT NULL CONSTRAINT accounts_email_key UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('player', 'operator', 'compliance', 'admin')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'self_excluded', 'closed')),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_created_at_idx ON accounts (created_at DESC, id DESC);

CREATE TABLE players (
    account_id    UUID PRIMARY KEY REFERENCES accounts (id),
    date_of_birth DATE NOT NULL,
    country       TEXT NOT NULL CHECK (length(country) = 2),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    kyc_status    TEXT NOT NULL CHECK (kyc_status IN ('none', 'pending', 'approved', 'rejected'))
);

-- The projection of each wallet's stream, kept in the same transaction as every
-- append; its row is also the per-wallet lock that serialises postings.
CREATE TABLE wallets (
    player_id        UUID PRIMARY KEY REFERENCES players (account_id),
    currency         TEXT NOT NULL,
    seq              BIGINT NOT NULL CHECK (seq >= 0),
    cash             BIGINT NOT NULL CHECK (cash >= 0),
    bonus            BIGINT NOT NULL CHECK (bonus >= 0),
    lifetime_wagered BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE wallet_events (
    id                  UUID PRIMARY KEY,
    position            BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT wallet_events_position_key UNIQUE,
    player_id           UUID NOT NULL REFERENCES wallets (player_id),
    seq                 BIGINT NOT NULL CHECK (seq >= 1),
    event_type          TEXT NOT NULL CHECK (event_type IN
                            ('DEPOSIT', 'WITHDRAWAL', 'BET', 'WIN', 'BONUS_CREDIT', 'BONUS_DEBIT', 'ROLLBACK')),
    amount              BIGINT NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    currency            TEXT NOT NULL,
    cash_delta          BIGINT NOT NULL,
    bonus_delta         BIGINT NOT NULL,
    cash_balance_after  BIGINT NOT NULL CHECK (cash_balance_after >= 0),
    bonus_balance_after BIGINT NOT NULL CHECK (bonus_balance_after >= 0),
    idempotency_key     TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    reference           TEXT,
    compensates         UUID REFERENCES wallet_events (id),
    created_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT wallet_events_seq_key UNIQUE (player_id, seq),
    CONSTRAINT wallet_events_idempotency_key UNIQUE (player_id, idempotency_key),
    CONSTRAINT wallet_events_compensates_key UNIQUE (compensates)
);

-- The stream is append-only, whoever connects.
CREATE FUNCTION wallet_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallet_events is append-only';
END
$$;
CREATE TRIGGER wallet_events_append_only
    BEFORE UPDATE OR DELETE ON wallet_events
    FOR EACH ROW EXECUTE FUNCTION wallet_events_append_only();

CREATE TABLE refresh_tokens (
    id         UUID PRIMARY KEY,
    family_id  UUID NOT NULL,
    account_id UUID NOT NULL REFERENCES accounts (id),
    token_hash TEXT NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
