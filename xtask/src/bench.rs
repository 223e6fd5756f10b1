//! `cargo xtask bench`: the server under a closed loop of rounds, next to what its
//! database can do alone with the same statements (docs/benchmarks.md).
//!
//! Per backend (a private, durable PostgreSQL with `pg_stat_statements`, then a fresh
//! SQLite file) it starts the release server with Redis off, has the load generator
//! (`loadgen bench-load`) register, log in, pass KYC, fund and launch P players
//! (timing logins and deposits), and then, for each concurrency C:
//! - ours: C clients placing `POST /api/v2/gal/bet` rounds for D seconds;
//! - the ceiling: on PostgreSQL, pgbench (`-M prepared`, same C) running the
//!   statements the server sent for its rounds, captured from the statement log (see
//!   `bench/capture.rs`); on SQLite, `loadgen bench-sqlite-ceiling` running the
//!   same statements in a raw `BEGIN IMMEDIATE … COMMIT` loop.
//!
//! Then a soak run (memory sampled every second), and the replay of one wallet of 10^5
//! events. `--smoke` is the five-second SQLite-only version CI runs.

mod capture;
mod pg;
mod provider;
mod report;
mod server;
mod storm;

pub use storm::run as login_storm;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::flags::BenchFlags;
use crate::util::{self, Result, fmt_duration};
use capture::{Consts, Known, Players, RoundScript};
use pg::{Pgbench, Psql, StatementStats, Waits};
use server::{CpuSnapshot, CpuUse, Memory, Server};
use testbed::{PgOptions, Postgres};

const STAFF: &str = "benchop";
const STAFF_PASSWORD: &str = "bench operator password";
const BENCH_DB: &str = "bench";
const PROBE_ROUNDS: u64 = 100;
const ROUND_MARKER: &str = "INSERT INTO rounds ";

/// The server's default `ACMETOCASINO_DB_POOL_SIZE` (apps/acmetocasino/src/config.rs):
/// four connections per core, at most 16. xtask sets it explicitly, so the ceiling's
/// connection count is the server's.
pub fn server_pool_size() -> usize {
    (4 * std::thread::available_parallelism().map_or(2, usize::from)).min(16)
}

/// What one invocation does.
#[derive(Debug, Clone)]
pub struct Plan {
    pub smoke: bool,
    pub release: bool,
    pub players: usize,
    pub concurrency: Vec<usize>,
    pub duration: u64,
    pub soak: u64,
    pub verify_events: u64,
    pub postgres: bool,
    pub deposit_seconds: u64,
    pub update_docs: bool,
    pub command: String,
}

impl Plan {
    fn from(flags: &BenchFlags) -> Plan {
        if flags.smoke {
            return Plan {
                smoke: true,
                release: false,
                players: 8,
                concurrency: vec![4],
                duration: 5,
                soak: 0,
                verify_events: 1_000,
                postgres: false,
                deposit_seconds: 1,
                update_docs: false,
                command: "cargo xtask bench --smoke".into(),
            };
        }
        Plan {
            smoke: false,
            release: !flags.debug_build,
            players: flags.players,
            concurrency: flags.concurrency.clone(),
            duration: flags.duration,
            soak: flags.soak,
            verify_events: flags.verify_events,
            postgres: !flags.sqlite_only,
            deposit_seconds: 3,
            update_docs: flags.update_docs,
            command: flags.command_line(),
        }
    }
}

/// One C: the server's rounds and the ceiling.
#[derive(Debug, Clone)]
pub struct Run {
    pub concurrency: usize,
    pub ours: Value,
    pub ours_cpu: Option<CpuUse>,
    pub ours_statements: Option<StatementStats>,
    pub ours_waits: Option<Waits>,
    pub ceiling: Option<Ceiling>,
    /// PostgreSQL, C above the server's pool size: pgbench with as many connections
    /// as the server has (the database never sees more from it).
    pub ceiling_at_pool: Option<Ceiling>,
    /// A Hub88 provider's bets and wins at the same C (issue 17).
    pub provider: Option<provider::ProviderRun>,
}

impl Run {
    /// The best ceiling measured for this run.
    pub fn best_ceiling(&self) -> Option<&Ceiling> {
        [self.ceiling.as_ref(), self.ceiling_at_pool.as_ref()]
            .into_iter()
            .flatten()
            .filter(|c| c.tps > 0.0)
            .max_by(|a, b| a.tps.total_cmp(&b.tps))
    }
}

#[derive(Debug, Clone)]
pub struct Ceiling {
    pub tps: f64,
    pub transactions: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub failed: u64,
    pub statements: Option<StatementStats>,
    /// The SQLite library's version (SQLite ceiling only).
    pub version: Option<String>,
    pub cpu: Option<CpuUse>,
    pub waits: Option<Waits>,
    pub clients: usize,
}

/// Everything measured on one backend.
#[derive(Debug, Clone)]
pub struct BackendResult {
    pub name: &'static str,
    pub version: String,
    pub setup: Value,
    pub deposits: Option<Value>,
    pub runs: Vec<Run>,
    pub soak: Option<Value>,
    pub verify: Option<Value>,
    pub memory: Memory,
    pub capture: Option<RoundScript>,
    pub wall: Vec<(String, Duration)>,
}

pub fn run(flags: &BenchFlags) -> Result<ExitCode> {
    let unexpected = execute(flags)?;
    Ok(if unexpected.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs the benchmark; the failures that are not intended refusals.
fn execute(flags: &BenchFlags) -> Result<Vec<String>> {
    let total = Instant::now();
    let plan = Plan::from(flags);
    if plan.concurrency.iter().any(|&c| c == 0 || c > plan.players) {
        return Err(format!("every --concurrency must be between 1 and --players ({})", plan.players).into());
    }
    // The smoke (run by `cargo xtask test`) keeps out of a full run's directory.
    let dir = util::target_dir().join("xtask").join(if plan.smoke { "bench-smoke" } else { "bench" });
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir)?;

    let started = Instant::now();
    let bins = build(plan.release)?;
    let build_time = started.elapsed();
    let machine = report::Machine::detect();

    let mut results = Vec::new();
    let mut script_json = None;
    if plan.postgres {
        let pg = Postgres::start_with(&PgOptions::benchmark())?;
        let psql = Psql { bin: pg.tool("psql"), port: pg.port(), db: BENCH_DB.into() };
        psql.rows_in("postgres", &format!("CREATE DATABASE {BENCH_DB};"))?;
        psql.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")?;
        let url = format!("postgres://postgres@127.0.0.1:{}/{BENCH_DB}", pg.port());
        let target = Target::Postgres { pg: &pg, psql };
        let result = run_backend(&plan, &bins, &dir, &url, &target);
        drop(target);
        let stopped = pg.stop();
        let result = result?;
        stopped?;
        if result.capture.is_some() {
            script_json = Some(dir.join("postgresql").join("round-script.json"));
        }
        results.push(result);
    }
    let sqlite_file = dir.join("sqlite").join("data").join("bench.db");
    let target = Target::Sqlite { file: sqlite_file.clone(), script: script_json };
    results.push(run_backend(&plan, &bins, &dir, &sqlite_file.to_string_lossy(), &target)?);

    let text = report::render(&plan, &machine, &results, build_time, total.elapsed());
    println!("\n{text}");
    let report_file = dir.join("report.md");
    fs::write(&report_file, &text)?;
    eprintln!("xtask: report written to {}", report_file.display());
    if plan.update_docs {
        let doc = util::project_root().join("docs").join("benchmarks.md");
        report::update_doc(&doc, &text)?;
        eprintln!("xtask: results section of {} updated", doc.display());
    }
    let unexpected = report::unexpected_errors(&results);
    if unexpected.is_empty() {
        eprintln!("xtask: bench done in {}", fmt_duration(total.elapsed()));
    } else {
        eprintln!("xtask: bench FAILED: {}", unexpected.join("; "));
    }
    Ok(unexpected)
}

/// `cargo xtask bench --smoke`, for `cargo xtask test`: an error unless it ran clean.
pub fn smoke() -> Result<()> {
    let unexpected = execute(&BenchFlags { smoke: true, ..BenchFlags::default() })?;
    if unexpected.is_empty() { Ok(()) } else { Err(unexpected.join("; ").into()) }
}

/// The two programs a benchmark runs: the server, and the load generator that drives it
/// (a tool of its own, `apps/loadgen`, kept out of the server binary).
pub struct Binaries {
    pub server: PathBuf,
    pub loadgen: PathBuf,
}

/// Builds the server and the load generator (release for the real thing, debug for the
/// smoke).
pub fn build(release: bool) -> Result<Binaries> {
    let mut cargo = util::cargo();
    cargo.args(["build", "-p", "acmetocasino", "-p", "loadgen"]);
    if release {
        cargo.arg("--release");
    }
    util::run(&mut cargo)?;
    let dir = util::target_dir().join(if release { "release" } else { "debug" });
    let built = |name: &str| {
        let bin = dir.join(name);
        if util::is_executable(&bin) { Ok(bin) } else { Err(format!("{} was not built", bin.display())) }
    };
    Ok(Binaries { server: built("acmetocasino")?, loadgen: built("loadgen")? })
}

enum Target<'a> {
    Postgres { pg: &'a Postgres, psql: Psql },
    Sqlite { file: PathBuf, script: Option<PathBuf> },
}

impl Target<'_> {
    fn name(&self) -> &'static str {
        match self {
            Target::Postgres { .. } => "PostgreSQL",
            Target::Sqlite { .. } => "SQLite",
        }
    }

    fn dir_name(&self) -> &'static str {
        match self {
            Target::Postgres { .. } => "postgresql",
            Target::Sqlite { .. } => "sqlite",
        }
    }
}

struct Clock(Vec<(String, Duration)>, Instant);

impl Clock {
    fn lap(&mut self, what: impl Into<String>) {
        let now = Instant::now();
        self.0.push((what.into(), now - self.1));
        self.1 = now;
    }
}

fn run_backend(plan: &Plan, bins: &Binaries, dir: &Path, url: &str, target: &Target<'_>) -> Result<BackendResult> {
    let pool_size = server_pool_size();
    let name = target.name();
    eprintln!("\n==> {name}");
    let bdir = dir.join(target.dir_name());
    fs::create_dir_all(bdir.join("data"))?;
    let mut clock = Clock(Vec::new(), Instant::now());
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", url.to_owned()),
        ("ACMETOCASINO_DATA_DIR", bdir.join("data").display().to_string()),
        ("ACMETOCASINO_MODE", "embedded".to_owned()),
        ("ACMETOCASINO_JWT_SECRET", "xtask-bench-jwt-secret-xtask-bench-jwt-secret".to_owned()),
        ("ACMETOCASINO_KYC_AUTO_DECIDE", "true".to_owned()),
        ("ACMETOCASINO_DB_POOL_SIZE", pool_size.to_string()),
        // Every bench player signs up and in from 127.0.0.1: the bench measures rounds,
        // not the per-address abuse ceilings (docs/security-auth-notes.md).
        ("ACMETOCASINO_LOGIN_LIMIT_PER_IP", "10000000".to_owned()),
        ("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", "10000000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    server::create_staff(&bins.server, &env, STAFF, "operator", STAFF_PASSWORD)?;
    server::create_staff(&bins.server, &env, provider::ADMIN, "admin", STAFF_PASSWORD)?;
    let server = Server::start(&bins.server, &env, &bdir.join("server.log"))?;
    clock.lap("start");
    let state = bdir.join("state.json");
    let c0 = plan.concurrency.first().copied().unwrap_or(8);
    let load = |extra: &[String]| -> Result<Vec<Value>> {
        let mut args: Vec<String> = vec![
            "bench-load".into(),
            "--url".into(),
            server.url.clone(),
            "--state".into(),
            state.display().to_string(),
        ];
        args.extend_from_slice(extra);
        server::bench(&bins.loadgen, &args, None)
    };
    let s = |v: &dyn ToString| v.to_string();

    server.set_phase("setup");
    let lines = load(&[
        "--players".into(),
        s(&plan.players),
        "--concurrency".into(),
        s(&c0),
        "--duration".into(),
        "0".into(),
        "--deposit-seconds".into(),
        s(&plan.deposit_seconds),
    ])?;
    let setup = server::phase(&lines, "setup")?;
    let deposits = server::phase(&lines, "deposits").ok();
    clock.lap("setup (register, login, KYC, fund, launch, deposits)");
    let players = read_players(&state)?;

    // PostgreSQL: capture the statements of real rounds, then make pgbench scripts.
    let mut capture = None;
    let mut weights: Vec<usize> = Vec::new();
    let mut defines: Vec<String> = Vec::new();
    if let Target::Postgres { pg, psql } = target {
        server.set_phase("probe");
        let log = pg.log_file();
        let offset = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        pg::statement_log(psql, true)?;
        let probe = load(&[
            "--concurrency".into(),
            "1".into(),
            "--only-players".into(),
            "1".into(),
            "--max-rounds".into(),
            s(&PROBE_ROUNDS),
            "--duration".into(),
            "300".into(),
        ]);
        let off = pg::statement_log(psql, false);
        probe?;
        off?;
        let bytes = fs::read(&log)?;
        let text = String::from_utf8_lossy(bytes.get(usize::try_from(offset).unwrap_or(0)..).unwrap_or_default());
        let rounds = capture::rounds_in_log(&text, ROUND_MARKER);
        if rounds.len() < (PROBE_ROUNDS as usize) / 2 {
            return Err(format!(
                "only {} of {PROBE_ROUNDS} probe rounds found in the statement log {}",
                rounds.len(),
                log.display()
            )
            .into());
        }
        let pairs = psql.rows("SELECT player_id, id FROM seed_pairs WHERE active;")?;
        let pair_of = |player: &str| pairs.iter().find(|r| r[0] == player).map(|r| r[1].clone()).unwrap_or_default();
        let mut arrays = Players::default();
        for (id, session) in &players {
            arrays.players.push(id.clone());
            arrays.sessions.push(session.clone());
            arrays.pairs.push(pair_of(id));
        }
        let (first, first_session) = players.first().cloned().unwrap_or_default();
        let known = Known { pair: pair_of(&first), player: first, session: first_session };
        let script = capture::script(&rounds, &known);
        fs::write(bdir.join("round-script.json"), serde_json::to_string_pretty(&script.to_json())?)?;
        let types = pg::parameter_types(psql, &script.parameterised_sql())?;
        let mut consts = Consts::default();
        weights = script.shapes.iter().map(|shape| shape.count).collect();
        // One script per shape and C (clients share the players out by C).
        let mut client_counts = plan.concurrency.clone();
        if plan.concurrency.iter().any(|&c| c > pool_size) {
            client_counts.push(pool_size);
        }
        for &c in &client_counts {
            for (i, shape) in script.shapes.iter().enumerate() {
                let text = capture::pgbench_script(shape, &arrays, c, &types, &mut consts);
                fs::write(bdir.join(format!("round-shape-{i}-c{c}.sql")), text)?;
            }
        }
        defines = consts.defines();
        eprintln!(
            "xtask: captured {} rounds in {} shapes; scripts in {}",
            rounds.len(),
            script.shapes.len(),
            bdir.display()
        );
        capture = Some(script);
        clock.lap("probe and capture");
    }

    let mut runs = Vec::new();
    for &c in &plan.concurrency {
        server.set_phase(&format!("rounds C={c}"));
        let mut waits = None;
        if let Target::Postgres { psql, .. } = target {
            pg::reset_statements(psql)?;
            waits = Some(pg::WaitSampler::start(psql, plan.duration, false)?);
        }
        let before = CpuSnapshot::take(server.pid());
        let lines = load(&["--concurrency".into(), s(&c), "--duration".into(), s(&plan.duration)])?;
        let cpu = CpuSnapshot::take(server.pid()).since(&before);
        let ours = server::phase(&lines, "rounds")?;
        clock.lap(format!("rounds C={c}"));
        let mut run = Run {
            concurrency: c,
            ours,
            ours_cpu: Some(cpu),
            ours_statements: None,
            ours_waits: waits.map(pg::WaitSampler::finish).transpose()?,
            ceiling: None,
            ceiling_at_pool: None,
            provider: None,
        };
        match target {
            Target::Postgres { psql, .. } => {
                run.ours_statements = Some(pg::statements(psql)?);
                server.set_phase(&format!("pgbench C={c}"));
                run.ceiling = Some(pgbench_ceiling(psql, &bdir, &weights, &defines, c, plan.duration, server.pid())?);
                clock.lap(format!("pgbench C={c}"));
                if c > pool_size {
                    server.set_phase(&format!("pgbench C={pool_size}"));
                    let ceiling =
                        pgbench_ceiling(psql, &bdir, &weights, &defines, pool_size, plan.duration, server.pid())?;
                    run.ceiling_at_pool = Some(ceiling);
                    clock.lap(format!("pgbench C={pool_size} (the server's pool size), for C={c}"));
                }
            }
            Target::Sqlite { file, script: Some(script) } if !plan.smoke => {
                server.set_phase(&format!("sqlite ceiling C={c}"));
                run.ceiling =
                    Some(sqlite_ceiling(&bins.loadgen, file, script, &state, c, plan.duration, server.pid())?);
                clock.lap(format!("SQLite ceiling C={c}"));
                if c > pool_size {
                    server.set_phase(&format!("sqlite ceiling C={pool_size}"));
                    let ceiling =
                        sqlite_ceiling(&bins.loadgen, file, script, &state, pool_size, plan.duration, server.pid())?;
                    run.ceiling_at_pool = Some(ceiling);
                    clock.lap(format!("SQLite ceiling C={pool_size} (the server's pool size), for C={c}"));
                }
            }
            Target::Sqlite { .. } => {}
        }
        runs.push(run);
    }

    // The provider's rounds come after all of ours (and their ceilings), so ours run on
    // the same data as before providers existed and stay comparable run to run: the
    // provider is onboarded and its game launched for every player once, then its rounds
    // run at each C.
    let provider_state = bdir.join("provider-state.json");
    server.set_phase("provider setup");
    provider::setup(&bins.loadgen, &server.url, &state, &provider_state, c0, STAFF_PASSWORD)?;
    clock.lap("provider setup (onboard, launch)");
    let psql = match target {
        Target::Postgres { psql, .. } => Some(psql),
        Target::Sqlite { .. } => None,
    };
    let files = provider::Files { state: &state, provider_state: &provider_state, dir: &bdir };
    for run in &mut runs {
        let c = run.concurrency;
        server.set_phase(&format!("provider C={c}"));
        let p = provider::run(&bins.loadgen, &server, &files, psql, c, plan.duration, plan.smoke)?;
        eprintln!(
            "xtask: {name} C={c}: provider {:.1} bets/s (p99 {:.1} ms) against our {:.1} rounds/s: ratio {:.2}",
            p.bets_per_sec(),
            p.value["p99_ms"].as_f64().unwrap_or(0.0),
            run.ours["per_sec"].as_f64().unwrap_or(0.0),
            p.bets_per_sec() / run.ours["per_sec"].as_f64().unwrap_or(0.0).max(1e-9)
        );
        run.provider = Some(p);
        clock.lap(format!("provider C={c}"));
    }

    let mut soak = None;
    if plan.soak > 0 {
        let c = plan.concurrency.iter().copied().max().unwrap_or(8);
        server.set_phase("soak");
        let lines = load(&["--concurrency".into(), s(&c), "--duration".into(), s(&plan.soak)])?;
        soak = Some(server::phase(&lines, "rounds")?);
        clock.lap(format!("soak C={c}"));
    }

    server.set_phase("verify");
    // Building one wallet serialises every posting on its row lock, so on a durable
    // PostgreSQL each one waits for its own WAL flush (~250/s here). The build is only
    // set-up for the read being timed: let it skip the flush.
    if let Target::Postgres { psql, .. } = target {
        psql.exec("ALTER SYSTEM SET synchronous_commit = off; SELECT pg_reload_conf();")?;
    }
    let args: Vec<String> = vec![
        "bench-load".into(),
        "--url".into(),
        server.url.clone(),
        "--verify-events".into(),
        s(&plan.verify_events),
        "--concurrency".into(),
        "4".into(),
        "--staff-username".into(),
        STAFF.into(),
        "--staff-password-stdin".into(),
    ];
    let verify = server::phase(&server::bench(&bins.loadgen, &args, Some(STAFF_PASSWORD))?, "verify")?;
    if let Target::Postgres { psql, .. } = target {
        psql.exec("ALTER SYSTEM RESET synchronous_commit; SELECT pg_reload_conf();")?;
    }
    clock.lap(format!("verify wallet of {} events", plan.verify_events));

    let memory = server.stop()?;
    let csv: String = std::iter::once("at_s,phase,rss_kib\n".to_owned())
        .chain(memory.samples.iter().map(|s| format!("{:.1},{},{}\n", s.at_s, s.phase, s.rss_kib)))
        .collect();
    fs::write(bdir.join("memory.csv"), csv)?;
    let version = match target {
        Target::Postgres { psql, .. } => pg::version(psql),
        Target::Sqlite { .. } => runs
            .iter()
            .find_map(|r| r.ceiling.as_ref()?.version.clone())
            .map_or_else(|| "SQLite (bundled)".into(), |v| format!("SQLite {v} (bundled)")),
    };
    Ok(BackendResult {
        name,
        version,
        setup,
        deposits,
        runs,
        soak,
        verify: Some(verify),
        memory,
        capture,
        wall: clock.0,
    })
}

/// pgbench with the captured shapes at `clients`, with `pg_stat_statements`, CPU and
/// backend states recorded.
fn pgbench_ceiling(
    psql: &Psql,
    bdir: &Path,
    weights: &[usize],
    defines: &[String],
    clients: usize,
    seconds: u64,
    server_pid: Option<u32>,
) -> Result<Ceiling> {
    pg::reset_statements(psql)?;
    let files: Vec<(PathBuf, usize)> =
        weights.iter().enumerate().map(|(i, w)| (bdir.join(format!("round-shape-{i}-c{clients}.sql")), *w)).collect();
    let waits = pg::WaitSampler::start(psql, seconds, true)?;
    let before = CpuSnapshot::take(server_pid);
    let b: Pgbench = pg::pgbench(psql, &files, defines, clients, seconds, bdir)?;
    let cpu = CpuSnapshot::take(server_pid).since(&before);
    let waits = waits.finish()?;
    Ok(Ceiling {
        tps: b.tps,
        transactions: b.transactions,
        p50_ms: b.p50_ms,
        p99_ms: b.p99_ms,
        failed: b.failed,
        statements: Some(pg::statements(psql)?),
        version: None,
        cpu: Some(cpu),
        waits: Some(waits),
        clients,
    })
}

/// `loadgen bench-sqlite-ceiling` with `clients` connections.
fn sqlite_ceiling(
    loadgen: &Path,
    file: &Path,
    script: &Path,
    state: &Path,
    clients: usize,
    seconds: u64,
    server_pid: Option<u32>,
) -> Result<Ceiling> {
    let args: Vec<String> = vec![
        "bench-sqlite-ceiling".into(),
        "--db".into(),
        file.display().to_string(),
        "--script".into(),
        script.display().to_string(),
        "--state".into(),
        state.display().to_string(),
        "--concurrency".into(),
        clients.to_string(),
        "--duration".into(),
        seconds.to_string(),
    ];
    let before = CpuSnapshot::take(server_pid);
    let lines = server::bench(loadgen, &args, None)?;
    let mut cpu = CpuSnapshot::take(server_pid).since(&before);
    let v = server::phase(&lines, "sqlite-ceiling")?;
    // The raw loop runs in its own process: count its CPU, not the idle server's.
    cpu.server_s = v["cpu_s"].as_f64().unwrap_or(0.0);
    Ok(Ceiling {
        tps: v["per_sec"].as_f64().unwrap_or(0.0),
        transactions: v["ok"].as_u64().unwrap_or(0),
        p50_ms: v["p50_ms"].as_f64().unwrap_or(0.0),
        p99_ms: v["p99_ms"].as_f64().unwrap_or(0.0),
        failed: v["errors"].as_u64().unwrap_or(0),
        statements: None,
        version: v["sqlite_version"].as_str().map(str::to_owned),
        cpu: Some(cpu),
        waits: None,
        clients,
    })
}

/// `(player id, session id)` in the state file's order (the order clients share them out).
fn read_players(state: &Path) -> Result<Vec<(String, String)>> {
    let text = fs::read_to_string(state)?;
    let v: Value = serde_json::from_str(&text)?;
    let players = v["players"].as_array().ok_or("state file without players")?;
    Ok(players
        .iter()
        .map(|p| {
            (p["id"].as_str().unwrap_or_default().to_owned(), p["session_id"].as_str().unwrap_or_default().to_owned())
        })
        .collect())
}
