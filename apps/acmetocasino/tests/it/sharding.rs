//! The Citus plan of docs/operations.md, checked against the code: the statements of
//! a round, a deposit and a withdrawal, read from PostgreSQL's statement log the way
//! `cargo xtask bench` captures them (`testbed::pglog`), touch the tables distributed
//! by player only through that player's id, so each runs on one shard.

use crate::processes::{Server, call, coin_flip, funded_player};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::collections::{BTreeMap, BTreeSet};
use testbed::pglog::Executed;
use testbed::{PgOptions, Postgres, Tool};

/// How docs/operations.md places a table on a Citus cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Placement {
    /// Sharded by this column, which holds the player's id.
    Distributed(String),
    /// Copied to every node.
    Reference,
    /// On the coordinator only (back-office data).
    Local,
}

/// The plan's table: rows `| `table` | distributed | `column` | …` (or `reference`,
/// `local`) in docs/operations.md.
fn plan() -> BTreeMap<String, Placement> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md")).unwrap();
    let mut plan = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, table, placement, column, ..] = cells.as_slice() else { continue };
        let unquote = |s: &str| s.strip_prefix('`').and_then(|s| s.strip_suffix('`')).map(str::to_owned);
        let Some(table) = unquote(table) else { continue };
        let placement = match *placement {
            "distributed" => Placement::Distributed(unquote(column).expect("a distribution column")),
            "reference" => Placement::Reference,
            "local" => Placement::Local,
            _ => continue,
        };
        plan.insert(table, placement);
    }
    plan
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier, lower case, quotes removed, `a.b` kept whole.
    Name(String),
    /// `$n`
    Param(usize),
    Literal,
    Symbol(char),
}

fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' => {
                // A string literal; '' inside is an escaped quote.
                while let Some(c) = chars.next() {
                    if c == '\'' && chars.next_if_eq(&'\'').is_none() {
                        break;
                    }
                }
                out.push(Token::Literal);
            }
            '$' => {
                let mut n = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    n.push(d);
                }
                out.push(Token::Param(n.parse().unwrap()));
            }
            c if c.is_alphanumeric() || c == '_' || c == '"' => {
                let mut name = String::from(c);
                while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || "_.\"".contains(*c)) {
                    name.push(c);
                }
                out.push(Token::Name(name.replace('"', "").to_lowercase()));
            }
            other => out.push(Token::Symbol(other)),
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "where",
    "join",
    "left",
    "right",
    "inner",
    "on",
    "order",
    "limit",
    "set",
    "values",
    "union",
    "group",
    "as",
    "returning",
    "for",
    "offset",
    "using",
];

/// Why the statement would leave its player's shard, if it would.
fn cross_shard(sql: &str, params: &[Option<String>], player: &str, plan: &BTreeMap<String, Placement>) -> Vec<String> {
    let t = tokens(sql);
    let is_player = |n: usize| params.get(n - 1).and_then(Option::as_deref) == Some(player);
    let name = |i: usize| match t.get(i) {
        Some(Token::Name(n)) => Some(n.as_str()),
        _ => None,
    };
    // `(qualifier, column)` of a column reference.
    let column = |i: usize| name(i).map(|n| n.split_once('.').map_or((None, n), |(q, c)| (Some(q), c)));

    // Every mention of a table: (position, table, alias).
    let mut mentions = Vec::new();
    for i in 0..t.len() {
        let keyword = name(i);
        // `FROM now()` inside EXTRACT is a function, not a table; `INTO t (` is one.
        let call = keyword != Some("into") && t.get(i + 2) == Some(&Token::Symbol('('));
        if matches!(keyword, Some("from" | "join" | "into" | "update"))
            && !call
            && let Some(table) = name(i + 1).filter(|n| !n.contains('.'))
        {
            let alias = name(i + 2).filter(|a| !KEYWORDS.contains(a)).map(str::to_owned);
            mentions.push((i + 1, table.to_owned(), alias));
        }
    }
    let dist = |table: &str| match plan.get(table) {
        Some(Placement::Distributed(c)) => Some(c.clone()),
        _ => None,
    };
    let table_of = |alias: &str| {
        mentions.iter().find(|(_, table, a)| a.as_deref() == Some(alias) || table == alias).map(|(_, t, _)| t.clone())
    };
    // Aliases (or table names) whose distribution column is the player's id: by a
    // parameter, or by equality with one already known (a co-located join).
    let mut pinned: BTreeSet<String> = BTreeSet::new();
    let mut bare: Vec<(usize, String)> = Vec::new(); // unqualified `column = $player`
    loop {
        let before = pinned.len();
        for j in 1..t.len().saturating_sub(1) {
            if t[j] != Token::Symbol('=') {
                continue;
            }
            for (a, b) in [(j - 1, j + 1), (j + 1, j - 1)] {
                let Some((qualifier, col)) = column(a) else { continue };
                let other_pinned = match (&t[b], column(b)) {
                    (Token::Param(n), _) => is_player(*n),
                    (_, Some((Some(q), c))) => {
                        pinned.contains(q) && table_of(q).and_then(|t| dist(&t)).as_deref() == Some(c)
                    }
                    _ => false,
                };
                if !other_pinned {
                    continue;
                }
                match qualifier {
                    Some(q) if table_of(q).and_then(|t| dist(&t)).as_deref() == Some(col) => {
                        pinned.insert(q.to_owned());
                    }
                    None => bare.push((a, col.to_owned())),
                    _ => {}
                }
            }
        }
        if pinned.len() == before {
            break;
        }
    }

    let mut problems = Vec::new();
    for (at, table, alias) in &mentions {
        let Some(placement) = plan.get(table) else {
            problems.push(format!("`{table}` is not in the plan"));
            continue;
        };
        let column = match placement {
            Placement::Reference => continue,
            Placement::Local => {
                problems.push(format!("`{table}` lives on the coordinator only"));
                continue;
            }
            Placement::Distributed(column) => column,
        };
        if t.get(at - 1) == Some(&Token::Name("into".into())) {
            if !insert_names_player(&t, *at, column, &is_player) {
                problems.push(format!("an insert into `{table}` without the player's `{column}`"));
            }
            continue;
        }
        // The rest of the query this mention belongs to: up to its closing parenthesis
        // or a UNION at its level.
        let mut depth = 0;
        let end = (at + 1..t.len())
            .find(|&k| match &t[k] {
                Token::Symbol('(') => {
                    depth += 1;
                    false
                }
                Token::Symbol(')') if depth == 0 => true,
                Token::Symbol(')') => {
                    depth -= 1;
                    false
                }
                Token::Name(n) => depth == 0 && n == "union",
                _ => false,
            })
            .unwrap_or(t.len());
        let by_name = pinned.contains(alias.as_deref().unwrap_or(table));
        let by_bare = alias.is_none() && bare.iter().any(|(k, c)| (*at..end).contains(k) && c == column);
        if !by_name && !by_bare {
            problems.push(format!("`{table}` is not reached through the player's `{column}`"));
        }
    }
    problems
}

/// `INSERT INTO table (cols…) VALUES (…), …`: every row binds the player's id as `column`.
fn insert_names_player(t: &[Token], at: usize, column: &str, is_player: &dyn Fn(usize) -> bool) -> bool {
    let mut k = at + 1;
    let mut columns = Vec::new();
    if t.get(k) != Some(&Token::Symbol('(')) {
        return false;
    }
    k += 1;
    while let Some(token) = t.get(k) {
        k += 1;
        match token {
            Token::Name(n) => columns.push(n.clone()),
            Token::Symbol(')') => break,
            _ => {}
        }
    }
    let Some(index) = columns.iter().position(|c| c == column) else { return false };
    if t.get(k) != Some(&Token::Name("values".into())) {
        return false;
    }
    let mut rows = 0;
    let mut k = k + 1;
    while t.get(k) == Some(&Token::Symbol('(')) {
        // The row's values, split on commas at its own level.
        let (mut depth, mut value, mut found) = (0, 0, None);
        k += 1;
        while let Some(token) = t.get(k) {
            k += 1;
            match token {
                Token::Symbol('(') => depth += 1,
                Token::Symbol(')') if depth == 0 => break,
                Token::Symbol(')') => depth -= 1,
                Token::Symbol(',') if depth == 0 => value += 1,
                Token::Param(n) if value == index && depth == 0 => found = Some(*n),
                _ => {}
            }
        }
        if !found.is_some_and(is_player) {
            return false;
        }
        rows += 1;
        if t.get(k) == Some(&Token::Symbol(',')) {
            k += 1;
        }
    }
    rows > 0
}

#[test]
fn the_checker_catches_statements_that_would_cross_shards() {
    let plan = plan();
    let p = "8ca4599c-6652-4af6-b3f6-775017a12e8c";
    let params = |values: &[&str]| values.iter().map(|v| Some((*v).to_owned())).collect::<Vec<_>>();
    let check = |sql: &str, values: &[&str]| cross_shard(sql, &params(values), p, &plan);
    // Through the player's id, directly, through a co-located join, or in an insert.
    assert!(
        check("UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE id = $1 AND player_id = $2", &["x", p])
            .is_empty()
    );
    assert!(
        check(
            "SELECT a.status, (SELECT k.full_name FROM kyc_submissions k WHERE k.player_id = a.id) \
         FROM accounts a JOIN players p ON p.account_id = a.id WHERE a.id = $1",
            &[p]
        )
        .is_empty()
    );
    assert!(check("INSERT INTO \"aml_alerts\" (\"id\", \"player_id\") VALUES ($1, $2)", &["x", p]).is_empty());
    assert!(check("SELECT t.rtp_bp FROM rtp_targets t WHERE t.slug = $1", &["dice"]).is_empty(), "a reference table");
    // What would fan out to every shard, or leave the player's.
    let by_id_only = check("UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE id = $1", &["x"]);
    assert_eq!(by_id_only, ["`seed_pairs` is not reached through the player's `player_id`"]);
    let other_player = check("SELECT * FROM wallets WHERE player_id = $1", &["someone-else"]);
    assert_eq!(other_player.len(), 1);
    let one_branch = check(
        "SELECT id FROM game_sessions WHERE id = $1 UNION ALL SELECT id FROM game_sessions WHERE player_id = $2",
        &["x", p],
    );
    assert_eq!(one_branch.len(), 1, "each branch of a UNION is checked: {one_branch:?}");
    assert_eq!(check("INSERT INTO rounds (id, player_id) VALUES ($1, $2)", &["x", "y"]).len(), 1);
    assert_eq!(check("SELECT * FROM audit_log WHERE actor = $1", &[p]).len(), 1, "a coordinator table");
    assert_eq!(check("SELECT * FROM nowhere WHERE player_id = $1", &[p]).len(), 1, "a table the plan lacks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounds_deposits_and_withdrawals_touch_player_tables_only_through_player_id() {
    if !crate::topology::installed(&[Tool::Postgres]) {
        return;
    }
    let plan = plan();
    let pg = tokio::task::spawn_blocking(|| Postgres::start_with(&PgOptions::statement_log())).await.unwrap().unwrap();
    let mut c = AsyncPgConnection::establish(&pg.url()).await.unwrap();
    c.batch_execute("CREATE DATABASE casino").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&pg.url_for("casino"), dir.path()).await;

    // The plan places every table of the schema.
    let mut db = AsyncPgConnection::establish(&pg.url_for("casino")).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let tables: Vec<Table> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' AND table_name <> '__diesel_schema_migrations'",
        ),
        &mut db,
    )
    .await
    .unwrap();
    let unplaced: Vec<&str> = tables.iter().map(|t| t.name.as_str()).filter(|t| !plan.contains_key(*t)).collect();
    assert!(unplaced.is_empty(), "docs/operations.md does not place {unplaced:?} on Citus");

    let (player, token) = funded_player(&server.base, "sharded", 100_000).await;
    let start = std::fs::metadata(pg.log_file()).unwrap().len() as usize;
    for i in 0..3 {
        let bet = coin_flip(&format!("s{i}"));
        call(&server.base, reqwest::Method::POST, "/api/v2/gal/play", Some(&token), Some(bet)).await.ok(200);
    }
    for (path, amount, key) in [("/api/v2/wallet/deposit", 1_000, "d1"), ("/api/v2/wallet/withdraw", 500, "w1")] {
        let body = serde_json::json!({"amount": amount, "idempotency_key": key});
        call(&server.base, reqwest::Method::POST, path, Some(&token), Some(body)).await.ok(201);
    }
    let log = std::fs::read(pg.log_file()).unwrap();
    let transactions = testbed::pglog::committed_transactions(&String::from_utf8_lossy(&log[start..]));

    let kind = |t: &[Executed]| {
        let inserts_event = |ty: &str| {
            t.iter().any(|e| e.sql.starts_with("INSERT INTO wallet_events") && e.params.contains(&Some(ty.into())))
        };
        if t.iter().any(|e| e.sql.replace('"', "").contains("INSERT INTO rounds ")) {
            Some("round")
        } else if inserts_event("DEPOSIT") {
            Some("deposit")
        } else if inserts_event("WITHDRAWAL") {
            Some("withdrawal")
        } else {
            None
        }
    };
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    for t in &transactions {
        let Some(kind) = kind(t) else { continue };
        *seen.entry(kind).or_insert(0) += 1;
        for e in t {
            for problem in cross_shard(&e.sql, &e.params, &player, &plan) {
                problems.push(format!("{kind}: {problem}:\n    {}", e.sql));
            }
        }
    }
    assert_eq!(seen, BTreeMap::from([("deposit", 1), ("round", 3), ("withdrawal", 1)]), "{transactions:#?}");
    assert!(problems.is_empty(), "statements that would cross shards:\n{}", problems.join("\n"));
}
