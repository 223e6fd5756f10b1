//! Deposit limits per rolling period, the jurisdiction's mandatory monthly cap, and the
//! check every deposit passes.

use crate::RgError;
use crate::jurisdiction::JurisdictionProfile;
use crate::limit::LimitState;
use chrono::{DateTime, Duration, Utc};
use kernel::Amount;
use serde::{Deserialize, Serialize};

text_enum! {
    /// The rolling window a deposit limit counts over.
    pub enum LimitPeriod for "period" {
        /// The last 24 hours.
        Daily = "daily",
        /// The last 7 days.
        Weekly = "weekly",
        /// The last 30 days.
        Monthly = "monthly",
    }
}

impl LimitPeriod {
    pub fn window(self) -> Duration {
        match self {
            LimitPeriod::Daily => Duration::hours(24),
            LimitPeriod::Weekly => Duration::days(7),
            LimitPeriod::Monthly => Duration::days(30),
        }
    }

    /// Deposits made strictly after this instant count towards the window ending `now`.
    pub fn window_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_signed(self.window()).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// A player's deposit limits, one per period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositLimits {
    pub daily: LimitState,
    pub weekly: LimitState,
    pub monthly: LimitState,
}

impl DepositLimits {
    pub fn get(&self, period: LimitPeriod) -> &LimitState {
        match period {
            LimitPeriod::Daily => &self.daily,
            LimitPeriod::Weekly => &self.weekly,
            LimitPeriod::Monthly => &self.monthly,
        }
    }

    fn get_mut(&mut self, period: LimitPeriod) -> &mut LimitState {
        match period {
            LimitPeriod::Daily => &mut self.daily,
            LimitPeriod::Weekly => &mut self.weekly,
            LimitPeriod::Monthly => &mut self.monthly,
        }
    }

    /// Applies every pending change that is due at `now`; returns whether any was.
    pub fn settle(&mut self, now: DateTime<Utc>) -> bool {
        LimitPeriod::ALL.iter().fold(false, |changed, &p| self.get_mut(p).settle(now) | changed)
    }

    /// These limits as they stand at `now`.
    #[must_use]
    pub fn settled(mut self, now: DateTime<Utc>) -> Self {
        self.settle(now);
        self
    }

    /// The limit a deposit is held to for `period`: the player's own, or the
    /// jurisdiction's mandatory monthly cap when that is lower or the player has none.
    pub fn binding_limit(&self, period: LimitPeriod, profile: &JurisdictionProfile) -> Option<Amount> {
        let own = self.get(period).active;
        match (period, profile.mandatory_monthly_limit_max) {
            (LimitPeriod::Monthly, Some(cap)) => Some(own.map_or(cap, |own| own.min(cap))),
            _ => own,
        }
    }

    /// What the player sees: per period the limits, pending changes, usage and headroom.
    /// Pass settled limits.
    pub fn view(&self, profile: &JurisdictionProfile, usage: DepositUsage) -> LimitsView {
        let period = |p: LimitPeriod| {
            let state = self.get(p);
            let used = usage.get(p);
            PeriodView {
                active: state.active,
                pending: state.pending.map(|c| PendingLimitView { amount: c.value, effective_at: c.effective_at }),
                jurisdiction_max: match p {
                    LimitPeriod::Monthly => profile.mandatory_monthly_limit_max,
                    _ => None,
                },
                used,
                remaining: self.binding_limit(p, profile).map(|l| remaining(l, used)),
            }
        };
        LimitsView {
            daily: period(LimitPeriod::Daily),
            weekly: period(LimitPeriod::Weekly),
            monthly: period(LimitPeriod::Monthly),
        }
    }
}

fn remaining(limit: Amount, used: i64) -> i64 {
    limit.minor_units().saturating_sub(used).max(0)
}

/// The limits after the player asks for `requested` (`None`: remove) on `period` at
/// `now`.
///
/// A first limit, a decrease or the current value binds at once and withdraws any
/// pending change; an increase or a removal waits for the jurisdiction's cooling-off
/// (replacing an earlier pending change). Where the jurisdiction caps monthly deposits,
/// a monthly limit above the cap, or removing the monthly limit, is
/// [`RgError::RuleViolation`].
pub fn change_limit(
    limits: &DepositLimits,
    period: LimitPeriod,
    requested: Option<Amount>,
    profile: &JurisdictionProfile,
    now: DateTime<Utc>,
) -> Result<DepositLimits, RgError> {
    if let (LimitPeriod::Monthly, Some(cap)) = (period, profile.mandatory_monthly_limit_max) {
        match requested {
            None => {
                return Err(RgError::RuleViolation(format!(
                    "a monthly deposit limit is mandatory in jurisdiction {} and cannot be removed",
                    profile.code
                )));
            }
            Some(amount) if amount > cap => {
                return Err(RgError::RuleViolation(format!(
                    "the monthly deposit limit in jurisdiction {} may be at most {} minor units; {} was requested",
                    profile.code,
                    cap.minor_units(),
                    amount.minor_units()
                )));
            }
            Some(_) => {}
        }
    }
    let mut out = limits.settled(now);
    let state = out.get_mut(period);
    *state = state.request(requested, profile.limit_increase_cooling_off, now);
    Ok(out)
}

/// What the player deposited in each rolling window ending now, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositUsage {
    pub daily: i64,
    pub weekly: i64,
    pub monthly: i64,
}

impl DepositUsage {
    pub fn get(&self, period: LimitPeriod) -> i64 {
        match period {
            LimitPeriod::Daily => self.daily,
            LimitPeriod::Weekly => self.weekly,
            LimitPeriod::Monthly => self.monthly,
        }
    }

    /// These usages with `used` in the window of `period`.
    pub fn with(mut self, period: LimitPeriod, used: i64) -> Self {
        match period {
            LimitPeriod::Daily => self.daily = used,
            LimitPeriod::Weekly => self.weekly = used,
            LimitPeriod::Monthly => self.monthly = used,
        }
        self
    }
}

/// Refuses a deposit of `amount` that would take the player past any binding limit
/// (see [`DepositLimits::binding_limit`]), checking daily, then weekly, then monthly.
/// A deposit that reaches a limit exactly is allowed.
///
/// Pass limits settled at the moment of the deposit; unsettled limits are never looser
/// (pending changes only ever loosen), so forgetting errs on the player's side.
pub fn check_deposit(
    limits: &DepositLimits,
    profile: &JurisdictionProfile,
    usage: DepositUsage,
    amount: Amount,
) -> Result<(), RgError> {
    for &period in LimitPeriod::ALL {
        let Some(limit) = limits.binding_limit(period, profile) else { continue };
        let used = usage.get(period);
        if used.checked_add(amount.minor_units()).is_none_or(|total| total > limit.minor_units()) {
            return Err(RgError::LimitExceeded {
                period,
                limit: limit.minor_units(),
                used,
                remaining: remaining(limit, used),
            });
        }
    }
    Ok(())
}

/// The deposit limits as shown to the player and to staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitsView {
    pub daily: PeriodView,
    pub weekly: PeriodView,
    pub monthly: PeriodView,
}

/// One period of [`LimitsView`]. Amounts are minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeriodView {
    /// The player's own limit, if any.
    pub active: Option<Amount>,
    /// A raise or removal waiting for its cooling-off.
    pub pending: Option<PendingLimitView>,
    /// The jurisdiction's mandatory cap for this period, if any (monthly only).
    pub jurisdiction_max: Option<Amount>,
    /// Deposited in the rolling window ending now.
    pub used: i64,
    /// What may still be deposited in this window; `None` when nothing limits it.
    pub remaining: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PendingLimitView {
    /// `None`: the limit is being removed.
    pub amount: Option<Amount>,
    pub effective_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PendingChange, Profiles};
    use chrono::TimeZone;
    use kernel::Clock;
    use kernel::testkit::ManualClock;

    fn amount(minor: i64) -> Amount {
        Amount::new(minor).unwrap()
    }

    fn clock() -> ManualClock {
        ManualClock::starting_at(Utc.with_ymd_and_hms(2026, 2, 10, 8, 0, 0).unwrap())
    }

    fn profile(country: &str) -> JurisdictionProfile {
        Profiles::defaults().for_country(country).clone()
    }

    fn set(
        limits: &DepositLimits,
        p: LimitPeriod,
        a: Option<i64>,
        j: &JurisdictionProfile,
        now: DateTime<Utc>,
    ) -> DepositLimits {
        change_limit(limits, p, a.map(amount), j, now).unwrap()
    }

    fn active(limits: &DepositLimits, p: LimitPeriod, now: DateTime<Utc>) -> Option<i64> {
        limits.settled(now).get(p).active.map(Amount::minor_units)
    }

    #[test]
    fn a_raise_waits_exactly_the_cooling_off_of_the_jurisdiction() {
        // (country, period, cooling-off, from, to)
        let table = [
            ("GB", LimitPeriod::Daily, Duration::hours(24), 10_000, 20_000),
            ("SE", LimitPeriod::Weekly, Duration::hours(72), 10_000, 20_000),
            ("DE", LimitPeriod::Monthly, Duration::days(7), 50_000, 100_000),
        ];
        for (country, period, cooling_off, from, to) in table {
            let clock = clock();
            let j = profile(country);
            let limits = set(&DepositLimits::default(), period, Some(from), &j, clock.now());
            assert_eq!(active(&limits, period, clock.now()), Some(from), "{country}: a first limit binds at once");
            clock.advance(Duration::hours(5));
            let raised = set(&limits, period, Some(to), &j, clock.now());
            let effective_at = clock.now() + cooling_off;
            assert_eq!(raised.get(period).pending, Some(PendingChange { value: Some(amount(to)), effective_at }));

            clock.advance(cooling_off - Duration::seconds(1));
            assert_eq!(active(&raised, period, clock.now()), Some(from), "{country}: one second before");
            let usage = DepositUsage { daily: from, weekly: from, monthly: from };
            assert!(check_deposit(&raised.settled(clock.now()), &j, usage, amount(1)).is_err(), "{country}");

            clock.advance(Duration::seconds(1));
            assert_eq!(clock.now(), effective_at);
            assert_eq!(active(&raised, period, clock.now()), Some(to), "{country}: at the instant");
            assert_eq!(raised.settled(clock.now()).get(period).pending, None);
            assert!(check_deposit(&raised.settled(clock.now()), &j, usage, amount(to - from)).is_ok(), "{country}");
        }
    }

    #[test]
    fn a_decrease_binds_at_once_and_cancels_a_pending_raise() {
        let clock = clock();
        let gb = profile("GB");
        let limits = set(&DepositLimits::default(), LimitPeriod::Weekly, Some(50_000), &gb, clock.now());
        let raising = set(&limits, LimitPeriod::Weekly, Some(80_000), &gb, clock.now());
        assert!(raising.weekly.pending.is_some());
        clock.advance(Duration::minutes(1));
        let lowered = set(&raising, LimitPeriod::Weekly, Some(20_000), &gb, clock.now());
        assert_eq!(lowered.weekly, LimitState { active: Some(amount(20_000)), pending: None });
        clock.advance(Duration::days(30));
        assert_eq!(active(&lowered, LimitPeriod::Weekly, clock.now()), Some(20_000));
        // Other periods are untouched.
        assert_eq!((lowered.daily, lowered.monthly), (LimitState::default(), LimitState::default()));
    }

    #[test]
    fn an_equal_value_changes_nothing_but_withdraws_a_pending_raise() {
        let clock = clock();
        let gb = profile("GB");
        let limits = set(&DepositLimits::default(), LimitPeriod::Daily, Some(5_000), &gb, clock.now());
        assert_eq!(set(&limits, LimitPeriod::Daily, Some(5_000), &gb, clock.now()), limits);
        let raising = set(&limits, LimitPeriod::Daily, Some(9_000), &gb, clock.now());
        assert_eq!(set(&raising, LimitPeriod::Daily, Some(5_000), &gb, clock.now()), limits);
    }

    #[test]
    fn a_second_raise_replaces_the_first_and_restarts_the_cooling_off() {
        let clock = clock();
        let se = profile("SE");
        let limits = set(&DepositLimits::default(), LimitPeriod::Daily, Some(1_000), &se, clock.now());
        let first = set(&limits, LimitPeriod::Daily, Some(2_000), &se, clock.now());
        clock.advance(Duration::hours(71));
        let second = set(&first, LimitPeriod::Daily, Some(3_000), &se, clock.now());
        assert_eq!(
            second.daily.pending,
            Some(PendingChange { value: Some(amount(3_000)), effective_at: clock.now() + Duration::hours(72) })
        );
        clock.advance(Duration::hours(1));
        assert_eq!(active(&second, LimitPeriod::Daily, clock.now()), Some(1_000), "the first raise is gone");
    }

    #[test]
    fn a_removal_is_pending_until_the_cooling_off_has_passed() {
        let clock = clock();
        let gb = profile("GB");
        let limits = set(&DepositLimits::default(), LimitPeriod::Daily, Some(1_000), &gb, clock.now());
        let removing = set(&limits, LimitPeriod::Daily, None, &gb, clock.now());
        let effective_at = clock.now() + Duration::hours(24);
        assert_eq!(
            removing.daily,
            LimitState { active: Some(amount(1_000)), pending: Some(PendingChange { value: None, effective_at }) }
        );
        let usage = DepositUsage { daily: 1_000, ..DepositUsage::default() };
        clock.advance(Duration::hours(24) - Duration::seconds(1));
        let err = check_deposit(&removing.settled(clock.now()), &gb, usage, amount(1)).unwrap_err();
        assert_eq!(err, RgError::LimitExceeded { period: LimitPeriod::Daily, limit: 1_000, used: 1_000, remaining: 0 });
        clock.advance(Duration::seconds(1));
        let mut settled = removing;
        assert!(settled.settle(clock.now()));
        assert_eq!(settled, DepositLimits::default());
        assert_eq!(check_deposit(&settled, &gb, usage, amount(1_000_000)), Ok(()));
        // Removing what does not exist changes nothing.
        assert_eq!(set(&settled, LimitPeriod::Weekly, None, &gb, clock.now()), settled);
    }

    #[test]
    fn the_german_monthly_cap() {
        let clock = clock();
        let de = profile("DE");
        let none = DepositLimits::default();
        for refused in [Some(100_001), None] {
            let err = change_limit(&none, LimitPeriod::Monthly, refused.map(amount), &de, clock.now()).unwrap_err();
            assert_eq!(err.code(), "rule_violation", "{refused:?}");
            assert!(err.to_string().contains("DE"), "{err}");
        }
        // Daily and weekly limits may be anything, and removed.
        let daily = set(&none, LimitPeriod::Daily, Some(500_000), &de, clock.now());
        assert!(set(&daily, LimitPeriod::Daily, None, &de, clock.now()).daily.pending.is_some());

        // With no monthly limit of their own the cap binds, at the limit and one unit above.
        let usage = DepositUsage { daily: 0, weekly: 0, monthly: 60_000 };
        assert_eq!(check_deposit(&none, &de, usage, amount(40_000)), Ok(()));
        assert_eq!(
            check_deposit(&none, &de, usage, amount(40_001)),
            Err(RgError::LimitExceeded {
                period: LimitPeriod::Monthly,
                limit: 100_000,
                used: 60_000,
                remaining: 40_000
            })
        );
        // A higher limit from before (another jurisdiction, an older table) is capped.
        let legacy = DepositLimits {
            monthly: LimitState { active: Some(amount(900_000)), pending: None },
            ..DepositLimits::default()
        };
        assert_eq!(legacy.binding_limit(LimitPeriod::Monthly, &de), Some(amount(100_000)));
        assert!(check_deposit(&legacy, &de, usage, amount(40_001)).is_err());
        // A lower own limit binds instead of the cap, and the cap itself is allowed.
        let own = set(&none, LimitPeriod::Monthly, Some(70_000), &de, clock.now());
        assert!(check_deposit(&own, &de, usage, amount(10_001)).is_err());
        let at_cap = set(&own, LimitPeriod::Monthly, Some(100_000), &de, clock.now());
        assert!(at_cap.monthly.pending.is_some());
        // Elsewhere the same requests are fine.
        let gb = profile("GB");
        assert!(change_limit(&none, LimitPeriod::Monthly, Some(amount(100_001)), &gb, clock.now()).is_ok());
        assert_eq!(check_deposit(&none, &gb, usage, amount(1_000_000)), Ok(()));
    }

    #[test]
    fn check_deposit_at_the_limit_and_one_unit_above() {
        let gb = profile("GB");
        let now = clock().now();
        let limits = set(&DepositLimits::default(), LimitPeriod::Daily, Some(10_000), &gb, now);
        let limits = set(&limits, LimitPeriod::Weekly, Some(30_000), &gb, now);
        let usage = DepositUsage { daily: 2_500, weekly: 25_000, monthly: 90_000 };
        // Daily leaves 7,500 but weekly only 5,000.
        assert_eq!(check_deposit(&limits, &gb, usage, amount(5_000)), Ok(()));
        assert_eq!(
            check_deposit(&limits, &gb, usage, amount(5_001)),
            Err(RgError::LimitExceeded { period: LimitPeriod::Weekly, limit: 30_000, used: 25_000, remaining: 5_000 })
        );
        // The first period that refuses is reported.
        assert_eq!(
            check_deposit(&limits, &gb, usage, amount(7_501)),
            Err(RgError::LimitExceeded { period: LimitPeriod::Daily, limit: 10_000, used: 2_500, remaining: 7_500 })
        );
        // Already over (e.g. the limit was lowered after depositing): nothing remains.
        let over = DepositUsage { daily: 12_000, ..usage };
        assert_eq!(
            check_deposit(&limits, &gb, over, amount(1)),
            Err(RgError::LimitExceeded { period: LimitPeriod::Daily, limit: 10_000, used: 12_000, remaining: 0 })
        );
        assert_eq!(check_deposit(&DepositLimits::default(), &gb, over, amount(1_000_000_000_000)), Ok(()));
    }

    #[test]
    fn usage_is_set_per_window() {
        let usage = LimitPeriod::ALL
            .iter()
            .zip([11, 1_111, 111_111])
            .fold(DepositUsage::default(), |u, (p, used)| u.with(*p, used));
        assert_eq!(usage, DepositUsage { daily: 11, weekly: 1_111, monthly: 111_111 });
        assert_eq!(LimitPeriod::ALL.iter().map(|p| usage.get(*p)).collect::<Vec<_>>(), [11, 1_111, 111_111]);
    }

    #[test]
    fn the_view_shows_limits_pending_changes_and_headroom() {
        let clock = clock();
        let de = profile("DE");
        let limits = set(&DepositLimits::default(), LimitPeriod::Daily, Some(5_000), &de, clock.now());
        let limits = set(&limits, LimitPeriod::Daily, Some(8_000), &de, clock.now());
        let view = limits.view(&de, DepositUsage { daily: 1_000, weekly: 3_000, monthly: 120_000 });
        assert_eq!(
            view.daily,
            PeriodView {
                active: Some(amount(5_000)),
                pending: Some(PendingLimitView {
                    amount: Some(amount(8_000)),
                    effective_at: clock.now() + Duration::days(7)
                }),
                jurisdiction_max: None,
                used: 1_000,
                remaining: Some(4_000),
            }
        );
        assert_eq!((view.weekly.active, view.weekly.remaining), (None, None));
        assert_eq!((view.monthly.jurisdiction_max, view.monthly.remaining), (Some(amount(100_000)), Some(0)));
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(json["daily"]["pending"]["amount"], 8_000);
        assert_eq!(json["monthly"]["remaining"], 0);
    }

    #[test]
    fn periods_parse_from_their_words() {
        for (word, p, window) in [
            ("daily", LimitPeriod::Daily, Duration::hours(24)),
            ("weekly", LimitPeriod::Weekly, Duration::days(7)),
            ("monthly", LimitPeriod::Monthly, Duration::days(30)),
        ] {
            assert_eq!((LimitPeriod::parse(word).unwrap(), p.window()), (p, window));
        }
        assert_eq!(LimitPeriod::parse("yearly").unwrap_err().code(), "validation_error");
    }
}
