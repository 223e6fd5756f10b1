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

    /// Requests, errors and latency per route since start, busiest first.
    pub fn request_summary(&self) -> Vec<RouteSummary> {
        use prometheus::core::Collector;
        let labels = |m: &prometheus::proto::Metric| {
            let get = |name: &str| m.get_label().iter().find(|l| l.name() == name).map(|l| l.value().to_owned());
            (get("method").unwrap_or_default(), get("route").unwrap_or_default(), get("status"))
        };
        let mut routes: std::collections::BTreeMap<(String, String), RouteSummary> = Default::default();
        for family in self.http_requests.collect() {
            for m in family.get_metric() {
                let (method, route, status) = labels(m);
                let count = m.get_counter().get_value() as u64;
                let entry =
                    routes.entry((method.clone(), route.clone())).or_insert_with(|| RouteSummary::new(method, route));
                entry.requests += count;
                match status.as_deref().and_then(|s| s.parse::<u16>().ok()) {
                    Some(400..=499) => entry.client_errors += count,
                    Some(500..=599) => entry.server_errors += count,
                    _ => {}
                }
            }
        }
        for family in self.http_duration.collect() {
            for m in family.get_metric() {
                let (method, route, _) = labels(m);
                let Some(entry) = routes.get_mut(&(method, route)) else { continue };
                let h = m.get_histogram();
                let n = h.get_sample_count();
                if n == 0 {
                    continue;
                }
                entry.mean_ms = Some(h.get_sample_sum() / n as f64 * 1000.0);
                // The upper bound of the bucket holding the 95th percentile (an estimate
                // from above); past the last bucket there is no bound.
                entry.p95_ms = h
                    .get_bucket()
                    .iter()
                    .find(|b| b.cumulative_count() as f64 >= 0.95 * n as f64)
                    .map(|b| b.upper_bound() * 1000.0);
            }
        }
        let mut out: Vec<RouteSummary> = routes.into_values().collect();
        out.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.route.cmp(&b.route)));
        out
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// One route's requests since the instance started (as the back office reads them).
#[derive(Debug, Clone, PartialEq, serde::Serialize, paperclip::actix::Apiv2Schema)]
pub struct RouteSummary {
    pub method: String,
    /// The route pattern (`/api/v2/wallet/{player_id}/balance`), or `unmatched`.
    pub route: String,
    pub requests: u64,
    /// Answers 400–499.
    pub client_errors: u64,
    /// Answers 500–599 (503 included).
    pub server_errors: u64,
    pub mean_ms: Option<f64>,
    /// An upper bound of the 95th percentile: the latency bucket holding it.
    pub p95_ms: Option<f64>,
}

impl RouteSummary {
    fn new(method: String, route: String) -> Self {
        Self { method, route, requests: 0, client_errors: 0, server_errors: 0, mean_ms: None, p95_ms: None }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_summary_counts_errors_and_estimates_latency_per_route() {
        let m = Metrics::new().unwrap();
        let route = "/api/v2/players/{id}";
        for (status, seconds) in [("200", 0.002), ("200", 0.003), ("404", 0.004), ("503", 0.2)] {
            m.http_requests.with_label_values(&["GET", route, status]).inc();
            m.http_duration.with_label_values(&["GET", route]).observe(seconds);
        }
        m.http_requests.with_label_values(&["POST", "/api/v2/auth/login", "200"]).inc();
        let summary = m.request_summary();
        assert_eq!(summary.len(), 2);
        let busiest = &summary[0];
        assert_eq!((busiest.method.as_str(), busiest.route.as_str()), ("GET", route));
        assert_eq!((busiest.requests, busiest.client_errors, busiest.server_errors), (4, 1, 1));
        let mean = busiest.mean_ms.unwrap();
        assert!((mean - 52.25).abs() < 1e-6, "{mean}");
        // Three of four requests took at most 5 ms; the fourth needs the 250 ms bucket.
        assert_eq!(busiest.p95_ms, Some(250.0));
        assert_eq!((summary[1].requests, summary[1].mean_ms), (1, None));
    }
}
