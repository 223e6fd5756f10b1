//! Health, statistics and metrics.

use super::reply::StatusJson;
use crate::app::{self, platform::RedisProbe, platform::ReplicaProbe};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::RouteSummary;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, DurationRound, NaiveDate, Utc};
use gamectl_core::PlayDay;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wallet_core::MoneyDay;

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
    let probe = app::platform::probe(&state).await;
    let up = probe.database.latency.is_ok();
    let database = DatabaseHealth {
        status: if up { "up" } else { "down" }.into(),
        backend: probe.database.backend.into(),
        latency_ms: probe.database.latency.as_ref().ok().map(|d| ms(*d)),
        error: (!up).then(|| "the database does not answer".to_owned()),
    };
    let redis = match probe.redis {
        RedisProbe::Disabled => RedisHealth { status: "disabled".into(), latency_ms: None, error: None },
        RedisProbe::Connected(d) => RedisHealth { status: "connected".into(), latency_ms: Some(ms(d)), error: None },
        RedisProbe::Failed => {
            RedisHealth { status: "error".into(), latency_ms: None, error: Some("Redis does not answer".into()) }
        }
    };
    let replica = match probe.replica {
        ReplicaProbe::Disabled => ReplicaHealth::without_figures("disabled", None),
        ReplicaProbe::Unknown => ReplicaHealth::without_figures("unknown", None),
        ReplicaProbe::Up { latency, lag_bytes, lag_seconds, standby } => ReplicaHealth {
            status: "up".into(),
            latency_ms: Some(ms(latency)),
            lag_bytes: Some(lag_bytes),
            lag_seconds: Some(lag_seconds),
            standby: Some(standby),
            error: None,
        },
        ReplicaProbe::Down => ReplicaHealth::without_figures("down", Some("the read replica does not answer".into())),
    };
    let db = probe.database.latency;
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
    Ok(if app::platform::database_answers(&state).await {
        reply(StatusCode::OK, "ready", "up")
    } else {
        reply(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "down")
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
    let s = app::platform::stats(&state).await?;
    Ok(web::Json(StatsResponse {
        players_registered: s.players,
        rounds_played: s.rounds,
        platform_rtp: percent(s.paid, s.wagered),
        games_available: i64::try_from(s.games).map_err(|e| ApiError::Internal(e.to_string()))?,
        wallet_events: s.wallet_events,
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct OverviewParams {
    /// UTC days of daily figures, today included: 1–366 (default 30).
    pub days: Option<i64>,
    /// Hours of hourly figures, this one included: 1–336 (default 48).
    pub hours: Option<i64>,
}

/// One currency's figures over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Apiv2Schema)]
pub struct CurrencyFigures {
    pub currency: String,
    /// Minor units of `currency`.
    pub deposits: i64,
    pub withdrawals: i64,
    /// Settled rounds (rolled-back rounds excluded) of players with this currency.
    pub rounds: i64,
    pub wagered: i64,
    pub paid: i64,
    /// Gross gaming revenue: wagered − paid.
    pub ggr: i64,
    /// Paid ÷ wagered, percent; null without rounds.
    pub rtp: Option<f64>,
}

/// One UTC day's figures in one currency (days without activity are zero).
#[derive(Debug, Clone, PartialEq, Serialize, Apiv2Schema)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub currency: String,
    pub deposits: i64,
    pub withdrawals: i64,
    pub rounds: i64,
    pub wagered: i64,
    pub paid: i64,
    pub ggr: i64,
}

/// One UTC hour's settled rounds, every currency together.
#[derive(Debug, Clone, PartialEq, Serialize, Apiv2Schema)]
pub struct HourFigures {
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    pub rounds: i64,
}

/// The back office's key figures and their course over time.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct OverviewResponse {
    pub generated_at: DateTime<Utc>,
    pub days: i64,
    pub hours: i64,
    /// Players registered, ever.
    pub players: i64,
    /// Players whose wallet moved (money or play) since 00:00 UTC today.
    pub active_today: i64,
    /// Settled rounds in the window.
    pub rounds: i64,
    /// Paid ÷ wagered over the window's rounds, every currency together, percent.
    pub platform_rtp: Option<f64>,
    /// The window's figures per wallet currency, busiest first (money is never summed
    /// across currencies).
    pub currencies: Vec<CurrencyFigures>,
    /// Per UTC day and currency, oldest first.
    pub daily: Vec<DayFigures>,
    /// Per UTC hour, oldest first.
    pub hourly: Vec<HourFigures>,
}

fn percent(paid: i64, wagered: i64) -> Option<f64> {
    (wagered > 0).then(|| (paid as f64 / wagered as f64 * 10_000.0).round() / 100.0)
}

fn overflow() -> ApiError {
    ApiError::Internal("back-office totals overflow".into())
}

/// Every day from `first` for `days` days, in each currency that appears, zero-filled.
fn daily_figures(
    money: &[MoneyDay],
    play: &[PlayDay],
    first: NaiveDate,
    days: i64,
) -> Result<Vec<DayFigures>, ApiError> {
    let currencies: std::collections::BTreeSet<&str> =
        money.iter().map(|m| m.currency.as_str()).chain(play.iter().map(|p| p.currency.as_str())).collect();
    let mut out = Vec::new();
    for day in first.iter_days().take(usize::try_from(days).unwrap_or(0)) {
        let key = day.format("%Y-%m-%d").to_string();
        for currency in &currencies {
            let m = money.iter().find(|m| m.day == key && m.currency == *currency);
            let p = play.iter().find(|p| p.day == key && p.currency == *currency);
            let (wagered, paid) = p.map_or((0, 0), |p| (p.wagered, p.paid));
            out.push(DayFigures {
                day,
                currency: (*currency).to_owned(),
                deposits: m.map_or(0, |m| m.deposits),
                withdrawals: m.map_or(0, |m| m.withdrawals),
                rounds: p.map_or(0, |p| p.rounds),
                wagered,
                paid,
                ggr: kernel::checked_sum([wagered, -paid]).ok_or_else(overflow)?,
            });
        }
    }
    Ok(out)
}

/// The window's totals per currency, busiest (by stakes and deposits) first.
fn currency_figures(daily: &[DayFigures]) -> Result<Vec<CurrencyFigures>, ApiError> {
    let mut by: std::collections::BTreeMap<&str, CurrencyFigures> = Default::default();
    for d in daily {
        let c = by.entry(&d.currency).or_insert_with(|| CurrencyFigures {
            currency: d.currency.clone(),
            deposits: 0,
            withdrawals: 0,
            rounds: 0,
            wagered: 0,
            paid: 0,
            ggr: 0,
            rtp: None,
        });
        let add = |a: i64, b: i64| kernel::checked_sum([a, b]).ok_or_else(overflow);
        c.deposits = add(c.deposits, d.deposits)?;
        c.withdrawals = add(c.withdrawals, d.withdrawals)?;
        c.rounds = add(c.rounds, d.rounds)?;
        c.wagered = add(c.wagered, d.wagered)?;
        c.paid = add(c.paid, d.paid)?;
        c.ggr = add(c.ggr, d.ggr)?;
    }
    let mut out: Vec<CurrencyFigures> =
        by.into_values().map(|c| CurrencyFigures { rtp: percent(c.paid, c.wagered), ..c }).collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.wagered.saturating_add(c.deposits)));
    Ok(out)
}

/// Every hour from `first` for `hours` hours, zero-filled.
fn hourly_figures(counts: &[(String, i64)], first: DateTime<Utc>, hours: i64) -> Vec<HourFigures> {
    (0..hours)
        .map(|i| {
            let hour = first + chrono::Duration::hours(i);
            let key = hour.format("%Y-%m-%dT%H").to_string();
            HourFigures { hour, rounds: counts.iter().find(|(h, _)| *h == key).map_or(0, |(_, n)| *n) }
        })
        .collect()
}

/// Key figures with daily and hourly series (staff)
///
/// Players, players active today, and for the last `days` UTC days: deposits,
/// withdrawals, stakes, payouts and GGR per day and wallet currency; settled rounds
/// per hour for the last `hours` hours.
#[api_v2_operation(tags(Platform))]
pub async fn overview(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<OverviewParams>,
) -> Result<web::Json<OverviewResponse>, ApiError> {
    user.require_staff()?;
    let days = super::bounded("days", query.days, 30, 1, 366)?;
    let hours = super::bounded("hours", query.hours, 48, 1, 336)?;
    let now = kernel::Clock::now(&state.clock);
    let today = now.date_naive();
    let first_day = today - chrono::Duration::days(days - 1);
    let day_start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(overflow);
    let this_hour = now.duration_trunc(chrono::Duration::hours(1)).map_err(|_| overflow())?;
    let first_hour = this_hour - chrono::Duration::hours(hours - 1);
    let inputs = app::platform::overview_inputs(&state, day_start(first_day)?, day_start(today)?, first_hour).await?;
    let daily = daily_figures(&inputs.money, &inputs.play, first_day, days)?;
    let currencies = currency_figures(&daily)?;
    let rounds = kernel::checked_sum(currencies.iter().map(|c| c.rounds)).ok_or_else(overflow)?;
    let wagered = kernel::checked_sum(currencies.iter().map(|c| c.wagered)).ok_or_else(overflow)?;
    let paid = kernel::checked_sum(currencies.iter().map(|c| c.paid)).ok_or_else(overflow)?;
    Ok(web::Json(OverviewResponse {
        generated_at: now,
        days,
        hours,
        players: inputs.players,
        active_today: inputs.active_today,
        rounds,
        platform_rtp: percent(paid, wagered),
        currencies,
        daily,
        hourly: hourly_figures(&inputs.hourly, first_hour, hours),
    }))
}

/// This instance's request metrics, as `/metrics` has them, summed per route.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RequestMetricsResponse {
    pub uptime_seconds: u64,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    /// Busiest first.
    pub routes: Vec<RouteSummary>,
}

/// Request metrics of the answering instance (staff)
#[api_v2_operation(tags(Platform))]
pub async fn request_metrics(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<web::Json<RequestMetricsResponse>, ApiError> {
    user.require_staff()?;
    let routes = state.metrics.request_summary();
    Ok(web::Json(RequestMetricsResponse {
        uptime_seconds: state.started_at.elapsed().as_secs(),
        requests: routes.iter().map(|r| r.requests).sum(),
        client_errors: routes.iter().map(|r| r.client_errors).sum(),
        server_errors: routes.iter().map(|r| r.server_errors).sum(),
        routes,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_figures_fill_every_day_and_currency_and_total_per_currency() {
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let money = [
            MoneyDay { day: "2026-12-01".into(), currency: "EUR".into(), deposits: 500, withdrawals: 0 },
            MoneyDay { day: "2026-12-03".into(), currency: "SEK".into(), deposits: 9_000, withdrawals: 1_000 },
        ];
        let play = [PlayDay { day: "2026-12-03".into(), currency: "EUR".into(), rounds: 3, wagered: 300, paid: 450 }];
        let daily = daily_figures(&money, &play, first, 3).unwrap();
        assert_eq!(daily.len(), 6, "3 days × 2 currencies");
        let eur: Vec<_> = daily.iter().filter(|d| d.currency == "EUR").collect();
        assert_eq!(
            eur.iter().map(|d| d.day.to_string()).collect::<Vec<_>>(),
            ["2026-12-01", "2026-12-02", "2026-12-03"]
        );
        assert_eq!((eur[0].deposits, eur[1].deposits, eur[2].ggr), (500, 0, -150));
        let totals = currency_figures(&daily).unwrap();
        assert_eq!(totals.iter().map(|c| c.currency.as_str()).collect::<Vec<_>>(), ["SEK", "EUR"], "busiest first");
        assert_eq!((totals[0].deposits, totals[0].withdrawals, totals[0].rtp), (9_000, 1_000, None));
        assert_eq!((totals[1].rounds, totals[1].ggr, totals[1].rtp), (3, -150, Some(150.0)));
    }

    #[test]
    fn hourly_figures_are_zero_filled_from_the_first_hour() {
        let first = DateTime::parse_from_rfc3339("2026-12-07T22:00:00Z").unwrap().with_timezone(&Utc);
        let hours = hourly_figures(&[("2026-12-07T23".into(), 4), ("2026-12-08T01".into(), 1)], first, 4);
        assert_eq!(hours.iter().map(|h| h.rounds).collect::<Vec<_>>(), [0, 4, 0, 1]);
        assert_eq!(hours[3].hour.to_rfc3339(), "2026-12-08T01:00:00+00:00");
    }
}
