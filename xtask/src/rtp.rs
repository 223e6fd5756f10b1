//! `cargo xtask rtp`: plays every catalogue game's default bet many times through the real
//! game code, pays each round in minor units at a stake (each game's minimum bet unless
//! `--stake` says otherwise) with the production rounding draw, and checks the simulated
//! RTP against the 99 % band of the exact theory at that stake.

use std::process::ExitCode;
use std::time::Instant;

use gal_core::{Catalogue, ClientSeed, ExactPayout, Game, RandomStream, Rounding, Rtp, ServerSeed};
use serde_json::Value;

use crate::flags::{DEFAULT_SEED, RtpFlags};
use crate::progress::{Progress, run_jobs};
use crate::stats::Z_99;
use crate::util::{Result, fmt_duration};

pub const CLIENT_SEED: &str = "xtask-rtp";
/// Rounds between two progress updates.
const TICK: u64 = 1_024;

/// What the exact theory says of one bet at one stake, per unit of stake.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Expected {
    /// `E[payout] / stake`: the RTP, rounding included.
    rtp: f64,
    /// `Var[payout] / stake²`.
    variance: f64,
}

/// One game at one target.
struct Job<'a> {
    game: &'a dyn Game,
    slug: &'static str,
    target: Rtp,
    params: Value,
    stake: i64,
    expected: Expected,
}

/// The outcome of a job.
struct Row {
    slug: &'static str,
    target: Rtp,
    stake: i64,
    expected: Expected,
    rounds: u64,
    /// Paid ÷ wagered.
    simulated: f64,
}

impl Row {
    /// The standard deviation of the mean of `rounds` rounds.
    fn sigma(&self) -> f64 {
        (self.expected.variance / self.rounds as f64).sqrt()
    }

    fn half_band(&self) -> f64 {
        Z_99 * self.sigma()
    }

    fn in_band(&self) -> bool {
        (self.simulated - self.expected.rtp).abs() <= self.half_band()
    }

    /// The deviation from the theory in standard deviations of the mean.
    fn z(&self) -> f64 {
        let sigma = self.sigma();
        if sigma > 0.0 { (self.simulated - self.expected.rtp) / sigma } else { 0.0 }
    }
}

pub fn run(flags: &RtpFlags) -> Result<ExitCode> {
    let started = Instant::now();
    let seed = ServerSeed::from_bytes(flags.seed.unwrap_or(DEFAULT_SEED));
    let client = ClientSeed::parse(CLIENT_SEED)?;
    let catalogue = Catalogue::standard();

    let mut jobs = Vec::new();
    for game in catalogue.iter() {
        let info = game.info();
        let slug = info.slug;
        let params = game.default_params();
        let stake = flags.stake.unwrap_or(info.min_bet);
        for &target in &flags.targets {
            let dist = game.distribution(target, &params).map_err(|e| format!("{slug}: theory at {target} %: {e}"))?;
            let at = dist.at_stake(stake);
            let a = stake as f64;
            let expected = Expected { rtp: at.expected_payout / a, variance: at.variance / (a * a) };
            jobs.push(Job { game, slug, target, params: params.clone(), stake, expected });
        }
    }

    let stakes = match flags.stake {
        Some(s) => format!("a stake of {s} minor units"),
        None => "each game's minimum stake".to_owned(),
    };
    println!(
        "xtask rtp: {} rounds of the default bet per game and target at {stakes}; server seed {}, client seed {CLIENT_SEED}, nonces 0..{}",
        flags.rounds,
        seed.to_hex(),
        flags.rounds
    );
    let label = |job: &Job| {
        if flags.targets.len() == 1 { job.slug.to_owned() } else { format!("{}@{}", job.slug, job.target) }
    };
    let progress = Progress::new("rtp", jobs.iter().map(|job| (label(job), flags.rounds)));
    let totals = run_jobs(&progress, |i| simulate(&jobs[i], &seed, &client, flags.rounds, &progress, i));

    let mut rows = Vec::with_capacity(jobs.len());
    for (job, total) in jobs.iter().zip(totals) {
        let paid = total?;
        let simulated = paid as f64 / (job.stake as f64 * flags.rounds as f64);
        rows.push(Row {
            slug: job.slug,
            target: job.target,
            stake: job.stake,
            expected: job.expected,
            rounds: flags.rounds,
            simulated,
        });
    }

    println!();
    print!("{}", table(&rows));
    println!();
    let out: Vec<&Row> = rows.iter().filter(|row| !row.in_band()).collect();
    if out.is_empty() {
        println!("all {} simulations inside their 99 % bands", rows.len());
    } else {
        println!("OUT OF BAND: {} of {} simulations:", out.len(), rows.len());
        for row in &out {
            println!(
                "  {} at {} %, stake {}: simulated {:.4} %, theory {:.4} %, deviation {:+.4} pp = {:+.2} sigma (band ±{:.4} pp)",
                row.slug,
                row.target,
                row.stake,
                row.simulated * 100.0,
                row.expected.rtp * 100.0,
                (row.simulated - row.expected.rtp) * 100.0,
                row.z(),
                row.half_band() * 100.0
            );
        }
        println!(
            "  (each check falsely fails 1 % of the time; rerun with another --seed or more --rounds \
             to tell chance from a wrong theory)"
        );
    }
    println!("total wall time: {}", fmt_duration(started.elapsed()));
    Ok(if out.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Plays rounds with nonces `0..rounds` at the job's stake; the sum of their payouts in
/// minor units, each settled as a round is (the rounding draw after the game's draws).
fn simulate(
    job: &Job,
    seed: &ServerSeed,
    client: &ClientSeed,
    rounds: u64,
    progress: &Progress,
    index: usize,
) -> Result<u128, String> {
    let mut paid: u128 = 0;
    for nonce in 0..rounds {
        let mut rng = RandomStream::new(seed, client, nonce);
        let outcome = job
            .game
            .play(job.target, &job.params, &mut rng)
            .map_err(|e| format!("{} at {} %, nonce {nonce}: {e}", job.slug, job.target))?;
        let payout = ExactPayout::of(job.stake, outcome.multiplier_micro).settle(Rounding::Unbiased, &mut rng);
        paid += u128::try_from(payout).unwrap_or(0);
        if (nonce + 1) % TICK == 0 {
            progress.advance(index, TICK);
        }
    }
    Ok(paid)
}

fn table(rows: &[Row]) -> String {
    let game_width = rows.iter().map(|row| row.slug.len()).max().unwrap_or(0).max("game".len());
    let mut out = format!(
        "{:<game_width$}  {:>6}  {:>7}  {:>9}  {:>11}  {:>21}  {:>6}  verdict\n",
        "game", "target", "stake", "theory %", "simulated %", "99 % band %", "z"
    );
    for row in rows {
        let band = format!(
            "{:.4} .. {:.4}",
            (row.expected.rtp - row.half_band()) * 100.0,
            (row.expected.rtp + row.half_band()) * 100.0
        );
        out += &format!(
            "{:<game_width$}  {:>6}  {:>7}  {:>9.4}  {:>11.4}  {band:>21}  {:>+6.2}  {}\n",
            row.slug,
            row.target.to_string(),
            row.stake,
            row.expected.rtp * 100.0,
            row.simulated * 100.0,
            row.z(),
            if row.in_band() { "ok" } else { "OUT OF BAND" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(simulated: f64) -> Row {
        Row {
            slug: "dice",
            target: Rtp::from_bp(9_650).unwrap(),
            stake: 1,
            expected: Expected { rtp: 0.965, variance: 0.931 },
            rounds: 1_000_000,
            simulated,
        }
    }

    #[test]
    fn the_band_is_the_99_percent_normal_interval_of_the_mean() {
        let half = 2.575_829 * (0.931f64 / 1e6).sqrt();
        assert!((row(0.965).half_band() - half).abs() < 1e-9);
        assert!(row(0.965 + 0.99 * half).in_band() && row(0.965 - 0.99 * half).in_band());
        assert!(!row(0.965 + 1.01 * half).in_band() && !row(0.965 - 1.01 * half).in_band());
        assert!((row(0.965 + 0.000_964_9).z() - 1.0).abs() < 1e-3);
    }

    #[test]
    fn the_table_has_a_verdict_per_row() {
        let table = table(&[row(0.965), row(0.97)]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with("dice   96.50        1    96.5000      96.5000") && lines[1].ends_with(" ok"),
            "{table}"
        );
        assert!(lines[2].ends_with("OUT OF BAND"), "{table}");
    }

    #[test]
    fn a_short_simulation_of_every_game_runs_at_the_minimum_and_at_a_given_stake() {
        // 2,000 rounds: the verdicts are noise, but every game must play without error.
        for stake in [None, Some(7)] {
            let flags = RtpFlags { rounds: 2_000, stake, ..RtpFlags::default() };
            assert!(run(&flags).is_ok());
        }
    }
}
