//! Time-outs and self-exclusions. Once started, nothing shortens or lifts one early:
//! a new request can only extend it (or turn a time-out into a self-exclusion).

use crate::RgError;
use crate::jurisdiction::JurisdictionProfile;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

text_enum! {
    /// A time-out ("take a break") or a self-exclusion. Both block deposits, game
    /// launches and bets while active; a self-exclusion is the stronger of the two.
    pub enum ExclusionKind for "kind" {
        Timeout = "timeout",
        SelfExclusion = "self_exclusion",
    }
}

text_enum! {
    /// How long a time-out lasts.
    pub enum TimeoutDuration for "duration" {
        /// 24 hours.
        Hours24 = "24_hours",
        /// 7 days.
        Days7 = "7_days",
        /// 30 days.
        Days30 = "30_days",
        /// 6 weeks (42 days).
        Weeks6 = "6_weeks",
    }
}

impl TimeoutDuration {
    pub fn length(self) -> Duration {
        match self {
            TimeoutDuration::Hours24 => Duration::hours(24),
            TimeoutDuration::Days7 => Duration::days(7),
            TimeoutDuration::Days30 => Duration::days(30),
            TimeoutDuration::Weeks6 => Duration::weeks(6),
        }
    }
}

text_enum! {
    /// How long a self-exclusion lasts; ordered from shortest to permanent.
    pub enum SelfExclusionDuration for "duration" {
        /// 30 days.
        OneMonth = "1_month",
        /// 90 days.
        ThreeMonths = "3_months",
        /// 182 days.
        SixMonths = "6_months",
        /// 365 days.
        OneYear = "1_year",
        /// 1826 days.
        FiveYears = "5_years",
        /// Never ends.
        Permanent = "permanent",
    }
}

impl SelfExclusionDuration {
    /// `None` for [`SelfExclusionDuration::Permanent`].
    pub fn length(self) -> Option<Duration> {
        let days = match self {
            SelfExclusionDuration::OneMonth => 30,
            SelfExclusionDuration::ThreeMonths => 90,
            SelfExclusionDuration::SixMonths => 182,
            SelfExclusionDuration::OneYear => 365,
            SelfExclusionDuration::FiveYears => 1826,
            SelfExclusionDuration::Permanent => return None,
        };
        Some(Duration::days(days))
    }
}

/// What a player asks for: `{"kind": "timeout", "duration": "24_hours"}` or
/// `{"kind": "self_exclusion", "duration": "6_months"}`. Only matching pairs exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "duration", rename_all = "snake_case")]
pub enum ExclusionRequest {
    Timeout(TimeoutDuration),
    SelfExclusion(SelfExclusionDuration),
}

impl ExclusionRequest {
    /// Parses the two words of the request body.
    pub fn parse(kind: &str, duration: &str) -> Result<Self, RgError> {
        Ok(match ExclusionKind::parse(kind)? {
            ExclusionKind::Timeout => Self::Timeout(TimeoutDuration::parse(duration)?),
            ExclusionKind::SelfExclusion => Self::SelfExclusion(SelfExclusionDuration::parse(duration)?),
        })
    }

    pub fn kind(self) -> ExclusionKind {
        match self {
            Self::Timeout(_) => ExclusionKind::Timeout,
            Self::SelfExclusion(_) => ExclusionKind::SelfExclusion,
        }
    }

    /// `None` for a permanent self-exclusion.
    pub fn length(self) -> Option<Duration> {
        match self {
            Self::Timeout(d) => Some(d.length()),
            Self::SelfExclusion(d) => d.length(),
        }
    }
}

/// A time-out or self-exclusion, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub kind: ExclusionKind,
    /// When the player was first excluded without a break (extensions keep it).
    pub started_at: DateTime<Utc>,
    /// The first instant the player may play again; `None` means never (permanent).
    pub ends_at: Option<DateTime<Utc>>,
}

impl Exclusion {
    /// Active from `started_at` up to, not including, `ends_at`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_none_or(|end| now < end)
    }
}

/// The exclusion that results from `request` at `now`, given the player's `current` one.
///
/// A self-exclusion shorter than the jurisdiction's minimum is refused
/// ([`RgError::RuleViolation`]). Otherwise the result never ends before the current
/// exclusion: its end is the later of the two (permanent wins), and it is a
/// self-exclusion if either is. Asking for less than what is already in force is not
/// an error; the result is then the current exclusion unchanged.
pub fn request_exclusion(
    current: Option<&Exclusion>,
    request: ExclusionRequest,
    profile: &JurisdictionProfile,
    now: DateTime<Utc>,
) -> Result<Exclusion, RgError> {
    if let ExclusionRequest::SelfExclusion(duration) = request
        && duration < profile.min_self_exclusion
    {
        return Err(RgError::RuleViolation(format!(
            "a self-exclusion in jurisdiction {} must last at least {}; {} was requested",
            profile.code, profile.min_self_exclusion, duration
        )));
    }
    let requested =
        Exclusion { kind: request.kind(), started_at: now, ends_at: request.length().map(|l| crate::later_by(now, l)) };
    let Some(current) = current.filter(|c| c.is_active(now)) else {
        return Ok(requested);
    };
    let ends_at = match (current.ends_at, requested.ends_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    Ok(Exclusion { kind: current.kind.max(requested.kind), started_at: current.started_at, ends_at })
}

/// Refuses with [`RgError::SelfExcluded`] while `exclusion` is active: no deposits,
/// no game launch, no bets. Withdrawals do not ask.
pub fn check_not_excluded(exclusion: Option<&Exclusion>, now: DateTime<Utc>) -> Result<(), RgError> {
    match exclusion {
        Some(e) if e.is_active(now) => Err(RgError::SelfExcluded { kind: e.kind, until: e.ends_at }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profiles;
    use ExclusionRequest::{SelfExclusion, Timeout};
    use SelfExclusionDuration::*;
    use TimeoutDuration::*;
    use chrono::TimeZone;
    use kernel::Clock;
    use kernel::testkit::ManualClock;

    fn clock() -> ManualClock {
        ManualClock::starting_at(Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap())
    }

    fn gb() -> JurisdictionProfile {
        Profiles::defaults().for_country("GB").clone()
    }

    #[test]
    fn durations_parse_from_their_exact_words() {
        let timeouts = [("24_hours", 1), ("7_days", 7), ("30_days", 30), ("6_weeks", 42)];
        for (word, days) in timeouts {
            let d = TimeoutDuration::parse(word).unwrap();
            assert_eq!((d.as_str(), d.length()), (word, Duration::days(days)));
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{word}\""));
            assert_eq!(serde_json::from_str::<TimeoutDuration>(&format!("\"{word}\"")).unwrap(), d);
        }
        let exclusions =
            [("1_month", Some(30)), ("3_months", Some(90)), ("6_months", Some(182)), ("1_year", Some(365))]
                .into_iter()
                .chain([("5_years", Some(1826)), ("permanent", None)]);
        for (word, days) in exclusions {
            let d: SelfExclusionDuration = word.parse().unwrap();
            assert_eq!((d.to_string().as_str(), d.length()), (word, days.map(Duration::days)));
        }
        for bad in ["24 hours", "24_HOURS", "1_day", "", "6_months"] {
            let err = TimeoutDuration::parse(bad).unwrap_err();
            assert_eq!(err.code(), "validation_error", "{bad}");
        }
        assert!(SelfExclusionDuration::parse("7_days").is_err());
        assert!(serde_json::from_str::<SelfExclusionDuration>("\"2_years\"").is_err());
    }

    #[test]
    fn self_exclusion_durations_are_ordered_by_length() {
        let lengths: Vec<_> = SelfExclusionDuration::ALL.iter().map(|d| d.length().unwrap_or(Duration::MAX)).collect();
        assert!(lengths.windows(2).all(|w| w[0] < w[1]), "{lengths:?}");
    }

    #[test]
    fn requests_pair_a_kind_with_its_own_durations() {
        assert_eq!(ExclusionRequest::parse("timeout", "7_days").unwrap(), Timeout(Days7));
        assert_eq!(ExclusionRequest::parse("self_exclusion", "permanent").unwrap(), SelfExclusion(Permanent));
        assert!(ExclusionRequest::parse("timeout", "permanent").is_err());
        assert!(ExclusionRequest::parse("self_exclusion", "24_hours").is_err());
        assert!(ExclusionRequest::parse("cool_off", "24_hours").is_err());
        let body: ExclusionRequest = serde_json::from_str(r#"{"kind":"self_exclusion","duration":"1_year"}"#).unwrap();
        assert_eq!(body, SelfExclusion(OneYear));
        assert!(serde_json::from_str::<ExclusionRequest>(r#"{"kind":"timeout","duration":"1_year"}"#).is_err());
        assert_eq!(serde_json::to_string(&Timeout(Weeks6)).unwrap(), r#"{"kind":"timeout","duration":"6_weeks"}"#);
    }

    #[test]
    fn a_time_out_blocks_until_exactly_its_end() {
        let clock = clock();
        let start = clock.now();
        let e = request_exclusion(None, Timeout(Hours24), &gb(), start).unwrap();
        assert_eq!(
            e,
            Exclusion { kind: ExclusionKind::Timeout, started_at: start, ends_at: Some(start + Duration::days(1)) }
        );
        clock.advance(Duration::days(1) - Duration::seconds(1));
        assert!(e.is_active(clock.now()));
        assert_eq!(
            check_not_excluded(Some(&e), clock.now()),
            Err(RgError::SelfExcluded { kind: ExclusionKind::Timeout, until: e.ends_at })
        );
        clock.advance(Duration::seconds(1));
        assert!(!e.is_active(clock.now()));
        assert_eq!(check_not_excluded(Some(&e), clock.now()), Ok(()));
        assert_eq!(check_not_excluded(None, clock.now()), Ok(()));
    }

    #[test]
    fn an_exclusion_cannot_be_shortened() {
        let clock = clock();
        let profile = gb();
        let year = request_exclusion(None, SelfExclusion(OneYear), &profile, clock.now()).unwrap();
        let end = year.ends_at;
        clock.advance(Duration::days(10));
        // A shorter self-exclusion or a time-out asked for later keeps the longer end.
        for shorter in [SelfExclusion(SixMonths), Timeout(Hours24), Timeout(Weeks6)] {
            let out = request_exclusion(Some(&year), shorter, &profile, clock.now()).unwrap();
            assert_eq!(out, year, "{shorter:?}");
        }
        // A longer one extends it, from now, and keeps when it started.
        let five = request_exclusion(Some(&year), SelfExclusion(FiveYears), &profile, clock.now()).unwrap();
        assert_eq!(five.started_at, year.started_at);
        assert_eq!(five.ends_at, Some(clock.now() + Duration::days(1826)));
        assert!(five.ends_at > end);
        // An expired one no longer counts: a new request starts afresh.
        clock.advance(Duration::days(1826));
        let fresh = request_exclusion(Some(&five), Timeout(Hours24), &profile, clock.now()).unwrap();
        assert_eq!(fresh.kind, ExclusionKind::Timeout);
        assert_eq!((fresh.started_at, fresh.ends_at), (clock.now(), Some(clock.now() + Duration::days(1))));
    }

    #[test]
    fn permanent_wins_and_never_ends() {
        let clock = clock();
        let profile = gb();
        let forever = request_exclusion(None, SelfExclusion(Permanent), &profile, clock.now()).unwrap();
        assert_eq!(forever.ends_at, None);
        for later in [SelfExclusion(FiveYears), Timeout(Days30)] {
            assert_eq!(request_exclusion(Some(&forever), later, &profile, clock.now()).unwrap(), forever);
        }
        let year = request_exclusion(None, SelfExclusion(OneYear), &profile, clock.now()).unwrap();
        let made_permanent = request_exclusion(Some(&year), SelfExclusion(Permanent), &profile, clock.now()).unwrap();
        assert_eq!(made_permanent.ends_at, None);
        clock.advance(Duration::days(365 * 200));
        assert!(forever.is_active(clock.now()));
        assert!(check_not_excluded(Some(&forever), clock.now()).is_err());
    }

    #[test]
    fn a_self_exclusion_during_a_time_out_turns_it_into_one() {
        let clock = clock();
        let profile = gb();
        let break_ = request_exclusion(None, Timeout(Weeks6), &profile, clock.now()).unwrap();
        clock.advance(Duration::days(1));
        let out = request_exclusion(Some(&break_), SelfExclusion(SixMonths), &profile, clock.now()).unwrap();
        assert_eq!(out.kind, ExclusionKind::SelfExclusion);
        assert_eq!(out.ends_at, Some(clock.now() + Duration::days(182)));
        // Even when the self-exclusion would end before the time-out: the kind hardens,
        // the end stays.
        let se = Profiles::defaults().for_country("SE").clone();
        let long_break = request_exclusion(None, Timeout(Weeks6), &se, clock.now()).unwrap();
        let out = request_exclusion(Some(&long_break), SelfExclusion(OneMonth), &se, clock.now()).unwrap();
        assert_eq!((out.kind, out.ends_at), (ExclusionKind::SelfExclusion, long_break.ends_at));
    }

    #[test]
    fn the_minimum_self_exclusion_follows_the_jurisdiction() {
        let profiles = Profiles::defaults();
        let now = clock().now();
        // (country, shortest allowed); everything shorter is refused.
        for (country, min) in
            [("GB", SixMonths), ("SE", OneMonth), ("DE", ThreeMonths), ("MT", SixMonths), ("FR", SixMonths)]
        {
            let profile = profiles.for_country(country);
            for &d in SelfExclusionDuration::ALL {
                let out = request_exclusion(None, SelfExclusion(d), profile, now);
                if d < min {
                    let err = out.unwrap_err();
                    assert_eq!(err.code(), "rule_violation", "{country} {d}");
                    assert!(err.to_string().contains(min.as_str()), "{err}");
                } else {
                    assert_eq!(out.unwrap().kind, ExclusionKind::SelfExclusion, "{country} {d}");
                }
            }
            // A time-out has no minimum.
            assert!(request_exclusion(None, Timeout(Hours24), profile, now).is_ok());
        }
        // A refused request does not touch the current exclusion either: the caller
        // keeps what it had.
        let gb = profiles.for_country("GB");
        let current = request_exclusion(None, Timeout(Hours24), gb, now).unwrap();
        assert!(request_exclusion(Some(&current), SelfExclusion(OneMonth), gb, now).is_err());
    }
}
