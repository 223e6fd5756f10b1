//! The schema, shared by both backends (see `types` for the two portable types).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    accounts (id) {
        id -> DbUuid,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        status -> Text,
        created_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    players (account_id) {
        account_id -> DbUuid,
        date_of_birth -> Date,
        country -> Text,
        currency -> Text,
        kyc_status -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    wallets (player_id) {
        player_id -> DbUuid,
        currency -> Text,
        seq -> BigInt,
        cash -> BigInt,
        bonus -> BigInt,
        lifetime_wagered -> BigInt,
        lifetime_deposited -> BigInt,
        lifetime_net -> BigInt,
        lifetime_deposits -> BigInt,
        updated_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    wallet_events (id) {
        id -> DbUuid,
        position -> BigInt,
        player_id -> DbUuid,
        seq -> BigInt,
        event_type -> Text,
        amount -> BigInt,
        currency -> Text,
        cash_delta -> BigInt,
        bonus_delta -> BigInt,
        cash_balance_after -> BigInt,
        bonus_balance_after -> BigInt,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        reference -> Nullable<Text>,
        compensates -> Nullable<DbUuid>,
        created_at -> DbTimestamp,
        posted_by -> Nullable<DbUuid>,
        reason -> Nullable<Text>,
        approved_by -> Nullable<DbUuid>,
        wagered_after -> BigInt,
        net_after -> BigInt,
        deposited_after -> BigInt,
        deposits_after -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    manual_postings (id) {
        id -> DbUuid,
        position -> BigInt,
        player_id -> DbUuid,
        event_type -> Text,
        amount -> BigInt,
        reference -> Nullable<Text>,
        compensates -> Nullable<DbUuid>,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        reason -> Text,
        requested_by -> DbUuid,
        requested_at -> DbTimestamp,
        status -> Text,
        decided_by -> Nullable<DbUuid>,
        decided_at -> Nullable<DbTimestamp>,
        decision_note -> Nullable<Text>,
        event_id -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    refresh_tokens (id) {
        id -> DbUuid,
        family_id -> DbUuid,
        account_id -> DbUuid,
        token_hash -> Text,
        created_at -> DbTimestamp,
        expires_at -> DbTimestamp,
        used_at -> Nullable<DbTimestamp>,
        revoked_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    seed_pairs (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        server_seed -> Text,
        server_seed_hash -> Text,
        client_seed -> Text,
        next_nonce -> BigInt,
        active -> Bool,
        created_at -> DbTimestamp,
        revealed_at -> Nullable<DbTimestamp>,
        next_server_seed -> Nullable<Text>,
        next_server_seed_hash -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    game_sessions (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        game_slug -> Text,
        status -> Text,
        rounds -> BigInt,
        wagered -> BigInt,
        won -> BigInt,
        started_at -> DbTimestamp,
        ended_at -> Nullable<DbTimestamp>,
        last_activity_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    rounds (id) {
        id -> DbUuid,
        position -> BigInt,
        session_id -> DbUuid,
        player_id -> DbUuid,
        game_slug -> Text,
        amount -> BigInt,
        payout -> BigInt,
        multiplier_micro -> BigInt,
        rtp_bp -> Integer,
        expected_rtp -> Double,
        variance -> Double,
        weighted_expected -> Double,
        weighted_variance -> Double,
        params -> Text,
        outcome -> Text,
        seed_pair_id -> DbUuid,
        server_seed_hash -> Text,
        client_seed -> Text,
        nonce -> BigInt,
        draws -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        bet_event_id -> DbUuid,
        win_event_id -> Nullable<DbUuid>,
        status -> Text,
        rolled_back_at -> Nullable<DbTimestamp>,
        rolled_back_by -> Nullable<DbUuid>,
        created_at -> DbTimestamp,
        payout_rounding -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    game_limits (slug) {
        slug -> Text,
        min_bet -> BigInt,
        max_bet -> BigInt,
        updated_at -> DbTimestamp,
        updated_by -> DbUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    rtp_targets (slug) {
        slug -> Text,
        rtp_bp -> Integer,
        updated_at -> DbTimestamp,
        updated_by -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    rtp_changes (id) {
        id -> DbUuid,
        slug -> Text,
        old_bp -> Integer,
        new_bp -> Integer,
        changed_by -> DbUuid,
        changed_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    kyc_submissions (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        document_type -> Text,
        document_number -> Text,
        issuing_country -> Text,
        expires_on -> Date,
        full_name -> Text,
        address -> Text,
        status -> Text,
        submitted_at -> DbTimestamp,
        decided_at -> Nullable<DbTimestamp>,
        decided_by -> Nullable<DbUuid>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    rg_settings (player_id) {
        player_id -> DbUuid,
        settings -> Text,
        updated_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    exclusions (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        kind -> Text,
        duration -> Text,
        started_at -> DbTimestamp,
        ends_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    aml_alerts (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        rule -> Text,
        risk_score -> Integer,
        risk_level -> Text,
        status -> Text,
        details -> Text,
        created_at -> DbTimestamp,
        reviewed_by -> Nullable<DbUuid>,
        reviewed_at -> Nullable<DbTimestamp>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    harm_alerts (id) {
        id -> DbUuid,
        player_id -> DbUuid,
        marker -> Text,
        intervention -> Text,
        details -> Text,
        created_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    exclusion_register (id) {
        id -> DbUuid,
        full_name -> Text,
        date_of_birth -> Date,
        email -> Text,
        added_by -> DbUuid,
        added_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    audit_log (id) {
        id -> DbUuid,
        position -> BigInt,
        actor -> DbUuid,
        action -> Text,
        target -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    providers (slug) {
        slug -> Text,
        name -> Text,
        protocol -> Text,
        provider_key -> Text,
        operator_private_key -> Nullable<Text>,
        operator_public_key -> Nullable<Text>,
        config -> Text,
        enabled -> Bool,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
    }
}

diesel::table! {
    provider_games (slug) {
        slug -> Text,
        provider -> Text,
        code -> Text,
        name -> Text,
        kind -> Text,
        rtp_bp -> Integer,
        min_bet -> BigInt,
        max_bet -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    provider_launches (token_hash) {
        token_hash -> Text,
        provider -> Text,
        player_id -> DbUuid,
        game_slug -> Text,
        session_id -> DbUuid,
        created_at -> DbTimestamp,
        expires_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    provider_rounds (id) {
        id -> DbUuid,
        provider -> Text,
        round -> Text,
        player_id -> DbUuid,
        game_slug -> Text,
        session_id -> DbUuid,
        wagered -> BigInt,
        won -> BigInt,
        refunded -> BigInt,
        status -> Text,
        opened_at -> DbTimestamp,
        updated_at -> DbTimestamp,
        closed_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::*;

    provider_transactions (id) {
        id -> DbUuid,
        provider -> Text,
        transaction_id -> Text,
        kind -> Text,
        win_kind -> Nullable<Text>,
        player_id -> DbUuid,
        round -> Text,
        game_slug -> Text,
        reference -> Nullable<Text>,
        amount -> BigInt,
        fingerprint -> Text,
        status -> Text,
        event_id -> Nullable<DbUuid>,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
    }
}

diesel::joinable!(players -> accounts (account_id));
diesel::joinable!(wallets -> players (player_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(rounds -> seed_pairs (seed_pair_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    players,
    wallets,
    wallet_events,
    manual_postings,
    refresh_tokens,
    seed_pairs,
    game_sessions,
    rounds,
    rtp_targets,
    rtp_changes,
    game_limits,
    kyc_submissions,
    rg_settings,
    exclusions,
    aml_alerts,
    harm_alerts,
    exclusion_register,
    audit_log,
    providers,
    provider_games,
    provider_launches,
    provider_rounds,
    provider_transactions
);
