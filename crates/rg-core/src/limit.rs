//! The one rule every self-imposed limit follows: stricter at once, looser later.
//!
//! A limit is a number where smaller is stricter (a deposit amount, minutes of play, a
//! reality-check interval) and "no limit" is the loosest of all. Setting a first limit,
//! lowering one or re-confirming the current value binds immediately and withdraws any
//! pending change; raising or removing one becomes a [`PendingChange`] that binds once
//! the jurisdiction's cooling-off has passed. A newer loosening request replaces the
//! pending one and restarts the cooling-off.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A loosening change waiting for its cooling-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange<T> {
    /// The limit that will bind; `None` removes the limit.
    pub value: Option<T>,
    /// The change binds from this instant on (inclusive).
    pub effective_at: DateTime<Utc>,
}

/// One self-imposed limit: the value that binds now and the loosening change, if any,
/// that waits for its cooling-off. `LimitState` alone is a deposit limit in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitState<T = kernel::Amount> {
    /// The binding limit; `None` means no limit.
    pub active: Option<T>,
    pub pending: Option<PendingChange<T>>,
}

impl<T> Default for LimitState<T> {
    fn default() -> Self {
        Self { active: None, pending: None }
    }
}

impl<T: Ord + Copy> LimitState<T> {
    /// Applies the pending change if it is due (`now >= effective_at`). Returns whether
    /// anything changed, i.e. whether the state needs saving.
    pub fn settle(&mut self, now: DateTime<Utc>) -> bool {
        match self.pending {
            Some(p) if now >= p.effective_at => {
                *self = Self { active: p.value, pending: None };
                true
            }
            _ => false,
        }
    }

    /// This state as it stands at `now`.
    #[must_use]
    pub fn settled(mut self, now: DateTime<Utc>) -> Self {
        self.settle(now);
        self
    }

    /// The state after the player asks for `requested` (`None`: no limit) at `now`.
    #[must_use]
    pub fn request(self, requested: Option<T>, cooling_off: Duration, now: DateTime<Utc>) -> Self {
        let current = self.settled(now);
        let binds_at_once = match (current.active, requested) {
            (None, _) => true,
            (Some(active), Some(requested)) => requested <= active,
            (Some(_), None) => false,
        };
        if binds_at_once {
            Self { active: requested, pending: None }
        } else {
            let effective_at = crate::later_by(now, cooling_off);
            Self { active: current.active, pending: Some(PendingChange { value: requested, effective_at }) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_change_rule() {
        let day = Duration::hours(24);
        let pending = |value, at| Some(PendingChange { value, effective_at: at });
        let now = t0();
        let later = now + day;
        let none = LimitState::<u32>::default();
        let ten = LimitState { active: Some(10), pending: None };
        let ten_rising = LimitState { active: Some(10), pending: pending(Some(20), now + Duration::hours(1)) };
        // (state, requested, expected)
        let table = [
            (none, Some(10), LimitState { active: Some(10), pending: None }),
            (none, None, none),
            (ten, Some(5), LimitState { active: Some(5), pending: None }),
            (ten, Some(10), ten),
            (ten, Some(11), LimitState { active: Some(10), pending: pending(Some(11), later) }),
            (ten, None, LimitState { active: Some(10), pending: pending(None, later) }),
            (ten_rising, Some(5), LimitState { active: Some(5), pending: None }),
            (ten_rising, Some(10), ten),
            (ten_rising, Some(30), LimitState { active: Some(10), pending: pending(Some(30), later) }),
            (ten_rising, None, LimitState { active: Some(10), pending: pending(None, later) }),
        ];
        for (i, (state, requested, expected)) in table.into_iter().enumerate() {
            assert_eq!(state.request(requested, day, now), expected, "case {i}");
        }
    }

    #[test]
    fn a_due_change_is_settled_before_the_next_request_is_judged() {
        let now = t0();
        let removed =
            LimitState { active: Some(10u32), pending: Some(PendingChange { value: None, effective_at: now }) };
        // The removal is due, so 50 is a first limit and binds at once.
        assert_eq!(removed.request(Some(50), Duration::hours(24), now), LimitState { active: Some(50), pending: None });
    }

    #[test]
    fn settle_is_exact_to_the_instant() {
        let at = t0();
        let state =
            LimitState { active: Some(10u32), pending: Some(PendingChange { value: Some(20), effective_at: at }) };
        let mut before = state;
        assert!(!before.settle(at - Duration::nanoseconds(1)));
        assert_eq!(before, state);
        let mut due = state;
        assert!(due.settle(at));
        assert_eq!(due, LimitState { active: Some(20), pending: None });
        assert!(!due.settle(at + Duration::days(1)));
    }

    #[test]
    fn a_cooling_off_beyond_representable_time_saturates() {
        let state = LimitState { active: Some(1u32), pending: None };
        let out = state.request(Some(2), Duration::MAX, t0());
        assert_eq!(out.pending.map(|p| p.effective_at), Some(DateTime::<Utc>::MAX_UTC));
    }
}
