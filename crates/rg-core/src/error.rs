//! The one error type of responsible gaming. Each variant is one stable `code` of the
//! HTTP contract, through [`RgError::refusal`]; the app maps them once (the status is
//! noted on each).

use crate::exclusion::ExclusionKind;
use crate::limits::LimitPeriod;
use chrono::{DateTime, Utc};
use kernel::{Refusal, Refused};

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
    /// The refusal this is in the shared vocabulary; `None` for [`RgError::Invalid`], a
    /// request's value out of range rather than a rule's refusal.
    pub const fn refusal(&self) -> Option<Refusal> {
        match self {
            RgError::LimitExceeded { .. } => Some(Refusal::LimitExceeded),
            RgError::SelfExcluded { .. } => Some(Refusal::SelfExcluded),
            RgError::SessionTimeExceeded { .. } => Some(Refusal::SessionTimeExceeded),
            RgError::RuleViolation(_) => Some(Refusal::RuleViolation),
            RgError::Invalid { .. } => None,
        }
    }

    /// The contract's `code` for this error, as the app answers it.
    #[cfg(test)]
    pub(crate) fn code(&self) -> &'static str {
        self.refusal().map_or("validation_error", Refusal::code)
    }
}

/// Inside a flow (a deposit, a round) every RG error refuses it: a stored value a
/// rule cannot judge violates the rules.
impl From<RgError> for Refused {
    fn from(e: RgError) -> Self {
        Refused::new(e.refusal().unwrap_or(Refusal::RuleViolation), e.to_string())
    }
}
