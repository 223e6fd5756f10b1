//! `bench-sqlite-ceiling`: replays a round script (the statements the server sent for a
//! round, captured by xtask from PostgreSQL's statement log) directly against a SQLite
//! file with Diesel's `SqliteConnection`: `BEGIN IMMEDIATE` … `COMMIT` per iteration,
//! prepared statements cached, one write gate like the server's — what SQLite can do
//! with no HTTP, JSON, pool or async hop in between.

use crate::load::BenchState;
use crate::tally::{Tally, emit, round3, self_cpu_s, short, with};
use acmetocasino::db::schema::seed_pairs;
use acmetocasino::db::types::DbId;
use clap::Args;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::row::{Field, Row};
use diesel::sql_types::{BigInt, Double, Nullable, Text, Untyped};
use diesel::sqlite::{Sqlite, SqliteConnection};
use serde::Deserialize;
use serde_json::json;
use simulator::rng::{Rng, os_seed};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Clone, Args)]
pub struct CeilingArgs {
    /// The SQLite database file (the bench server's, with its players).
    #[arg(long)]
    pub db: PathBuf,
    /// The round script xtask wrote from the captured statements.
    #[arg(long)]
    pub script: PathBuf,
    /// The bench-load state file of this database (players and their sessions).
    #[arg(long)]
    pub state: PathBuf,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
}
/// One part of a parameter value in a round script.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Part {
    /// Captured text, kept as it was.
    Lit {
        v: String,
    },
    /// The player of the transaction.
    Player,
    /// That player's open session.
    Session,
    /// That player's active seed pair.
    Pair,
    /// A fresh UUID per transaction; equal slots get the same one.
    Uuid {
        slot: usize,
    },
    /// A fresh integer per transaction (1 to 10^12 − 1).
    Int {
        slot: usize,
    },
    Null,
}

#[derive(Debug, Clone, Deserialize)]
struct ScriptStatement {
    sql: String,
    /// `$1…$n` in order.
    params: Vec<Vec<Part>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ScriptShape {
    weight: u64,
    statements: Vec<ScriptStatement>,
}

#[derive(Debug, Clone, Deserialize)]
struct RoundScript {
    shapes: Vec<ScriptShape>,
}

/// A bound value.
#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Float(f64),
    Text(String),
    Null,
}

/// A statement prepared for SQLite: the SQL around each `$n`, and which `n`.
#[derive(Debug, Clone)]
enum Step {
    Begin,
    Commit,
    Sql {
        pieces: Vec<String>,
        /// Which parameter each placeholder takes, and whether it is a list.
        order: Vec<(usize, bool)>,
        params: Vec<Vec<Part>>,
        rows: bool,
    },
}

/// `… = ANY(` before a placeholder and `)` after it become `… IN (` and `)`.
fn sqlite_pieces(pieces: Vec<String>, order: Vec<usize>) -> (Vec<String>, Vec<(usize, bool)>) {
    let mut pieces = pieces;
    let mut out = Vec::with_capacity(order.len());
    for (i, n) in order.into_iter().enumerate() {
        let list = pieces[i].ends_with(" = ANY(") && pieces.get(i + 1).is_some_and(|p| p.starts_with(')'));
        if list {
            let cut = pieces[i].len() - " = ANY(".len();
            pieces[i].truncate(cut);
            pieces[i].push_str(" IN (");
        }
        out.push((n, list));
    }
    // PostgreSQL's `DEFAULT` for an absent optional value; SQLite has no such keyword
    // in VALUES (its backend leaves the column out, which stores the same NULL).
    let pieces = pieces.iter().map(|p| p.replace(", DEFAULT", ", NULL").replace("(DEFAULT", "(NULL")).collect();
    (pieces, out)
}

/// The elements of a PostgreSQL array literal such as `{BET,WIN}`.
fn array_elements(v: &str) -> Vec<String> {
    let inner = v.trim().trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        return Vec::new();
    }
    inner.split(',').map(|e| e.trim_matches('"').to_owned()).collect()
}

/// Raw SQL with dynamic binds that, unlike `sql_query`, Diesel may cache as a
/// prepared statement (keyed by its SQL). After each piece but the last come the
/// binds of one placeholder: one value, or a list (PostgreSQL's `= ANY($n)`, which
/// SQLite writes `IN (?, ?, …)`).
struct Raw<'a> {
    pieces: &'a [String],
    binds: Vec<Vec<Bind>>,
}

impl QueryId for Raw<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Raw<'_> {
    type SqlType = Untyped;
}

impl QueryFragment<Sqlite> for Raw<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        for (i, piece) in self.pieces.iter().enumerate() {
            out.push_sql(piece);
            for (k, bind) in self.binds.get(i).into_iter().flatten().enumerate() {
                if k > 0 {
                    out.push_sql(", ");
                }
                match bind {
                    Bind::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                    Bind::Float(v) => out.push_bind_param::<Double, f64>(v)?,
                    Bind::Text(v) => out.push_bind_param::<Text, String>(v)?,
                    Bind::Null => out.push_bind_param::<Nullable<Text>, Option<String>>(&None)?,
                }
            }
        }
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for Raw<'_> {}

/// Reads every column of every row, as the server decodes its rows.
struct Touched;

impl QueryableByName<Sqlite> for Touched {
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, Sqlite>) -> diesel::deserialize::Result<Self> {
        for i in 0..row.field_count() {
            if let Some(field) = Row::get(row, i)
                && field.value().is_some()
            {
                let _: Option<String> =
                    <Option<String> as diesel::deserialize::FromSql<Nullable<Text>, Sqlite>>::from_nullable_sql(
                        field.value(),
                    )?;
            }
        }
        Ok(Touched)
    }
}

/// Splits PostgreSQL text at its `$n` placeholders.
fn split_placeholders(sql: &str) -> (Vec<String>, Vec<usize>) {
    let mut pieces = vec![String::new()];
    let mut order = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    let mut in_quote = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            in_quote = !in_quote;
        }
        if !in_quote && b == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let n: usize = sql[i + 1..j].parse().unwrap_or(1);
            order.push(n.saturating_sub(1));
            pieces.push(String::new());
            i = j;
            continue;
        }
        let ch_len = sql[i..].chars().next().map_or(1, char::len_utf8);
        if let Some(last) = pieces.last_mut() {
            last.push_str(&sql[i..i + ch_len]);
        }
        i += ch_len;
    }
    (pieces, order)
}

/// Captured PostgreSQL text of a literal, as the SQLite backend binds it.
fn sqlite_literal(v: &str) -> Bind {
    if let Ok(i) = v.parse::<i64>() {
        return Bind::Int(i);
    }
    if v.contains('.')
        && let Ok(f) = v.parse::<f64>()
    {
        return Bind::Float(f);
    }
    match v {
        "t" => return Bind::Int(1),
        "f" => return Bind::Int(0),
        _ => {}
    }
    // timestamptz output, e.g. `2026-11-24 05:01:02.1234+00`: SQLite keeps RFC 3339 text.
    if v.len() >= 22
        && v.as_bytes().get(10) == Some(&b' ')
        && let Ok(t) = chrono::DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f%#z")
    {
        return Bind::Text(t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
    Bind::Text(v.to_owned())
}

struct Ids {
    player: String,
    session: String,
    pair: String,
}

fn bind_value(parts: &[Part], ids: &Ids, uuids: &[String], ints: &[i64]) -> Bind {
    if let [single] = parts {
        return match single {
            Part::Lit { v } => sqlite_literal(v),
            Part::Int { slot } => Bind::Int(ints.get(*slot).copied().unwrap_or(1)),
            Part::Null => Bind::Null,
            other => Bind::Text(part_text(other, ids, uuids, ints)),
        };
    }
    Bind::Text(parts.iter().map(|p| part_text(p, ids, uuids, ints)).collect())
}

fn part_text(part: &Part, ids: &Ids, uuids: &[String], ints: &[i64]) -> String {
    match part {
        Part::Lit { v } => v.clone(),
        Part::Player => ids.player.clone(),
        Part::Session => ids.session.clone(),
        Part::Pair => ids.pair.clone(),
        Part::Uuid { slot } => uuids.get(*slot).cloned().unwrap_or_default(),
        Part::Int { slot } => ints.get(*slot).copied().unwrap_or(1).to_string(),
        Part::Null => String::new(),
    }
}

fn slots(shape: &[Step]) -> (usize, usize) {
    let (mut u, mut n) = (0, 0);
    for step in shape {
        if let Step::Sql { params, .. } = step {
            for part in params.iter().flatten() {
                match part {
                    Part::Uuid { slot } => u = u.max(slot + 1),
                    Part::Int { slot } => n = n.max(slot + 1),
                    _ => {}
                }
            }
        }
    }
    (u, n)
}

pub async fn run_sqlite_ceiling(args: CeilingArgs) -> Result<(), String> {
    tokio::task::spawn_blocking(move || sqlite_ceiling(&args)).await.map_err(|e| format!("ceiling: {e}"))?
}

fn sqlite_ceiling(args: &CeilingArgs) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let script: RoundScript =
        serde_json::from_str(&read(&args.script)?).map_err(|e| format!("{}: {e}", args.script.display()))?;
    let state: BenchState =
        serde_json::from_str(&read(&args.state)?).map_err(|e| format!("{}: {e}", args.state.display()))?;
    let c = args.concurrency.max(1);
    if state.players.len() < c {
        return Err(format!("{} players cannot keep {c} connections on separate wallets", state.players.len()));
    }
    let db = args.db.to_string_lossy().into_owned();
    let connect = || -> Result<SqliteConnection, String> {
        let mut conn = SqliteConnection::establish(&db).map_err(|e| format!("{db}: {e}"))?;
        // The server's pragmas, its writer's included: every ceiling connection writes.
        for pragmas in [acmetocasino::db::SQLITE_PRAGMAS, acmetocasino::db::SQLITE_WRITER_PRAGMAS] {
            diesel::connection::SimpleConnection::batch_execute(&mut conn, pragmas).map_err(|e| e.to_string())?;
        }
        Ok(conn)
    };

    // The players' ids, as the server's SQLite backend stores them (hyphenated text).
    let mut conn = connect()?;
    let mut ids = Vec::new();
    for p in &state.players {
        let pair: DbId = seed_pairs::table
            .filter(seed_pairs::player_id.eq(DbId(p.id)))
            .filter(seed_pairs::active.eq(true))
            .select(seed_pairs::id)
            .first(&mut conn)
            .map_err(|e| format!("seed pair of {}: {e}", p.username))?;
        ids.push(Ids {
            player: p.id.hyphenated().to_string(),
            session: p.session_id.hyphenated().to_string(),
            pair: pair.0.hyphenated().to_string(),
        });
    }
    let version: Vec<SqliteVersion> =
        diesel::sql_query("SELECT sqlite_version() AS v").load(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);

    let shapes: Vec<(u64, Vec<Step>)> = script
        .shapes
        .iter()
        .map(|shape| {
            let steps = shape
                .statements
                .iter()
                .map(|s| {
                    let upper = s.sql.trim().to_ascii_uppercase();
                    if upper == "BEGIN" || upper.starts_with("BEGIN ") {
                        Step::Begin
                    } else if upper == "COMMIT" {
                        Step::Commit
                    } else {
                        let (pieces, order) = split_placeholders(&s.sql);
                        let (pieces, order) = sqlite_pieces(pieces, order);
                        let rows = upper.starts_with("SELECT") || upper.contains(" RETURNING ");
                        Step::Sql { pieces, order, params: s.params.clone(), rows }
                    }
                })
                .collect();
            (shape.weight.max(1), steps)
        })
        .collect();
    let total_weight: u64 = shapes.iter().map(|(w, _)| w).sum();
    if shapes.is_empty() {
        return Err("the round script has no shapes".into());
    }

    let ids = Arc::new(ids);
    let shapes = Arc::new(shapes);
    let gate = Arc::new(Mutex::new(()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let cpu_before = self_cpu_s();
    let results: Vec<Result<Tally, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..c)
            .map(|t| {
                let ids = ids.clone();
                let shapes = shapes.clone();
                let gate = gate.clone();
                let mut conn = connect();
                scope.spawn(move || -> Result<Tally, String> {
                    let conn = conn.as_mut().map_err(|e| e.clone())?;
                    let mine: Vec<usize> = (t..ids.len()).step_by(c).collect();
                    let mut rng = Rng::new(os_seed());
                    let mut tally = Tally::default();
                    while Instant::now() < deadline {
                        let who = &ids[mine[rng.below(mine.len() as u64) as usize]];
                        let mut pick = rng.below(total_weight);
                        let steps = shapes
                            .iter()
                            .find(|(w, _)| {
                                let hit = pick < *w;
                                pick = pick.saturating_sub(*w);
                                hit
                            })
                            .map(|(_, s)| s)
                            .unwrap_or(&shapes[0].1);
                        let (nu, ni) = slots(steps);
                        let uuids: Vec<String> = (0..nu).map(|_| Uuid::new_v4().hyphenated().to_string()).collect();
                        let ints: Vec<i64> = (0..ni).map(|_| 1 + (rng.next_u64() % 999_999_999_999) as i64).collect();
                        let sent = Instant::now();
                        let _guard = gate.lock().unwrap_or_else(|e| e.into_inner());
                        match run_round(conn, steps, who, &uuids, &ints) {
                            Ok(()) => tally.ok(started, sent),
                            Err(e) => {
                                let _ = diesel::connection::SimpleConnection::batch_execute(conn, "ROLLBACK");
                                tally.error(short(&e));
                                if tally.errors.values().sum::<u64>() > 1_000 {
                                    break;
                                }
                            }
                        }
                    }
                    Ok(tally)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a ceiling thread panicked".into()))).collect()
    });
    let elapsed = started.elapsed();
    let mut tally = Tally::default();
    for r in results {
        tally.merge(r?);
    }
    let s = tally.summary(elapsed);
    let sqlite_version = version.first().map(|v| v.v.clone()).unwrap_or_default();
    eprintln!(
        "bench-sqlite-ceiling: {} transactions in {:.1}s = {}/s; p50 {} ms, p99 {} ms; errors {} {}",
        s["ok"], s["elapsed_s"], s["per_sec"], s["p50_ms"], s["p99_ms"], s["errors"], s["errors_by"]
    );
    let cpu_s = round3(self_cpu_s() - cpu_before);
    emit("sqlite-ceiling", with(s, json!({"concurrency": c, "sqlite_version": sqlite_version, "cpu_s": cpu_s})));
    Ok(())
}

#[derive(QueryableByName)]
struct SqliteVersion {
    #[diesel(sql_type = Text)]
    v: String,
}

fn run_round(
    conn: &mut SqliteConnection,
    steps: &[Step],
    who: &Ids,
    uuids: &[String],
    ints: &[i64],
) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    for step in steps {
        match step {
            Step::Begin => conn.batch_execute("BEGIN IMMEDIATE").map_err(|e| format!("BEGIN: {e}"))?,
            Step::Commit => conn.batch_execute("COMMIT").map_err(|e| format!("COMMIT: {e}"))?,
            Step::Sql { pieces, order, params, rows } => {
                let binds: Vec<Vec<Bind>> = order
                    .iter()
                    .map(|&(i, list)| match (params.get(i), list) {
                        (Some(p), false) => vec![bind_value(p, who, uuids, ints)],
                        (Some(p), true) => {
                            let text: String = p.iter().map(|part| part_text(part, who, uuids, ints)).collect();
                            array_elements(&text).iter().map(|e| sqlite_literal(e)).collect()
                        }
                        (None, _) => vec![Bind::Null],
                    })
                    .collect();
                let raw = Raw { pieces, binds };
                let result = if *rows { raw.load::<Touched>(conn).map(|_| ()) } else { raw.execute(conn).map(|_| ()) };
                result.map_err(|e| format!("{e} in {}", short(&pieces.concat())))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_placeholders_outside_quotes() {
        let (pieces, order) = split_placeholders("SELECT a FROM t WHERE x = $1 AND y = '$2' LIMIT $10");
        assert_eq!(pieces, ["SELECT a FROM t WHERE x = ", " AND y = '$2' LIMIT ", ""]);
        assert_eq!(order, [0, 9]);
    }

    #[test]
    fn rewrites_postgres_only_syntax_for_sqlite() {
        let (pieces, order) =
            split_placeholders("SELECT a FROM t WHERE (t.k = $1) AND (t.e = ANY($2)) AND x IN (DEFAULT, $3)");
        let (pieces, order) = sqlite_pieces(pieces, order);
        assert_eq!(pieces, ["SELECT a FROM t WHERE (t.k = ", ") AND (t.e IN (", ")) AND x IN (NULL, ", ")"]);
        assert_eq!(order, [(0, false), (1, true), (2, false)]);
        assert_eq!(array_elements("{BET,WIN,\"A B\"}"), ["BET", "WIN", "A B"]);
    }

    #[test]
    fn converts_postgres_literals_for_sqlite() {
        assert!(matches!(sqlite_literal("5000"), Bind::Int(5000)));
        assert!(matches!(sqlite_literal("t"), Bind::Int(1)));
        assert!(matches!(sqlite_literal("0.965"), Bind::Float(f) if (f - 0.965).abs() < 1e-12));
        match sqlite_literal("2026-11-24 05:01:02.1234+00") {
            Bind::Text(t) => assert_eq!(t, "2026-11-24T05:01:02.123400Z"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(sqlite_literal("round:x"), Bind::Text(t) if t == "round:x"));
    }
}
