//! Dice: roll 00.00–99.99, bet under or over a target.

use crate::game::{Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Theory, Volatility, parse_params};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};

/// Dice. One draw: `uniform(10000)` = the roll, shown as `roll / 100` (00.00–99.99).
///
/// Params `{"target": t, "direction": "under" | "over"}` with `t` in hundredths: `under`
/// wins when `roll < t`, `over` when `roll > t`. The winning rolls `w` must be 100 to 9800
/// (a 1 % to 98 % chance). A win returns `round(rtp_bp * 10^6 / w)` millionths of the
/// stake, so every target returns the configured RTP.
pub struct Dice;

const SIDES: u64 = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Direction {
    Under,
    Over,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    target: u64,
    direction: Direction,
}

impl Params {
    fn parse(v: &Value) -> Result<Self, ParamsError> {
        let p: Params = parse_params(v)?;
        let wins = p.wins();
        if !(100..=9_800).contains(&wins) || p.target >= SIDES {
            return Err(ParamsError::new(
                "target",
                "must give a 1 % to 98 % chance: under 100–9800, over 199–9899 (hundredths)",
            ));
        }
        Ok(p)
    }

    fn wins(&self) -> u64 {
        match self.direction {
            Direction::Under => self.target,
            Direction::Over => (SIDES - 1).saturating_sub(self.target),
        }
    }

    fn multiplier(&self, rtp: Rtp) -> u64 {
        let wins = self.wins();
        (u64::from(rtp.bp()) * MICRO + wins / 2) / wins
    }
}

impl Game for Dice {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "dice",
            name: "Dice",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Dice,
            volatility: Volatility::Low,
            min_bet: 9_800,
            max_bet: 10_000_000,
            params_help: "target (hundredths, 00.00–99.99 scale) and direction under|over; 1 % to 98 % win chance",
        }
    }

    fn default_params(&self) -> Value {
        json!({"target": 5000, "direction": "under"})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        Params::parse(params).map(|_| ())
    }

    fn theory(&self, rtp: Rtp, params: &Value) -> Result<Theory, ParamsError> {
        let p = Params::parse(params)?;
        let win = p.wins() as f64 / SIDES as f64;
        Ok(Theory::of([(win, p.multiplier(rtp)), (1.0 - win, 0)]))
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let p = Params::parse(params)?;
        let roll = rng.uniform(SIDES);
        let won = match p.direction {
            Direction::Under => roll < p.target,
            Direction::Over => roll > p.target,
        };
        Ok(Outcome {
            multiplier_micro: if won { p.multiplier(rtp) } else { 0 },
            detail: json!({"roll": roll, "roll_display": format!("{:02}.{:02}", roll / 100, roll % 100), "won": won}),
        })
    }
}
