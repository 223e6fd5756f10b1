//! Game control: the operator's RTP targets (changed for new rounds only, every
//! change audited) and the statistics that show whether each game pays what its
//! mathematics says, within a 99 % band computed from its own variance.

use chrono::{DateTime, Utc};
use kernel::{AccountId, Rtp};
use serde::Serialize;
use std::future::Future;

/// Two-sided 99 % quantile of the standard normal distribution.
pub const Z99: f64 = 2.575_829_303_548_901;

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
    pub fn add(&mut self, other: &RoundTotals) {
        self.rounds += other.rounds;
        self.wagered += other.wagered;
        self.paid += other.paid;
        self.weighted_expected += other.weighted_expected;
        self.weighted_variance += other.weighted_variance;
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

#[derive(Debug, thiserror::Error)]
#[error("game control store failure: {0}")]
pub struct StoreError(pub String);

#[derive(Debug, thiserror::Error)]
pub enum SetTargetError {
    /// No game with that slug. Nothing was written.
    #[error("unknown game")]
    UnknownGame,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where targets and their audit trail live.
pub trait GameControlRepository: Send + Sync {
    /// Every game's setting (games never changed carry their catalogue default).
    fn targets(&self) -> impl Future<Output = Result<Vec<RtpSetting>, StoreError>> + Send;

    /// Sets `slug`'s target and appends the change to the audit trail, atomically.
    fn set_target(
        &self,
        slug: &str,
        target: Rtp,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<RtpChange, SetTargetError>> + Send;

    /// The audit trail, newest first.
    fn changes(&self, limit: i64) -> impl Future<Output = Result<Vec<RtpChange>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

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
