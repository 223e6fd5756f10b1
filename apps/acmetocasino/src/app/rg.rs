//! Responsible-gaming use cases: a player's own deposit limits, session limits and
//! exclusions. Each loads the settings behind the wallet's lock, applies due changes,
//! lets rg-core's rule decide the change and saves it in the same transaction.

use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};
use compliance_core::Policy;
use kernel::{AccountId, Amount};
use rg_core::{Exclusion, ExclusionRequest, LimitPeriod, RgError, RgSettings, SessionLimitsRequest};

/// Sets, lowers, raises or removes (`None`) the deposit limit of `period`.
pub async fn set_deposit_limit(
    db: &Db,
    policy: &Policy,
    player: AccountId,
    period: LimitPeriod,
    amount: Option<Amount>,
    at: DateTime<Utc>,
) -> Result<Result<RgSettings, RgError>, DbError> {
    db.update_rg(player, policy, at, move |rg, profile| {
        rg.limits = rg_core::change_limit(&rg.limits, period, amount, profile, at)?;
        Ok(())
    })
    .await
}

/// Changes the daily session-time limit and the reality-check interval.
pub async fn set_session_limits(
    db: &Db,
    policy: &Policy,
    player: AccountId,
    request: SessionLimitsRequest,
    at: DateTime<Utc>,
) -> Result<Result<RgSettings, RgError>, DbError> {
    db.update_rg(player, policy, at, move |rg, profile| {
        rg.session_limits = rg_core::change_session_limits(&rg.session_limits, request, profile, at);
        Ok(())
    })
    .await
}

/// A time-out or self-exclusion the player asks for; it can only ever be extended.
pub async fn exclude(
    db: &Db,
    policy: &Policy,
    player: AccountId,
    request: ExclusionRequest,
    at: DateTime<Utc>,
) -> Result<Result<Exclusion, RgError>, DbError> {
    db.exclude(player, request, policy, at).await
}
