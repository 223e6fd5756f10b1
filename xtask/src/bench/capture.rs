//! From PostgreSQL's statement log to a round script: exactly the statements the
//! server sent for its rounds, in order, with their parameters bound the way a
//! benchmark can repeat them.
//!
//! The log is written with `log_min_duration_statement = 0` and
//! `log_line_prefix = '@@%p@@ '` while one client plays rounds for one player, and
//! read by `testbed::pglog`: a round is a committed transaction that includes the
//! insert into `rounds` (the pool's check-out query before it counts too).
//!
//! Parameters are classified by value:
//! - the probe player's id, session id and seed-pair id: the transaction's player;
//! - a UUID seen in one round only (round, event and alert ids, idempotency keys), also
//!   inside text such as `round:<id>`: a fresh UUID per transaction, the same wherever
//!   the captured one was the same (so `rounds.bet_event_id` still references the
//!   event just inserted);
//! - an integer that differs between rounds of the same shape (sequence numbers,
//!   balances, nonces): a fresh random integer, so unique keys hold;
//! - anything else: the captured text.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

pub use testbed::pglog::Executed;

/// A part of a parameter value in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Player,
    Session,
    Pair,
    Uuid(usize),
    Int(usize),
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// `$1…$n`, each a sequence of parts (more than one: text around a UUID).
    pub params: Vec<Vec<Part>>,
    pub simple: bool,
    pub parsed: bool,
}

/// One sequence of statements and how many captured rounds had it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub count: usize,
    pub statements: Vec<Statement>,
    /// Mean server-side time per round of this shape, from the log (ms).
    pub logged_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoundScript {
    pub shapes: Vec<Shape>,
}

/// The probe player's ids.
#[derive(Debug, Clone)]
pub struct Known {
    pub player: String,
    pub session: String,
    pub pair: String,
}

/// Every round in `log` (see the module docs): the committed transactions that
/// include `marker`.
pub fn rounds_in_log(log: &str, marker: &str) -> Vec<Vec<Executed>> {
    testbed::pglog::committed_transactions(log)
        .into_iter()
        // Identifiers may be quoted (Diesel's DSL) or not (fixed statements).
        .filter(|statements| statements.iter().any(|e| e.sql.replace('"', "").contains(marker)))
        .collect()
}

/// The UUIDs (8-4-4-4-12 hex) in `s`, with their byte ranges.
fn uuids_in(s: &str) -> Vec<(usize, usize)> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        let mut j = i;
        let mut ok = i == 0 || !b[i - 1].is_ascii_hexdigit();
        for (g, len) in GROUPS.iter().enumerate() {
            if !ok {
                break;
            }
            ok = b[j..j + len].iter().all(u8::is_ascii_hexdigit);
            j += len;
            if g < 4 {
                ok = ok && b.get(j) == Some(&b'-');
                j += 1;
            }
        }
        ok = ok && b.get(i + 36).is_none_or(|c| !c.is_ascii_hexdigit());
        if ok {
            out.push((i, i + 36));
            i += 36;
        } else {
            i += 1;
        }
    }
    out
}

/// Groups the captured rounds by statement sequence and binds their parameters.
pub fn script(rounds: &[Vec<Executed>], known: &Known) -> RoundScript {
    // A UUID seen in a single round is fresh per round; one seen in several is data.
    let mut seen_in: HashMap<String, usize> = HashMap::new();
    for round in rounds {
        let mut here = HashSet::new();
        for e in round {
            for value in e.params.iter().flatten() {
                for (a, z) in uuids_in(value) {
                    here.insert(value[a..z].to_ascii_lowercase());
                }
            }
        }
        for u in here {
            *seen_in.entry(u).or_default() += 1;
        }
    }

    let mut groups: Vec<(Vec<String>, Vec<&Vec<Executed>>)> = Vec::new();
    for round in rounds {
        let key: Vec<String> = round.iter().map(|e| e.sql.clone()).collect();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(round),
            None => groups.push((key, vec![round])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1.len()));

    // Which integer parameters vary: within the shape when it was seen twice or more,
    // else as the same statement (by text and occurrence) varies in the commonest
    // shape that has it, else across every round.
    type Slot = (String, usize, usize); // (sql, occurrence in the round, parameter)
    let slots_of = |round: &Vec<Executed>| -> Vec<(Slot, Option<String>)> {
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::new();
        for e in round {
            let n = occurrences.entry(e.sql.as_str()).or_default();
            for (j, v) in e.params.iter().enumerate() {
                out.push(((e.sql.clone(), *n, j), v.clone()));
            }
            *n += 1;
        }
        out
    };
    let varying_in = |members: &[&Vec<Executed>]| -> HashMap<Slot, bool> {
        let mut values: HashMap<Slot, HashSet<Option<String>>> = HashMap::new();
        for round in members {
            for (slot, v) in slots_of(round) {
                values.entry(slot).or_default().insert(v);
            }
        }
        values.into_iter().map(|(k, v)| (k, v.len() > 1)).collect()
    };
    let per_shape: Vec<Option<HashMap<Slot, bool>>> =
        groups.iter().map(|(_, m)| (m.len() >= 2).then(|| varying_in(m))).collect();
    let all: Vec<&Vec<Executed>> = rounds.iter().collect();
    let pooled = varying_in(&all);
    let varies = |shape: usize, slot: &Slot| -> bool {
        if let Some(Some(own)) = per_shape.get(shape) {
            return own.get(slot).copied().unwrap_or(false);
        }
        per_shape
            .iter()
            .flatten()
            .find_map(|other| other.get(slot).copied())
            .or_else(|| pooled.get(slot).copied())
            .unwrap_or(false)
    };

    let mut shapes = Vec::new();
    for (index, (_, members)) in groups.iter().enumerate() {
        let Some(first) = members.first() else { continue };
        let mut fresh: HashMap<String, usize> = HashMap::new();
        let mut ints = 0usize;
        let mut statements = Vec::new();
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        for (i, e) in first.iter().enumerate() {
            // Re-prepared "each round" when it was in most rounds of the shape (a
            // connection's first round prepares more).
            let parsed = members.iter().filter(|r| r.get(i).is_some_and(|x| x.parsed)).count() * 2 > members.len();
            let n = *occurrences.entry(e.sql.as_str()).and_modify(|n| *n += 1).or_insert(0);
            let params = e
                .params
                .iter()
                .enumerate()
                .map(|(j, value)| {
                    let Some(value) = value else { return vec![Part::Null] };
                    let slot = (e.sql.clone(), n, j);
                    bind(value, known, &seen_in, &mut fresh, &mut ints, varies(index, &slot))
                })
                .collect();
            statements.push(Statement { sql: e.sql.clone(), params, simple: e.simple, parsed });
        }
        let logged_ms =
            members.iter().map(|r| r.iter().map(|e| e.ms).sum::<f64>()).sum::<f64>() / members.len().max(1) as f64;
        shapes.push(Shape { count: members.len(), statements, logged_ms });
    }
    RoundScript { shapes }
}

fn bind(
    value: &str,
    known: &Known,
    seen_in: &HashMap<String, usize>,
    fresh: &mut HashMap<String, usize>,
    ints: &mut usize,
    varying: bool,
) -> Vec<Part> {
    let found = uuids_in(value);
    if found.is_empty() {
        if varying && value.parse::<i64>().is_ok() {
            *ints += 1;
            return vec![Part::Int(*ints - 1)];
        }
        return vec![Part::Lit(value.to_owned())];
    }
    let mut parts = Vec::new();
    let mut at = 0;
    let push_lit = |parts: &mut Vec<Part>, s: &str| {
        if s.is_empty() {
            return;
        }
        if let Some(Part::Lit(prev)) = parts.last_mut() {
            prev.push_str(s);
        } else {
            parts.push(Part::Lit(s.to_owned()));
        }
    };
    for (a, z) in found {
        push_lit(&mut parts, &value[at..a]);
        let u = value[a..z].to_ascii_lowercase();
        let part = if u == known.player {
            Part::Player
        } else if u == known.session {
            Part::Session
        } else if u == known.pair {
            Part::Pair
        } else if seen_in.get(&u).copied().unwrap_or(0) <= 1 {
            let next = fresh.len();
            Part::Uuid(*fresh.entry(u).or_insert(next))
        } else {
            Part::Lit(value[a..z].to_owned())
        };
        match part {
            Part::Lit(s) => push_lit(&mut parts, &s),
            other => parts.push(other),
        }
        at = z;
    }
    push_lit(&mut parts, &value[at..]);
    parts
}

// ---------------------------------------------------------------------------------------
// Output

impl RoundScript {
    /// The JSON `loadgen bench-sqlite-ceiling --script` reads.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let part = |p: &Part| match p {
            Part::Lit(v) => json!({"t": "lit", "v": v}),
            Part::Player => json!({"t": "player"}),
            Part::Session => json!({"t": "session"}),
            Part::Pair => json!({"t": "pair"}),
            Part::Uuid(slot) => json!({"t": "uuid", "slot": slot}),
            Part::Int(slot) => json!({"t": "int", "slot": slot}),
            Part::Null => json!({"t": "null"}),
        };
        json!({"shapes": self.shapes.iter().map(|s| json!({
            "weight": s.count,
            "statements": s.statements.iter().map(|st| json!({
                "sql": st.sql,
                "params": st.params.iter().map(|p| p.iter().map(part).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()})
    }

    /// Every distinct statement text that takes parameters (for their types).
    pub fn parameterised_sql(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for st in self.shapes.iter().flat_map(|s| &s.statements) {
            if !st.params.is_empty() && !out.contains(&st.sql) {
                out.push(st.sql.clone());
            }
        }
        out
    }
}

/// The players' ids in the order the load generator spread them over its clients.
#[derive(Debug, Clone, Default)]
pub struct Players {
    pub players: Vec<String>,
    pub sessions: Vec<String>,
    pub pairs: Vec<String>,
}

/// Captured literals become pgbench variables (`-D cN=value`), so statements keep
/// their parameters.
#[derive(Debug, Default)]
pub struct Consts(BTreeMap<String, String>);

impl Consts {
    fn name(&mut self, value: &str) -> String {
        let next = format!("c{}", self.0.len());
        self.0.entry(value.to_owned()).or_insert(next).clone()
    }

    /// `-D name=value` arguments.
    pub fn defines(&self) -> Vec<String> {
        let mut out: Vec<(&String, &String)> = self.0.iter().map(|(v, n)| (n, v)).collect();
        out.sort();
        out.into_iter().map(|(n, v)| format!("{n}={v}")).collect()
    }
}

/// A pgbench script (`-M prepared`) for one shape. Client `c` of `clients` plays the
/// players `c, c + clients, …` (as the load generator's tasks do), one at random per
/// transaction; `types` are the parameter types PostgreSQL inferred per statement.
pub fn pgbench_script(
    shape: &Shape,
    players: &Players,
    clients: usize,
    types: &HashMap<String, Vec<String>>,
    consts: &mut Consts,
) -> String {
    let p = players.players.len();
    let mut out = String::new();
    let _ = writeln!(out, "-- {} captured rounds of this shape", shape.count);
    let _ = writeln!(out, "\\set k 1 + :client_id + {clients} * random(0, ({p} - 1 - :client_id) / {clients})");
    let (mut uuids, mut ints) = (0, 0);
    for part in shape.statements.iter().flat_map(|s| s.params.iter().flatten()) {
        match part {
            Part::Uuid(s) => uuids = uuids.max(s + 1),
            Part::Int(s) => ints = ints.max(s + 1),
            _ => {}
        }
    }
    for i in 0..uuids {
        let _ = writeln!(out, "\\set u{i} random(1, 4611686018427387903)");
    }
    for i in 0..ints {
        let _ = writeln!(out, "\\set i{i} random(1, 999999999999)");
    }
    let array = |ids: &[String]| format!("('{{{}}}'::text[])[:k]", ids.join(","));
    for st in &shape.statements {
        let no_types = Vec::new();
        let param_types = types.get(&st.sql).unwrap_or(&no_types);
        let rendered: Vec<String> = st
            .params
            .iter()
            .enumerate()
            .map(|(j, parts)| match parts.as_slice() {
                [Part::Lit(v)] => format!(":{}", consts.name(v)),
                [Part::Int(s)] => format!(":i{s}"),
                [Part::Null] => "NULL".to_owned(),
                _ => {
                    let text: Vec<String> = parts
                        .iter()
                        .map(|part| match part {
                            Part::Lit(v) => format!(":{}::text", consts.name(v)),
                            Part::Player => array(&players.players),
                            Part::Session => array(&players.sessions),
                            Part::Pair => array(&players.pairs),
                            Part::Uuid(s) => format!("md5(:u{s}::text)::uuid::text"),
                            Part::Int(s) => format!(":i{s}::text"),
                            Part::Null => "''".to_owned(),
                        })
                        .collect();
                    let ty = param_types.get(j).map_or("text", String::as_str);
                    format!("CAST({} AS {ty})", text.join(" || "))
                }
            })
            .collect();
        let _ = writeln!(out, "{};", substitute(&st.sql, &rendered));
    }
    out
}

/// `sql` with each `$n` outside quotes replaced by `values[n - 1]`.
pub fn substitute(sql: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_quote = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        if c == '$' && !in_quote && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            let start = i + 1;
            let mut end = start;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            let n: usize = sql[start..end].parse().unwrap_or(0);
            match n.checked_sub(1).and_then(|k| values.get(k)) {
                Some(v) => out.push_str(v),
                None => out.push_str(&sql[i..end]),
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Parses PostgreSQL's text form of a one-dimensional array (`{uuid,"timestamp with time zone"}`).
pub fn parse_pg_array(s: &str) -> Vec<String> {
    let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !inner.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "8ca4599c-6652-4af6-b3f6-775017a12e8c";
    const S: &str = "8ff8c8d5-63fd-41c5-81e7-6514af684c0b";
    const PAIR: &str = "97bc3949-6c64-44ef-9fd9-c89960eab89a";

    fn round(pid: u32, round_id: &str, event_id: &str, seq: u32) -> String {
        format!(
            "@@{pid}@@ LOG:  duration: 0.007 ms  bind s3: SELECT $1\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '1'\n\
             @@{pid}@@ LOG:  duration: 0.008 ms  execute s3: SELECT $1\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '1'\n\
             @@{pid}@@ LOG:  duration: 0.025 ms  statement: BEGIN\n\
             @@{pid}@@ LOG:  duration: 0.078 ms  parse s9: UPDATE \"wallets\" SET \"seq\" = \"wallets\".\"seq\" WHERE (\"wallets\".\"player_id\" = $1)\n\
             @@{pid}@@ LOG:  duration: 0.079 ms  bind s9: UPDATE \"wallets\" SET \"seq\" = \"wallets\".\"seq\" WHERE (\"wallets\".\"player_id\" = $1)\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '{P}'\n\
             @@{pid}@@ LOG:  duration: 0.086 ms  execute s9: UPDATE \"wallets\" SET \"seq\" = \"wallets\".\"seq\" WHERE (\"wallets\".\"player_id\" = $1)\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '{P}'\n\
             @@{pid}@@ LOG:  duration: 0.100 ms  execute s10: INSERT INTO \"wallet_events\" (\"id\", \"player_id\", \"seq\", \"idempotency_key\", \"compensates\") VALUES ($1, $2, $3, $4, DEFAULT)\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '{event_id}', $2 = '{P}', $3 = '{seq}', $4 = 'round {round_id} bet'\n\
             @@{pid}@@ LOG:  duration: 0.368 ms  execute s11: INSERT INTO \"rounds\" (\"id\", \"session_id\", \"seed_pair_id\", \"bet_event_id\", \"amount\", \"outcome\") VALUES ($1, $2, $3, $4, $5, $6)\n\
             @@{pid}@@ DETAIL:  parameters: $1 = '{round_id}', $2 = '{S}', $3 = '{PAIR}', $4 = '{event_id}', $5 = '5000', $6 = '{{\"it''s\":\n\
             true}}'\n\
             @@{pid}@@ LOG:  duration: 3.885 ms  statement: COMMIT\n"
        )
    }

    fn known() -> Known {
        Known { player: P.into(), session: S.into(), pair: PAIR.into() }
    }

    #[test]
    fn finds_uuids() {
        let s = format!("round {P} bet/{S}");
        assert_eq!(uuids_in(&s), vec![(6, 42), (47, 83)]);
        assert!(uuids_in("8ca4599c-6652-4af6-b3f6-775017a12e8cf").is_empty());
    }

    #[test]
    fn a_prepared_commit_ends_the_round_too() {
        let prepared = round(42, "11111111-1111-4111-8111-111111111111", "21111111-1111-4111-8111-111111111111", 18)
            .replace("statement: BEGIN", "execute s1: BEGIN")
            .replace("statement: COMMIT", "execute s2: COMMIT");
        let log = format!("{prepared}@@42@@ LOG:  duration: 0.01 ms  execute s3: SELECT 1\n");
        let rounds = rounds_in_log(&log, "INSERT INTO rounds ");
        assert_eq!(rounds.len(), 1);
        let r = &rounds[0];
        assert_eq!((r.len(), r[1].sql.as_str(), r[1].simple), (6, "BEGIN", false), "{r:#?}");
        assert_eq!(r[5].sql, "COMMIT");

        // A statement failed after the insert: the `COMMIT` rolled the round back.
        let failed = prepared.replace(
            "@@42@@ LOG:  duration: 3.885 ms  execute s2: COMMIT",
            "@@42@@ ERROR:  null value in column \"session_id\"\n@@42@@ LOG:  duration: 3.885 ms  execute s2: COMMIT",
        );
        assert!(failed.contains("ERROR"), "{failed}");
        assert!(rounds_in_log(&format!("{failed}{prepared}"), "INSERT INTO rounds ").len() == 1);
    }

    #[test]
    fn captures_rounds_and_binds_their_parameters() {
        let log = format!(
            "@@7@@ LOG:  duration: 1.0 ms  statement: BEGIN\n@@7@@ LOG:  duration: 1.0 ms  statement: COMMIT\n{}{}{}",
            round(42, "11111111-1111-4111-8111-111111111111", "21111111-1111-4111-8111-111111111111", 18),
            round(43, "12222222-1111-4111-8111-111111111111", "22222222-1111-4111-8111-111111111111", 19),
            round(42, "13333333-1111-4111-8111-111111111111", "23333333-1111-4111-8111-111111111111", 20),
        );
        let rounds = rounds_in_log(&log, "INSERT INTO rounds ");
        assert_eq!(rounds.len(), 3);
        let r = &rounds[0];
        assert_eq!(r.len(), 6, "{r:#?}");
        assert_eq!(r[0].sql, "SELECT $1");
        assert!(r[1].simple && r[1].sql == "BEGIN");
        assert!(r[2].parsed && !r[3].parsed);
        assert_eq!(r[4].params[5].as_deref(), Some("{\"it's\":\ntrue}"));

        let script = script(&rounds, &known());
        assert_eq!(script.shapes.len(), 1);
        let shape = &script.shapes[0];
        assert_eq!(shape.count, 3);
        let st = &shape.statements;
        assert_eq!(st[0].params, vec![vec![Part::Lit("1".into())]]);
        assert_eq!(st[2].params, vec![vec![Part::Player]]);
        assert_eq!(
            st[3].params,
            vec![
                vec![Part::Uuid(0)],
                vec![Part::Player],
                vec![Part::Int(0)],
                vec![Part::Lit("round ".into()), Part::Uuid(1), Part::Lit(" bet".into())],
            ]
        );
        assert_eq!(st[4].params[0], vec![Part::Uuid(1)]);
        assert_eq!(st[4].params[1], vec![Part::Session]);
        assert_eq!(st[4].params[2], vec![Part::Pair]);
        assert_eq!(st[4].params[3], vec![Part::Uuid(0)], "the round references the event it inserted");
        assert_eq!(st[4].params[4], vec![Part::Lit("5000".into())]);

        let players = Players {
            players: vec![P.into(), "p2".into()],
            sessions: vec![S.into(), "s2".into()],
            pairs: vec![PAIR.into(), "q2".into()],
        };
        let types = HashMap::from([(
            st[3].sql.clone(),
            vec!["uuid".to_owned(), "uuid".to_owned(), "bigint".to_owned(), "text".to_owned()],
        )]);
        let mut consts = Consts::default();
        let text = pgbench_script(shape, &players, 2, &types, &mut consts);
        assert!(text.contains("\\set k 1 + :client_id + 2 * random(0, (2 - 1 - :client_id) / 2)"), "{text}");
        assert!(text.contains("\\set u1 random("), "{text}");
        assert!(text.contains("\nSELECT :c0;\nBEGIN;\n"), "{text}");
        assert!(
            text.contains(&format!(
                "VALUES (CAST(md5(:u0::text)::uuid::text AS uuid), CAST(('{{{P},p2}}'::text[])[:k] AS uuid), :i0, \
                 CAST(:c1::text || md5(:u1::text)::uuid::text || :c2::text AS text), DEFAULT);"
            )),
            "{text}"
        );
        assert_eq!(consts.defines()[..3], ["c0=1".to_owned(), "c1=round ".to_owned(), "c2= bet".to_owned()]);
        let json = script.to_json();
        assert_eq!(json["shapes"][0]["statements"][3]["params"][3][1], serde_json::json!({"t": "uuid", "slot": 1}));
    }

    #[test]
    fn substitutes_placeholders_outside_quotes() {
        let v = vec!["A".to_owned(), "B".to_owned()];
        assert_eq!(
            substitute("x = $1 AND y = '$2' AND z = $2 AND w = $12", &v),
            "x = A AND y = '$2' AND z = B AND w = $12"
        );
    }

    #[test]
    fn parses_pg_arrays() {
        assert_eq!(
            parse_pg_array("{uuid,\"timestamp with time zone\",bigint}"),
            ["uuid", "timestamp with time zone", "bigint"]
        );
        assert!(parse_pg_array("{}").is_empty());
    }
}
