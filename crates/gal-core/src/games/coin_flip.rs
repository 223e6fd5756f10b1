//! Coin flip: heads or tails.

use crate::game::{Distribution, Game, GameInfo, GameKind, Outcome, ParamsError, Rtp, Volatility, parse_params};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};

/// Coin flip. One draw: `uniform(2)`, 0 = heads, 1 = tails. Params `{"side": "heads" |
/// "tails"}`. A win returns `rtp_bp * 200` millionths (2 × RTP) of the stake.
pub struct CoinFlip;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Side {
    Heads,
    Tails,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    side: Side,
}

fn multiplier(rtp: Rtp) -> u64 {
    u64::from(rtp.bp()) * 200
}

impl Game for CoinFlip {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "coin-flip",
            name: "Coin Flip",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Arcade,
            volatility: Volatility::Low,
            min_bet: 1,
            max_bet: 10_000_000,
            params_help: "side: heads|tails",
        }
    }

    fn default_params(&self) -> Value {
        json!({"side": "heads"})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        parse_params::<Params>(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        parse_params::<Params>(params)?;
        Ok(Distribution::new([(1, multiplier(rtp)), (1, 0)]))
    }

    fn top_multiplier(&self) -> u64 {
        multiplier(Rtp::MAX)
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({"side": ["heads", "tails"]})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let p: Params = parse_params(params)?;
        let side = if rng.uniform(2) == 0 { Side::Heads } else { Side::Tails };
        let won = side == p.side;
        Ok(Outcome {
            multiplier_micro: if won { multiplier(rtp) } else { 0 },
            detail: json!({"side": if side == Side::Heads { "heads" } else { "tails" }, "won": won}),
        })
    }
}
