//! `cargo xtask test`: the whole gate CI runs, step by step, with timings.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use testbed::{Chromium, Postgres, Redis, Tool};

use crate::flags::TestFlags;
use crate::util::{self, Result, fmt_duration};

pub fn run(flags: &TestFlags) -> Result<ExitCode> {
    let total = Instant::now();
    let root = util::project_root();

    // Install (or name) what is missing before minutes of clippy, not after.
    let missing = crate::install::missing_tools();
    if !missing.is_empty() {
        eprintln!("{}", missing_banner(&missing, flags.allow_missing_services));
        if !flags.allow_missing_services {
            return Ok(ExitCode::FAILURE);
        }
    }

    let mut report = Report::default();
    report
        .step("rustfmt", || util::run(util::cargo().args(["fmt", "--all", "--", "--check"])).map(|()| Outcome::Passed));
    report.step("clippy", || {
        let mut clippy = util::cargo();
        clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
        util::run(&mut clippy).map(|()| Outcome::Passed)
    });
    // deploy/nginx.conf is checked (`nginx -t`) and run by the topology test.
    report.step("compose config", || check_compose(&root.join("deploy/docker-compose.yml")));

    // Guards: both servers stop when these go out of scope, also on panic.
    let postgres = report.service("start postgres", Tool::Postgres, &missing, Postgres::start);
    let redis = report.service("start redis", Tool::Redis, &missing, Redis::start);
    let chromium = report.service("start chromium", Tool::Chromium, &missing, Chromium::start);

    let services_ok = postgres.is_ok() && redis.is_ok() && chromium.is_ok();
    let mut cargo_test = util::cargo();
    cargo_test.arg("test");
    // `--workspace` would override a `-p` among the extra arguments.
    let picks_packages = flags
        .cargo_test_args
        .iter()
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "-p" || arg.starts_with("--package") || arg.starts_with("-p"));
    if !picks_packages {
        cargo_test.arg("--workspace");
    }
    cargo_test.args(&flags.cargo_test_args);
    match &postgres {
        Ok(Some(postgres)) => cargo_test.env("ACMETOCASINO_TEST_PG_URL", postgres.url()),
        _ => cargo_test.env_remove("ACMETOCASINO_TEST_PG_URL"),
    };
    match &redis {
        Ok(Some(redis)) => cargo_test.env("ACMETOCASINO_TEST_REDIS_URL", redis.url()),
        _ => cargo_test.env_remove("ACMETOCASINO_TEST_REDIS_URL"),
    };
    match &chromium {
        Ok(Some(chromium)) => cargo_test.env("ACMETOCASINO_TEST_CHROMIUM_URL", chromium.url()),
        _ => cargo_test.env_remove("ACMETOCASINO_TEST_CHROMIUM_URL"),
    };
    if missing.is_empty() {
        cargo_test.env_remove("ACMETOCASINO_ALLOW_MISSING_SERVICES");
    } else {
        cargo_test.env("ACMETOCASINO_ALLOW_MISSING_SERVICES", "1");
    }
    if services_ok {
        report.step("cargo test", || util::run(&mut cargo_test).map(|()| Outcome::Passed));
    } else {
        report.skip("cargo test", "a service failed to start");
    }
    // Five seconds of `cargo xtask bench` on SQLite with the debug build, so it cannot rot.
    report.step("bench smoke", || crate::bench::smoke().map(|()| Outcome::Passed));

    report.step("stop services", || {
        let chromium = chromium.ok().flatten().map(Chromium::stop).transpose();
        let redis = redis.ok().flatten().map(Redis::stop).transpose();
        let postgres = postgres.ok().flatten().map(Postgres::stop).transpose();
        chromium.and(redis).and(postgres).map(|_| Outcome::Passed).map_err(Into::into)
    });

    report.print_summary(total.elapsed());
    Ok(if report.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn missing_banner(missing: &[Tool], allowed: bool) -> String {
    let rule = "#".repeat(78);
    let mut lines = vec![rule.clone()];
    for tool in missing {
        lines.push(format!("#  {} IS NOT INSTALLED", tool.name().to_uppercase()));
        lines.push(format!("#    looked for: {}", tool.looked_for()));
    }
    lines.push("#".into());
    lines.push(format!("#  Install:  {}", crate::install::apt_command(missing)));
    if allowed {
        lines.push("#  --allow-missing-services: carrying on without it; tests that need it".into());
        lines.push("#  see ACMETOCASINO_ALLOW_MISSING_SERVICES=1 and skip.".into());
    } else {
        lines.push("#  Or, to run the tests without it:".into());
        lines.push("#            cargo xtask test --allow-missing-services".into());
    }
    lines.push(rule);
    lines.join("\n")
}

/// Checks deploy/docker-compose.yml with what is at hand, no engine, no network:
/// `docker compose config` validates it where the docker client has compose; PyYAML
/// checks what the file promises (the services, a health check and a memory limit on
/// each, published ports on 127.0.0.1 by default).
fn check_compose(file: &Path) -> Result<Outcome> {
    if !file.is_file() {
        return Err(format!("{} does not exist", file.display()).into());
    }
    let mut checked = Vec::new();
    if util::succeeds(Command::new("docker").args(["compose", "version"])) {
        let mut config = Command::new("docker");
        config.args(["compose", "-f"]).arg(file).args(["--profile", "replica", "--profile", "simulator"]);
        config.args(["config", "-q"]);
        // The file insists on a JWT secret from deploy/.env; a placeholder will do here.
        if std::env::var_os("ACMETOCASINO_JWT_SECRET").is_none() {
            config.env("ACMETOCASINO_JWT_SECRET", "xtask-compose-check-placeholder-secret-0000");
        }
        util::run(&mut config)?;
        checked.push("docker compose config");
    }
    if util::succeeds(Command::new("python3").args(["-c", "import yaml"])) {
        const SCRIPT: &str = r#"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
services = doc.get("services") or {}
wanted = {"postgres", "postgres-replica", "redis", "app1", "app2", "nginx", "prometheus", "simulator"}
problems = ["no service " + name for name in sorted(wanted - services.keys())]
for name, s in services.items():
    if name != "simulator" and (not s.get("healthcheck") or s["healthcheck"].get("disable")):
        problems.append(name + ": no health check")
    if not (((s.get("deploy") or {}).get("resources") or {}).get("limits") or {}).get("memory"):
        problems.append(name + ": no memory limit")
    for port in s.get("ports") or []:
        if not str(port).startswith("${PUBLISH_ADDRESS:-127.0.0.1}:"):
            problems.append(name + ": port " + str(port) + " is not on 127.0.0.1 by default")
for name, profile in [("postgres-replica", "replica"), ("simulator", "simulator")]:
    if profile not in (services.get(name) or {}).get("profiles", []):
        problems.append(name + ": not in the optional profile " + profile)
sys.exit("\n".join(problems) or None)
"#;
        util::run(Command::new("python3").args(["-c", SCRIPT]).arg(file))?;
        checked.push("PyYAML policy check");
    }
    Ok(if checked.is_empty() {
        Outcome::Skipped("neither `docker compose` nor python3 with PyYAML is available".into())
    } else {
        Outcome::PassedWith(checked.join(", "))
    })
}

enum Outcome {
    Passed,
    PassedWith(String),
    Skipped(String),
}

enum Status {
    Ok(String),
    Failed(String),
    Skipped(String),
}

struct Row {
    name: &'static str,
    status: Status,
    time: Duration,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    fn step(&mut self, name: &'static str, f: impl FnOnce() -> Result<Outcome>) {
        self.step_with(name, || f().map(|outcome| ((), outcome)));
    }

    /// Runs one step, printing a header and a footer with its wall time.
    fn step_with<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<(T, Outcome)>) -> Option<T> {
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let result = f();
        let time = started.elapsed();
        let (value, status) = match result {
            Ok((value, Outcome::Passed)) => (Some(value), Status::Ok(String::new())),
            Ok((value, Outcome::PassedWith(note))) => (Some(value), Status::Ok(note)),
            Ok((value, Outcome::Skipped(reason))) => (Some(value), Status::Skipped(reason)),
            Err(error) => (None, Status::Failed(error.to_string())),
        };
        match &status {
            Status::Ok(_) => eprintln!("<== {name}: ok ({})", fmt_duration(time)),
            Status::Skipped(reason) => eprintln!("<== {name}: skipped: {reason}"),
            Status::Failed(error) => {
                eprintln!("<== {name}: FAILED after {}: {error}", fmt_duration(time));
            }
        }
        self.rows.push(Row { name, status, time });
        value
    }

    fn skip(&mut self, name: &'static str, reason: &str) {
        self.step(name, || Ok(Outcome::Skipped(reason.into())));
    }

    /// Starts a server unless it is known to be missing: `Ok(None)` when skipped,
    /// `Err(())` when it failed (already reported).
    fn service<S>(
        &mut self,
        name: &'static str,
        tool: Tool,
        missing: &[Tool],
        start: impl FnOnce() -> Result<S, testbed::Error>,
    ) -> Result<Option<S>, ()> {
        if missing.contains(&tool) {
            self.skip(name, "not installed (--allow-missing-services)");
            return Ok(None);
        }
        self.step_with(name, || Ok((start()?, Outcome::Passed))).map(Some).ok_or(())
    }

    fn any_failed(&self) -> bool {
        self.rows.iter().any(|row| matches!(row.status, Status::Failed(_)))
    }

    fn print_summary(&self, total: Duration) {
        let width = self.rows.iter().map(|row| row.name.len()).max().unwrap_or(0);
        eprintln!("\nSummary");
        eprintln!("{:-<1$}", "", width + 30);
        for row in &self.rows {
            let (result, note) = match &row.status {
                Status::Ok(note) => ("ok", note.as_str()),
                Status::Skipped(reason) => ("skipped", reason.as_str()),
                Status::Failed(error) => ("FAILED", error.lines().next().unwrap_or_default()),
            };
            let time = match row.status {
                Status::Skipped(_) => String::from("-"),
                _ => fmt_duration(row.time),
            };
            eprintln!("{:<width$}  {result:<7}  {time:>9}  {note}", row.name);
        }
        eprintln!("{:-<1$}", "", width + 30);
        let verdict = if self.any_failed() { "FAILED" } else { "ok" };
        eprintln!("{:<width$}  {verdict:<7}  {:>9}", "total", fmt_duration(total));
    }
}
