//! Markers of harm: patterns of play that suggest a player is losing control, and the
//! graduated intervention they lead to. Each detector is a pure function over figures
//! the app already keeps; each threshold is a named constant.

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use kernel::AccountId;
use kernel::string_enum;
use serde_json::Value;
use uuid::Uuid;

string_enum!(
    /// A pattern of play associated with gambling harm.
    HarmMarker {
        RisingDepositFrequency = "rising_deposit_frequency",
        ChasingLosses = "chasing_losses",
        CancelledWithdrawals = "cancelled_withdrawals",
        LongSession = "long_session",
        LateNightSession = "late_night_session",
    }
);

/// Rising deposit frequency: deposits in the last 7 days are at least this many times
/// those of the 7 days before…
pub const RISING_DEPOSITS_FACTOR: u32 = 2;
/// … and at least this many, so that 1 → 2 deposits is not a marker.
pub const RISING_DEPOSITS_MIN: u32 = 4;

/// Deposits in the last 7 days at least [`RISING_DEPOSITS_FACTOR`] times those of the
/// previous 7 days, and at least [`RISING_DEPOSITS_MIN`].
pub fn rising_deposit_frequency(deposits_last_7d: u32, deposits_previous_7d: u32) -> bool {
    deposits_last_7d >= RISING_DEPOSITS_MIN
        && u64::from(deposits_last_7d) >= u64::from(deposits_previous_7d) * u64::from(RISING_DEPOSITS_FACTOR)
}

/// Chasing losses: a net loss today of at least 100.00 (minor units)…
pub const CHASING_MIN_NET_LOSS: i64 = 10_000;
/// … followed by a deposit within this long of the last round.
pub const CHASING_WINDOW: TimeDelta = TimeDelta::minutes(30);

/// A deposit at `deposit_at` within [`CHASING_WINDOW`] after the player's last round
/// (`last_round_at`), while their net position for the day (won − wagered, so a loss
/// is negative) shows a loss of at least [`CHASING_MIN_NET_LOSS`]. Both figures are
/// of the same day, so a loss of yesterday never counts.
pub fn chasing_losses(
    deposit_at: DateTime<Utc>,
    net_position_today: i64,
    last_round_at: Option<DateTime<Utc>>,
) -> bool {
    let lost_enough = net_position_today <= -CHASING_MIN_NET_LOSS;
    let soon_after = last_round_at.is_some_and(|round| {
        let since = deposit_at - round;
        since >= TimeDelta::zero() && since <= CHASING_WINDOW
    });
    lost_enough && soon_after
}

/// Cancelled withdrawals: at least this many withdrawals reversed or cancelled by the
/// player in the last 7 days (the money went back into play).
pub const CANCELLED_WITHDRAWALS_MIN: u32 = 2;

pub fn cancelled_withdrawals(cancelled_last_7d: u32) -> bool {
    cancelled_last_7d >= CANCELLED_WITHDRAWALS_MIN
}

/// Long session: a session lasting longer than this.
pub const LONG_SESSION: TimeDelta = TimeDelta::hours(3);

pub fn long_session(session_length: TimeDelta) -> bool {
    session_length > LONG_SESSION
}

/// Late-night play: from this local time (inclusive)…
pub const LATE_NIGHT_FROM: NaiveTime = NaiveTime::MIN;
/// … to this one (exclusive), in the jurisdiction's local time.
pub const LATE_NIGHT_UNTIL: NaiveTime = match NaiveTime::from_hms_opt(5, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// Play at `at` falls between 00:00 and 05:00 local time, where local time is UTC
/// shifted by `utc_offset_minutes` (e.g. `60` for CET, `-300` for EST).
pub fn late_night_session(at: DateTime<Utc>, utc_offset_minutes: i32) -> bool {
    let Some(local) = at.checked_add_signed(TimeDelta::minutes(i64::from(utc_offset_minutes))) else {
        return false;
    };
    let t = local.time();
    t >= LATE_NIGHT_FROM && t < LATE_NIGHT_UNTIL
}

string_enum!(
    /// What the operator does about markers of harm, gentlest first.
    Intervention {
        /// A safer-gambling message.
        Message = "message",
        /// A reality check the player must acknowledge before playing on.
        ForcedRealityCheck = "forced_reality_check",
        /// A suggestion to take a time-out.
        SuggestedTimeout = "suggested_timeout",
        /// A member of staff reviews the account and may contact the player.
        StaffReview = "staff_review",
    }
);

/// How far back markers count towards the intervention.
pub const INTERVENTION_LOOKBACK: TimeDelta = TimeDelta::days(30);

impl Intervention {
    /// The intervention for a player with `markers_last_30d` markers in the last
    /// [`INTERVENTION_LOOKBACK`] (including the one just detected): 1 → message,
    /// 2 → forced reality check, 3 → suggested time-out, 4 or more → staff review.
    pub const fn for_marker_count(markers_last_30d: usize) -> Option<Self> {
        match markers_last_30d {
            0 => None,
            1 => Some(Intervention::Message),
            2 => Some(Intervention::ForcedRealityCheck),
            3 => Some(Intervention::SuggestedTimeout),
            _ => Some(Intervention::StaffReview),
        }
    }

    /// The intervention given when each of the player's markers was detected: only
    /// those of the last [`INTERVENTION_LOOKBACK`] up to `now` count.
    pub fn for_markers(detected_at: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<Self> {
        let recent = detected_at.iter().filter(|t| **t <= now && now - **t < INTERVENTION_LOOKBACK).count();
        Self::for_marker_count(recent)
    }
}

/// A markers-of-harm alert with its intervention.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmAlert {
    pub id: Uuid,
    pub player_id: AccountId,
    pub marker: String,
    pub intervention: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    #[test]
    fn rising_deposit_frequency_needs_doubling_and_a_floor() {
        for (last, previous, expected) in [
            (4, 2, true),
            (4, 0, true),
            (3, 0, false),
            (3, 1, false),
            (6, 3, true),
            (5, 3, false),
            (10, 5, true),
            (9, 5, false),
            (u32::MAX, u32::MAX, false),
        ] {
            assert_eq!(rising_deposit_frequency(last, previous), expected, "{last} after {previous}");
        }
    }

    #[test]
    fn chasing_losses_needs_a_loss_and_a_quick_deposit() {
        let round = at("2025-06-15T20:00:00Z");
        let deposit = round + TimeDelta::minutes(10);
        assert!(chasing_losses(deposit, -10_000, Some(round)));
        assert!(!chasing_losses(deposit, -9_999, Some(round)), "a loss just under 100.00");
        assert!(!chasing_losses(deposit, 5_000, Some(round)), "a winning day");
        assert!(chasing_losses(round + CHASING_WINDOW, -10_000, Some(round)), "at 30 minutes");
        assert!(!chasing_losses(round + CHASING_WINDOW + TimeDelta::seconds(1), -10_000, Some(round)));
        assert!(!chasing_losses(round - TimeDelta::minutes(1), -10_000, Some(round)), "a deposit before the round");
        assert!(!chasing_losses(deposit, -10_000, None), "no round played");
    }

    #[test]
    fn cancelled_withdrawals_from_two() {
        assert!(!cancelled_withdrawals(1));
        assert!(cancelled_withdrawals(2));
    }

    #[test]
    fn long_session_beyond_three_hours() {
        assert!(!long_session(TimeDelta::hours(3)));
        assert!(long_session(TimeDelta::hours(3) + TimeDelta::seconds(1)));
        assert!(!long_session(TimeDelta::hours(3) - TimeDelta::seconds(1)));
    }

    #[test]
    fn late_night_in_local_time() {
        for (utc, offset, expected) in [
            ("2025-06-15T00:00:00Z", 0, true),
            ("2025-06-15T04:59:59Z", 0, true),
            ("2025-06-15T05:00:00Z", 0, false),
            ("2025-06-14T23:59:59Z", 0, false),
            // CEST (+2 h): 22:00 UTC is midnight, 03:00 UTC is 05:00.
            ("2025-06-14T22:00:00Z", 120, true),
            ("2025-06-14T21:59:59Z", 120, false),
            ("2025-06-15T03:00:00Z", 120, false),
            ("2025-06-15T02:59:59Z", 120, true),
            // EST (−5 h): 05:00 UTC is midnight.
            ("2025-06-15T05:00:00Z", -300, true),
            ("2025-06-15T09:59:59Z", -300, true),
            ("2025-06-15T10:00:00Z", -300, false),
            // India (+5:30).
            ("2025-06-14T18:30:00Z", 330, true),
            ("2025-06-14T18:29:59Z", 330, false),
        ] {
            assert_eq!(late_night_session(at(utc), offset), expected, "{utc} at {offset:+} min");
        }
        assert!(!late_night_session(DateTime::<Utc>::MAX_UTC, 60), "no overflow at the end of time");
    }

    #[test]
    fn interventions_graduate_with_the_number_of_markers() {
        assert_eq!(Intervention::for_marker_count(0), None);
        assert_eq!(Intervention::for_marker_count(1), Some(Intervention::Message));
        assert_eq!(Intervention::for_marker_count(2), Some(Intervention::ForcedRealityCheck));
        assert_eq!(Intervention::for_marker_count(3), Some(Intervention::SuggestedTimeout));
        assert_eq!(Intervention::for_marker_count(4), Some(Intervention::StaffReview));
        assert_eq!(Intervention::for_marker_count(40), Some(Intervention::StaffReview));
    }

    #[test]
    fn only_markers_of_the_last_30_days_count() {
        let now = at("2025-06-30T12:00:00Z");
        let just_inside = now - INTERVENTION_LOOKBACK + TimeDelta::seconds(1);
        let just_outside = now - INTERVENTION_LOOKBACK;
        assert_eq!(Intervention::for_markers(&[], now), None);
        assert_eq!(Intervention::for_markers(&[now], now), Some(Intervention::Message));
        assert_eq!(Intervention::for_markers(&[just_outside, now], now), Some(Intervention::Message));
        assert_eq!(Intervention::for_markers(&[just_inside, now], now), Some(Intervention::ForcedRealityCheck));
        assert_eq!(
            Intervention::for_markers(&[just_inside, now, now + TimeDelta::seconds(1)], now),
            Some(Intervention::ForcedRealityCheck),
            "a marker after now does not count"
        );
        assert_eq!(Intervention::for_markers(&[now; 4], now), Some(Intervention::StaffReview));
    }
}
