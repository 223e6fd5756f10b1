//! The provider's game server: plays rounds for its launched players through signed
//! wallet callbacks, retries and rolls back the way seamless-wallet providers do, injects
//! the faults it was asked for, and keeps its ledger and each wallet's expected balance.

use crate::ledger::Ledger;
use crate::platform::{Platform, Player};
use provider_core::{Answer, Command, Failure, Protocol, ProviderClient, Request, Transaction, WinKind};
use simulator::error_chain;
use simulator::rng::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Deliveries of one call before the provider gives up on it.
const ATTEMPTS: u32 = 4;
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Stakes picked from, minor units (kept within the game's limits and the balance).
const STAKES: [i64; 7] = [10, 20, 50, 100, 200, 500, 1_000];

/// The faults a round may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The bet's answer is lost twice (the call reached the wallet): the provider gives
    /// up and rolls the bet back.
    LostBetResponse,
    /// The bet is delivered twice at once.
    DuplicateBet,
    /// The win is delivered twice at once.
    DuplicateWin,
    /// The rollback reaches the wallet before its bet, which is then refused.
    RollbackOvertakesBet,
    /// The win's answer is lost and the provider sends the win again.
    WinRetriedAfterTimeout,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::LostBetResponse,
        Fault::DuplicateBet,
        Fault::DuplicateWin,
        Fault::RollbackOvertakesBet,
        Fault::WinRetriedAfterTimeout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::LostBetResponse => "lost bet response → rollback",
            Fault::DuplicateBet => "duplicate bet delivery",
            Fault::DuplicateWin => "duplicate win delivery",
            Fault::RollbackOvertakesBet => "rollback overtakes its bet",
            Fault::WinRetriedAfterTimeout => "win retried after a timeout",
        }
    }
}

/// The provider's side of the callbacks: one protocol, one registered provider.
pub struct Caller {
    pub platform: Platform,
    pub slug: String,
    pub client: Box<dyn ProviderClient>,
}

impl Caller {
    fn protocol(&self) -> Protocol {
        self.client.protocol()
    }

    /// One delivery of `command` (a fresh per-call id each time): the wallet's answer,
    /// or why none was read.
    pub async fn send(&self, command: &Command) -> Result<Answer, String> {
        let request = Request { command: command.clone(), request_id: Some(uuid::Uuid::new_v4().to_string()) };
        let now = chrono::Utc::now().timestamp_millis();
        let call = self.client.encode(&request, now).map_err(|f| format!("cannot encode: {f}"))?;
        let url = self.platform.url(&format!("/providers/{}/{}", self.slug, call.endpoint));
        let mut req = self.platform.http().post(url).header("content-type", call.content_type).body(call.body);
        for (name, value) in call.headers {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(|e| format!("{}: {}", call.endpoint, error_chain(&e)))?;
        let status = resp.status();
        let signature =
            resp.headers().get(provider_core::hub88::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = resp.bytes().await.map_err(|e| format!("{}: {}", call.endpoint, error_chain(&e)))?;
        if !status.is_success() {
            return Err(format!("{}: HTTP {status}: {}", call.endpoint, String::from_utf8_lossy(&body)));
        }
        self.client
            .decode(call.endpoint, signature.as_deref(), &body)
            .map_err(|f| format!("{}: unreadable answer ({f}): {}", call.endpoint, String::from_utf8_lossy(&body)))
    }

    /// Delivers `command` until an answer that is not a retryable error, at most
    /// [`ATTEMPTS`] times.
    pub async fn send_retrying(&self, command: &Command) -> Result<Answer, String> {
        let mut last = Err("never sent".to_owned());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(RETRY_PAUSE * attempt).await;
            }
            last = self.send(command).await;
            match &last {
                Ok(a) if !matches!(a.failure, Some(Failure::Retryable(_))) => return last,
                _ => {}
            }
        }
        last
    }
}

/// What one player's rounds left behind.
#[derive(Debug, Default)]
pub struct Played {
    pub ledger: Ledger,
    pub rounds: u64,
    /// Bets the wallet refused for money or limits (nothing moved).
    pub refused_bets: u64,
    pub faults: std::collections::BTreeMap<&'static str, u64>,
    /// Deliveries whose outcome the provider could not learn (no answer after retries).
    pub uncertain: u64,
    pub errors: Vec<String>,
}

/// One player's game: rounds until the shared counter reaches `total`.
pub struct Table {
    pub caller: Arc<Caller>,
    pub player: Player,
    pub min_bet: i64,
    pub max_bet: i64,
    pub fault_rate: f64,
    pub rng: Rng,
    /// The balance the wallet must report, from the ledger's point of view.
    pub expected: Option<i64>,
    pub played: Played,
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Table {
    fn error(&mut self, what: String) {
        self.played.errors.push(format!("player {}: {what}", self.player.id));
    }

    fn book_bet(&mut self, id: &str, stake: i64) {
        if self.played.ledger.bet(id, today(), stake) {
            self.expected = self.expected.map(|e| e - stake);
        }
    }

    fn book_win(&mut self, id: &str, amount: i64) {
        if self.played.ledger.win(id, today(), amount) {
            self.expected = self.expected.map(|e| e + amount);
        }
    }

    /// Holds the answer's balance against the expected one, then follows the wallet.
    fn check_balance(&mut self, answer: &Answer, after: &str) {
        if let Some(reported) = answer.balance {
            if let Some(expected) = self.expected.filter(|e| *e != reported) {
                self.error(format!(
                    "balance after {after}: the wallet reports {reported}, the ledger expects {expected}"
                ));
            }
            self.expected = Some(reported);
        }
    }

    fn transaction(&self, id: &str, round: &str, amount: i64, reference: Option<&str>, closed: bool) -> Transaction {
        let hub88 = self.caller.protocol() == Protocol::Hub88;
        Transaction {
            id: id.to_owned(),
            player: self.player.id.clone(),
            token: Some(self.player.launch_token.clone()),
            round: round.to_owned(),
            game: self.player.game_code.clone(),
            amount,
            currency: hub88.then(|| self.player.currency.clone()),
            reference: reference.map(str::to_owned),
            round_closed: closed,
        }
    }

    /// The rollback of `bet` (Hub88: a transaction of its own naming the bet; Pragmatic:
    /// the refund names the bet's reference, which is its id too).
    fn rollback_of(&self, bet: &str, round: &str, stake: i64) -> (String, Command) {
        match self.caller.protocol() {
            Protocol::Hub88 => {
                let rb = id();
                let command = Command::Rollback(self.transaction(&rb, round, 0, Some(bet), true));
                (rb, command)
            }
            Protocol::Pragmatic => {
                (bet.to_owned(), Command::Rollback(self.transaction(bet, round, stake, Some(bet), false)))
            }
        }
    }

    /// The game starts: Hub88 reads the balance with the launch token, Pragmatic
    /// authenticates it.
    pub async fn open(&mut self) -> Result<(), String> {
        let command = match self.caller.protocol() {
            Protocol::Hub88 => Command::Balance {
                player: self.player.id.clone(),
                token: Some(self.player.launch_token.clone()),
                game: Some(self.player.game_code.clone()),
            },
            Protocol::Pragmatic => Command::Authenticate {
                token: self.player.launch_token.clone(),
                game: Some(self.player.game_code.clone()),
            },
        };
        let answer = self.caller.send_retrying(&command).await?;
        if let Some(f) = answer.failure {
            return Err(format!("opening the game: {f} (status {})", answer.status));
        }
        if let Some(player) = answer.player.as_deref().filter(|p| *p != self.player.id) {
            return Err(format!("opening the game: the wallet names player {player}"));
        }
        self.expected = answer.balance;
        if self.caller.protocol() == Protocol::Hub88 {
            // Hub88 also asks who the player is (`user/info`: a balance without a token).
            let info = Command::Balance { player: self.player.id.clone(), token: None, game: None };
            let answer = self.caller.send_retrying(&info).await?;
            if let Some(f) = answer.failure {
                return Err(format!("user/info: {f} (status {})", answer.status));
            }
            self.check_balance(&answer, "user/info");
        }
        Ok(())
    }

    /// Plays until `counter` reaches `total`.
    pub async fn play(mut self, counter: Arc<AtomicU64>, total: u64) -> Played {
        if let Err(e) = self.open().await {
            self.error(e);
            return self.played;
        }
        while counter.fetch_add(1, Ordering::Relaxed) < total {
            let fault = if self.rng.chance(self.fault_rate) { self.rng.pick(&Fault::ALL).copied() } else { None };
            if let Some(f) = fault {
                *self.played.faults.entry(f.name()).or_default() += 1;
            }
            self.round(fault).await;
            self.played.rounds += 1;
        }
        self.played
    }

    fn stake(&mut self) -> i64 {
        let wanted = self.rng.pick(&STAKES).copied().unwrap_or(self.min_bet);
        let mut stake = wanted.clamp(self.min_bet, self.max_bet.max(self.min_bet));
        if let Some(balance) = self.expected {
            stake = stake.min(balance.max(self.min_bet));
        }
        stake
    }

    async fn round(&mut self, fault: Option<Fault>) {
        let (bet_id, round) = (id(), id());
        let stake = self.stake();
        let bet = Command::Bet(self.transaction(&bet_id, &round, stake, None, false));

        if fault == Some(Fault::RollbackOvertakesBet) {
            let (rb_id, rollback) = self.rollback_of(&bet_id, &round, stake);
            match self.caller.send_retrying(&rollback).await {
                Ok(a) if a.failure.is_none() => {
                    self.played.ledger.rollback(&rb_id, &bet_id, today());
                    self.check_balance(&a, "a rollback ahead of its bet");
                }
                Ok(a) => return self.error(format!("a rollback ahead of its bet refused: status {}", a.status)),
                Err(e) => return self.error(format!("a rollback ahead of its bet: {e}")),
            }
            match self.caller.send(&bet).await {
                Ok(a) if a.failure.is_none() => {
                    self.error("a bet after its rollback was accepted".into());
                    self.book_bet(&bet_id, stake);
                    self.check_balance(&a, "a bet after its rollback");
                }
                Ok(a) => {
                    let expected = match self.caller.protocol() {
                        Protocol::Hub88 => matches!(a.failure, Some(Failure::TransactionRolledBack)),
                        Protocol::Pragmatic => matches!(a.failure, Some(Failure::Unknown(_))),
                    };
                    if !expected {
                        self.error(format!("a bet after its rollback: status {} (rolled back expected)", a.status));
                    }
                }
                Err(e) => self.error(format!("a bet after its rollback: {e}")),
            }
            return;
        }

        // The bet.
        let mut second = None;
        let answer = match fault {
            Some(Fault::LostBetResponse) => {
                // Both deliveries reach the wallet; their answers are lost on the way
                // back. The ledger still learns what the wallet did from them.
                let first = self.caller.send(&bet).await;
                let again = self.caller.send(&bet).await;
                if [&first, &again].iter().any(|a| matches!(a, Ok(a) if a.failure.is_none())) {
                    self.book_bet(&bet_id, stake);
                } else if first.is_err() && again.is_err() {
                    self.played.uncertain += 1;
                }
                return self.roll_back(&bet_id, &round, stake).await;
            }
            Some(Fault::DuplicateBet) => {
                let (a, b) = tokio::join!(self.caller.send(&bet), self.caller.send(&bet));
                match (&a, b) {
                    (Ok(x), Ok(y)) if x.failure != y.failure => {
                        self.error(format!("one bet delivered twice answered {} and {}", x.status, y.status));
                    }
                    (_, Ok(y)) => second = Some(y),
                    (_, Err(e)) => self.error(format!("a duplicate bet: {e}")),
                }
                a
            }
            _ => self.caller.send_retrying(&bet).await,
        };
        match answer {
            Ok(a) if a.failure.is_none() => {
                self.book_bet(&bet_id, stake);
                self.check_balance(&a, "a bet");
                // Both deliveries of a duplicate answer the balance after one debit.
                if let Some(b) = second.filter(|b| b.failure.is_none()) {
                    self.check_balance(&b, "a duplicate bet");
                }
            }
            Ok(a) if matches!(a.failure, Some(Failure::NotEnoughMoney | Failure::LimitReached(_))) => {
                self.played.refused_bets += 1;
                self.check_balance(&a, "a refused bet");
                return;
            }
            Ok(a) => {
                self.error(format!("bet refused: status {} ({:?})", a.status, a.failure));
                return self.roll_back(&bet_id, &round, stake).await;
            }
            Err(e) => {
                self.error(format!("bet: {e}"));
                self.played.uncertain += 1;
                return self.roll_back(&bet_id, &round, stake).await;
            }
        }

        // The win (zero for a lost round), which closes a Hub88 round.
        let amount =
            if self.rng.chance(0.45) { stake * i64::try_from(self.rng.range(1, 40)).unwrap_or(1) / 10 } else { 0 };
        let win_id = id();
        let reference = (self.caller.protocol() == Protocol::Hub88).then_some(bet_id.as_str());
        let win = Command::Win {
            transaction: self.transaction(&win_id, &round, amount, reference, true),
            kind: WinKind::Normal,
        };
        let mut second = None;
        let answer = match fault {
            Some(Fault::DuplicateWin) => {
                let (a, b) = tokio::join!(self.caller.send(&win), self.caller.send(&win));
                match (&a, b) {
                    (Ok(x), Ok(y)) if x.failure != y.failure => {
                        self.error(format!("one win delivered twice answered {} and {}", x.status, y.status));
                    }
                    (_, Ok(y)) => second = Some(y),
                    (_, Err(e)) => self.error(format!("a duplicate win: {e}")),
                }
                a
            }
            Some(Fault::WinRetriedAfterTimeout) => {
                // The first answer is lost; what it said still tells the ledger.
                if let Ok(first) = self.caller.send(&win).await
                    && first.failure.is_none()
                {
                    self.book_win(&win_id, amount);
                }
                self.caller.send_retrying(&win).await
            }
            _ => self.caller.send_retrying(&win).await,
        };
        match answer {
            Ok(a) if a.failure.is_none() => {
                self.book_win(&win_id, amount);
                self.check_balance(&a, "a win");
                if let Some(b) = second.filter(|b| b.failure.is_none()) {
                    self.check_balance(&b, "a duplicate win");
                }
            }
            Ok(a) => self.error(format!("win refused: status {} ({:?})", a.status, a.failure)),
            Err(e) => {
                self.played.uncertain += 1;
                self.error(format!("win: {e}"));
            }
        }
        self.end_round(&round).await;
    }

    /// Pragmatic closes a round with `endRound.html` (Hub88's win or rollback did).
    async fn end_round(&mut self, round: &str) {
        if self.caller.protocol() != Protocol::Pragmatic {
            return;
        }
        let end = Command::EndRound {
            player: self.player.id.clone(),
            round: round.to_owned(),
            game: self.player.game_code.clone(),
        };
        match self.caller.send_retrying(&end).await {
            Ok(a) if a.failure.is_none() => self.check_balance(&a, "the end of a round"),
            Ok(a) => self.error(format!("endRound refused: status {} ({:?})", a.status, a.failure)),
            Err(e) => self.error(format!("endRound: {e}")),
        }
    }

    /// The provider gives up on a bet: rolls it back until the wallet acknowledges.
    async fn roll_back(&mut self, bet_id: &str, round: &str, stake: i64) {
        let (rb_id, rollback) = self.rollback_of(bet_id, round, stake);
        match self.caller.send_retrying(&rollback).await {
            Ok(a) if a.failure.is_none() => {
                let refunded = self.played.ledger.rollback(&rb_id, bet_id, today());
                self.expected = self.expected.map(|e| e + refunded);
                self.check_balance(&a, "a rollback");
            }
            Ok(a) => self.error(format!("rollback refused: status {} ({:?})", a.status, a.failure)),
            Err(e) => {
                self.played.uncertain += 1;
                self.error(format!("rollback: {e}"));
            }
        }
        self.end_round(round).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_wallet::{self, PLAYER, TOKEN, Wallet};
    use provider_core::hub88::{Hub88Adapter, Hub88Client};
    use provider_core::pragmatic::{PragmaticAdapter, PragmaticClient};
    use provider_core::{ProviderAdapter, ProviderConfig};
    use std::sync::Mutex;

    fn key(name: &str) -> String {
        let path =
            format!("{}/../../crates/provider-core/tests/fixtures/hub88/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Plays `rounds` rounds, half of them with a fault, against the stand-in wallet;
    /// every answer is as expected, and the ledger equals the wallet's own books.
    async fn faults_leave_the_books_equal(protocol: Protocol, rounds: u64) {
        let config = ProviderConfig::default_for(protocol);
        let (adapter, client): (Arc<dyn ProviderAdapter>, Box<dyn ProviderClient>) = match protocol {
            Protocol::Hub88 => (
                Arc::new(Hub88Adapter::new(&key("provider_public"), &key("operator_private"), config).unwrap()),
                Box::new(Hub88Client::new(&key("provider_private"), &key("operator_public"), config).unwrap()),
            ),
            Protocol::Pragmatic => (
                Arc::new(PragmaticAdapter::new("sim-secret", config)),
                Box::new(PragmaticClient::new("sim-secret", "sim", config)),
            ),
        };
        let wallet = Arc::new(Mutex::new(Wallet::with_balance(100_000)));
        let url = fake_wallet::serve(adapter, wallet.clone()).await;
        let platform = Platform::new(&url, Duration::from_secs(5)).unwrap();
        let caller = Arc::new(Caller { platform, slug: "sim".into(), client });
        let table = Table {
            caller,
            player: Player {
                id: PLAYER.into(),
                currency: "EUR".into(),
                launch_token: TOKEN.into(),
                game_code: "sim_slot".into(),
            },
            min_bet: 10,
            max_bet: 1_000,
            fault_rate: 0.5,
            rng: Rng::new(42),
            expected: None,
            played: Played::default(),
        };
        let played = table.play(Arc::new(AtomicU64::new(0)), rounds).await;
        assert_eq!(played.errors, Vec::<String>::new());
        assert_eq!(played.rounds, rounds);
        assert_eq!(played.uncertain, 0);
        assert_eq!(played.faults.len(), Fault::ALL.len(), "{:?}", played.faults);
        let wallet = wallet.lock().unwrap();
        let report = wallet.report(chrono::Utc::now().date_naive());
        assert_eq!(crate::ledger::compare(&played.ledger.days(), &report), Ok(vec![]), "{report}");
        let day = played.ledger.days().into_values().next().unwrap_or_default();
        assert!(day.rolled_back_bets > 0 && day.tombstones > 0 && day.wins > 0, "{day:?}");
        assert_eq!(wallet.balance, 100_000 - day.bet_amount + day.win_amount);
    }

    #[tokio::test]
    async fn hub88_faults_leave_the_books_equal() {
        faults_leave_the_books_equal(Protocol::Hub88, 60).await;
    }

    #[tokio::test]
    async fn pragmatic_faults_leave_the_books_equal() {
        faults_leave_the_books_equal(Protocol::Pragmatic, 60).await;
    }
}
