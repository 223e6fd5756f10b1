//! Which protective measures a player has in place, for the staff's overview.

use crate::RgSettings;
use chrono::{DateTime, Utc};
use kernel::AccountId;

text_enum! {
    /// A kind of measure the staff list players by.
    pub enum Measure for "kind" {
        /// A loosening change (a raised or removed deposit or session limit) waiting for
        /// its cooling-off.
        Pending = "pending",
        /// A time-out or self-exclusion in force.
        Exclusion = "exclusion",
        /// A deposit limit in force.
        DepositLimit = "deposit_limit",
        /// A daily session-time limit or reality-check interval in force.
        SessionLimit = "session_limit",
    }
}

impl RgSettings {
    /// Whether the settings, as they stand at `now`, hold `measure`; with `None`, any.
    pub fn holds(&self, measure: Option<Measure>, now: DateTime<Utc>) -> bool {
        let mut s = *self;
        s.settle(now);
        let l = &s.limits;
        let deposit = [l.daily, l.weekly, l.monthly];
        let session = &s.session_limits;
        let pending = deposit.iter().any(|x| x.pending.is_some())
            || session.daily_minutes.pending.is_some()
            || session.reality_check_minutes.pending.is_some();
        let excluded = s.exclusion.is_some_and(|e| e.is_active(now));
        let deposit_limit = deposit.iter().any(|x| x.active.is_some());
        let session_limit = session.daily_minutes.active.is_some() || session.reality_check_minutes.active.is_some();
        match measure {
            Some(Measure::Pending) => pending,
            Some(Measure::Exclusion) => excluded,
            Some(Measure::DepositLimit) => deposit_limit,
            Some(Measure::SessionLimit) => session_limit,
            None => pending || excluded || deposit_limit || session_limit,
        }
    }
}

/// A player's stored responsible-gaming settings, and who the player is.
#[derive(Debug, Clone, PartialEq)]
pub struct RgRecord {
    pub player: AccountId,
    pub username: String,
    pub country: String,
    pub currency: String,
    pub settings: RgSettings,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ExclusionRequest, LimitPeriod, Profiles, SessionLimitsRequest, change_limit, change_session_limits,
        request_exclusion,
    };
    use chrono::Duration;
    use kernel::Amount;

    #[test]
    fn each_measure_is_held_while_in_force() {
        let now = DateTime::parse_from_rfc3339("2026-05-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let profiles = Profiles::defaults();
        let gb = profiles.for_country("GB");
        let none = RgSettings::default();
        assert!(!none.holds(None, now));
        assert!(Measure::ALL.iter().all(|m| !none.holds(Some(*m), now)));

        let mut limited = RgSettings::default();
        limited.limits =
            change_limit(&limited.limits, LimitPeriod::Daily, Some(Amount::new(5_000).unwrap()), gb, now).unwrap();
        assert!(limited.holds(Some(Measure::DepositLimit), now) && !limited.holds(Some(Measure::Pending), now));
        // A raise waits 24 h in GB: pending until then, applied after.
        limited.limits =
            change_limit(&limited.limits, LimitPeriod::Daily, Some(Amount::new(9_000).unwrap()), gb, now).unwrap();
        assert!(limited.holds(Some(Measure::Pending), now));
        assert!(!limited.holds(Some(Measure::Pending), now + Duration::hours(25)));
        assert!(limited.holds(None, now + Duration::hours(25)));

        let mut session = RgSettings::default();
        let request: SessionLimitsRequest = serde_json::from_str(r#"{"daily_minutes": 60}"#).unwrap();
        session.session_limits = change_session_limits(&session.session_limits, request, gb, now);
        assert!(session.holds(Some(Measure::SessionLimit), now) && !session.holds(Some(Measure::Exclusion), now));

        let mut excluded = RgSettings::default();
        let timeout = ExclusionRequest::parse("timeout", "24_hours").unwrap();
        excluded.exclusion = Some(request_exclusion(None, timeout, gb, now).unwrap());
        assert!(excluded.holds(Some(Measure::Exclusion), now));
        assert!(!excluded.holds(Some(Measure::Exclusion), now + Duration::days(2)), "a time-out ends");
        assert_eq!(Measure::parse("exclusion").unwrap(), Measure::Exclusion);
        assert!(Measure::parse("everything").is_err());
    }
}
