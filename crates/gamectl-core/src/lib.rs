//! Game control: the operator's RTP targets and bet limits (changed for new rounds
//! only, every change audited) and the statistics that show whether each game pays
//! what its mathematics says, within a 99 % band computed from its own variance.

mod big_win;
mod search;

pub use big_win::BigWin;
pub use search::{PlayDay, RoundFilter, RoundOrder, SessionFilter, SessionOrder, SessionTotals};

use chrono::{DateTime, Utc};
use kernel::{AccountId, Rtp};
use serde::Serialize;
use std::future::Future;

/// Two-sided 99 % quantile of the standard normal distribution.
pub const Z99: f64 = 2.575_829_303_548_901;

/// The target of a game nobody has configured yet, in basis points (96.50 %).
pub const DEFAULT_TARGET_BP: u32 = 9_650;

/// The default target as an [`Rtp`].
pub fn default_target() -> Rtp {
    Rtp::from_bp(DEFAULT_TARGET_BP).unwrap_or_else(|_| unreachable!("96.50 is within 80–99"))
}

/// Every game's setting: the stored one, else the default (as of `since`).
pub fn with_defaults(slugs: &[&str], stored: &[RtpSetting], since: DateTime<Utc>) -> Vec<RtpSetting> {
    slugs
        .iter()
        .map(|slug| {
            stored.iter().find(|s| s.slug == *slug).cloned().unwrap_or_else(|| RtpSetting {
                slug: (*slug).to_owned(),
                target: default_target(),
                updated_at: since,
                updated_by: None,
            })
        })
        .collect()
}

/// A game's current RTP target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RtpSetting {
    pub slug: String,
    pub target: Rtp,
    pub updated_at: DateTime<Utc>,
    /// `None` for the catalogue default.
    pub updated_by: Option<AccountId>,
}

/// One change of a target, as audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RtpChange {
    pub slug: String,
    pub old: Rtp,
    pub new: Rtp,
    pub changed_by: AccountId,
    pub changed_at: DateTime<Utc>,
}

/// A game's bet limits in minor units: `1 <= min_bet <= max_bet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BetLimits {
    min_bet: i64,
    max_bet: i64,
}

/// Why bet limits were refused (`400 validation_error` on the named field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("min_bet must be at least 1 minor unit")]
    MinBelowOne,
    #[error("max_bet must be at least min_bet")]
    MaxBelowMin,
    #[error(
        "max_bet must be at most {ceiling}: a larger stake could win more than the largest amount the platform pays"
    )]
    AboveCeiling { ceiling: i64 },
}

impl LimitsError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            LimitsError::MinBelowOne => "min_bet",
            LimitsError::MaxBelowMin | LimitsError::AboveCeiling { .. } => "max_bet",
        }
    }
}

impl BetLimits {
    pub fn new(min_bet: i64, max_bet: i64) -> Result<Self, LimitsError> {
        if min_bet < 1 {
            return Err(LimitsError::MinBelowOne);
        }
        if max_bet < min_bet {
            return Err(LimitsError::MaxBelowMin);
        }
        Ok(Self { min_bet, max_bet })
    }

    /// These limits, if the game's math supports `max_bet` (`ceiling`: the largest stake
    /// whose best outcome still pays an amount).
    pub fn within(self, ceiling: i64) -> Result<Self, LimitsError> {
        if self.max_bet > ceiling { Err(LimitsError::AboveCeiling { ceiling }) } else { Ok(self) }
    }

    pub fn min_bet(self) -> i64 {
        self.min_bet
    }

    pub fn max_bet(self) -> i64 {
        self.max_bet
    }
}

/// A game's bet limits as the operator set them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitsSetting {
    pub slug: String,
    pub limits: BetLimits,
    pub updated_at: DateTime<Utc>,
    pub updated_by: AccountId,
}

/// One change of a game's limits, as audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitsChange {
    pub slug: String,
    pub old: BetLimits,
    pub new: BetLimits,
    pub changed_by: AccountId,
    pub changed_at: DateTime<Utc>,
}

/// Sums over a set of settled rounds. Each round contributes its stake `a`, payout,
/// the theoretical RTP `e` of its bet and the variance `v` of its return multiple.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct RoundTotals {
    pub rounds: i64,
    pub wagered: i64,
    pub paid: i64,
    /// Σ a·e
    pub weighted_expected: f64,
    /// Σ a²·v
    pub weighted_variance: f64,
}

impl RoundTotals {
    /// The totals of both sets of rounds; `None` when a count or a money sum would
    /// overflow (corrupt totals, never wrapped or clamped).
    pub fn checked_add(&self, other: &RoundTotals) -> Option<RoundTotals> {
        Some(RoundTotals {
            rounds: self.rounds.checked_add(other.rounds)?,
            wagered: self.wagered.checked_add(other.wagered)?,
            paid: self.paid.checked_add(other.paid)?,
            weighted_expected: self.weighted_expected + other.weighted_expected,
            weighted_variance: self.weighted_variance + other.weighted_variance,
        })
    }
}

/// How a game (or the platform) is paying against its theory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Deviation {
    /// Paid ÷ wagered, percent; `None` before the first round.
    pub actual_rtp: Option<f64>,
    /// The stake-weighted theoretical RTP of the rounds played, percent.
    pub expected_rtp: Option<f64>,
    pub deviation_pp: Option<f64>,
    pub ci99_low: Option<f64>,
    pub ci99_high: Option<f64>,
    pub out_of_band: bool,
}

impl Deviation {
    /// The actual RTP of `t` against the 99 % band around the expected RTP, with the
    /// standard error `sqrt(Σ a²·v) / Σ a` of the paid/wagered ratio.
    pub fn of(t: &RoundTotals) -> Self {
        if t.wagered <= 0 {
            return Deviation {
                actual_rtp: None,
                expected_rtp: None,
                deviation_pp: None,
                ci99_low: None,
                ci99_high: None,
                out_of_band: false,
            };
        }
        let w = t.wagered as f64;
        let actual = t.paid as f64 / w * 100.0;
        let expected = t.weighted_expected / w * 100.0;
        let half = Z99 * t.weighted_variance.max(0.0).sqrt() / w * 100.0;
        let (low, high) = (expected - half, expected + half);
        Deviation {
            actual_rtp: Some(actual),
            expected_rtp: Some(expected),
            deviation_pp: Some(actual - expected),
            ci99_low: Some(low),
            ci99_high: Some(high),
            out_of_band: actual < low || actual > high,
        }
    }
}

pub use kernel::StoreError;

/// Where targets and their audit trail live.
pub trait GameControlRepository: Send + Sync {
    /// The targets that have been set (games never changed keep their catalogue
    /// default and are absent).
    fn stored_targets(&self) -> impl Future<Output = Result<Vec<RtpSetting>, StoreError>> + Send;

    /// Sets `slug`'s target and appends the change (from the stored target, or from
    /// `default` when there is none) to the audit trail, atomically.
    fn set_target(
        &self,
        slug: &str,
        target: Rtp,
        default: Rtp,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<RtpChange, StoreError>> + Send;

    /// The audit trail, newest first.
    fn changes(&self, limit: i64) -> impl Future<Output = Result<Vec<RtpChange>, StoreError>> + Send;

    /// The bet limits operators have set (games never changed keep the catalogue's and
    /// are absent).
    fn stored_limits(&self) -> impl Future<Output = Result<Vec<LimitsSetting>, StoreError>> + Send;

    /// Sets `slug`'s limits and records the change (from the stored limits, or from
    /// `default` when there are none) in the audit log, atomically.
    fn set_limits(
        &self,
        slug: &str,
        limits: BetLimits,
        default: BetLimits,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<LimitsChange, StoreError>> + Send;
}

pub mod memory {
    //! An in-memory [`GameControlRepository`](super::GameControlRepository).

    use super::{
        BetLimits, DateTime, GameControlRepository, LimitsChange, LimitsSetting, Rtp, RtpChange, RtpSetting,
        StoreError, Utc,
    };
    use kernel::AccountId;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct State {
        targets: Vec<RtpSetting>,
        changes: Vec<RtpChange>,
        limits: Vec<LimitsSetting>,
    }

    #[derive(Clone, Default)]
    pub struct InMemoryGameControl(Arc<Mutex<State>>);

    impl InMemoryGameControl {
        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// Puts `setting` in place of the one for the same game (or adds it); the one it replaced.
    fn replace<T>(settings: &mut Vec<T>, slug: impl Fn(&T) -> &str, setting: T) -> Option<T> {
        match settings.iter_mut().find(|s| slug(s) == slug(&setting)) {
            Some(s) => Some(std::mem::replace(s, setting)),
            None => {
                settings.push(setting);
                None
            }
        }
    }

    impl GameControlRepository for InMemoryGameControl {
        async fn stored_targets(&self) -> Result<Vec<RtpSetting>, StoreError> {
            Ok(self.state().targets.clone())
        }

        async fn set_target(
            &self,
            slug: &str,
            target: Rtp,
            default: Rtp,
            actor: AccountId,
            at: DateTime<Utc>,
        ) -> Result<RtpChange, StoreError> {
            let mut state = self.state();
            let setting = RtpSetting { slug: slug.to_owned(), target, updated_at: at, updated_by: Some(actor) };
            let old = replace(&mut state.targets, |s| &s.slug, setting).map_or(default, |s| s.target);
            let change = RtpChange { slug: slug.to_owned(), old, new: target, changed_by: actor, changed_at: at };
            state.changes.push(change.clone());
            Ok(change)
        }

        async fn changes(&self, limit: i64) -> Result<Vec<RtpChange>, StoreError> {
            let state = self.state();
            Ok(state.changes.iter().rev().take(usize::try_from(limit).unwrap_or(0)).cloned().collect())
        }

        async fn stored_limits(&self) -> Result<Vec<LimitsSetting>, StoreError> {
            Ok(self.state().limits.clone())
        }

        async fn set_limits(
            &self,
            slug: &str,
            limits: BetLimits,
            default: BetLimits,
            actor: AccountId,
            at: DateTime<Utc>,
        ) -> Result<LimitsChange, StoreError> {
            let mut state = self.state();
            let setting = LimitsSetting { slug: slug.to_owned(), limits, updated_at: at, updated_by: actor };
            let old = replace(&mut state.limits, |s| &s.slug, setting).map_or(default, |s| s.limits);
            Ok(LimitsChange { slug: slug.to_owned(), old, new: limits, changed_by: actor, changed_at: at })
        }
    }
}

#[cfg(feature = "testkit")]
pub mod contract {
    //! The contract every [`GameControlRepository`] adapter must pass. `actor` must be
    //! an account the store knows; slugs are made unique per run.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::{BetLimits, GameControlRepository, Rtp};
    use chrono::{Duration, Utc};
    use kernel::AccountId;

    pub async fn run_all<R: GameControlRepository>(repo: &R, actor: AccountId, slug_prefix: &str) {
        let slug = format!("{slug_prefix}-game");
        let rtp = |bp| Rtp::from_bp(bp).unwrap();
        let t0 = kernel::clock::truncate_to_micros(Utc::now());
        assert!(repo.stored_targets().await.unwrap().iter().all(|s| s.slug != slug));
        let first = repo.set_target(&slug, rtp(9_000), rtp(9_650), actor, t0).await.unwrap();
        assert_eq!((first.old, first.new, first.changed_by), (rtp(9_650), rtp(9_000), actor));
        let second = repo.set_target(&slug, rtp(8_850), rtp(9_650), actor, t0 + Duration::seconds(1)).await.unwrap();
        assert_eq!(second.old, rtp(9_000), "the old value is the stored one, not the default");
        let stored = repo.stored_targets().await.unwrap();
        let s = stored.iter().find(|s| s.slug == slug).unwrap();
        assert_eq!((s.target, s.updated_by, s.updated_at), (rtp(8_850), Some(actor), t0 + Duration::seconds(1)));
        let changes: Vec<_> = repo.changes(1000).await.unwrap().into_iter().filter(|c| c.slug == slug).collect();
        assert_eq!(changes, vec![second, first], "newest first");

        // Bet limits: the first change starts from the default, the next from the stored.
        let limits = |min, max| BetLimits::new(min, max).unwrap();
        assert!(repo.stored_limits().await.unwrap().iter().all(|s| s.slug != slug));
        let first = repo.set_limits(&slug, limits(5, 500), limits(10, 1_000), actor, t0).await.unwrap();
        assert_eq!((first.old, first.new, first.changed_by), (limits(10, 1_000), limits(5, 500), actor));
        let later = t0 + Duration::seconds(2);
        let second = repo.set_limits(&slug, limits(1, 2_000), limits(10, 1_000), actor, later).await.unwrap();
        assert_eq!((second.old, second.new, second.changed_at), (limits(5, 500), limits(1, 2_000), later));
        let stored = repo.stored_limits().await.unwrap();
        let s = stored.iter().find(|s| s.slug == slug).unwrap();
        assert_eq!((s.limits, s.updated_by, s.updated_at), (limits(1, 2_000), actor, later));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "testkit")]
    #[tokio::test]
    async fn in_memory_game_control_passes_the_contract() {
        let repo = memory::InMemoryGameControl::default();
        contract::run_all(&repo, AccountId::from_uuid(Default::default()), "mem").await;
    }

    #[test]
    fn bet_limits_are_ordered_positive_and_within_what_the_math_pays() {
        assert_eq!(BetLimits::new(0, 10), Err(LimitsError::MinBelowOne));
        assert_eq!(BetLimits::new(10, 9), Err(LimitsError::MaxBelowMin));
        let l = BetLimits::new(1, 1).unwrap();
        assert_eq!((l.min_bet(), l.max_bet()), (1, 1));
        let l = BetLimits::new(10, 5_000_000).unwrap();
        assert_eq!(l.within(5_000_000), Ok(l));
        let e = l.within(4_999_999).unwrap_err();
        assert_eq!((e.field(), e.clone()), ("max_bet", LimitsError::AboveCeiling { ceiling: 4_999_999 }));
        assert!(e.to_string().contains("4999999"));
        assert_eq!(LimitsError::MinBelowOne.field(), "min_bet");
    }

    #[test]
    fn totals_add_up_and_refuse_to_overflow() {
        let a = RoundTotals { rounds: 2, wagered: 300, paid: 250, weighted_expected: 288.0, weighted_variance: 1.0 };
        let sum = a.checked_add(&a).unwrap();
        assert_eq!((sum.rounds, sum.wagered, sum.paid), (4, 600, 500));
        let full = RoundTotals { paid: i64::MAX, ..a };
        assert_eq!(full.checked_add(&a), None);
        assert_eq!(RoundTotals { rounds: i64::MAX, ..a }.checked_add(&a), None);
    }

    #[test]
    fn band_from_exact_variance() {
        // 10,000 rounds of 100 on a fair coin paying 2x at 96.5 %: e = 0.965, v = e·(1.93) − e².
        let (e, m) = (0.965, 1.93);
        let v = 0.5 * m * m - e * e;
        let n = 10_000.0;
        let t = RoundTotals {
            rounds: 10_000,
            wagered: 1_000_000,
            paid: 965_000,
            weighted_expected: 1_000_000.0 * e,
            weighted_variance: n * 100.0 * 100.0 * v,
        };
        let d = Deviation::of(&t);
        assert!((d.expected_rtp.unwrap() - 96.5).abs() < 1e-9);
        let half = Z99 * (v / n).sqrt() * 100.0;
        assert!((d.ci99_high.unwrap() - (96.5 + half)).abs() < 1e-9);
        assert!(!d.out_of_band);
        let high = RoundTotals { paid: 965_000 + (half / 100.0 * 1_000_000.0) as i64 + 1_000, ..t };
        assert!(Deviation::of(&high).out_of_band);
        assert!(!Deviation::of(&RoundTotals::default()).out_of_band);
        assert_eq!(Deviation::of(&RoundTotals::default()).actual_rtp, None);
    }
}
