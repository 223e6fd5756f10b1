//! Reading PostgreSQL's statement log (see [`crate::PgOptions::statement_log`]):
//! which statements each backend ran, in order, with their parameters, grouped into
//! the transactions that committed.
//!
//! Per backend (pid) the log shows `statement:` (simple protocol), `parse`, `bind`
//! and `execute` lines, each execute followed by its parameters. A transaction is
//! everything a connection ran from the end of its previous transaction to a
//! `COMMIT`, so a pool's check-out query counts too; one in which a statement failed
//! rolled back, and is left out.

use std::collections::HashMap;

/// One statement as the server ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub sql: String,
    pub params: Vec<Option<String>>,
    /// Sent with the simple protocol (`BEGIN`, `COMMIT`).
    pub simple: bool,
    /// Parsed (prepared) again right before this execution: one more round trip.
    pub parsed: bool,
    /// Server-side execution time from the log, ms.
    pub ms: f64,
}

/// Every committed transaction in `log`, in the order of their `COMMIT`s.
pub fn committed_transactions(log: &str) -> Vec<Vec<Executed>> {
    #[derive(Default)]
    struct Backend {
        segment: Vec<Executed>,
        parsed_sql: Option<String>,
        last_kind: &'static str,
        /// A statement of this transaction failed: its `COMMIT` rolls back.
        failed: bool,
    }
    let mut backends: HashMap<String, Backend> = HashMap::new();
    let mut committed = Vec::new();
    for (pid, body) in entries(log) {
        let b = backends.entry(pid).or_default();
        if let Some(detail) = body.strip_prefix("DETAIL:  parameters: ") {
            if b.last_kind == "execute"
                && let (Some(last), Some(params)) = (b.segment.last_mut(), parse_params(detail))
            {
                last.params = params;
            }
            continue;
        }
        if body.starts_with("ERROR:  ") {
            b.failed = true;
        }
        let Some(rest) = body.strip_prefix("LOG:  duration: ") else {
            b.last_kind = "";
            continue;
        };
        let Some((ms, what)) = rest.split_once(" ms  ") else { continue };
        let ms: f64 = ms.trim().parse().unwrap_or(0.0);
        let executed = if let Some(sql) = what.strip_prefix("statement: ") {
            b.last_kind = "statement";
            Executed { sql: sql.trim().to_owned(), params: Vec::new(), simple: true, parsed: false, ms }
        } else {
            let Some((kind, named)) = what.split_once(' ') else { continue };
            let Some((_name, sql)) = named.split_once(": ") else { continue };
            match kind {
                "parse" => {
                    b.last_kind = "parse";
                    b.parsed_sql = Some(sql.to_owned());
                    continue;
                }
                "bind" => {
                    b.last_kind = "bind";
                    continue;
                }
                "execute" => {
                    b.last_kind = "execute";
                    let parsed = b.parsed_sql.take().is_some_and(|p| p == sql);
                    Executed { sql: sql.to_owned(), params: Vec::new(), simple: false, parsed, ms }
                }
                _ => {
                    b.last_kind = "";
                    continue;
                }
            }
        };
        // The end of a transaction, sent either way (the server prepares its `COMMIT`
        // to send it in a pipeline).
        let upper = executed.sql.to_ascii_uppercase();
        b.segment.push(executed);
        if upper == "COMMIT" || upper == "ROLLBACK" || upper == "END" {
            let segment = std::mem::take(&mut b.segment);
            let failed = std::mem::take(&mut b.failed);
            if upper == "COMMIT" && !failed {
                committed.push(segment);
            }
        }
    }
    committed
}

/// `(pid, text)` per log entry, continuation lines joined.
fn entries(log: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in log.lines() {
        let parsed = line
            .strip_prefix("@@")
            .and_then(|rest| rest.split_once("@@ "))
            .filter(|(pid, _)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        match parsed {
            Some((pid, body)) => out.push((pid.to_owned(), body.to_owned())),
            None => {
                if let Some((_, body)) = out.last_mut() {
                    body.push('\n');
                    body.push_str(line);
                }
            }
        }
    }
    out
}

/// `$1 = 'a', $2 = NULL, $3 = 'it''s'` → the values.
pub fn parse_params(s: &str) -> Option<Vec<Option<String>>> {
    let mut out = Vec::new();
    let mut rest = s.trim_end();
    while !rest.is_empty() {
        let after_dollar = rest.strip_prefix('$')?;
        let (_n, after) = after_dollar.split_once(" = ")?;
        if let Some(r) = after.strip_prefix("NULL") {
            out.push(None);
            rest = r;
        } else {
            let body = after.strip_prefix('\'')?;
            let mut value = String::new();
            let mut chars = body.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            out.push(Some(value));
            rest = &body[end?..];
        }
        rest = rest.strip_prefix(", ").unwrap_or(rest);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parameters() {
        assert_eq!(
            parse_params("$1 = 'a', $2 = NULL, $3 = 'it''s, ok', $10 = ''"),
            Some(vec![Some("a".into()), None, Some("it's, ok".into()), Some(String::new())])
        );
        assert_eq!(parse_params("garbage"), None);
    }

    #[test]
    fn groups_statements_into_committed_transactions_per_backend() {
        let log = "@@7@@ LOG:  duration: 1.0 ms  statement: BEGIN\n\
                   @@8@@ LOG:  duration: 1.0 ms  statement: BEGIN\n\
                   @@7@@ LOG:  duration: 0.1 ms  execute s1: SELECT $1\n\
                   @@7@@ DETAIL:  parameters: $1 = 'it''s'\n\
                   @@8@@ ERROR:  division by zero\n\
                   @@8@@ LOG:  duration: 1.0 ms  statement: COMMIT\n\
                   @@7@@ LOG:  duration: 1.0 ms  statement: COMMIT\n";
        let committed = committed_transactions(log);
        assert_eq!(committed.len(), 1, "{committed:#?}");
        let t = &committed[0];
        assert_eq!(t.iter().map(|e| e.sql.as_str()).collect::<Vec<_>>(), ["BEGIN", "SELECT $1", "COMMIT"]);
        assert_eq!(t[1].params, vec![Some("it's".to_owned())]);
        assert!(t[0].simple && !t[1].simple);
    }
}
