//! One simulated player: registers, passes KYC, deposits and plays through the public
//! API, the way its profile says, and counts every answer.

use super::api::{Api, Game, Reply};
use super::rng::{Rng, os_seed};
use super::stats::{ActiveGuard, Shared, lock};
use super::{BotReport, Profile, provider};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

mod profiles;

/// The access token is renewed this long before it expires (it lives 15 minutes).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// A bot gives up after this many unexpected answers in a row.
const MAX_FAILURES_IN_ROW: u32 = 8;
const PASSWORD: &str = "simulated player password";
/// Countries by jurisdiction profile; DE caps monthly deposits at 1,000.00, so the
/// profiles that deposit a lot live elsewhere.
const COUNTRIES: [&str; 4] = ["GB", "SE", "DE", "MT"];
const UNCAPPED_COUNTRIES: [&str; 3] = ["GB", "SE", "MT"];

/// The chaser's daily deposit limit and the size of each of its deposits.
const CHASER_DAILY_LIMIT: i64 = 50_000;
const CHASER_DEPOSIT: i64 = 20_000;
/// Just below the 2,000.00 KYC/AML threshold: the structuring rule looks for these.
const STRUCTURED_DEPOSIT: i64 = 195_000;

/// The stakes players pick from, in minor units: ordinary players 0.10 to 20.00 (the
/// night owl's quick rounds the low end), high rollers 20.00 to 500.00. Each is kept
/// within the game's limits for that player (a jurisdiction's cap included).
const ORDINARY_STAKES: [i64; 8] = [10, 20, 50, 100, 200, 500, 1_000, 2_000];
const QUICK_STAKES: [i64; 4] = [10, 20, 50, 100];
const HIGH_ROLLER_STAKES: [i64; 5] = [2_000, 5_000, 10_000, 25_000, 50_000];

/// What every bot of a run shares.
pub(crate) struct Ctx {
    pub api: Api,
    pub shared: Arc<Shared>,
    pub games: Arc<Vec<Game>>,
    /// The simulated studio whose game the bots may launch, when one was onboarded.
    pub studio: Option<Arc<crate::provider::Studio>>,
    pub stop: watch::Receiver<bool>,
    /// Pause between two requests of a bot: uniform in this range (profiles scale it).
    pub think: (Duration, Duration),
    /// Endless mode: how long a bot plays before it cashes out and leaves.
    pub lifetime: Option<(Duration, Duration)>,
    /// Keep every bot's record for the final report.
    pub keep_records: bool,
}

/// Why a bot stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The run is over.
    Stopped,
    /// Its time or budget is up: it cashes out and leaves.
    Retired,
    /// It cannot go on (registration failed, too many errors).
    Gone,
}

/// A 2xx body, or the refusal code (`None` for a failure without one).
type Answer = Result<Value, Option<String>>;

struct Tokens {
    access: String,
    refresh: String,
    expires_at: Instant,
}

pub(crate) struct Bot {
    ctx: Arc<Ctx>,
    stop: watch::Receiver<bool>,
    profile: Profile,
    rng: Rng,
    record: Arc<Mutex<BotReport>>,
    username: String,
    player_id: String,
    country: &'static str,
    tokens: Option<Tokens>,
    retire_at: Option<Instant>,
    cash: i64,
    bonus: i64,
    deposited: i64,
    wagered: i64,
    session_id: Option<String>,
    /// The launch token of the studio's game, once launched.
    launch_token: Option<String>,
    /// The catalogue as this player sees it: their own limits, caps included.
    games: Vec<Game>,
    limit_set: bool,
    excluded: bool,
    keys: u64,
    failures_in_row: u32,
}

/// Runs one bot to its end; its record is in the shared state when asked to keep it.
pub(crate) async fn run_bot(ctx: Arc<Ctx>, profile: Profile, index: usize, seed: u64) {
    let _active = ActiveGuard::new(ctx.shared.clone());
    let mut bot = Bot::new(ctx, profile, index, seed);
    let outcome = bot.live().await;
    if outcome == Err(Halt::Retired) {
        bot.leave().await;
    }
    bot.note(|r| r.finished = matches!(outcome, Ok(()) | Err(Halt::Retired)));
}

fn country_of(profile: Profile, index: usize) -> &'static str {
    let round = index / Profile::ALL.len();
    match profile {
        Profile::HighRoller | Profile::Structurer => UNCAPPED_COUNTRIES[round % UNCAPPED_COUNTRIES.len()],
        _ => COUNTRIES[(round + profile.index()) % COUNTRIES.len()],
    }
}

fn currency_of(country: &str) -> &'static str {
    match country {
        "GB" => "GBP",
        "SE" => "SEK",
        _ => "EUR",
    }
}

/// `stake` moved inside the game's limits.
fn within_limits(stake: i64, game: &Game) -> i64 {
    stake.min(game.max_bet).max(game.min_bet)
}

/// Rounds down to a multiple of `step`, but not below `floor`.
fn round_down(amount: i64, step: i64, floor: i64) -> i64 {
    (amount - amount.rem_euclid(step)).max(floor)
}

impl Bot {
    fn new(ctx: Arc<Ctx>, profile: Profile, index: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let country = country_of(profile, index);
        // The name is unique across runs whatever the seed: the OS picks it.
        let username = format!("sim-{}-{:010x}", profile.tag(), os_seed() & 0xff_ffff_ffff);
        let retire_at = ctx.lifetime.map(|(lo, hi)| Instant::now() + rng.duration(lo, hi));
        let record = Arc::new(Mutex::new(BotReport {
            index,
            profile,
            username: username.clone(),
            player_id: None,
            country: country.to_owned(),
            rounds: 0,
            wagered: 0,
            paid: 0,
            deposits: 0,
            withdrawals: 0,
            refusals: Default::default(),
            errors: 0,
            limit_set: false,
            exclusion: None,
            finished: false,
        }));
        if ctx.keep_records {
            ctx.shared.keep(record.clone());
        }
        Self {
            stop: ctx.stop.clone(),
            ctx,
            profile,
            rng,
            record,
            username,
            player_id: String::new(),
            country,
            tokens: None,
            retire_at,
            cash: 0,
            bonus: 0,
            deposited: 0,
            wagered: 0,
            session_id: None,
            launch_token: None,
            games: Vec::new(),
            limit_set: false,
            excluded: false,
            keys: 0,
            failures_in_row: 0,
        }
    }

    fn note(&self, f: impl FnOnce(&mut BotReport)) {
        f(&mut lock(&self.record));
    }

    async fn live(&mut self) -> Result<(), Halt> {
        self.join().await?;
        match self.profile {
            Profile::Casual => self.casual().await,
            Profile::HighRoller => self.high_roller().await,
            Profile::NightOwl => self.night_owl().await,
            Profile::Chaser => self.chaser().await,
            Profile::Structurer => self.structurer().await,
            Profile::SelfExcluder => self.self_excluder().await,
        }
    }

    // ---- pacing -------------------------------------------------------------------

    fn check(&self) -> Result<(), Halt> {
        if *self.stop.borrow() {
            return Err(Halt::Stopped);
        }
        if self.retire_at.is_some_and(|t| Instant::now() >= t) {
            return Err(Halt::Retired);
        }
        Ok(())
    }

    /// A pause of `scale` times the think time; ends early when the run stops. The
    /// scripted profiles then finish their script without pauses, so that a report
    /// always tells their whole story.
    async fn think(&mut self, scale: f64) -> Result<(), Halt> {
        let scripted = self.profile.is_scripted();
        if scripted && *self.stop.borrow() {
            return Ok(());
        }
        self.check()?;
        let (lo, hi) = self.ctx.think;
        let mut pause = self.rng.duration(lo, hi).mul_f64(scale.max(0.0));
        if let Some(t) = self.retire_at {
            pause = pause.min(t.saturating_duration_since(Instant::now()));
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = self.stop.wait_for(|stopped| *stopped) => {
                return if scripted { Ok(()) } else { Err(Halt::Stopped) };
            }
        }
        if scripted && *self.stop.borrow() {
            return Ok(());
        }
        self.check()
    }

    // ---- requests -----------------------------------------------------------------

    fn key(&mut self, what: &str) -> String {
        self.keys += 1;
        format!("{}-{what}-{}", self.username, self.keys)
    }

    /// Whether the platform refusing with `code` is what this bot is out to provoke.
    fn expected(&self, code: &str) -> bool {
        match code {
            // Anyone may run out of money; the bot deposits again or stops.
            "insufficient_funds" => true,
            "limit_exceeded" => self.profile == Profile::Chaser && self.limit_set,
            "self_excluded" => self.excluded,
            _ => false,
        }
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        self.ctx.shared.request(self.profile);
        self.ctx.api.call(method, path, token, body).await
    }

    fn failed(&mut self, key: String, detail: &str) -> Result<(), Halt> {
        let sample = format!("{key}: {detail}");
        self.ctx.shared.error(self.profile, key, sample);
        self.note(|r| r.errors += 1);
        self.failures_in_row += 1;
        if self.failures_in_row >= MAX_FAILURES_IN_ROW { Err(Halt::Gone) } else { Ok(()) }
    }

    /// Counts an answer: a refusal the profile provoked, or an error.
    fn judge(&mut self, what: &str, reply: Reply) -> Result<Answer, Halt> {
        match reply {
            Reply::Ok(v) => {
                self.failures_in_row = 0;
                Ok(Ok(v))
            }
            Reply::Refused { status, code, detail } => {
                if status == 422 && self.expected(&code) {
                    self.failures_in_row = 0;
                    self.ctx.shared.refusal(self.profile, &code);
                    self.note(|r| *r.refusals.entry(code.clone()).or_default() += 1);
                } else {
                    self.failed(format!("{what} {status} {code}"), &detail)?;
                }
                Ok(Err(Some(code)))
            }
            Reply::Failed { kind, detail } => {
                self.failed(format!("{what} {kind}"), &detail)?;
                Ok(Err(None))
            }
        }
    }

    /// One request; `auth` sends the access token (renewed first when it is about to
    /// expire, and once more after a `401`).
    async fn act(
        &mut self,
        what: &'static str,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Result<Answer, Halt> {
        if !auth {
            let reply = self.send(method, path, None, body.as_ref()).await;
            return self.judge(what, reply);
        }
        if self.tokens.as_ref().is_none_or(|t| Instant::now() + REFRESH_MARGIN >= t.expires_at) {
            self.renew().await?;
        }
        let token = self.tokens.as_ref().map(|t| t.access.clone());
        let mut reply = self.send(method.clone(), path, token.as_deref(), body.as_ref()).await;
        if matches!(reply, Reply::Refused { status: 401, .. }) && self.renew().await? {
            let token = self.tokens.as_ref().map(|t| t.access.clone());
            reply = self.send(method, path, token.as_deref(), body.as_ref()).await;
        }
        self.judge(what, reply)
    }

    fn take_tokens(&mut self, what: &str, v: &Value) -> Result<bool, Halt> {
        let access = v.get("access_token").and_then(Value::as_str);
        let refresh = v.get("refresh_token").and_then(Value::as_str);
        let expires_in = v.get("expires_in").and_then(Value::as_u64).unwrap_or(900);
        match (access, refresh) {
            (Some(a), Some(r)) => {
                self.tokens = Some(Tokens {
                    access: a.to_owned(),
                    refresh: r.to_owned(),
                    expires_at: Instant::now() + Duration::from_secs(expires_in),
                });
                Ok(true)
            }
            _ => {
                self.failed(format!("{what} malformed"), "no access_token/refresh_token in the answer")?;
                Ok(false)
            }
        }
    }

    /// A new token pair: rotate the refresh token, or sign in again.
    async fn renew(&mut self) -> Result<bool, Halt> {
        if let Some(refresh) = self.tokens.take().map(|t| t.refresh) {
            let reply = self.send(Method::POST, "/auth/refresh", None, Some(&json!({"refresh_token": refresh}))).await;
            if let Ok(v) = self.judge("refresh", reply)? {
                return self.take_tokens("refresh", &v);
            }
        }
        let body = json!({"username": self.username, "password": PASSWORD});
        let reply = self.send(Method::POST, "/auth/login", None, Some(&body)).await;
        match self.judge("login", reply)? {
            Ok(v) => self.take_tokens("login", &v),
            Err(_) => Ok(false),
        }
    }

    // ---- what players do ----------------------------------------------------------

    /// Registers, signs in and passes KYC.
    async fn join(&mut self) -> Result<(), Halt> {
        let year = 1960 + self.rng.below(40);
        let (month, day) = (1 + self.rng.below(12), 1 + self.rng.below(28));
        let body = json!({
            "username": self.username,
            "email": format!("{}@players.sim.example", self.username),
            "password": PASSWORD,
            "date_of_birth": format!("{year:04}-{month:02}-{day:02}"),
            "country": self.country,
            "currency": currency_of(self.country),
        });
        let Ok(player) = self.act("register", Method::POST, "/players", Some(body), false).await? else {
            return Err(Halt::Gone);
        };
        let Some(id) = player.get("id").and_then(Value::as_str) else {
            self.failed("register malformed".into(), "no id in the answer")?;
            return Err(Halt::Gone);
        };
        self.player_id = id.to_owned();
        self.ctx.shared.registered(self.profile);
        let id = self.player_id.clone();
        self.note(|r| r.player_id = Some(id));
        if !self.renew().await? {
            return Err(Halt::Gone);
        }
        self.think(1.0).await?;
        let expires = chrono::Utc::now()
            .date_naive()
            .checked_add_months(chrono::Months::new(60))
            .map_or_else(|| "2035-01-01".to_owned(), |d| d.format("%Y-%m-%d").to_string());
        let docs = json!({
            "document_type": "passport",
            "document_number": format!("P{:07}", self.rng.below(10_000_000)),
            "issuing_country": self.country,
            "expires_on": expires,
            "full_name": format!("Sim {} {}", self.profile.name(), &self.username[self.username.len() - 4..]),
            "address": "1 Simulation Street, Test Town",
        });
        let path = format!("/compliance/kyc/{}/submit", self.player_id);
        let Ok(kyc) = self.act("kyc", Method::POST, &path, Some(docs), true).await? else {
            return Err(Halt::Gone);
        };
        let status = kyc.get("status").and_then(Value::as_str).unwrap_or("unknown").to_owned();
        if status != "approved" {
            self.failed(
                "kyc not approved".into(),
                &format!("the KYC submission is {status}: the simulator needs ACMETOCASINO_KYC_AUTO_DECIDE=true"),
            )?;
            return Err(Halt::Gone);
        }
        // The catalogue as this player sees it: a jurisdiction's stake caps lower their
        // own max_bet (GB slots), and a player reads them before betting.
        self.games = match self.act("games", Method::GET, "/gal/games", None, true).await? {
            Ok(list) => super::playable(super::api::parse_games(&list), self.ctx.studio.as_deref()),
            Err(_) => Vec::new(),
        };
        if self.games.is_empty() {
            self.games = self.ctx.games.to_vec();
        }
        Ok(())
    }

    fn available(&self) -> i64 {
        self.cash + self.bonus
    }

    fn smallest_min_bet(&self) -> i64 {
        self.games.iter().map(|g| g.min_bet).min().unwrap_or(i64::MAX)
    }

    /// A random game whose minimum bet is at most `budget`.
    fn game_within(&mut self, budget: i64) -> Option<Game> {
        let fitting: Vec<&Game> = self.games.iter().filter(|g| g.min_bet <= budget).collect();
        // One session in three on the studio's game, when there is one: a lobby's
        // featured third-party title.
        let studio: Vec<&Game> = fitting.iter().copied().filter(|g| g.third_party).collect();
        if !studio.is_empty() && self.rng.chance(1.0 / 3.0) {
            return self.rng.pick(&studio).map(|g| (*g).clone());
        }
        self.rng.pick(&fitting).map(|g| (*g).clone())
    }

    /// A stake picked from `ladder`, within the game's limits for this player.
    fn stake_from(&mut self, game: &Game, ladder: &[i64]) -> i64 {
        let wanted = self.rng.pick(ladder).copied().unwrap_or(game.min_bet);
        within_limits(wanted, game)
    }

    fn balances_from(&mut self, cash: Option<i64>, bonus: Option<i64>) {
        if let Some(c) = cash {
            self.cash = c;
        }
        if let Some(b) = bonus {
            self.bonus = b;
        }
    }

    async fn deposit(&mut self, amount: i64) -> Result<Answer, Halt> {
        let body = json!({"amount": amount, "idempotency_key": self.key("dep")});
        let answer = self.act("deposit", Method::POST, "/wallet/deposit", Some(body), true).await?;
        if let Ok(event) = &answer {
            self.balances_from(
                event.get("cash_balance_after").and_then(Value::as_i64),
                event.get("bonus_balance_after").and_then(Value::as_i64),
            );
            self.deposited += amount;
            self.ctx.shared.deposit(self.profile, amount);
            self.note(|r| r.deposits += 1);
        }
        Ok(answer)
    }

    async fn withdraw(&mut self, amount: i64) -> Result<Answer, Halt> {
        let body = json!({"amount": amount, "idempotency_key": self.key("wd")});
        let answer = self.act("withdraw", Method::POST, "/wallet/withdraw", Some(body), true).await?;
        if let Ok(event) = &answer {
            self.balances_from(
                event.get("cash_balance_after").and_then(Value::as_i64),
                event.get("bonus_balance_after").and_then(Value::as_i64),
            );
            self.ctx.shared.withdrawal(self.profile, amount);
            self.note(|r| r.withdrawals += 1);
        }
        Ok(answer)
    }

    /// What the deposit limits (the player's own and the jurisdiction's) still allow;
    /// `None` when nothing limits deposits.
    async fn deposit_room(&mut self) -> Result<Option<i64>, Halt> {
        let path = format!("/responsible-gaming/limits/{}", self.player_id);
        Ok(match self.act("limits", Method::GET, &path, None, true).await? {
            Ok(v) => v
                .get("limits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|l| l.get("remaining").and_then(Value::as_i64))
                .min(),
            Err(_) => Some(0),
        })
    }

    /// Deposits about `wanted` within the limits; false when the limits leave less
    /// than `need`.
    async fn top_up(&mut self, wanted: i64, need: i64) -> Result<bool, Halt> {
        let room = self.deposit_room().await?;
        let amount = room.map_or(wanted, |r| wanted.min(r));
        if amount < need.max(1) {
            return Ok(false);
        }
        Ok(self.deposit(amount).await?.is_ok())
    }

    /// One round; the payout when it settled.
    async fn play(&mut self, game: &Game, amount: i64) -> Result<Option<i64>, Halt> {
        if game.third_party {
            return self.play_provider(game, amount).await;
        }
        let body = json!({"game_slug": game.slug, "amount": amount, "params": game.params,
                          "idempotency_key": self.key("bet")});
        let answer = self.act("play", Method::POST, "/gal/play", Some(body), true).await?;
        let Ok(round) = answer else { return Ok(None) };
        let payout = round.get("payout").and_then(Value::as_i64).unwrap_or(0);
        let balance = round.get("balance");
        self.balances_from(
            balance.and_then(|b| b.get("cash")).and_then(Value::as_i64),
            balance.and_then(|b| b.get("bonus")).and_then(Value::as_i64),
        );
        self.session_id = round.get("session_id").and_then(Value::as_str).map(str::to_owned);
        self.wagered += amount;
        self.ctx.shared.round(self.profile, amount, payout, false);
        self.note(|r| {
            r.rounds += 1;
            r.wagered += u64::try_from(amount).unwrap_or(0);
            r.paid += u64::try_from(payout).unwrap_or(0);
        });
        Ok(Some(payout))
    }

    /// One round of the studio's game: launched once (and again when the token no
    /// longer takes bets), then played by the studio's calls to the wallet.
    async fn play_provider(&mut self, game: &Game, amount: i64) -> Result<Option<i64>, Halt> {
        let Some(studio) = self.ctx.studio.clone() else { return Ok(None) };
        for _ in 0..2 {
            let token = match self.launch_token.clone() {
                Some(token) => token,
                None => {
                    let body = json!({"game_slug": game.slug});
                    let Ok(launch) = self.act("launch", Method::POST, "/gal/launch", Some(body), true).await? else {
                        return Ok(None);
                    };
                    let Some(token) = launch.get("launch_token").and_then(Value::as_str) else {
                        self.failed("launch without a token".into(), &launch.to_string())?;
                        return Ok(None);
                    };
                    self.launch_token = Some(token.to_owned());
                    token.to_owned()
                }
            };
            // A round is three calls of the studio's: the bet, the result, the end.
            for _ in 0..3 {
                self.ctx.shared.request(self.profile);
            }
            match studio.round(&self.ctx.api, &self.player_id, &token, amount, &mut self.rng).await {
                provider::Round::Settled { payout, balance } => {
                    self.failures_in_row = 0;
                    if let Some(total) = balance {
                        self.balances_from(Some(total - self.bonus), Some(self.bonus));
                    }
                    self.wagered += amount;
                    self.ctx.shared.round(self.profile, amount, payout, true);
                    self.note(|r| {
                        r.rounds += 1;
                        r.wagered += u64::try_from(amount).unwrap_or(0);
                        r.paid += u64::try_from(payout).unwrap_or(0);
                    });
                    return Ok(Some(payout));
                }
                provider::Round::Refused(code) => {
                    let refused =
                        Reply::Refused { status: 422, code: code.into(), detail: "refused by the wallet".into() };
                    let _counted = self.judge("provider bet", refused)?;
                    return Ok(None);
                }
                provider::Round::Relaunch => self.launch_token = None,
                provider::Round::Failed(detail) => {
                    self.failed("provider round".into(), &detail)?;
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }

    async fn end_session(&mut self) -> Result<(), Halt> {
        if let Some(id) = self.session_id.take() {
            let _ended = self.act("end session", Method::POST, &format!("/gal/sessions/{id}/end"), None, true).await?;
        }
        Ok(())
    }

    async fn exclude(&mut self, kind: &str, duration: &str) -> Result<bool, Halt> {
        let path = format!("/responsible-gaming/exclude/{}", self.player_id);
        let body = json!({"kind": kind, "duration": duration});
        let ok = self.act("exclude", Method::POST, &path, Some(body), true).await?.is_ok();
        if ok {
            self.excluded = true;
            let kind = kind.to_owned();
            self.note(|r| r.exclusion = Some(kind));
        }
        Ok(ok)
    }

    /// Withdraws the cash when that would not look like laundering (or the player is
    /// excluded and only takes their money home).
    async fn leave(&mut self) {
        if self.cash > 0 && (self.excluded || self.wagered * 2 >= self.deposited) {
            let cash = self.cash;
            let _ = self.withdraw(cash).await;
        }
        let _ = self.end_session().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_cycle_and_keep_big_depositors_out_of_the_capped_jurisdiction() {
        let all: Vec<&str> = (0..24).map(|i| country_of(Profile::ALL[i % 6], i)).collect();
        for c in COUNTRIES {
            assert!(all.contains(&c), "{c} never used: {all:?}");
        }
        for i in 0..60 {
            assert_ne!(country_of(Profile::HighRoller, i), "DE");
            assert_ne!(country_of(Profile::Structurer, i), "DE");
        }
    }

    #[test]
    fn stakes_are_real_and_kept_within_each_players_limits() {
        assert!(ORDINARY_STAKES.iter().all(|s| (10..=2_000).contains(s)), "0.10 to 20.00");
        assert!(QUICK_STAKES.iter().all(|s| ORDINARY_STAKES.contains(s)));
        assert!(HIGH_ROLLER_STAKES.iter().all(|s| *s >= 2_000), "high rollers bet more");
        let game = |min_bet, max_bet| Game {
            slug: "video-slot".into(),
            third_party: false,
            min_bet,
            max_bet,
            params: Value::Null,
        };
        // A GB player of 24 sees max_bet 200 on slots: a 20.00 stake becomes 2.00.
        assert_eq!(within_limits(2_000, &game(10, 200)), 200);
        assert_eq!(within_limits(10, &game(50, 1_000)), 50);
        assert_eq!(within_limits(500, &game(10, 10_000_000)), 500);
    }

    #[test]
    fn amounts_round_down_to_a_floor() {
        assert_eq!(round_down(12_345, 1_000, 500), 12_000);
        assert_eq!(round_down(400, 1_000, 500), 500);
    }
}
