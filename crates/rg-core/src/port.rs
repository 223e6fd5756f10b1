//! A player's responsible-gaming settings and the port that stores them.

use crate::RgError;
use crate::exclusion::{Exclusion, check_not_excluded};
use crate::jurisdiction::JurisdictionProfile;
use crate::limits::{DepositLimits, DepositUsage, check_deposit};
use crate::session::{SessionLimits, check_session_time, reality_check_due};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Amount};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// Everything responsible gaming keeps per player. A player with nothing stored has
/// the default: no limits, no exclusion, no reality check shown yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RgSettings {
    pub limits: DepositLimits,
    pub exclusion: Option<Exclusion>,
    pub session_limits: SessionLimits,
    pub last_reality_check_at: Option<DateTime<Utc>>,
}

impl RgSettings {
    /// Applies every pending limit change due at `now`; returns whether any was (and
    /// the settings should be saved).
    pub fn settle(&mut self, now: DateTime<Utc>) -> bool {
        let deposits = self.limits.settle(now);
        self.session_limits.settle(now) | deposits
    }

    /// Whether a deposit of `amount` at `now` may go ahead: no active exclusion, and
    /// within every binding deposit limit given what was deposited (`usage`).
    pub fn check_deposit(
        &self,
        profile: &JurisdictionProfile,
        usage: DepositUsage,
        amount: Amount,
        now: DateTime<Utc>,
    ) -> Result<(), RgError> {
        check_not_excluded(self.exclusion.as_ref(), now)?;
        check_deposit(&self.limits.settled(now), profile, usage, amount)
    }

    /// Whether [`check_bet`](Self::check_bet) reads its `minutes_played_today`: only
    /// while a daily session-time limit is in force (so a caller may skip counting).
    pub fn limits_play_time(&self, now: DateTime<Utc>) -> bool {
        self.session_limits.settled(now).daily_minutes.active.is_some()
    }

    /// Whether a bet at `now` may go ahead: no active exclusion, and the daily session
    /// time not yet reached.
    pub fn check_bet(&self, minutes_played_today: u32, now: DateTime<Utc>) -> Result<(), RgError> {
        check_not_excluded(self.exclusion.as_ref(), now)?;
        check_session_time(minutes_played_today, &self.session_limits.settled(now))
    }

    /// Whether the player, in a session started at `session_started_at`, is due a
    /// reality check at `now` (never, without an interval).
    pub fn reality_check_due(&self, session_started_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.session_limits
            .settled(now)
            .reality_check_minutes
            .active
            .is_some_and(|interval| reality_check_due(self.last_reality_check_at, session_started_at, interval, now))
    }
}

pub use kernel::StoreError;

/// Where players' [`RgSettings`] live.
///
/// Every implementation MUST return exactly what was last saved for the player (every
/// field, pending changes included, timestamps to the microsecond) and keep players
/// apart. `StoreError` MUST mean only that the store failed, never a business outcome.
pub trait RgRepository: Send + Sync {
    /// The player's settings; [`RgSettings::default`] when none were saved.
    fn load(&self, player_id: AccountId) -> impl Future<Output = Result<RgSettings, StoreError>> + Send;

    /// Replaces the player's settings as a whole: all fields are written or none.
    fn save(&self, player_id: AccountId, settings: RgSettings) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExclusionRequest, LimitPeriod, Profiles, SessionLimitsRequest, change_limit, change_session_limits};
    use crate::{RealityCheckMinutes, SelfExclusionDuration, request_exclusion};
    use chrono::{Duration, TimeZone};
    use kernel::Clock;
    use kernel::testkit::ManualClock;

    #[test]
    fn the_settings_guard_deposits_and_bets() {
        let clock = ManualClock::starting_at(Utc.with_ymd_and_hms(2026, 5, 5, 20, 0, 0).unwrap());
        let de = Profiles::defaults().for_country("DE").clone();
        let mut s = RgSettings::default();
        let usage = DepositUsage { daily: 0, weekly: 0, monthly: 99_000 };
        assert_eq!(s.check_deposit(&de, usage, Amount::new(1_000).unwrap(), clock.now()), Ok(()));
        assert_eq!(
            s.check_deposit(&de, usage, Amount::new(1_001).unwrap(), clock.now()).unwrap_err().code(),
            "limit_exceeded"
        );
        assert_eq!(s.check_bet(10_000, clock.now()), Ok(()));
        assert!(!s.reality_check_due(clock.now() - Duration::days(1), clock.now()));

        let request = SessionLimitsRequest {
            daily_minutes: None,
            reality_check_minutes: Some(RealityCheckMinutes::new(20).ok()),
        };
        s.session_limits = change_session_limits(&s.session_limits, request, &de, clock.now());
        let started = clock.now();
        clock.advance(Duration::minutes(20));
        assert!(s.reality_check_due(started, clock.now()));
        s.last_reality_check_at = Some(clock.now());
        assert!(!s.reality_check_due(started, clock.now()));

        s.limits = change_limit(&s.limits, LimitPeriod::Monthly, Amount::new(50_000).ok(), &de, clock.now()).unwrap();
        s.limits = change_limit(&s.limits, LimitPeriod::Monthly, Amount::new(60_000).ok(), &de, clock.now()).unwrap();
        clock.advance(Duration::days(7));
        assert!(s.settle(clock.now()));
        assert!(!s.settle(clock.now()));
        assert_eq!(s.limits.monthly.active, Amount::new(60_000).ok());

        let request = ExclusionRequest::SelfExclusion(SelfExclusionDuration::ThreeMonths);
        s.exclusion = Some(request_exclusion(s.exclusion.as_ref(), request, &de, clock.now()).unwrap());
        let small = Amount::new(1).unwrap();
        assert_eq!(
            s.check_deposit(&de, DepositUsage::default(), small, clock.now()).unwrap_err().code(),
            "self_excluded"
        );
        assert_eq!(s.check_bet(0, clock.now()).unwrap_err().code(), "self_excluded");
        clock.advance(Duration::days(90));
        assert_eq!(s.check_bet(0, clock.now()), Ok(()));
    }

    #[test]
    fn settings_round_trip_through_json() {
        let now = Utc.with_ymd_and_hms(2026, 5, 5, 20, 0, 0).unwrap();
        let gb = Profiles::defaults().for_country("GB").clone();
        let mut s = RgSettings::default();
        s.limits = change_limit(&s.limits, LimitPeriod::Daily, Amount::new(10).ok(), &gb, now).unwrap();
        s.limits = change_limit(&s.limits, LimitPeriod::Daily, None, &gb, now).unwrap();
        let request = ExclusionRequest::SelfExclusion(SelfExclusionDuration::Permanent);
        s.exclusion = Some(request_exclusion(None, request, &gb, now).unwrap());
        s.last_reality_check_at = Some(now);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<RgSettings>(&json).unwrap(), s);
    }
}
