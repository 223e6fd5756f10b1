//! The platform's own state: health probes, public figures and the back office's key
//! figures.

use crate::db::DbError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The database's answer to a ping.
#[derive(Debug)]
pub struct DatabaseProbe {
    /// `postgresql` or `sqlite`.
    pub backend: &'static str,
    /// Round-trip time, or why it failed (logged, never shown to clients).
    pub latency: Result<Duration, String>,
}

/// The read replica, when one is configured.
#[derive(Debug)]
pub enum ReplicaProbe {
    /// No `DATABASE_READ_URL`: every read goes to the primary.
    Disabled,
    /// The primary is down, so the lag cannot be measured.
    Unknown,
    Up {
        latency: Duration,
        lag_bytes: i64,
        lag_seconds: f64,
        standby: bool,
    },
    Down,
}

/// Redis, when one is configured.
#[derive(Debug)]
pub enum RedisProbe {
    Disabled,
    Connected(Duration),
    Failed,
}

/// What `/health` reports.
#[derive(Debug)]
pub struct Probe {
    pub database: DatabaseProbe,
    pub redis: RedisProbe,
    pub replica: ReplicaProbe,
}

/// Asks every dependency once.
pub async fn probe(state: &AppState) -> Probe {
    let ping = state.db.ping().await;
    let database = DatabaseProbe {
        backend: state.db.kind().as_str(),
        latency: ping.as_ref().copied().map_err(|e| {
            tracing::warn!(cause = %e, "health: database down");
            e.to_string()
        }),
    };
    let redis = match &state.redis {
        None => RedisProbe::Disabled,
        Some(pool) => match crate::infra::redis_ping(pool).await {
            Ok(d) => RedisProbe::Connected(d),
            Err(e) => {
                tracing::warn!(cause = %e, "health: Redis down");
                RedisProbe::Failed
            }
        },
    };
    // The lag is measured against the primary's position, so it needs the primary.
    let lag = if ping.is_ok() { state.db.replica_lag().await } else { None };
    let replica = match lag {
        None if state.db.has_replica() => ReplicaProbe::Unknown,
        None => ReplicaProbe::Disabled,
        Some(Ok(lag)) => ReplicaProbe::Up {
            latency: lag.latency,
            lag_bytes: lag.bytes,
            lag_seconds: lag.seconds,
            standby: lag.standby,
        },
        Some(Err(e)) => {
            tracing::warn!(cause = %e, "health: read replica down");
            ReplicaProbe::Down
        }
    };
    Probe { database, redis, replica }
}

/// Whether the database answers (readiness).
pub async fn database_answers(state: &AppState) -> bool {
    match state.db.ping().await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(cause = %e, "readiness: database down");
            false
        }
    }
}

/// The landing page's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub players: i64,
    pub rounds: i64,
    pub wagered: i64,
    pub paid: i64,
    pub games: usize,
    pub wallet_events: i64,
}

pub async fn stats(state: &AppState) -> Result<Stats, DbError> {
    let counts = state.db.counts().await?;
    let totals = state.db.round_totals().await?;
    let sum = |f: fn(&gamectl_core::RoundTotals) -> i64| {
        kernel::checked_sum(totals.iter().map(|(_, t)| f(t)))
            .ok_or_else(|| DbError::Row("the platform's round totals overflow i64".into()))
    };
    Ok(Stats {
        players: counts.players,
        rounds: sum(|t| t.rounds)?,
        wagered: sum(|t| t.wagered)?,
        paid: sum(|t| t.paid)?,
        games: state.catalogue.iter().count(),
        wallet_events: counts.wallet_events,
    })
}

/// What the back office's overview is computed from: money and play per UTC day and
/// currency since `first_day`, rounds per hour since `first_hour`.
#[derive(Debug)]
pub struct OverviewInputs {
    pub money: Vec<wallet_core::MoneyDay>,
    pub play: Vec<gamectl_core::PlayDay>,
    pub players: i64,
    pub active_today: i64,
    /// `(YYYY-MM-DDTHH, rounds)`.
    pub hourly: Vec<(String, i64)>,
}

pub async fn overview_inputs(
    state: &AppState,
    first_day: DateTime<Utc>,
    today: DateTime<Utc>,
    first_hour: DateTime<Utc>,
) -> Result<OverviewInputs, DbError> {
    Ok(OverviewInputs {
        money: state.db.money_by_day(first_day).await?,
        play: state.db.play_by_day(first_day).await?,
        players: state.db.counts().await?.players,
        active_today: state.db.active_players_since(today).await?,
        hourly: state.db.rounds_by_hour(first_hour).await?,
    })
}
