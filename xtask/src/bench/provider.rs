//! Third-party provider bets (issue 17): a Hub88 provider's game server (`loadgen
//! bench-provider`) playing rounds of a signed bet and a signed win through the
//! seamless-wallet callbacks, at each C after all our own runs, and its part of the
//! report.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::Value;

use super::BackendResult;
use super::pg::{self, Psql, StatementStats};
use super::server::{self, CpuSnapshot, CpuUse, Server};
use crate::util::Result;

/// The admin who onboards the bench's provider.
pub const ADMIN: &str = "benchadmin";

/// One provider run at one C.
#[derive(Debug, Clone)]
pub struct ProviderRun {
    /// The load generator's `provider` line: bets (count, rate, latency), wins, checks.
    pub value: Value,
    pub cpu: CpuUse,
    /// PostgreSQL: what the run's calls executed.
    pub statements: Option<StatementStats>,
}

impl ProviderRun {
    pub fn bets_per_sec(&self) -> f64 {
        self.value["per_sec"].as_f64().unwrap_or(0.0)
    }

    fn errors(&self) -> u64 {
        self.value["errors"].as_u64().unwrap_or(0)
    }
}

/// Where a backend's bench keeps its files.
pub struct Files<'a> {
    pub state: &'a Path,
    pub provider_state: &'a Path,
    pub dir: &'a Path,
}

fn base_args(url: &str, state: &Path, provider_state: &Path) -> Vec<String> {
    vec![
        "bench-provider".into(),
        "--url".into(),
        url.to_owned(),
        "--state".into(),
        state.display().to_string(),
        "--provider-state".into(),
        provider_state.display().to_string(),
    ]
}

/// Onboards the Hub88 provider and launches its game for every bench player.
pub fn setup(loadgen: &Path, url: &str, state: &Path, provider_state: &Path, c: usize, password: &str) -> Result<()> {
    let mut args = base_args(url, state, provider_state);
    args.extend(
        ["--concurrency", &c.to_string(), "--duration", "0", "--admin-username", ADMIN, "--admin-password-stdin"]
            .map(str::to_owned),
    );
    server::bench(loadgen, &args, Some(password))?;
    Ok(())
}

/// The provider's rounds at `c` for `seconds`, with the server's CPU and (PostgreSQL)
/// the statements they ran.
pub fn run(
    loadgen: &Path,
    server: &Server,
    files: &Files<'_>,
    psql: Option<&Psql>,
    c: usize,
    seconds: u64,
    smoke: bool,
) -> Result<ProviderRun> {
    let mut args = base_args(&server.url, files.state, files.provider_state);
    let warmup = if smoke { "1" } else { "2" };
    args.extend(
        ["--concurrency", &c.to_string(), "--duration", &seconds.to_string(), "--warmup", warmup].map(str::to_owned),
    );
    // The warm-up and the signing ahead run before the timed window; the statements and
    // the CPU are read over the whole call, so the warm-up's rounds count in them too
    // (per round they are the same rounds).
    if let Some(psql) = psql {
        pg::reset_statements(psql)?;
    }
    let before = CpuSnapshot::take(server.pid());
    let lines = server::bench(loadgen, &args, None)?;
    let cpu = CpuSnapshot::take(server.pid()).since(&before);
    let value = server::phase(&lines, "provider")?;
    fs::write(files.dir.join(format!("provider-c{c}.json")), serde_json::to_string_pretty(&value)?)?;
    let statements = psql.map(pg::statements).transpose()?;
    Ok(ProviderRun { value, cpu, statements })
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

/// Rounds the server settled during the run's whole call (warm-up included): what the
/// CPU and statement totals are divided by.
fn rounds_in_call(p: &ProviderRun) -> f64 {
    (num(&p.value, "ok") + num(&p.value, "warmup_bets_per_sec") * num(&p.value, "warmup_s")).max(1.0)
}

/// The provider runs' failures: errors of bets or wins, answers with bad signatures.
pub fn unexpected(b: &BackendResult, out: &mut Vec<String>) {
    for r in &b.runs {
        if let Some(p) = r.provider.as_ref().filter(|p| p.errors() > 0) {
            out.push(format!(
                "{} provider C={}: {} errors {}",
                b.name,
                r.concurrency,
                p.errors(),
                p.value["errors_by"]
            ));
        }
    }
}

/// The provider's targets: p99 well under a provider's 3-s timeout at every C, and at
/// least 0.8 × our own rounds/s.
pub fn targets(b: &BackendResult, out: &mut Vec<(String, String, &'static str)>) {
    for r in &b.runs {
        let Some(p) = &r.provider else { continue };
        let ratio = p.bets_per_sec() / num(&r.ours, "per_sec").max(1e-9);
        let p99 = num(&p.value, "p99_ms").max(num(&p.value, "win_p99_ms"));
        out.push((
            format!("{} C = {}: provider bets ≥ 0.8 × our rounds/s, p99 < 1,000 ms", b.name, r.concurrency),
            format!("ratio {ratio:.2}, p99 {p99:.1} ms (bet or win)"),
            if ratio >= 0.8 && p99 < 1000.0 { "met" } else { "missed" },
        ));
    }
}

/// The report's section.
pub fn render(o: &mut String, results: &[BackendResult]) {
    if !results.iter().flat_map(|b| &b.runs).any(|r| r.provider.is_some()) {
        return;
    }
    let _ = writeln!(o, "#### Third-party provider bets (issue 17): Hub88, signed both ways\n");
    let _ = writeln!(
        o,
        "| backend | C | bets/s | bet p50 ms | bet p95 ms | bet p99 ms | bet max ms | win p50 / p99 ms | errors | our rounds/s | ratio |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|");
    for b in results {
        for r in &b.runs {
            let Some(p) = &r.provider else { continue };
            let v = &p.value;
            let errors = if p.errors() == 0 { "0".to_owned() } else { format!("{} {}", p.errors(), v["errors_by"]) };
            let _ = writeln!(
                o,
                "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} / {:.2} | {errors} | {:.1} | {:.2} |",
                b.name,
                r.concurrency,
                p.bets_per_sec(),
                num(v, "p50_ms"),
                num(v, "p95_ms"),
                num(v, "p99_ms"),
                num(v, "max_ms"),
                num(v, "win_p50_ms"),
                num(v, "win_p99_ms"),
                num(&r.ours, "per_sec"),
                p.bets_per_sec() / num(&r.ours, "per_sec").max(1e-9)
            );
        }
    }
    let _ = writeln!(
        o,
        "\nA round is a bet (`POST /api/v2/providers/{{slug}}/transaction/bet`, the launch token, the game's minimum \
         bet) and the win that closes it (`transaction/win`, `round_closed`, twice the stake about half the time, \
         nothing otherwise), each body signed with the provider's 2048-bit RSA key (RSA-SHA256, PKCS#1 v1.5), \
         every signature checked by the server, every answer signed by the server with the operator's key. \
         ratio = bets/s ÷ our rounds/s at the same C (ours run first, the provider's after all of them, on the same players). The provider's calls are \
         signed before the timed window (a warm-up at the same C sizes how many) and the answers' signatures \
         checked after it, all of them; a bad one counts as an error.\n"
    );
    let _ = writeln!(
        o,
        "| backend | C | signed ahead | signed in the window | answers checked | bad signatures | server ms per round | database ms per round | provider ms per round (in the window) | statements per round | DB ms per round |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for b in results {
        for r in &b.runs {
            let Some(p) = &r.provider else { continue };
            let v = &p.value;
            let n = rounds_in_call(p);
            let db = if b.name == "PostgreSQL" {
                format!("{:.2}", p.cpu.postgres_s * 1000.0 / n)
            } else {
                "(in server)".into()
            };
            let (stmts, db_ms) = p.statements.as_ref().map_or_else(
                || ("–".to_owned(), "–".to_owned()),
                |s| (format!("{:.1}", s.calls() as f64 / n), format!("{:.3}", s.exec_ms() / n)),
            );
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {:.2} | {db} | {:.2} | {stmts} | {db_ms} |",
                b.name,
                r.concurrency,
                v["signed_ahead"],
                v["signed_in_window"],
                v["answers_checked"],
                v["bad_signatures"],
                p.cpu.server_s * 1000.0 / n,
                num(v, "cpu_s") * 1000.0 / num(v, "ok").max(1.0)
            );
        }
    }
    let _ = writeln!(
        o,
        "\nCPU and statements over the whole provider run, its warm-up included, per round (a bet and a win: two \
         requests, two transactions, two RSA signatures by the server). Our own round is one request and one \
         transaction (\"Where the CPU goes\" below).\n"
    );
    // Where a provider round's database time goes (PostgreSQL), in the first run.
    for b in results {
        if let Some(r) = b.runs.first()
            && let Some(p) = &r.provider
            && let Some(stats) = &p.statements
        {
            let title =
                format!("Most execution time per provider round (a bet and its win), {} C = {}", b.name, r.concurrency);
            super::report::top_statements(o, &title, stats, rounds_in_call(p), 8);
        }
    }
}
