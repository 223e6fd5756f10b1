//! PostgreSQL side of the benchmark: psql, `pg_stat_statements`, the statement log
//! switch, and pgbench.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bench::capture::parse_pg_array;
use crate::util::Result;

const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// psql against one database of the bench server.
#[derive(Debug, Clone)]
pub struct Psql {
    pub bin: PathBuf,
    pub port: u16,
    pub db: String,
}

impl Psql {
    fn command(&self, db: &str) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg("-F")
            .arg(FIELD.to_string())
            .arg("-R")
            .arg(RECORD.to_string())
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", db]);
        c
    }

    /// Runs `sql` (one or more statements) and returns the rows of its output.
    pub fn rows_in(&self, db: &str, sql: &str) -> Result<Vec<Vec<String>>> {
        let mut command = self.command(db);
        command.arg("-f").arg("-").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| format!("cannot run psql: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(sql.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            return Err(format!("psql failed: {}\nSQL: {sql}", String::from_utf8_lossy(&output.stderr)).into());
        }
        let text = String::from_utf8_lossy(&output.stdout);
        // psql ends each query's last row with a newline instead of the record
        // separator; none of our values contains a newline.
        Ok(text
            .split([RECORD, '\n'])
            .filter(|r| !r.is_empty())
            .map(|r| r.split(FIELD).map(str::to_owned).collect())
            .collect())
    }

    pub fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        self.rows_in(&self.db, sql)
    }

    pub fn exec(&self, sql: &str) -> Result<()> {
        self.rows(sql).map(|_| ())
    }
}

/// Turns the statement log on (every statement with its duration and parameters,
/// prefixed by the backend's pid) or back off.
pub fn statement_log(psql: &Psql, on: bool) -> Result<()> {
    let sql = if on {
        "ALTER SYSTEM SET log_min_duration_statement = 0;\n\
         ALTER SYSTEM SET log_line_prefix = '@@%p@@ ';\n\
         ALTER SYSTEM SET log_parameter_max_length = -1;\n\
         SELECT pg_reload_conf();\n"
    } else {
        "ALTER SYSTEM RESET log_min_duration_statement;\n\
         ALTER SYSTEM RESET log_line_prefix;\n\
         ALTER SYSTEM RESET log_parameter_max_length;\n\
         SELECT pg_reload_conf();\n"
    };
    psql.exec(sql)?;
    // Backends pick the new settings up before their next command; give the
    // postmaster a moment to signal them.
    std::thread::sleep(std::time::Duration::from_millis(300));
    Ok(())
}

/// What `pg_stat_statements` saw during one run.
#[derive(Debug, Clone, Default)]
pub struct StatementStats {
    /// (calls, total execution ms, query), most called first.
    pub rows: Vec<(u64, f64, String)>,
}

impl StatementStats {
    /// Leaves out `BEGIN` and `COMMIT`, which pg_stat_statements counts when sent with
    /// the simple protocol (the server) but not when prepared (pgbench).
    fn counted(&self) -> impl Iterator<Item = &(u64, f64, String)> {
        self.rows.iter().filter(|r| {
            let q = r.2.trim().to_ascii_uppercase();
            !matches!(q.as_str(), "BEGIN" | "COMMIT" | "END" | "ROLLBACK")
        })
    }

    pub fn calls(&self) -> u64 {
        self.counted().map(|r| r.0).sum()
    }

    pub fn exec_ms(&self) -> f64 {
        self.counted().map(|r| r.1).sum()
    }
}

pub fn reset_statements(psql: &Psql) -> Result<()> {
    psql.exec("SELECT pg_stat_statements_reset();")
}

/// The bench database's statements since the last reset (xtask's own queries, such as
/// the backend-state sampler's, left out).
pub fn statements(psql: &Psql) -> Result<StatementStats> {
    let rows = psql.rows(
        "SELECT s.calls, s.total_exec_time, regexp_replace(s.query, '\\s+', ' ', 'g') \
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
         WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%' \
         AND s.query NOT LIKE '%pg_stat_activity%' AND s.query NOT LIKE '%pg_sleep%' \
         ORDER BY s.calls DESC, s.total_exec_time DESC;",
    )?;
    let rows = rows
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [calls, ms, query] => Some((calls.parse().ok()?, ms.parse().ok()?, query.clone())),
            _ => None,
        })
        .collect();
    Ok(StatementStats { rows })
}

/// The parameter types PostgreSQL infers for each statement (`PREPARE` without types).
pub fn parameter_types(psql: &Psql, statements: &[String]) -> Result<HashMap<String, Vec<String>>> {
    let mut script = String::new();
    for (i, sql) in statements.iter().enumerate() {
        script.push_str(&format!("PREPARE xtask_bench_{i} AS {sql};\n"));
    }
    script.push_str(
        "SELECT substr(name, 13), parameter_types::text FROM pg_prepared_statements \
         WHERE name LIKE 'xtask_bench_%';\n",
    );
    let mut out = HashMap::new();
    for row in psql.rows(&script)? {
        if let [index, types] = row.as_slice()
            && let Some(sql) = index.parse::<usize>().ok().and_then(|i| statements.get(i))
        {
            out.insert(sql.clone(), parse_pg_array(types));
        }
    }
    Ok(out)
}

/// What the bench database's backends were doing, sampled from `pg_stat_activity`
/// four times a second in one psql session (so the sampling costs next to nothing).
pub struct WaitSampler {
    child: std::process::Child,
}

/// Mean number of backends per state over the samples, most first.
#[derive(Debug, Clone, Default)]
pub struct Waits(pub Vec<(String, f64)>);

impl WaitSampler {
    /// `pgbench`: sample pgbench's connections, else everyone else's (the server's).
    pub fn start(psql: &Psql, seconds: u64, pgbench: bool) -> Result<WaitSampler> {
        let who = if pgbench { "= 'pgbench'" } else { "NOT IN ('pgbench', 'psql')" };
        let mut script = String::from("SELECT pg_sleep(0.5);\n");
        let samples = seconds.saturating_sub(1).max(1) * 4;
        for i in 0..samples {
            script.push_str(&format!(
                "SELECT {i}, CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU') \
                 ELSE state END, count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND backend_type = 'client backend' AND application_name {who} GROUP BY 2;\n\
                 SELECT pg_sleep(0.25);\n"
            ));
        }
        let mut command = psql.command(&psql.db);
        command.arg("-f").arg("-").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| format!("cannot run psql: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(script.as_bytes())?;
        }
        Ok(WaitSampler { child })
    }

    pub fn finish(self) -> Result<Waits> {
        let output = self.child.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut snapshots = std::collections::HashSet::new();
        let mut totals: HashMap<String, f64> = HashMap::new();
        for record in text.split([RECORD, '\n']) {
            let fields: Vec<&str> = record.split(FIELD).collect();
            if let [snapshot, state, count] = fields.as_slice()
                && let Ok(n) = count.parse::<f64>()
            {
                snapshots.insert(snapshot.to_string());
                *totals.entry(state.to_string()).or_default() += n;
            }
        }
        let n = snapshots.len().max(1) as f64;
        let mut out: Vec<(String, f64)> = totals.into_iter().map(|(k, v)| (k, v / n)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(Waits(out))
    }
}

/// A pgbench run's result.
#[derive(Debug, Clone, Default)]
pub struct Pgbench {
    pub tps: f64,
    pub transactions: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// `pgbench -M prepared -c C -j 2 -T D` with the shape scripts (`file@weight`).
pub fn pgbench(
    psql: &Psql,
    scripts: &[(PathBuf, usize)],
    defines: &[String],
    clients: usize,
    seconds: u64,
    log_dir: &Path,
) -> Result<Pgbench> {
    let prefix = log_dir.join(format!("pgbench-c{clients}"));
    let mut command = Command::new(psql.bin.with_file_name("pgbench"));
    command
        .args(["-n", "-M", "prepared", "-c", &clients.to_string(), "-j", &clients.min(2).to_string()])
        .args(["-T", &seconds.to_string(), "-h", "127.0.0.1", "-p", &psql.port.to_string(), "-U", "postgres"])
        .arg("--log")
        .arg(format!("--log-prefix={}", prefix.display()));
    for (file, weight) in scripts {
        command.arg("-f").arg(format!("{}@{weight}", file.display()));
    }
    for define in defines {
        command.arg("-D").arg(define);
    }
    command.arg(&psql.db);
    let shown = format!(
        "{} -n -M prepared -c {clients} -j {} -T {seconds} -f <{} captured round shapes> -D <{} captured values> {}",
        psql.bin.with_file_name("pgbench").display(),
        clients.min(2),
        scripts.len(),
        defines.len(),
        psql.db
    );
    eprintln!("$ {shown}");
    let output = command.stdin(Stdio::null()).output().map_err(|e| format!("cannot run pgbench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for line in
        stdout.lines().filter(|l| l.starts_with("tps") || l.starts_with("number of") || l.starts_with("latency"))
    {
        eprintln!("  {line}");
    }
    if !output.status.success() {
        return Err(format!("pgbench failed ({}):\n{stdout}\n{}", output.status, util_tail(&stderr, 30)).into());
    }
    let field = |name: &str| -> Option<String> {
        stdout.lines().find_map(|l| l.strip_prefix(name)).map(|rest| rest.trim().to_owned())
    };
    let tps = field("tps = ")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .ok_or_else(|| format!("no tps in pgbench output:\n{stdout}"))?;
    let transactions =
        field("number of transactions actually processed: ").and_then(|v| v.parse().ok()).unwrap_or_default();
    let failed = field("number of failed transactions: ")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or_default();

    // Per-transaction latencies (µs, third column) from the log files.
    let mut latencies: Vec<u64> = Vec::new();
    let stem = prefix.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    for entry in fs::read_dir(log_dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{stem}.")) {
            let text = fs::read_to_string(entry.path())?;
            latencies.extend(text.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok()));
            fs::remove_file(entry.path())?;
        }
    }
    latencies.sort_unstable();
    let pick = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1] as f64 / 1000.0
    };
    Ok(Pgbench { tps, transactions, failed, p50_ms: pick(0.5), p99_ms: pick(0.99) })
}

fn util_tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `postgres --version`, e.g. `postgres (PostgreSQL) 15.14`.
pub fn version(psql: &Psql) -> String {
    let out = Command::new(psql.bin.with_file_name("postgres")).arg("--version").output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Err(_) => String::from("unknown"),
    }
    .replace("postgres (PostgreSQL) ", "PostgreSQL ")
}
