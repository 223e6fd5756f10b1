//! The provider's own books: every transaction the platform accepted, by day, and the
//! comparison with the platform's reconciliation report.

use chrono::NaiveDate;
use provider_core::{TxKind, TxStatus};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// One day's counts and sums (minor units), in the reconciliation report's terms: the
/// platform's own type, counted by the same rule ([`Day::add`]).
pub use provider_core::ReconciliationDay as Day;

/// The fields compared, by their names in the report.
pub const FIELDS: [&str; 8] =
    ["bets", "bet_amount", "rolled_back_bets", "rolled_back_amount", "wins", "win_amount", "rollbacks", "tombstones"];

/// A day's figure by its name in the report.
pub fn field(d: &Day, name: &str) -> i64 {
    match name {
        "bets" => d.bets,
        "bet_amount" => d.bet_amount,
        "rolled_back_bets" => d.rolled_back_bets,
        "rolled_back_amount" => d.rolled_back_amount,
        "wins" => d.wins,
        "win_amount" => d.win_amount,
        "rollbacks" => d.rollbacks,
        "tombstones" => d.tombstones,
        _ => 0,
    }
}

#[derive(Debug, Clone, Copy)]
struct Bet {
    day: NaiveDate,
    amount: i64,
    rolled_back: bool,
}

/// What the provider knows the platform accepted. Each transaction counts once, however
/// often it was delivered.
#[derive(Debug, Default)]
pub struct Ledger {
    bets: HashMap<String, Bet>,
    wins: HashMap<String, (NaiveDate, i64)>,
    /// Rollback id → (day, whether it arrived before its bet).
    rollbacks: HashMap<String, (NaiveDate, bool)>,
}

impl Ledger {
    /// Books an accepted bet; `false` when it was booked already.
    pub fn bet(&mut self, id: &str, day: NaiveDate, amount: i64) -> bool {
        if self.bets.contains_key(id) {
            return false;
        }
        self.bets.insert(id.to_owned(), Bet { day, amount, rolled_back: false });
        true
    }

    /// Books an accepted win; `false` when it was booked already.
    pub fn win(&mut self, id: &str, day: NaiveDate, amount: i64) -> bool {
        if self.wins.contains_key(id) {
            return false;
        }
        self.wins.insert(id.to_owned(), (day, amount));
        true
    }

    /// A rollback the platform accepted: it refunds `bet` if the platform holds it,
    /// otherwise it is a tombstone. Returns the amount refunded.
    pub fn rollback(&mut self, id: &str, bet: &str, day: NaiveDate) -> i64 {
        if self.rollbacks.contains_key(id) {
            return 0;
        }
        let refunded = match self.bets.get_mut(bet) {
            Some(b) if !b.rolled_back => {
                b.rolled_back = true;
                b.amount
            }
            _ => 0,
        };
        self.rollbacks.insert(id.to_owned(), (day, !self.bets.contains_key(bet)));
        refunded
    }

    pub fn merge(&mut self, other: Ledger) {
        self.bets.extend(other.bets);
        self.wins.extend(other.wins);
        self.rollbacks.extend(other.rollbacks);
    }

    /// The books by day.
    pub fn days(&self) -> BTreeMap<NaiveDate, Day> {
        let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
        let mut count = |day: NaiveDate, kind: TxKind, status: TxStatus, amount: i64| {
            let d = days.entry(day).or_insert_with(|| Day { day, ..Day::default() });
            // Simulated amounts never come near an overflow.
            let _ = d.add(kind, status, amount);
        };
        for bet in self.bets.values() {
            let status = if bet.rolled_back { TxStatus::RolledBack } else { TxStatus::Applied };
            count(bet.day, TxKind::Bet, status, bet.amount);
        }
        for (day, amount) in self.wins.values() {
            count(*day, TxKind::Win, TxStatus::Applied, *amount);
        }
        for (day, tombstone) in self.rollbacks.values() {
            let status = if *tombstone { TxStatus::Tombstone } else { TxStatus::Applied };
            count(*day, TxKind::Rollback, status, 0);
        }
        days
    }
}

/// One difference between the books and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub day: NaiveDate,
    pub field: String,
    pub ours: i64,
    pub theirs: Option<i64>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.theirs {
            Some(theirs) => write!(f, "{} {}: ledger {} ≠ platform {}", self.day, self.field, self.ours, theirs),
            None => write!(f, "{} {}: ledger {}, the platform reports no such field", self.day, self.field, self.ours),
        }
    }
}

/// The report's days, by date, from `GET /providers/{slug}/reconciliation`.
pub fn report_days(report: &Value) -> Result<BTreeMap<NaiveDate, &serde_json::Map<String, Value>>, String> {
    let days = report.get("days").and_then(Value::as_array).ok_or("the report has no days array")?;
    let mut out = BTreeMap::new();
    for day in days {
        let fields = day.as_object().ok_or("a report day is not an object")?;
        let date = fields
            .get("day")
            .and_then(Value::as_str)
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .ok_or("a report day has no day")?;
        out.insert(date, fields);
    }
    Ok(out)
}

/// Every field of every day on which the books and the report differ (a day or a field
/// the report leaves out counts as zero).
pub fn compare(ours: &BTreeMap<NaiveDate, Day>, report: &Value) -> Result<Vec<Difference>, String> {
    let theirs = report_days(report)?;
    let mut dates: Vec<NaiveDate> = ours.keys().chain(theirs.keys()).copied().collect();
    dates.sort_unstable();
    dates.dedup();
    let mut differences = Vec::new();
    for date in dates {
        let mine = ours.get(&date).copied().unwrap_or_default();
        for name in FIELDS {
            let reported = match theirs.get(&date) {
                Some(fields) => fields.get(name).and_then(Value::as_i64),
                None => Some(0),
            };
            // A field the report leaves out only differs when the ledger has something.
            if reported.unwrap_or(0) != field(&mine, name) {
                differences.push(Difference {
                    day: date,
                    field: name.to_owned(),
                    ours: field(&mine, name),
                    theirs: reported,
                });
            }
        }
    }
    Ok(differences)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn each_transaction_counts_once_and_rollbacks_refund_or_tombstone() {
        let d = day("2026-12-07");
        let mut ledger = Ledger::default();
        assert!(ledger.bet("b1", d, 100));
        assert!(!ledger.bet("b1", d, 100));
        assert!(ledger.win("w1", d, 250));
        assert!(!ledger.win("w1", d, 250));
        assert!(ledger.win("w0", d, 0));
        assert!(ledger.bet("b2", d, 40));
        assert_eq!(ledger.rollback("r2", "b2", d), 40);
        assert_eq!(ledger.rollback("r2", "b2", d), 0);
        assert_eq!(ledger.rollback("r3", "b3", d), 0);
        let got = ledger.days()[&d];
        assert_eq!(
            got,
            Day {
                day: d,
                bets: 1,
                bet_amount: 100,
                rolled_back_bets: 1,
                rolled_back_amount: 40,
                wins: 2,
                win_amount: 250,
                rollbacks: 2,
                tombstones: 1
            }
        );
    }

    #[test]
    fn the_comparison_names_every_differing_field_and_missing_days() {
        let d = day("2026-12-07");
        let mut ledger = Ledger::default();
        assert!(ledger.bet("b1", d, 100));
        assert!(ledger.win("w1", d, 250));
        let report = json!({"days": [{"day": "2026-12-07", "bets": 1, "bet_amount": 100, "rolled_back_bets": 0,
            "rolled_back_amount": 0, "wins": 1, "win_amount": 250, "rollbacks": 0, "tombstones": 0}]});
        assert_eq!(compare(&ledger.days(), &report), Ok(vec![]));
        let off = json!({"days": [{"day": "2026-12-07", "bets": 2, "bet_amount": 100, "rolled_back_bets": 0,
            "rolled_back_amount": 0, "wins": 1, "win_amount": 250, "rollbacks": 0},
            {"day": "2026-12-08", "bets": 1}]});
        let diffs = compare(&ledger.days(), &off).unwrap_or_default();
        let named: Vec<String> = diffs.iter().map(|x| format!("{} {}", x.day, x.field)).collect();
        assert_eq!(named, ["2026-12-07 bets", "2026-12-08 bets"]);
        assert!(compare(&ledger.days(), &json!({})).is_err());
    }
}
