//! Crash: a multiplier climbs until it crashes; the bet cashes out automatically at
//! the multiplier chosen with it.

use crate::game::{Distribution, Game, GameInfo, GameKind, Outcome, ParamsError, Rtp, Volatility, parse_params};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};

/// Crash. One draw: `x = uniform(2^32)`. With `N = 2^32` and the RTP in basis points
/// `r`, the crash point in hundredths is `floor(r * N / (100 * (N - x)))` (at least 0.99×
/// … up to millions). Params `{"cashout": c}` with `c` 1.01–1000.00 (two decimals): the
/// bet wins, returning `c` times the stake, when the crash point is at least `c`. So
/// `P(win) = floor(r * N / (100 * c_hundredths)) / N`, which makes the RTP `r` for every
/// cash-out to within `1000 / 2^32`.
pub struct Crash;

const N: u64 = 1 << 32;
/// Cash-outs in hundredths: 1.01x to 1000.00x.
const MIN_CASHOUT: u64 = 101;
const MAX_CASHOUT: u64 = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    cashout: f64,
}

/// The cash-out multiplier in hundredths.
fn cashout(params: &Value) -> Result<u64, ParamsError> {
    let p: Params = parse_params(params)?;
    let centi = (p.cashout * 100.0).round();
    if !p.cashout.is_finite()
        || (p.cashout * 100.0 - centi).abs() > 1e-6
        || !(MIN_CASHOUT as f64..=MAX_CASHOUT as f64).contains(&centi)
    {
        return Err(ParamsError::new("cashout", "must be 1.01 to 1000.00 with at most two decimals"));
    }
    Ok(centi as u64)
}

fn winning_draws(rtp: Rtp, centi: u64) -> u64 {
    (u64::from(rtp.bp()) * N / (100 * centi)).min(N)
}

impl Game for Crash {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "crash",
            name: "Crash",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Crash,
            volatility: Volatility::High,
            min_bet: 1,
            max_bet: 10_000_000,
            params_help: "cashout: the automatic cash-out multiplier, 1.01–1000.00",
        }
    }

    fn default_params(&self) -> Value {
        json!({"cashout": 2.0})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        cashout(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        let c = cashout(params)?;
        let wins = winning_draws(rtp, c);
        Ok(Distribution::new([(u128::from(wins), c * 10_000), (u128::from(N - wins), 0)]))
    }

    fn top_multiplier(&self) -> u64 {
        MAX_CASHOUT * 10_000
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({"cashout": {"min": MIN_CASHOUT as f64 / 100.0, "max": MAX_CASHOUT as f64 / 100.0}})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let c = cashout(params)?;
        let x = rng.uniform(N);
        let crash_centi = u64::from(rtp.bp()) * N / (100 * (N - x));
        let won = crash_centi >= c;
        Ok(Outcome {
            multiplier_micro: if won { c * 10_000 } else { 0 },
            detail: json!({"crash_point": crash_centi as f64 / 100.0, "cashout": c as f64 / 100.0, "won": won}),
        })
    }
}
