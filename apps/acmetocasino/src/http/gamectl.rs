//! Game control: RTP targets and bet limits (audited) and statistics against each
//! game's theory.

use crate::app;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use gamectl_core::{Deviation, LimitsSetting, RoundTotals, RtpSetting};
use kernel::Rtp;
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A game's RTP setting and bet limits.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RtpResponse {
    pub slug: String,
    /// Percent, 80.00–99.00.
    pub rtp_target: f64,
    /// The exact theoretical RTP of the game's default bet at that target, percent.
    pub rtp_theoretical: f64,
    pub updated_at: DateTime<Utc>,
    /// Who set it; absent for the catalogue default.
    pub updated_by: Option<Uuid>,
    /// The game's bet limits, minor units: the operator's, else the catalogue's
    /// (jurisdiction caps come on top, per player).
    pub min_bet: i64,
    pub max_bet: i64,
    /// The largest `max_bet` the game's math supports: its best outcome at any target
    /// must still pay an amount of at most 10^12 minor units.
    pub max_bet_supported: i64,
    /// When and by whom the limits were set; absent for the catalogue's.
    pub limits_updated_at: Option<DateTime<Utc>>,
    pub limits_updated_by: Option<Uuid>,
}

fn rtp_response(state: &AppState, s: RtpSetting, limits: Option<&LimitsSetting>) -> Result<RtpResponse, ApiError> {
    let game = state.catalogue.get(&s.slug).ok_or_else(|| ApiError::NotFound(format!("no game {:?}", s.slug)))?;
    let theory = game.theory(s.target, &game.default_params()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let info = game.info();
    let (min_bet, max_bet) = limits.map_or((info.min_bet, info.max_bet), |l| (l.limits.min_bet(), l.limits.max_bet()));
    Ok(RtpResponse {
        slug: s.slug,
        rtp_target: s.target.percent(),
        rtp_theoretical: theory.rtp * 100.0,
        updated_at: s.updated_at,
        updated_by: s.updated_by.map(|a| a.as_uuid()),
        min_bet,
        max_bet,
        max_bet_supported: gal_core::stake::max_stake_supported(game),
        limits_updated_at: limits.map(|l| l.updated_at),
        limits_updated_by: limits.map(|l| l.updated_by.as_uuid()),
    })
}

/// Every game's RTP target and bet limits (staff)
#[api_v2_operation(tags(GameControl))]
pub async fn rtp(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<Vec<RtpResponse>>, ApiError> {
    user.require_staff()?;
    let settings = app::game_control::settings(&state).await?;
    let out = settings.into_iter().map(|(s, limits)| rtp_response(&state, s, limits.as_ref()));
    Ok(web::Json(out.collect::<Result<_, _>>()?))
}

/// The setting of one game, as `GET /game-control/rtp` lists it.
async fn game_setting(state: &AppState, slug: &str) -> Result<RtpResponse, ApiError> {
    let (setting, limits) = app::game_control::setting(state, slug).await?;
    rtp_response(state, setting, limits.as_ref())
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct SetRtpRequest {
    /// Percent with at most two decimals, 80.00–99.00.
    #[openapi(example = "96.5")]
    pub rtp: f64,
}

/// Set a game's RTP target (operator or admin)
///
/// Applies to rounds started from now on; the paytable is reconfigured, outcomes are
/// never adjusted. Every change is recorded with who, when, old and new.
#[api_v2_operation(tags(GameControl))]
pub async fn set_rtp(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: ApiJson<SetRtpRequest>,
) -> Result<web::Json<RtpResponse>, ApiError> {
    user.require(&[Role::Operator, Role::Admin])?;
    let slug = slug.into_inner();
    let target = Rtp::from_percent(body.0.rtp).map_err(|e| ApiError::validation("rtp", e.to_string()))?;
    if app::providers::is_provider_game(&state, &slug).await? {
        let detail = format!("{slug} is a third-party provider's game: its RTP is the one the provider declared");
        return Err(ApiError::refused(kernel::Refusal::RuleViolation, detail));
    }
    app::game_control::set_rtp(&state, &slug, target, user.id).await?;
    Ok(web::Json(game_setting(&state, &slug).await?))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct SetLimitsRequest {
    /// The smallest stake, minor units, at least 1 (every stake from 1 up returns the
    /// target exactly).
    #[openapi(example = "10")]
    pub min_bet: i64,
    /// The largest stake, minor units, at least `min_bet` and at most the game's
    /// `max_bet_supported` (see `GET /game-control/rtp`).
    #[openapi(example = "10000000")]
    pub max_bet: i64,
}

/// Set a game's bet limits (operator or admin)
///
/// Applies to rounds started from now on; jurisdiction caps still apply on top. Every
/// change is recorded in the audit log (`game.limits_changed`, with the old and new
/// limits).
#[api_v2_operation(tags(GameControl))]
pub async fn set_limits(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: ApiJson<SetLimitsRequest>,
) -> Result<web::Json<RtpResponse>, ApiError> {
    user.require(&[Role::Operator, Role::Admin])?;
    let slug = slug.into_inner();
    app::game_control::set_limits(&state, &slug, body.0.min_bet, body.0.max_bet, user.id).await?;
    Ok(web::Json(game_setting(&state, &slug).await?))
}

/// One audited change of an RTP target.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RtpChangeResponse {
    pub slug: String,
    pub old_rtp: f64,
    pub new_rtp: f64,
    pub changed_by: Uuid,
    pub changed_at: DateTime<Utc>,
}

/// The audit trail of RTP changes, newest first (staff)
#[api_v2_operation(tags(GameControl))]
pub async fn rtp_history(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<Vec<RtpChangeResponse>>, ApiError> {
    user.require_staff()?;
    let changes = app::game_control::rtp_history(&state, 500).await?;
    Ok(web::Json(
        changes
            .into_iter()
            .map(|c| RtpChangeResponse {
                slug: c.slug,
                old_rtp: c.old.percent(),
                new_rtp: c.new.percent(),
                changed_by: c.changed_by.as_uuid(),
                changed_at: c.changed_at,
            })
            .collect(),
    ))
}

/// How a game (or the platform) pays against its theory.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct GameStats {
    /// A game's slug, or `platform` for all games together.
    pub slug: String,
    pub rounds: i64,
    /// Minor units (rolled-back rounds excluded).
    pub wagered: i64,
    pub paid: i64,
    /// Paid ÷ wagered, percent.
    pub actual_rtp: Option<f64>,
    /// The stake-weighted theoretical RTP of the rounds played, percent (the target
    /// the rounds were played at).
    pub target_rtp: Option<f64>,
    pub deviation_pp: Option<f64>,
    /// The 99 % band around `target_rtp` from the rounds' exact variance.
    pub ci99_low: Option<f64>,
    pub ci99_high: Option<f64>,
    pub out_of_band: bool,
}

fn stats_of(slug: String, t: &RoundTotals) -> GameStats {
    let d = Deviation::of(t);
    GameStats {
        slug,
        rounds: t.rounds,
        wagered: t.wagered,
        paid: t.paid,
        actual_rtp: d.actual_rtp,
        target_rtp: d.expected_rtp,
        deviation_pp: d.deviation_pp,
        ci99_low: d.ci99_low,
        ci99_high: d.ci99_high,
        out_of_band: d.out_of_band,
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StatsResponse {
    pub games: Vec<GameStats>,
    pub platform: GameStats,
}

/// Per-game and platform-wide RTP statistics with 99 % bands (staff)
#[api_v2_operation(tags(GameControl))]
pub async fn stats(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<StatsResponse>, ApiError> {
    user.require_staff()?;
    let (games, platform) = app::game_control::totals(&state).await?;
    let games = games.into_iter().map(|(slug, t)| stats_of(slug, &t)).collect();
    Ok(web::Json(StatsResponse { games, platform: stats_of("platform".into(), &platform) }))
}
