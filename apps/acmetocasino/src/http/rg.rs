//! Responsible-gaming routes: deposit limits, time-outs and self-exclusion, session
//! limits and reality checks, the player's status, and markers-of-harm alerts.

use crate::app::{self, rg};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use compliance_core::HarmAlert;
use kernel::{AccountId, Amount, Clock};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use rg_core::{ExclusionRequest, LimitPeriod, PeriodView, RgSettings, SessionLimitsRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Only the player sets their own limits and exclusions.
fn only_self(user: &AuthUser, player: AccountId) -> Result<(), ApiError> {
    user.require(&[Role::Player])?;
    if user.id == player { Ok(()) } else { Err(ApiError::Forbidden("players set their own limits".into())) }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct LimitRequest {
    /// `daily`, `weekly` or `monthly` (rolling 24 h, 7 d, 30 d).
    pub period: String,
    /// Minor units; `null` removes the limit (after the cooling-off).
    pub amount: Option<i64>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PendingResponse {
    /// The new limit, or absent for a removal.
    pub amount: Option<i64>,
    pub effective_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PeriodResponse {
    pub period: String,
    /// The player's own limit.
    pub active: Option<i64>,
    /// A raise or removal waiting for the jurisdiction's cooling-off.
    pub pending: Option<PendingResponse>,
    /// The jurisdiction's mandatory cap, if any.
    pub jurisdiction_max: Option<i64>,
    /// Deposited in the rolling window ending now.
    pub used: i64,
    /// What may still be deposited in the window; absent when nothing limits it.
    pub remaining: Option<i64>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct LimitsResponse {
    pub player_id: Uuid,
    pub jurisdiction: String,
    pub limits: Vec<PeriodResponse>,
}

fn period_response(period: LimitPeriod, v: PeriodView) -> PeriodResponse {
    PeriodResponse {
        period: period.as_str().into(),
        active: v.active.map(Amount::minor_units),
        pending: v
            .pending
            .map(|p| PendingResponse { amount: p.amount.map(Amount::minor_units), effective_at: p.effective_at }),
        jurisdiction_max: v.jurisdiction_max.map(Amount::minor_units),
        used: v.used,
        remaining: v.remaining,
    }
}

async fn limits_of(state: &AppState, player: AccountId, rg: &RgSettings) -> Result<LimitsResponse, ApiError> {
    let ctx = app::compliance::player_context(state, player)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such player".into()))?;
    let now = state.clock.now();
    let usage = rg::deposit_usage(state, player, now).await?;
    let profile = state.policy.profiles.for_country(&ctx.country);
    let view = rg.limits.settled(now).view(profile, usage);
    Ok(LimitsResponse {
        player_id: player.as_uuid(),
        jurisdiction: profile.code.clone(),
        limits: vec![
            period_response(LimitPeriod::Daily, view.daily),
            period_response(LimitPeriod::Weekly, view.weekly),
            period_response(LimitPeriod::Monthly, view.monthly),
        ],
    })
}

async fn set_limit(state: &AppState, player: AccountId, b: LimitRequest) -> Result<LimitsResponse, ApiError> {
    let period = LimitPeriod::parse(&b.period)?;
    let amount = b.amount.map(Amount::new).transpose().map_err(|e| ApiError::validation("amount", e.to_string()))?;
    let now = state.clock.now();
    let rg = rg::set_deposit_limit(state, player, period, amount, now).await??;
    limits_of(state, player, &rg).await
}

/// Set, lower, raise or remove a deposit limit (the player themself)
///
/// A first limit or a decrease applies at once; a raise or a removal waits for the
/// jurisdiction's cooling-off (GB 24 h, SE 72 h, DE 7 days, …).
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn set_limit_for(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    body: ApiJson<LimitRequest>,
) -> Result<web::Json<LimitsResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    only_self(&user, player)?;
    Ok(web::Json(set_limit(&state, player, body.0).await?))
}

/// Set a deposit limit for the caller
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn set_own_limit(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<LimitRequest>,
) -> Result<web::Json<LimitsResponse>, ApiError> {
    only_self(&user, user.id)?;
    Ok(web::Json(set_limit(&state, user.id, body.0).await?))
}

/// Active and pending deposit limits with `used` and `remaining` (self or staff)
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn limits(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
) -> Result<web::Json<LimitsResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    user.require_self_or_staff(player)?;
    let rg = rg::settings(&state, player).await?;
    Ok(web::Json(limits_of(&state, player, &rg).await?))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ExcludeRequest {
    /// `timeout` or `self_exclusion`.
    pub kind: String,
    /// Time-out: `24_hours`, `7_days`, `30_days`, `6_weeks`. Self-exclusion: `1_month`,
    /// `3_months`, `6_months`, `1_year`, `5_years`, `permanent`.
    pub duration: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ExclusionResponse {
    /// `timeout` or `self_exclusion`.
    pub kind: String,
    pub started_at: DateTime<Utc>,
    /// Absent for a permanent self-exclusion.
    pub ends_at: Option<DateTime<Utc>>,
    pub active: bool,
}

fn exclusion_response(e: &rg_core::Exclusion, now: DateTime<Utc>) -> ExclusionResponse {
    ExclusionResponse {
        kind: serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        started_at: e.started_at,
        ends_at: e.ends_at,
        active: e.is_active(now),
    }
}

/// Take a break or self-exclude (the player themself)
///
/// Nobody can shorten or lift either: a shorter request keeps the longer end. While
/// active, deposits, launches and bets are refused; withdrawals stay possible.
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn exclude(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    body: ApiJson<ExcludeRequest>,
) -> Result<web::Json<ExclusionResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    only_self(&user, player)?;
    let request = ExclusionRequest::parse(&body.0.kind, &body.0.duration)?;
    let now = state.clock.now();
    let exclusion = rg::exclude(&state, player, request, now).await??;
    tracing::info!(player_id = %player, kind = ?exclusion.kind, until = ?exclusion.ends_at, "player excluded");
    state.publish(
        crate::events::Channel::PlayerEvents,
        "player.excluded",
        serde_json::json!({"player_id": player, "kind": exclusion.kind, "until": exclusion.ends_at}),
    );
    Ok(web::Json(exclusion_response(&exclusion, now)))
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SessionLimitsResponse {
    pub daily_minutes: Option<u32>,
    pub daily_minutes_pending: Option<PendingMinutes>,
    pub reality_check_minutes: Option<u32>,
    pub reality_check_minutes_pending: Option<PendingMinutes>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PendingMinutes {
    pub minutes: Option<u32>,
    pub effective_at: DateTime<Utc>,
}

fn session_limits_response(s: &rg_core::SessionLimits) -> SessionLimitsResponse {
    SessionLimitsResponse {
        daily_minutes: s.daily_minutes.active.map(|m| m.minutes()),
        daily_minutes_pending: s
            .daily_minutes
            .pending
            .map(|p| PendingMinutes { minutes: p.value.map(|m| m.minutes()), effective_at: p.effective_at }),
        reality_check_minutes: s.reality_check_minutes.active.map(|m| m.minutes()),
        reality_check_minutes_pending: s
            .reality_check_minutes
            .pending
            .map(|p| PendingMinutes { minutes: p.value.map(|m| m.minutes()), effective_at: p.effective_at }),
    }
}

/// Set the daily session-time limit and the reality-check interval (the player themself)
///
/// Body `{daily_minutes?, reality_check_minutes?}`: minutes per day (1–1440) and minutes
/// between reality checks (1–240); `null` removes one, an absent field keeps it. Stricter
/// settings apply at once, looser ones after the jurisdiction's cooling-off.
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn session_limits(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    body: ApiJson<Value>,
) -> Result<web::Json<SessionLimitsResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    only_self(&user, player)?;
    let request: SessionLimitsRequest = crate::extract::parse_json(body.0.to_string().as_bytes())?;
    let now = state.clock.now();
    let rg = rg::set_session_limits(&state, player, request, now).await??;
    Ok(web::Json(session_limits_response(&rg.session_limits)))
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StatusResponse {
    pub player_id: Uuid,
    pub jurisdiction: String,
    /// The current or last exclusion.
    pub exclusion: Option<ExclusionResponse>,
    pub excluded: bool,
    pub limits: Vec<PeriodResponse>,
    pub session_limits: SessionLimitsResponse,
    /// Minutes played today (UTC).
    pub session_minutes_today: u32,
    pub last_reality_check_at: Option<DateTime<Utc>>,
    /// Won − wagered over the last 24 hours.
    pub net_position_24h: i64,
    /// Markers-of-harm alerts of the last 30 days.
    pub harm_alerts: Vec<HarmAlertResponse>,
}

/// Exclusion, limits, session time today and net position (self or staff)
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn status(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
) -> Result<web::Json<StatusResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    user.require_self_or_staff(player)?;
    let now = state.clock.now();
    let mut rg = rg::settings(&state, player).await?;
    rg.settle(now);
    let limits = limits_of(&state, player, &rg).await?;
    let minutes = rg::minutes_played_today(&state, player, now).await?;
    let net = rg::net_position_since(&state, player, now - Duration::days(1)).await?;
    let harm = rg::harm_alerts(&state, Some(player), 50, 0).await?;
    Ok(web::Json(StatusResponse {
        player_id: player.as_uuid(),
        jurisdiction: limits.jurisdiction,
        excluded: rg.exclusion.is_some_and(|e| e.is_active(now)),
        exclusion: rg.exclusion.as_ref().map(|e| exclusion_response(e, now)),
        limits: limits.limits,
        session_limits: session_limits_response(&rg.session_limits),
        session_minutes_today: minutes,
        last_reality_check_at: rg.last_reality_check_at,
        net_position_24h: net,
        harm_alerts: harm.into_iter().filter(|a| a.created_at > now - Duration::days(30)).map(Into::into).collect(),
    }))
}

/// A markers-of-harm alert and the intervention it triggered.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HarmAlertResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    /// `rising_deposit_frequency`, `chasing_losses`, `cancelled_withdrawals`,
    /// `long_session` or `late_night_session`.
    pub marker: String,
    /// `message`, `forced_reality_check`, `suggested_timeout` or `staff_review`.
    pub intervention: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

impl From<HarmAlert> for HarmAlertResponse {
    fn from(a: HarmAlert) -> Self {
        HarmAlertResponse {
            id: a.id,
            player_id: a.player_id.as_uuid(),
            marker: a.marker,
            intervention: a.intervention,
            details: a.details,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct HarmParams {
    pub player_id: Option<Uuid>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
    /// Alerts to skip (default 0).
    pub offset: Option<i64>,
}

/// Markers-of-harm alerts with their interventions (staff)
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn alerts(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<HarmParams>,
) -> Result<web::Json<Vec<HarmAlertResponse>>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let limit = super::bounded("limit", q.limit, 100, 1, 500)?;
    let offset = super::bounded("offset", q.offset, 0, 0, i64::MAX)?;
    let list = rg::harm_alerts(&state, q.player_id.map(AccountId::from_uuid), limit, offset).await?;
    Ok(web::Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct MeasuresParams {
    /// `pending` (a raised or removed limit waiting for its cooling-off), `exclusion`
    /// (in force), `deposit_limit` or `session_limit`; absent: any of them.
    pub kind: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<i64>,
    /// Players to skip (default 0).
    pub offset: Option<i64>,
}

/// One player's deposit limit for one period (without usage).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct MeasureLimit {
    /// `daily`, `weekly` or `monthly`.
    pub period: String,
    pub active: Option<i64>,
    pub pending: Option<PendingResponse>,
}

/// A player's responsible-gaming measures as they stand now.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PlayerMeasures {
    pub player_id: Uuid,
    pub username: String,
    pub country: String,
    /// The wallet's currency (deposit limits are in its minor units).
    pub currency: String,
    pub jurisdiction: String,
    pub limits: Vec<MeasureLimit>,
    pub exclusion: Option<ExclusionResponse>,
    pub session_limits: SessionLimitsResponse,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct MeasuresPage {
    pub items: Vec<PlayerMeasures>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Players' limits, pending increases, exclusions and session limits (staff)
///
/// Players holding a measure of `kind` now, most recently changed first.
#[api_v2_operation(tags(ResponsibleGaming))]
pub async fn measures(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<MeasuresParams>,
) -> Result<web::Json<MeasuresPage>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let kind = q.kind.as_deref().map(rg_core::Measure::parse).transpose()?;
    let limit = super::bounded("limit", q.limit, 50, 1, 200)?;
    let offset = super::bounded("offset", q.offset, 0, 0, i64::MAX)?;
    let now = state.clock.now();
    let records = rg::measures(&state, kind, now).await?;
    let total = records.len() as i64;
    let items = records
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| {
            let mut rg = r.settings;
            rg.settle(now);
            let limit_of = |period: LimitPeriod| {
                let l = rg.limits.get(period);
                MeasureLimit {
                    period: period.as_str().into(),
                    active: l.active.map(Amount::minor_units),
                    pending: l.pending.map(|p| PendingResponse {
                        amount: p.value.map(Amount::minor_units),
                        effective_at: p.effective_at,
                    }),
                }
            };
            PlayerMeasures {
                player_id: r.player.as_uuid(),
                jurisdiction: state.policy.profiles.for_country(&r.country).code.clone(),
                username: r.username,
                country: r.country,
                currency: r.currency,
                limits: LimitPeriod::ALL.iter().map(|p| limit_of(*p)).collect(),
                exclusion: rg.exclusion.as_ref().map(|e| exclusion_response(e, now)),
                session_limits: session_limits_response(&rg.session_limits),
                updated_at: r.updated_at,
            }
        })
        .collect();
    Ok(web::Json(MeasuresPage { items, total, limit, offset }))
}
