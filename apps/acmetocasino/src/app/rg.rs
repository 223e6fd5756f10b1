//! Responsible-gaming use cases: a player's own deposit limits, session limits and
//! exclusions. Each is an [`RgChange`]: the adapter loads the settings behind the
//! wallet's lock, rg-core's [`change_settings`](rg_core::change_settings) decides it
//! (due changes applied first), and the adapter saves it in the same transaction.

use crate::db::DbError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use compliance_core::HarmAlert;
use kernel::StoreError;
use kernel::{AccountId, Amount};
use rg_core::{DepositUsage, Exclusion, ExclusionRequest, LimitPeriod, Measure, RgError, RgRecord, RgRepository};
use rg_core::{RgChange, RgSettings, SessionLimitsRequest};

/// Sets, lowers, raises or removes (`None`) the deposit limit of `period`.
pub async fn set_deposit_limit(
    state: &AppState,
    player: AccountId,
    period: LimitPeriod,
    amount: Option<Amount>,
    at: DateTime<Utc>,
) -> Result<Result<RgSettings, RgError>, DbError> {
    state.db.change_rg(player, RgChange::DepositLimit { period, amount }, &state.policy, at).await
}

/// Changes the daily session-time limit and the reality-check interval.
pub async fn set_session_limits(
    state: &AppState,
    player: AccountId,
    request: SessionLimitsRequest,
    at: DateTime<Utc>,
) -> Result<Result<RgSettings, RgError>, DbError> {
    state.db.change_rg(player, RgChange::SessionLimits(request), &state.policy, at).await
}

/// A time-out or self-exclusion the player asks for; it can only ever be extended.
pub async fn exclude(
    state: &AppState,
    player: AccountId,
    request: ExclusionRequest,
    at: DateTime<Utc>,
) -> Result<Result<Exclusion, RgError>, DbError> {
    match state.db.change_rg(player, RgChange::Exclusion(request), &state.policy, at).await? {
        Ok(rg) => rg.exclusion.map(Ok).ok_or_else(|| DbError::Row("an exclusion request left none in force".into())),
        Err(e) => Ok(Err(e)),
    }
}

/// A player's settings as they stand (pending changes not yet applied).
pub async fn settings(state: &AppState, player: AccountId) -> Result<RgSettings, StoreError> {
    RgRepository::load(&state.db, player).await
}

/// How much of each deposit limit is used at `at`.
pub async fn deposit_usage(state: &AppState, player: AccountId, at: DateTime<Utc>) -> Result<DepositUsage, DbError> {
    state.db.deposit_usage(player, at).await
}

/// Minutes of play on the player's calendar day of `at`.
pub async fn minutes_played_today(state: &AppState, player: AccountId, at: DateTime<Utc>) -> Result<u32, DbError> {
    state.db.minutes_played_today(player, at).await
}

/// Won minus wagered since `since`.
pub async fn net_position_since(state: &AppState, player: AccountId, since: DateTime<Utc>) -> Result<i64, DbError> {
    state.db.net_position_since(player, since).await
}

/// Markers-of-harm alerts, newest first, of one player or all.
pub async fn harm_alerts(
    state: &AppState,
    player: Option<AccountId>,
    limit: i64,
    offset: i64,
) -> Result<Vec<HarmAlert>, DbError> {
    state.db.harm_alerts(player, limit, offset).await
}

/// The players under a measure (or any) at `now`, for staff.
pub async fn measures(
    state: &AppState,
    measure: Option<Measure>,
    now: DateTime<Utc>,
) -> Result<Vec<RgRecord>, DbError> {
    state.db.rg_measures(measure, now).await
}
