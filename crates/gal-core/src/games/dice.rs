//! Dice: roll 00.00–99.99, bet under or over a target.

use crate::game::{Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Volatility, parse_params};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};

/// Dice. One draw: `uniform(10000)` = the roll, shown as `roll / 100` (00.00–99.99).
///
/// Params `{"target": t, "direction": "under" | "over"}` with `t` in hundredths: `under`
/// wins when `roll < t`, `over` when `roll > t`. The winning rolls `w` must be 100 to 9800
/// (a 1 % to 98 % chance). A win returns `round(rtp_bp * 10^6 / w)` millionths of the
/// stake, so every target returns the configured RTP. A chance above the target would
/// pay less than the stake on a win, so the bet is not offered (see
/// [`Game::accepted_params`] and [`crate::stake::check_offered`]).
pub struct Dice;

const SIDES: u64 = 10_000;
/// Winning rolls: a 1 % to 98 % chance.
const MIN_WINS: u64 = 100;
const MAX_WINS: u64 = 9_800;

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
        if !(MIN_WINS..=MAX_WINS).contains(&wins) || p.target >= SIDES {
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
        multiplier(rtp, self.wins())
    }
}

/// The return of a win with `wins` winning rolls.
fn multiplier(rtp: Rtp, wins: u64) -> u64 {
    (u64::from(rtp.bp()) * MICRO + wins / 2) / wins
}

/// The most winning rolls a bet offered at `rtp` may have: a win must return the stake.
fn most_wins_offered(rtp: Rtp) -> u64 {
    (MIN_WINS..=MAX_WINS).rev().find(|&w| multiplier(rtp, w) >= MICRO).unwrap_or(MIN_WINS)
}

impl Game for Dice {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "dice",
            name: "Dice",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Dice,
            volatility: Volatility::Low,
            min_bet: 1,
            max_bet: 10_000_000,
            params_help: "target (hundredths, 00.00–99.99 scale) and direction under|over; a 1 % win chance up to \
                          the RTP target (a higher chance would pay less than the stake) and at most 98 %",
        }
    }

    fn default_params(&self) -> Value {
        json!({"target": 5000, "direction": "under"})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        Params::parse(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        let p = Params::parse(params)?;
        let wins = p.wins();
        Ok(Distribution::new([(u128::from(wins), p.multiplier(rtp)), (u128::from(SIDES - wins), 0)]))
    }

    fn top_multiplier(&self) -> u64 {
        multiplier(Rtp::MAX, MIN_WINS)
    }

    fn accepted_params(&self, rtp: Rtp) -> Value {
        let most = most_wins_offered(rtp);
        json!({
            "direction": ["under", "over"],
            "under": {"min": MIN_WINS, "max": most},
            "over": {"min": SIDES - 1 - most, "max": SIDES - 1 - MIN_WINS},
            "win_chance_percent": {"min": MIN_WINS as f64 / 100.0, "max": most as f64 / 100.0},
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stake::check_offered;

    fn rtp(bp: u32) -> Rtp {
        Rtp::from_bp(bp).unwrap()
    }

    /// Every valid option: (params, winning rolls).
    fn options() -> Vec<(Value, u64)> {
        let under = (MIN_WINS..=MAX_WINS).map(|t| (json!({"target": t, "direction": "under"}), t));
        let over = (SIDES - 1 - MAX_WINS..=SIDES - 1 - MIN_WINS)
            .map(|t| (json!({"target": t, "direction": "over"}), SIDES - 1 - t));
        under.chain(over).collect()
    }

    #[test]
    fn the_options_whose_win_loses_money_are_exactly_those_above_the_target() {
        // An independent count: a chance above the target pays less than the stake.
        for (bp, refused) in [(8_000, 3_600), (8_850, 1_900), (9_650, 300), (9_900, 0)] {
            let not_offered = options()
                .iter()
                .filter(|(params, _)| check_offered(&Dice.distribution(rtp(bp), params).unwrap(), rtp(bp)).is_err())
                .count();
            assert_eq!(not_offered, refused, "at {bp}");
        }
    }

    #[test]
    fn the_accepted_range_shown_is_the_range_played() {
        for bp in [8_000, 8_001, 8_850, 9_650, 9_777, 9_900] {
            let shown = Dice.accepted_params(rtp(bp));
            let within = |direction: &str, t: u64| {
                let range = &shown[direction];
                (range["min"].as_u64().unwrap()..=range["max"].as_u64().unwrap()).contains(&t)
            };
            for (params, wins) in options() {
                let offered = check_offered(&Dice.distribution(rtp(bp), &params).unwrap(), rtp(bp)).is_ok();
                let t = params["target"].as_u64().unwrap();
                let direction = params["direction"].as_str().unwrap();
                assert_eq!(within(direction, t), offered, "{params} at {bp}");
                assert_eq!(offered, wins <= u64::from(bp).min(MAX_WINS), "{params} at {bp}");
            }
        }
        assert_eq!(Dice.accepted_params(rtp(9_650))["win_chance_percent"], json!({"min": 1.0, "max": 96.5}));
        assert_eq!(Dice.accepted_params(rtp(9_900))["win_chance_percent"]["max"], json!(98.0));
    }

    #[test]
    fn the_top_multiplier_is_the_one_percent_chance_at_99() {
        assert_eq!(Dice.top_multiplier(), 99_000_000);
        let one_percent = json!({"target": 100, "direction": "under"});
        assert_eq!(Dice.distribution(Rtp::MAX, &one_percent).unwrap().best_multiplier(), Dice.top_multiplier());
    }
}
