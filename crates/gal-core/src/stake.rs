//! Which bets a round accepts: the stake within the game's limits and any cap the
//! player's jurisdiction puts on it, and only bet options that can be won.
//!
//! Pure decisions over plain values: the limits, the cap and the distribution come in
//! as arguments; a refusal says why in words a player can act on.

use crate::game::{Distribution, Game, MICRO};
use kernel::{MAX_AMOUNT, Rtp};

/// A cap on the stake of one game cycle that a jurisdiction puts on the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeCap {
    /// Minor units.
    pub max_stake: i64,
    /// The rule, in words, for refusals and the catalogue.
    pub rule: String,
}

/// Every rule on the stake of one bet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeRules {
    /// The game's limits (the operator's, else the catalogue's), minor units.
    pub min_bet: i64,
    pub max_bet: i64,
    /// The jurisdiction's cap for this player and game, if any.
    pub cap: Option<StakeCap>,
}

impl StakeRules {
    /// The largest stake allowed, and the cap's rule when the cap is what sets it.
    pub fn max_stake(&self) -> (i64, Option<&str>) {
        match &self.cap {
            Some(cap) if cap.max_stake < self.max_bet => (cap.max_stake, Some(cap.rule.as_str())),
            _ => (self.max_bet, None),
        }
    }
}

/// Why a bet is refused (`422 bet_out_of_range`); nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakeRefusal {
    #[error("amount must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("amount {amount} is above {max}, the most one game cycle may stake under the rule: {rule}")]
    AboveCap { amount: i64, max: i64, rule: String },
    #[error(
        "this bet is not offered at the game's RTP target of {rtp} %: its best outcome would return {best:.6}x, \
         less than the stake (GET /gal/games lists the accepted_params)",
        rtp = rtp.percent(),
        best = *best_micro as f64 / MICRO as f64
    )]
    NotOffered { best_micro: u64, rtp: Rtp },
}

/// Checks `amount` against the limits and the cap.
pub fn check_stake(amount: i64, rules: &StakeRules) -> Result<(), StakeRefusal> {
    let (max, rule) = rules.max_stake();
    match rule {
        Some(rule) if amount > max => Err(StakeRefusal::AboveCap { amount, max, rule: rule.to_owned() }),
        _ if amount < rules.min_bet || amount > max => Err(StakeRefusal::OutOfRange { min: rules.min_bet, max }),
        _ => Ok(()),
    }
}

/// A bet whose best outcome returns less than the stake cannot be won: every "win"
/// would be a loss dressed up as one (UKGC RTS 14), so it is not offered. Which bets
/// that excludes narrows as the target falls (dice: no chance above the target).
pub fn check_offered(distribution: &Distribution, rtp: Rtp) -> Result<(), StakeRefusal> {
    let best_micro = distribution.best_multiplier();
    if best_micro < MICRO { Err(StakeRefusal::NotOffered { best_micro, rtp }) } else { Ok(()) }
}

/// The largest stake `game`'s math supports: its best outcome at any target must still
/// pay an amount (at most 10^12 minor units).
pub fn max_stake_supported(game: &dyn Game) -> i64 {
    let top = u128::from(game.top_multiplier().max(1));
    let max = u128::try_from(MAX_AMOUNT).unwrap_or(0) * u128::from(MICRO) / top;
    i64::try_from(max).unwrap_or(MAX_AMOUNT).min(MAX_AMOUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(min_bet: i64, max_bet: i64, cap: Option<i64>) -> StakeRules {
        StakeRules {
            min_bet,
            max_bet,
            cap: cap.map(|max_stake| StakeCap { max_stake, rule: "GB online slots, ages 18 to 24".into() }),
        }
    }

    #[test]
    fn stakes_inside_the_limits_pass() {
        for amount in [1, 7, 10, 10_000_000] {
            assert_eq!(check_stake(amount, &rules(1, 10_000_000, None)), Ok(()));
        }
        assert_eq!(check_stake(0, &rules(1, 100, None)), Err(StakeRefusal::OutOfRange { min: 1, max: 100 }));
        assert_eq!(check_stake(101, &rules(1, 100, None)), Err(StakeRefusal::OutOfRange { min: 1, max: 100 }));
        assert_eq!(check_stake(9, &rules(10, 100, None)), Err(StakeRefusal::OutOfRange { min: 10, max: 100 }));
    }

    #[test]
    fn a_cap_below_the_maximum_binds_and_is_named() {
        let r = rules(10, 10_000_000, Some(200));
        assert_eq!(r.max_stake(), (200, Some("GB online slots, ages 18 to 24")));
        assert_eq!(check_stake(200, &r), Ok(()));
        let refused = check_stake(201, &r).unwrap_err();
        assert_eq!(
            refused,
            StakeRefusal::AboveCap { amount: 201, max: 200, rule: "GB online slots, ages 18 to 24".into() }
        );
        assert!(refused.to_string().contains("GB online slots, ages 18 to 24"), "{refused}");
        assert_eq!(check_stake(5, &r), Err(StakeRefusal::OutOfRange { min: 10, max: 200 }));
        // A cap above the game's own maximum changes nothing.
        let loose = rules(10, 100, Some(500));
        assert_eq!(loose.max_stake(), (100, None));
        assert_eq!(check_stake(101, &loose), Err(StakeRefusal::OutOfRange { min: 10, max: 100 }));
    }

    #[test]
    fn a_bet_that_cannot_return_the_stake_is_not_offered() {
        let rtp = Rtp::from_bp(8_000).unwrap();
        // A 98 % chance paying 0.816x: every "win" loses money.
        let losing_win = Distribution::new([(98, 816_327), (2, 0)]);
        let refused = check_offered(&losing_win, rtp).unwrap_err();
        assert_eq!(refused, StakeRefusal::NotOffered { best_micro: 816_327, rtp });
        assert!(refused.to_string().contains("0.816327x"), "{refused}");
        assert_eq!(check_offered(&Distribution::new([(80, 1_000_000), (20, 0)]), rtp), Ok(()));
        // Plinko-like: some outcomes return less than the stake, the best much more.
        assert_eq!(check_offered(&Distribution::new([(1, 300_000), (1, 5_600_000)]), rtp), Ok(()));
    }
}
