//! `bench-provider`: a third-party provider's game server under load (issue 17). It
//! onboards one Hub88 provider with one game (an admin's call), launches that game for
//! the bench players `bench-load` set up (funded, through KYC), then runs a closed loop
//! of `--concurrency` tasks, each playing rounds on its own share of the players: a
//! signed `transaction/bet`, then a signed `transaction/win` that closes the round
//! (`round_closed`, paying twice the stake about half the time, nothing otherwise).
//!
//! The provider's own cost is kept out of the timed window where it can be:
//! - every call is signed *before* the window (RSA-SHA256 over the body with the
//!   provider's 2048-bit key, as much CPU as the server's signature of its answer):
//!   a short warm-up at the same concurrency, signing as it goes, gives the rate, and
//!   1.6 × that many rounds are signed ahead; a task that runs out signs on the fly
//!   (counted as `signed_in_window`);
//! - every answer's signature (the operator's key) is checked *after* the window, over
//!   the kept bodies; inside it only the status is read, to know whether the bet went
//!   through. A bad signature counts as an error.
//!
//! The server checks every call's signature inside the window, as it always does.

use crate::api::Api;
use crate::load::{
    BenchState, CURRENCY, TOKEN_REUSE, closed_loop, each, first_error, relogin, share, take, write_state,
};
use crate::tally::{Tally, emit, round3, self_cpu_s, unix_now, with};
use clap::Args;
use provider_core::hub88::{self, Hub88Client};
use provider_core::{Command, Protocol, ProviderClient, ProviderConfig, Request, Transaction, WinKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SLUG: &str = "bench-hub88";
const GAME_CODE: &str = "bench_hub88_slot";
const GAME_SLUG: &str = "bench-hub88-slot";
/// Rounds signed ahead, per round a second of the warm-up measured, per second of run.
const PRESIGN_MARGIN: f64 = 1.6;
/// The provider's key is the same on every run (a benchmark, not a secret).
const KEY_SEED: [u8; 32] = [0x42; 32];

#[derive(Debug, Clone, Args)]
pub struct ProviderArgs {
    /// Base URL of a running server, e.g. http://127.0.0.1:8090
    #[arg(long)]
    pub url: String,
    /// The players `bench-load --state` set up (funded, through KYC).
    #[arg(long)]
    pub state: PathBuf,
    /// The provider, its keys and the players' launch tokens: reused when the file
    /// exists, else the provider is onboarded, its game launched and the file written.
    #[arg(long)]
    pub provider_state: PathBuf,
    /// Concurrent provider tasks (closed loop), each on its own players.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds of rounds; 0 for none (setup only).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of warm-up before the timed window (its rate sizes the signing ahead).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// The admin who onboards the provider …
    #[arg(long, default_value = "benchadmin")]
    pub admin_username: String,
    /// … with the password on stdin (its first line); needed for the setup only.
    #[arg(long)]
    pub admin_password_stdin: bool,
}

/// What `--provider-state` keeps between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ProviderState {
    slug: String,
    game_code: String,
    stake: i64,
    provider_private_pem: String,
    operator_public_pem: String,
    /// (player id, launch token), in the bench state's order.
    players: Vec<(String, String)>,
}

/// One signed call, ready to send.
struct Signed {
    body: Vec<u8>,
    signature: String,
}

/// A round as the provider plays it: its bet, then the win that closes it.
struct Round {
    bet: Signed,
    win: Signed,
}

/// An answer kept for the signature check after the window.
struct Kept {
    endpoint: &'static str,
    signature: Option<String>,
    body: Vec<u8>,
}

pub async fn run_provider(args: ProviderArgs) -> Result<(), String> {
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let api = Api::new(&args.url)?;
    let provider = if args.provider_state.exists() {
        let text = std::fs::read_to_string(&args.provider_state)
            .map_err(|e| format!("{}: {e}", args.provider_state.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.provider_state.display()))?
    } else {
        let provider = setup(&api, &args).await?;
        let text = serde_json::to_string_pretty(&provider).map_err(|e| e.to_string())?;
        std::fs::write(&args.provider_state, text).map_err(|e| format!("{}: {e}", args.provider_state.display()))?;
        provider
    };
    if args.duration > 0.0 {
        rounds(&args, &provider).await?;
    }
    Ok(())
}

/// Onboards the provider and launches its game for every bench player.
async fn setup(api: &Api, args: &ProviderArgs) -> Result<ProviderState, String> {
    use reqwest::Method;
    if !args.admin_password_stdin {
        return Err("onboarding the provider needs --admin-password-stdin".into());
    }
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).map_err(|e| format!("stdin: {e}"))?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    let text = std::fs::read_to_string(&args.state).map_err(|e| format!("{}: {e}", args.state.display()))?;
    let mut state: BenchState = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.state.display()))?;
    let c = args.concurrency;
    if unix_now().saturating_sub(state.tokens_at) > TOKEN_REUSE.as_secs() {
        relogin(api, &mut state, c).await?;
        write_state(&args.state, &state)?;
    }
    let started = Instant::now();
    let body = json!({"username": args.admin_username, "password": password});
    let admin = api.expect(Method::POST, "/api/v2/auth/login", None, Some(&body), 200).await?;
    let admin = admin["access_token"].as_str().ok_or("admin login without access_token")?.to_owned();
    let keys = tokio::task::spawn_blocking(|| hub88::generate_key_pair(KEY_SEED))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    // The stake is the in-house game's minimum bet, so both loops move the same money.
    let stake = state.min_bet;
    let game = json!({"code": GAME_CODE, "slug": GAME_SLUG, "name": "Bench Hub88 slot", "kind": "slot",
                      "rtp": 96.0, "min_bet": stake, "max_bet": stake.saturating_mul(100)});
    let body = json!({"slug": SLUG, "name": "Bench Hub88 studio", "protocol": "hub88",
                      "public_key_pem": keys.public_pem, "games": [game]});
    let registered = api.expect(Method::POST, "/api/v2/providers", Some(&admin), Some(&body), 201).await?;
    let operator = registered["operator_public_key_pem"].as_str().ok_or("onboarding without an operator key")?;
    let onboard_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let players: Vec<(Uuid, String)> = state.players.iter().map(|p| (p.id, p.token.clone())).collect();
    let launched = each(players, c, |(id, token)| async move {
        let launch = json!({"game_slug": GAME_SLUG});
        let l = api.expect(Method::POST, "/api/v2/gal/launch", Some(&token), Some(&launch), 201).await?;
        let launch_token = l["launch_token"].as_str().ok_or("launch without launch_token")?;
        Ok((id.to_string(), launch_token.to_owned()))
    })
    .await;
    let players = first_error(launched, "launching the provider's game")?;
    let launch_s = started.elapsed().as_secs_f64();
    eprintln!(
        "bench-provider: Hub88 provider {SLUG} onboarded in {onboard_s:.2}s; {} launches in {launch_s:.2}s",
        players.len()
    );
    emit(
        "provider-setup",
        json!({"players": players.len(), "onboard_s": round3(onboard_s), "launch_s": round3(launch_s)}),
    );
    Ok(ProviderState {
        slug: SLUG.into(),
        game_code: GAME_CODE.into(),
        stake,
        provider_private_pem: keys.private_pem,
        operator_public_pem: operator.to_owned(),
        players,
    })
}

/// The provider's side of the protocol, and how it plays one round for one player.
struct Provider {
    client: Hub88Client,
    game: String,
    stake: i64,
}

impl Provider {
    fn sign(&self, command: Command) -> Result<Signed, String> {
        let request = Request { command, request_id: Some(Uuid::new_v4().to_string()) };
        let call = self.client.encode(&request, 0).map_err(|f| format!("cannot encode: {f}"))?;
        let signature = call.headers.into_iter().find(|(h, _)| *h == hub88::SIGNATURE_HEADER).map(|(_, v)| v);
        Ok(Signed { body: call.body, signature: signature.ok_or("a Hub88 call without its signature")? })
    }

    /// A fresh round for `(player, launch token)`: a bet of the stake, and a win of twice
    /// the stake (about 48 % of rounds) or of nothing, closing the round.
    fn round(&self, (player, token): &(String, String)) -> Result<Round, String> {
        let (bet_id, round) = (Uuid::new_v4(), Uuid::new_v4().to_string());
        let tx = Transaction {
            id: bet_id.to_string(),
            player: player.clone(),
            token: Some(token.clone()),
            round,
            game: self.game.clone(),
            amount: self.stake,
            currency: Some(CURRENCY.into()),
            reference: None,
            round_closed: false,
        };
        let won = bet_id.as_bytes()[0] < 123;
        let win = Transaction {
            id: Uuid::new_v4().to_string(),
            token: None,
            amount: if won { 2 * self.stake } else { 0 },
            reference: Some(tx.id.clone()),
            round_closed: true,
            ..tx.clone()
        };
        Ok(Round {
            bet: self.sign(Command::Bet(tx))?,
            win: self.sign(Command::Win { transaction: win, kind: WinKind::Normal })?,
        })
    }
}

/// What one task did: bet and win latencies, the answers to check, calls signed late.
#[derive(Default)]
struct Played {
    bets: Tally,
    wins: Tally,
    kept: Vec<Kept>,
    signed_in_window: u64,
}

/// Sends one signed call; its answer when it was `RS_OK`, else the error's name.
async fn call(
    client: &reqwest::Client,
    url: &str,
    signed: Signed,
    endpoint: &'static str,
) -> Result<Kept, (String, Option<Kept>)> {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header(hub88::SIGNATURE_HEADER, signed.signature)
        .body(signed.body)
        .send()
        .await
        .map_err(|e| (format!("{endpoint}: transport: {}", crate::tally::short(&e.to_string())), None))?;
    let status = resp.status().as_u16();
    let signature = resp.headers().get(hub88::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = resp
        .bytes()
        .await
        .map_err(|e| (format!("{endpoint}: transport: {}", crate::tally::short(&e.to_string())), None))?;
    if status != 200 {
        return Err((format!("{endpoint}: HTTP {status}"), None));
    }
    #[derive(Deserialize)]
    struct Status {
        status: String,
    }
    let kept = Kept { endpoint, signature, body: body.to_vec() };
    match serde_json::from_slice::<Status>(&kept.body) {
        Ok(s) if s.status == "RS_OK" => Ok(kept),
        Ok(s) => Err((format!("{endpoint}: {}", s.status), Some(kept))),
        Err(_) => Err((format!("{endpoint}: unreadable answer"), Some(kept))),
    }
}

/// `c` tasks playing rounds for `duration`, each taking its rounds from its own
/// pre-signed list and signing on the fly when that runs out.
async fn play(
    provider: &Arc<Provider>,
    players: &Arc<Vec<(String, String)>>,
    base: &str,
    c: usize,
    duration: Duration,
    mut signed: Vec<Vec<Round>>,
) -> Result<(Played, Duration), String> {
    let bet_url = format!("{base}/{}", hub88::BET);
    let win_url = format!("{base}/{}", hub88::WIN);
    signed.resize_with(c, Vec::new);
    let signed: Vec<std::sync::Mutex<Vec<Round>>> = signed.into_iter().map(std::sync::Mutex::new).collect();
    let signed = Arc::new(signed);
    let out = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (_, elapsed) = closed_loop(c, duration, None, |t, client, started, deadline, budget: Arc<AtomicU64>| {
        let mine = share(players, t, c);
        let ahead = std::mem::take(&mut *signed[t].lock().unwrap_or_else(|e| e.into_inner()));
        let (provider, bet_url, win_url, out) = (provider.clone(), bet_url.clone(), win_url.clone(), out.clone());
        async move {
            let mut p = Played::default();
            let mut ahead = ahead.into_iter();
            let mut i = 0usize;
            while Instant::now() < deadline && take(&budget) {
                let round = match ahead.next() {
                    Some(r) => r,
                    None => {
                        p.signed_in_window += 1;
                        match provider.round(&mine[i % mine.len()]) {
                            Ok(r) => r,
                            Err(e) => {
                                p.bets.error(e);
                                break;
                            }
                        }
                    }
                };
                i += 1;
                let sent = Instant::now();
                match call(&client, &bet_url, round.bet, hub88::BET).await {
                    Ok(kept) => {
                        p.bets.ok(started, sent);
                        p.kept.push(kept);
                    }
                    Err((e, kept)) => {
                        p.bets.error(e);
                        p.kept.extend(kept);
                        continue;
                    }
                }
                let sent = Instant::now();
                match call(&client, &win_url, round.win, hub88::WIN).await {
                    Ok(kept) => {
                        p.wins.ok(started, sent);
                        p.kept.push(kept);
                    }
                    Err((e, kept)) => {
                        p.wins.error(e);
                        p.kept.extend(kept);
                    }
                }
            }
            out.lock().unwrap_or_else(|e| e.into_inner()).push(p);
            Tally::default()
        }
    })
    .await?;
    let mut all = Played::default();
    for p in std::mem::take(&mut *out.lock().unwrap_or_else(|e| e.into_inner())) {
        all.bets.merge(p.bets);
        all.wins.merge(p.wins);
        all.kept.extend(p.kept);
        all.signed_in_window += p.signed_in_window;
    }
    Ok((all, elapsed))
}

/// Signs `per_task` rounds for each of `c` tasks (task `t` plays players `t, t + c, …`),
/// on every core.
fn presign(
    provider: &Provider,
    players: &[(String, String)],
    c: usize,
    per_task: usize,
) -> Result<Vec<Vec<Round>>, String> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from).min(c).max(1);
    let mut out: Vec<Vec<Round>> = (0..c).map(|_| Vec::with_capacity(per_task)).collect();
    std::thread::scope(|s| {
        let chunks: Vec<_> = out.chunks_mut(c.div_ceil(threads)).enumerate().collect();
        let step = c.div_ceil(threads);
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|(k, tasks)| {
                s.spawn(move || -> Result<(), String> {
                    for (j, rounds) in tasks.iter_mut().enumerate() {
                        let mine = share(players, k * step + j, c);
                        for i in 0..per_task {
                            rounds.push(provider.round(&mine[i % mine.len()])?);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a signing thread panicked".to_owned())?)
    })?;
    Ok(out)
}

/// Checks the operator's signature on every kept answer, on every core: the bad ones.
fn check_answers(client: &Hub88Client, kept: &[Kept]) -> u64 {
    let threads = std::thread::available_parallelism().map_or(2, usize::from).max(1);
    let bad = AtomicU64::new(0);
    std::thread::scope(|s| {
        for part in kept.chunks(kept.len().div_ceil(threads).max(1)) {
            let bad = &bad;
            s.spawn(move || {
                for k in part {
                    if client.decode(k.endpoint, k.signature.as_deref(), &k.body).is_err() {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    bad.into_inner()
}

async fn rounds(args: &ProviderArgs, state: &ProviderState) -> Result<(), String> {
    let c = args.concurrency;
    if state.players.len() < c {
        return Err(format!("{} players cannot keep {c} tasks on separate wallets", state.players.len()));
    }
    let config = ProviderConfig::default_for(Protocol::Hub88);
    let client = Hub88Client::new(&state.provider_private_pem, &state.operator_public_pem, config)
        .map_err(|e| format!("the provider's keys: {e}"))?;
    let provider = Arc::new(Provider { client, game: state.game_code.clone(), stake: state.stake });
    let players = Arc::new(state.players.clone());
    let base = format!("{}/api/v2/providers/{}", args.url.trim_end_matches('/'), state.slug);

    // Warm-up, signing as it goes: its rate sizes the signing ahead.
    let warmup = Duration::from_secs_f64(args.warmup.max(0.5));
    let (warm, warm_elapsed) = play(&provider, &players, &base, c, warmup, Vec::new()).await?;
    let warm_rate = warm.bets.latencies_us.len() as f64 / warm_elapsed.as_secs_f64().max(1e-9);
    let warm_errors: u64 = warm.bets.errors.values().chain(warm.wins.errors.values()).sum();
    if warm_errors > 0 {
        return Err(format!("warm-up: {:?} {:?}", warm.bets.errors, warm.wins.errors));
    }
    let per_task = ((warm_rate * PRESIGN_MARGIN * args.duration) / c as f64).ceil().max(1.0) as usize;
    let started = Instant::now();
    let signed = {
        let (provider, players) = (provider.clone(), players.clone());
        tokio::task::spawn_blocking(move || presign(&provider, &players, c, per_task))
            .await
            .map_err(|e| e.to_string())??
    };
    let presign_s = started.elapsed().as_secs_f64();
    eprintln!(
        "bench-provider: warm-up {warm_rate:.0} bets/s at C = {c}; {} rounds signed ahead in {presign_s:.1}s",
        per_task * c
    );

    let cpu_before = self_cpu_s();
    let (played, elapsed) = play(&provider, &players, &base, c, Duration::from_secs_f64(args.duration), signed).await?;
    let cpu_s = round3(self_cpu_s() - cpu_before);

    let started = Instant::now();
    let answers = played.kept.len();
    let bad = {
        let provider = provider.clone();
        let kept = played.kept;
        tokio::task::spawn_blocking(move || check_answers(&provider.client, &kept)).await.map_err(|e| e.to_string())?
    };
    let check_s = started.elapsed().as_secs_f64();
    let mut bets = played.bets;
    if bad > 0 {
        *bets.errors.entry("answer with a bad signature".into()).or_default() += bad;
    }
    let wins = played.wins.summary(elapsed);
    let s = bets.summary(elapsed);
    eprintln!(
        "bench-provider: bets: {} in {:.1}s = {}/s; bet latency p50 {} ms, p99 {} ms; win p99 {} ms; errors {} {} {}; \
         {answers} answers' signatures checked in {check_s:.1}s",
        s["ok"],
        s["elapsed_s"],
        s["per_sec"],
        s["p50_ms"],
        s["p99_ms"],
        wins["p99_ms"],
        s["errors"],
        s["errors_by"],
        wins["errors_by"]
    );
    let win_errors = wins["errors"].as_u64().unwrap_or(0);
    let mut s = with(
        s,
        json!({"concurrency": c, "players": players.len(), "protocol": "hub88", "stake": state.stake,
               "wins": wins["ok"], "win_errors": win_errors, "win_errors_by": wins["errors_by"],
               "win_p50_ms": wins["p50_ms"], "win_p95_ms": wins["p95_ms"], "win_p99_ms": wins["p99_ms"],
               "win_max_ms": wins["max_ms"], "answers_checked": answers, "bad_signatures": bad,
               "warmup_bets_per_sec": round3(warm_rate), "warmup_s": round3(warm_elapsed.as_secs_f64()), "signed_ahead": per_task * c,
               "signed_in_window": played.signed_in_window, "presign_s": round3(presign_s), "cpu_s": cpu_s}),
    );
    // A failed win is a failure of the run as much as a failed bet.
    if win_errors > 0 {
        s["errors"] = json!(s["errors"].as_u64().unwrap_or(0) + win_errors);
        if let (Some(by), Some(w)) = (s["errors_by"].as_object_mut(), wins["errors_by"].as_object()) {
            by.extend(w.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    emit("provider", s);
    Ok(())
}
