//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! Std-only on purpose, like rust-analyzer's xtask: it builds in seconds on a fresh CI
//! machine and has nothing to keep up to date. The exceptions are the workspace's own
//! `gal-core`, whose real game code and random stream `rtp` and `rng` put to the test,
//! and `testbed`, the throwaway servers it shares with the integration tests.

mod bench;
mod flags;
mod install;
mod progress;
mod rng;
mod rtp;
mod simulate;
mod stats;
mod test;
mod util;

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use crate::flags::Command;
use testbed::{Chromium, Postgres, Redis};

use crate::util::{Result, fmt_duration};

fn main() -> ExitCode {
    let command = match flags::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("xtask: {message}\n\n{}", flags::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            print!("{}", flags::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Test(test_flags) => test::run(&test_flags),
        Command::Services => services(),
        Command::Run { app_args } => run_app(&app_args),
        Command::Rtp(rtp_flags) => rtp::run(&rtp_flags),
        Command::Rng(rng_flags) => rng::run(&rng_flags),
        Command::Simulate(simulate_flags) => simulate::run(&simulate_flags),
        Command::Bench(bench_flags) => bench::run(&bench_flags),
        Command::LoginStorm { logins } => bench::login_storm(logins),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask services`: private PostgreSQL, Redis and headless Chromium until Ctrl-C
/// or stdin EOF.
fn services() -> Result<ExitCode> {
    let started = Instant::now();
    let postgres = Postgres::start()?;
    eprintln!("xtask: PostgreSQL ready in {}", fmt_duration(started.elapsed()));
    let started = Instant::now();
    let redis = Redis::start()?;
    eprintln!("xtask: Redis ready in {}", fmt_duration(started.elapsed()));
    let started = Instant::now();
    let chromium = Chromium::start()?;
    eprintln!("xtask: Chromium ready in {}", fmt_duration(started.elapsed()));

    let mut stdout = io::stdout().lock();
    writeln!(stdout, "export ACMETOCASINO_TEST_PG_URL={}", postgres.url())?;
    writeln!(stdout, "export ACMETOCASINO_TEST_REDIS_URL={}", redis.url())?;
    writeln!(stdout, "export ACMETOCASINO_TEST_CHROMIUM_URL={}", chromium.url())?;
    stdout.flush()?;
    drop(stdout);
    eprintln!("xtask: services running; press Ctrl-C or close stdin (Ctrl-D) to stop them");

    // Blocks until EOF. On Ctrl-C the process dies here and the services' watchdogs
    // (see the testbed crate) stop them instead of the code below.
    io::copy(&mut io::stdin().lock(), &mut io::sink())?;

    let started = Instant::now();
    let stopped = chromium.stop().and(redis.stop()).and(postgres.stop());
    eprintln!("xtask: services stopped in {}", fmt_duration(started.elapsed()));
    stopped?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask run [-- args]`: the server in release mode.
fn run_app(app_args: &[String]) -> Result<ExitCode> {
    let status = util::cargo().args(["run", "--release", "-p", "acmetocasino", "--"]).args(app_args).status()?;
    Ok(util::exit_code(status))
}
