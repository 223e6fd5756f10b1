//! The contract every [`RgRepository`] adapter must pass. The in-memory store runs it
//! in this crate; the application runs it on SQLite and PostgreSQL.
//!
//! Each case works on fresh players, so one store can serve all cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{
    DailyMinutes, DepositLimits, Exclusion, ExclusionKind, LimitState, PendingChange, RealityCheckMinutes,
    RgRepository, RgSettings, SessionLimits,
};
use chrono::{DateTime, Duration, Utc};
use kernel::{AccountId, Amount};
use std::future::Future;

/// Supplies players that the store under test knows about (e.g. with an account row
/// to reference), with no responsible-gaming settings saved yet.
pub trait Fixture: Send + Sync {
    type Repo: RgRepository + Clone + 'static;
    fn new_player(&self) -> impl Future<Output = AccountId> + Send;
}

/// A fixed instant with a microsecond part, so lost precision shows.
fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_767_225_600_123_457).unwrap()
}

fn amount(minor: i64) -> Option<Amount> {
    Some(Amount::new(minor).unwrap())
}

fn pending<T>(value: Option<T>, effective_at: DateTime<Utc>) -> Option<PendingChange<T>> {
    Some(PendingChange { value, effective_at })
}

/// Settings with every field set, and every kind of pending change.
pub fn everything_set() -> RgSettings {
    let t = t0();
    RgSettings {
        limits: DepositLimits {
            daily: LimitState { active: amount(1_000), pending: pending(amount(2_500), t + Duration::hours(24)) },
            weekly: LimitState { active: amount(5_000), pending: pending(None, t + Duration::hours(72)) },
            monthly: LimitState { active: amount(1_000_000_000_000), pending: None },
        },
        exclusion: Some(Exclusion {
            kind: ExclusionKind::Timeout,
            started_at: t - Duration::minutes(5),
            ends_at: Some(t + Duration::weeks(6)),
        }),
        session_limits: SessionLimits {
            daily_minutes: LimitState {
                active: DailyMinutes::new(1).ok(),
                pending: pending(DailyMinutes::new(1440).ok(), t + Duration::days(7)),
            },
            reality_check_minutes: LimitState {
                active: RealityCheckMinutes::new(240).ok(),
                pending: pending(None, t + Duration::microseconds(1)),
            },
        },
        last_reality_check_at: Some(t - Duration::microseconds(999)),
    }
}

/// Runs every case of the contract.
pub async fn run_all<F: Fixture>(fx: &F, repo: F::Repo) {
    unknown_players_have_the_defaults(fx, &repo).await;
    every_field_round_trips(fx, &repo).await;
    saving_replaces_the_whole_settings(fx, &repo).await;
    pending_changes_survive(fx, &repo).await;
    players_are_isolated(fx, &repo).await;
}

pub async fn unknown_players_have_the_defaults<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    assert_eq!(repo.load(p).await.unwrap(), RgSettings::default());
}

pub async fn every_field_round_trips<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let settings = everything_set();
    repo.save(p, settings).await.unwrap();
    assert_eq!(repo.load(p).await.unwrap(), settings);
    // Saving the same again is harmless.
    repo.save(p, settings).await.unwrap();
    assert_eq!(repo.load(p).await.unwrap(), settings);
}

pub async fn saving_replaces_the_whole_settings<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    repo.save(p, everything_set()).await.unwrap();
    // A permanent self-exclusion has no end, and other fields go back to nothing.
    let permanent = RgSettings {
        exclusion: Some(Exclusion { kind: ExclusionKind::SelfExclusion, started_at: t0(), ends_at: None }),
        ..RgSettings::default()
    };
    repo.save(p, permanent).await.unwrap();
    assert_eq!(repo.load(p).await.unwrap(), permanent);
    repo.save(p, RgSettings::default()).await.unwrap();
    assert_eq!(repo.load(p).await.unwrap(), RgSettings::default());
}

pub async fn pending_changes_survive<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let saved = everything_set();
    repo.save(p, saved).await.unwrap();
    let mut loaded = repo.load(p).await.unwrap();
    let due = saved.limits.daily.pending.unwrap().effective_at;
    assert!(!loaded.limits.daily.settle(due - Duration::microseconds(1)));
    assert!(loaded.limits.daily.settle(due));
    assert_eq!(loaded.limits.daily, LimitState { active: amount(2_500), pending: None });
    // Settled and saved, the change is applied for good.
    let mut settled = repo.load(p).await.unwrap();
    assert!(settled.settle(t0() + Duration::days(7)));
    repo.save(p, settled).await.unwrap();
    let reloaded = repo.load(p).await.unwrap();
    assert_eq!(reloaded, settled);
    assert_eq!(reloaded.limits.weekly, LimitState { active: None, pending: None });
    assert_eq!(reloaded.session_limits.daily_minutes.active, DailyMinutes::new(1440).ok());
    assert_eq!(reloaded.session_limits.reality_check_minutes, LimitState::default());
}

pub async fn players_are_isolated<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let q = fx.new_player().await;
    let mine = everything_set();
    repo.save(p, mine).await.unwrap();
    assert_eq!(repo.load(q).await.unwrap(), RgSettings::default());
    let theirs = RgSettings { last_reality_check_at: Some(t0()), ..RgSettings::default() };
    repo.save(q, theirs).await.unwrap();
    assert_eq!(repo.load(p).await.unwrap(), mine);
    assert_eq!(repo.load(q).await.unwrap(), theirs);
}
