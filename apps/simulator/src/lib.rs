//! Simulated players: a population of bots that drives a running platform through its
//! public HTTP API only — registration, KYC, deposits, games, responsible-gaming
//! actions and withdrawals — with six behaviour profiles.
//!
//! - [`run`] plays for a fixed time and returns a [`Report`] (`simulator`,
//!   `cargo xtask simulate`);
//! - [`spawn_population`] keeps N bots playing in the background until dropped
//!   (`simulator --endless`, for demos).
//!
//! A tool of its own (`apps/simulator`, binary `simulator`): the server binary carries
//! no HTTP client.
//!
//! With an admin account the bots also play a third-party provider's game: the simulator
//! onboards a simulated studio and plays as its game server (see `provider`).
//!
//! Every answer is counted: rounds, amounts, refusals the profiles provoke on purpose
//! (`limit_exceeded` for the chaser, `self_excluded` after an exclusion,
//! `insufficient_funds` for anyone) and errors (transport failures, 5xx, any other 4xx),
//! which a healthy platform keeps at zero.

mod api;
mod bot;
pub mod cli;
mod provider;
mod report;
pub mod rng;
mod stats;

pub use api::error_chain;
use api::{Api, Reply};
use bot::Ctx;
use futures_util::StreamExt;
use rng::{Rng, os_seed};
use serde_json::{Value, json};
use stats::Shared;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Default pause between two requests of one bot.
pub const DEFAULT_THINK_MIN: Duration = Duration::from_millis(50);
pub const DEFAULT_THINK_MAX: Duration = Duration::from_millis(500);
/// How often [`run`] reports progress.
const TICK: Duration = Duration::from_millis(200);
/// How long [`run`] waits for bots to finish their request in flight at the end.
const GRACE: Duration = Duration::from_secs(15);
/// Background population: how long a bot plays before it leaves, and the pause
/// before a new player takes its place (longer after a scripted profile, whose
/// script takes seconds, so that a demo does not register thousands of players).
const LIFETIME: (Duration, Duration) = (Duration::from_secs(120), Duration::from_secs(600));
const RESPAWN: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(30));
const RESPAWN_SCRIPTED: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(300));
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A behaviour profile; bots get them round-robin in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// Small bets at the minimum, pauses, the odd withdrawal.
    Casual,
    /// Big deposits (large-deposit alerts) and bets of 10–50 minimum bets.
    HighRoller,
    /// Long sessions of many quick rounds.
    NightOwl,
    /// Sets a daily deposit limit, chases losses into `limit_exceeded`, takes a
    /// 24-hour time-out, is refused (`self_excluded`) and withdraws.
    Chaser,
    /// Deposits of 1,950.00 just under the threshold, then withdraws: AML alerts.
    Structurer,
    /// Plays a little, self-excludes for 6 months, is refused a deposit, withdraws.
    SelfExcluder,
}

impl Profile {
    pub const ALL: [Profile; 6] = [
        Profile::Casual,
        Profile::HighRoller,
        Profile::NightOwl,
        Profile::Chaser,
        Profile::Structurer,
        Profile::SelfExcluder,
    ];

    /// The profile of bot number `index` (round-robin).
    pub fn for_bot(index: usize) -> Profile {
        Self::ALL[index % Self::ALL.len()]
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Casual => "casual",
            Profile::HighRoller => "high-roller",
            Profile::NightOwl => "night-owl",
            Profile::Chaser => "chaser",
            Profile::Structurer => "structurer",
            Profile::SelfExcluder => "self-excluder",
        }
    }

    /// The part of a bot's username that names its profile.
    fn tag(self) -> &'static str {
        match self {
            Profile::Casual => "casual",
            Profile::HighRoller => "high",
            Profile::NightOwl => "owl",
            Profile::Chaser => "chase",
            Profile::Structurer => "struct",
            Profile::SelfExcluder => "excl",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the profile follows a script to an end (the others play until the
    /// run, or their time, is up).
    pub fn is_scripted(self) -> bool {
        matches!(self, Profile::Chaser | Profile::Structurer | Profile::SelfExcluder)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A staff account, to count the alerts the bots raised.
#[derive(Clone)]
pub struct StaffLogin {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for StaffLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffLogin").field("username", &self.username).field("password", &"***").finish()
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The platform, e.g. `http://127.0.0.1:8090` (plain HTTP).
    pub base_url: String,
    /// Number of bots.
    pub players: usize,
    /// How long they play.
    pub duration: Duration,
    /// Seed of the bots' choices (`None`: random); usernames are unique regardless.
    pub seed: Option<u64>,
    /// Pause between two requests of a bot, uniform in `think_min..=think_max`
    /// (profiles pause longer between sessions).
    pub think_min: Duration,
    pub think_max: Duration,
    /// Optional staff account: with it the report counts the alerts raised.
    pub staff: Option<StaffLogin>,
}

impl SimConfig {
    pub fn new(base_url: impl Into<String>, players: usize, duration: Duration) -> Self {
        Self {
            base_url: base_url.into(),
            players,
            duration,
            seed: None,
            think_min: DEFAULT_THINK_MIN,
            think_max: DEFAULT_THINK_MAX,
            staff: None,
        }
    }
}

/// Counts over a set of bots. Amounts are minor units summed over all wallets
/// (whatever their currency).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Players registered.
    pub players: u64,
    pub rounds: u64,
    /// Of those, rounds of the simulated studio's game (played by its calls).
    pub provider_rounds: u64,
    pub wagered: u64,
    /// Sum of payouts.
    pub paid: u64,
    pub deposits: u64,
    pub deposited: u64,
    pub withdrawals: u64,
    pub withdrawn: u64,
    /// HTTP requests sent.
    pub requests: u64,
    /// Refusals the profiles provoked on purpose.
    pub refusals: u64,
    /// Everything else that did not succeed.
    pub errors: u64,
}

impl Totals {
    /// Wagered ÷ rounds, minor units.
    pub fn average_stake(&self) -> Option<u64> {
        self.wagered.checked_div(self.rounds)
    }

    /// Paid ÷ wagered, percent.
    pub fn rtp(&self) -> Option<f64> {
        (self.wagered > 0).then(|| self.paid as f64 * 100.0 / self.wagered as f64)
    }
}

/// The state of a run, for progress lines.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub elapsed: Duration,
    /// `None` for the endless background population.
    pub duration: Option<Duration>,
    /// Bots configured.
    pub players: usize,
    /// Bots playing right now.
    pub active: u64,
    pub totals: Totals,
}

/// What one bot did.
#[derive(Debug, Clone)]
pub struct BotReport {
    pub index: usize,
    pub profile: Profile,
    pub username: String,
    /// Set once registered.
    pub player_id: Option<String>,
    pub country: String,
    pub rounds: u64,
    pub wagered: u64,
    pub paid: u64,
    pub deposits: u64,
    pub withdrawals: u64,
    /// Refusals it provoked on purpose, by code.
    pub refusals: BTreeMap<String, u64>,
    pub errors: u64,
    /// The chaser set its daily deposit limit.
    pub limit_set: bool,
    /// `timeout` or `self_exclusion` once the platform accepted one.
    pub exclusion: Option<String>,
    /// It completed its script (or cashed out at the end of its time).
    pub finished: bool,
}

/// Alerts raised for the simulated players, read with a staff account.
#[derive(Debug, Clone)]
pub enum Alerts {
    /// Not counted, and why.
    NotAvailable(String),
    Counted {
        /// AML alerts by rule.
        aml: BTreeMap<String, u64>,
        /// Markers-of-harm alerts by marker.
        harm: BTreeMap<String, u64>,
        /// Alert queries that failed (the counts miss those players).
        failed_queries: u64,
    },
}

/// The outcome of [`run`].
#[derive(Debug, Clone)]
pub struct Report {
    pub base_url: String,
    pub seed: u64,
    pub elapsed: Duration,
    /// Bots configured.
    pub players: usize,
    pub totals: Totals,
    pub profiles: Vec<(Profile, Totals)>,
    /// Refusals the profiles provoked on purpose, by code.
    pub refusals: BTreeMap<String, u64>,
    /// Unexpected answers by `<what> <status> <code>` (or `<what> transport`).
    pub errors: BTreeMap<String, u64>,
    /// A few distinct error messages.
    pub error_samples: Vec<String>,
    pub alerts: Alerts,
    pub bots: Vec<BotReport>,
    /// The run could not start (bad URL, no catalogue).
    pub setup_error: Option<String>,
    /// The simulated studio whose game the bots played (its slug), or why there was none.
    pub studio: Result<String, String>,
}

impl Report {
    /// Errors of every kind; a healthy platform has none.
    pub fn error_count(&self) -> u64 {
        self.totals.errors + u64::from(self.setup_error.is_some())
    }

    /// The totals of one profile.
    pub fn profile(&self, profile: Profile) -> Totals {
        self.profiles.iter().find(|(p, _)| *p == profile).map(|(_, t)| *t).unwrap_or_default()
    }

    fn empty(config: &SimConfig, seed: u64) -> Self {
        Self {
            base_url: config.base_url.clone(),
            seed,
            elapsed: Duration::ZERO,
            players: config.players,
            totals: Totals::default(),
            profiles: Profile::ALL.iter().map(|p| (*p, Totals::default())).collect(),
            refusals: BTreeMap::new(),
            errors: BTreeMap::new(),
            error_samples: Vec::new(),
            alerts: Alerts::NotAvailable("the run did not start".into()),
            bots: Vec::new(),
            setup_error: None,
            studio: Err("no staff account given".into()),
        }
    }
}

/// The games the bots play: the platform's own, and the simulated studio's (other
/// providers' games are played by their own game servers).
fn playable(games: Vec<api::Game>, studio: Option<&provider::Studio>) -> Vec<api::Game> {
    games.into_iter().filter(|g| !g.third_party || studio.is_some_and(|s| s.game_slug == g.slug)).collect()
}

/// Onboards the simulated studio with the staff account, if it is an admin's.
async fn studio(api: &Api, staff: Option<&StaffLogin>, rng: &mut Rng) -> Result<Arc<provider::Studio>, String> {
    let staff = staff.ok_or("no staff account given")?;
    provider::onboard(api, staff, rng).await.map(Arc::new)
}

/// Parses `90s`, `1500ms`, `2m`, `1h`, `1.5s`; a bare number is seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{raw:?} is not a duration such as 90s, 2m or 1500ms"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {raw:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{raw:?} is out of range"))
}

/// Plays `config.players` bots against the platform for `config.duration` (or until
/// every bot has finished), calling `progress` a few times a second. When time is up,
/// the scripted profiles (chaser, structurer, self-excluder) finish their script
/// without pauses; the others stop at once.
pub async fn run(config: SimConfig, progress: impl Fn(&Snapshot)) -> Report {
    let started = Instant::now();
    let seed = config.seed.unwrap_or_else(os_seed);
    let mut report = Report::empty(&config, seed);
    let api = match Api::new(&config.base_url) {
        Ok(api) => api,
        Err(e) => {
            report.setup_error = Some(e);
            return report;
        }
    };
    let games = match api::games(&api).await {
        Ok(games) => games,
        Err(e) => {
            report.setup_error = Some(format!("{e} (is the platform running at {}?)", api.base()));
            return report;
        }
    };
    let mut seeds = Rng::new(seed);
    let studio = studio(&api, config.staff.as_ref(), &mut seeds).await;
    report.studio = studio.as_ref().map(|s| s.slug.clone()).map_err(Clone::clone);
    let studio = studio.ok();
    // The studio's game joins the catalogue the bots read (a GB cap lowers its stakes too).
    let games = match &studio {
        Some(_) => api::games(&api).await.unwrap_or(games),
        None => games,
    };
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let ctx = Arc::new(Ctx {
        api: api.clone(),
        shared: shared.clone(),
        games: Arc::new(playable(games, studio.as_deref())),
        studio,
        stop: stop_rx,
        think: (config.think_min, config.think_max.max(config.think_min)),
        lifetime: None,
        keep_records: true,
    });
    let mut bots = JoinSet::new();
    for i in 0..config.players {
        bots.spawn(bot::run_bot(ctx.clone(), Profile::for_bot(i), i, seeds.next_u64()));
    }
    let snapshot = || Snapshot {
        elapsed: started.elapsed(),
        duration: Some(config.duration),
        players: config.players,
        active: shared.active(),
        totals: shared.totals(),
    };
    let deadline = started + config.duration;
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        while let Some(done) = bots.try_join_next() {
            note_panic(&shared, done);
        }
        progress(&snapshot());
        if Instant::now() >= deadline || bots.is_empty() {
            break;
        }
    }
    // Time is up: bots stop at their next pause; give requests in flight a moment.
    let _ = stop_tx.send(true);
    let grace = tokio::time::sleep(GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            done = bots.join_next() => match done {
                Some(done) => note_panic(&shared, done),
                None => break,
            },
            () = &mut grace => {
                bots.abort_all();
                while bots.join_next().await.is_some() {}
                break;
            }
            _ = tick.tick() => progress(&snapshot()),
        }
    }
    let records = shared.bots();
    report.alerts = count_alerts(&api, config.staff.as_ref(), &records).await;
    let last = snapshot();
    progress(&last);
    report.elapsed = last.elapsed;
    report.totals = last.totals;
    report.profiles = shared.per_profile();
    report.refusals = shared.refusals();
    report.errors = shared.errors();
    report.error_samples = shared.samples();
    report.bots = records;
    report
}

fn note_panic(shared: &Shared, done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        shared.unattributed_error("bot panicked".into(), format!("a bot task panicked: {e}"));
    }
}

/// Reads the AML and markers-of-harm alerts of every simulated player.
async fn count_alerts(api: &Api, staff: Option<&StaffLogin>, bots: &[BotReport]) -> Alerts {
    let Some(staff) = staff else {
        return Alerts::NotAvailable("no staff account given (--staff-user, --staff-password)".into());
    };
    let body = json!({"username": staff.username, "password": staff.password});
    let token = match api.call(reqwest::Method::POST, "/auth/login", None, Some(&body)).await {
        Reply::Ok(v) => match v.get("access_token").and_then(Value::as_str) {
            Some(t) => t.to_owned(),
            None => return Alerts::NotAvailable("the staff sign-in answered without a token".into()),
        },
        Reply::Refused { status, code, detail } => {
            return Alerts::NotAvailable(format!("staff sign-in refused: {status} {code}: {detail}"));
        }
        Reply::Failed { kind, detail } => {
            return Alerts::NotAvailable(format!("staff sign-in failed: {kind}: {detail}"));
        }
    };
    let queries: Vec<(bool, String)> = bots
        .iter()
        .filter_map(|b| b.player_id.as_deref())
        .flat_map(|id| {
            [
                (true, format!("/compliance/aml/alerts?player_id={id}&limit=500")),
                (false, format!("/responsible-gaming/alerts?player_id={id}&limit=500")),
            ]
        })
        .collect();
    let token = token.as_str();
    let answers: Vec<(bool, Reply)> = futures_util::stream::iter(queries)
        .map(|(aml, path)| async move { (aml, api.get(&path, Some(token)).await) })
        .buffer_unordered(8)
        .collect()
        .await;
    let (mut aml, mut harm, mut failed_queries) = (BTreeMap::new(), BTreeMap::new(), 0);
    for (is_aml, reply) in answers {
        let Reply::Ok(Value::Array(list)) = reply else {
            failed_queries += 1;
            continue;
        };
        let (counts, field): (&mut BTreeMap<String, u64>, &str) =
            if is_aml { (&mut aml, "rule") } else { (&mut harm, "marker") };
        for alert in list {
            let name = alert.get(field).and_then(Value::as_str).unwrap_or("unknown");
            *counts.entry(name.to_owned()).or_default() += 1;
        }
    }
    Alerts::Counted { aml, harm, failed_queries }
}

/// A background population; dropping it (or [`Population::stop`]) ends every bot.
#[derive(Debug)]
pub struct Population {
    task: JoinHandle<()>,
}

impl Population {
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Population {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts `players` bots against `base_url` that play until the population is dropped:
/// each plays for a few minutes, cashes out and leaves, and a new player takes its
/// place. A summary line is logged every minute.
/// With an admin's `staff` account the population also plays a simulated studio's game.
pub fn spawn_population(base_url: String, players: usize, staff: Option<StaffLogin>) -> Population {
    Population { task: tokio::spawn(endless(base_url, players, staff)) }
}

async fn endless(base_url: String, players: usize, staff: Option<StaffLogin>) {
    let api = match Api::new(&base_url) {
        Ok(api) => api,
        Err(e) => {
            tracing::error!(error = %e, "simulated players cannot start");
            return;
        }
    };
    // The server may still be starting up.
    let games = loop {
        match api::games(&api).await {
            Ok(games) => break games,
            Err(e) => {
                tracing::debug!(error = %e, "simulated players wait for the game catalogue");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    let mut seeds = Rng::new(os_seed());
    let studio = match studio(&api, staff.as_ref(), &mut seeds).await {
        Ok(studio) => Some(studio),
        Err(why) => {
            tracing::info!(why = %why, "simulated players play no provider game");
            None
        }
    };
    let games = match &studio {
        Some(_) => api::games(&api).await.unwrap_or(games),
        None => games,
    };
    let shared = Arc::new(Shared::default());
    // The sender lives as long as this task; aborting the task drops the bots with it.
    let (_stop_tx, stop_rx) = watch::channel(false);
    let ctx = Arc::new(Ctx {
        api,
        shared: shared.clone(),
        games: Arc::new(playable(games, studio.as_deref())),
        studio,
        stop: stop_rx,
        think: (DEFAULT_THINK_MIN, DEFAULT_THINK_MAX),
        lifetime: Some(LIFETIME),
        keep_records: false,
    });
    let mut slots = JoinSet::new();
    for slot in 0..players {
        let ctx = ctx.clone();
        let mut rng = Rng::new(seeds.next_u64());
        let profile = Profile::for_bot(slot);
        let respawn = if profile.is_scripted() { RESPAWN_SCRIPTED } else { RESPAWN };
        slots.spawn(async move {
            for generation in 0.. {
                let index = slot + generation * players;
                bot::run_bot(ctx.clone(), profile, index, rng.next_u64()).await;
                tokio::time::sleep(rng.duration(respawn.0, respawn.1)).await;
            }
        });
    }
    tracing::info!(players, url = %base_url, "simulated players started");
    let started = Instant::now();
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + SUMMARY_EVERY, SUMMARY_EVERY);
    loop {
        every.tick().await;
        let s = Snapshot {
            elapsed: started.elapsed(),
            duration: None,
            players,
            active: shared.active(),
            totals: shared.totals(),
        };
        tracing::info!(registered = s.totals.players, deposits = s.totals.deposits, "simulated players: {s}");
    }
}
