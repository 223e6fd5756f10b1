//! What the bots did, counted as they go: lock-free totals overall and per profile,
//! refusals and errors by code, and one record per bot.

use super::{BotReport, Profile, Totals};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many distinct error messages the report quotes.
const MAX_SAMPLES: usize = 10;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    players: AtomicU64,
    rounds: AtomicU64,
    provider_rounds: AtomicU64,
    wagered: AtomicU64,
    paid: AtomicU64,
    deposits: AtomicU64,
    deposited: AtomicU64,
    withdrawals: AtomicU64,
    withdrawn: AtomicU64,
    requests: AtomicU64,
    refusals: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn totals(&self) -> Totals {
        Totals {
            players: self.players.load(Relaxed),
            rounds: self.rounds.load(Relaxed),
            provider_rounds: self.provider_rounds.load(Relaxed),
            wagered: self.wagered.load(Relaxed),
            paid: self.paid.load(Relaxed),
            deposits: self.deposits.load(Relaxed),
            deposited: self.deposited.load(Relaxed),
            withdrawals: self.withdrawals.load(Relaxed),
            withdrawn: self.withdrawn.load(Relaxed),
            requests: self.requests.load(Relaxed),
            refusals: self.refusals.load(Relaxed),
            errors: self.errors.load(Relaxed),
        }
    }
}

fn minor(amount: i64) -> u64 {
    u64::try_from(amount).unwrap_or(0)
}

/// Everything the bots of one run share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    total: Counters,
    per_profile: [Counters; 6],
    /// Expected refusals by problem `code`.
    refusals: Mutex<BTreeMap<String, u64>>,
    /// Unexpected answers by `<what> <status> <code>`.
    errors: Mutex<BTreeMap<String, u64>>,
    samples: Mutex<Vec<String>>,
    active: AtomicU64,
    /// Every bot's record (kept by finite runs for the report).
    bots: Mutex<Vec<Arc<Mutex<BotReport>>>>,
}

impl Shared {
    fn both(&self, profile: Profile, f: impl Fn(&Counters)) {
        f(&self.total);
        if let Some(c) = self.per_profile.get(profile.index()) {
            f(c);
        }
    }

    pub(crate) fn registered(&self, profile: Profile) {
        self.both(profile, |c| {
            c.players.fetch_add(1, Relaxed);
        });
    }

    pub(crate) fn request(&self, profile: Profile) {
        self.both(profile, |c| {
            c.requests.fetch_add(1, Relaxed);
        });
    }

    /// A round (`third_party`: of the studio's game, played by its calls).
    pub(crate) fn round(&self, profile: Profile, amount: i64, payout: i64, third_party: bool) {
        self.both(profile, |c| {
            c.rounds.fetch_add(1, Relaxed);
            c.provider_rounds.fetch_add(u64::from(third_party), Relaxed);
            c.wagered.fetch_add(minor(amount), Relaxed);
            c.paid.fetch_add(minor(payout), Relaxed);
        });
    }

    pub(crate) fn deposit(&self, profile: Profile, amount: i64) {
        self.both(profile, |c| {
            c.deposits.fetch_add(1, Relaxed);
            c.deposited.fetch_add(minor(amount), Relaxed);
        });
    }

    pub(crate) fn withdrawal(&self, profile: Profile, amount: i64) {
        self.both(profile, |c| {
            c.withdrawals.fetch_add(1, Relaxed);
            c.withdrawn.fetch_add(minor(amount), Relaxed);
        });
    }

    pub(crate) fn refusal(&self, profile: Profile, code: &str) {
        self.both(profile, |c| {
            c.refusals.fetch_add(1, Relaxed);
        });
        *lock(&self.refusals).entry(code.to_owned()).or_default() += 1;
    }

    pub(crate) fn error(&self, profile: Profile, key: String, sample: String) {
        self.both(profile, |c| {
            c.errors.fetch_add(1, Relaxed);
        });
        *lock(&self.errors).entry(key).or_default() += 1;
        let mut samples = lock(&self.samples);
        if samples.len() < MAX_SAMPLES && !samples.contains(&sample) {
            samples.push(sample);
        }
    }

    /// An error no bot can be blamed for (a bot task that panicked).
    pub(crate) fn unattributed_error(&self, key: String, sample: String) {
        self.total.errors.fetch_add(1, Relaxed);
        *lock(&self.errors).entry(key).or_default() += 1;
        let mut samples = lock(&self.samples);
        if samples.len() < MAX_SAMPLES && !samples.contains(&sample) {
            samples.push(sample);
        }
    }

    pub(crate) fn started(&self) {
        self.active.fetch_add(1, Relaxed);
    }

    pub(crate) fn ended(&self) {
        self.active.fetch_sub(1, Relaxed);
    }

    pub(crate) fn active(&self) -> u64 {
        self.active.load(Relaxed)
    }

    pub(crate) fn keep(&self, bot: Arc<Mutex<BotReport>>) {
        lock(&self.bots).push(bot);
    }

    pub(crate) fn totals(&self) -> Totals {
        self.total.totals()
    }

    pub(crate) fn per_profile(&self) -> Vec<(Profile, Totals)> {
        Profile::ALL.iter().map(|p| (*p, self.per_profile[p.index()].totals())).collect()
    }

    pub(crate) fn refusals(&self) -> BTreeMap<String, u64> {
        lock(&self.refusals).clone()
    }

    pub(crate) fn errors(&self) -> BTreeMap<String, u64> {
        lock(&self.errors).clone()
    }

    pub(crate) fn samples(&self) -> Vec<String> {
        lock(&self.samples).clone()
    }

    pub(crate) fn bots(&self) -> Vec<BotReport> {
        lock(&self.bots).iter().map(|b| lock(b).clone()).collect()
    }
}

/// Keeps the active-bot count right however a bot's task ends (also when aborted).
pub(crate) struct ActiveGuard(pub(crate) Arc<Shared>);

impl ActiveGuard {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        shared.started();
        Self(shared)
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.ended();
    }
}
