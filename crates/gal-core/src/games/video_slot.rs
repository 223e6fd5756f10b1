//! Video slot: five reels, three rows, ten fixed paylines, a substituting wild.

use crate::game::{
    Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, Volatility, parse_params, scale,
};
use crate::rng::RandomStream;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Video slot: five reels of [`REEL_LEN`] = 20 stops each ([`REELS`]), three visible rows,
/// ten fixed paylines ([`PAYLINES`]).
///
/// Params: none (`{}` or `null`); unknown fields are rejected. The stake covers all ten
/// lines: the line bet is `stake / 10`.
///
/// **Draws**, in this order: `uniform(20)` for reel 1, 2, 3, 4, 5. Each value is the reel's
/// stop index `s_i`; reel `i` shows `REELS[i][(s_i + r) % 20]` in row `r = 0, 1, 2` (row 0 at
/// the top).
///
/// **Lines**: payline `l` (0-based index into [`PAYLINES`]) reads row `PAYLINES[l][i]` of
/// reel `i`. A line pays for 3, 4 or 5 matching symbols in a row from the leftmost reel;
/// `wild` substitutes for every symbol, and a run of wilds alone pays as wilds. When a line
/// starts with wilds, the two readings are compared (the run of leading wilds paid as wilds,
/// and the first other symbol `X` with the run of `X`-or-wild) and the better-paying one at
/// the base paytable is paid (on a tie, `X`). A line pays at most one win.
///
/// **Paytable** ([`PAYTABLE`], multiples of the line bet at the base paytable):
///
/// | symbol | 3 | 4 | 5 |
/// |---|---|---|---|
/// | wild | 100 | 1000 | 10000 |
/// | crown | 25 | 150 | 2500 |
/// | diamond | 15 | 75 | 1000 |
/// | bell | 12 | 50 | 400 |
/// | ace | 8 | 25 | 150 |
/// | king | 6 | 20 | 125 |
/// | queen | 4 | 15 | 75 |
/// | jack | 3 | 10 | 50 |
///
/// The base paytable returns exactly `BASE_RTP = 30_463 / 32_000 = 95.196875 %`
/// (the mean line pay over all 20⁵ stop combinations; the round pays the sum of its ten lines
/// divided by ten). At an RTP target `t`, each line win pays `m = scale(base_micro,
/// BASE_RTP, t)` millionths of the line bet (rounded to the nearest millionth), and the
/// round's multiplier is `floor(Σ m / 10)` millionths of the stake: the one rounding, down.
/// The theory is the exact distribution of that multiplier over all 20⁵ stop combinations.
pub struct VideoSlot;

/// The symbols, highest to lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    Wild,
    Crown,
    Diamond,
    Bell,
    Ace,
    King,
    Queen,
    Jack,
}

impl Symbol {
    pub const ALL: [Symbol; 8] = [Wild, Crown, Diamond, Bell, Ace, King, Queen, Jack];

    pub const fn name(self) -> &'static str {
        match self {
            Symbol::Wild => "wild",
            Symbol::Crown => "crown",
            Symbol::Diamond => "diamond",
            Symbol::Bell => "bell",
            Symbol::Ace => "ace",
            Symbol::King => "king",
            Symbol::Queen => "queen",
            Symbol::Jack => "jack",
        }
    }
}

use Symbol::{Ace, Bell, Crown, Diamond, Jack, King, Queen, Wild};

/// Stops per reel.
pub const REEL_LEN: usize = 20;
/// Reels.
pub const REEL_COUNT: usize = 5;
/// Visible rows per reel.
pub const ROWS: usize = 3;
/// Paylines; the stake covers all of them.
pub const LINES: u64 = 10;

/// The reel strips, reel 1 to 5, indexed by stop.
///
/// Symbol counts (wild, crown, diamond, bell, ace, king, queen, jack):
/// reel 1: 1, 2, 2, 2, 2, 2, 4, 5; reel 2: 1, 2, 2, 2, 4, 5, 2, 2; reel 3: 1, 2, 2, 3, 3, 2, 4, 3;
/// reels 4 and 5: 1, 2, 2, 2, 3, 3, 3, 4.
#[rustfmt::skip]
pub const REELS: [[Symbol; REEL_LEN]; REEL_COUNT] = [
    [Queen, Crown, Jack, Queen, Wild, Diamond, Queen, Bell, Diamond, Jack,
     Queen, Crown, Jack, Ace, Jack, King, Jack, Bell, Ace, King],
    [Queen, King, Queen, King, Bell, King, Crown, Diamond, Crown, Bell,
     Ace, King, Diamond, Wild, Ace, King, Jack, Ace, Jack, Ace],
    [Jack, Crown, Queen, Jack, Ace, Queen, Diamond, Jack, King, Bell,
     Ace, Bell, Queen, Ace, Crown, Bell, Queen, King, Wild, Diamond],
    [Bell, Diamond, Crown, Wild, Bell, Jack, Diamond, Crown, King, Ace,
     King, Jack, Queen, Ace, King, Queen, Jack, Queen, Ace, Jack],
    [Diamond, Queen, Jack, Wild, Jack, Queen, King, Ace, Jack, Crown,
     Diamond, King, Ace, King, Bell, Crown, Bell, Ace, Jack, Queen],
];

/// The paylines: the row (0 top, 1 middle, 2 bottom) read on each reel.
pub const PAYLINES: [[usize; REEL_COUNT]; LINES as usize] = [
    [1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0],
    [2, 2, 2, 2, 2],
    [0, 1, 2, 1, 0],
    [2, 1, 0, 1, 2],
    [0, 0, 1, 2, 2],
    [2, 2, 1, 0, 0],
    [1, 0, 0, 0, 1],
    [1, 2, 2, 2, 1],
    [0, 1, 1, 1, 0],
];

/// The base paytable in millionths of the line bet, by symbol (in [`Symbol::ALL`] order),
/// for 3, 4 and 5 in a row.
pub const PAYTABLE: [[u64; 3]; 8] = [
    [100 * MICRO, 1_000 * MICRO, 10_000 * MICRO],
    [25 * MICRO, 150 * MICRO, 2_500 * MICRO],
    [15 * MICRO, 75 * MICRO, 1_000 * MICRO],
    [12 * MICRO, 50 * MICRO, 400 * MICRO],
    [8 * MICRO, 25 * MICRO, 150 * MICRO],
    [6 * MICRO, 20 * MICRO, 125 * MICRO],
    [4 * MICRO, 15 * MICRO, 75 * MICRO],
    [3 * MICRO, 10 * MICRO, 50 * MICRO],
];

/// Paytable entries: 8 symbols × (3, 4, 5 in a row).
const ENTRIES: usize = 24;

/// The index of (symbol, count) in the flattened paytable.
fn entry(symbol: Symbol, count: usize) -> usize {
    symbol as usize * 3 + (count - 3)
}

fn base_pay(symbol: Symbol, count: usize) -> u64 {
    PAYTABLE[symbol as usize][count - 3]
}

/// The win of one line reading `symbols` (reels 1 to 5): the symbol paid and how many in a row.
pub fn line_win(symbols: [Symbol; REEL_COUNT]) -> Option<(Symbol, usize)> {
    let wilds = symbols.iter().take_while(|&&s| s == Wild).count();
    let mut best = (wilds >= 3).then_some((Wild, wilds));
    if let Some(&x) = symbols.get(wilds) {
        let run = wilds + symbols[wilds..].iter().take_while(|&&s| s == x || s == Wild).count();
        if run >= 3 && best.is_none_or(|(w, k)| base_pay(x, run) >= base_pay(w, k)) {
            best = Some((x, run));
        }
    }
    best
}

/// The visible window at `stops`: `grid[row][reel]`.
pub fn grid_at(stops: [usize; REEL_COUNT]) -> [[Symbol; REEL_COUNT]; ROWS] {
    std::array::from_fn(|row| std::array::from_fn(|reel| REELS[reel][(stops[reel] + row) % REEL_LEN]))
}

/// The symbols payline `line` reads in `grid`.
fn line_symbols(grid: &[[Symbol; REEL_COUNT]; ROWS], line: usize) -> [Symbol; REEL_COUNT] {
    std::array::from_fn(|reel| grid[PAYLINES[line][reel]][reel])
}

/// Everything independent of the RTP target.
struct Enumeration {
    /// Distinct vectors of paytable-entry hit counts (4 bits per entry, entry `e` at bits
    /// `4e..4e+4`; a count is at most 10) with the number of stop combinations giving each.
    hit_vectors: Vec<(u128, u64)>,
}

/// Whether the first three symbols of a line can still start a win.
fn live_prefix(prefix: [Symbol; 3]) -> bool {
    match prefix.iter().find(|&&s| s != Wild) {
        None => true,
        Some(&x) => prefix.iter().all(|&s| s == x || s == Wild),
    }
}

fn enumeration() -> &'static Enumeration {
    static CACHE: OnceLock<Enumeration> = OnceLock::new();
    CACHE.get_or_init(|| {
        let windows: [[[Symbol; ROWS]; REEL_LEN]; REEL_COUNT] = std::array::from_fn(|reel| {
            std::array::from_fn(|stop| std::array::from_fn(|row| REELS[reel][(stop + row) % REEL_LEN]))
        });
        let mut counts: HashMap<u128, u64> = HashMap::new();
        let mut dead = 0u64;
        let tail = (REEL_LEN * REEL_LEN) as u64;
        let mut live: Vec<(usize, [Symbol; 3])> = Vec::with_capacity(PAYLINES.len());
        for s0 in 0..REEL_LEN {
            for s1 in 0..REEL_LEN {
                for s2 in 0..REEL_LEN {
                    live.clear();
                    for (line, rows) in PAYLINES.iter().enumerate() {
                        let prefix = [windows[0][s0][rows[0]], windows[1][s1][rows[1]], windows[2][s2][rows[2]]];
                        if live_prefix(prefix) {
                            live.push((line, prefix));
                        }
                    }
                    if live.is_empty() {
                        dead += tail;
                        continue;
                    }
                    for w3 in &windows[3] {
                        for w4 in &windows[4] {
                            let mut key = 0u128;
                            for &(line, [a, b, c]) in &live {
                                let rows = PAYLINES[line];
                                if let Some((s, n)) = line_win([a, b, c, w3[rows[3]], w4[rows[4]]]) {
                                    key += 1 << (4 * entry(s, n));
                                }
                            }
                            *counts.entry(key).or_insert(0) += 1;
                        }
                    }
                }
            }
        }
        *counts.entry(0).or_insert(0) += dead;
        let mut hit_vectors: Vec<(u128, u64)> = counts.into_iter().collect();
        hit_vectors.sort_unstable();
        Enumeration { hit_vectors }
    })
}

/// The exact RTP of the base paytable, `(numerator, denominator)` in millionths: the mean
/// line pay, from the symbol counts of each reel (every line reads one cell of each reel,
/// and each cell of a reel shows each symbol with the strip's frequency).
fn base_rtp_fraction() -> (u128, u128) {
    let mut counts = [[0u128; 8]; REEL_COUNT];
    for (reel, strip) in REELS.iter().enumerate() {
        for &s in strip {
            counts[reel][s as usize] += 1;
        }
    }
    let mut paid = 0u128;
    for code in 0..8usize.pow(REEL_COUNT as u32) {
        let symbols: [Symbol; REEL_COUNT] = std::array::from_fn(|i| Symbol::ALL[(code >> (3 * i)) & 7]);
        if let Some((s, n)) = line_win(symbols) {
            let weight: u128 = symbols.iter().enumerate().map(|(i, &x)| counts[i][x as usize]).product();
            paid += weight * u128::from(base_pay(s, n));
        }
    }
    (paid, (REEL_LEN as u128).pow(REEL_COUNT as u32) * u128::from(MICRO))
}

fn base_rtp() -> f64 {
    static BASE: OnceLock<f64> = OnceLock::new();
    *BASE.get_or_init(|| {
        let (num, den) = base_rtp_fraction();
        num as f64 / den as f64
    })
}

/// The paytable at `rtp`, flattened by [`entry`], in millionths of the line bet.
fn paytable(rtp: Rtp) -> [u64; ENTRIES] {
    let base = base_rtp();
    std::array::from_fn(|e| scale(PAYTABLE[e / 3][e % 3], base, rtp))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

fn parse(params: &Value) -> Result<(), ParamsError> {
    match params {
        Value::Null => Ok(()),
        Value::Object(_) => parse_params::<Params>(params).map(|_| ()),
        _ => Err(ParamsError::new("params", "video-slot takes no parameters: send {}")),
    }
}

/// The round's multiplier in millionths of the stake for the line pays `line_micro`
/// (millionths of the line bet): their sum over the ten lines, divided by ten, rounded down.
fn round_multiplier(line_micro: u64) -> u64 {
    line_micro / LINES
}

/// The outcome of the round whose reels stop at `stops`.
fn spin(rtp: Rtp, stops: [usize; REEL_COUNT]) -> Outcome {
    let table = paytable(rtp);
    let grid = grid_at(stops);
    let mut total = 0u64;
    let mut line_wins = Vec::new();
    for line in 0..PAYLINES.len() {
        if let Some((symbol, count)) = line_win(line_symbols(&grid, line)) {
            let m = table[entry(symbol, count)];
            total += m;
            line_wins.push(json!({"line": line, "symbol": symbol.name(), "count": count, "multiplier_micro": m}));
        }
    }
    Outcome {
        multiplier_micro: round_multiplier(total),
        detail: json!({
            "stops": stops,
            "grid": grid.map(|row| row.map(Symbol::name)),
            "line_wins": line_wins,
        }),
    }
}

impl Game for VideoSlot {
    fn info(&self) -> GameInfo {
        GameInfo {
            slug: "video-slot",
            name: "Video Slot",
            provider: "AcmeToCasino Originals",
            kind: GameKind::Slot,
            volatility: Volatility::High,
            min_bet: 10,
            max_bet: 10_000_000,
            params_help: "no parameters ({}): five reels, three rows, 10 fixed paylines; the stake covers all 10 lines (line bet = stake / 10)",
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
        let table = paytable(rtp);
        Ok(Distribution::new(enumeration().hit_vectors.iter().map(|&(key, n)| {
            let line_micro: u64 = (0..ENTRIES).map(|i| ((key >> (4 * i)) & 0xf) as u64 * table[i]).sum();
            (u128::from(n), round_multiplier(line_micro))
        })))
    }

    fn top_multiplier(&self) -> u64 {
        self.distribution(Rtp::MAX, &Value::Null).map_or(0, |d| d.best_multiplier())
    }

    fn accepted_params(&self, _rtp: Rtp) -> Value {
        json!({})
    }

    fn play(&self, rtp: Rtp, params: &Value, rng: &mut RandomStream) -> Result<Outcome, ParamsError> {
        parse(params)?;
        let mut stops = [0usize; REEL_COUNT];
        for stop in &mut stops {
            // `uniform(20)` is below 20, so the conversion is lossless.
            *stop = rng.uniform(REEL_LEN as u64) as usize;
        }
        Ok(spin(rtp, stops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{ClientSeed, Draw, ServerSeed};
    use std::time::Instant;

    fn rtp(bp: u32) -> Rtp {
        Rtp::from_bp(bp).unwrap()
    }

    #[test]
    fn strips_have_the_documented_weights() {
        let weights = [
            [1, 2, 2, 2, 2, 2, 4, 5],
            [1, 2, 2, 2, 4, 5, 2, 2],
            [1, 2, 2, 3, 3, 2, 4, 3],
            [1, 2, 2, 2, 3, 3, 3, 4],
            [1, 2, 2, 2, 3, 3, 3, 4],
        ];
        for (reel, w) in weights.iter().enumerate() {
            let got = Symbol::ALL.map(|s| REELS[reel].iter().filter(|&&x| x == s).count());
            assert_eq!(&got, w, "reel {}", reel + 1);
        }
        for (i, s) in Symbol::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
    }

    #[test]
    fn line_evaluation() {
        assert_eq!(line_win([Jack, Jack, Jack, Queen, Jack]), Some((Jack, 3)));
        assert_eq!(line_win([Jack, Wild, Jack, Jack, Queen]), Some((Jack, 4)));
        assert_eq!(line_win([Jack, Jack, Queen, Jack, Jack]), None);
        assert_eq!(line_win([Queen, Jack, Jack, Jack, Jack]), None);
        assert_eq!(line_win([Wild, Wild, Wild, Wild, Wild]), Some((Wild, 5)));
        // Three wilds (100) beat four jacks (10) and five queens (75), not five aces (150).
        assert_eq!(line_win([Wild, Wild, Wild, Jack, Queen]), Some((Wild, 3)));
        assert_eq!(line_win([Wild, Wild, Wild, Queen, Queen]), Some((Wild, 3)));
        assert_eq!(line_win([Wild, Wild, Wild, Ace, Ace]), Some((Ace, 5)));
        // Five crowns (2500) beat four wilds (1000); five bells (400) do not.
        assert_eq!(line_win([Wild, Wild, Wild, Wild, Crown]), Some((Crown, 5)));
        assert_eq!(line_win([Wild, Wild, Wild, Wild, Bell]), Some((Wild, 4)));
        // A tie (four wilds = five diamonds = 1000) goes to the symbol.
        assert_eq!(line_win([Wild, Wild, Wild, Wild, Diamond]), Some((Diamond, 5)));
        assert_eq!(line_win([Wild, Wild, Ace, Ace, Jack]), Some((Ace, 4)));
        assert_eq!(line_win([Wild, Wild, Jack, Queen, Queen]), Some((Jack, 3)));
        assert_eq!(line_win([Wild, Ace, Jack, Jack, Jack]), None);
    }

    #[test]
    fn base_rtp_is_the_documented_fraction() {
        assert_eq!(base_rtp_fraction(), (3_046_300_000_000, 3_200_000_000_000));
        assert_eq!(base_rtp(), 30_463.0 / 32_000.0);
        // The hit vectors of the full enumeration give the same total: Σ lines = 10 × mean line.
        let e = enumeration();
        assert_eq!(e.hit_vectors.iter().map(|v| v.1).sum::<u64>(), 3_200_000, "every stop combination, once");
        let flat: [u64; ENTRIES] = std::array::from_fn(|i| PAYTABLE[i / 3][i % 3]);
        let paid: u128 = e
            .hit_vectors
            .iter()
            .map(|&(key, n)| {
                u128::from(n) * (0..ENTRIES).map(|i| ((key >> (4 * i)) & 0xf) * u128::from(flat[i])).sum::<u128>()
            })
            .sum();
        assert_eq!(paid, 10 * base_rtp_fraction().0);
    }

    #[test]
    fn theory_matches_every_target() {
        let game = VideoSlot;
        let mut targets: Vec<u32> = (8_000..=9_900).step_by(50).collect();
        targets.extend([8_850, 9_650, 8_001, 9_899, 9_123]);
        for bp in targets {
            let t = game.theory(rtp(bp), &json!({})).unwrap();
            assert!((t.rtp * 100.0 - f64::from(bp) / 100.0).abs() <= 0.01, "{bp}: {}", t.rtp);
        }
    }

    #[test]
    fn theory_is_fast_once_cached() {
        let _ = VideoSlot.theory(rtp(9_000), &json!({})).unwrap();
        let start = Instant::now();
        let _ = VideoSlot.theory(rtp(9_650), &json!({})).unwrap();
        assert!(start.elapsed().as_millis() < 500, "{:?}", start.elapsed());
    }

    #[test]
    fn theory_is_the_exact_distribution_of_every_stop_combination() {
        let target = rtp(8_850);
        let table = paytable(target);
        let mut sum = 0u128;
        let mut sum_sq = 0u128;
        let mut wins = 0u64;
        for code in 0..REEL_LEN.pow(REEL_COUNT as u32) {
            let mut c = code;
            let stops: [usize; REEL_COUNT] = std::array::from_fn(|_| {
                let s = c % REEL_LEN;
                c /= REEL_LEN;
                s
            });
            let grid = grid_at(stops);
            let line_micro: u64 = (0..PAYLINES.len())
                .filter_map(|l| line_win(line_symbols(&grid, l)))
                .map(|(s, n)| table[entry(s, n)])
                .sum();
            let m = round_multiplier(line_micro);
            sum += u128::from(m);
            sum_sq += u128::from(m) * u128::from(m);
            wins += u64::from(m > 0);
        }
        let n = 3_200_000.0;
        let mean = sum as f64 / n / MICRO as f64;
        let var = sum_sq as f64 / n / (MICRO as f64 * MICRO as f64) - mean * mean;
        let t = VideoSlot.theory(target, &Value::Null).unwrap();
        assert!((t.rtp - mean).abs() < 1e-12, "{} vs {mean}", t.rtp);
        assert!((t.variance - var).abs() < 1e-9 * var, "{} vs {var}", t.variance);
        assert!((t.win_probability - wins as f64 / n).abs() < 1e-12);
    }

    #[test]
    fn params_are_empty() {
        let game = VideoSlot;
        assert!(game.validate(&json!({})).is_ok());
        assert!(game.validate(&Value::Null).is_ok());
        assert!(game.validate(&game.default_params()).is_ok());
        for bad in [json!({"lines": 10}), json!([]), json!(1), json!("x")] {
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
        let mut rng = RandomStream::new(&seed, &client, 211);
        let out = VideoSlot.play(rtp(9_650), &json!({}), &mut rng).unwrap();

        // The documented draws: uniform(20) for reels 1 to 5.
        let mut raw = RandomStream::new(&seed, &client, 211);
        let stops: Vec<u64> = (0..5).map(|_| raw.uniform(20)).collect();
        assert_eq!(rng.draws(), raw.draws());
        assert_eq!(rng.draws(), stops.iter().map(|&value| Draw { n: 20, value }).collect::<Vec<_>>());
        assert_eq!(stops, vec![4, 13, 18, 10, 4]);

        // Line 1 (top row) pays three wilds, lines 5 and 7 three diamonds each;
        // (101_368_874 + 2 * 15_205_331) / 10 = 13_177_953.6, rounded down.
        let expected = json!({
            "stops": [4, 13, 18, 10, 4],
            "grid": [
                ["wild", "wild", "wild", "king", "jack"],
                ["diamond", "ace", "diamond", "jack", "queen"],
                ["queen", "king", "jack", "queen", "king"],
            ],
            "line_wins": [
                {"line": 1, "symbol": "wild", "count": 3, "multiplier_micro": 101_368_874},
                {"line": 5, "symbol": "diamond", "count": 3, "multiplier_micro": 15_205_331},
                {"line": 7, "symbol": "diamond", "count": 3, "multiplier_micro": 15_205_331},
            ],
        });
        assert_eq!(out, Outcome { multiplier_micro: 13_177_953, detail: expected });
    }

    #[test]
    fn seeded_simulation_agrees_with_theory() {
        let game = VideoSlot;
        let target = rtp(9_650);
        let seed = ServerSeed::from_bytes([9; 32]);
        let client = ClientSeed::parse("sim").unwrap();
        let n = 300_000u64;
        let mut sum = 0u128;
        for nonce in 0..n {
            let mut rng = RandomStream::new(&seed, &client, nonce);
            let out = game.play(target, &json!({}), &mut rng).unwrap();
            assert_eq!(rng.draws().len(), 5);
            assert!(rng.draws().iter().all(|d| d.n == 20));
            sum += u128::from(out.multiplier_micro);
        }
        let t = game.theory(target, &json!({})).unwrap();
        let mean = sum as f64 / n as f64 / MICRO as f64;
        let band = 2.5758 * (t.variance / n as f64).sqrt();
        assert!((mean - t.rtp).abs() <= band, "mean {mean}, theory {} ± {band}", t.rtp);
    }

    #[test]
    fn info() {
        let i = VideoSlot.info();
        assert_eq!(
            (i.slug, i.provider, i.kind, i.volatility),
            ("video-slot", "AcmeToCasino Originals", GameKind::Slot, Volatility::High)
        );
        assert_eq!(i.max_bet, 10_000_000);
    }
}
