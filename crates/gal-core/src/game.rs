//! What every game is: a pure function of (RTP target, bet parameters, random
//! stream) with exactly computed theory.

use crate::rng::RandomStream;
pub use kernel::{Rtp, RtpError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Multipliers are integers of millionths: `2_000_000` pays twice the stake.
pub const MICRO: u64 = 1_000_000;

/// `base_micro` scaled so that a paytable whose RTP is `base_rtp` (a fraction) at
/// `base_micro` returns `target` instead, rounded to the nearest millionth.
pub fn scale(base_micro: u64, base_rtp: f64, target: Rtp) -> u64 {
    (base_micro as f64 * target.fraction() / base_rtp).round() as u64
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

/// The exact distribution of the return multiple of one bet: outcome `i` happens with
/// probability `weight_i / total` and returns `multiplier_micro_i` millionths of the
/// stake. Integer weights keep it exact: expectations at any stake can be computed with
/// integers (see [`crate::payout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    outcomes: Vec<(u128, u64)>,
    total: u128,
}

impl Distribution {
    /// The distribution of `(weight, multiplier_micro)` pairs; outcomes of weight 0 are
    /// left out, and equal multipliers merged.
    pub fn new(outcomes: impl IntoIterator<Item = (u128, u64)>) -> Self {
        let mut merged: Vec<(u128, u64)> = Vec::new();
        for (weight, micro) in outcomes.into_iter().filter(|(w, _)| *w > 0) {
            match merged.iter_mut().find(|(_, m)| *m == micro) {
                Some((w, _)) => *w += weight,
                None => merged.push((weight, micro)),
            }
        }
        let total = merged.iter().map(|(w, _)| w).sum();
        Self { outcomes: merged, total }
    }

    /// `(weight, multiplier_micro)` pairs with distinct multipliers.
    pub fn outcomes(&self) -> &[(u128, u64)] {
        &self.outcomes
    }

    /// The sum of the weights.
    pub fn total(&self) -> u128 {
        self.total
    }

    /// The largest multiplier the bet can return.
    pub fn best_multiplier(&self) -> u64 {
        self.outcomes.iter().map(|(_, m)| *m).max().unwrap_or(0)
    }

    /// The moments of the return multiple.
    pub fn theory(&self) -> Theory {
        let total = self.total as f64;
        let (mut m1, mut m2, mut win) = (0.0, 0.0, 0.0);
        for &(weight, micro) in &self.outcomes {
            let p = weight as f64 / total;
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

impl GameKind {
    /// The kind as the API and the jurisdiction profiles name it.
    pub fn as_str(self) -> &'static str {
        match self {
            GameKind::Dice => "dice",
            GameKind::Table => "table",
            GameKind::Slot => "slot",
            GameKind::Lottery => "lottery",
            GameKind::Arcade => "arcade",
            GameKind::Crash => "crash",
        }
    }
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
    /// The exact distribution of the return multiple of a bet with `params` at `rtp`.
    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError>;
    /// The exact theory of a bet with `params` at `rtp`.
    fn theory(&self, rtp: Rtp, params: &Value) -> Result<Theory, ParamsError> {
        Ok(self.distribution(rtp, params)?.theory())
    }
    /// The largest multiplier any bet can return at any target (the highest target pays
    /// the most): with it the platform knows the largest stake whose payout is still an
    /// amount (see [`crate::stake::max_stake_supported`]).
    fn top_multiplier(&self) -> u64;
    /// The bet parameters offered at `rtp`, machine-readable: what `params_help` says in
    /// words, with any range that narrows with the target (a bet whose best outcome
    /// would return less than the stake is not offered, see [`crate::stake`]).
    fn accepted_params(&self, rtp: Rtp) -> Value;
    /// Plays one round.
    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_merge_equal_multipliers_and_drop_empty_outcomes() {
        let d = Distribution::new([(3, 0), (0, 7), (1, 2_000_000), (4, 0)]);
        assert_eq!(d.outcomes(), &[(7, 0), (1, 2_000_000)]);
        assert_eq!((d.total(), d.best_multiplier()), (8, 2_000_000));
        let t = d.theory();
        assert_eq!((t.rtp, t.win_probability), (0.25, 0.125));
        assert!((t.variance - (0.125 * 4.0 - 0.0625)).abs() < 1e-15);
    }
}
