//! Settling a round: from the seed pair, the game at its RTP target, the bet
//! parameters and the stake to the outcome, the payout and the round's audit figures.
//! Pure: the same inputs always settle the same way (that is what makes it provably fair).

use crate::game::{Game, Outcome, ParamsError, Rtp, Theory};
use crate::payout::{ExactPayout, Rounding, StakeTheory};
use crate::rng::{ClientSeed, Draw, RandomStream, ServerSeed};
use crate::stake::{StakeRefusal, check_offered};
use kernel::Amount;
use serde_json::Value;

/// What a round draws from: the player's seed pair at its next nonce.
#[derive(Clone, Copy)]
pub struct Seeds<'a> {
    pub server_seed: &'a ServerSeed,
    pub client_seed: &'a ClientSeed,
    pub nonce: u64,
}

/// A settled round.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub outcome: Outcome,
    /// Minor units paid: the stake times the multiplier, rounded without bias.
    pub payout: i64,
    /// How the payout was rounded (always [`Rounding::Unbiased`] for new rounds).
    pub rounding: Rounding,
    /// Every uniform draw the round made, in order.
    pub draws: Vec<Draw>,
    /// The game's figures at this target and these parameters.
    pub theory: Theory,
    /// The payout's own figures at this stake, rounding included.
    pub at_stake: StakeTheory,
}

/// Why a round cannot be settled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettleError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The bet is not offered at this target (its best outcome would not return the stake).
    #[error(transparent)]
    Stake(#[from] StakeRefusal),
}

/// Plays `game` at `rtp` with `params` for `stake` from `seeds`.
pub fn settle(
    game: &dyn Game,
    rtp: Rtp,
    params: &Value,
    stake: Amount,
    seeds: Seeds<'_>,
) -> Result<Settlement, SettleError> {
    let distribution = game.distribution(rtp, params)?;
    check_offered(&distribution, rtp)?;
    let amount = stake.minor_units();
    let (theory, at_stake) = (distribution.theory(), distribution.at_stake(amount));
    let mut rng = RandomStream::new(seeds.server_seed, seeds.client_seed, seeds.nonce);
    let outcome = game.play(rtp, params, &mut rng)?;
    let rounding = Rounding::Unbiased;
    let payout = ExactPayout::of(amount, outcome.multiplier_micro).settle(rounding, &mut rng);
    Ok(Settlement { outcome, payout, rounding, draws: rng.draws().to_vec(), theory, at_stake })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;
    use serde_json::json;

    fn seeds<'a>(server: &'a ServerSeed, client: &'a ClientSeed, nonce: u64) -> Seeds<'a> {
        Seeds { server_seed: server, client_seed: client, nonce }
    }

    #[test]
    fn a_settlement_is_a_pure_function_of_its_inputs_and_replays_from_its_draws() {
        let catalogue = Catalogue::standard();
        let dice = catalogue.get("dice").unwrap();
        let (server, client) = (ServerSeed::from_bytes([3; 32]), ClientSeed::parse("player").unwrap());
        let rtp = Rtp::from_bp(9_650).unwrap();
        let params = dice.default_params();
        let stake = Amount::new(1_000).unwrap();
        let a = settle(dice, rtp, &params, stake, seeds(&server, &client, 7)).unwrap();
        assert_eq!(settle(dice, rtp, &params, stake, seeds(&server, &client, 7)).unwrap(), a);
        // The same draws, recomputed by hand, give the same outcome and payout.
        let mut rng = RandomStream::new(&server, &client, 7);
        let outcome = dice.play(rtp, &params, &mut rng).unwrap();
        assert_eq!(outcome, a.outcome);
        assert_eq!(ExactPayout::of(1_000, outcome.multiplier_micro).settle(Rounding::Unbiased, &mut rng), a.payout);
        assert_eq!(rng.draws(), a.draws.as_slice());
        // Over nonces the outcomes differ.
        let outcomes: std::collections::HashSet<String> = (0..20)
            .map(|n| settle(dice, rtp, &params, stake, seeds(&server, &client, n)).unwrap().outcome.detail.to_string())
            .collect();
        assert!(outcomes.len() > 1);
    }

    #[test]
    fn bad_parameters_and_bets_not_offered_are_refused() {
        let catalogue = Catalogue::standard();
        let dice = catalogue.get("dice").unwrap();
        let (server, client) = (ServerSeed::from_bytes([3; 32]), ClientSeed::parse("player").unwrap());
        let stake = Amount::new(100).unwrap();
        let rtp = Rtp::from_bp(9_650).unwrap();
        let bad = settle(dice, rtp, &json!({"target": "x"}), stake, seeds(&server, &client, 0));
        assert!(matches!(bad, Err(SettleError::Params(_))), "{bad:?}");
        // A 98 % win chance cannot return the stake at a 96.5 % target.
        let greedy = json!({"target": 9_800, "direction": "under"});
        let refused = settle(dice, rtp, &greedy, stake, seeds(&server, &client, 0));
        assert!(matches!(refused, Err(SettleError::Stake(StakeRefusal::NotOffered { .. }))), "{refused:?}");
        assert!(settle(dice, Rtp::from_bp(9_900).unwrap(), &greedy, stake, seeds(&server, &client, 0)).is_ok());
    }
}
