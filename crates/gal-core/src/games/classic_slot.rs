//! Classic slot: three reels, one payline, a fruit-machine paytable.

use crate::game::{
    Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Volatility, parse_params, scale,
};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// Classic slot: three reels of [`STRIP_LEN`] = 32 stops each ([`REELS`]), one payline.
///
/// Params: none (`{}` or `null`); unknown fields are rejected. The stake is the line bet.
///
/// **Draws**, in this order: `uniform(32)` for reel 1, then reel 2, then reel 3. Each value
/// is the reel's stop index `s_i`; the symbol on the payline is `REELS[i][s_i]`.
///
/// **Paytable** ([`PAYTABLE`], multiples of the stake at the base paytable; a payline pays
/// at most one combination, the first that matches in this order):
///
/// | combination | pays | rule |
/// |---|---|---|
/// | `seven-seven-seven` | 300 | three sevens |
/// | `bar-bar-bar` | 60 | three bars |
/// | `bell-bell-bell` | 40 | three bells |
/// | `cherry-cherry-cherry` | 20 | three cherries |
/// | `plum-plum-plum` | 20 | three plums |
/// | `orange-orange-orange` | 15 | three oranges |
/// | `any-bar-seven` | 15 | any other mix of bars and sevens on all three reels |
/// | `lemon-lemon-lemon` | 10 | three lemons |
/// | `cherry-cherry` | 5 | cherry on reels 1 and 2 (reel 3 not a cherry) |
/// | `cherry` | 2 | cherry on reel 1 only (reel 2 not a cherry) |
///
/// The base paytable returns exactly `BASE_RTP = 31_128 / 32_768 = 94.9951171875 %`
/// (all 32³ stop triples enumerated). At an RTP target `t` every entry pays
/// `scale(base_micro, BASE_RTP, t)` millionths of the stake (rounded to the nearest
/// millionth); the theory is the exact distribution of those rounded multipliers.
pub struct ClassicSlot;

/// The symbols, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    Cherry,
    Lemon,
    Orange,
    Plum,
    Bell,
    Bar,
    Seven,
}

impl Symbol {
    pub const fn name(self) -> &'static str {
        match self {
            Symbol::Cherry => "cherry",
            Symbol::Lemon => "lemon",
            Symbol::Orange => "orange",
            Symbol::Plum => "plum",
            Symbol::Bell => "bell",
            Symbol::Bar => "bar",
            Symbol::Seven => "seven",
        }
    }
}

use Symbol::{Bar, Bell, Cherry, Lemon, Orange, Plum, Seven};

/// Stops per reel.
pub const STRIP_LEN: usize = 32;

/// The reel strips, reel 1 to 3, indexed by stop.
///
/// Reel 1: cherry 4, lemon 7, orange 6, plum 5, bell 4, bar 4, seven 2.
/// Reel 2: cherry 4, lemon 6, orange 6, plum 6, bell 4, bar 4, seven 2.
/// Reel 3: cherry 3, lemon 7, orange 7, plum 5, bell 4, bar 4, seven 2.
#[rustfmt::skip]
pub const REELS: [[Symbol; STRIP_LEN]; 3] = [
    [Lemon, Bar, Plum, Cherry, Bar, Cherry, Lemon, Orange, Bell, Lemon, Orange, Plum, Orange, Bell, Lemon, Cherry,
     Bell, Orange, Plum, Lemon, Bell, Seven, Bar, Orange, Lemon, Plum, Seven, Plum, Bar, Lemon, Orange, Cherry],
    [Plum, Bar, Cherry, Bell, Orange, Lemon, Cherry, Orange, Cherry, Plum, Orange, Lemon, Orange, Lemon, Plum, Seven,
     Lemon, Plum, Bar, Seven, Cherry, Bell, Lemon, Bar, Orange, Plum, Lemon, Bell, Orange, Bar, Plum, Bell],
    [Plum, Lemon, Bar, Cherry, Lemon, Cherry, Plum, Lemon, Bell, Orange, Bell, Plum, Orange, Seven, Bell, Cherry,
     Seven, Bar, Orange, Lemon, Bar, Orange, Lemon, Orange, Bar, Plum, Lemon, Orange, Bell, Orange, Plum, Lemon],
];

/// One paytable entry: its name and its base multiplier in millionths of the stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pay {
    pub combination: &'static str,
    pub base_micro: u64,
}

const fn pay(combination: &'static str, times: u64) -> Pay {
    Pay { combination, base_micro: times * MICRO }
}

/// The base paytable, in precedence order (see [`combination`]).
pub const PAYTABLE: [Pay; 10] = [
    pay("seven-seven-seven", 300),
    pay("bar-bar-bar", 60),
    pay("bell-bell-bell", 40),
    pay("cherry-cherry-cherry", 20),
    pay("plum-plum-plum", 20),
    pay("orange-orange-orange", 15),
    pay("any-bar-seven", 15),
    pay("lemon-lemon-lemon", 10),
    pay("cherry-cherry", 5),
    pay("cherry", 2),
];

/// The paytable entry (index into [`PAYTABLE`]) the payline symbols win, if any.
pub fn combination(symbols: [Symbol; 3]) -> Option<usize> {
    let [a, b, c] = symbols;
    if a == b && b == c {
        return Some(match a {
            Seven => 0,
            Bar => 1,
            Bell => 2,
            Cherry => 3,
            Plum => 4,
            Orange => 5,
            Lemon => 7,
        });
    }
    let bar_or_seven = |s: Symbol| matches!(s, Bar | Seven);
    if bar_or_seven(a) && bar_or_seven(b) && bar_or_seven(c) {
        Some(6)
    } else if a == Cherry && b == Cherry {
        Some(8)
    } else if a == Cherry {
        Some(9)
    } else {
        None
    }
}

/// The payline symbols at the given stops.
pub fn symbols_at(stops: [usize; 3]) -> [Symbol; 3] {
    [REELS[0][stops[0] % STRIP_LEN], REELS[1][stops[1] % STRIP_LEN], REELS[2][stops[2] % STRIP_LEN]]
}

/// Everything independent of the RTP target, from enumerating all stop triples.
struct Enumeration {
    /// Stop triples winning each paytable entry.
    hits: [u64; PAYTABLE.len()],
    /// All stop triples: `32³`.
    total: u64,
    /// The exact RTP of the base paytable, as a fraction.
    base_rtp: f64,
}

fn enumeration() -> &'static Enumeration {
    static CACHE: OnceLock<Enumeration> = OnceLock::new();
    CACHE.get_or_init(|| {
        let mut hits = [0u64; PAYTABLE.len()];
        for a in 0..STRIP_LEN {
            for b in 0..STRIP_LEN {
                for c in 0..STRIP_LEN {
                    if let Some(e) = combination(symbols_at([a, b, c])) {
                        hits[e] += 1;
                    }
                }
            }
        }
        let total = (STRIP_LEN as u64).pow(3);
        let paid: u128 = hits.iter().zip(PAYTABLE).map(|(&h, p)| u128::from(h) * u128::from(p.base_micro)).sum();
        let base_rtp = paid as f64 / (u128::from(total) * u128::from(MICRO)) as f64;
        Enumeration { hits, total, base_rtp }
    })
}

/// The paytable at `rtp`, in millionths of the stake.
fn paytable(rtp: Rtp) -> [u64; PAYTABLE.len()] {
    let base_rtp = enumeration().base_rtp;
    PAYTABLE.map(|p| scale(p.base_micro, base_rtp, rtp))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

fn parse(params: &Value) -> Result<(), ParamsError> {
    match params {
        Value::Null => Ok(()),
        Value::Object(_) => parse_params::<Params>(params).map(|_| ()),
        _ => Err(ParamsError::new("params", "classic-slot takes no parameters: send {}")),
    }
}

/// The outcome of the round whose reels stop at `stops`.
fn spin(rtp: Rtp, stops: [usize; 3]) -> Outcome {
    let symbols = symbols_at(stops);
    let win = combination(symbols).map(|e| (PAYTABLE[e].combination, paytable(rtp)[e]));
    let multiplier_micro = win.map_or(0, |(_, m)| m);
    Outcome {
        multiplier_micro,
        detail: json!({
            "stops": stops,
            "symbols": symbols.map(Symbol::name),
            "win": win.map(|(combination, m)| json!({
                "combination": combination,
                "multiplier": m as f64 / MICRO as f64,
            })),
        }),
    }
}

impl Game for ClassicSlot {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "classic-slot",
            name: "Classic Slot",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Slot,
            volatility: Volatility::Medium,
            min_bet: 10,
            max_bet: 10_000_000,
            params_help: "no parameters ({}): three reels, one payline, the stake is the line bet",
        }
    }

    fn default_params(&self) -> Value {
        json!({})
    }

    fn validate(&self, params: &Value) -> Result<(), ParamsError> {
        parse(params)
    }

    fn distribution(&self, rtp: Rtp, params: &Value) -> Result<Distribution, ParamsError> {
        parse(params)?;
        let e = enumeration();
        let misses = e.total - e.hits.iter().sum::<u64>();
        let table = paytable(rtp);
        Ok(Distribution::new(
            e.hits.iter().zip(table).map(|(&h, m)| (u128::from(h), m)).chain([(u128::from(misses), 0)]),
        ))
    }

    fn top_multiplier(&self) -> u64 {
        paytable(Rtp::MAX).into_iter().max().unwrap_or(0)
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        parse(params)?;
        let mut stops = [0usize; 3];
        for stop in &mut stops {
            // `uniform(32)` is below 32, so the conversion is lossless.
            *stop = rng.uniform(STRIP_LEN as u64) as usize;
        }
        Ok(spin(rtp, stops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{ClientSeed, Draw, ServerSeed};

    fn rtp(bp: u32) -> Rtp {
        Rtp::from_bp(bp).unwrap()
    }

    #[test]
    fn strips_have_the_documented_weights() {
        let count = |reel: usize, s: Symbol| REELS[reel].iter().filter(|&&x| x == s).count();
        let weights = [[4, 7, 6, 5, 4, 4, 2], [4, 6, 6, 6, 4, 4, 2], [3, 7, 7, 5, 4, 4, 2]];
        for (reel, w) in weights.iter().enumerate() {
            let got: Vec<usize> =
                [Cherry, Lemon, Orange, Plum, Bell, Bar, Seven].iter().map(|&s| count(reel, s)).collect();
            assert_eq!(got, w.to_vec(), "reel {}", reel + 1);
        }
    }

    #[test]
    fn base_rtp_is_the_documented_fraction() {
        let e = enumeration();
        assert_eq!(e.total, 32_768);
        let paid: u64 = e.hits.iter().zip(PAYTABLE).map(|(&h, p)| h * (p.base_micro / MICRO)).sum();
        assert_eq!(paid, 31_128);
        assert_eq!(e.base_rtp, 31_128.0 / 32_768.0);
    }

    #[test]
    fn combinations() {
        assert_eq!(combination([Seven, Seven, Seven]), Some(0));
        assert_eq!(combination([Bar, Seven, Bar]), Some(6));
        assert_eq!(combination([Cherry, Cherry, Cherry]), Some(3));
        assert_eq!(combination([Cherry, Cherry, Lemon]), Some(8));
        assert_eq!(combination([Cherry, Lemon, Cherry]), Some(9));
        assert_eq!(combination([Lemon, Cherry, Cherry]), None);
        assert_eq!(combination([Plum, Plum, Orange]), None);
    }

    #[test]
    fn theory_matches_every_target() {
        let game = ClassicSlot;
        let mut targets: Vec<u32> = (8_000..=9_900).step_by(50).collect();
        targets.extend([8_850, 9_650, 8_001, 9_899, 9_123]);
        for bp in targets {
            let t = game.theory(rtp(bp), &json!({})).unwrap();
            assert!((t.rtp * 100.0 - f64::from(bp) / 100.0).abs() <= 0.01, "{bp}: {}", t.rtp);
        }
    }

    #[test]
    fn theory_is_the_exact_mean_of_every_stop_triple() {
        let target = rtp(9_650);
        let mut sum: u128 = 0;
        let mut wins = 0u64;
        for a in 0..STRIP_LEN {
            for b in 0..STRIP_LEN {
                for c in 0..STRIP_LEN {
                    let m = spin(target, [a, b, c]).multiplier_micro;
                    sum += u128::from(m);
                    wins += u64::from(m > 0);
                }
            }
        }
        let t = ClassicSlot.theory(target, &Value::Null).unwrap();
        let mean = sum as f64 / 32_768.0 / MICRO as f64;
        assert!((t.rtp - mean).abs() < 1e-12, "{} vs {mean}", t.rtp);
        assert!((t.win_probability - wins as f64 / 32_768.0).abs() < 1e-12);
    }

    #[test]
    fn the_top_multiplier_is_three_sevens_at_99() {
        assert_eq!(ClassicSlot.top_multiplier(), paytable(Rtp::MAX)[0]);
        assert_eq!(
            ClassicSlot.distribution(Rtp::MAX, &json!({})).unwrap().best_multiplier(),
            ClassicSlot.top_multiplier()
        );
    }

    #[test]
    fn params_are_empty() {
        let game = ClassicSlot;
        assert!(game.validate(&json!({})).is_ok());
        assert!(game.validate(&Value::Null).is_ok());
        assert!(game.validate(&game.default_params()).is_ok());
        for bad in [json!({"lines": 1}), json!([]), json!(1), json!("x")] {
            let err = game.validate(&bad).unwrap_err();
            let field = if bad.is_object() { "lines" } else { "params" };
            assert_eq!(err.field, field, "{bad}");
            let mut rng = RandomStream::new(&ServerSeed::from_bytes([1; 32]), &ClientSeed::parse("c").unwrap(), 0);
            assert!(game.play(rtp(9_650), &bad, &mut rng).is_err());
            assert!(rng.draws().is_empty());
            assert!(game.theory(rtp(9_650), &bad).is_err());
        }
    }

    #[test]
    fn deterministic_example_pins_the_draw_order() {
        let seed = ServerSeed::from_bytes([7; 32]);
        let client = ClientSeed::parse("example").unwrap();
        let mut rng = RandomStream::new(&seed, &client, 36);
        let out = ClassicSlot.play(rtp(9_650), &json!({}), &mut rng).unwrap();

        // The documented draws: uniform(32) for reels 1, 2, 3.
        let mut raw = RandomStream::new(&seed, &client, 36);
        let stops: Vec<u64> = (0..3).map(|_| raw.uniform(32)).collect();
        assert_eq!(rng.draws(), raw.draws());
        assert_eq!(rng.draws(), stops.iter().map(|&value| Draw { n: 32, value }).collect::<Vec<_>>());
        assert_eq!(stops, vec![9, 13, 19]);

        // Three lemons: 10 × 0.965 / BASE_RTP = 10.158417.
        let expected = json!({
            "stops": [9, 13, 19],
            "symbols": ["lemon", "lemon", "lemon"],
            "win": {"combination": "lemon-lemon-lemon", "multiplier": 10.158417},
        });
        assert_eq!(out, Outcome { multiplier_micro: 10_158_417, detail: expected });

        // A losing round: nonce 42 stops at bar, lemon, lemon.
        let mut rng = RandomStream::new(&seed, &client, 42);
        let out = ClassicSlot.play(rtp(9_650), &json!({}), &mut rng).unwrap();
        let expected = json!({"stops": [4, 5, 26], "symbols": ["bar", "lemon", "lemon"], "win": null});
        assert_eq!(out, Outcome { multiplier_micro: 0, detail: expected });
    }

    #[test]
    fn seeded_simulation_agrees_with_theory() {
        let game = ClassicSlot;
        let target = rtp(9_650);
        let seed = ServerSeed::from_bytes([9; 32]);
        let client = ClientSeed::parse("sim").unwrap();
        let n = 300_000u64;
        let mut sum = 0u128;
        for nonce in 0..n {
            let mut rng = RandomStream::new(&seed, &client, nonce);
            let out = game.play(target, &json!({}), &mut rng).unwrap();
            assert_eq!(rng.draws().len(), 3);
            assert!(rng.draws().iter().all(|d| d.n == 32));
            sum += u128::from(out.multiplier_micro);
        }
        let t = game.theory(target, &json!({})).unwrap();
        let mean = sum as f64 / n as f64 / MICRO as f64;
        let band = 2.5758 * (t.variance / n as f64).sqrt();
        assert!((mean - t.rtp).abs() <= band, "mean {mean}, theory {} ± {band}", t.rtp);
    }

    #[test]
    fn info() {
        let i = ClassicSlot.info();
        assert_eq!(
            (i.slug, i.provider, i.kind, i.volatility),
            ("classic-slot", "AcmeToCasino Originals", GameKind::Slot, Volatility::Medium)
        );
        assert_eq!(i.max_bet, 10_000_000);
    }
}
