//! Command-line parsing, by hand: six commands do not need a parser crate.

use gal_core::Rtp;

pub const USAGE: &str = "\
cargo xtask <command>

Commands:
  test [--allow-missing-services] [-- <cargo test args>]
        installs what the suite needs with apt when root (postgresql, redis-server,
        nginx, openssl, chromium; otherwise prints the command), then rustfmt
        check, clippy (-D warnings), the compose file check, and
        `cargo test --workspace` against a private PostgreSQL, Redis and headless
        Chromium (ACMETOCASINO_TEST_PG_URL / _REDIS_URL / _CHROMIUM_URL); the
        browser tests save screenshots to target/xtask/screenshots/.
        --allow-missing-services  run without what is not installed (sets
                                  ACMETOCASINO_ALLOW_MISSING_SERVICES=1: tests skip)
        e.g. cargo xtask test -- -p wallet-core -- --nocapture
  services
        start a private PostgreSQL, Redis and headless Chromium, print their URLs
        as `export` lines, stop them on Ctrl-C or stdin EOF
  run [-- <args>]
        cargo run --release -p acmetocasino -- <args>
  rtp [--rounds N] [--rtp P[,P...]] [--stake S] [--seed HEX]
        play N rounds (default 1000000) of the default bet of every catalogue game
        through the real game code at each RTP target in percent (default 96.5),
        paid in minor units at a stake of S minor units (default: each game's
        minimum bet) with the payout's unbiased rounding draw, and check the
        simulated RTP against the 99 % band around the exact theory at that
        stake; fails when any game is out of band. --seed: the server seed, up to
        64 hex digits (default: a fixed one)
        e.g. cargo xtask rtp --rounds 200000 --rtp 80,88.5,96.5,99 --stake 7
  rng [--draws N] [--seed HEX]
        statistical tests of the production draw path RandomStream::uniform:
        chi-square uniformity (n = 2, 6, 37, 80, 10000, 1000003), runs, lag-1
        serial correlation and gap tests of N draws each (default 10000000);
        fails when any test rejects at the 99 % level (p < 0.01)
  bench [--smoke] [--duration S] [--soak S] [--players P] [--concurrency C[,C...]]
        [--verify-events N] [--sqlite-only] [--update-docs] [--debug-build]
        release server against a private durable PostgreSQL, then SQLite: rounds/s
        and latency of C closed-loop clients (default 8,64) for S seconds each
        (default 20) next to the ceiling (pgbench / a raw SQLite loop running the
        captured statements of a round), logins/s, deposits/s, a soak of --soak
        seconds (default 60) with the server's RSS, and the replay of a wallet of
        N events (default 100000); report in target/xtask/bench/report.md
        (--update-docs: also in docs/benchmarks.md; --debug-build: bench the
        debug build, for work on the bench itself). --smoke: debug build, SQLite
        only, 5 s at C=4 with 8 players, 1000 events, no ceiling (what CI runs)
  simulate [--players N] [--duration D] [--url URL] [-- <simulator args>]
        simulated players (casual, high-roller, night-owl, chaser, structurer,
        self-excluder) drive the platform through its HTTP API: a live line,
        then a report; fails on any error the profiles did not provoke. Without
        --url: a release server on a free port with a throwaway SQLite database
        and an admin account (the report then counts alerts, and the players
        also play a simulated studio's game through the seamless wallet),
        stopped after.
        Defaults: 20 players, 60s. e.g. cargo xtask simulate --players 40 --duration 2m
  login-storm [--logins N]
        release server (default configuration, SQLite), N sign-ins at once
        (default 300; half known players, half unknown names, each from its own
        address through a trusted proxy): prints the answers and the server's
        peak RSS; fails when the peak reaches 600 MiB
  help
        this text
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Test(TestFlags),
    Services,
    Run { app_args: Vec<String> },
    Rtp(RtpFlags),
    Rng(RngFlags),
    Simulate(crate::simulate::SimulateFlags),
    Bench(BenchFlags),
    LoginStorm { logins: usize },
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct TestFlags {
    pub allow_missing_services: bool,
    /// Everything after `--`, appended to `cargo test`.
    pub cargo_test_args: Vec<String>,
}

/// The server seed of `rtp` and `rng` unless `--seed` says otherwise.
pub const DEFAULT_SEED: [u8; 32] = *b"cargo xtask rtp/rng server seed!";

#[derive(Debug, PartialEq, Eq)]
pub struct RtpFlags {
    /// Rounds per game and target.
    pub rounds: u64,
    pub targets: Vec<Rtp>,
    /// The stake in minor units; `None` for each game's minimum bet.
    pub stake: Option<i64>,
    /// The server seed; `None` for the built-in one.
    pub seed: Option<[u8; 32]>,
}

impl Default for RtpFlags {
    fn default() -> Self {
        let target = Rtp::from_bp(9_650).unwrap_or_else(|_| unreachable!("96.50 % is a valid target"));
        Self { rounds: 1_000_000, targets: vec![target], stake: None, seed: None }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct RngFlags {
    /// Draws per test.
    pub draws: u64,
    /// The server seed; `None` for the built-in one.
    pub seed: Option<[u8; 32]>,
}

impl RngFlags {
    /// Fewer draws than this leave too few expected counts for the chi-square tests.
    pub const MIN_DRAWS: u64 = 1_000;
}

impl Default for RngFlags {
    fn default() -> Self {
        Self { draws: 10_000_000, seed: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchFlags {
    pub smoke: bool,
    /// Seconds per load run.
    pub duration: u64,
    /// Seconds of the soak run (0: none).
    pub soak: u64,
    pub players: usize,
    pub concurrency: Vec<usize>,
    pub verify_events: u64,
    pub sqlite_only: bool,
    pub update_docs: bool,
    /// Bench the debug build (for working on the bench itself; numbers not comparable).
    pub debug_build: bool,
}

impl Default for BenchFlags {
    fn default() -> Self {
        Self {
            smoke: false,
            duration: 20,
            soak: 60,
            players: 128,
            concurrency: vec![8, 64],
            verify_events: 100_000,
            sqlite_only: false,
            update_docs: false,
            debug_build: false,
        }
    }
}

impl BenchFlags {
    /// The command line that gives these flags (defaults left out).
    pub fn command_line(&self) -> String {
        let d = BenchFlags::default();
        let mut line = String::from("cargo xtask bench");
        if self.smoke {
            line.push_str(" --smoke");
        }
        if self.duration != d.duration {
            line.push_str(&format!(" --duration {}", self.duration));
        }
        if self.soak != d.soak {
            line.push_str(&format!(" --soak {}", self.soak));
        }
        if self.players != d.players {
            line.push_str(&format!(" --players {}", self.players));
        }
        if self.concurrency != d.concurrency {
            let list: Vec<String> = self.concurrency.iter().map(ToString::to_string).collect();
            line.push_str(&format!(" --concurrency {}", list.join(",")));
        }
        if self.verify_events != d.verify_events {
            line.push_str(&format!(" --verify-events {}", self.verify_events));
        }
        if self.sqlite_only {
            line.push_str(" --sqlite-only");
        }
        if self.update_docs {
            line.push_str(" --update-docs");
        }
        if self.debug_build {
            line.push_str(" --debug-build");
        }
        line
    }
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "test" => {
            let mut flags = TestFlags::default();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--allow-missing-services" => flags.allow_missing_services = true,
                    "-h" | "--help" => return Ok(Command::Help),
                    "--" => {
                        flags.cargo_test_args = args.by_ref().collect();
                    }
                    other => {
                        return Err(format!(
                            "unknown argument to `test`: `{other}` (arguments for cargo test go after `--`)"
                        ));
                    }
                }
            }
            Ok(Command::Test(flags))
        }
        "services" => match args.next() {
            None => Ok(Command::Services),
            Some(arg) if arg == "-h" || arg == "--help" => Ok(Command::Help),
            Some(other) => Err(format!("unknown argument to `services`: `{other}`")),
        },
        "run" => {
            let mut app_args: Vec<String> = args.collect();
            if app_args.first().is_some_and(|arg| arg == "--") {
                app_args.remove(0);
            }
            Ok(Command::Run { app_args })
        }
        "rtp" => {
            let mut flags = RtpFlags::default();
            while let Some(arg) = args.next() {
                let (name, value) = split_flag(&arg, &mut args, &["--rounds", "--rtp", "--stake", "--seed"])?;
                match (name, value) {
                    ("-h" | "--help", _) => return Ok(Command::Help),
                    ("--rounds", Some(value)) => flags.rounds = parse_count(name, &value, 1)?,
                    ("--rtp", Some(value)) => flags.targets = parse_targets(&value)?,
                    ("--stake", Some(value)) => flags.stake = Some(parse_stake(&value)?),
                    ("--seed", Some(value)) => flags.seed = Some(parse_seed(&value)?),
                    (other, _) => return Err(format!("unknown argument to `rtp`: `{other}`")),
                }
            }
            Ok(Command::Rtp(flags))
        }
        "rng" => {
            let mut flags = RngFlags::default();
            while let Some(arg) = args.next() {
                let (name, value) = split_flag(&arg, &mut args, &["--draws", "--seed"])?;
                match (name, value) {
                    ("-h" | "--help", _) => return Ok(Command::Help),
                    ("--draws", Some(value)) => flags.draws = parse_count(name, &value, RngFlags::MIN_DRAWS)?,
                    ("--seed", Some(value)) => flags.seed = Some(parse_seed(&value)?),
                    (other, _) => return Err(format!("unknown argument to `rng`: `{other}`")),
                }
            }
            Ok(Command::Rng(flags))
        }
        "bench" => {
            let mut flags = BenchFlags::default();
            let with_value = ["--duration", "--soak", "--players", "--concurrency", "--verify-events"];
            while let Some(arg) = args.next() {
                let (name, value) = split_flag(&arg, &mut args, &with_value)?;
                match (name, value) {
                    ("-h" | "--help", _) => return Ok(Command::Help),
                    ("--smoke", _) => flags.smoke = true,
                    ("--sqlite-only", _) => flags.sqlite_only = true,
                    ("--update-docs", _) => flags.update_docs = true,
                    ("--debug-build", _) => flags.debug_build = true,
                    ("--duration", Some(value)) => flags.duration = parse_count(name, &value, 1)?,
                    ("--soak", Some(value)) => flags.soak = parse_count(name, &value, 0)?,
                    ("--players", Some(value)) => flags.players = to_usize(name, parse_count(name, &value, 1)?)?,
                    ("--verify-events", Some(value)) => flags.verify_events = parse_count(name, &value, 1)?,
                    ("--concurrency", Some(value)) => {
                        flags.concurrency = value
                            .split(',')
                            .map(|part| parse_count(name, part.trim(), 1).and_then(|c| to_usize(name, c)))
                            .collect::<Result<_, _>>()?;
                    }
                    (other, _) => return Err(format!("unknown argument to `bench`: `{other}`")),
                }
            }
            Ok(Command::Bench(flags))
        }
        "simulate" => crate::simulate::parse(args),
        "login-storm" => {
            let mut logins = 300;
            while let Some(arg) = args.next() {
                let (name, value) = match arg.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (arg.clone(), None),
                };
                match (name.as_str(), value.or_else(|| args.next())) {
                    ("--logins", Some(v)) => logins = to_usize("--logins", parse_count("--logins", &v, 1)?)?,
                    _ => return Err(format!("unknown or incomplete flag `{arg}` for login-storm")),
                }
            }
            Ok(Command::LoginStorm { logins })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn to_usize(flag: &str, value: u64) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("`{flag}` is too large"))
}

/// Splits `--name=value` or takes the value of `--name value` from `args` when `name`
/// is one of `with_value`; other arguments come back whole, without a value.
fn split_flag<'a>(
    arg: &'a str,
    args: &mut impl Iterator<Item = String>,
    with_value: &[&str],
) -> Result<(&'a str, Option<String>), String> {
    let (name, inline) = match arg.split_once('=') {
        Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
        _ => (arg, None),
    };
    if !with_value.contains(&name) {
        return Ok((name, None));
    }
    match inline.or_else(|| args.next()) {
        Some(value) => Ok((name, Some(value))),
        None => Err(format!("`{name}` needs a value")),
    }
}

/// A count such as `1000000`, `1_000_000` or `1e6`, at least `min`.
fn parse_count(flag: &str, value: &str, min: u64) -> Result<u64, String> {
    let digits = value.replace('_', "");
    let parsed = match digits.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => mantissa
            .parse::<u64>()
            .ok()
            .zip(exponent.parse::<u32>().ok())
            .and_then(|(mantissa, exponent)| 10u64.checked_pow(exponent)?.checked_mul(mantissa)),
        None => digits.parse::<u64>().ok(),
    };
    match parsed {
        Some(count) if count >= min => Ok(count),
        Some(_) => Err(format!("`{flag}` must be at least {min}, not `{value}`")),
        None => Err(format!("`{flag}` takes a whole number such as 1000000, 1_000_000 or 1e6, not `{value}`")),
    }
}

/// A stake in minor units: 1 to 10^12, the largest amount.
fn parse_stake(value: &str) -> Result<i64, String> {
    let stake = parse_count("--stake", value, 1)?;
    i64::try_from(stake)
        .ok()
        .filter(|s| *s <= kernel::MAX_AMOUNT)
        .ok_or_else(|| format!("`--stake` must be at most {} minor units, not `{value}`", kernel::MAX_AMOUNT))
}

/// Comma-separated RTP percentages such as `80,88.5,96.5,99`.
fn parse_targets(value: &str) -> Result<Vec<Rtp>, String> {
    value
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<f64>()
                .map_err(|_| format!("`--rtp`: `{part}` is not a number"))
                .and_then(|percent| Rtp::from_percent(percent).map_err(|e| format!("`--rtp`: `{part}`: {e}")))
        })
        .collect()
}

/// Up to 64 hex digits (an optional `0x` aside), read as a big-endian 256-bit number:
/// the 64-digit form is exactly a revealed server seed.
fn parse_seed(value: &str) -> Result<[u8; 32], String> {
    let hex = value.strip_prefix("0x").unwrap_or(value);
    if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`--seed` takes 1 to 64 hex digits, not `{value}`"));
    }
    let padded = format!("{hex:0>64}");
    let mut seed = [0u8; 32];
    for (byte, pair) in seed.iter_mut().zip(padded.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(String::from))
    }

    fn ff_seed() -> [u8; 32] {
        std::array::from_fn(|i| if i == 31 { 0xff } else { 0 })
    }

    #[test]
    fn seeds_are_right_aligned_hex() {
        let full = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        assert_eq!(parse_seed(full), Ok(std::array::from_fn(|i| i as u8)));
        assert!(parse_seed(&format!("{full}0")).is_err());
        assert_eq!(parse_seed("0xFF"), Ok(ff_seed()));
        assert_eq!(parse_seed("f"), Ok(std::array::from_fn(|i| if i == 31 { 0xf } else { 0 })));
    }

    #[test]
    fn parses_each_command() {
        let cases: &[(&str, Result<Command, String>)] = &[
            ("", Ok(Command::Help)),
            ("help", Ok(Command::Help)),
            ("test", Ok(Command::Test(TestFlags::default()))),
            (
                "test --allow-missing-services -- -p kernel -- --nocapture",
                Ok(Command::Test(TestFlags {
                    allow_missing_services: true,
                    cargo_test_args: ["-p", "kernel", "--", "--nocapture"].map(String::from).to_vec(),
                })),
            ),
            ("services", Ok(Command::Services)),
            ("run", Ok(Command::Run { app_args: vec![] })),
            ("run -- --bind 0.0.0.0:1", Ok(Command::Run { app_args: vec!["--bind".into(), "0.0.0.0:1".into()] })),
            ("rtp", Ok(Command::Rtp(RtpFlags::default()))),
            (
                "rtp --rounds 200_000 --rtp 80,88.5,96.5,99 --seed 0x2a --stake 7",
                Ok(Command::Rtp(RtpFlags {
                    rounds: 200_000,
                    targets: [8_000, 8_850, 9_650, 9_900].map(|bp| Rtp::from_bp(bp).unwrap()).to_vec(),
                    stake: Some(7),
                    seed: Some(std::array::from_fn(|i| if i == 31 { 42 } else { 0 })),
                })),
            ),
            (
                "rtp --rounds=1e3 --rtp=99 --stake=1e6",
                Ok(Command::Rtp(RtpFlags {
                    rounds: 1_000,
                    targets: vec![Rtp::from_bp(9_900).unwrap()],
                    stake: Some(1_000_000),
                    seed: None,
                })),
            ),
            ("rng", Ok(Command::Rng(RngFlags { draws: 10_000_000, seed: None }))),
            ("rng --draws 1e7", Ok(Command::Rng(RngFlags { draws: 10_000_000, seed: None }))),
            ("rng --draws 20000000 --seed ff", Ok(Command::Rng(RngFlags { draws: 20_000_000, seed: Some(ff_seed()) }))),
            ("bench", Ok(Command::Bench(BenchFlags::default()))),
            ("bench --smoke", Ok(Command::Bench(BenchFlags { smoke: true, ..BenchFlags::default() }))),
            (
                "bench --duration 30 --soak=0 --players 64 --concurrency 8,32 --verify-events 1e4 --sqlite-only --update-docs",
                Ok(Command::Bench(BenchFlags {
                    smoke: false,
                    duration: 30,
                    soak: 0,
                    players: 64,
                    concurrency: vec![8, 32],
                    verify_events: 10_000,
                    sqlite_only: true,
                    update_docs: true,
                    debug_build: false,
                })),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(&parse_str(line), expected, "input: {line:?}");
        }
    }

    #[test]
    fn login_storm_takes_a_count() {
        assert_eq!(parse_str("login-storm"), Ok(Command::LoginStorm { logins: 300 }));
        assert_eq!(parse_str("login-storm --logins=1e3"), Ok(Command::LoginStorm { logins: 1000 }));
    }

    #[test]
    fn rejects_unknown_input() {
        for line in [
            "frobnicate",
            "test --nocapture",
            "services now",
            "rtp --rounds",
            "rtp --rounds 0",
            "rtp --rounds many",
            "rtp --rtp 79",
            "rtp --rtp 96.555",
            "rtp --rtp 96.5,",
            "rtp --seed xyz",
            "rtp --stake 0",
            "rtp --stake 1e13",
            "rtp --stake",
            "rtp --seed",
            "rng --draws 999",
            "rng --rounds 5",
            "rng --draws 1e30",
            "bench --concurrency 0",
            "bench --concurrency 8,",
            "bench --duration 0",
            "bench --fast",
            "login-storm --logins 0",
            "login-storm --logins",
            "login-storm --fast",
        ] {
            assert!(parse_str(line).is_err(), "input: {line:?}");
        }
    }
}
