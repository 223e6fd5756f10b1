//! The one error type of responsible gaming. Each variant is one stable `code` of the
//! HTTP contract; the app maps them 1:1 (the status is noted on each).

use crate::exclusion::ExclusionKind;
use crate::limits::LimitPeriod;
use chrono::{DateTime, Utc};

/// Why a responsible-gaming rule refused a request. Whenever one of these is returned
/// nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RgError {
    /// The deposit would take the player past an active deposit limit (their own, or the
    /// jurisdiction's mandatory cap) for `period`. Amounts are minor units; `used` is
    /// what was already deposited in the rolling window, `remaining = limit - used`
    /// (never below 0). → `422 limit_exceeded`.
    #[error("this deposit would exceed the {period} deposit limit of {limit} (used {used}, remaining {remaining})")]
    LimitExceeded { period: LimitPeriod, limit: i64, used: i64, remaining: i64 },

    /// A time-out or self-exclusion is active: no deposits, no game launch, no bets.
    /// `until` is `None` for a permanent self-exclusion. → `422 self_excluded`.
    #[error("{kind} active{}", match .until { Some(t) => format!(" until {}", t.to_rfc3339()), None => " permanently".to_owned() })]
    SelfExcluded { kind: ExclusionKind, until: Option<DateTime<Utc>> },

    /// The player has played their daily session-time limit (`limit` minutes) today.
    /// → `422 session_time_exceeded`.
    #[error("the daily session time limit of {limit} minutes has been reached")]
    SessionTimeExceeded { limit: u32 },

    /// The request is well-formed but a jurisdiction rule forbids it (a self-exclusion
    /// shorter than the minimum, removing a mandatory monthly limit, …); the message
    /// says which rule. → `422 rule_violation`.
    #[error("{0}")]
    RuleViolation(String),

    /// A value is out of its range or not one of the allowed words.
    /// → `400 validation_error` with `errors: [{field, message}]`.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
}

impl RgError {
    /// The contract's stable error `code` for this refusal.
    pub const fn code(&self) -> &'static str {
        match self {
            RgError::LimitExceeded { .. } => "limit_exceeded",
            RgError::SelfExcluded { .. } => "self_excluded",
            RgError::SessionTimeExceeded { .. } => "session_time_exceeded",
            RgError::RuleViolation(_) => "rule_violation",
            RgError::Invalid { .. } => "validation_error",
        }
    }
}
