//! The one vocabulary of business-rule refusals. Every core's rule errors name one of
//! these; the HTTP edge maps each to a `422` problem document with this `code`, in one
//! place. A refusal means nothing was written.

use std::fmt;

/// Why a business rule refused a request (nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InsufficientFunds,
    LimitExceeded,
    SelfExcluded,
    KycRequired,
    AccountBlocked,
    BetOutOfRange,
    SessionClosed,
    SessionTimeExceeded,
    RuleViolation,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::InsufficientFunds => "insufficient_funds",
            Refusal::LimitExceeded => "limit_exceeded",
            Refusal::SelfExcluded => "self_excluded",
            Refusal::KycRequired => "kyc_required",
            Refusal::AccountBlocked => "account_blocked",
            Refusal::BetOutOfRange => "bet_out_of_range",
            Refusal::SessionClosed => "session_closed",
            Refusal::SessionTimeExceeded => "session_time_exceeded",
            Refusal::RuleViolation => "rule_violation",
        }
    }
}

/// A refusal with what the client is told about it; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub refusal: Refusal,
    pub detail: String,
}

impl Refused {
    pub fn new(refusal: Refusal, detail: impl Into<String>) -> Self {
        Self { refusal, detail: detail.into() }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.refusal.code(), self.detail)
    }
}
