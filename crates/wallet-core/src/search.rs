//! What staff search the wallets by: events platform-wide and the approval queue; the
//! back office's money per day.

use crate::{ApprovalStatus, EventType};
use chrono::{DateTime, Utc};
use kernel::AccountId;

/// Round postings reference `round:{id}`; clients may not use that prefix.
pub const ROUND_REFERENCE_PREFIX: &str = "round:";

kernel::string_enum!(
    /// The order of a wallet-event search, by its `sort` parameter (`-` first: descending).
    #[derive(Default)]
    EventOrder { #[default] Newest = "-created_at", Oldest = "created_at", AmountDesc = "-amount", AmountAsc = "amount" }
);

/// Which wallet events a platform-wide search returns (`GET /wallet/events`).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub player: Option<AccountId>,
    /// Events of any of these types; empty for every type.
    pub types: Vec<EventType>,
    /// Exactly this reference (a round's events reference `round:{id}`).
    pub reference: Option<String>,
    pub idempotency_key: Option<String>,
    /// From this instant on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
    pub order: EventOrder,
    pub limit: i64,
    pub offset: i64,
}

/// Filters of the approval queue.
#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    pub status: Option<ApprovalStatus>,
    pub player: Option<AccountId>,
    pub limit: i64,
    pub offset: i64,
}

/// One day's deposits and withdrawals in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub currency: String,
    pub deposits: i64,
    pub withdrawals: i64,
}
