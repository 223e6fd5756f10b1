//! The back office's searches over rounds and game sessions, and the daily play figures.

use crate::BigWin;
use chrono::{DateTime, Utc};
use kernel::AccountId;

kernel::string_enum!(
    /// The order of a round search, by its `sort` parameter (`-` first: descending).
    #[derive(Default)]
    RoundOrder {
        #[default]
        Newest = "-created_at",
        Oldest = "created_at",
        AmountDesc = "-amount",
        AmountAsc = "amount",
        PayoutDesc = "-payout",
        PayoutAsc = "payout",
        MultiplierDesc = "-multiplier",
        MultiplierAsc = "multiplier",
    }
);

/// Which rounds a search returns (`GET /gal/rounds`).
#[derive(Debug, Clone, Default)]
pub struct RoundFilter {
    pub player: Option<AccountId>,
    pub game_slug: Option<String>,
    /// `Some(true)`: rolled-back rounds only; `Some(false)`: settled ones only.
    pub rolled_back: Option<bool>,
    /// Only the rounds this rule flags.
    pub big_wins: Option<BigWin>,
    /// From this instant on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
    pub order: RoundOrder,
    pub limit: i64,
    pub offset: i64,
}

kernel::string_enum!(
    /// The order of a session search, by its `sort` parameter (`-` first: descending).
    #[derive(Default)]
    SessionOrder {
        #[default]
        Newest = "-started_at",
        Oldest = "started_at",
        WageredDesc = "-wagered",
        RoundsDesc = "-rounds",
        NetDesc = "-net",
        NetAsc = "net",
    }
);

/// Which sessions a search returns (`GET /gal/sessions`).
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub player: Option<AccountId>,
    pub game_slug: Option<String>,
    /// `Some(true)`: open sessions only; `Some(false)`: closed ones only.
    pub open: Option<bool>,
    pub order: SessionOrder,
    pub limit: i64,
    pub offset: i64,
}

/// The totals of every session a search matches (all pages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionTotals {
    pub sessions: i64,
    pub rounds: i64,
    pub wagered: i64,
    pub won: i64,
}

/// One day's settled play in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub currency: String,
    pub rounds: i64,
    pub wagered: i64,
    pub paid: i64,
}
