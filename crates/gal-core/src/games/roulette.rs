//! European single-zero roulette with every standard inside and outside bet.

use crate::game::{
    Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Volatility, parse_params, scale,
};
use crate::rng::RandomStream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// European roulette: pockets 0–36, one green zero.
///
/// Draws: exactly one `uniform(37)`; its value is the winning pocket.
///
/// Params `{"bet": kind, "numbers"?: [..], "column"?: 1|2|3, "dozen"?: 1|2|3}`. Inside
/// bets (`straight`, `split`, `street`, `corner`, `six_line`) name their pockets in
/// `numbers` (any order) and must be a set on the standard layout; `column` and `dozen`
/// name theirs in the field of that name; `red`, `black`, `odd`, `even`, `low` (1–18) and
/// `high` (19–36) take nothing else. Zero loses every outside bet. A bet covering `k`
/// pockets returns `37 * rtp / k` times the stake (the classic `36 / k` at 36/37 scaled
/// to the target), rounded to the nearest millionth.
pub struct Roulette;

const POCKETS: u64 = 37;
const BASE_RTP: f64 = 36.0 / 37.0;
const RED: [u8; 18] = [1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum BetKind {
    Straight,
    Split,
    Street,
    Corner,
    SixLine,
    Column,
    Dozen,
    Red,
    Black,
    Odd,
    Even,
    Low,
    High,
}

impl BetKind {
    fn name(self) -> &'static str {
        match self {
            BetKind::Straight => "straight",
            BetKind::Split => "split",
            BetKind::Street => "street",
            BetKind::Corner => "corner",
            BetKind::SixLine => "six_line",
            BetKind::Column => "column",
            BetKind::Dozen => "dozen",
            BetKind::Red => "red",
            BetKind::Black => "black",
            BetKind::Odd => "odd",
            BetKind::Even => "even",
            BetKind::Low => "low",
            BetKind::High => "high",
        }
    }

    /// How many `numbers` an inside bet names; `None` for outside bets.
    fn inside_size(self) -> Option<usize> {
        match self {
            BetKind::Straight => Some(1),
            BetKind::Split => Some(2),
            BetKind::Street => Some(3),
            BetKind::Corner => Some(4),
            BetKind::SixLine => Some(6),
            _ => None,
        }
    }

    /// What the layout allows, for error messages.
    fn layout_rule(self) -> &'static str {
        match self {
            BetKind::Split => {
                "a split must be two neighbours on the layout: n and n+1 in one row (n not a multiple of 3), n and n+3, or 0 with 1, 2 or 3"
            }
            BetKind::Street => "a street must be a row n, n+1, n+2 with n = 1, 4, …, 34, or the trio 0-1-2 or 0-2-3",
            BetKind::Corner => {
                "a corner must be n, n+1, n+3, n+4 with n not a multiple of 3 and n <= 32, or the first four 0-1-2-3"
            }
            BetKind::SixLine => "a six line must be two neighbouring rows n..=n+5 with n = 1, 4, …, 31",
            _ => "",
        }
    }
}

/// Every set of pockets an inside bet of `kind` may cover, each sorted.
fn inside_sets(kind: BetKind) -> Vec<Vec<u8>> {
    match kind {
        BetKind::Straight => (0..=36).map(|n| vec![n]).collect(),
        BetKind::Split => {
            let mut sets = vec![vec![0, 1], vec![0, 2], vec![0, 3]];
            sets.extend((1..=35).filter(|n| n % 3 != 0).map(|n| vec![n, n + 1]));
            sets.extend((1..=33).map(|n| vec![n, n + 3]));
            sets
        }
        BetKind::Street => {
            let mut sets = vec![vec![0, 1, 2], vec![0, 2, 3]];
            sets.extend((1..=34).step_by(3).map(|n| vec![n, n + 1, n + 2]));
            sets
        }
        BetKind::Corner => {
            let mut sets = vec![vec![0, 1, 2, 3]];
            sets.extend((1..=32).filter(|n| n % 3 != 0).map(|n| vec![n, n + 1, n + 3, n + 4]));
            sets
        }
        BetKind::SixLine => (1..=31).step_by(3).map(|n| (n..=n + 5).collect()).collect(),
        _ => Vec::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    bet: BetKind,
    numbers: Option<Vec<i64>>,
    column: Option<i64>,
    dozen: Option<i64>,
}

/// A valid bet: its kind and the pockets it covers, sorted.
struct Bet {
    kind: BetKind,
    covered: Vec<u8>,
}

impl Bet {
    fn parse(params: &Value) -> Result<Self, ParamsError> {
        let raw: RawParams = parse_params(params)?;
        let kind = raw.bet;
        let only_with = |field: &str| ParamsError::new(field, format!("only allowed with bet \"{field}\""));
        if raw.column.is_some() && kind != BetKind::Column {
            return Err(only_with("column"));
        }
        if raw.dozen.is_some() && kind != BetKind::Dozen {
            return Err(only_with("dozen"));
        }
        let covered = match (kind.inside_size(), raw.numbers) {
            (Some(size), Some(numbers)) => Self::inside(kind, size, numbers)?,
            (Some(size), None) => {
                return Err(ParamsError::new(
                    "numbers",
                    format!("required for a {} bet: {size} pocket(s) from 0 to 36", kind.name()),
                ));
            }
            (None, Some(_)) => {
                return Err(ParamsError::new("numbers", format!("not allowed for a {} bet", kind.name())));
            }
            (None, None) => Self::outside(kind, raw.column, raw.dozen)?,
        };
        Ok(Bet { kind, covered })
    }

    fn inside(kind: BetKind, size: usize, numbers: Vec<i64>) -> Result<Vec<u8>, ParamsError> {
        if numbers.len() != size {
            return Err(ParamsError::new("numbers", format!("a {} bet takes exactly {size} number(s)", kind.name())));
        }
        let mut set = numbers
            .into_iter()
            .map(|n| u8::try_from(n).ok().filter(|n| *n <= 36))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ParamsError::new("numbers", "each number must be a pocket from 0 to 36"))?;
        set.sort_unstable();
        if set.windows(2).any(|w| w[0] == w[1]) {
            return Err(ParamsError::new("numbers", "numbers must be distinct"));
        }
        if !inside_sets(kind).contains(&set) {
            return Err(ParamsError::new("numbers", kind.layout_rule()));
        }
        Ok(set)
    }

    fn outside(kind: BetKind, column: Option<i64>, dozen: Option<i64>) -> Result<Vec<u8>, ParamsError> {
        let one_to_three = |field: &str, value: Option<i64>| match value {
            Some(v @ 1..=3) => Ok(v as u8),
            Some(_) => Err(ParamsError::new(field, "must be 1, 2 or 3")),
            None => Err(ParamsError::new(field, format!("required for a {field} bet: 1, 2 or 3"))),
        };
        let numbers = 1..=36u8;
        let covered = match kind {
            BetKind::Column => {
                let c = one_to_three("column", column)?;
                numbers.filter(|n| (n - 1) % 3 == c - 1).collect()
            }
            BetKind::Dozen => {
                let d = one_to_three("dozen", dozen)?;
                numbers.filter(|n| (n - 1) / 12 == d - 1).collect()
            }
            BetKind::Red => numbers.filter(|n| RED.contains(n)).collect(),
            BetKind::Black => numbers.filter(|n| !RED.contains(n)).collect(),
            BetKind::Odd => numbers.filter(|n| n % 2 == 1).collect(),
            BetKind::Even => numbers.filter(|n| n % 2 == 0).collect(),
            BetKind::Low => numbers.filter(|n| *n <= 18).collect(),
            BetKind::High => numbers.filter(|n| *n >= 19).collect(),
            BetKind::Straight | BetKind::Split | BetKind::Street | BetKind::Corner | BetKind::SixLine => Vec::new(),
        };
        Ok(covered)
    }

    /// The return of a winning bet: `36 / k` at 36/37, scaled to `rtp`.
    fn multiplier(&self, rtp: Rtp) -> u64 {
        let k = self.covered.len() as u64;
        scale(36 * MICRO / k, BASE_RTP, rtp)
    }

    /// The outcome when the ball lands in `pocket`.
    fn settle(&self, rtp: Rtp, pocket: u8) -> Outcome {
        let won = self.covered.contains(&pocket);
        Outcome {
            multiplier_micro: if won { self.multiplier(rtp) } else { 0 },
            detail: json!({
                "pocket": pocket,
                "color": color(pocket),
                "bet": self.kind,
                "covered": self.covered,
                "won": won,
            }),
        }
    }
}

fn color(pocket: u8) -> &'static str {
    if pocket == 0 {
        "green"
    } else if RED.contains(&pocket) {
        "red"
    } else {
        "black"
    }
}

impl Game for Roulette {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "roulette",
            name: "European Roulette",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Table,
            volatility: Volatility::Medium,
            min_bet: 10,
            max_bet: 10_000_000,
            params_help: "bet: straight, split, street, corner or six_line with numbers (the 1, 2, 3, 4 or 6 covered pockets), column with column 1–3, dozen with dozen 1–3, or red, black, odd, even, low, high",
        }
    }

    fn default_params(&self) -> Value {
        json!({"bet": "red"})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        Bet::parse(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        let bet = Bet::parse(params)?;
        let k = bet.covered.len() as u128;
        Ok(Distribution::new([(k, bet.multiplier(rtp)), (u128::from(POCKETS) - k, 0)]))
    }

    fn top_multiplier(&self) -> u64 {
        Bet { kind: BetKind::Straight, covered: vec![0] }.multiplier(Rtp::MAX)
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        let inside = [BetKind::Straight, BetKind::Split, BetKind::Street, BetKind::Corner, BetKind::SixLine];
        json!({
            "inside": inside.map(|k| json!({"bet": k.name(), "numbers": k.inside_size()})),
            "column": [1, 2, 3],
            "dozen": [1, 2, 3],
            "outside": ["red", "black", "odd", "even", "low", "high"],
        })
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let bet = Bet::parse(params)?;
        let pocket = rng.uniform(POCKETS) as u8;
        Ok(bet.settle(rtp, pocket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{ClientSeed, Draw, ServerSeed};

    fn stream(nonce: u64) -> RandomStream {
        RandomStream::new(&ServerSeed::from_bytes([7; 32]), &ClientSeed::parse("sim").unwrap(), nonce)
    }

    /// Every valid bet, each once.
    fn all_bets() -> Vec<Value> {
        let mut bets = Vec::new();
        for kind in [BetKind::Straight, BetKind::Split, BetKind::Street, BetKind::Corner, BetKind::SixLine] {
            bets.extend(inside_sets(kind).into_iter().map(|set| json!({"bet": kind.name(), "numbers": set})));
        }
        for n in 1..=3 {
            bets.push(json!({"bet": "column", "column": n}));
            bets.push(json!({"bet": "dozen", "dozen": n}));
        }
        for kind in ["red", "black", "odd", "even", "low", "high"] {
            bets.push(json!({ "bet": kind }));
        }
        bets
    }

    fn targets() -> Vec<Rtp> {
        let mut t: Vec<Rtp> = [8_000, 8_850, 9_650, 9_900].into_iter().map(|bp| Rtp::from_bp(bp).unwrap()).collect();
        t.extend((8_000..=9_900).step_by(25).map(|bp| Rtp::from_bp(bp).unwrap()));
        t
    }

    #[test]
    fn the_layout_has_the_standard_number_of_bets() {
        let count = |k| inside_sets(k).len();
        assert_eq!(
            [BetKind::Straight, BetKind::Split, BetKind::Street, BetKind::Corner, BetKind::SixLine].map(count),
            [37, 60, 14, 23, 11]
        );
        assert_eq!(all_bets().len(), 37 + 60 + 14 + 23 + 11 + 6 + 6);
        for bet in all_bets() {
            Roulette.validate(&bet).unwrap();
        }
    }

    #[test]
    fn outside_bets_cover_the_right_pockets() {
        let covered = |v: Value| Bet::parse(&v).unwrap().covered;
        assert_eq!(covered(json!({"bet": "column", "column": 1})), (1..=34).step_by(3).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "column", "column": 3})), (3..=36).step_by(3).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "dozen", "dozen": 2})), (13..=24).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "red"})), RED.to_vec());
        assert_eq!(covered(json!({"bet": "black"})).len(), 18);
        assert!(!covered(json!({"bet": "black"})).iter().any(|n| RED.contains(n)));
        assert_eq!(covered(json!({"bet": "even"})), (2..=36).step_by(2).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "odd"})), (1..=35).step_by(2).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "low"})), (1..=18).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "high"})), (19..=36).collect::<Vec<u8>>());
        assert_eq!(covered(json!({"bet": "split", "numbers": [20, 17]})), vec![17, 20]);
    }

    #[test]
    fn theory_hits_every_target_for_every_bet() {
        for rtp in targets() {
            for bet in all_bets() {
                let t = Roulette.theory(rtp, &bet).unwrap();
                assert!((t.rtp * 100.0 - rtp.percent()).abs() <= 0.01, "{bet} at {rtp}: {}", t.rtp);
            }
        }
    }

    #[test]
    fn theory_is_the_distribution_play_realises() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        for bet in all_bets() {
            let parsed = Bet::parse(&bet).unwrap();
            let by_pocket = Distribution::new((0..=36).map(|p| (1, parsed.settle(rtp, p).multiplier_micro))).theory();
            let t = Roulette.theory(rtp, &bet).unwrap();
            assert!((t.rtp - by_pocket.rtp).abs() < 1e-12 && (t.variance - by_pocket.variance).abs() < 1e-9, "{bet}");
            assert!((t.win_probability - by_pocket.win_probability).abs() < 1e-12);
        }
    }

    #[test]
    fn pays_37_rtp_over_k() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let mult = |v: Value| Bet::parse(&v).unwrap().multiplier(rtp);
        assert_eq!(mult(json!({"bet": "straight", "numbers": [17]})), 35_705_000);
        assert_eq!(mult(json!({"bet": "red"})), 1_983_611);
        assert_eq!(mult(json!({"bet": "dozen", "dozen": 1})), 2_975_417);
        let full = Rtp::from_bp(9_900).unwrap();
        assert_eq!(
            Bet::parse(&json!({"bet": "six_line", "numbers": [1, 2, 3, 4, 5, 6]})).unwrap().multiplier(full),
            6_105_000
        );
    }

    #[test]
    fn the_top_multiplier_is_a_straight_up_at_99() {
        let straight = json!({"bet": "straight", "numbers": [17]});
        assert_eq!(Roulette.distribution(Rtp::MAX, &straight).unwrap().best_multiplier(), Roulette.top_multiplier());
        for bet in all_bets() {
            assert!(Roulette.distribution(Rtp::MAX, &bet).unwrap().best_multiplier() <= Roulette.top_multiplier());
        }
    }

    #[test]
    fn simulation_matches_theory() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let n = 200_000u64;
        for bet in [json!({"bet": "red"}), json!({"bet": "corner", "numbers": [32, 33, 35, 36]})] {
            let t = Roulette.theory(rtp, &bet).unwrap();
            let total: f64 = (0..n)
                .map(|nonce| {
                    Roulette.play(rtp, &bet, &mut stream(nonce)).unwrap().multiplier_micro as f64 / MICRO as f64
                })
                .sum();
            let mean = total / n as f64;
            let band = 2.5758 * (t.variance / n as f64).sqrt();
            assert!((mean - t.rtp).abs() <= band, "{bet}: mean {mean} vs {} ± {band}", t.rtp);
        }
    }

    #[test]
    fn a_fixed_seed_gives_a_fixed_round() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let bet = json!({"bet": "street", "numbers": [36, 34, 35]});
        let mut rng = stream(0);
        let outcome = Roulette.play(rtp, &bet, &mut rng).unwrap();
        assert_eq!(rng.draws(), &[Draw { n: 37, value: 36 }]);
        assert_eq!(
            outcome.detail,
            json!({"pocket": 36, "color": "red", "bet": "street", "covered": [34, 35, 36], "won": true})
        );
        assert_eq!(outcome.multiplier_micro, 11_901_667);
    }

    #[test]
    fn play_makes_exactly_one_draw_of_37() {
        let rtp = Rtp::from_bp(8_850).unwrap();
        for (nonce, bet) in all_bets().iter().enumerate() {
            let mut rng = stream(nonce as u64);
            let outcome = Roulette.play(rtp, bet, &mut rng).unwrap();
            let draws = rng.draws();
            assert_eq!(draws.len(), 1);
            assert_eq!(draws[0].n, 37);
            assert_eq!(outcome.detail["pocket"], json!(draws[0].value));
            let won = Bet::parse(bet).unwrap().covered.contains(&(draws[0].value as u8));
            assert_eq!(outcome.detail["won"], json!(won));
            assert_eq!(outcome.multiplier_micro > 0, won);
        }
    }

    #[test]
    fn invalid_bets_are_rejected_with_their_field() {
        let cases = [
            (json!({}), "params"),
            (json!({"bet": "basket"}), "bet"),
            (json!({"bet": "red", "extra": 1}), "extra"),
            (json!({"bet": "straight"}), "numbers"),
            (json!({"bet": "straight", "numbers": [37]}), "numbers"),
            (json!({"bet": "straight", "numbers": [-1]}), "numbers"),
            (json!({"bet": "straight", "numbers": [1, 2]}), "numbers"),
            (json!({"bet": "straight", "numbers": ["1"]}), "numbers[0]"),
            (json!({"bet": "split", "numbers": [3, 4]}), "numbers"),
            (json!({"bet": "split", "numbers": [5, 5]}), "numbers"),
            (json!({"bet": "split", "numbers": [0, 4]}), "numbers"),
            (json!({"bet": "split", "numbers": [34, 37]}), "numbers"),
            (json!({"bet": "street", "numbers": [2, 3, 4]}), "numbers"),
            (json!({"bet": "street", "numbers": [0, 1, 3]}), "numbers"),
            (json!({"bet": "corner", "numbers": [3, 4, 6, 7]}), "numbers"),
            (json!({"bet": "corner", "numbers": [33, 34, 36, 37]}), "numbers"),
            (json!({"bet": "six_line", "numbers": [34, 35, 36, 37, 38, 39]}), "numbers"),
            (json!({"bet": "six_line", "numbers": [2, 3, 4, 5, 6, 7]}), "numbers"),
            (json!({"bet": "red", "numbers": [1]}), "numbers"),
            (json!({"bet": "column"}), "column"),
            (json!({"bet": "column", "column": 4}), "column"),
            (json!({"bet": "column", "column": 0}), "column"),
            (json!({"bet": "dozen", "dozen": 1, "column": 1}), "column"),
            (json!({"bet": "dozen", "dozen": 4}), "dozen"),
            (json!({"bet": "red", "dozen": 1}), "dozen"),
            (json!({"bet": "straight", "numbers": [1], "column": 1}), "column"),
            (json!("red"), "params"),
        ];
        let rtp = Rtp::from_bp(9_650).unwrap();
        for (params, field) in cases {
            let err = Roulette.validate(&params).unwrap_err();
            assert_eq!(err.field, field, "{params}: {err}");
            assert_eq!(Roulette.theory(rtp, &params).unwrap_err(), err);
            let mut rng = stream(0);
            assert_eq!(Roulette.play(rtp, &params, &mut rng).unwrap_err(), err);
            assert!(rng.draws().is_empty(), "no draw for a rejected bet");
        }
        Roulette.validate(&Roulette.default_params()).unwrap();
        Roulette.validate(&json!({"bet": "corner", "numbers": [3, 1, 2, 0]})).unwrap();
        Roulette.validate(&json!({"bet": "street", "numbers": [3, 0, 2]})).unwrap();
        Roulette.validate(&json!({"bet": "red", "numbers": null})).unwrap();
    }
}
