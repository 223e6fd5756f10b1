//! What a phase measured: latencies, completions per second and failures, and the
//! one machine-readable line per phase that xtask reads.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Instant;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Latencies (µs), per-second completions and failures of one phase.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) latencies_us: Vec<u64>,
    timeline: Vec<u64>,
    pub(crate) errors: BTreeMap<String, u64>,
}

impl Tally {
    pub(crate) fn ok(&mut self, started: Instant, sent: Instant) {
        let now = Instant::now();
        self.latencies_us.push(u64::try_from(now.duration_since(sent).as_micros()).unwrap_or(u64::MAX));
        let second = usize::try_from(now.duration_since(started).as_secs()).unwrap_or(usize::MAX);
        if second < 100_000 {
            if self.timeline.len() <= second {
                self.timeline.resize(second + 1, 0);
            }
            self.timeline[second] += 1;
        }
    }

    pub(crate) fn error(&mut self, what: String) {
        *self.errors.entry(what).or_default() += 1;
    }

    /// Sends one timed POST and records it: a success when the status is `expected`,
    /// otherwise an error named by its status and problem code.
    pub(crate) async fn post(
        &mut self,
        client: &reqwest::Client,
        url: &str,
        token: &str,
        body: &Value,
        expected: u16,
        started: Instant,
    ) {
        let sent = Instant::now();
        match client.post(url).bearer_auth(token).json(body).send().await {
            Ok(r) if r.status().as_u16() == expected => {
                let _ = r.bytes().await;
                self.ok(started, sent);
            }
            Ok(r) => {
                let status = r.status().as_u16();
                let v = r.json::<Value>().await.unwrap_or(Value::Null);
                self.error(problem_name(status, &v));
            }
            Err(e) => self.error(format!("transport: {}", short(&e.to_string()))),
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        if self.timeline.len() < other.timeline.len() {
            self.timeline.resize(other.timeline.len(), 0);
        }
        for (mine, theirs) in self.timeline.iter_mut().zip(other.timeline) {
            *mine += theirs;
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }

    /// The summary as JSON: counts, rate, percentiles in ms.
    pub(crate) fn summary(mut self, elapsed: Duration) -> Value {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        let pick = |q: f64| -> f64 {
            if n == 0 {
                return 0.0;
            }
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            self.latencies_us[rank - 1] as f64 / 1000.0
        };
        let mean = if n == 0 { 0.0 } else { self.latencies_us.iter().sum::<u64>() as f64 / n as f64 / 1000.0 };
        let errors: u64 = self.errors.values().sum();
        let secs = elapsed.as_secs_f64().max(1e-9);
        json!({
            "ok": n,
            "errors": errors,
            "errors_by": self.errors,
            "elapsed_s": round3(secs),
            "per_sec": round3(n as f64 / secs),
            "mean_ms": round3(mean),
            "p50_ms": round3(pick(0.50)),
            "p95_ms": round3(pick(0.95)),
            "p99_ms": round3(pick(0.99)),
            "max_ms": round3(pick(1.0)),
            "timeline": self.timeline,
        })
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Prints one machine-readable line for xtask.
pub(crate) fn emit(phase: &str, mut value: Value) {
    if let Value::Object(map) = &mut value {
        map.insert("phase".into(), Value::String(phase.into()));
    }
    println!("BENCH_JSON {value}");
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat`; 0 where
/// that is unavailable. Linux reports it in clock ticks of 1/100 s.
pub(crate) fn self_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub(crate) fn problem_name(status: u16, body: &Value) -> String {
    match body.get("code").and_then(Value::as_str) {
        Some(code) => format!("{status} {code}"),
        None => format!("{status}"),
    }
}

pub(crate) fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

pub(crate) fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_by_rank() {
        let t = Tally { latencies_us: (1..=100).map(|i| i * 1000).collect(), ..Tally::default() };
        let s = t.summary(Duration::from_secs(1));
        assert_eq!(s["p50_ms"], 50.0);
        assert_eq!(s["p99_ms"], 99.0);
        assert_eq!(s["max_ms"], 100.0);
        assert_eq!(s["per_sec"], 100.0);
    }
}
