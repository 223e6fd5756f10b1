//! Session-time limits and reality checks.
//!
//! Both settings follow the deposit-limit rule ([`LimitState`]): a lower daily limit or
//! a shorter reality-check interval binds at once; a higher one, a longer one or a
//! removal waits for the jurisdiction's cooling-off.

use crate::RgError;
use crate::jurisdiction::JurisdictionProfile;
use crate::limit::LimitState;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize};

macro_rules! minutes {
    ($(#[$meta:meta])* $name:ident for $field:literal, max $max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        impl $name {
            pub const MAX: u32 = $max;

            pub fn new(minutes: u32) -> Result<Self, RgError> {
                if (1..=$max).contains(&minutes) {
                    Ok(Self(minutes))
                } else {
                    Err(RgError::Invalid { field: $field, message: format!("must be between 1 and {} minutes", $max) })
                }
            }

            pub const fn minutes(self) -> u32 {
                self.0
            }

            pub fn duration(self) -> Duration {
                Duration::minutes(i64::from(self.0))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(u32::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

minutes! {
    /// A daily session-time limit: 1 to 1440 minutes of play per day.
    DailyMinutes for "daily_minutes", max 1440
}

minutes! {
    /// How often a reality check interrupts play: every 1 to 240 minutes.
    RealityCheckMinutes for "reality_check_minutes", max 240
}

/// A player's session-time limit and reality-check interval, each with its pending
/// loosening change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLimits {
    pub daily_minutes: LimitState<DailyMinutes>,
    pub reality_check_minutes: LimitState<RealityCheckMinutes>,
}

impl SessionLimits {
    /// Applies the pending changes due at `now`; returns whether any was.
    pub fn settle(&mut self, now: DateTime<Utc>) -> bool {
        let daily = self.daily_minutes.settle(now);
        self.reality_check_minutes.settle(now) | daily
    }

    #[must_use]
    pub fn settled(mut self, now: DateTime<Utc>) -> Self {
        self.settle(now);
        self
    }
}

/// `POST /responsible-gaming/session-limits` as a command. For each field: absent
/// leaves the setting as it is, `null` removes it, a number sets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct SessionLimitsRequest {
    #[serde(default, deserialize_with = "present")]
    pub daily_minutes: Option<Option<DailyMinutes>>,
    #[serde(default, deserialize_with = "present")]
    pub reality_check_minutes: Option<Option<RealityCheckMinutes>>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The session limits after `request` at `now`; see the module docs for the rule.
pub fn change_session_limits(
    current: &SessionLimits,
    request: SessionLimitsRequest,
    profile: &JurisdictionProfile,
    now: DateTime<Utc>,
) -> SessionLimits {
    let cooling_off = profile.limit_increase_cooling_off;
    let mut out = current.settled(now);
    if let Some(daily) = request.daily_minutes {
        out.daily_minutes = out.daily_minutes.request(daily, cooling_off, now);
    }
    if let Some(interval) = request.reality_check_minutes {
        out.reality_check_minutes = out.reality_check_minutes.request(interval, cooling_off, now);
    }
    out
}

/// Refuses a bet once the player has played their daily limit: the limit is reached
/// when `minutes_played_today >= limit`. Pass settled limits; "today" is the app's.
pub fn check_session_time(minutes_played_today: u32, limits: &SessionLimits) -> Result<(), RgError> {
    match limits.daily_minutes.active {
        Some(limit) if minutes_played_today >= limit.minutes() => {
            Err(RgError::SessionTimeExceeded { limit: limit.minutes() })
        }
        _ => Ok(()),
    }
}

/// A reality check is due once `interval` has passed (inclusive) since the later of
/// the last check shown and the start of the session.
pub fn reality_check_due(
    last_shown_at: Option<DateTime<Utc>>,
    session_started_at: DateTime<Utc>,
    interval: RealityCheckMinutes,
    now: DateTime<Utc>,
) -> bool {
    let since = last_shown_at.map_or(session_started_at, |shown| shown.max(session_started_at));
    now.signed_duration_since(since) >= interval.duration()
}

/// The figures a reality check shows; money in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealityCheck {
    /// Whole minutes since the session started.
    pub session_minutes: i64,
    pub wagered: i64,
    pub won: i64,
    /// `won - wagered`: negative when the player is down.
    pub net_position: i64,
}

impl RealityCheck {
    pub fn new(session_started_at: DateTime<Utc>, now: DateTime<Utc>, wagered: i64, won: i64) -> Self {
        Self {
            session_minutes: now.signed_duration_since(session_started_at).num_minutes().max(0),
            wagered,
            won,
            net_position: won.saturating_sub(wagered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PendingChange, Profiles};
    use chrono::TimeZone;
    use kernel::Clock;
    use kernel::testkit::ManualClock;

    fn clock() -> ManualClock {
        ManualClock::starting_at(Utc.with_ymd_and_hms(2026, 4, 2, 18, 0, 0).unwrap())
    }

    fn daily(m: u32) -> DailyMinutes {
        DailyMinutes::new(m).unwrap()
    }

    fn every(m: u32) -> RealityCheckMinutes {
        RealityCheckMinutes::new(m).unwrap()
    }

    #[test]
    fn minutes_are_bounded() {
        for (m, ok) in [(0, false), (1, true), (1440, true), (1441, false)] {
            assert_eq!(DailyMinutes::new(m).is_ok(), ok, "{m}");
        }
        for (m, ok) in [(0, false), (1, true), (240, true), (241, false)] {
            assert_eq!(RealityCheckMinutes::new(m).is_ok(), ok, "{m}");
        }
        let err = RealityCheckMinutes::new(300).unwrap_err();
        assert_eq!((err.code(), err.to_string().starts_with("reality_check_minutes")), ("validation_error", true));
    }

    #[test]
    fn the_request_tells_absent_from_null() {
        let parse = |j: &str| serde_json::from_str::<SessionLimitsRequest>(j);
        assert_eq!(parse("{}").unwrap(), SessionLimitsRequest::default());
        assert_eq!(
            parse(r#"{"daily_minutes": 90, "reality_check_minutes": null}"#).unwrap(),
            SessionLimitsRequest { daily_minutes: Some(Some(daily(90))), reality_check_minutes: Some(None) }
        );
        assert!(parse(r#"{"daily_minutes": 0}"#).is_err());
        assert!(parse(r#"{"reality_check_minutes": 241}"#).is_err());
        assert!(parse(r#"{"daily_minutes": -5}"#).is_err());
    }

    #[test]
    fn stricter_session_limits_bind_at_once_looser_ones_after_the_cooling_off() {
        let clock = clock();
        let se = Profiles::defaults().for_country("SE").clone();
        let set = |limits: &SessionLimits, d, r, now| {
            change_session_limits(limits, SessionLimitsRequest { daily_minutes: d, reality_check_minutes: r }, &se, now)
        };
        let first = set(&SessionLimits::default(), Some(Some(daily(120))), Some(Some(every(30))), clock.now());
        assert_eq!(first.daily_minutes, LimitState { active: Some(daily(120)), pending: None });
        assert_eq!(first.reality_check_minutes, LimitState { active: Some(every(30)), pending: None });

        // Fewer minutes of play and more frequent checks are stricter: at once.
        let stricter = set(&first, Some(Some(daily(60))), Some(Some(every(15))), clock.now());
        assert_eq!(
            (stricter.daily_minutes.active, stricter.reality_check_minutes.active),
            (Some(daily(60)), Some(every(15)))
        );

        // More play, rarer checks, or none: after 72 h in SE. An absent field is untouched.
        let looser = set(&stricter, Some(None), None, clock.now());
        let effective_at = clock.now() + Duration::hours(72);
        assert_eq!(looser.daily_minutes.pending, Some(PendingChange { value: None, effective_at }));
        assert_eq!(looser.reality_check_minutes, stricter.reality_check_minutes);
        let looser = set(&looser, None, Some(Some(every(60))), clock.now());
        clock.advance(Duration::hours(72) - Duration::seconds(1));
        let before = looser.settled(clock.now());
        assert_eq!(
            (before.daily_minutes.active, before.reality_check_minutes.active),
            (Some(daily(60)), Some(every(15)))
        );
        assert_eq!(check_session_time(60, &before), Err(RgError::SessionTimeExceeded { limit: 60 }));
        clock.advance(Duration::seconds(1));
        let mut after = looser;
        assert!(after.settle(clock.now()));
        assert_eq!((after.daily_minutes.active, after.reality_check_minutes.active), (None, Some(every(60))));
        assert_eq!(check_session_time(1_000, &after), Ok(()));
    }

    #[test]
    fn session_time_is_refused_once_the_limit_is_reached() {
        let limits = SessionLimits {
            daily_minutes: LimitState { active: Some(daily(45)), pending: None },
            ..SessionLimits::default()
        };
        assert_eq!(check_session_time(44, &limits), Ok(()));
        assert_eq!(check_session_time(45, &limits), Err(RgError::SessionTimeExceeded { limit: 45 }));
        assert_eq!(check_session_time(u32::MAX, &SessionLimits::default()), Ok(()));
    }

    #[test]
    fn a_reality_check_is_due_exactly_at_the_interval() {
        let clock = clock();
        let started = clock.now();
        let interval = every(30);
        clock.advance(Duration::minutes(30) - Duration::seconds(1));
        assert!(!reality_check_due(None, started, interval, clock.now()));
        clock.advance(Duration::seconds(1));
        assert!(reality_check_due(None, started, interval, clock.now()));

        // Shown now: the next one is due one interval later.
        let shown = clock.now();
        assert!(!reality_check_due(Some(shown), started, interval, clock.now()));
        clock.advance(Duration::minutes(30) - Duration::seconds(1));
        assert!(!reality_check_due(Some(shown), started, interval, clock.now()));
        clock.advance(Duration::seconds(1));
        assert!(reality_check_due(Some(shown), started, interval, clock.now()));

        // A check shown in an earlier session does not count against a new one.
        let new_session = clock.now();
        clock.advance(Duration::minutes(29));
        assert!(!reality_check_due(Some(shown), new_session, interval, clock.now()));
        clock.advance(Duration::minutes(1));
        assert!(reality_check_due(Some(shown), new_session, interval, clock.now()));
    }

    #[test]
    fn reality_check_figures() {
        let clock = clock();
        let started = clock.now();
        clock.advance(Duration::minutes(95) + Duration::seconds(59));
        let check = RealityCheck::new(started, clock.now(), 12_000, 7_550);
        assert_eq!(check, RealityCheck { session_minutes: 95, wagered: 12_000, won: 7_550, net_position: -4_450 });
        let json = serde_json::to_value(check).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"session_minutes": 95, "wagered": 12000, "won": 7550, "net_position": -4450})
        );
    }
}
