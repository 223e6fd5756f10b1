//! The regulator's report: money, play, exclusions and alerts per jurisdiction.

/// Per-jurisdiction figures for a date range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportRow {
    pub jurisdiction: String,
    pub wagered: i64,
    pub paid: i64,
    pub deposits: i64,
    pub withdrawals: i64,
    pub exclusions: i64,
    pub aml_alerts: i64,
    pub harm_alerts: i64,
}
