//! The catalogue: every game behind the one `Game` trait, by slug.

use crate::game::Game;
use crate::games::{
    classic_slot::ClassicSlot, coin_flip::CoinFlip, crash::Crash, dice::Dice, keno::Keno, plinko::Plinko,
    roulette::Roulette, video_slot::VideoSlot,
};

pub struct Catalogue {
    games: Vec<Box<dyn Game>>,
}

impl Catalogue {
    /// The eight standard games.
    pub fn standard() -> Self {
        Self {
            games: vec![
                Box::new(Dice),
                Box::new(Roulette),
                Box::new(ClassicSlot),
                Box::new(VideoSlot),
                Box::new(Keno),
                Box::new(Plinko),
                Box::new(Crash),
                Box::new(CoinFlip),
            ],
        }
    }

    pub fn get(&self, slug: &str) -> Option<&dyn Game> {
        self.games.iter().find(|g| g.info().slug == slug).map(|g| g.as_ref())
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Game> {
        self.games.iter().map(|g| g.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{MICRO, Rtp};
    use crate::payout::{ExactPayout, Rounding};
    use crate::rng::{ClientSeed, RandomStream, ServerSeed};
    use crate::stake::{check_offered, max_stake_supported};
    use serde_json::{Value, json};

    /// Parameter sets exercised for each game, beyond its defaults.
    fn param_sets(slug: &str) -> Vec<Value> {
        match slug {
            "dice" => vec![
                json!({"target": 100, "direction": "under"}),
                json!({"target": 9800, "direction": "under"}),
                json!({"target": 199, "direction": "over"}),
                json!({"target": 7777, "direction": "over"}),
            ],
            "roulette" => vec![
                json!({"bet": "straight", "numbers": [17]}),
                json!({"bet": "split", "numbers": [0, 2]}),
                json!({"bet": "street", "numbers": [4, 5, 6]}),
                json!({"bet": "corner", "numbers": [1, 2, 4, 5]}),
                json!({"bet": "six_line", "numbers": [31, 32, 33, 34, 35, 36]}),
                json!({"bet": "column", "column": 2}),
                json!({"bet": "dozen", "dozen": 3}),
                json!({"bet": "black"}),
                json!({"bet": "odd"}),
                json!({"bet": "high"}),
            ],
            "keno" => (1..=10u64).map(|k| json!({"picks": (1..=k).map(|i| i * 7).collect::<Vec<_>>()})).collect(),
            "plinko" => ["low", "medium", "high"]
                .iter()
                .flat_map(|risk| [8, 12, 16].map(|rows| json!({"rows": rows, "risk": risk})))
                .collect(),
            "crash" => vec![json!({"cashout": 1.01}), json!({"cashout": 3.33}), json!({"cashout": 1000.0})],
            "coin-flip" => vec![json!({"side": "tails"})],
            _ => vec![],
        }
    }

    fn all_params(g: &dyn Game) -> Vec<Value> {
        let mut v = vec![g.default_params()];
        v.extend(param_sets(g.info().slug));
        v
    }

    #[test]
    fn the_catalogue_has_the_eight_games() {
        let c = Catalogue::standard();
        let slugs: Vec<_> = c.iter().map(|g| g.info().slug).collect();
        assert_eq!(slugs, ["dice", "roulette", "classic-slot", "video-slot", "keno", "plinko", "crash", "coin-flip"]);
        assert!(c.get("dice").is_some() && c.get("blackjack").is_none());
    }

    #[test]
    fn theoretical_rtp_equals_every_target_within_a_hundredth_of_a_point() {
        let c = Catalogue::standard();
        for g in c.iter() {
            for params in all_params(g) {
                for target in [80.0, 88.5, 96.5, 99.0] {
                    let rtp = Rtp::from_percent(target).unwrap();
                    let t = g.theory(rtp, &params).unwrap();
                    let diff = (t.rtp * 100.0 - target).abs();
                    assert!(diff <= 0.01, "{} {params} at {target}: {}", g.info().slug, t.rtp * 100.0);
                }
            }
        }
    }

    /// How many of the 10^6 rounding draws pay one unit more than `p.whole`, as the
    /// settlement decides it: `resolve` pays more below a threshold, which a binary
    /// search finds (the ends are checked too).
    fn rounding_draws_paying_more(p: ExactPayout) -> u128 {
        let more = |u: u64| {
            let paid = p.resolve(u);
            assert!(paid == p.whole || paid == p.whole + 1);
            paid > p.whole
        };
        let (mut lo, mut hi) = (0, MICRO);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if more(mid) { lo = mid + 1 } else { hi = mid }
        }
        assert!(lo == 0 || more(lo - 1));
        assert!(lo == MICRO || !more(lo) && !more(MICRO - 1));
        u128::from(lo)
    }

    /// The stakes and targets of the exactness proof.
    const STAKES: [i64; 7] = [1, 7, 10, 99, 100, 1_234, 1_000_000];
    const TARGETS: [f64; 4] = [80.0, 88.5, 96.5, 99.0];

    /// The proof that every accepted bet returns its target at every stake, rounding
    /// included, computed with integers only: for each outcome `(weight, m)` of the exact
    /// distribution, the payout of stake `a` is `floor(a·m / 10^6)` plus one unit for
    /// `(a·m mod 10^6)` of the 10^6 equally likely rounding draws (as [`ExactPayout`]
    /// settles it). So `Σ weight·(floor·10^6 + ups)` over `total·10^6` equally likely
    /// (outcome, draw) pairs is the exact expected payout, checked against `a × target`
    /// to within 0.01 percentage points: `|E − a·bp/10^4| ≤ a / 10^4`.
    #[test]
    fn expected_payout_equals_stake_times_target_at_every_stake_exactly() {
        let c = Catalogue::standard();
        let mut checked = 0;
        let mut worst = 0.0f64;
        for g in c.iter() {
            for params in all_params(g) {
                for target in TARGETS {
                    let rtp = Rtp::from_percent(target).unwrap();
                    let dist = g.distribution(rtp, &params).unwrap();
                    if check_offered(&dist, rtp).is_err() {
                        continue;
                    }
                    for a in STAKES {
                        let mut expected = 0u128;
                        for &(weight, m) in dist.outcomes() {
                            let p = ExactPayout::of(a, m);
                            assert_eq!(
                                u128::try_from(p.whole).unwrap(),
                                u128::try_from(a).unwrap() * u128::from(m) / u128::from(MICRO)
                            );
                            let paid =
                                u128::try_from(p.whole).unwrap() * u128::from(MICRO) + rounding_draws_paying_more(p);
                            expected = expected.checked_add(weight.checked_mul(paid).unwrap()).unwrap();
                        }
                        assert_eq!(Some(expected), dist.expected_payout_numerator(a));
                        let a = u128::try_from(a).unwrap();
                        let want = a * u128::from(rtp.bp()) * 100 * dist.total();
                        let tolerance = a * 100 * dist.total();
                        let off = expected.abs_diff(want);
                        assert!(
                            off <= tolerance,
                            "{} {params} at {target} %, stake {a}: {off} > {tolerance}",
                            g.info().slug
                        );
                        worst = worst.max(off as f64 / tolerance as f64);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked}");
        // The only error left is the paytable's own rounding to millionths.
        assert!(worst < 0.01, "worst {worst} of the 0.01 pp allowed");
    }

    #[test]
    fn default_limits_are_real_stakes_the_math_supports() {
        for g in Catalogue::standard().iter() {
            let info = g.info();
            assert!((1..=10).contains(&info.min_bet), "{}: min_bet {}", info.slug, info.min_bet);
            assert!(info.max_bet > info.min_bet);
            assert!(
                info.max_bet <= max_stake_supported(g),
                "{}: {} > {}",
                info.slug,
                info.max_bet,
                max_stake_supported(g)
            );
            for params in all_params(g) {
                assert!(g.distribution(Rtp::MAX, &params).unwrap().best_multiplier() <= g.top_multiplier());
            }
        }
    }

    #[test]
    fn seeded_simulations_at_the_minimum_stake_land_inside_their_own_99_percent_band() {
        let c = Catalogue::standard();
        // A fixed seed makes the test deterministic; each game must land in its 99 % band,
        // paid in minor units at its minimum stake, rounding draw included.
        let seed = ServerSeed::from_bytes([43; 32]);
        let client = ClientSeed::parse("catalogue-simulation").unwrap();
        let rtp = Rtp::from_percent(96.5).unwrap();
        for g in c.iter() {
            let params = g.default_params();
            let a = g.info().min_bet;
            let t = g.distribution(rtp, &params).unwrap().at_stake(a);
            let n = 200_000u64;
            let paid: i64 = (0..n)
                .map(|nonce| {
                    let mut rng = RandomStream::new(&seed, &client, nonce);
                    let m = g.play(rtp, &params, &mut rng).unwrap().multiplier_micro;
                    ExactPayout::of(a, m).settle(Rounding::Unbiased, &mut rng)
                })
                .sum();
            let mean = paid as f64 / n as f64;
            let half = 2.575_829 * (t.variance / n as f64).sqrt();
            let slug = g.info().slug;
            assert!(
                (mean - t.expected_payout).abs() <= half,
                "{slug}: mean {mean}, theory {} ± {half}",
                t.expected_payout
            );
            assert!((t.expected_payout / a as f64 - 0.965).abs() < 1e-4, "{slug}");
        }
    }

    #[test]
    fn games_are_pure_functions_of_their_inputs() {
        let c = Catalogue::standard();
        let seed = ServerSeed::from_bytes([1; 32]);
        let client = ClientSeed::parse("purity").unwrap();
        let rtp = Rtp::from_percent(90.0).unwrap();
        for g in c.iter() {
            let params = g.default_params();
            let play = |nonce| {
                let mut rng = RandomStream::new(&seed, &client, nonce);
                let o = g.play(rtp, &params, &mut rng).unwrap();
                (o, rng.into_draws())
            };
            assert_eq!(play(5), play(5), "{}", g.info().slug);
            assert!(g.validate(&json!({"nonsense": true})).is_err(), "{} accepts unknown params", g.info().slug);
            assert!(g.validate(&params).is_ok());
        }
    }
}
