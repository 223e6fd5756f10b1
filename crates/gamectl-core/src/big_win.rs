//! Big wins: rounds the back office flags for a second look (a fraud or a fault shows
//! first as an outsized payout).

/// Millionths per unit of a multiplier, as rounds store it.
const MICRO: u64 = 1_000_000;

/// The thresholds: a round whose multiplier or payout reaches either is a big win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigWin {
    /// Whole multiples of the stake (350 = 350×).
    pub multiplier: u64,
    /// Minor units of the wallet's currency.
    pub payout: i64,
}

impl Default for BigWin {
    /// 350× the stake, or 40,000.00.
    fn default() -> Self {
        BigWin { multiplier: 350, payout: 4_000_000 }
    }
}

impl BigWin {
    /// The multiplier threshold in millionths of the stake.
    pub fn multiplier_micro(self) -> u64 {
        self.multiplier.saturating_mul(MICRO)
    }

    /// Whether a round that returned `multiplier_micro` millionths of its stake and paid
    /// `payout` minor units is a big win.
    pub fn flags(self, multiplier_micro: u64, payout: i64) -> bool {
        multiplier_micro >= self.multiplier_micro() || payout >= self.payout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_threshold_reached_flags_the_round() {
        let rule = BigWin::default();
        let cases = [
            // (multiplier in millionths, payout, flagged)
            (349_999_999, 3_999_999, false),
            (350_000_000, 100, true),
            (2_000_000, 4_000_000, true),
            (0, 0, false),
            (1_000_000_000, 10, true),
        ];
        for (m, payout, flagged) in cases {
            assert_eq!(rule.flags(m, payout), flagged, "{m} {payout}");
        }
        let strict = BigWin { multiplier: 2, payout: 500 };
        assert!(strict.flags(2_000_000, 1) && strict.flags(1, 500) && !strict.flags(1_999_999, 499));
    }
}
