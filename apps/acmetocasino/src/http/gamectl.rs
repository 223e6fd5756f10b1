//! Game control: RTP targets (audited) and statistics against each game's theory.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use gamectl_core::{Deviation, GameControlRepository, RoundTotals, RtpSetting};
use kernel::{Clock, Rtp};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A game's RTP setting.
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
}

fn rtp_response(state: &AppState, s: RtpSetting) -> Result<RtpResponse, ApiError> {
    let game = state.catalogue.get(&s.slug).ok_or_else(|| ApiError::NotFound(format!("no game {:?}", s.slug)))?;
    let theory = game.theory(s.target, &game.default_params()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(RtpResponse {
        slug: s.slug,
        rtp_target: s.target.percent(),
        rtp_theoretical: theory.rtp * 100.0,
        updated_at: s.updated_at,
        updated_by: s.updated_by.map(|a| a.as_uuid()),
    })
}

/// Every game's RTP target (staff)
#[api_v2_operation(tags(GameControl))]
pub async fn rtp(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<Vec<RtpResponse>>, ApiError> {
    user.require_staff()?;
    let settings = state.rtp_settings().await?;
    Ok(web::Json(settings.into_iter().map(|s| rtp_response(&state, s)).collect::<Result<_, _>>()?))
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
    if state.catalogue.get(&slug).is_none() {
        return Err(ApiError::NotFound(format!("no game {slug:?}")));
    }
    let now = state.clock.now();
    let change = state.db.set_target(&slug, target, gamectl_core::default_target(), user.id, now).await?;
    tracing::info!(actor = %user.id, %slug, old = %change.old, new = %change.new, "RTP target changed");
    let setting = RtpSetting { slug, target, updated_at: now, updated_by: Some(user.id) };
    Ok(web::Json(rtp_response(&state, setting)?))
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
    let changes = state.db.changes(500).await?;
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
    let totals = state.db.round_totals().await?;
    let mut platform = RoundTotals::default();
    let mut games = Vec::new();
    for g in state.catalogue.iter() {
        let slug = g.info().slug;
        let t = totals.iter().find(|(s, _)| s == slug).map(|(_, t)| *t).unwrap_or_default();
        platform = platform
            .checked_add(&t)
            .ok_or_else(|| ApiError::Internal("the platform's round totals overflow i64".into()))?;
        games.push(stats_of(slug.to_owned(), &t));
    }
    Ok(web::Json(StatsResponse { games, platform: stats_of("platform".into(), &platform) }))
}
