//! `bench-load`: drives a running server over HTTP the way players would. It
//! registers, logs in (Argon2id at the server's configured cost), passes KYC, funds and
//! launches a session per player, then runs a closed loop of `--concurrency` tasks, each
//! with its own HTTP client (keep-alive), placing `POST /api/v2/gal/bet` rounds on its
//! own share of the players. Every phase ends with one `BENCH_JSON {…}` line on stdout
//! for xtask; the human summary goes to stderr.

use crate::api::Api;
use crate::tally::{Tally, emit, round3, self_cpu_s, unix_now, with};
use clap::Args;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Tokens older than this are renewed by logging in again (they live 15 minutes).
pub(crate) const TOKEN_REUSE: Duration = Duration::from_secs(600);
const PASSWORD: &str = "bench password 1";
/// The bench players' wallet currency.
pub(crate) const CURRENCY: &str = "GBP";

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

pub(crate) fn write_state(path: &Path, state: &BenchState) -> Result<(), String> {
    let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `f` over `items` with at most `concurrency` calls in flight; the results in order.
pub(crate) async fn each<T, R, F, Fut>(items: Vec<T>, concurrency: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    futures_util::stream::iter(items.into_iter().map(f)).buffered(concurrency.max(1)).collect().await
}

pub(crate) fn first_error<T>(results: Vec<Result<T, String>>, what: &str) -> Result<Vec<T>, String> {
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
                          "date_of_birth": "1990-01-31", "country": "GB", "currency": CURRENCY});
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

pub(crate) async fn relogin(api: &Api, state: &mut BenchState, concurrency: usize) -> Result<(), String> {
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
pub(crate) fn share<T: Clone>(all: &[T], t: usize, c: usize) -> Vec<T> {
    all.iter().skip(t).step_by(c).cloned().collect()
}

/// `concurrency` closed-loop tasks for `duration`, each with its own HTTP client.
pub(crate) async fn closed_loop<F, Fut>(
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
pub(crate) fn take(budget: &AtomicU64) -> bool {
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
    let mut checkpoints: Vec<u64> =
        std::iter::successors(Some(10u64), |k| k.checked_mul(10)).take_while(|k| *k < events).collect();
    checkpoints.push(events);
    let (mut build, mut build_s, mut probes) = (Tally::default(), 0.0, Vec::new());
    let mut token = token;
    // `n` deposits of 0.01 to the wallet by `c` clients, each with the next key.
    let deposits = |c: usize, n: u64, token: String| {
        let (url, next) = (url.clone(), next.clone());
        closed_loop(c, Duration::from_secs(86_400), Some(n), move |_, client, started, _, budget| {
            let (url, token, next) = (url.clone(), token.clone(), next.clone());
            async move {
                let mut tally = Tally::default();
                while take(&budget) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let body = json!({"amount": 1, "idempotency_key": format!("verify-{i}")});
                    tally.post(&client, &url, &token, &body, 201, started).await;
                }
                tally
            }
        })
    };
    for &size in &checkpoints {
        // Postings on one wallet serialise on its lock; a few clients still overlap the
        // HTTP and JSON work around it.
        let c = args.concurrency.min(4);
        let missing = size.saturating_sub(next.load(Ordering::Relaxed));
        eprintln!("bench-load: depositing {missing} times to one wallet ({c} clients), up to {size} events");
        let (tally, elapsed) = deposits(c, missing, token.clone()).await?;
        build.merge(tally);
        build_s += elapsed.as_secs_f64();
        // One client, one deposit at a time: the latency of a deposit at this size.
        let (tally, _) = deposits(1, DEPOSIT_PROBES, token.clone()).await?;
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
