//! Keno: pick 1–10 of 80 numbers, 20 are drawn, pay by hits.

use crate::game::{Distribution, Game, GameInfo, GameKind, Outcome, ParamsError, Rtp, Volatility, parse_params, scale};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};

/// Keno on 80 numbers with 20 drawn.
///
/// Draws: a partial Fisher–Yates shuffle of `a = [1, 2, …, 80]`: for `i` in `0..20`,
/// `j = i + uniform(80 - i)`, swap `a[i]` and `a[j]`; the drawn numbers are `a[0..20]` in
/// that order. So exactly 20 draws, `uniform(80)`, `uniform(79)`, …, `uniform(61)`.
///
/// Params `{"picks": [..]}`: 1 to 10 distinct numbers from 1 to 80. The hits are the picks
/// that were drawn; the return for `h` hits with `k` picks is the base paytable entry
/// `PAYTABLES[k - 1][h]` scaled from that table's exact RTP to the target.
pub struct Keno;

const NUMBERS: usize = 80;
const DRAWN: usize = 20;
const MAX_PICKS: usize = 10;

/// Base returns in millionths, indexed by picks − 1, then by hits.
const PAYTABLES: [&[u64]; MAX_PICKS] = [
    &[0, 3_500_000],
    &[0, 0, 15_000_000],
    &[0, 0, 2_000_000, 45_000_000],
    &[0, 0, 0, 10_000_000, 150_000_000],
    &[0, 0, 0, 3_000_000, 20_000_000, 600_000_000],
    &[0, 0, 0, 1_500_000, 8_000_000, 100_000_000, 1_500_000_000],
    &[0, 0, 0, 1_000_000, 4_000_000, 25_000_000, 300_000_000, 5_000_000_000],
    &[0, 0, 0, 0, 3_000_000, 15_000_000, 100_000_000, 1_000_000_000, 10_000_000_000],
    &[0, 0, 0, 0, 2_000_000, 5_000_000, 40_000_000, 300_000_000, 3_000_000_000, 25_000_000_000],
    &[0, 0, 0, 0, 1_000_000, 3_000_000, 20_000_000, 150_000_000, 1_000_000_000, 5_000_000_000, 100_000_000_000],
];

fn binomial(n: u128, k: u128) -> u128 {
    // Each partial product C(n, i+1) = C(n, i) * (n - i) / (i + 1) is exact.
    (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
}

/// The number of the `C(80, 20)` equally likely draws that hit `h` of `k` picks.
fn hit_counts(k: usize) -> Vec<u128> {
    let (k, n, d) = (k as u128, NUMBERS as u128, DRAWN as u128);
    (0..=k).map(|h| if d >= h { binomial(k, h) * binomial(n - k, d - h) } else { 0 }).collect()
}

/// The returns paid for `k` picks at `rtp`, indexed by hits.
fn paytable(k: usize, rtp: Rtp) -> Vec<u64> {
    let base = PAYTABLES[k - 1];
    let counts = hit_counts(k);
    let total = binomial(NUMBERS as u128, DRAWN as u128);
    let paid: u128 = counts.iter().zip(base).map(|(c, m)| c * u128::from(*m)).sum();
    let base_rtp = paid as f64 / total as f64 / crate::game::MICRO as f64;
    base.iter().map(|m| scale(*m, base_rtp, rtp)).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    picks: Vec<i64>,
}

/// Valid picks, sorted.
struct Picks(Vec<u8>);

impl Picks {
    fn parse(params: &Value) -> Result<Self, ParamsError> {
        let raw: RawParams = parse_params(params)?;
        if !(1..=MAX_PICKS).contains(&raw.picks.len()) {
            return Err(ParamsError::new("picks", "choose 1 to 10 numbers"));
        }
        let mut picks = raw
            .picks
            .into_iter()
            .map(|n| u8::try_from(n).ok().filter(|n| (1..=NUMBERS as u8).contains(n)))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ParamsError::new("picks", "each pick must be a number from 1 to 80"))?;
        picks.sort_unstable();
        if picks.windows(2).any(|w| w[0] == w[1]) {
            return Err(ParamsError::new("picks", "picks must be distinct"));
        }
        Ok(Picks(picks))
    }
}

impl Game for Keno {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "keno",
            name: "Keno",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Lottery,
            volatility: Volatility::High,
            min_bet: 10,
            // 10 of 10 pays about 104,000x at 99 % RTP: keep the largest win within 10^12.
            max_bet: 5_000_000,
            params_help: "picks: 1 to 10 distinct numbers from 1 to 80; 20 of the 80 are drawn and the return grows with the hits",
        }
    }

    fn default_params(&self) -> Value {
        json!({"picks": [7, 18, 29, 44, 63]})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        Picks::parse(params).map(|_| ())
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        let k = Picks::parse(params)?.0.len();
        Ok(Distribution::new(hit_counts(k).into_iter().zip(paytable(k, rtp))))
    }

    fn top_multiplier(&self) -> u64 {
        (1..=MAX_PICKS).flat_map(|k| paytable(k, Rtp::MAX)).max().unwrap_or(0)
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({"picks": {"count": {"min": 1, "max": MAX_PICKS}, "numbers": {"min": 1, "max": NUMBERS}}})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        let Picks(picks) = Picks::parse(params)?;
        let mut a: [u8; NUMBERS] = std::array::from_fn(|i| i as u8 + 1);
        for i in 0..DRAWN {
            let j = i + rng.uniform((NUMBERS - i) as u64) as usize;
            a.swap(i, j);
        }
        let drawn = &a[..DRAWN];
        let hits: Vec<u8> = picks.iter().copied().filter(|p| drawn.contains(p)).collect();
        let multiplier_micro = paytable(picks.len(), rtp)[hits.len()];
        Ok(Outcome {
            multiplier_micro,
            detail: json!({"picks": picks, "drawn": drawn, "hits": hits, "hit_count": hits.len()}),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::MICRO;
    use crate::rng::{ClientSeed, ServerSeed};

    fn gcd(a: u128, b: u128) -> u128 {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    /// `count / total` as an f64, reduced first so simple ratios (like 1/4) are exact.
    fn probability(count: u128, total: u128) -> f64 {
        let g = gcd(count, total).max(1);
        (count / g) as f64 / (total / g) as f64
    }

    fn stream(nonce: u64) -> RandomStream {
        RandomStream::new(&ServerSeed::from_bytes([7; 32]), &ClientSeed::parse("sim").unwrap(), nonce)
    }

    /// One bet per pick count: the theory depends only on how many numbers are picked.
    fn bets() -> Vec<Value> {
        (1..=MAX_PICKS as u64).map(|k| json!({"picks": (1..=k).map(|i| i * 7 % 80 + 1).collect::<Vec<_>>()})).collect()
    }

    fn targets() -> Vec<Rtp> {
        let mut t: Vec<Rtp> = [8_000, 8_850, 9_650, 9_900].into_iter().map(|bp| Rtp::from_bp(bp).unwrap()).collect();
        t.extend((8_000..=9_900).step_by(25).map(|bp| Rtp::from_bp(bp).unwrap()));
        t
    }

    #[test]
    fn hit_counts_partition_every_draw() {
        let total = binomial(80, 20);
        assert_eq!(total, 3_535_316_142_212_174_320);
        for k in 1..=MAX_PICKS {
            assert_eq!(hit_counts(k).iter().sum::<u128>(), total, "k = {k}");
            assert_eq!(PAYTABLES[k - 1].len(), k + 1);
        }
        assert_eq!(probability(hit_counts(1)[1], total), 0.25);
    }

    #[test]
    fn theory_hits_every_target_for_every_pick_count() {
        for rtp in targets() {
            for bet in bets() {
                let t = Keno.theory(rtp, &bet).unwrap();
                assert!((t.rtp * 100.0 - rtp.percent()).abs() <= 0.01, "{bet} at {rtp}: {}", t.rtp);
            }
        }
    }

    #[test]
    fn theory_depends_only_on_the_pick_count() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let a = Keno.theory(rtp, &json!({"picks": [1, 2, 3]})).unwrap();
        let b = Keno.theory(rtp, &json!({"picks": [80, 41, 17]})).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn base_paytables_are_sensible() {
        let total = binomial(80, 20);
        for k in 1..=MAX_PICKS {
            let counts = hit_counts(k);
            let base = PAYTABLES[k - 1];
            let p_win: f64 =
                counts.iter().zip(base).filter(|(_, m)| **m > 0).map(|(c, _)| probability(*c, total)).sum();
            assert!(p_win <= 0.25, "k = {k}: P(win) {p_win}");
            assert!(base.windows(2).all(|w| w[0] <= w[1]), "k = {k}: more hits never pay less");
            assert!(base[k] >= 3 * MICRO, "k = {k}: all hits pays well");
            let base_rtp = Distribution::new(counts.iter().copied().zip(base.iter().copied())).theory().rtp;
            assert!((0.8..=1.0).contains(&base_rtp), "k = {k}: base RTP {base_rtp}");
        }
    }

    #[test]
    fn the_top_multiplier_is_ten_of_ten_at_99_and_the_maximum_bet_can_pay_it() {
        let ten = json!({"picks": (1..=10).collect::<Vec<u64>>()});
        assert_eq!(Keno.distribution(Rtp::MAX, &ten).unwrap().best_multiplier(), Keno.top_multiplier());
        assert!(
            bets().iter().all(|b| Keno.distribution(Rtp::MAX, b).unwrap().best_multiplier() <= Keno.top_multiplier())
        );
        assert!(Keno.info().max_bet <= crate::stake::max_stake_supported(&Keno));
    }

    #[test]
    fn simulation_matches_theory() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let n = 200_000u64;
        for bet in [json!({"picks": [5]}), json!({"picks": [3, 17, 25, 42, 58]})] {
            let t = Keno.theory(rtp, &bet).unwrap();
            let total: f64 = (0..n)
                .map(|nonce| Keno.play(rtp, &bet, &mut stream(nonce)).unwrap().multiplier_micro as f64 / MICRO as f64)
                .sum();
            let mean = total / n as f64;
            let band = 2.5758 * (t.variance / n as f64).sqrt();
            assert!((mean - t.rtp).abs() <= band, "{bet}: mean {mean} vs {} ± {band}", t.rtp);
        }
    }

    #[test]
    fn the_draw_is_a_uniform_20_of_80() {
        // Every number is drawn with probability 1/4; check the counts over many rounds.
        let n = 20_000u64;
        let mut seen = [0u64; 81];
        for nonce in 0..n {
            let out = Keno.play(Rtp::from_bp(9_650).unwrap(), &json!({"picks": [1]}), &mut stream(nonce)).unwrap();
            for d in out.detail["drawn"].as_array().unwrap() {
                seen[d.as_u64().unwrap() as usize] += 1;
            }
        }
        // Binomial(n, 1/4): sd = sqrt(n * 3/16) ≈ 61; allow 5 sd.
        for (number, count) in seen.iter().enumerate().skip(1) {
            assert!((*count as f64 - n as f64 / 4.0).abs() < 5.0 * 61.3, "{number}: {count}");
        }
    }

    #[test]
    fn a_fixed_seed_gives_a_fixed_round() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        let mut rng = stream(0);
        let out = Keno.play(rtp, &json!({"picks": [36, 2, 11, 80, 5]}), &mut rng).unwrap();
        let values: Vec<u64> = rng.draws().iter().map(|d| d.value).collect();
        assert_eq!(values, [1, 34, 8, 67, 20, 68, 69, 60, 54, 70, 17, 51, 44, 51, 34, 37, 15, 48, 43, 60]);
        let drawn = [2, 36, 11, 71, 25, 74, 76, 68, 63, 80, 28, 9, 57, 65, 49, 53, 32, 66, 62, 10];
        assert_eq!(
            out.detail,
            json!({"picks": [2, 5, 11, 36, 80], "drawn": drawn, "hits": [2, 11, 36, 80], "hit_count": 4})
        );
        assert_eq!(out.multiplier_micro, paytable(5, rtp)[4]);
        // 4 of 5 pays 20x at the base RTP 0.880607…, so 20 * 0.965 / 0.880607… at 96.50.
        assert_eq!(out.multiplier_micro, 21_916_707);
    }

    #[test]
    fn play_makes_the_documented_draws() {
        let rtp = Rtp::from_bp(8_000).unwrap();
        for (nonce, bet) in bets().iter().enumerate() {
            let mut rng = stream(nonce as u64);
            let out = Keno.play(rtp, bet, &mut rng).unwrap();
            let draws = rng.draws();
            assert_eq!(draws.iter().map(|d| d.n).collect::<Vec<_>>(), (61..=80).rev().collect::<Vec<u64>>());
            // Replay the documented shuffle from the recorded draws.
            let mut a: Vec<u64> = (1..=80).collect();
            for (i, d) in draws.iter().enumerate() {
                a.swap(i, i + d.value as usize);
            }
            assert_eq!(out.detail["drawn"], json!(a[..20]));
            let picks: Vec<u64> = serde_json::from_value(out.detail["picks"].clone()).unwrap();
            let hits: Vec<u64> = picks.iter().copied().filter(|p| a[..20].contains(p)).collect();
            assert_eq!(out.detail["hits"], json!(hits));
            assert_eq!(out.detail["hit_count"], json!(hits.len()));
            assert_eq!(out.multiplier_micro, paytable(picks.len(), rtp)[hits.len()]);
        }
    }

    #[test]
    fn invalid_picks_are_rejected_with_their_field() {
        let cases = [
            (json!({}), "params"),
            (json!({"picks": []}), "picks"),
            (json!({"picks": (1..=11).collect::<Vec<u64>>()}), "picks"),
            (json!({"picks": [0]}), "picks"),
            (json!({"picks": [81]}), "picks"),
            (json!({"picks": [-3]}), "picks"),
            (json!({"picks": [4, 4]}), "picks"),
            (json!({"picks": [1.5]}), "picks[0]"),
            (json!({"picks": "1,2"}), "picks"),
            (json!({"picks": [1], "spots": 1}), "spots"),
        ];
        let rtp = Rtp::from_bp(9_650).unwrap();
        for (params, field) in cases {
            let err = Keno.validate(&params).unwrap_err();
            assert_eq!(err.field, field, "{params}: {err}");
            assert_eq!(Keno.theory(rtp, &params).unwrap_err(), err);
            let mut rng = stream(0);
            assert_eq!(Keno.play(rtp, &params, &mut rng).unwrap_err(), err);
            assert!(rng.draws().is_empty());
        }
        Keno.validate(&Keno.default_params()).unwrap();
        Keno.validate(&json!({"picks": [80, 1, 2, 3, 4, 5, 6, 7, 8, 9]})).unwrap();
    }
}
