//! What every game is: a pure function of (RTP target, bet parameters, random
//! stream) with exactly computed theory.

use crate::rng::RandomStream;
pub use kernel::{Rtp, RtpError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Multipliers are integers of millionths: `2_000_000` pays twice the stake.
pub const MICRO: u64 = 1_000_000;

/// Rounding a payout down costs the player less than one minor unit per paying round,
/// so less than `P(payout > 0) / stake` of the stake. Every game's `min_bet` is at least
/// `P(payout > 0) * 10^4`, which keeps that cost below 0.01 percentage points.
pub const ROUNDING_BOUND_FACTOR: f64 = 10_000.0;

/// `base_micro` scaled so that a paytable whose RTP is `base_rtp` (a fraction) at
/// `base_micro` returns `target` instead, rounded to the nearest millionth.
pub fn scale(base_micro: u64, base_rtp: f64, target: Rtp) -> u64 {
    (base_micro as f64 * target.fraction() / base_rtp).round() as u64
}

/// The payout of a round: the stake times the multiplier, rounded down.
pub fn payout(amount: i64, multiplier_micro: u64) -> i64 {
    let p = u128::try_from(amount).unwrap_or(0) * u128::from(multiplier_micro) / u128::from(MICRO);
    i64::try_from(p).unwrap_or(i64::MAX)
}

/// The outcome of one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Return multiple in millionths (0 for a loss).
    pub multiplier_micro: u64,
    /// What happened, in the game's own terms (roll, pockets, reels, hits, …).
    pub detail: Value,
}

/// The exact distribution figures of the return multiple `M` of one bet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theory {
    /// `E[M]`: the theoretical RTP as a fraction.
    pub rtp: f64,
    /// `Var[M]`.
    pub variance: f64,
    /// `P(M > 0)`.
    pub win_probability: f64,
}

impl Theory {
    /// The theory of a distribution given as `(probability, multiplier_micro)` pairs.
    pub fn of(dist: impl IntoIterator<Item = (f64, u64)>) -> Self {
        let (mut m1, mut m2, mut win) = (0.0, 0.0, 0.0);
        for (p, micro) in dist {
            let m = micro as f64 / MICRO as f64;
            m1 += p * m;
            m2 += p * m * m;
            if micro > 0 {
                win += p;
            }
        }
        Theory { rtp: m1, variance: (m2 - m1 * m1).max(0.0), win_probability: win }
    }
}

/// Invalid bet parameters (`400 validation_error`, nothing written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("params.{field}: {message}")]
pub struct ParamsError {
    pub field: String,
    pub message: String,
}

impl ParamsError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// Parses a game's typed parameters, naming the offending field on failure.
pub fn parse_params<T: DeserializeOwned>(params: &Value) -> Result<T, ParamsError> {
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "params".to_owned() } else { path };
        ParamsError { field, message: e.into_inner().to_string() }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GameKind {
    Dice,
    Table,
    Slot,
    Lottery,
    Arcade,
    Crash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Low,
    Medium,
    High,
}

/// A game's catalogue entry.
#[derive(Debug, Clone, Serialize)]
pub struct GameInfo {
    pub slug: &'static str,
    pub name: &'static str,
    pub provider: &'static str,
    pub kind: GameKind,
    pub volatility: Volatility,
    /// Minor units.
    pub min_bet: i64,
    /// Minor units.
    pub max_bet: i64,
    /// The bet parameters, in words.
    pub params_help: &'static str,
}

/// A game: a pure function of (RTP target, bet parameters, random stream).
///
/// Implementations MUST draw only through `rng`, MUST NOT depend on anything but
/// their arguments (no history: compensated games are forbidden), and their `theory`
/// MUST be the exact distribution `play` realises.
pub trait Game: Send + Sync {
    fn info(&self) -> GameInfo;
    /// Typical bet parameters, for the catalogue's figures.
    fn default_params(&self) -> Value;
    /// Validates `params` without playing.
    fn validate(&self, params: &Value) -> Result<(), ParamsError>;
    /// The exact theory of a bet with `params` at `rtp`.
    fn theory(&self, rtp: Rtp, params: &Value) -> Result<Theory, ParamsError>;
    /// Plays one round.
    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payouts_round_down() {
        assert_eq!(payout(100, 1_980_000), 198);
        assert_eq!(payout(3, 1_500_000), 4);
        assert_eq!(payout(7, 333_333), 2);
        assert_eq!(payout(1_000_000_000_000, 1_000_000 * 1_000_000), 1_000_000_000_000_000_000);
        assert_eq!(payout(i64::MAX, u64::MAX), i64::MAX, "saturates instead of wrapping");
    }
}
