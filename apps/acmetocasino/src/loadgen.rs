//! `acmetocasino bench-load` and `acmetocasino bench-sqlite-ceiling`: the load
//! generator and the raw SQLite loop behind `cargo xtask bench` (docs/benchmarks.md).
//!
//! `bench-load` drives a running server over HTTP the way players would: it registers,
//! logs in (Argon2id at the server's configured cost), passes KYC, funds and launches a
//! session per player, then runs a closed loop of `--concurrency` tasks, each with its
//! own HTTP client (keep-alive), placing `POST /api/v2/gal/bet` rounds on its own share
//! of the players. Every phase ends with one `BENCH_JSON {…}` line on stdout for
//! xtask; the human summary goes to stderr.
//!
//! `bench-sqlite-ceiling` replays a round script (the statements the server sent for a
//! round, captured by xtask from PostgreSQL's statement log) directly against a SQLite
//! file with Diesel's `SqliteConnection`: `BEGIN IMMEDIATE` … `COMMIT` per iteration,
//! prepared statements cached, one write gate like the server's — what SQLite can do
//! with no HTTP, JSON, pool or async hop in between.

use crate::db::schema::seed_pairs;
use crate::db::types::DbId;
use clap::Args;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::row::{Field, Row};
use diesel::sql_types::{BigInt, Double, Nullable, Text, Untyped};
use diesel::sqlite::{Sqlite, SqliteConnection};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Tokens older than this are renewed by logging in again (they live 15 minutes).
const TOKEN_REUSE: Duration = Duration::from_secs(600);
const PASSWORD: &str = "bench password 1";

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of a running server, e.g. http://127.0.0.1:8090
    #[arg(long)]
    pub url: String,
    /// Players to register (at least --concurrency).
    #[arg(long, default_value_t = 64)]
    pub players: usize,
    /// Concurrent clients (closed loop: each sends its next request when the last is answered).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds of round load; 0 for none (setup only).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// The game to play, at its minimum bet and default parameters.
    #[arg(long, default_value = "coin-flip")]
    pub game: String,
    /// Players, tokens and sessions: reused when the file exists, else set up and written.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Seconds of deposits to time after a fresh setup; 0 for none.
    #[arg(long, default_value_t = 3.0)]
    pub deposit_seconds: f64,
    /// Stop after this many rounds.
    #[arg(long)]
    pub max_rounds: Option<u64>,
    /// Bet with only the first K players.
    #[arg(long)]
    pub only_players: Option<usize>,
    /// Instead of rounds: build one wallet of N events (staff postings) and time its
    /// verification (`GET /api/v2/wallet/{id}/verify`).
    #[arg(long)]
    pub verify_events: Option<u64>,
    /// The operator who posts the events for --verify-events.
    #[arg(long, default_value = "benchop")]
    pub staff_username: String,
    /// Read the operator's password from stdin (its first line).
    #[arg(long)]
    pub staff_password_stdin: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CeilingArgs {
    /// The SQLite database file (the bench server's, with its players).
    #[arg(long)]
    pub db: PathBuf,
    /// The round script xtask wrote from the captured statements.
    #[arg(long)]
    pub script: PathBuf,
    /// The bench-load state file of this database (players and their sessions).
    #[arg(long)]
    pub state: PathBuf,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/// Latencies (µs), per-second completions and failures of one phase.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    timeline: Vec<u64>,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn ok(&mut self, started: Instant, sent: Instant) {
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

    fn error(&mut self, what: String) {
        *self.errors.entry(what).or_default() += 1;
    }

    /// Sends one timed POST and records it: a success when the status is `expected`,
    /// otherwise an error named by its status and problem code.
    async fn post(
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

    fn merge(&mut self, other: Tally) {
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
    fn summary(mut self, elapsed: Duration) -> Value {
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

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Prints one machine-readable line for xtask.
fn emit(phase: &str, mut value: Value) {
    if let Value::Object(map) = &mut value {
        map.insert("phase".into(), Value::String(phase.into()));
    }
    println!("BENCH_JSON {value}");
}

/// A small fast PRNG (SplitMix64) for picking players and shapes; not for secrets.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let (a, b) = Uuid::new_v4().as_u64_pair();
        Rng(a ^ b.rotate_left(17))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat`; 0 where
/// that is unavailable. Linux reports it in clock ticks of 1/100 s.
fn self_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// HTTP

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

/// A failed call: `"<status> <code>"` for a problem document, or the transport error.
type CallError = String;

impl Api {
    fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Api { client, base: base.trim_end_matches('/').to_owned() })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(u16, Value), CallError> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| format!("transport: {}", short(&e.to_string())))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("transport: {}", short(&e.to_string())))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// A call that must answer `expect`; anything else is an error named by status and code.
    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> Result<Value, CallError> {
        let (status, value) = self.call(method, path, token, body).await?;
        if status == expect { Ok(value) } else { Err(problem_name(status, &value)) }
    }
}

fn problem_name(status: u16, body: &Value) -> String {
    match body.get("code").and_then(Value::as_str) {
        Some(code) => format!("{status} {code}"),
        None => format!("{status}"),
    }
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

// ---------------------------------------------------------------------------------------
// bench-load

/// One bench player.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchPlayer {
    pub username: String,
    pub id: Uuid,
    pub session_id: Uuid,
    #[serde(default)]
    pub token: String,
}

/// What `--state` keeps between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchState {
    pub url: String,
    pub game: String,
    pub min_bet: i64,
    pub params: Value,
    /// Unix seconds of the tokens' login.
    pub tokens_at: u64,
    pub players: Vec<BenchPlayer>,
}

pub async fn run_load(args: LoadArgs) -> Result<(), String> {
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let api = Api::new(&args.url)?;
    if let Some(events) = args.verify_events {
        return verify_wallet(&api, &args, events).await;
    }
    let mut state = match &args.state {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut state: BenchState = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if unix_now().saturating_sub(state.tokens_at) > TOKEN_REUSE.as_secs() {
                relogin(&api, &mut state, args.concurrency).await?;
                write_state(path, &state)?;
            }
            state
        }
        _ => {
            let state = setup(&api, &args).await?;
            if let Some(path) = &args.state {
                write_state(path, &state)?;
            }
            state
        }
    };
    if args.duration > 0.0 {
        if let Some(k) = args.only_players {
            state.players.truncate(k.max(1));
        }
        rounds(&state, &args).await?;
    }
    Ok(())
}

fn write_state(path: &Path, state: &BenchState) -> Result<(), String> {
    let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `f` over `items` with at most `concurrency` calls in flight; the results in order.
async fn each<T, R, F, Fut>(items: Vec<T>, concurrency: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    futures_util::stream::iter(items.into_iter().map(f)).buffered(concurrency.max(1)).collect().await
}

fn first_error<T>(results: Vec<Result<T, String>>, what: &str) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        out.push(r.map_err(|e| format!("{what}: {e}"))?);
    }
    Ok(out)
}

async fn setup(api: &Api, args: &LoadArgs) -> Result<BenchState, String> {
    use reqwest::Method;
    if args.players < args.concurrency {
        return Err(format!("--players ({}) must be at least --concurrency ({})", args.players, args.concurrency));
    }
    let games = api.expect(Method::GET, "/api/v2/gal/games", None, None, 200).await?;
    let game = games
        .as_array()
        .and_then(|list| list.iter().find(|g| g["slug"] == args.game.as_str()))
        .ok_or_else(|| format!("the server has no game {:?}", args.game))?;
    let min_bet = game["min_bet"].as_i64().ok_or("game without min_bet")?;
    let params = game["default_params"].clone();
    let tag = &Uuid::new_v4().simple().to_string()[..6];
    let c = args.concurrency;
    let n = args.players;
    eprintln!("bench-load: setting up {n} players at concurrency {c} ({} at its minimum bet {min_bet})", args.game);

    // Registration hashes the password (Argon2id) on the server.
    let started = Instant::now();
    let names: Vec<String> = (0..n).map(|i| format!("b{tag}_{i:05}")).collect();
    let registered = each(names.clone(), c, |name| async move {
        let body = json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD,
                          "date_of_birth": "1990-01-31", "country": "GB", "currency": "GBP"});
        let v = api.expect(Method::POST, "/api/v2/players", None, Some(&body), 201).await?;
        v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| "registration without id".to_owned())
    })
    .await;
    let ids = first_error(registered, "registering")?;
    let register_time = started.elapsed();

    // Logins: Argon2id verification at the configured cost.
    let started = Instant::now();
    let logged_in = each(names.clone(), c, |name| login(api, name)).await;
    let tokens = first_error(logged_in, "logging in")?;
    let login_time = started.elapsed();

    // KYC first (deposits beyond 2,000.00 need it), then funds and a session each.
    let started = Instant::now();
    let fund = min_bet.saturating_mul(5_000).min(1_000_000_000_000);
    let work: Vec<(String, Uuid, String)> = names
        .iter()
        .cloned()
        .zip(ids.iter().copied())
        .zip(tokens.iter().cloned())
        .map(|((a, b), t)| (a, b, t))
        .collect();
    let prepared = each(work, c, |(name, id, token)| {
        let game = args.game.clone();
        async move {
            let kyc = json!({"document_type": "passport", "document_number": "P1234567", "issuing_country": "GB",
                             "expires_on": "2035-01-01", "full_name": format!("{name} Bench"), "address": "1 High Street, London"});
            let k = api
                .expect(Method::POST, &format!("/api/v2/compliance/kyc/{id}/submit"), Some(&token), Some(&kyc), 201)
                .await?;
            if k["status"] != "approved" {
                return Err(format!("KYC not approved at once: {k}"));
            }
            let deposit = json!({"amount": fund, "idempotency_key": format!("fund-{id}")});
            api.expect(Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(&deposit), 201).await?;
            let launch = json!({"game_slug": game});
            let l = api.expect(Method::POST, "/api/v2/gal/launch", Some(&token), Some(&launch), 201).await?;
            let session_id = l["session_id"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| "launch without session_id".to_owned())?;
            Ok(BenchPlayer { username: name, id, session_id, token })
        }
    })
    .await;
    let players = first_error(prepared, "preparing a player")?;
    let prepare_time = started.elapsed();

    let rate = |k: usize, t: Duration| round3(k as f64 / t.as_secs_f64().max(1e-9));
    eprintln!(
        "bench-load: {n} registrations in {:.2}s ({}/s), {n} logins in {:.2}s ({}/s), KYC+deposit+launch in {:.2}s",
        register_time.as_secs_f64(),
        rate(n, register_time),
        login_time.as_secs_f64(),
        rate(n, login_time),
        prepare_time.as_secs_f64()
    );
    emit(
        "setup",
        json!({"players": n, "concurrency": c, "fund": fund,
               "register_s": round3(register_time.as_secs_f64()), "registrations_per_sec": rate(n, register_time),
               "login_s": round3(login_time.as_secs_f64()), "logins_per_sec": rate(n, login_time),
               "prepare_s": round3(prepare_time.as_secs_f64())}),
    );
    let state =
        BenchState { url: args.url.clone(), game: args.game.clone(), min_bet, params, tokens_at: unix_now(), players };
    if args.deposit_seconds > 0.0 {
        deposits(&state, c, Duration::from_secs_f64(args.deposit_seconds)).await?;
    }
    Ok(state)
}

async fn login(api: &Api, name: String) -> Result<String, String> {
    let body = json!({"username": name, "password": PASSWORD});
    let v = api.expect(reqwest::Method::POST, "/api/v2/auth/login", None, Some(&body), 200).await?;
    v["access_token"].as_str().map(str::to_owned).ok_or_else(|| "login without access_token".to_owned())
}

async fn relogin(api: &Api, state: &mut BenchState, concurrency: usize) -> Result<(), String> {
    let started = Instant::now();
    let names: Vec<String> = state.players.iter().map(|p| p.username.clone()).collect();
    let n = names.len();
    let tokens = first_error(each(names, concurrency, |name| login(api, name)).await, "logging in")?;
    for (p, t) in state.players.iter_mut().zip(tokens) {
        p.token = t;
    }
    state.tokens_at = unix_now();
    let t = started.elapsed();
    eprintln!("bench-load: tokens renewed: {n} logins in {:.2}s", t.as_secs_f64());
    emit(
        "login",
        json!({"logins": n, "login_s": round3(t.as_secs_f64()),
                         "logins_per_sec": round3(n as f64 / t.as_secs_f64().max(1e-9))}),
    );
    Ok(())
}

/// The players of task `t` of `c`: every `c`-th one from `t`.
fn share<T: Clone>(all: &[T], t: usize, c: usize) -> Vec<T> {
    all.iter().skip(t).step_by(c).cloned().collect()
}

/// `concurrency` closed-loop tasks for `duration`, each with its own HTTP client.
async fn closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    budget: Option<u64>,
    task: F,
) -> Result<(Tally, Duration), String>
where
    F: Fn(usize, reqwest::Client, Instant, Instant, Arc<AtomicU64>) -> Fut,
    Fut: std::future::Future<Output = Tally> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let budget = Arc::new(AtomicU64::new(budget.unwrap_or(u64::MAX)));
    let mut handles = Vec::new();
    for t in 0..concurrency {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        handles.push(tokio::spawn(task(t, client, started, deadline, budget.clone())));
    }
    let mut tally = Tally::default();
    for h in handles {
        tally.merge(h.await.map_err(|e| format!("load task: {e}"))?);
    }
    Ok((tally, started.elapsed()))
}

/// Takes one unit of the shared budget; false when it is spent.
fn take(budget: &AtomicU64) -> bool {
    budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_ok()
}

async fn deposits(state: &BenchState, concurrency: usize, duration: Duration) -> Result<(), String> {
    let base = state.url.trim_end_matches('/').to_owned();
    let players = Arc::new(state.players.clone());
    let (tally, elapsed) = closed_loop(concurrency, duration, None, |t, client, started, deadline, budget| {
        let mine = share(&players, t, concurrency);
        let url = format!("{base}/api/v2/wallet/deposit");
        async move {
            let mut tally = Tally::default();
            let mut i = 0usize;
            while Instant::now() < deadline && !mine.is_empty() && take(&budget) {
                let p = &mine[i % mine.len()];
                i += 1;
                let body = json!({"amount": 100, "idempotency_key": Uuid::new_v4().to_string()});
                tally.post(&client, &url, &p.token, &body, 201, started).await;
            }
            tally
        }
    })
    .await?;
    let s = tally.summary(elapsed);
    eprintln!(
        "bench-load: deposits: {} in {:.1}s = {}/s, p50 {} ms, p99 {} ms, errors {}",
        s["ok"], s["elapsed_s"], s["per_sec"], s["p50_ms"], s["p99_ms"], s["errors"]
    );
    emit("deposits", with(s, json!({"concurrency": concurrency})));
    Ok(())
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

async fn rounds(state: &BenchState, args: &LoadArgs) -> Result<(), String> {
    let c = args.concurrency;
    if state.players.len() < c {
        return Err(format!("{} players cannot keep {c} clients on separate wallets", state.players.len()));
    }
    let base = state.url.trim_end_matches('/').to_owned();
    let players = Arc::new(state.players.clone());
    let amount = state.min_bet;
    let params = state.params.clone();
    let duration = Duration::from_secs_f64(args.duration);
    eprintln!(
        "bench-load: {c} clients betting on {} players for up to {:.0}s{}",
        players.len(),
        duration.as_secs_f64(),
        args.max_rounds.map(|n| format!(" or {n} rounds")).unwrap_or_default()
    );
    let cpu_before = self_cpu_s();
    let (tally, elapsed) = closed_loop(c, duration, args.max_rounds, |t, client, started, deadline, budget| {
        let mine = share(&players, t, c);
        let url = format!("{base}/api/v2/gal/bet");
        let params = params.clone();
        async move {
            let mut tally = Tally::default();
            let mut i = 0usize;
            while Instant::now() < deadline && take(&budget) {
                let p = &mine[i % mine.len()];
                i += 1;
                let body = json!({"session_id": p.session_id, "amount": amount, "params": params,
                                  "idempotency_key": Uuid::new_v4().to_string()});
                tally.post(&client, &url, &p.token, &body, 200, started).await;
            }
            tally
        }
    })
    .await?;
    let s = tally.summary(elapsed);
    eprintln!(
        "bench-load: rounds: {} in {:.1}s = {}/s; latency p50 {} ms, p95 {} ms, p99 {} ms, max {} ms; errors {} {}",
        s["ok"],
        s["elapsed_s"],
        s["per_sec"],
        s["p50_ms"],
        s["p95_ms"],
        s["p99_ms"],
        s["max_ms"],
        s["errors"],
        s["errors_by"]
    );
    let cpu_s = round3(self_cpu_s() - cpu_before);
    emit(
        "rounds",
        with(
            s,
            json!({"concurrency": c, "players": players.len(), "game": state.game, "amount": amount, "cpu_s": cpu_s}),
        ),
    );
    Ok(())
}

/// Deposits timed one at a time at each size the wallet passes on its way to
/// `--verify-events`: enough for a stable p99, few enough not to move the size.
const DEPOSIT_PROBES: u64 = 200;

/// Builds one wallet of `events` events with the player's own deposits (the worst case
/// for every rule that reads deposits over a window: all of them are inside every
/// window), timing single deposits as it passes 10, 100, 1,000, … events and at the
/// end, then times `/verify` of the whole stream.
async fn verify_wallet(api: &Api, args: &LoadArgs, events: u64) -> Result<(), String> {
    use reqwest::Method;
    if !args.staff_password_stdin {
        return Err("--verify-events needs --staff-password-stdin".into());
    }
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).map_err(|e| format!("stdin: {e}"))?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    let body = json!({"username": args.staff_username, "password": password});
    let staff = api.expect(Method::POST, "/api/v2/auth/login", None, Some(&body), 200).await?;
    let staff = staff["access_token"].as_str().ok_or("staff login without access_token")?.to_owned();

    // A player who may deposit: registered and through KYC.
    let name = format!("v{}", &Uuid::new_v4().simple().to_string()[..10]);
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD,
                      "date_of_birth": "1990-01-31", "country": "GB", "currency": "GBP"});
    let player = api.expect(Method::POST, "/api/v2/players", None, Some(&body), 201).await?;
    let id = player["id"].as_str().ok_or("registration without id")?.to_owned();
    let token = login(api, name.clone()).await?;
    let kyc = json!({"document_type": "passport", "document_number": "P7654321", "issuing_country": "GB",
                     "expires_on": "2035-01-01", "full_name": format!("{name} Bench"), "address": "2 High Street, London"});
    api.expect(Method::POST, &format!("/api/v2/compliance/kyc/{id}/submit"), Some(&token), Some(&kyc), 201).await?;

    let url = format!("{}/api/v2/wallet/deposit", api.base);
    let next = Arc::new(AtomicU64::new(0));
    let deposit = |i: u64| json!({"amount": 1, "idempotency_key": format!("verify-{i}")});
    let mut checkpoints: Vec<u64> =
        std::iter::successors(Some(10u64), |k| k.checked_mul(10)).take_while(|k| *k < events).collect();
    checkpoints.push(events);
    let (mut build, mut build_s, mut probes) = (Tally::default(), 0.0, Vec::new());
    let mut token = token;
    for &size in &checkpoints {
        // Postings on one wallet serialise on its lock; a few clients still overlap the
        // HTTP and JSON work around it.
        let c = args.concurrency.min(4);
        let missing = size.saturating_sub(next.load(Ordering::Relaxed));
        eprintln!("bench-load: depositing {missing} times to one wallet ({c} clients), up to {size} events");
        let (tally, elapsed) =
            closed_loop(c, Duration::from_secs(86_400), Some(missing), |_, client, started, _, budget| {
                let (url, token, next) = (url.clone(), token.clone(), next.clone());
                async move {
                    let mut tally = Tally::default();
                    while take(&budget) {
                        let body = deposit(next.fetch_add(1, Ordering::Relaxed));
                        tally.post(&client, &url, &token, &body, 201, started).await;
                    }
                    tally
                }
            })
            .await?;
        build.merge(tally);
        build_s += elapsed.as_secs_f64();
        // One client, one deposit at a time: the latency of a deposit at this size.
        let (tally, _) =
            closed_loop(1, Duration::from_secs(86_400), Some(DEPOSIT_PROBES), |_, client, started, _, budget| {
                let (url, token, next) = (url.clone(), token.clone(), next.clone());
                async move {
                    let mut tally = Tally::default();
                    while take(&budget) {
                        let body = deposit(next.fetch_add(1, Ordering::Relaxed));
                        tally.post(&client, &url, &token, &body, 201, started).await;
                    }
                    tally
                }
            })
            .await?;
        let probe = tally.summary(Duration::from_secs(1));
        eprintln!("bench-load: deposit at {size} events: p50 {} ms, p99 {} ms", probe["p50_ms"], probe["p99_ms"]);
        probes.push(
            json!({"events": size, "deposits": probe["ok"], "errors": probe["errors"], "mean_ms": probe["mean_ms"],
                           "p50_ms": probe["p50_ms"], "p99_ms": probe["p99_ms"]}),
        );
        // Tokens live 15 minutes; a long build renews its own.
        token = login(api, name.clone()).await?;
    }
    let build = build.summary(Duration::from_secs_f64(build_s));
    eprintln!(
        "bench-load: {} events posted in {:.1}s ({}/s), errors {}",
        build["ok"], build["elapsed_s"], build["per_sec"], build["errors"]
    );

    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..3 {
        let sent = Instant::now();
        last = api.expect(Method::GET, &format!("/api/v2/wallet/{id}/verify"), Some(&staff), None, 200).await?;
        times.push(round3(sent.elapsed().as_secs_f64() * 1000.0));
    }
    let consistent = last["consistent"].as_bool().unwrap_or(false);
    eprintln!("bench-load: verify of {} events: {times:?} ms, consistent: {consistent}", last["events"]);
    emit(
        "verify",
        json!({"events": last["events"], "consistent": consistent, "verify_ms": times,
               "build_s": build["elapsed_s"], "posts_per_sec": build["per_sec"], "post_p99_ms": build["p99_ms"],
               "errors": build["errors"], "errors_by": build["errors_by"], "deposit_latency": probes}),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// bench-sqlite-ceiling

/// One part of a parameter value in a round script.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Part {
    /// Captured text, kept as it was.
    Lit {
        v: String,
    },
    /// The player of the transaction.
    Player,
    /// That player's open session.
    Session,
    /// That player's active seed pair.
    Pair,
    /// A fresh UUID per transaction; equal slots get the same one.
    Uuid {
        slot: usize,
    },
    /// A fresh integer per transaction (1 to 10^12 − 1).
    Int {
        slot: usize,
    },
    Null,
}

#[derive(Debug, Clone, Deserialize)]
struct ScriptStatement {
    sql: String,
    /// `$1…$n` in order.
    params: Vec<Vec<Part>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ScriptShape {
    weight: u64,
    statements: Vec<ScriptStatement>,
}

#[derive(Debug, Clone, Deserialize)]
struct RoundScript {
    shapes: Vec<ScriptShape>,
}

/// A bound value.
#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Float(f64),
    Text(String),
    Null,
}

/// A statement prepared for SQLite: the SQL around each `$n`, and which `n`.
#[derive(Debug, Clone)]
enum Step {
    Begin,
    Commit,
    Sql {
        pieces: Vec<String>,
        /// Which parameter each placeholder takes, and whether it is a list.
        order: Vec<(usize, bool)>,
        params: Vec<Vec<Part>>,
        rows: bool,
    },
}

/// `… = ANY(` before a placeholder and `)` after it become `… IN (` and `)`.
fn sqlite_pieces(pieces: Vec<String>, order: Vec<usize>) -> (Vec<String>, Vec<(usize, bool)>) {
    let mut pieces = pieces;
    let mut out = Vec::with_capacity(order.len());
    for (i, n) in order.into_iter().enumerate() {
        let list = pieces[i].ends_with(" = ANY(") && pieces.get(i + 1).is_some_and(|p| p.starts_with(')'));
        if list {
            let cut = pieces[i].len() - " = ANY(".len();
            pieces[i].truncate(cut);
            pieces[i].push_str(" IN (");
        }
        out.push((n, list));
    }
    // PostgreSQL's `DEFAULT` for an absent optional value; SQLite has no such keyword
    // in VALUES (its backend leaves the column out, which stores the same NULL).
    let pieces = pieces.iter().map(|p| p.replace(", DEFAULT", ", NULL").replace("(DEFAULT", "(NULL")).collect();
    (pieces, out)
}

/// The elements of a PostgreSQL array literal such as `{BET,WIN}`.
fn array_elements(v: &str) -> Vec<String> {
    let inner = v.trim().trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        return Vec::new();
    }
    inner.split(',').map(|e| e.trim_matches('"').to_owned()).collect()
}

/// Raw SQL with dynamic binds that, unlike `sql_query`, Diesel may cache as a
/// prepared statement (keyed by its SQL). After each piece but the last come the
/// binds of one placeholder: one value, or a list (PostgreSQL's `= ANY($n)`, which
/// SQLite writes `IN (?, ?, …)`).
struct Raw<'a> {
    pieces: &'a [String],
    binds: Vec<Vec<Bind>>,
}

impl QueryId for Raw<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Raw<'_> {
    type SqlType = Untyped;
}

impl QueryFragment<Sqlite> for Raw<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        for (i, piece) in self.pieces.iter().enumerate() {
            out.push_sql(piece);
            for (k, bind) in self.binds.get(i).into_iter().flatten().enumerate() {
                if k > 0 {
                    out.push_sql(", ");
                }
                match bind {
                    Bind::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                    Bind::Float(v) => out.push_bind_param::<Double, f64>(v)?,
                    Bind::Text(v) => out.push_bind_param::<Text, String>(v)?,
                    Bind::Null => out.push_bind_param::<Nullable<Text>, Option<String>>(&None)?,
                }
            }
        }
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for Raw<'_> {}

/// Reads every column of every row, as the server decodes its rows.
struct Touched;

impl QueryableByName<Sqlite> for Touched {
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, Sqlite>) -> diesel::deserialize::Result<Self> {
        for i in 0..row.field_count() {
            if let Some(field) = Row::get(row, i)
                && field.value().is_some()
            {
                let _: Option<String> =
                    <Option<String> as diesel::deserialize::FromSql<Nullable<Text>, Sqlite>>::from_nullable_sql(
                        field.value(),
                    )?;
            }
        }
        Ok(Touched)
    }
}

/// Splits PostgreSQL text at its `$n` placeholders.
fn split_placeholders(sql: &str) -> (Vec<String>, Vec<usize>) {
    let mut pieces = vec![String::new()];
    let mut order = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    let mut in_quote = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            in_quote = !in_quote;
        }
        if !in_quote && b == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let n: usize = sql[i + 1..j].parse().unwrap_or(1);
            order.push(n.saturating_sub(1));
            pieces.push(String::new());
            i = j;
            continue;
        }
        let ch_len = sql[i..].chars().next().map_or(1, char::len_utf8);
        if let Some(last) = pieces.last_mut() {
            last.push_str(&sql[i..i + ch_len]);
        }
        i += ch_len;
    }
    (pieces, order)
}

/// Captured PostgreSQL text of a literal, as the SQLite backend binds it.
fn sqlite_literal(v: &str) -> Bind {
    if let Ok(i) = v.parse::<i64>() {
        return Bind::Int(i);
    }
    if v.contains('.')
        && let Ok(f) = v.parse::<f64>()
    {
        return Bind::Float(f);
    }
    match v {
        "t" => return Bind::Int(1),
        "f" => return Bind::Int(0),
        _ => {}
    }
    // timestamptz output, e.g. `2026-11-24 05:01:02.1234+00`: SQLite keeps RFC 3339 text.
    if v.len() >= 22
        && v.as_bytes().get(10) == Some(&b' ')
        && let Ok(t) = chrono::DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f%#z")
    {
        return Bind::Text(t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
    Bind::Text(v.to_owned())
}

struct Ids {
    player: String,
    session: String,
    pair: String,
}

fn bind_value(parts: &[Part], ids: &Ids, uuids: &[String], ints: &[i64]) -> Bind {
    if let [single] = parts {
        return match single {
            Part::Lit { v } => sqlite_literal(v),
            Part::Int { slot } => Bind::Int(ints.get(*slot).copied().unwrap_or(1)),
            Part::Null => Bind::Null,
            other => Bind::Text(part_text(other, ids, uuids, ints)),
        };
    }
    Bind::Text(parts.iter().map(|p| part_text(p, ids, uuids, ints)).collect())
}

fn part_text(part: &Part, ids: &Ids, uuids: &[String], ints: &[i64]) -> String {
    match part {
        Part::Lit { v } => v.clone(),
        Part::Player => ids.player.clone(),
        Part::Session => ids.session.clone(),
        Part::Pair => ids.pair.clone(),
        Part::Uuid { slot } => uuids.get(*slot).cloned().unwrap_or_default(),
        Part::Int { slot } => ints.get(*slot).copied().unwrap_or(1).to_string(),
        Part::Null => String::new(),
    }
}

fn slots(shape: &[Step]) -> (usize, usize) {
    let (mut u, mut n) = (0, 0);
    for step in shape {
        if let Step::Sql { params, .. } = step {
            for part in params.iter().flatten() {
                match part {
                    Part::Uuid { slot } => u = u.max(slot + 1),
                    Part::Int { slot } => n = n.max(slot + 1),
                    _ => {}
                }
            }
        }
    }
    (u, n)
}

pub async fn run_sqlite_ceiling(args: CeilingArgs) -> Result<(), String> {
    tokio::task::spawn_blocking(move || sqlite_ceiling(&args)).await.map_err(|e| format!("ceiling: {e}"))?
}

fn sqlite_ceiling(args: &CeilingArgs) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let script: RoundScript =
        serde_json::from_str(&read(&args.script)?).map_err(|e| format!("{}: {e}", args.script.display()))?;
    let state: BenchState =
        serde_json::from_str(&read(&args.state)?).map_err(|e| format!("{}: {e}", args.state.display()))?;
    let c = args.concurrency.max(1);
    if state.players.len() < c {
        return Err(format!("{} players cannot keep {c} connections on separate wallets", state.players.len()));
    }
    let db = args.db.to_string_lossy().into_owned();
    let connect = || -> Result<SqliteConnection, String> {
        let mut conn = SqliteConnection::establish(&db).map_err(|e| format!("{db}: {e}"))?;
        // The server's pragmas, its writer's included: every ceiling connection writes.
        for pragmas in [crate::db::SQLITE_PRAGMAS, crate::db::SQLITE_WRITER_PRAGMAS] {
            diesel::connection::SimpleConnection::batch_execute(&mut conn, pragmas).map_err(|e| e.to_string())?;
        }
        Ok(conn)
    };

    // The players' ids, as the server's SQLite backend stores them (hyphenated text).
    let mut conn = connect()?;
    let mut ids = Vec::new();
    for p in &state.players {
        let pair: DbId = seed_pairs::table
            .filter(seed_pairs::player_id.eq(DbId(p.id)))
            .filter(seed_pairs::active.eq(true))
            .select(seed_pairs::id)
            .first(&mut conn)
            .map_err(|e| format!("seed pair of {}: {e}", p.username))?;
        ids.push(Ids {
            player: p.id.hyphenated().to_string(),
            session: p.session_id.hyphenated().to_string(),
            pair: pair.0.hyphenated().to_string(),
        });
    }
    let version: Vec<SqliteVersion> =
        diesel::sql_query("SELECT sqlite_version() AS v").load(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);

    let shapes: Vec<(u64, Vec<Step>)> = script
        .shapes
        .iter()
        .map(|shape| {
            let steps = shape
                .statements
                .iter()
                .map(|s| {
                    let upper = s.sql.trim().to_ascii_uppercase();
                    if upper == "BEGIN" || upper.starts_with("BEGIN ") {
                        Step::Begin
                    } else if upper == "COMMIT" {
                        Step::Commit
                    } else {
                        let (pieces, order) = split_placeholders(&s.sql);
                        let (pieces, order) = sqlite_pieces(pieces, order);
                        let rows = upper.starts_with("SELECT") || upper.contains(" RETURNING ");
                        Step::Sql { pieces, order, params: s.params.clone(), rows }
                    }
                })
                .collect();
            (shape.weight.max(1), steps)
        })
        .collect();
    let total_weight: u64 = shapes.iter().map(|(w, _)| w).sum();
    if shapes.is_empty() {
        return Err("the round script has no shapes".into());
    }

    let ids = Arc::new(ids);
    let shapes = Arc::new(shapes);
    let gate = Arc::new(Mutex::new(()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let cpu_before = self_cpu_s();
    let results: Vec<Result<Tally, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..c)
            .map(|t| {
                let ids = ids.clone();
                let shapes = shapes.clone();
                let gate = gate.clone();
                let mut conn = connect();
                scope.spawn(move || -> Result<Tally, String> {
                    let conn = conn.as_mut().map_err(|e| e.clone())?;
                    let mine: Vec<usize> = (t..ids.len()).step_by(c).collect();
                    let mut rng = Rng::seeded();
                    let mut tally = Tally::default();
                    while Instant::now() < deadline {
                        let who = &ids[mine[rng.below(mine.len() as u64) as usize]];
                        let mut pick = rng.below(total_weight);
                        let steps = shapes
                            .iter()
                            .find(|(w, _)| {
                                let hit = pick < *w;
                                pick = pick.saturating_sub(*w);
                                hit
                            })
                            .map(|(_, s)| s)
                            .unwrap_or(&shapes[0].1);
                        let (nu, ni) = slots(steps);
                        let uuids: Vec<String> = (0..nu).map(|_| Uuid::new_v4().hyphenated().to_string()).collect();
                        let ints: Vec<i64> = (0..ni).map(|_| 1 + (rng.next() % 999_999_999_999) as i64).collect();
                        let sent = Instant::now();
                        let _guard = gate.lock().unwrap_or_else(|e| e.into_inner());
                        match run_round(conn, steps, who, &uuids, &ints) {
                            Ok(()) => tally.ok(started, sent),
                            Err(e) => {
                                let _ = diesel::connection::SimpleConnection::batch_execute(conn, "ROLLBACK");
                                tally.error(short(&e));
                                if tally.errors.values().sum::<u64>() > 1_000 {
                                    break;
                                }
                            }
                        }
                    }
                    Ok(tally)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a ceiling thread panicked".into()))).collect()
    });
    let elapsed = started.elapsed();
    let mut tally = Tally::default();
    for r in results {
        tally.merge(r?);
    }
    let s = tally.summary(elapsed);
    let sqlite_version = version.first().map(|v| v.v.clone()).unwrap_or_default();
    eprintln!(
        "bench-sqlite-ceiling: {} transactions in {:.1}s = {}/s; p50 {} ms, p99 {} ms; errors {} {}",
        s["ok"], s["elapsed_s"], s["per_sec"], s["p50_ms"], s["p99_ms"], s["errors"], s["errors_by"]
    );
    let cpu_s = round3(self_cpu_s() - cpu_before);
    emit("sqlite-ceiling", with(s, json!({"concurrency": c, "sqlite_version": sqlite_version, "cpu_s": cpu_s})));
    Ok(())
}

#[derive(QueryableByName)]
struct SqliteVersion {
    #[diesel(sql_type = Text)]
    v: String,
}

fn run_round(
    conn: &mut SqliteConnection,
    steps: &[Step],
    who: &Ids,
    uuids: &[String],
    ints: &[i64],
) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    for step in steps {
        match step {
            Step::Begin => conn.batch_execute("BEGIN IMMEDIATE").map_err(|e| format!("BEGIN: {e}"))?,
            Step::Commit => conn.batch_execute("COMMIT").map_err(|e| format!("COMMIT: {e}"))?,
            Step::Sql { pieces, order, params, rows } => {
                let binds: Vec<Vec<Bind>> = order
                    .iter()
                    .map(|&(i, list)| match (params.get(i), list) {
                        (Some(p), false) => vec![bind_value(p, who, uuids, ints)],
                        (Some(p), true) => {
                            let text: String = p.iter().map(|part| part_text(part, who, uuids, ints)).collect();
                            array_elements(&text).iter().map(|e| sqlite_literal(e)).collect()
                        }
                        (None, _) => vec![Bind::Null],
                    })
                    .collect();
                let raw = Raw { pieces, binds };
                let result = if *rows { raw.load::<Touched>(conn).map(|_| ()) } else { raw.execute(conn).map(|_| ()) };
                result.map_err(|e| format!("{e} in {}", short(&pieces.concat())))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_placeholders_outside_quotes() {
        let (pieces, order) = split_placeholders("SELECT a FROM t WHERE x = $1 AND y = '$2' LIMIT $10");
        assert_eq!(pieces, ["SELECT a FROM t WHERE x = ", " AND y = '$2' LIMIT ", ""]);
        assert_eq!(order, [0, 9]);
    }

    #[test]
    fn rewrites_postgres_only_syntax_for_sqlite() {
        let (pieces, order) =
            split_placeholders("SELECT a FROM t WHERE (t.k = $1) AND (t.e = ANY($2)) AND x IN (DEFAULT, $3)");
        let (pieces, order) = sqlite_pieces(pieces, order);
        assert_eq!(pieces, ["SELECT a FROM t WHERE (t.k = ", ") AND (t.e IN (", ")) AND x IN (NULL, ", ")"]);
        assert_eq!(order, [(0, false), (1, true), (2, false)]);
        assert_eq!(array_elements("{BET,WIN,\"A B\"}"), ["BET", "WIN", "A B"]);
    }

    #[test]
    fn converts_postgres_literals_for_sqlite() {
        assert!(matches!(sqlite_literal("5000"), Bind::Int(5000)));
        assert!(matches!(sqlite_literal("t"), Bind::Int(1)));
        assert!(matches!(sqlite_literal("0.965"), Bind::Float(f) if (f - 0.965).abs() < 1e-12));
        match sqlite_literal("2026-11-24 05:01:02.1234+00") {
            Bind::Text(t) => assert_eq!(t, "2026-11-24T05:01:02.123400Z"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(sqlite_literal("round:x"), Bind::Text(t) if t == "round:x"));
    }

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
