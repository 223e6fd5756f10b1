//! A change a player asks of their own settings, decided on the settings as stored.

use crate::RgError;
use crate::exclusion::{Exclusion, ExclusionRequest, request_exclusion};
use crate::jurisdiction::JurisdictionProfile;
use crate::limits::{LimitPeriod, change_limit};
use crate::port::RgSettings;
use crate::session::{SessionLimitsRequest, change_session_limits};
use chrono::{DateTime, Utc};
use kernel::Amount;

/// What a player asks of their own responsible-gaming settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgChange {
    /// Sets, lowers, raises or removes (`None`) the deposit limit of `period`.
    DepositLimit { period: LimitPeriod, amount: Option<Amount> },
    /// The daily session-time limit and the reality-check interval.
    SessionLimits(SessionLimitsRequest),
    /// A time-out or self-exclusion; it can only ever be extended.
    Exclusion(ExclusionRequest),
}

/// The settings after a change, due changes applied, and whether they are to be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RgChanged {
    pub settings: RgSettings,
    /// `false` only for an exclusion the one in force already covers (a shorter request
    /// keeps the longer exclusion): nothing is saved or recorded.
    pub save: bool,
}

/// What `change` does to the player's `stored` settings at `now`, by the rules of the
/// player's jurisdiction (`profile`): pending changes due are applied first, then the
/// change by [`change_limit`], [`change_session_limits`] or [`request_exclusion`].
pub fn change_settings(
    stored: RgSettings,
    change: RgChange,
    profile: &JurisdictionProfile,
    now: DateTime<Utc>,
) -> Result<RgChanged, RgError> {
    let mut settings = stored;
    settings.settle(now);
    match change {
        RgChange::DepositLimit { period, amount } => {
            settings.limits = change_limit(&settings.limits, period, amount, profile, now)?;
        }
        RgChange::SessionLimits(request) => {
            settings.session_limits = change_session_limits(&settings.session_limits, request, profile, now);
        }
        RgChange::Exclusion(request) => {
            let exclusion: Exclusion = request_exclusion(settings.exclusion.as_ref(), request, profile, now)?;
            if settings.exclusion == Some(exclusion) {
                return Ok(RgChanged { settings, save: false });
            }
            settings.exclusion = Some(exclusion);
        }
    }
    Ok(RgChanged { settings, save: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DailyMinutes, Profiles, SelfExclusionDuration, TimeoutDuration};
    use chrono::{Duration, TimeZone};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap()
    }

    fn mt() -> JurisdictionProfile {
        Profiles::defaults().for_country("MT").clone()
    }

    #[test]
    fn a_limit_change_applies_due_changes_first_and_is_saved() {
        let profile = mt();
        let daily = |amount| RgChange::DepositLimit { period: LimitPeriod::Daily, amount };
        let set = change_settings(RgSettings::default(), daily(Amount::new(5_000).ok()), &profile, at()).unwrap();
        assert!(set.save);
        assert_eq!(set.settings.limits.daily.active, Amount::new(5_000).ok());
        let removal = change_settings(set.settings, daily(None), &profile, at()).unwrap();
        assert_eq!(removal.settings.limits.daily.active, Amount::new(5_000).ok(), "a removal waits");
        let later = at() + Duration::days(30);
        let weekly = RgChange::DepositLimit { period: LimitPeriod::Weekly, amount: Amount::new(9_000).ok() };
        let next = change_settings(removal.settings, weekly, &profile, later).unwrap();
        assert_eq!((next.settings.limits.daily.active, next.settings.limits.daily.pending), (None, None));
        assert_eq!(next.settings.limits.weekly.active, Amount::new(9_000).ok());
    }

    #[test]
    fn session_limits_change_and_are_saved() {
        let request =
            SessionLimitsRequest { daily_minutes: Some(Some(DailyMinutes::new(60).unwrap())), ..Default::default() };
        let changed = change_settings(RgSettings::default(), RgChange::SessionLimits(request), &mt(), at()).unwrap();
        assert!(changed.save && changed.settings.limits_play_time(at()));
    }

    #[test]
    fn an_exclusion_is_recorded_once_and_only_ever_extended() {
        let profile = mt();
        let week = RgChange::Exclusion(ExclusionRequest::Timeout(TimeoutDuration::Days7));
        let first = change_settings(RgSettings::default(), week, &profile, at()).unwrap();
        assert!(first.save);
        let ends = first.settings.exclusion.and_then(|e| e.ends_at);
        assert_eq!(ends, Some(at() + Duration::days(7)));
        let day = RgChange::Exclusion(ExclusionRequest::Timeout(TimeoutDuration::Hours24));
        let shorter = change_settings(first.settings, day, &profile, at()).unwrap();
        assert!(!shorter.save, "the longer exclusion stands, nothing to record");
        assert_eq!(shorter.settings.exclusion, first.settings.exclusion);
        let too_short = ExclusionRequest::SelfExclusion(SelfExclusionDuration::SixMonths);
        let mut strict = profile.clone();
        strict.min_self_exclusion = SelfExclusionDuration::OneYear;
        let refused = change_settings(RgSettings::default(), RgChange::Exclusion(too_short), &strict, at());
        assert!(matches!(refused, Err(RgError::RuleViolation(_))));
    }
}
