//! Game control: RTP targets and bet limits (audited changes), and how the games pay
//! against their theory.

use crate::state::AppState;
use gamectl_core::{BetLimits, GameControlRepository, LimitsChange, LimitsSetting, RoundTotals, RtpChange, RtpSetting};
use gamectl_core::{LimitsError, StoreError};
use kernel::{AccountId, Clock, Rtp};

/// Why a change of game control was not made.
#[derive(Debug, thiserror::Error)]
pub enum ControlFailure {
    #[error("no game {0:?}")]
    UnknownGame(String),
    #[error(transparent)]
    Limits(#[from] LimitsError),
    #[error("the catalogue's limits of {slug:?}: {cause}")]
    Catalogue { slug: String, cause: String },
    #[error("the platform's round totals overflow i64")]
    Overflow,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One game's RTP setting and the operator's bet limits, if any.
pub type GameSetting = (RtpSetting, Option<LimitsSetting>);

/// Every catalogue game's setting, defaults included.
pub async fn settings(state: &AppState) -> Result<Vec<GameSetting>, StoreError> {
    let targets = state.rtp_settings().await?;
    let limits = state.db.stored_limits().await?;
    Ok(targets
        .into_iter()
        .map(|t| {
            let stored = limits.iter().find(|l| l.slug == t.slug).cloned();
            (t, stored)
        })
        .collect())
}

/// One game's setting, as [`settings`] lists it.
pub async fn setting(state: &AppState, slug: &str) -> Result<GameSetting, ControlFailure> {
    settings(state).await?.into_iter().find(|(t, _)| t.slug == slug).ok_or(ControlFailure::UnknownGame(slug.into()))
}

/// Sets a game's RTP target for rounds started from now on; audited.
pub async fn set_rtp(state: &AppState, slug: &str, target: Rtp, actor: AccountId) -> Result<RtpChange, ControlFailure> {
    if state.catalogue.get(slug).is_none() {
        return Err(ControlFailure::UnknownGame(slug.into()));
    }
    let change = state.db.set_target(slug, target, gamectl_core::default_target(), actor, state.clock.now()).await?;
    tracing::info!(%actor, %slug, old = %change.old, new = %change.new, "RTP target changed");
    Ok(change)
}

/// Sets a game's bet limits, within what its math supports; audited.
pub async fn set_limits(
    state: &AppState,
    slug: &str,
    min_bet: i64,
    max_bet: i64,
    actor: AccountId,
) -> Result<LimitsChange, ControlFailure> {
    let game = state.catalogue.get(slug).ok_or_else(|| ControlFailure::UnknownGame(slug.into()))?;
    let limits = BetLimits::new(min_bet, max_bet).and_then(|l| l.within(gal_core::stake::max_stake_supported(game)))?;
    let default = crate::stakes::catalogue_limits(&game.info())
        .map_err(|e| ControlFailure::Catalogue { slug: slug.into(), cause: e.to_string() })?;
    let change = state.db.set_limits(slug, limits, default, actor, state.clock.now()).await?;
    tracing::info!(%actor, %slug, old = ?change.old, new = ?change.new, "bet limits changed");
    Ok(change)
}

/// The audit trail of RTP changes, newest first.
pub async fn rtp_history(state: &AppState, limit: i64) -> Result<Vec<RtpChange>, StoreError> {
    state.db.changes(limit).await
}

/// Every catalogue game's round totals (zero for a game never played) and the
/// platform's, all games together.
pub async fn totals(state: &AppState) -> Result<(Vec<(String, RoundTotals)>, RoundTotals), ControlFailure> {
    let stored = state.db.round_totals().await.map_err(StoreError::from)?;
    let mut platform = RoundTotals::default();
    let mut games = Vec::new();
    for g in state.catalogue.iter() {
        let slug = g.info().slug;
        let t = stored.iter().find(|(s, _)| s == slug).map(|(_, t)| *t).unwrap_or_default();
        platform = platform.checked_add(&t).ok_or(ControlFailure::Overflow)?;
        games.push((slug.to_owned(), t));
    }
    // Third-party games: their actual RTP against the RTP their provider declared.
    let providers = crate::app::providers::directory(state).await.map_err(StoreError::from)?;
    for g in providers.iter().flat_map(|e| e.provider.games.iter()) {
        let t = stored.iter().find(|(s, _)| *s == g.slug).map(|(_, t)| *t).unwrap_or_default();
        platform = platform.checked_add(&t).ok_or(ControlFailure::Overflow)?;
        games.push((g.slug.clone(), t));
    }
    Ok((games, platform))
}
