//! Plinko: a ball falls through rows of pegs into a slot with a multiplier.

use crate::game::{
    Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Volatility, parse_params, scale,
};
use crate::rng::RandomStream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Plinko with 8, 12 or 16 rows and three risk levels.
///
/// Draws: one `uniform(2)` per row, top to bottom (`1` = the ball goes right, `0` = left);
/// exactly `rows` draws. The slot is the number of rights, `0..=rows`.
///
/// Params `{"rows": 8 | 12 | 16, "risk": "low" | "medium" | "high"}`. Slot `s` has
/// probability `C(rows, s) / 2^rows` and returns its base multiplier (symmetric, largest at
/// the edges; high risk pays nothing in the middle) scaled from the table's exact RTP to
/// the target.
pub struct Plinko;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum Risk {
    Low,
    Medium,
    High,
}

/// Base multipliers in millionths from the edge slot to the centre slot (`rows / 2 + 1`
/// entries); the other half mirrors them.
fn half_table(rows: u32, risk: Risk) -> &'static [u64] {
    match (rows, risk) {
        (8, Risk::Low) => &[5_600_000, 2_100_000, 1_100_000, 1_000_000, 500_000],
        (8, Risk::Medium) => &[13_000_000, 3_000_000, 1_300_000, 700_000, 400_000],
        (8, Risk::High) => &[29_000_000, 4_000_000, 1_700_000, 300_000, 0],
        (12, Risk::Low) => &[10_000_000, 3_000_000, 1_600_000, 1_400_000, 1_100_000, 1_000_000, 500_000],
        (12, Risk::Medium) => &[33_000_000, 11_000_000, 4_000_000, 2_000_000, 1_100_000, 600_000, 300_000],
        (12, Risk::High) => &[170_000_000, 24_000_000, 8_100_000, 2_500_000, 1_000_000, 0, 0],
        (16, Risk::Low) => {
            &[16_000_000, 9_000_000, 2_000_000, 1_400_000, 1_400_000, 1_200_000, 1_100_000, 1_000_000, 500_000]
        }
        (16, Risk::Medium) => {
            &[110_000_000, 41_000_000, 10_000_000, 5_000_000, 3_000_000, 1_500_000, 1_000_000, 500_000, 300_000]
        }
        (16, Risk::High) => &[1_000_000_000, 130_000_000, 26_000_000, 9_000_000, 4_500_000, 3_000_000, 0, 0, 0],
        _ => &[],
    }
}

fn binomial(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    rows: i64,
    risk: Risk,
}

const ROWS: [u32; 3] = [8, 12, 16];
const RISKS: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];

/// A valid board.
struct Board {
    rows: u32,
    risk: Risk,
}

impl Board {
    fn parse(params: &Value) -> Result<Self, ParamsError> {
        let raw: RawParams = parse_params(params)?;
        let rows = match raw.rows {
            8 => 8,
            12 => 12,
            16 => 16,
            _ => return Err(ParamsError::new("rows", "must be 8, 12 or 16")),
        };
        Ok(Board { rows, risk: raw.risk })
    }

    fn base(&self, slot: u32) -> u64 {
        let half = half_table(self.rows, self.risk);
        half.get(slot.min(self.rows - slot) as usize).copied().unwrap_or(0)
    }

    /// How many of the `2^rows` equally likely paths end in `slot`.
    fn paths(&self, slot: u32) -> u64 {
        binomial(u64::from(self.rows), u64::from(slot))
    }

    /// The returns paid at `rtp`, indexed by slot.
    fn table(&self, rtp: Rtp) -> Vec<u64> {
        let paid: u64 = (0..=self.rows).map(|s| self.paths(s) * self.base(s)).sum();
        let base_rtp = paid as f64 / (1u64 << self.rows) as f64 / MICRO as f64;
        (0..=self.rows).map(|s| scale(self.base(s), base_rtp, rtp)).collect()
    }
}

impl Game for Plinko {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "plinko",
            name: "Plinko",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Arcade,
            volatility: Volatility::Medium,
            min_bet: 10,
            max_bet: 10_000_000,
            params_help: "rows: 8, 12 or 16 and risk: low, medium or high (higher risk pays more at the edges and less in the middle)",
        }
    }

    fn default_params(&self) -> Value {
        json!({"rows": 16, "risk": "medium"})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        Board::parse(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        let board = Board::parse(params)?;
        let table = board.table(rtp);
        Ok(Distribution::new((0..=board.rows).zip(table).map(|(s, m)| (u128::from(board.paths(s)), m))))
    }

    fn top_multiplier(&self) -> u64 {
        let boards = ROWS.iter().flat_map(|&rows| RISKS.map(|risk| Board { rows, risk }));
        boards.flat_map(|b| b.table(Rtp::MAX)).max().unwrap_or(0)
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({"rows": ROWS, "risk": RISKS})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let board = Board::parse(params)?;
        let path: Vec<u64> = (0..board.rows).map(|_| rng.uniform(2)).collect();
        let slot = path.iter().sum::<u64>() as u32;
        let multiplier_micro = board.table(rtp)[slot as usize];
        Ok(Outcome {
            multiplier_micro,
            detail: json!({"rows": board.rows, "risk": board.risk, "path": path, "slot": slot}),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{ClientSeed, ServerSeed};

    fn stream(nonce: u64) -> RandomStream {
        RandomStream::new(&ServerSeed::from_bytes([7; 32]), &ClientSeed::parse("sim").unwrap(), nonce)
    }

    fn boards() -> Vec<Value> {
        let mut all = Vec::new();
        for rows in [8, 12, 16] {
            for risk in ["low", "medium", "high"] {
                all.push(json!({"rows": rows, "risk": risk}));
            }
        }
        all
    }

    fn targets() -> Vec<Rtp> {
        let mut t: Vec<Rtp> = [8_000, 8_850, 9_650, 9_900].into_iter().map(|bp| Rtp::from_bp(bp).unwrap()).collect();
        t.extend((8_000..=9_900).step_by(25).map(|bp| Rtp::from_bp(bp).unwrap()));
        t
    }

    #[test]
    fn tables_are_complete_symmetric_and_edge_heavy() {
        for rows in [8, 12, 16] {
            for risk in [Risk::Low, Risk::Medium, Risk::High] {
                let half = half_table(rows, risk);
                assert_eq!(half.len() as u32, rows / 2 + 1);
                assert!(half.windows(2).all(|w| w[0] >= w[1]), "{rows} {risk:?}");
                let board = Board { rows, risk };
                assert!((0..=rows).all(|s| board.base(s) == board.base(rows - s)));
            }
            assert_eq!(half_table(rows, Risk::High)[rows as usize / 2], 0, "high risk pays nothing in the middle");
            assert!(half_table(rows, Risk::High)[0] > half_table(rows, Risk::Medium)[0]);
            assert!(half_table(rows, Risk::Medium)[0] > half_table(rows, Risk::Low)[0]);
        }
    }

    #[test]
    fn theory_hits_every_target_for_every_board() {
        for rtp in targets() {
            for board in boards() {
                let t = Plinko.theory(rtp, &board).unwrap();
                assert!((t.rtp * 100.0 - rtp.percent()).abs() <= 0.01, "{board} at {rtp}: {}", t.rtp);
            }
        }
    }

    #[test]
    fn theory_equals_the_enumeration_of_every_path() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        for params in boards() {
            let board = Board::parse(&params).unwrap();
            let table = board.table(rtp);
            let by_path =
                Distribution::new((0..1u64 << board.rows).map(|bits| (1, table[bits.count_ones() as usize]))).theory();
            let t = Plinko.theory(rtp, &params).unwrap();
            assert!((t.rtp - by_path.rtp).abs() < 1e-12, "{params}");
            assert!((t.variance - by_path.variance).abs() < 1e-9 * t.variance.max(1.0), "{params}");
            assert_eq!(t.win_probability, by_path.win_probability, "{params}");
        }
    }

    #[test]
    fn the_top_multiplier_is_the_edge_of_the_high_risk_16_row_board() {
        let best = |params: &Value| Plinko.distribution(Rtp::MAX, params).unwrap().best_multiplier();
        assert_eq!(best(&json!({"rows": 16, "risk": "high"})), Plinko.top_multiplier());
        assert!(boards().iter().all(|b| best(b) <= Plinko.top_multiplier()));
    }

    #[test]
    fn simulation_matches_theory() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let n = 200_000u64;
        for board in [json!({"rows": 16, "risk": "medium"}), json!({"rows": 12, "risk": "high"})] {
            let t = Plinko.theory(rtp, &board).unwrap();
            let total: f64 = (0..n)
                .map(|nonce| {
                    Plinko.play(rtp, &board, &mut stream(nonce)).unwrap().multiplier_micro as f64 / MICRO as f64
                })
                .sum();
            let mean = total / n as f64;
            let band = 2.5758 * (t.variance / n as f64).sqrt();
            assert!((mean - t.rtp).abs() <= band, "{board}: mean {mean} vs {} ± {band}", t.rtp);
        }
    }

    #[test]
    fn a_fixed_seed_gives_a_fixed_round() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let mut rng = stream(0);
        let out = Plinko.play(rtp, &json!({"rows": 8, "risk": "high"}), &mut rng).unwrap();
        assert_eq!(out.detail, json!({"rows": 8, "risk": "high", "path": [1, 0, 0, 0, 0, 1, 1, 1], "slot": 4}));
        assert_eq!(out.multiplier_micro, 0, "high risk pays nothing in the middle slot");
    }

    #[test]
    fn play_makes_one_coin_draw_per_row() {
        let rtp = Rtp::from_bp(9_900).unwrap();
        for (nonce, params) in boards().iter().enumerate() {
            let mut rng = stream(nonce as u64);
            let out = Plinko.play(rtp, params, &mut rng).unwrap();
            let board = Board::parse(params).unwrap();
            let draws = rng.draws();
            assert_eq!(draws.len() as u32, board.rows);
            assert!(draws.iter().all(|d| d.n == 2));
            let path: Vec<u64> = draws.iter().map(|d| d.value).collect();
            assert_eq!(out.detail["path"], json!(path));
            let slot = path.iter().sum::<u64>();
            assert_eq!(out.detail["slot"], json!(slot));
            assert_eq!(out.multiplier_micro, board.table(rtp)[slot as usize]);
        }
    }

    #[test]
    fn invalid_boards_are_rejected_with_their_field() {
        let cases = [
            (json!({"risk": "low"}), "params"),
            (json!({"rows": 10, "risk": "low"}), "rows"),
            (json!({"rows": -8, "risk": "low"}), "rows"),
            (json!({"rows": "8", "risk": "low"}), "rows"),
            (json!({"rows": 8, "risk": "extreme"}), "risk"),
            (json!({"rows": 8}), "params"),
            (json!({"rows": 8, "risk": "low", "balls": 2}), "balls"),
        ];
        let rtp = Rtp::from_bp(9_650).unwrap();
        for (params, field) in cases {
            let err = Plinko.validate(&params).unwrap_err();
            assert_eq!(err.field, field, "{params}: {err}");
            assert_eq!(Plinko.theory(rtp, &params).unwrap_err(), err);
            let mut rng = stream(0);
            assert_eq!(Plinko.play(rtp, &params, &mut rng).unwrap_err(), err);
            assert!(rng.draws().is_empty());
        }
        Plinko.validate(&Plinko.default_params()).unwrap();
    }
}
