//! Health, statistics and metrics.

use super::reply::StatusJson;
use crate::error::ApiError;
use crate::infra::redis_ping;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct DatabaseHealth {
    /// `up` or `down`.
    pub status: String,
    /// `postgresql` or `sqlite`.
    pub backend: String,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RedisHealth {
    /// `connected`, `error` or `disabled` (no `REDIS_URL`: in-process stand-ins).
    pub status: String,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReplicaHealth {
    /// `up`, `down`, `unknown` (the primary is down, so the lag is too), or
    /// `disabled` (no `DATABASE_READ_URL`: every read goes to the primary).
    pub status: String,
    pub latency_ms: Option<f64>,
    /// WAL the primary has written that the replica has not replayed yet.
    pub lag_bytes: Option<i64>,
    /// How long the replica has been behind (0 when it has replayed everything).
    pub lag_seconds: Option<f64>,
    /// `false` when the configured replica is not a standby (a misconfiguration).
    pub standby: Option<bool>,
    pub error: Option<String>,
}

impl ReplicaHealth {
    fn without_figures(status: &str, error: Option<String>) -> Self {
        Self { status: status.into(), latency_ms: None, lag_bytes: None, lag_seconds: None, standby: None, error }
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HealthResponse {
    /// `healthy`, or `degraded` when the database, a configured Redis or a configured
    /// read replica is down.
    pub status: String,
    pub database: DatabaseHealth,
    pub redis: RedisHealth,
    /// The read replica that lists, histories, reports and statistics come from.
    pub replica: ReplicaHealth,
    /// Each module's state: `up` when its store answers.
    pub services: BTreeMap<String, String>,
    pub uptime_seconds: u64,
    pub version: String,
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

/// Health of the platform and its dependencies
///
/// `200` while the database answers (even with Redis down: degraded), else `503`.
#[api_v2_operation(tags(Platform))]
pub async fn health(state: web::Data<AppState>) -> Result<StatusJson<HealthResponse>, ApiError> {
    let db = state.db.ping().await;
    let database = DatabaseHealth {
        status: if db.is_ok() { "up" } else { "down" }.into(),
        backend: state.db.kind().as_str().into(),
        latency_ms: db.as_ref().ok().map(|d| ms(*d)),
        error: db.as_ref().err().map(|e| {
            tracing::warn!(cause = %e, "health: database down");
            "the database does not answer".to_owned()
        }),
    };
    let redis = match &state.redis {
        None => RedisHealth { status: "disabled".into(), latency_ms: None, error: None },
        Some(pool) => match redis_ping(pool).await {
            Ok(d) => RedisHealth { status: "connected".into(), latency_ms: Some(ms(d)), error: None },
            Err(e) => {
                tracing::warn!(cause = %e, "health: Redis down");
                RedisHealth { status: "error".into(), latency_ms: None, error: Some("Redis does not answer".into()) }
            }
        },
    };
    // The lag is measured against the primary's position, so it needs the primary.
    let lag = if db.is_ok() { state.db.replica_lag().await } else { None };
    let replica = match lag {
        None => ReplicaHealth::without_figures(if state.db.has_replica() { "unknown" } else { "disabled" }, None),
        Some(Ok(lag)) => ReplicaHealth {
            status: "up".into(),
            latency_ms: Some(ms(lag.latency)),
            lag_bytes: Some(lag.bytes),
            lag_seconds: Some(lag.seconds),
            standby: Some(lag.standby),
            error: None,
        },
        Some(Err(e)) => {
            tracing::warn!(cause = %e, "health: read replica down");
            ReplicaHealth::without_figures("down", Some("the read replica does not answer".into()))
        }
    };
    let module = if db.is_ok() { "up" } else { "down" };
    let services =
        ["pam", "wallet", "gal", "game-control"].into_iter().map(|s| (s.to_owned(), module.to_owned())).collect();
    let healthy = db.is_ok() && redis.status != "error" && replica.status != "down";
    Ok(StatusJson {
        status: if db.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE },
        body: HealthResponse {
            status: if healthy { "healthy" } else { "degraded" }.into(),
            database,
            redis,
            replica,
            services,
            uptime_seconds: state.started_at.elapsed().as_secs(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
    })
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct LivenessResponse {
    /// Always `live`: the process answers.
    pub status: String,
    pub uptime_seconds: u64,
}

/// Liveness: the process is up
///
/// Always `200` while the process answers; for a supervisor deciding whether to
/// restart it. Touches no dependency.
#[api_v2_operation(tags(Platform))]
pub async fn live(state: web::Data<AppState>) -> Result<web::Json<LivenessResponse>, ApiError> {
    Ok(web::Json(LivenessResponse { status: "live".into(), uptime_seconds: state.started_at.elapsed().as_secs() }))
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReadinessResponse {
    /// `ready`; `draining` once the instance is shutting down (SIGTERM); `unavailable`
    /// while the database does not answer.
    pub status: String,
    pub draining: bool,
    /// `up` or `down` (not asked while draining: `unknown`).
    pub database: String,
}

/// Readiness: the instance should get traffic
///
/// `200` when the database answers and the instance is not shutting down, else `503`:
/// load balancers and orchestrators stop routing here before the instance stops.
#[api_v2_operation(tags(Platform))]
pub async fn ready(state: web::Data<AppState>) -> Result<StatusJson<ReadinessResponse>, ApiError> {
    let reply = |status: StatusCode, word: &str, database: &str| StatusJson {
        status,
        body: ReadinessResponse { status: word.into(), draining: state.is_draining(), database: database.into() },
    };
    if state.is_draining() {
        return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, "draining", "unknown"));
    }
    Ok(match state.db.ping().await {
        Ok(_) => reply(StatusCode::OK, "ready", "up"),
        Err(e) => {
            tracing::warn!(cause = %e, "readiness: database down");
            reply(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "down")
        }
    })
}

/// Public platform figures for the landing page.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StatsResponse {
    pub players_registered: i64,
    /// Settled game rounds (rolled-back rounds excluded).
    pub rounds_played: i64,
    /// Paid ÷ wagered over all rounds, percent; null before the first round.
    pub platform_rtp: Option<f64>,
    pub games_available: i64,
    pub wallet_events: i64,
}

/// Platform statistics
#[api_v2_operation(tags(Platform))]
pub async fn stats(state: web::Data<AppState>) -> Result<web::Json<StatsResponse>, ApiError> {
    let c = state.db.counts().await?;
    let totals = state.db.round_totals().await?;
    let overflow = || ApiError::Internal("platform round totals overflow".into());
    let rounds = kernel::checked_sum(totals.iter().map(|(_, t)| t.rounds)).ok_or_else(overflow)?;
    let wagered = kernel::checked_sum(totals.iter().map(|(_, t)| t.wagered)).ok_or_else(overflow)?;
    let paid = kernel::checked_sum(totals.iter().map(|(_, t)| t.paid)).ok_or_else(overflow)?;
    Ok(web::Json(StatsResponse {
        players_registered: c.players,
        rounds_played: rounds,
        platform_rtp: (wagered > 0).then(|| (paid as f64 / wagered as f64 * 10_000.0).round() / 100.0),
        games_available: state.catalogue.iter().count() as i64,
        wallet_events: c.wallet_events,
    }))
}

/// Prometheus metrics (text exposition format); not part of the API document. With
/// `ACMETOCASINO_METRICS_TOKEN` set, only for `Authorization: Bearer <that token>`.
pub async fn metrics(
    req: actix_web::HttpRequest,
    state: actix_web::web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_bytes(presented.as_bytes(), token.expose()) {
            return Err(ApiError::Unauthorized("metrics need the metrics token".into()));
        }
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render()))
}

/// Equality that takes as long wherever the first difference is (the length may show).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
