//! `provider-sim`: a simulated third-party game provider against a running platform.
//!
//! It registers itself (with an admin login; or takes a registered provider's slug and
//! keys), signs players up and has them launch its games, then plays `--rounds` rounds
//! through the seamless-wallet callbacks of `--protocol hub88|pragmatic`, signed as the
//! protocol wants, with `--faults` injected (lost answers that end in a rollback,
//! duplicate deliveries, a rollback ahead of its bet, a win retried after a timeout).
//! It keeps its own ledger and each wallet's expected balance, and at the end holds the
//! ledger against `GET /providers/{slug}/reconciliation`: any difference, stuck round or
//! unexpected answer makes it exit non-zero; so does a player's wallet that does not
//! verify.
//!
//! The platform it plays against signs every simulated player up and in from one
//! address: run it with `ACMETOCASINO_LOGIN_LIMIT_PER_IP` and
//! `ACMETOCASINO_REGISTRATION_LIMIT_PER_IP` raised, and with
//! `ACMETOCASINO_KYC_AUTO_DECIDE=true` or an admin login (which approves KYC). E.g.
//!
//! ```text
//! PROVIDER_SIM_ADMIN_PASSWORD=… provider-sim --url http://127.0.0.1:8090 \
//!     --protocol hub88 --rounds 1000 --concurrency 16 --faults 0.2 --admin-user admin
//! ```

#[cfg(test)]
mod fake_wallet;
mod ledger;
mod platform;
mod play;

use clap::{Parser, ValueEnum};
use platform::{Platform, new_player, text};
use play::{Caller, Played, Table};
use provider_core::hub88::{self, Hub88Client};
use provider_core::pragmatic::PragmaticClient;
use provider_core::{Protocol, ProviderClient, ProviderConfig};
use serde_json::{Value, json};
use simulator::rng::{Rng, os_seed};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProtocolArg {
    Hub88,
    Pragmatic,
}

impl ProtocolArg {
    fn protocol(self) -> Protocol {
        match self {
            ProtocolArg::Hub88 => Protocol::Hub88,
            ProtocolArg::Pragmatic => Protocol::Pragmatic,
        }
    }
}

/// A simulated game provider playing against a running platform's seamless wallet.
#[derive(Debug, Parser)]
#[command(name = "provider-sim", version)]
pub struct Cli {
    /// The platform's base URL (plain HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8090")]
    url: String,
    /// The wallet protocol the provider speaks.
    #[arg(long, value_enum)]
    protocol: ProtocolArg,
    /// Rounds to play, over all players.
    #[arg(long, default_value = "100")]
    rounds: u64,
    /// Rounds in flight at once (one player each).
    #[arg(long, default_value = "8")]
    concurrency: usize,
    /// Share of rounds that carry a fault (0 to 1; `--faults` alone: 0.2).
    #[arg(long, default_value = "0", default_missing_value = "0.2", num_args = 0..=1)]
    faults: f64,
    /// An admin account: registers the provider, approves KYC if it is not
    /// auto-decided, and reads the reconciliation report.
    #[arg(long, requires = "admin_password")]
    admin_user: Option<String>,
    #[arg(long, env = "PROVIDER_SIM_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// The provider's slug (default: `sim-<protocol>-<random>`, registered anew).
    #[arg(long)]
    slug: Option<String>,
    /// An already registered Hub88 provider: its private key (PEM file) …
    #[arg(long, requires_all = ["slug", "operator_public_key"])]
    provider_key: Option<PathBuf>,
    /// … and the operator's public key it was given (PEM file).
    #[arg(long)]
    operator_public_key: Option<PathBuf>,
    /// An already registered Pragmatic provider: its secret key.
    #[arg(long, env = "PROVIDER_SIM_SECRET_KEY", hide_env_values = true, requires = "slug")]
    secret_key: Option<String>,
    /// With an already registered provider: its games as `platform-slug=provider-code`.
    #[arg(long = "game")]
    games: Vec<String>,
    /// How long the provider waits for a callback's answer.
    #[arg(long, default_value = "5", value_name = "SECONDS")]
    timeout: u64,
    /// Rounds open this many minutes after their last call count as stuck.
    #[arg(long, default_value = "0")]
    stuck_after_minutes: i64,
    /// Seed of the provider's choices (default: random; printed).
    #[arg(long)]
    seed: Option<u64>,
}

/// A game of the provider, as registered.
#[derive(Debug, Clone)]
struct Game {
    slug: String,
    code: String,
    min_bet: i64,
    max_bet: i64,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    if getrandom::fill(&mut b).is_err() {
        b = os_seed().to_le_bytes().iter().cycle().take(bytes).copied().collect();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The provider's side of its protocol and its games: registered now, or given.
async fn provider(
    cli: &Cli,
    platform: &Platform,
    admin: Option<&str>,
) -> Result<(String, Box<dyn ProviderClient>, Vec<Game>), String> {
    let protocol = cli.protocol.protocol();
    let config = ProviderConfig::default_for(protocol);
    if cli.provider_key.is_some() || cli.secret_key.is_some() {
        let slug = cli.slug.clone().ok_or("--slug names the registered provider")?;
        let client: Box<dyn ProviderClient> = match (protocol, &cli.provider_key, &cli.operator_public_key) {
            (Protocol::Hub88, Some(key), Some(operator)) => {
                Box::new(Hub88Client::new(&read(key)?, &read(operator)?, config).map_err(|e| e.to_string())?)
            }
            (Protocol::Pragmatic, _, _) => {
                let secret = cli.secret_key.clone().ok_or("--secret-key is the Pragmatic provider's key")?;
                Box::new(PragmaticClient::new(secret, slug.clone(), config))
            }
            _ => return Err("a Hub88 provider needs --provider-key and --operator-public-key".into()),
        };
        let games = cli
            .games
            .iter()
            .map(|g| {
                let (slug, code) = g.split_once('=').ok_or(format!("--game {g:?} is not slug=code"))?;
                Ok(Game { slug: slug.into(), code: code.into(), min_bet: 10, max_bet: 1_000 })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if games.is_empty() {
            return Err("name the provider's games with --game slug=code".into());
        }
        return Ok((slug, client, games));
    }

    let admin = admin.ok_or("registering the provider needs --admin-user and --admin-password")?;
    let slug = cli.slug.clone().unwrap_or_else(|| format!("sim-{}-{}", protocol.as_str(), random_hex(3)));
    let games = vec![
        Game { slug: format!("{slug}-slot"), code: format!("{slug}_slot"), min_bet: 10, max_bet: 10_000 },
        Game { slug: format!("{slug}-table"), code: format!("{slug}_table"), min_bet: 10, max_bet: 5_000 },
    ];
    let declared: Vec<Value> = games
        .iter()
        .zip(["slot", "table"])
        .map(|(g, kind)| {
            json!({"code": g.code, "slug": g.slug, "name": format!("Simulated {kind} ({slug})"), "kind": kind,
                   "rtp": 96.0, "min_bet": g.min_bet, "max_bet": g.max_bet})
        })
        .collect();
    let mut body = json!({"slug": slug, "name": format!("Provider Sim {slug}"), "protocol": protocol.as_str(),
                          "games": declared});
    let mut provider_private = None;
    let mut secret = None;
    match protocol {
        Protocol::Hub88 => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no system randomness for the key: {e}"))?;
            let pair = tokio::task::spawn_blocking(move || hub88::generate_key_pair(seed))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            body["public_key_pem"] = json!(pair.public_pem);
            provider_private = Some(pair.private_pem);
        }
        Protocol::Pragmatic => {
            let key = random_hex(16);
            body["secret_key"] = json!(key);
            secret = Some(key);
        }
    }
    let registered = platform.post("/providers", Some(admin), &body).await?;
    let client: Box<dyn ProviderClient> = match (provider_private, secret) {
        (Some(private), _) => {
            let operator = text(&registered, "operator_public_key_pem")
                .ok_or("the registration answered no operator_public_key_pem")?;
            Box::new(Hub88Client::new(&private, &operator, config).map_err(|e| e.to_string())?)
        }
        (None, Some(secret)) => Box::new(PragmaticClient::new(secret, slug.clone(), config)),
        (None, None) => return Err("no key".into()),
    };
    eprintln!("provider-sim: registered provider {slug} ({})", protocol.as_str());
    Ok((slug, client, games))
}

/// Plays the run `cli` describes; `Ok(false)` when anything disagreed (the report on
/// standard output says what).
pub async fn run(cli: Cli) -> Result<bool, String> {
    if !(0.0..=1.0).contains(&cli.faults) {
        return Err("--faults is a share between 0 and 1".into());
    }
    let concurrency = cli.concurrency.clamp(1, 1_000);
    let seed = cli.seed.unwrap_or_else(os_seed);
    let platform = Platform::new(&cli.url, Duration::from_secs(cli.timeout.max(1)))?;
    let admin = match (&cli.admin_user, &cli.admin_password) {
        (Some(u), Some(p)) => Some(platform.login(u, p).await?),
        _ => None,
    };
    let (slug, client, games) = provider(&cli, &platform, admin.as_deref()).await?;
    let started = chrono::Utc::now().date_naive();

    // The players: one per table, each on one of the provider's games.
    let tag = random_hex(3);
    let mut joining = tokio::task::JoinSet::new();
    for i in 0..concurrency.min(usize::try_from(cli.rounds).unwrap_or(usize::MAX)).max(1) {
        let (platform, admin) = (platform.clone(), admin.clone());
        let game = games[i % games.len()].clone();
        let username = format!("psim_{tag}_{i}");
        joining.spawn(async move {
            new_player(&platform, admin.as_deref(), &username, &game.slug, &game.code).await.map(|p| (p, game))
        });
    }
    let mut players = Vec::new();
    while let Some(joined) = joining.join_next().await {
        players.push(joined.map_err(|e| e.to_string())??);
    }
    eprintln!(
        "provider-sim: {} players launched; {} rounds at concurrency {}, faults {:.0} %, seed {seed}",
        players.len(),
        cli.rounds,
        players.len(),
        cli.faults * 100.0
    );

    let player_ids: Vec<String> = players.iter().map(|(p, _)| p.id.clone()).collect();
    let caller = Arc::new(Caller { platform: platform.clone(), slug: slug.clone(), client });
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tables = tokio::task::JoinSet::new();
    let mut master = Rng::new(seed);
    for (player, game) in players {
        let table = Table {
            caller: caller.clone(),
            player,
            min_bet: game.min_bet,
            max_bet: game.max_bet,
            fault_rate: cli.faults,
            // Each table's own stream, drawn from the run's (seeds one step apart would
            // give SplitMix streams that are one another shifted by a step).
            rng: Rng::new(master.next_u64()),
            expected: None,
            played: Played::default(),
        };
        tables.spawn(table.play(counter.clone(), cli.rounds));
    }
    let mut all = Played::default();
    let progress = tokio::time::interval(Duration::from_secs(5));
    tokio::pin!(progress);
    loop {
        tokio::select! {
            joined = tables.join_next() => {
                let Some(joined) = joined else { break };
                let played = joined.map_err(|e| e.to_string())?;
                all.ledger.merge(played.ledger);
                all.rounds += played.rounds;
                all.refused_bets += played.refused_bets;
                all.uncertain += played.uncertain;
                for (fault, n) in played.faults {
                    *all.faults.entry(fault).or_default() += n;
                }
                all.errors.extend(played.errors);
            }
            _ = progress.tick() => {
                let done = counter.load(Ordering::Relaxed).min(cli.rounds);
                eprintln!("provider-sim: {done}/{} rounds, {:.0}s", cli.rounds, start.elapsed().as_secs_f64());
            }
        }
    }
    let elapsed = start.elapsed();
    report(&cli, &platform, admin.as_deref(), &slug, started, all, elapsed, &player_ids).await
}

/// Prints what was played and holds the ledger against the platform's report.
#[allow(clippy::too_many_arguments)]
async fn report(
    cli: &Cli,
    platform: &Platform,
    admin: Option<&str>,
    slug: &str,
    started: chrono::NaiveDate,
    played: Played,
    elapsed: Duration,
    players: &[String],
) -> Result<bool, String> {
    let days = played.ledger.days();
    println!(
        "provider {slug} ({}): {} rounds in {:.1}s",
        cli.protocol.protocol().as_str(),
        played.rounds,
        elapsed.as_secs_f64()
    );
    println!("  refused bets (money, limits): {}", played.refused_bets);
    for (fault, n) in &played.faults {
        println!("  fault: {fault}: {n}");
    }
    for (day, d) in &days {
        println!("  ledger {day}: {d:?}");
    }
    let mut ok = true;
    if played.uncertain > 0 {
        println!("  {} deliveries never got an answer: the ledger may not know their outcome", played.uncertain);
    }
    if !played.errors.is_empty() {
        ok = false;
        println!("  {} unexpected answers:", played.errors.len());
        for e in played.errors.iter().take(20) {
            println!("    {e}");
        }
    }
    let Some(staff) = admin else {
        println!("  no staff login: the ledger was not reconciled");
        return Ok(ok);
    };
    let today = chrono::Utc::now().date_naive();
    let path = format!(
        "/providers/{slug}/reconciliation?from={started}&to={today}&stuck_after_minutes={}",
        cli.stuck_after_minutes
    );
    let recon = platform.call(reqwest::Method::GET, &path, Some(staff), None).await?;
    let differences = ledger::compare(&days, &recon)?;
    if differences.is_empty() {
        println!("  reconciliation: the ledger and the platform agree on every day");
    } else {
        ok = false;
        println!("  reconciliation: {} differences", differences.len());
        for d in &differences {
            println!("    {d}");
        }
    }
    let stuck = recon.get("stuck_rounds").and_then(Value::as_array).map_or(0, Vec::len);
    if stuck > 0 {
        ok = false;
        println!("  {stuck} stuck rounds:");
        for r in recon["stuck_rounds"].as_array().into_iter().flatten().take(10) {
            println!("    {r}");
        }
    }
    // Every wallet's stream must fold to its balance.
    let mut inconsistent = 0;
    for id in players {
        let verified = platform.call(reqwest::Method::GET, &format!("/wallet/{id}/verify"), Some(staff), None).await?;
        if verified.get("consistent").and_then(Value::as_bool) != Some(true) {
            inconsistent += 1;
            println!("    wallet {id} does not verify: {verified}");
        }
    }
    if inconsistent > 0 {
        ok = false;
    } else {
        println!("  every player's wallet verifies consistent ({} wallets)", players.len());
    }
    println!("{}", if ok { "OK" } else { "FAILED" });
    Ok(ok)
}
