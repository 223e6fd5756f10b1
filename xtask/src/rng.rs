//! `cargo xtask rng`: statistical tests of the production draw path,
//! `RandomStream::uniform(n)`, with p-values at the 99 % level.
//!
//! The draws come from many streams: a fixed server seed, client seed `xtask-rng`, and a
//! new nonce after every 1,000 draws, so that many streams and HMAC blocks are exercised.
//! Each test has its own nonces (`test index << 40` onwards).

use std::fmt;
use std::process::ExitCode;
use std::time::Instant;

use gal_core::{ClientSeed, RandomStream, ServerSeed};

use crate::flags::{DEFAULT_SEED, RngFlags};
use crate::progress::{Progress, run_jobs};
use crate::stats::{chi_square_sf, normal_two_sided_p};
use crate::util::{Result, fmt_duration};

pub const CLIENT_SEED: &str = "xtask-rng";
/// A stream gives this many draws before the next nonce takes over.
const DRAWS_PER_STREAM: u32 = 1_000;
/// Test `i` starts at nonce `i << NONCE_SHIFT`, so no two tests share a stream.
const NONCE_SHIFT: u32 = 40;
/// A test passes iff `p >= ALPHA`.
const ALPHA: f64 = 0.01;
const TWO_POW_32: u64 = 1 << 32;
/// The ranges of the chi-square uniformity tests.
const UNIFORMITY_RANGES: [u64; 6] = [2, 6, 37, 80, 10_000, 1_000_003];
/// Ranges above this are grouped into `LARGE_RANGE_BINS` equal-width bins.
const MAX_BINS: u64 = 10_000;
const LARGE_RANGE_BINS: u64 = 1_000;
/// The smallest expected count of a chi-square bin.
const MIN_EXPECTED: u64 = 5;
/// The gap test looks at the gaps between zeros of `uniform(GAP_RANGE)`.
const GAP_RANGE: u64 = 10;
/// The gap test's buckets: gap lengths `0..=max_gap` (at most this) and a tail.
const MAX_GAP_CAP: u64 = 50;

/// A source of uniform integers in `[0, n)`.
pub trait Uniform {
    fn uniform(&mut self, n: u64) -> u64;
}

/// The production path: `RandomStream::uniform`, a new nonce every `DRAWS_PER_STREAM` draws.
struct Production<'a> {
    seed: &'a ServerSeed,
    client: &'a ClientSeed,
    nonce: u64,
    stream: RandomStream,
    used: u32,
}

impl<'a> Production<'a> {
    fn new(seed: &'a ServerSeed, client: &'a ClientSeed, first_nonce: u64) -> Self {
        let stream = RandomStream::new(seed, client, first_nonce);
        Self { seed, client, nonce: first_nonce, stream, used: 0 }
    }
}

impl Uniform for Production<'_> {
    fn uniform(&mut self, n: u64) -> u64 {
        if self.used == DRAWS_PER_STREAM {
            self.nonce += 1;
            self.stream = RandomStream::new(self.seed, self.client, self.nonce);
            self.used = 0;
        }
        self.used += 1;
        self.stream.uniform(n)
    }
}

/// Counts draws into a progress job.
struct Counted<'a, G> {
    inner: G,
    progress: &'a Progress,
    job: usize,
    pending: u64,
}

impl<G: Uniform> Uniform for Counted<'_, G> {
    fn uniform(&mut self, n: u64) -> u64 {
        self.pending += 1;
        if self.pending == 1 << 16 {
            self.progress.advance(self.job, self.pending);
            self.pending = 0;
        }
        self.inner.uniform(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// Chi-square of `uniform(n)` counted in `bins` equal-width bins.
    Uniformity { n: u64, bins: u64 },
    /// Wald–Wolfowitz runs above/below the median 1/2 of `uniform(2^32) / 2^32`.
    Runs,
    /// Lag-1 Pearson correlation of `uniform(2^32) / 2^32`.
    SerialCorrelation,
    /// Chi-square of the gap lengths between zeros of `uniform(10)`.
    Gap { max_gap: u64 },
}

impl Test {
    /// The tests of a run with `draws` draws each.
    fn plan(draws: u64) -> Vec<Test> {
        let mut tests: Vec<Test> =
            UNIFORMITY_RANGES.iter().map(|&n| Test::Uniformity { n, bins: uniformity_bins(n, draws) }).collect();
        tests.extend([Test::Runs, Test::SerialCorrelation, Test::Gap { max_gap: max_gap(draws) }]);
        tests
    }

    fn name(self) -> String {
        match self {
            Test::Uniformity { n, .. } => format!("chi-square uniform({n})"),
            Test::Runs => "runs above/below median, uniform(2^32)".into(),
            Test::SerialCorrelation => "serial correlation lag 1, uniform(2^32)".into(),
            Test::Gap { .. } => format!("gap test, zeros of uniform({GAP_RANGE})"),
        }
    }

    fn run(self, g: &mut impl Uniform, draws: u64) -> Verdict {
        match self {
            Test::Uniformity { n, bins } => uniformity(g, n, bins, draws),
            Test::Runs => runs(g, draws),
            Test::SerialCorrelation => serial_correlation(g, draws),
            Test::Gap { max_gap } => gap(g, draws, max_gap),
        }
    }
}

/// What a test found.
#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    statistic: Statistic,
    p: f64,
    detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Statistic {
    ChiSquare { value: f64, df: u64 },
    Z(f64),
}

impl Verdict {
    fn passed(&self) -> bool {
        // NaN fails.
        self.p >= ALPHA
    }

    fn df(&self) -> Option<u64> {
        match self.statistic {
            Statistic::ChiSquare { df, .. } => Some(df),
            Statistic::Z(_) => None,
        }
    }

    /// A verdict for input no test can judge (a generator out of its range, no gaps…).
    fn broken(statistic: Statistic, detail: String) -> Self {
        Verdict { statistic, p: 0.0, detail }
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::ChiSquare { value, .. } => write!(f, "chi2 = {value:.2}"),
            Statistic::Z(z) => write!(f, "z = {z:+.4}"),
        }
    }
}

/// Pearson's statistic of observed against expected counts (expected all > 0).
fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| {
            let d = o as f64 - e;
            d * d / e
        })
        .sum()
}

/// `n` bins for `n <= MAX_BINS`, else `LARGE_RANGE_BINS`; halved until every bin
/// expects at least `MIN_EXPECTED` of `draws`.
fn uniformity_bins(n: u64, draws: u64) -> u64 {
    let mut bins = if n <= MAX_BINS { n } else { LARGE_RANGE_BINS };
    while bins > 2 && u128::from(draws) * u128::from(n / bins) < u128::from(MIN_EXPECTED) * u128::from(n) {
        bins /= 2;
    }
    bins
}

/// How many of `0..n` fall into bin `b` of `bins` equal-width bins (`v * bins / n == b`):
/// `ceil((b + 1) n / bins) - ceil(b n / bins)`.
fn bin_size(n: u64, bins: u64, b: u64) -> u64 {
    let start = |b: u64| (u128::from(b) * u128::from(n)).div_ceil(u128::from(bins));
    u64::try_from(start(b + 1) - start(b)).unwrap_or(u64::MAX)
}

fn uniformity(g: &mut impl Uniform, n: u64, bins: u64, draws: u64) -> Verdict {
    let mut counts = vec![0u64; usize::try_from(bins).unwrap_or(0)];
    let mut out_of_range = 0u64;
    for _ in 0..draws {
        let v = g.uniform(n);
        let bin = u128::from(v) * u128::from(bins) / u128::from(n);
        match usize::try_from(bin).ok().and_then(|bin| counts.get_mut(bin)) {
            Some(count) if v < n => *count += 1,
            _ => out_of_range += 1,
        }
    }
    let expected: Vec<f64> = (0..bins).map(|b| draws as f64 * bin_size(n, bins, b) as f64 / n as f64).collect();
    let value = chi_square(&counts, &expected);
    let df = bins - 1;
    let detail = if bins == n {
        format!("{bins} values, {:.1} expected each", draws as f64 / n as f64)
    } else {
        let min = expected.iter().copied().fold(f64::INFINITY, f64::min);
        format!("{bins} equal-width bins, >= {min:.1} expected each")
    };
    if out_of_range > 0 {
        return Verdict::broken(Statistic::ChiSquare { value, df }, format!("{out_of_range} draws outside [0, {n})"));
    }
    Verdict { statistic: Statistic::ChiSquare { value, df }, p: chi_square_sf(value, df as f64), detail }
}

/// `uniform(2^32)` as a real in `[0, 1)`.
fn unit(g: &mut impl Uniform) -> f64 {
    g.uniform(TWO_POW_32) as f64 / TWO_POW_32 as f64
}

fn runs(g: &mut impl Uniform, draws: u64) -> Verdict {
    // Conditional on the counts above and below, the runs statistic is exact whatever the
    // split point, so the population median 1/2 serves and needs no second pass.
    let (mut above, mut runs, mut previous) = (0u64, 0u64, None);
    for _ in 0..draws {
        let high = unit(g) >= 0.5;
        above += u64::from(high);
        if previous != Some(high) {
            runs += 1;
        }
        previous = Some(high);
    }
    let below = draws - above;
    let detail = format!("{runs} runs, {above} above / {below} below 1/2");
    if above == 0 || below == 0 {
        return Verdict::broken(Statistic::Z(f64::NAN), detail);
    }
    let (n1, n2, n) = (above as f64, below as f64, draws as f64);
    let mean = 2.0 * n1 * n2 / n + 1.0;
    let variance = (mean - 1.0) * (mean - 2.0) / (n - 1.0);
    let z = (runs as f64 - mean) / variance.sqrt();
    Verdict { statistic: Statistic::Z(z), p: normal_two_sided_p(z), detail }
}

fn serial_correlation(g: &mut impl Uniform, draws: u64) -> Verdict {
    // Centred on 1/2 so that the sums do not cancel.
    let mut previous = unit(g) - 0.5;
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for _ in 1..draws {
        let current = unit(g) - 0.5;
        sx += previous;
        sy += current;
        sxx += previous * previous;
        syy += current * current;
        sxy += previous * current;
        previous = current;
    }
    let pairs = (draws - 1) as f64;
    let covariance = sxy / pairs - (sx / pairs) * (sy / pairs);
    let var_x = sxx / pairs - (sx / pairs).powi(2);
    let var_y = syy / pairs - (sy / pairs).powi(2);
    let r = covariance / (var_x * var_y).sqrt();
    let z = r * pairs.sqrt();
    Verdict { statistic: Statistic::Z(z), p: normal_two_sided_p(z), detail: format!("r = {r:+.3e}") }
}

/// The largest gap length (at most `MAX_GAP_CAP`) whose bucket expects at least
/// `MIN_EXPECTED` of the about `draws / GAP_RANGE` gaps.
fn max_gap(draws: u64) -> u64 {
    let p = 1.0 / GAP_RANGE as f64;
    let gaps = draws as f64 * p;
    (0..=MAX_GAP_CAP).take_while(|&k| gaps * p * (1.0 - p).powi(k as i32) >= MIN_EXPECTED as f64).last().unwrap_or(0)
}

fn gap(g: &mut impl Uniform, draws: u64, max_gap: u64) -> Verdict {
    let tail = usize::try_from(max_gap + 1).unwrap_or(usize::MAX);
    let mut counts = vec![0u64; tail + 1];
    // The length of the current gap, from the first zero on.
    let mut current: Option<usize> = None;
    for _ in 0..draws {
        if g.uniform(GAP_RANGE) == 0 {
            if let Some(length) = current {
                counts[length.min(tail)] += 1;
            }
            current = Some(0);
        } else if let Some(length) = current.as_mut() {
            *length += 1;
        }
    }
    let gaps: u64 = counts.iter().sum();
    let p = 1.0 / GAP_RANGE as f64;
    // P(gap = k) = p (1 - p)^k; P(gap > max_gap) = (1 - p)^(max_gap + 1).
    let expected: Vec<f64> = (0..=tail)
        .map(|k| {
            let k = k as i32;
            let q = if k < tail as i32 { p * (1.0 - p).powi(k) } else { (1.0 - p).powi(k) };
            gaps as f64 * q
        })
        .collect();
    let df = max_gap + 1;
    let detail = format!("{gaps} gaps, lengths 0..={max_gap} and a tail");
    if gaps == 0 {
        return Verdict::broken(Statistic::ChiSquare { value: f64::NAN, df }, detail);
    }
    let value = chi_square(&counts, &expected);
    Verdict { statistic: Statistic::ChiSquare { value, df }, p: chi_square_sf(value, df as f64), detail }
}

pub fn run(flags: &RngFlags) -> Result<ExitCode> {
    let started = Instant::now();
    let seed = ServerSeed::from_bytes(flags.seed.unwrap_or(DEFAULT_SEED));
    let client = ClientSeed::parse(CLIENT_SEED)?;
    let tests = Test::plan(flags.draws);
    println!(
        "xtask rng: {} draws per test from RandomStream::uniform; server seed {}, client seed {CLIENT_SEED}, \
         a new nonce every {DRAWS_PER_STREAM} draws",
        flags.draws,
        seed.to_hex()
    );

    let progress = Progress::new("rng", tests.iter().map(|test| (test.name(), flags.draws)));
    let verdicts = run_jobs(&progress, |i| {
        let first_nonce = (i as u64) << NONCE_SHIFT;
        let mut g =
            Counted { inner: Production::new(&seed, &client, first_nonce), progress: &progress, job: i, pending: 0 };
        tests[i].run(&mut g, flags.draws)
    });

    println!();
    print!("{}", table(&tests, &verdicts));
    println!();
    let failed = verdicts.iter().filter(|verdict| !verdict.passed()).count();
    println!(
        "{} of {} tests passed at the 99 % level (pass iff p >= {ALPHA})",
        verdicts.len() - failed,
        verdicts.len()
    );
    if failed > 0 {
        println!(
            "  (each test falsely fails 1 % of the time, so about 9 % of runs of a perfect generator fail one; \
             rerun with another --seed to tell chance from a defect)"
        );
    }
    println!("total wall time: {}", fmt_duration(started.elapsed()));
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p < 1e-4 {
        format!("{p:.3e}")
    } else {
        format!("{p:.4}")
    }
}

fn table(tests: &[Test], verdicts: &[Verdict]) -> String {
    let names: Vec<String> = tests.iter().map(|test| test.name()).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0).max("test".len());
    let mut out =
        format!("{:<width$}  {:<18}  {:>5}  {:>9}  {:<6}  detail\n", "test", "statistic", "df", "p-value", "result");
    for (name, verdict) in names.iter().zip(verdicts) {
        let df = verdict.df().map_or_else(|| "-".to_owned(), |df| df.to_string());
        out += &format!(
            "{name:<width$}  {:<18}  {df:>5}  {:>9}  {:<6}  {}\n",
            verdict.statistic.to_string(),
            fmt_p(verdict.p),
            if verdict.passed() { "pass" } else { "FAIL" },
            verdict.detail
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAWS: u64 = 200_000;

    /// A good generator: SplitMix64, rejection-sampled like the production path.
    struct SplitMix(u64);

    impl Uniform for SplitMix {
        fn uniform(&mut self, n: u64) -> u64 {
            let limit = TWO_POW_32 - TWO_POW_32 % n;
            loop {
                self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                let x = (z ^ (z >> 31)) >> 32;
                if x < limit {
                    return x % n;
                }
            }
        }
    }

    /// Biased in distribution: every 50th draw is 0.
    struct ZeroHeavy(SplitMix, u64);

    impl Uniform for ZeroHeavy {
        fn uniform(&mut self, n: u64) -> u64 {
            self.1 += 1;
            if self.1.is_multiple_of(50) { 0 } else { self.0.uniform(n) }
        }
    }

    /// Biased in sequence only: every value comes twice.
    struct Doubled(SplitMix, Option<u64>);

    impl Uniform for Doubled {
        fn uniform(&mut self, n: u64) -> u64 {
            match self.1.take() {
                Some(value) => value,
                None => {
                    let value = self.0.uniform(n);
                    self.1 = Some(value);
                    value
                }
            }
        }
    }

    /// Subtly biased in sequence: a zero of `uniform(10)` is redrawn once after a zero,
    /// so gaps of length 0 are ten times rarer.
    struct NoDoubleZero(SplitMix, bool);

    impl Uniform for NoDoubleZero {
        fn uniform(&mut self, n: u64) -> u64 {
            let mut value = self.0.uniform(n);
            if self.1 && value == 0 {
                value = self.0.uniform(n);
            }
            self.1 = value == 0;
            value
        }
    }

    fn good() -> SplitMix {
        SplitMix(0x5eed)
    }

    #[test]
    fn the_plan_keeps_every_expected_count_at_five_or_more() {
        let plan = Test::plan(10_000_000);
        assert_eq!(plan.len(), 9);
        assert_eq!(plan[4], Test::Uniformity { n: 10_000, bins: 10_000 });
        assert_eq!(plan[5], Test::Uniformity { n: 1_000_003, bins: 1_000 });
        assert_eq!(plan[8], Test::Gap { max_gap: 50 });
        // Few draws: fewer bins, shorter gaps.
        assert_eq!(uniformity_bins(10_000, 1_000), 156);
        assert_eq!(uniformity_bins(80, 1_000), 80);
        assert_eq!(uniformity_bins(80, 300), 40);
        assert_eq!(max_gap(1_000), 6);
        for draws in [1_000, 12_345, 10_000_000] {
            for test in Test::plan(draws) {
                if let Test::Uniformity { n, bins } = test {
                    assert!(draws * (n / bins) >= 5 * n, "{test:?} at {draws}");
                }
            }
        }
    }

    #[test]
    fn equal_width_bins_cover_the_range() {
        let (n, bins) = (1_000_003, 1_000);
        let sizes: Vec<u64> = (0..bins).map(|b| bin_size(n, bins, b)).collect();
        assert_eq!(sizes.iter().sum::<u64>(), n);
        assert!(sizes.iter().all(|&size| size == 1_000 || size == 1_001));
        // Every value's bin `v * bins / n` agrees with the sizes.
        let mut counted = vec![0u64; bins as usize];
        for v in 0..n {
            counted[(v * bins / n) as usize] += 1;
        }
        assert_eq!(counted, sizes);
        assert!((0..6).all(|b| bin_size(6, 6, b) == 1));
    }

    #[test]
    fn a_good_generator_passes_every_test() {
        for test in Test::plan(DRAWS) {
            let verdict = test.run(&mut good(), DRAWS);
            assert!(verdict.passed(), "{test:?}: {verdict:?}");
        }
    }

    #[test]
    fn uniformity_fails_a_generator_biased_towards_zero() {
        for test in Test::plan(DRAWS) {
            if let Test::Uniformity { .. } = test {
                let verdict = test.run(&mut ZeroHeavy(good(), 0), DRAWS);
                assert!(!verdict.passed(), "{test:?}: {verdict:?}");
            }
        }
    }

    #[test]
    fn uniformity_fails_draws_out_of_range() {
        struct Seven;
        impl Uniform for Seven {
            fn uniform(&mut self, _: u64) -> u64 {
                7
            }
        }
        let verdict = uniformity(&mut Seven, 6, 6, 1_000);
        assert!(!verdict.passed() && verdict.detail.contains("outside"), "{verdict:?}");
    }

    #[test]
    fn sequence_tests_fail_repeated_values() {
        for test in [Test::Runs, Test::SerialCorrelation, Test::Gap { max_gap: max_gap(DRAWS) }] {
            let verdict = test.run(&mut Doubled(good(), None), DRAWS);
            assert!(!verdict.passed(), "{test:?}: {verdict:?}");
        }
    }

    #[test]
    fn the_gap_test_fails_too_few_adjacent_zeros() {
        let verdict = Test::Gap { max_gap: max_gap(DRAWS) }.run(&mut NoDoubleZero(good(), false), DRAWS);
        assert!(!verdict.passed(), "{verdict:?}");
    }

    #[test]
    fn the_runs_test_fails_alternating_halves() {
        struct Alternating(SplitMix, bool);
        impl Uniform for Alternating {
            fn uniform(&mut self, n: u64) -> u64 {
                self.1 = !self.1;
                let half = self.0.uniform(n / 2);
                if self.1 { half } else { half + n / 2 }
            }
        }
        let verdict = Test::Runs.run(&mut Alternating(good(), false), DRAWS);
        assert!(!verdict.passed(), "{verdict:?}");
        if let Statistic::Z(z) = verdict.statistic {
            assert!(z > 0.0, "too many runs: {z}");
        }
    }

    #[test]
    fn the_production_stream_takes_a_new_nonce_every_thousand_draws() {
        let seed = ServerSeed::from_bytes(DEFAULT_SEED);
        let client = ClientSeed::parse(CLIENT_SEED).unwrap();
        let mut production = Production::new(&seed, &client, 5);
        let got: Vec<u64> = (0..1_001).map(|_| production.uniform(TWO_POW_32)).collect();
        let mut first = RandomStream::new(&seed, &client, 5);
        let expected: Vec<u64> = (0..1_000).map(|_| first.uniform(TWO_POW_32)).collect();
        assert_eq!(got[..1_000], expected[..]);
        assert_eq!(got[1_000], RandomStream::new(&seed, &client, 6).uniform(TWO_POW_32));
    }

    #[test]
    fn a_short_run_of_the_production_path_completes() {
        let flags = RngFlags { draws: 20_000, seed: None };
        assert!(run(&flags).is_ok());
    }
}
