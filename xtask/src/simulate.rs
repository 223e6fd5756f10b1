//! `cargo xtask simulate`: simulated players against a platform, through its HTTP API.
//!
//! A plain wrapper around `cargo run --release -p simulator -- …` with
//! inherited stdio. Without `--url` it first builds and starts a release server on a
//! free loopback port with a throwaway SQLite database under `target/xtask/` (and a
//! staff account, so that the report counts the alerts raised), and stops it after.

use std::env;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::flags::Command as XtaskCommand;
use crate::util::{self, Result};

/// The staff account the throwaway server gets: an admin, for counting alerts and
/// onboarding the simulated studio whose game the players also play.
const STAFF_USER: &str = "simulation_staff";
const STAFF_PASSWORD: &str = "simulation staff password";
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SimulateFlags {
    pub players: Option<u32>,
    /// As given (`60s`, `2m`, …); checked here, parsed by the server binary.
    pub duration: Option<String>,
    pub url: Option<String>,
    /// Everything after `--`, appended to the `simulator` command.
    pub extra: Vec<String>,
}

/// Parses the arguments of `simulate`.
pub fn parse(args: impl Iterator<Item = String>) -> Result<XtaskCommand, String> {
    let mut flags = SimulateFlags::default();
    let mut args = args;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let value = |args: &mut dyn Iterator<Item = String>| {
            inline.clone().or_else(|| args.next()).ok_or_else(|| format!("`{name}` needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(XtaskCommand::Help),
            "--players" => {
                let raw = value(&mut args)?;
                match raw.replace('_', "").parse::<u32>() {
                    Ok(n) if n >= 1 => flags.players = Some(n),
                    _ => return Err(format!("`--players` takes a whole number of at least 1, not `{raw}`")),
                }
            }
            "--duration" => {
                let raw = value(&mut args)?;
                if !is_duration(&raw) {
                    return Err(format!("`--duration` takes a duration such as 90s, 2m, 1h or 1500ms, not `{raw}`"));
                }
                flags.duration = Some(raw);
            }
            "--url" => {
                let raw = value(&mut args)?;
                if !raw.starts_with("http://") {
                    return Err(format!("`--url` takes an http:// URL such as http://127.0.0.1:8090, not `{raw}`"));
                }
                flags.url = Some(raw);
            }
            "--" => flags.extra = args.by_ref().collect(),
            other => {
                return Err(format!(
                    "unknown argument to `simulate`: `{other}` (arguments for the `simulator` command go after `--`)"
                ));
            }
        }
    }
    Ok(XtaskCommand::Simulate(flags))
}

/// `90`, `90s`, `1.5s`, `1500ms`, `2m`, `1h`, and not zero.
fn is_duration(raw: &str) -> bool {
    let split = raw.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    matches!(unit, "" | "ms" | "s" | "m" | "min" | "h") && number.parse::<f64>().is_ok_and(|n| n > 0.0 && n.is_finite())
}

pub fn run(flags: &SimulateFlags) -> Result<ExitCode> {
    let mut args: Vec<String> = Vec::new();
    if let Some(players) = flags.players {
        args.extend(["--players".into(), players.to_string()]);
    }
    if let Some(duration) = &flags.duration {
        args.extend(["--duration".into(), duration.clone()]);
    }
    if let Some(url) = &flags.url {
        args.extend(["--url".into(), url.clone()]);
        let mut command = util::cargo();
        command.args(["run", "--release", "-p", "simulator", "--"]).args(&args).args(&flags.extra);
        eprintln!("$ {}", util::display(&command));
        let status = command.status().map_err(|e| format!("cannot run `{}`: {e}", util::display(&command)))?;
        return Ok(util::exit_code(status));
    }

    util::run(util::cargo().args(["build", "--release", "-p", "acmetocasino", "-p", "simulator"]))?;
    let server = Server::start()?;
    args.extend(["--url".into(), server.url(), "--staff-user".into(), STAFF_USER.into()]);
    let mut command = util::cargo();
    command
        .args(["run", "--quiet", "--release", "-p", "simulator", "--"])
        .args(&args)
        .args(&flags.extra)
        .env("ACMETOCASINO_SIMULATE_STAFF_PASSWORD", STAFF_PASSWORD);
    eprintln!("$ {}", util::display(&command));
    let status = command.status().map_err(|e| format!("cannot run `{}`: {e}", util::display(&command)));
    let stopped = server.stop();
    let status = status?;
    stopped?;
    Ok(util::exit_code(status))
}

/// A release server on a free port with its own data directory (SQLite, JWT key).
struct Server {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl Server {
    fn start() -> Result<Server> {
        let binary = util::target_dir().join("release").join("acmetocasino");
        let dir = util::target_dir().join("xtask").join(format!("simulate-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
        }
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
        // From here on, dropping `server` cleans up.
        let mut server = Server { child: None, dir, port };

        let mut admin = server.command(&binary);
        admin
            .args(["admin", "create", "--username", STAFF_USER, "--email", "simulation-staff@example.com"])
            .args(["--role", "admin", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = admin.spawn().map_err(|e| format!("cannot run `{}`: {e}", util::display(&admin)))?;
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{STAFF_PASSWORD}")?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            return Err(format!(
                "creating the staff account failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }

        let log = File::create(server.log())?;
        let mut serve = server.command(&binary);
        serve.arg("serve").stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        eprintln!("$ {} (log: {})", util::display(&serve), server.log().display());
        server.child = Some(serve.spawn().map_err(|e| format!("cannot run `{}`: {e}", util::display(&serve)))?);
        server.wait_until_healthy()?;
        eprintln!("xtask: platform ready on {} (data in {})", server.url(), server.dir.display());
        Ok(server)
    }

    /// The server binary with a configuration of its own: nothing from our
    /// environment leaks in (no PostgreSQL, Redis, production mode or simulation).
    fn command(&self, binary: &std::path::Path) -> Command {
        let mut command = Command::new(binary);
        command.current_dir(&self.dir);
        for (name, _) in env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("ACMETOCASINO_") || name_str == "DATABASE_URL" || name_str == "REDIS_URL" {
                command.env_remove(&name);
            }
        }
        command
            .env("ACMETOCASINO_DATA_DIR", &self.dir)
            .env("ACMETOCASINO_BIND", format!("127.0.0.1:{}", self.port))
            // Every simulated player signs up and in from 127.0.0.1.
            .env("ACMETOCASINO_LOGIN_LIMIT_PER_IP", "10000000")
            .env("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", "10000000")
            // Every request is logged at info; the log is thrown away with the directory.
            .env("ACMETOCASINO_LOG", "warn");
        command
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn wait_until_healthy(&mut self) -> Result<()> {
        let deadline = Instant::now() + HEALTH_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                return Err(format!("the server exited ({status}):\n{}", util::tail(&self.log(), 20)).into());
            }
            if health_status(self.port) == Some(200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not answer /api/v2/health within {}s:\n{}",
                    HEALTH_TIMEOUT.as_secs(),
                    util::tail(&self.log(), 20)
                )
                .into());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM (graceful shutdown), SIGKILL after a grace period; removes the directory.
    fn stop(mut self) -> Result<()> {
        let result = self.shutdown();
        let removed = fs::remove_dir_all(&self.dir).map_err(|e| format!("cannot remove {}: {e}", self.dir.display()));
        result.and(removed.map_err(Into::into))
    }

    fn shutdown(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        if util::stop_child(&mut child, STOP_GRACE)? {
            return Ok(());
        }
        Err(format!("the server ignored SIGTERM for {}s; killed it", STOP_GRACE.as_secs()).into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The HTTP status of `GET /api/v2/health`, or `None` when there is no answer.
fn health_status(port: u16) -> Option<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /api/v2/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).ok()?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.strip_prefix("HTTP/1.1 ").or_else(|| line.strip_prefix("HTTP/1.0 "))?.get(..3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<XtaskCommand, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_flags() {
        assert_eq!(parse_str(""), Ok(XtaskCommand::Simulate(SimulateFlags::default())));
        assert_eq!(parse_str("--help"), Ok(XtaskCommand::Help));
        assert_eq!(
            parse_str("--players 40 --duration=2m --url http://127.0.0.1:8090 -- --seed 7"),
            Ok(XtaskCommand::Simulate(SimulateFlags {
                players: Some(40),
                duration: Some("2m".into()),
                url: Some("http://127.0.0.1:8090".into()),
                extra: vec!["--seed".into(), "7".into()],
            }))
        );
        for bad in [
            "--players",
            "--players 0",
            "--players many",
            "--duration 0s",
            "--duration 5 minutes",
            "--duration soon",
            "--url 127.0.0.1:8090",
            "--seed 7",
        ] {
            assert!(parse_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in ["90", "90s", "1.5s", "1500ms", "2m", "1h"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "s", "0", "-1s", "2 m", "1d"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
