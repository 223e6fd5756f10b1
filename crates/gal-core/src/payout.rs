//! From a multiplier to a payout in minor units, without bias at any stake.
//!
//! A round returns `x = amount × multiplier_micro / 10^6` minor units, which is rarely a
//! whole number. Rounding it down would cost the player up to one minor unit a round:
//! at a stake of 0.10 that is several percentage points of RTP. Instead the platform
//! pays `floor(x)`, plus one more minor unit with probability `frac(x)`, decided by one
//! more draw from the round's own provably fair stream, after the game's draws:
//! `u = uniform(1_000_000)`, and the extra unit is paid when `u < r`, where
//! `r = (amount × multiplier_micro) mod 10^6` is the fraction in millionths. So
//! `E[payout] = floor(x) + r / 10^6 = x` exactly, for every outcome and every stake: the
//! expected payout of a bet is `amount × E[M]`, whatever the stake. When `x` is whole
//! (`r = 0`) nothing is drawn. The draw is recorded with the game's draws, and anyone can
//! repeat it from the revealed seeds.

use crate::game::{Distribution, MICRO};
use crate::rng::RandomStream;
use serde::Serialize;

/// How a round's payout was rounded to a minor unit. Stored with each round, so that a
/// round is always verified by the rule it was played under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Rounded down (rounds played before unbiased rounding; never used for new rounds).
    Floor,
    /// `floor(x)` plus one minor unit with probability `frac(x)`, from one more draw.
    Unbiased,
}

impl Rounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Floor => "floor",
            Rounding::Unbiased => "unbiased",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "floor" => Some(Rounding::Floor),
            "unbiased" => Some(Rounding::Unbiased),
            _ => None,
        }
    }
}

/// The exact payout `amount × multiplier_micro / 10^6` of one outcome: its whole minor
/// units and the rest in millionths of a minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactPayout {
    pub whole: i64,
    /// `0..10^6`: the probability, in millionths, of one more minor unit.
    pub fraction_micro: u64,
}

impl ExactPayout {
    /// The exact payout of `amount` at `multiplier_micro` (saturating far beyond any
    /// amount the platform accepts).
    pub fn of(amount: i64, multiplier_micro: u64) -> Self {
        let product = u128::try_from(amount).unwrap_or(0) * u128::from(multiplier_micro);
        let micro = u128::from(MICRO);
        Self {
            whole: i64::try_from(product / micro).unwrap_or(i64::MAX),
            // Below 10^6, so it fits.
            fraction_micro: (product % micro) as u64,
        }
    }

    /// The payout when the rounding draw came out as `draw` (in `0..10^6`).
    pub fn resolve(self, draw: u64) -> i64 {
        if draw < self.fraction_micro { self.whole.saturating_add(1) } else { self.whole }
    }

    /// Settles the payout by `rounding`, drawing from `rng` when the rule needs a draw
    /// (unbiased rounding of a payout that is not whole).
    pub fn settle(self, rounding: Rounding, rng: &mut RandomStream) -> i64 {
        match rounding {
            Rounding::Floor => self.whole,
            Rounding::Unbiased if self.fraction_micro == 0 => self.whole,
            Rounding::Unbiased => self.resolve(rng.uniform(MICRO)),
        }
    }
}

/// The exact figures of one bet at one stake, rounding included, in minor units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StakeTheory {
    /// `E[payout]`.
    pub expected_payout: f64,
    /// `Var[payout]`: the multiplier's spread times `amount²`, plus the rounding draw's.
    pub variance: f64,
}

impl Distribution {
    /// The expected payout of `amount` with unbiased rounding, as the exact fraction
    /// `numerator / (total × 10^6)` minor units: `numerator = Σ weight × (whole × 10^6 +
    /// fraction_micro)` over the outcomes, where `fraction_micro` of the 10^6 equally
    /// likely rounding draws pay one unit more. `None` if it does not fit in a `u128`.
    pub fn expected_payout_numerator(&self, amount: i64) -> Option<u128> {
        self.outcomes().iter().try_fold(0u128, |sum, &(weight, micro)| {
            let p = ExactPayout::of(amount, micro);
            let per_draws =
                u128::try_from(p.whole).ok()?.checked_mul(u128::from(MICRO))? + u128::from(p.fraction_micro);
            sum.checked_add(weight.checked_mul(per_draws)?)
        })
    }

    /// The exact figures of a bet of `amount` with unbiased rounding. The rounding draw
    /// adds no bias, only the variance `q(1 − q)` of a coin with `P(extra unit) = q`.
    pub fn at_stake(&self, amount: i64) -> StakeTheory {
        let total = self.total() as f64;
        let theory = self.theory();
        let a = amount as f64;
        let expected_payout = match self.expected_payout_numerator(amount) {
            Some(n) => n as f64 / total / MICRO as f64,
            None => a * theory.rtp,
        };
        let rounding: f64 = self
            .outcomes()
            .iter()
            .map(|&(weight, micro)| {
                let q = ExactPayout::of(amount, micro).fraction_micro as f64 / MICRO as f64;
                weight as f64 / total * q * (1.0 - q)
            })
            .sum();
        StakeTheory { expected_payout, variance: a * a * theory.variance + rounding }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{ClientSeed, Draw, ServerSeed};

    fn stream(nonce: u64) -> RandomStream {
        RandomStream::new(&ServerSeed::from_bytes([3; 32]), &ClientSeed::parse("rounding").unwrap(), nonce)
    }

    #[test]
    fn the_exact_payout_splits_into_whole_units_and_millionths() {
        assert_eq!(ExactPayout::of(100, 1_980_000), ExactPayout { whole: 198, fraction_micro: 0 });
        assert_eq!(ExactPayout::of(3, 1_500_000), ExactPayout { whole: 4, fraction_micro: 500_000 });
        assert_eq!(ExactPayout::of(7, 333_333), ExactPayout { whole: 2, fraction_micro: 333_331 });
        assert_eq!(ExactPayout::of(1, 1_930_000), ExactPayout { whole: 1, fraction_micro: 930_000 });
        assert_eq!(ExactPayout::of(10, 0), ExactPayout { whole: 0, fraction_micro: 0 });
        assert_eq!(ExactPayout::of(i64::MAX, u64::MAX).whole, i64::MAX, "saturates instead of wrapping");
    }

    #[test]
    fn exactly_fraction_of_the_rounding_draws_pay_one_unit_more() {
        for (amount, micro) in [(1, 1_930_000), (7, 333_333), (10, 35_705_000), (99, 1_010_000), (3, 1)] {
            let p = ExactPayout::of(amount, micro);
            let ups = (0..MICRO).filter(|&u| p.resolve(u) == p.whole + 1).count() as u64;
            assert_eq!(ups, p.fraction_micro, "{amount} × {micro}");
            assert!((0..MICRO).all(|u| p.resolve(u) - p.whole <= 1));
        }
    }

    #[test]
    fn a_fractional_payout_takes_one_more_draw_and_a_whole_one_none() {
        let mut rng = stream(0);
        let whole = ExactPayout::of(100, 1_930_000);
        assert_eq!(whole.settle(Rounding::Unbiased, &mut rng), 193);
        assert!(rng.draws().is_empty());

        let fractional = ExactPayout::of(1, 1_930_000);
        let paid = fractional.settle(Rounding::Unbiased, &mut rng);
        let mut raw = stream(0);
        let u = raw.uniform(MICRO);
        assert_eq!(rng.draws(), &[Draw { n: MICRO, value: u }]);
        assert_eq!(paid, if u < 930_000 { 2 } else { 1 });

        let mut floor = stream(0);
        assert_eq!(fractional.settle(Rounding::Floor, &mut floor), 1);
        assert!(floor.draws().is_empty(), "legacy rounds drew nothing to round");
        assert_eq!(Rounding::parse(Rounding::Unbiased.as_str()), Some(Rounding::Unbiased));
        assert_eq!(Rounding::parse(Rounding::Floor.as_str()), Some(Rounding::Floor));
        assert_eq!(Rounding::parse("up"), None);
    }

    #[test]
    fn at_stake_the_expectation_is_exact_and_the_rounding_adds_its_variance() {
        // A coin paying 1.93x at a stake of 1: 1 or 2 units on a win.
        let coin = Distribution::new([(1, 1_930_000), (1, 0)]);
        assert_eq!(coin.expected_payout_numerator(1), Some(1_930_000));
        let t = coin.at_stake(1);
        assert!((t.expected_payout - 0.965).abs() < 1e-15);
        // E[P²] = ½(0.07·1 + 0.93·4) = 1.895, so Var = 1.895 − 0.965².
        assert!((t.variance - (1.895 - 0.965 * 0.965)).abs() < 1e-12, "{}", t.variance);
        // A whole payout adds nothing to the multiplier's own variance.
        let t = coin.at_stake(100);
        assert!((t.variance - 100.0 * 100.0 * coin.theory().variance).abs() < 1e-9);
    }

    #[test]
    fn simulated_payouts_at_one_minor_unit_match_the_exact_expectation() {
        let coin = Distribution::new([(1, 1_930_000), (1, 0)]);
        let t = coin.at_stake(1);
        let n = 200_000u64;
        let paid: i64 = (0..n)
            .map(|nonce| {
                let mut rng = stream(nonce);
                let m = if rng.uniform(2) == 0 { 1_930_000 } else { 0 };
                ExactPayout::of(1, m).settle(Rounding::Unbiased, &mut rng)
            })
            .sum();
        let mean = paid as f64 / n as f64;
        let half = 2.575_829 * (t.variance / n as f64).sqrt();
        assert!((mean - t.expected_payout).abs() <= half, "{mean} vs {} ± {half}", t.expected_payout);
        // Rounding down would have paid 0.5 a round: far outside the band.
        assert!((0.5 - t.expected_payout).abs() > 10.0 * half);
    }
}
