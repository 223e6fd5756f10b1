//! The `simulator` command: for a fixed time, a progress bar and live line on stderr and
//! the report on stdout; with `--endless`, a population that plays until stopped.

use super::report::mix;
use super::{SimConfig, Snapshot, StaffLogin, parse_duration, run, spawn_population};
use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How often a non-terminal stderr gets a progress line.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// How often the terminal's progress line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 24;

/// Drive a running platform with simulated players through its HTTP API.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Number of simulated players, spread round-robin over the six profiles
    /// (casual, high-roller, night-owl, chaser, structurer, self-excluder).
    #[arg(long, default_value = "20", value_parser = parse_players)]
    pub players: usize,
    /// How long to play: 90s, 2m, 1h, 1500ms (a bare number is seconds).
    #[arg(long, default_value = "60s", value_parser = parse_positive_duration)]
    pub duration: Duration,
    /// The platform's base URL (plain HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8090")]
    pub url: String,
    /// Seed of the bots' choices (default: random; the report prints it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Shortest pause between two requests of one bot.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    pub think_min: Duration,
    /// Longest pause between two requests of one bot.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub think_max: Duration,
    /// A staff account for counting the alerts the players raised (any staff role); an
    /// admin's also onboards a simulated studio whose game the players play through
    /// the seamless wallet (docs/providers.md).
    #[arg(long, requires = "staff_password")]
    pub staff_user: Option<String>,
    /// Its password.
    #[arg(long, env = "ACMETOCASINO_SIMULATE_STAFF_PASSWORD", hide_env_values = true)]
    pub staff_password: Option<String>,
    /// Keep --players bots playing until stopped (Ctrl-C or SIGTERM), for demos: each
    /// plays for a few minutes, cashes out and makes room for a new player; a summary
    /// line is logged every minute. --duration does not apply.
    #[arg(long, conflicts_with = "duration")]
    pub endless: bool,
}

fn parse_players(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err(format!("{raw:?} is not a number of players between 1 and 100000")),
    }
}

fn parse_positive_duration(raw: &str) -> Result<Duration, String> {
    parse_duration(raw).and_then(|d| if d.is_zero() { Err("the duration must be positive".into()) } else { Ok(d) })
}

impl SimulateArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            base_url: self.url.clone(),
            players: self.players,
            duration: self.duration,
            seed: self.seed,
            think_min: self.think_min,
            think_max: self.think_max.max(self.think_min),
            staff: match (&self.staff_user, &self.staff_password) {
                (Some(u), Some(p)) => Some(StaffLogin { username: u.clone(), password: p.clone() }),
                _ => None,
            },
        }
    }
}

/// `[######··················]  12s/60s  players 30/30 | rounds …`
fn bar_line(s: &Snapshot) -> String {
    let total = s.duration.unwrap_or(s.elapsed).as_secs_f64();
    let fraction = if total > 0.0 { (s.elapsed.as_secs_f64() / total).min(1.0) } else { 1.0 };
    let filled = ((fraction * BAR_WIDTH as f64) as usize).min(BAR_WIDTH);
    format!(
        "[{}{}] {:>4.0}s/{:.0}s  {s}",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        s.elapsed.as_secs_f64(),
        total
    )
}

/// Runs the simulation; exit code 1 when there were errors.
pub async fn main(args: SimulateArgs) -> ExitCode {
    if args.endless {
        return endless(args).await;
    }
    let config = args.config();
    let interactive = std::io::stderr().is_terminal();
    eprintln!(
        "simulate: {} players ({}) for {:.0}s against {}",
        config.players,
        mix(config.players),
        config.duration.as_secs_f64(),
        config.base_url
    );
    let last: Cell<Option<Instant>> = Cell::new(None);
    let progress = |s: &Snapshot| {
        let due = last.get().is_none_or(|t| t.elapsed() >= if interactive { REDRAW_EVERY } else { LINE_EVERY });
        if !due {
            return;
        }
        last.set(Some(Instant::now()));
        let mut err = std::io::stderr().lock();
        let _ = if interactive {
            write!(err, "\r\x1b[2K{}", bar_line(s)).and_then(|()| err.flush())
        } else {
            writeln!(err, "simulate: {:.0}s {s}", s.elapsed.as_secs_f64())
        };
    };
    let report = run(config, progress).await;
    if interactive {
        let s = Snapshot {
            elapsed: report.elapsed,
            duration: Some(args.duration),
            players: report.players,
            active: 0,
            totals: report.totals,
        };
        eprintln!("\r\x1b[2K{}", bar_line(&s));
    }
    println!("{report}");
    if report.error_count() > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// `--endless`: the population plays until Ctrl-C or SIGTERM.
async fn endless(args: SimulateArgs) -> ExitCode {
    let staff = args.config().staff;
    let population = spawn_population(args.url, args.players, staff);
    let stopped = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    };
    let waited: std::io::Result<()> = stopped.await;
    population.stop();
    match waited {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simulator: cannot wait for a signal: {e}");
            ExitCode::FAILURE
        }
    }
}
