//! The benchmark's Markdown report (printed, kept in target/xtask/bench/report.md and,
//! with `--update-docs`, put between the markers in docs/benchmarks.md).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::capture::RoundScript;
use super::pg::{StatementStats, Waits};
use super::{BackendResult, Plan};
use crate::util::{Result, fmt_duration};

pub const BEGIN: &str = "<!-- xtask bench: begin -->";
pub const END: &str = "<!-- xtask bench: end -->";

/// The machine the numbers come from.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub date: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let read = |p: &str| fs::read_to_string(p).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:").and_then(|r| r.split_whitespace().next()?.parse().ok()))
            .unwrap_or(0.0);
        let run = |program: &str, args: &[&str]| -> String {
            Command::new(program)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: run(&std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()), &["--version"]),
            date: run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        }
    }
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn f2(x: f64) -> String {
    format!("{x:.2}")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn errors_text(v: &Value) -> String {
    let n = v["errors"].as_u64().unwrap_or(0);
    if n == 0 {
        return "0".into();
    }
    let by: Vec<String> =
        v["errors_by"].as_object().map(|m| m.iter().map(|(k, c)| format!("{c}× {k}")).collect()).unwrap_or_default();
    format!("{n} ({})", by.join(", "))
}

/// Where the targets stand, as (target, measured, verdict).
fn targets(results: &[BackendResult]) -> Vec<(String, String, &'static str)> {
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    let mut out = Vec::new();
    for b in results {
        for run in &b.runs {
            let Some(ceiling) = run.best_ceiling() else { continue };
            let ratio = num(&run.ours, "per_sec") / ceiling.tps.max(1e-9);
            let p99 = num(&run.ours, "p99_ms");
            let p99_target = match (b.name, run.concurrency) {
                ("PostgreSQL", 8) => Some(25.0),
                ("PostgreSQL", 64) => Some(100.0),
                _ => None,
            };
            match p99_target {
                Some(limit) => out.push((
                    format!("{} C = {}: ratio ≥ 0.8, p99 < {limit} ms", b.name, run.concurrency),
                    format!("ratio {}, p99 {} ms", f2(ratio), f1(p99)),
                    verdict(ratio >= 0.8 && p99 < limit),
                )),
                None => out.push((
                    format!("{} C = {}: ratio ≥ 0.8", b.name, run.concurrency),
                    format!("ratio {}", f2(ratio)),
                    verdict(ratio >= 0.8),
                )),
            }
        }
        let errors: u64 = b
            .runs
            .iter()
            .map(|r| r.ours["errors"].as_u64().unwrap_or(0))
            .chain(b.soak.iter().map(|s| s["errors"].as_u64().unwrap_or(0)))
            .sum();
        super::provider::targets(b, &mut out);
        out.push((format!("{}: no errors", b.name), format!("{errors} errors"), verdict(errors == 0)));
        if let Some(growth) = soak_growth(b) {
            out.push((
                format!(
                    "{}: memory flat over the {:.0} s soak",
                    b.name,
                    b.soak.as_ref().map_or(0.0, |s| num(s, "elapsed_s"))
                ),
                format!("RSS {:+.1} % from its first to its last 10 s", growth * 100.0),
                verdict(growth.abs() < 0.10),
            ));
        }
    }
    out
}

/// Relative change of the mean RSS between the soak's first and last 10 samples.
fn soak_growth(b: &BackendResult) -> Option<f64> {
    let soak: Vec<u64> = b.memory.samples.iter().filter(|s| s.phase == "soak").map(|s| s.rss_kib).collect();
    if soak.len() < 20 {
        return None;
    }
    let mean = |xs: &[u64]| xs.iter().sum::<u64>() as f64 / xs.len() as f64;
    let first = mean(&soak[..10]);
    let last = mean(&soak[soak.len() - 10..]);
    Some((last - first) / first.max(1.0))
}

/// Failures that are not intended refusals: load errors, pgbench failures, a wallet
/// that does not verify.
pub fn unexpected_errors(results: &[BackendResult]) -> Vec<String> {
    let mut out = Vec::new();
    for b in results {
        for run in &b.runs {
            let n = run.ours["errors"].as_u64().unwrap_or(0);
            if n > 0 {
                out.push(format!("{} C={}: {}", b.name, run.concurrency, errors_text(&run.ours)));
            }
            if let Some(c) = &run.ceiling
                && c.failed > 0
            {
                out.push(format!("{} C={}: {} failed ceiling transactions", b.name, run.concurrency, c.failed));
            }
        }
        super::provider::unexpected(b, &mut out);
        if let Some(s) = &b.soak
            && s["errors"].as_u64().unwrap_or(0) > 0
        {
            out.push(format!("{} soak: {}", b.name, errors_text(s)));
        }
        if let Some(v) = &b.verify
            && (v["consistent"] != true || v["errors"].as_u64().unwrap_or(0) > 0)
        {
            out.push(format!("{} verify: consistent = {}, {}", b.name, v["consistent"], errors_text(v)));
        }
        if let Some(d) = &b.deposits
            && d["errors"].as_u64().unwrap_or(0) > 0
        {
            out.push(format!("{} deposits: {}", b.name, errors_text(d)));
        }
    }
    out
}

pub fn render(plan: &Plan, m: &Machine, results: &[BackendResult], build: Duration, total: Duration) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{BEGIN}");
    let _ = writeln!(o, "### Results of `{}`\n", plan.command);
    let versions: Vec<String> = results.iter().map(|b| b.version.clone()).collect();
    let _ = writeln!(
        o,
        "{}: {} ({} cores), {:.1} GiB RAM, Linux {}, {}; {} build; {}. Server, database and load generator \
         share the machine; Redis off; server defaults otherwise ({} HTTP workers = cores, a pool of {} (the default: \
         4 per core, at most 16), Argon2id 19456 KiB / 2 iterations, log level info to a file). Wall time {} (build {}).\n",
        m.date,
        m.cpu,
        m.cores,
        m.memory_gib,
        m.kernel,
        m.rustc,
        if plan.release { "release" } else { "debug" },
        versions.join(", "),
        m.cores,
        super::server_pool_size(),
        fmt_duration(total),
        fmt_duration(build)
    );
    let _ = writeln!(
        o,
        "{} players, {} s per run, game `coin-flip` at its minimum bet; PostgreSQL durable (fsync, \
         synchronous_commit and full_page_writes on); SQLite in WAL mode with synchronous = NORMAL, as the server \
         opens it.\n",
        plan.players, plan.duration
    );

    let _ = writeln!(o, "#### Rounds (`POST /api/v2/gal/bet`): the server against its database alone\n");
    let _ = writeln!(
        o,
        "| backend | C | rounds/s | p50 ms | p95 ms | p99 ms | max ms | errors | ceiling tx/s | ceiling p50 / p99 ms | ratio |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|");
    for b in results {
        for r in &b.runs {
            let (ceiling, cl, ratio) = match r.best_ceiling() {
                Some(c) => {
                    let mut tps = f1(c.tps);
                    if c.clients != r.concurrency {
                        tps = format!("{tps} at {} conn.", c.clients);
                        if let Some(same) = r.ceiling.as_ref().filter(|s| s.clients == r.concurrency) {
                            tps = format!("{tps} ({} at {})", f1(same.tps), same.clients);
                        }
                    }
                    (tps, format!("{} / {}", f2(c.p50_ms), f2(c.p99_ms)), f2(num(&r.ours, "per_sec") / c.tps.max(1e-9)))
                }
                None => ("–".into(), "–".into(), "–".into()),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {ceiling} | {cl} | {ratio} |",
                b.name,
                r.concurrency,
                f1(num(&r.ours, "per_sec")),
                f2(num(&r.ours, "p50_ms")),
                f2(num(&r.ours, "p95_ms")),
                f2(num(&r.ours, "p99_ms")),
                f2(num(&r.ours, "max_ms")),
                errors_text(&r.ours)
            );
        }
    }
    let any_ceiling = results.iter().flat_map(|b| &b.runs).any(|r| r.ceiling.is_some());
    if !any_ceiling {
        let _ = writeln!(
            o,
            "\nNo ceiling in this run (the SQLite ceiling replays the statements captured on PostgreSQL).\n"
        );
    } else {
        let _ = writeln!(
            o,
            "\nCeiling: PostgreSQL — pgbench `-M prepared`, same C, `-j 2`, running the statements the server sent for \
         its rounds (captured, below); SQLite — `loadgen bench-sqlite-ceiling`, the same statements in a \
         `BEGIN IMMEDIATE … COMMIT` loop over cached prepared statements. Above the server's pool of {pool} \
             connections the database never sees more than {pool} of ours at once, so the ceiling also runs with \
             {pool} connections there, and the ratio is taken against the better of the two. ratio = rounds/s ÷ \
             ceiling tx/s.\n",
            pool = super::server_pool_size(),
        );
    }

    super::provider::render(&mut o, results);

    let t = targets(results);
    if !t.is_empty() {
        let _ = writeln!(o, "#### Targets (measured, not asserted)\n");
        let _ = writeln!(o, "| target | measured | |\n|---|---|---|");
        for (target, measured, verdict) in &t {
            let _ = writeln!(o, "| {target} | {measured} | {verdict} |");
        }
        let _ = writeln!(o);
    }

    for b in results {
        if let Some(script) = &b.capture {
            render_capture(&mut o, b, script);
        }
    }

    render_cpu(&mut o, m, results);

    let _ = writeln!(o, "#### Logins, deposits and wallet verification\n");
    let _ = writeln!(
        o,
        "| backend | registrations/s | logins/s | deposits/s (p50 / p99 ms) | verify: events | verify ms (3 tries) | events posted/s |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|--:|");
    for b in results {
        let deposits = b.deposits.as_ref().map_or_else(
            || "–".to_owned(),
            |d| format!("{} ({} / {})", f1(num(d, "per_sec")), f2(num(d, "p50_ms")), f2(num(d, "p99_ms"))),
        );
        let (events, times, posted) = b.verify.as_ref().map_or_else(
            || ("–".to_owned(), "–".to_owned(), "–".to_owned()),
            |v| {
                let times: Vec<String> = v["verify_ms"]
                    .as_array()
                    .map(|a| a.iter().map(|t| f1(t.as_f64().unwrap_or(0.0))).collect())
                    .unwrap_or_default();
                (v["events"].to_string(), times.join(", "), f1(num(v, "posts_per_sec")))
            },
        );
        let _ = writeln!(
            o,
            "| {} | {} | {} | {deposits} | {events} | {times} | {posted} |",
            b.name,
            f1(num(&b.setup, "registrations_per_sec")),
            f1(num(&b.setup, "logins_per_sec")),
        );
    }
    let _ = writeln!(
        o,
        "\nLogins and registrations: {} players at C = {} (each an Argon2id hash or verification on the server's \
         blocking pool). Deposits: {} s of `POST /api/v2/wallet/deposit` right after setup. Verification: one \
         wallet built with the player's own deposits of 0.01 (every one inside every window the deposit rules \
         read), then `GET /api/v2/wallet/{{id}}/verify` (replay of the whole stream against the projection).\n",
        plan.players,
        results.first().map_or(0, |b| b.setup["concurrency"].as_u64().unwrap_or(0)),
        plan.deposit_seconds
    );

    let _ = writeln!(
        o,
        "#### Deposit latency as one wallet grows
"
    );
    let _ = writeln!(o, "| backend | events in the wallet | deposits timed | mean ms | p50 ms | p99 ms |");
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|");
    for b in results {
        let probes = b.verify.as_ref().and_then(|v| v["deposit_latency"].as_array().cloned()).unwrap_or_default();
        for p in probes {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                b.name,
                p["events"],
                p["deposits"],
                f2(num(&p, "mean_ms")),
                f2(num(&p, "p50_ms")),
                f2(num(&p, "p99_ms"))
            );
        }
    }
    let _ = writeln!(
        o,
        "\nEach row: deposits of 0.01 sent one at a time (one client) once the wallet holds that many \
         events, all of them deposits, with no other load. Every rule that reads deposits over a window (RG limits \
         over 24 h / 7 d / 30 d, the AML velocity, volume and structuring rules, the markers of harm) reads running \
         totals, so the figure should not grow with the wallet.\n"
    );

    let _ = writeln!(o, "#### Server memory (RSS, sampled every second)\n");
    let _ = writeln!(o, "| backend | peak (VmHWM) | RSS per phase (last sample) | soak: first → last 10 s |");
    let _ = writeln!(o, "|---|--:|---|---|");
    for b in results {
        let mut phases: Vec<(String, u64)> = Vec::new();
        for s in &b.memory.samples {
            match phases.last_mut() {
                Some((p, rss)) if *p == s.phase => *rss = s.rss_kib,
                _ => phases.push((s.phase.clone(), s.rss_kib)),
            }
        }
        let phases: Vec<String> = phases.iter().map(|(p, rss)| format!("{p}: {}", mib(*rss))).collect();
        let soak: Vec<u64> = b.memory.samples.iter().filter(|s| s.phase == "soak").map(|s| s.rss_kib).collect();
        let soak_text = match soak_growth(b) {
            Some(g) => {
                let mean = |xs: &[u64]| xs.iter().sum::<u64>() / xs.len().max(1) as u64;
                format!("{} → {} ({:+.1} %)", mib(mean(&soak[..10])), mib(mean(&soak[soak.len() - 10..])), g * 100.0)
            }
            None => "–".into(),
        };
        let _ = writeln!(o, "| {} | {} | {} | {soak_text} |", b.name, mib(b.memory.peak_kib), phases.join("; "));
    }
    let _ = writeln!(o);
    for b in results {
        let soak: Vec<u64> = b.memory.samples.iter().filter(|s| s.phase == "soak").map(|s| s.rss_kib).collect();
        if soak.is_empty() {
            continue;
        }
        let every5: Vec<String> = soak.iter().step_by(5).map(|k| format!("{:.0}", *k as f64 / 1024.0)).collect();
        let _ = writeln!(o, "{} soak RSS every 5 s (MiB): {}  ", b.name, every5.join(" "));
        if let Some(s) = &b.soak {
            let tl: Vec<u64> =
                s["timeline"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
            let per10: Vec<String> = tl
                .chunks(10)
                .filter(|c| c.len() == 10)
                .map(|c| format!("{:.0}", c.iter().sum::<u64>() as f64 / 10.0))
                .collect();
            let _ = writeln!(
                o,
                "{} soak at C = {}: {} rounds/s overall, per 10 s: {}, p99 {} ms, errors {}  ",
                b.name,
                s["concurrency"],
                f1(num(s, "per_sec")),
                per10.join(" "),
                f2(num(s, "p99_ms")),
                errors_text(s)
            );
        }
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "#### Wall times\n");
    let _ = writeln!(o, "| backend | step | time |\n|---|---|--:|");
    for b in results {
        for (what, time) in &b.wall {
            let _ = writeln!(o, "| {} | {what} | {} |", b.name, fmt_duration(*time));
        }
    }
    let _ = writeln!(o, "\n{END}");
    o
}

fn waits_text(w: &Waits) -> String {
    let parts: Vec<String> = w.0.iter().filter(|(_, n)| *n >= 0.05).map(|(k, n)| format!("{k} {n:.1}")).collect();
    if parts.is_empty() { "–".into() } else { parts.join(" · ") }
}

/// CPU per round by process, and what PostgreSQL's backends were doing.
fn render_cpu(o: &mut String, m: &Machine, results: &[BackendResult]) {
    let _ = writeln!(o, "#### Where the CPU goes\n");
    let _ = writeln!(
        o,
        "CPU time per round (or per ceiling transaction) from `/proc`: the server process, all `postgres` \
         processes, the load generator (or the SQLite raw loop), everything else on the machine (for pgbench: \
         pgbench itself; any other load shows up here too), and the machine as a whole ({} cores).\n",
        m.cores
    );
    let _ = writeln!(
        o,
        "| backend | C | run | per s | machine busy | server ms | database ms | client ms | other ms | machine ms |"
    );
    let _ = writeln!(o, "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|");
    for b in results {
        for r in &b.runs {
            let n = num(&r.ours, "ok").max(1.0);
            let secs = num(&r.ours, "elapsed_s");
            if let Some(cpu) = &r.ours_cpu {
                let machine = cpu.busy_pct / 100.0 * m.cores as f64 * secs;
                let pg = if b.name == "PostgreSQL" { cpu.postgres_s } else { 0.0 };
                let database =
                    if b.name == "PostgreSQL" { format!("{:.2}", pg * 1000.0 / n) } else { "(in server)".into() };
                let other = machine - cpu.server_s - pg - num(&r.ours, "cpu_s");
                let _ = writeln!(
                    o,
                    "| {} | {} | server | {} | {:.0} % | {:.2} | {database} | {:.2} | {:.2} | {:.2} |",
                    b.name,
                    r.concurrency,
                    f1(num(&r.ours, "per_sec")),
                    cpu.busy_pct,
                    cpu.server_s * 1000.0 / n,
                    num(&r.ours, "cpu_s") * 1000.0 / n,
                    other.max(0.0) * 1000.0 / n,
                    machine * 1000.0 / n
                );
            }
            for c in [r.ceiling.as_ref(), r.ceiling_at_pool.as_ref()].into_iter().flatten() {
                let Some(cpu) = &c.cpu else { continue };
                let n = c.transactions.max(1) as f64;
                let secs = n / c.tps.max(1e-9);
                let machine = cpu.busy_pct / 100.0 * m.cores as f64 * secs;
                let (database, client, other) = if b.name == "PostgreSQL" {
                    let pg = cpu.postgres_s * 1000.0 / n;
                    (format!("{pg:.2}"), "(in other)".to_owned(), machine * 1000.0 / n - pg)
                } else {
                    let own = cpu.server_s * 1000.0 / n;
                    ("(in client)".to_owned(), format!("{own:.2}"), machine * 1000.0 / n - own)
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | ceiling, {} conn. | {} | {:.0} % | – | {database} | {client} | {:.2} | {:.2} |",
                    b.name,
                    r.concurrency,
                    c.clients,
                    f1(c.tps),
                    cpu.busy_pct,
                    other.max(0.0),
                    machine * 1000.0 / n
                );
            }
        }
    }
    let any_waits = results.iter().flat_map(|b| &b.runs).any(|r| r.ours_waits.is_some());
    if any_waits {
        let _ = writeln!(
            o,
            "\nPostgreSQL's backends during each run (`pg_stat_activity` four times a second; mean number of \
             backends per state: `CPU` is active and not waiting, `idle in transaction` is a backend holding a \
             transaction open while it waits for the client's next statement):\n"
        );
        let _ = writeln!(o, "| C | run | backends |\n|--:|---|---|");
        for b in results {
            for r in &b.runs {
                if let Some(w) = &r.ours_waits {
                    let _ = writeln!(o, "| {} | server | {} |", r.concurrency, waits_text(w));
                }
                for c in [r.ceiling.as_ref(), r.ceiling_at_pool.as_ref()].into_iter().flatten() {
                    if let Some(w) = &c.waits {
                        let _ = writeln!(o, "| {} | ceiling, {} conn. | {} |", r.concurrency, c.clients, waits_text(w));
                    }
                }
            }
        }
    }
    let _ = writeln!(o);
}

fn short(sql: &str, n: usize) -> String {
    let s: String = sql.chars().take(n).collect();
    if sql.chars().count() > n { format!("{s}…") } else { s }
}

fn render_capture(o: &mut String, b: &BackendResult, script: &RoundScript) {
    let total: usize = script.shapes.iter().map(|s| s.count).sum();
    let _ = writeln!(o, "#### What one round sends to {} (captured)\n", b.name);
    let _ = writeln!(
        o,
        "{total} rounds of one player, played one at a time with the statement log on, grouped by statement \
         sequence. \"Re-prepared\": parsed again right before its execution in most rounds of the shape (each \
         is one more round trip, and a fresh plan).\n"
    );
    let _ = writeln!(o, "| shape | rounds | statements | of them re-prepared | round trips | DB time in log (ms) |");
    let _ = writeln!(o, "|--:|--:|--:|--:|--:|--:|");
    for (i, s) in script.shapes.iter().enumerate() {
        let parsed = s.statements.iter().filter(|st| st.parsed).count();
        let n = s.statements.len();
        let _ = writeln!(o, "| {i} | {} | {n} | {parsed} | {} | {} |", s.count, n + parsed, f2(s.logged_ms));
    }
    if let Some(first) = script.shapes.first() {
        let _ = writeln!(o, "\nShape 0, in order:\n");
        let _ = writeln!(o, "| # | statement | re-prepared |\n|--:|---|---|");
        for (i, st) in first.statements.iter().enumerate() {
            let _ = writeln!(o, "| {} | `{}` | {} |", i + 1, short(&st.sql, 110), if st.parsed { "yes" } else { "" });
        }
        let _ = writeln!(o);
    }
    let per_round = |stats: &StatementStats, rounds: f64| -> (f64, f64) {
        (stats.calls() as f64 / rounds.max(1.0), stats.exec_ms() / rounds.max(1.0))
    };
    let _ = writeln!(
        o,
        "From `pg_stat_statements` (execution time only — no parse, network or waiting; `BEGIN`/`COMMIT` left \
         out):\n"
    );
    let _ = writeln!(
        o,
        "| C | statements per round (ours) | DB ms per round (ours) | statements per tx (ceiling) | DB ms per tx (ceiling) |"
    );
    let _ = writeln!(o, "|--:|--:|--:|--:|--:|");
    for r in &b.runs {
        let rounds = num(&r.ours, "ok");
        let ours = r.ours_statements.as_ref().map(|s| per_round(s, rounds));
        let ceiling =
            r.ceiling.as_ref().and_then(|c| c.statements.as_ref().map(|s| per_round(s, c.transactions as f64)));
        let cell = |x: Option<(f64, f64)>, i: usize| {
            x.map_or_else(|| "–".to_owned(), |(a, b)| if i == 0 { f1(a) } else { format!("{b:.3}") })
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.concurrency,
            cell(ours, 0),
            cell(ours, 1),
            cell(ceiling, 0),
            cell(ceiling, 1)
        );
    }
    let _ = writeln!(o);
    // The statements that cost the most execution time, in the first run.
    if let Some((r, stats)) = b.runs.first().and_then(|r| r.ours_statements.as_ref().map(|s| (r, s))) {
        let title = format!("Most execution time per round, our run at C = {}", r.concurrency);
        top_statements(o, &title, stats, num(&r.ours, "ok"), 6);
    }
}

/// The `n` statements of `stats` that cost the most execution time, per round of
/// `rounds`, as a table under `title`.
pub fn top_statements(o: &mut String, title: &str, stats: &StatementStats, rounds: f64, n: usize) {
    let rounds = rounds.max(1.0);
    let mut rows: Vec<&(u64, f64, String)> = stats.rows.iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let _ = writeln!(o, "{title}:\n");
    let _ = writeln!(o, "| calls per round | ms per round | statement |\n|--:|--:|---|");
    for (calls, ms, query) in rows.into_iter().take(n) {
        let _ = writeln!(o, "| {:.2} | {:.3} | `{}` |", *calls as f64 / rounds, ms / rounds, short(query, 110));
    }
    let _ = writeln!(o);
}

/// Replaces the section between the markers of `doc` with `section` (which carries the
/// markers), or appends it.
pub fn update_doc(doc: &Path, section: &str) -> Result<()> {
    let text = fs::read_to_string(doc).unwrap_or_default();
    let updated = match (text.find(BEGIN), text.find(END)) {
        (Some(a), Some(z)) if a < z => format!("{}{}{}", &text[..a], section.trim_end(), &text[z + END.len()..]),
        _ => format!("{}\n{}\n", text.trim_end(), section.trim_end()),
    };
    fs::write(doc, updated)?;
    Ok(())
}
