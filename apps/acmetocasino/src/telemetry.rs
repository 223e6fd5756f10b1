//! Logs, correlation IDs and Prometheus metrics.

use crate::config::LogFormat;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use prometheus::{Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use std::time::Instant;
use tracing::Instrument;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Installs the global `tracing` subscriber (text or JSON lines on stdout).
pub fn init_logging(filter: &str, format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // A second initialisation (tests start many servers) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The correlation ID of a request: the caller's when well-formed, else a new one.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The application's Prometheus registry.
pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub wallet_events: IntCounterVec,
    pub logins: IntCounterVec,
    pub rounds: IntCounterVec,
    /// Per round played: how many rounds its transaction committed (always 1 on
    /// PostgreSQL; SQLite plays the rounds that queue for its writer together).
    pub rounds_per_commit: Histogram,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("acmetocasino".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method and route")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["method", "route"],
        )?;
        let wallet_events =
            IntCounterVec::new(Opts::new("wallet_events_total", "Wallet events appended, by type"), &["type"])?;
        let logins = IntCounterVec::new(Opts::new("logins_total", "Sign-in attempts by outcome"), &["outcome"])?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(wallet_events.clone()))?;
        let rounds = IntCounterVec::new(Opts::new("rounds_total", "Game rounds played, by game"), &["game"])?;
        registry.register(Box::new(logins.clone()))?;
        registry.register(Box::new(rounds.clone()))?;
        let rounds_per_commit = Histogram::with_opts(
            HistogramOpts::new("rounds_per_commit", "Rounds committed by the transaction of each round played")
                .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        registry.register(Box::new(rounds_per_commit.clone()))?;
        Ok(Self { registry, http_requests, http_duration, wallet_events, logins, rounds, rounds_per_commit })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Middleware: assigns the correlation ID, runs the request in a span carrying it,
/// echoes it on the response, logs the outcome and records metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(CorrelationId(id.clone()));
    let metrics = req.app_data::<actix_web::web::Data<crate::state::AppState>>().cloned();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", correlation_id = %id, %method, %path);
    let start = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    span.in_scope(|| tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, %route, "request completed"));
    if let Some(state) = metrics {
        state.metrics.http_requests.with_label_values(&[method.as_str(), route.as_str(), &status.to_string()]).inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[method.as_str(), route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(CORRELATION_HEADER), v);
    }
    Ok(res)
}
