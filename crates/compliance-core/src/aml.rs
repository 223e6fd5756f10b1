//! Anti-money-laundering: the rule engine that screens every wallet event and round,
//! risk scoring, alert de-duplication and the review of alerts.

use chrono::{DateTime, TimeDelta, Utc};
use kernel::AccountId;
use kernel::Amount;
use kernel::string_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::json;
use uuid::Uuid;

string_enum!(
    /// A rule of the AML engine; the name is stored on each alert.
    AmlRule {
        DepositVelocity = "deposit_velocity",
        BetVelocity = "bet_velocity",
        DepositVolume24h = "deposit_volume_24h",
        LargeDeposit = "large_deposit",
        Structuring = "structuring",
        DepositThenWithdraw = "deposit_then_withdraw",
        ManualCredit = "manual_credit",
        WithdrawalAfterManualCredit = "withdrawal_after_manual_credit",
    }
);

impl AmlRule {
    /// While a player has an open alert of this rule younger than this, the same rule
    /// raises no new one: the window the rule looks at, so one pattern is one alert.
    pub fn dedup_window(self) -> TimeDelta {
        match self {
            AmlRule::DepositVelocity => TimeDelta::hours(1),
            AmlRule::BetVelocity => TimeDelta::minutes(1),
            AmlRule::DepositVolume24h | AmlRule::LargeDeposit | AmlRule::Structuring => TimeDelta::hours(24),
            AmlRule::DepositThenWithdraw => TimeDelta::days(7),
            AmlRule::ManualCredit | AmlRule::WithdrawalAfterManualCredit => TimeDelta::hours(24),
        }
    }
}

string_enum!(
    /// Risk bands of a 0–100 score: low < 25 ≤ medium < 50 ≤ high < 75 ≤ critical.
    RiskLevel { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

impl RiskLevel {
    /// The band a score falls in.
    pub const fn from_score(score: u8) -> Self {
        match score {
            0..25 => RiskLevel::Low,
            25..50 => RiskLevel::Medium,
            50..75 => RiskLevel::High,
            _ => RiskLevel::Critical,
        }
    }

    /// The score the engine gives an alert of this level: inside the band, clear of
    /// its edges, so that a later tweak of a band does not silently move an alert.
    /// Low 10, medium 40, high 65, critical 90.
    pub const fn score(self) -> u8 {
        match self {
            RiskLevel::Low => 10,
            RiskLevel::Medium => 40,
            RiskLevel::High => 65,
            RiskLevel::Critical => 90,
        }
    }
}

/// The engine's thresholds, from configuration. Missing fields take the contract's
/// defaults; amounts are minor units of the wallet currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmlThresholds {
    /// Deposits in the last hour for a medium alert (5).
    pub deposit_velocity_medium: u32,
    /// … for a high one (10).
    pub deposit_velocity_high: u32,
    /// Bets in the last minute for a medium alert (15).
    pub bet_velocity_medium: u32,
    /// … for a high one (30).
    pub bet_velocity_high: u32,
    /// Sum of deposits in the last 24 h for a medium alert (5,000.00).
    pub deposit_volume_24h_medium: i64,
    /// … for a high one (10,000.00).
    pub deposit_volume_24h_high: i64,
    /// A single deposit this large is a medium alert (2,000.00); structuring is
    /// measured just below it.
    pub large_deposit: i64,
    /// Deposits in the last 24 h just below `large_deposit` that make structuring (3).
    pub structuring_count: u32,
    /// How far below `large_deposit` "just below" reaches, in percent (10).
    pub structuring_band_percent: u8,
    /// A withdrawal is suspicious when the last 7 days' wagering is below this
    /// percentage of the last 7 days' deposits (25).
    pub withdraw_min_wagering_percent: u8,
    /// … and critical rather than high when those deposits reach this (10,000.00).
    pub withdraw_critical_deposits_7d: i64,
    /// A credit made by hand by staff outside any game (DEPOSIT, WIN or BONUS_CREDIT)
    /// this large is a high alert (1,000.00).
    pub manual_credit_large: i64,
    /// A withdrawal within this many hours of a credit by hand is a high alert, critical
    /// when those credits reach `manual_credit_large` (72).
    pub manual_credit_withdrawal_hours: u32,
}

impl Default for AmlThresholds {
    fn default() -> Self {
        Self {
            deposit_velocity_medium: 5,
            deposit_velocity_high: 10,
            bet_velocity_medium: 15,
            bet_velocity_high: 30,
            deposit_volume_24h_medium: 500_000,
            deposit_volume_24h_high: 1_000_000,
            large_deposit: 200_000,
            structuring_count: 3,
            structuring_band_percent: 10,
            withdraw_min_wagering_percent: 25,
            withdraw_critical_deposits_7d: 1_000_000,
            manual_credit_large: 100_000,
            manual_credit_withdrawal_hours: 72,
        }
    }
}

/// A configuration of thresholds that cannot work as meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid AML threshold `{field}`: {message}")]
pub struct InvalidThresholds {
    pub field: &'static str,
    pub message: &'static str,
}

impl AmlThresholds {
    /// Checks the configuration at start-up: every threshold positive, each high
    /// threshold at least its medium one, percentages within 0–100.
    pub fn validate(&self) -> Result<(), InvalidThresholds> {
        let fail = |field, message| Err(InvalidThresholds { field, message });
        let positive = [
            ("deposit_velocity_medium", i64::from(self.deposit_velocity_medium)),
            ("bet_velocity_medium", i64::from(self.bet_velocity_medium)),
            ("deposit_volume_24h_medium", self.deposit_volume_24h_medium),
            ("large_deposit", self.large_deposit),
            ("structuring_count", i64::from(self.structuring_count)),
            ("withdraw_critical_deposits_7d", self.withdraw_critical_deposits_7d),
            ("manual_credit_large", self.manual_credit_large),
            ("manual_credit_withdrawal_hours", i64::from(self.manual_credit_withdrawal_hours)),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v <= 0) {
            return fail(field, "must be greater than 0");
        }
        if self.deposit_velocity_high < self.deposit_velocity_medium {
            return fail("deposit_velocity_high", "must be at least deposit_velocity_medium");
        }
        if self.bet_velocity_high < self.bet_velocity_medium {
            return fail("bet_velocity_high", "must be at least bet_velocity_medium");
        }
        if self.deposit_volume_24h_high < self.deposit_volume_24h_medium {
            return fail("deposit_volume_24h_high", "must be at least deposit_volume_24h_medium");
        }
        if !(1..=100).contains(&self.structuring_band_percent) {
            return fail("structuring_band_percent", "must be between 1 and 100");
        }
        if self.withdraw_min_wagering_percent > 100 {
            return fail("withdraw_min_wagering_percent", "must be between 0 and 100");
        }
        Ok(())
    }

    /// The lowest amount counted as "just below" `large_deposit`: structuring looks at
    /// deposits in `[structuring_floor, large_deposit)`.
    pub fn structuring_floor(&self) -> i64 {
        // Rounding the band's width down rounds the floor up to the first whole minor
        // unit inside the band.
        let width = i128::from(self.large_deposit) * i128::from(self.structuring_band_percent) / 100;
        self.large_deposit - i64::try_from(width).unwrap_or(0)
    }
}

string_enum!(
    /// The kinds of event the engine screens. A settled round is screened as its bet.
    EventKind { Deposit = "deposit", Withdrawal = "withdrawal", Bet = "bet", ManualCredit = "manual_credit" }
);

/// Which parts of [`Activity`] [`screen`] reads for one kind of event; the store may
/// leave the others at their defaults instead of counting them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityNeeds {
    /// `deposits_last_hour`, the 24 h deposit figures and `deposits_last_7d`.
    pub deposits: bool,
    pub bets_last_minute: bool,
    pub wagered_last_7d: bool,
    /// `manual_credits_recent`.
    pub manual_credits: bool,
}

impl EventKind {
    /// The parts of [`Activity`] the rules for this kind read.
    pub fn activity_needs(self) -> ActivityNeeds {
        match self {
            EventKind::Deposit => ActivityNeeds { deposits: true, ..ActivityNeeds::NOTHING },
            EventKind::Bet => ActivityNeeds { bets_last_minute: true, ..ActivityNeeds::NOTHING },
            EventKind::Withdrawal => {
                ActivityNeeds { deposits: true, wagered_last_7d: true, manual_credits: true, ..ActivityNeeds::NOTHING }
            }
            EventKind::ManualCredit => ActivityNeeds::NOTHING,
        }
    }
}

impl ActivityNeeds {
    const NOTHING: Self =
        Self { deposits: false, bets_last_minute: false, wagered_last_7d: false, manual_credits: false };
}

/// The event being screened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenedEvent {
    pub kind: EventKind,
    pub amount: Amount,
}

/// The player's recent activity, INCLUDING the screened event (the app screens after
/// writing the event, in the same transaction). Amounts are minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub deposits_last_hour: u32,
    pub bets_last_minute: u32,
    /// How many deposits the last 24 h saw, and their sum.
    pub deposits_last_24h: u32,
    pub deposited_last_24h: i64,
    /// How many of those were just below the large-deposit threshold, in
    /// `[AmlThresholds::structuring_floor, large_deposit)`: what structuring counts.
    pub near_threshold_last_24h: u32,
    /// Sum of deposits in the last 7 days.
    pub deposits_last_7d: i64,
    /// Sum of stakes in the last 7 days.
    pub wagered_last_7d: i64,
    /// Sum of the credits staff made by hand in the last
    /// [`AmlThresholds::manual_credit_withdrawal_hours`].
    pub manual_credits_recent: i64,
}

/// An alert the engine suggests; the app raises it if [`should_raise`] agrees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertCandidate {
    pub rule: AmlRule,
    /// 0–100, see [`RiskLevel::score`].
    pub risk_score: u8,
    pub risk_level: RiskLevel,
    /// What the rule saw and the thresholds it compared against, for the reviewer.
    pub details: serde_json::Value,
}

impl AlertCandidate {
    fn new(rule: AmlRule, level: RiskLevel, details: serde_json::Value) -> Self {
        Self { rule, risk_score: level.score(), risk_level: level, details }
    }
}

/// Applies every rule to `event` against `activity` (which includes `event`).
///
/// - deposit: deposit velocity, 24 h volume, large deposit, structuring;
/// - bet: bet velocity;
/// - withdrawal: deposit-then-withdraw, withdrawal after a manual credit;
/// - manual credit (a staff DEPOSIT, WIN or BONUS_CREDIT, screened as this besides its
///   own kind): a large non-game credit.
pub fn screen(event: &ScreenedEvent, activity: &Activity, t: &AmlThresholds) -> Vec<AlertCandidate> {
    let amount = event.amount.minor_units();
    let mut alerts = Vec::new();
    match event.kind {
        EventKind::Deposit => {
            let n = activity.deposits_last_hour;
            if let Some(level) = banded(n, t.deposit_velocity_medium, t.deposit_velocity_high) {
                alerts.push(AlertCandidate::new(
                    AmlRule::DepositVelocity,
                    level,
                    json!({
                        "deposits_last_hour": n,
                        "medium_threshold": t.deposit_velocity_medium,
                        "high_threshold": t.deposit_velocity_high,
                    }),
                ));
            }

            let volume = activity.deposited_last_24h;
            if let Some(level) = banded(volume, t.deposit_volume_24h_medium, t.deposit_volume_24h_high) {
                alerts.push(AlertCandidate::new(
                    AmlRule::DepositVolume24h,
                    level,
                    json!({
                        "volume_24h": volume,
                        "deposits_24h": activity.deposits_last_24h,
                        "medium_threshold": t.deposit_volume_24h_medium,
                        "high_threshold": t.deposit_volume_24h_high,
                    }),
                ));
            }

            if amount >= t.large_deposit {
                alerts.push(AlertCandidate::new(
                    AmlRule::LargeDeposit,
                    RiskLevel::Medium,
                    json!({ "amount": amount, "threshold": t.large_deposit }),
                ));
            }

            // Only the deposit that completes the pattern raises it: a small deposit
            // after a dismissed structuring alert is not structuring again.
            let floor = t.structuring_floor();
            let count = activity.near_threshold_last_24h;
            if (floor..t.large_deposit).contains(&amount) && count >= t.structuring_count {
                alerts.push(AlertCandidate::new(
                    AmlRule::Structuring,
                    RiskLevel::High,
                    json!({
                        "amount": amount,
                        "deposits_in_band_24h": count,
                        "band_from": floor,
                        "band_to": t.large_deposit,
                        "count_threshold": t.structuring_count,
                    }),
                ));
            }
        }
        EventKind::Bet => {
            let n = activity.bets_last_minute;
            if let Some(level) = banded(n, t.bet_velocity_medium, t.bet_velocity_high) {
                alerts.push(AlertCandidate::new(
                    AmlRule::BetVelocity,
                    level,
                    json!({
                        "bets_last_minute": n,
                        "medium_threshold": t.bet_velocity_medium,
                        "high_threshold": t.bet_velocity_high,
                    }),
                ));
            }
        }
        EventKind::Withdrawal => {
            let deposits = activity.deposits_last_7d;
            let wagered = activity.wagered_last_7d;
            // wagered / deposits < p / 100, in integers.
            let under_wagered = deposits > 0
                && i128::from(wagered) * 100 < i128::from(deposits) * i128::from(t.withdraw_min_wagering_percent);
            if under_wagered {
                let level =
                    if deposits >= t.withdraw_critical_deposits_7d { RiskLevel::Critical } else { RiskLevel::High };
                alerts.push(AlertCandidate::new(
                    AmlRule::DepositThenWithdraw,
                    level,
                    json!({
                        "amount": amount,
                        "deposits_7d": deposits,
                        "wagered_7d": wagered,
                        "min_wagering_percent": t.withdraw_min_wagering_percent,
                        "critical_deposits_7d": t.withdraw_critical_deposits_7d,
                    }),
                ));
            }
            let credited = activity.manual_credits_recent;
            if credited > 0 {
                let level = if credited >= t.manual_credit_large { RiskLevel::Critical } else { RiskLevel::High };
                alerts.push(AlertCandidate::new(
                    AmlRule::WithdrawalAfterManualCredit,
                    level,
                    json!({
                        "amount": amount,
                        "manual_credits": credited,
                        "window_hours": t.manual_credit_withdrawal_hours,
                        "critical_manual_credits": t.manual_credit_large,
                    }),
                ));
            }
        }
        EventKind::ManualCredit => {
            if amount >= t.manual_credit_large {
                alerts.push(AlertCandidate::new(
                    AmlRule::ManualCredit,
                    RiskLevel::High,
                    json!({ "amount": amount, "threshold": t.manual_credit_large }),
                ));
            }
        }
    }
    alerts
}

/// `High` from `high` up, `Medium` from `medium` up, nothing below.
fn banded<T: PartialOrd>(value: T, medium: T, high: T) -> Option<RiskLevel> {
    if value >= high {
        Some(RiskLevel::High)
    } else if value >= medium {
        Some(RiskLevel::Medium)
    } else {
        None
    }
}

/// Whether to raise an alert of `rule` for a player, given the `(rule, created_at)` of
/// that player's alerts that are still open: not while an open alert of the same rule
/// is younger than the rule's [`AmlRule::dedup_window`].
pub fn should_raise(rule: AmlRule, existing_open_alerts: &[(AmlRule, DateTime<Utc>)], now: DateTime<Utc>) -> bool {
    !existing_open_alerts.iter().any(|(r, created_at)| *r == rule && now - *created_at < rule.dedup_window())
}

string_enum!(
    /// Where an alert is in its review.
    AlertStatus { Open = "open", Dismissed = "dismissed", Escalated = "escalated", SarFiled = "sar_filed" }
);

string_enum!(
    /// What a compliance officer decided about an alert.
    ReviewOutcome { Dismissed = "dismissed", Escalated = "escalated", SarFiled = "sar_filed" }
);

impl From<ReviewOutcome> for AlertStatus {
    fn from(o: ReviewOutcome) -> Self {
        match o {
            ReviewOutcome::Dismissed => AlertStatus::Dismissed,
            ReviewOutcome::Escalated => AlertStatus::Escalated,
            ReviewOutcome::SarFiled => AlertStatus::SarFiled,
        }
    }
}

/// Why a review was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmlError {
    /// The alert's review is over (dismissed or SAR filed), or an escalated alert was
    /// escalated again.
    #[error("the alert has already been reviewed")]
    AlreadyReviewed,
}

/// The status after a review: an open alert may take any outcome; an escalated one
/// may still be dismissed or lead to a SAR.
pub fn review(current: AlertStatus, outcome: ReviewOutcome) -> Result<AlertStatus, AmlError> {
    match (current, outcome) {
        (AlertStatus::Open, o) | (AlertStatus::Escalated, o @ (ReviewOutcome::Dismissed | ReviewOutcome::SarFiled)) => {
            Ok(o.into())
        }
        _ => Err(AmlError::AlreadyReviewed),
    }
}

/// Whether the player's withdrawals are frozen, given the levels of their open alerts:
/// an open critical alert freezes them until it is reviewed.
pub fn withdrawals_frozen(open_alert_levels: &[RiskLevel]) -> bool {
    open_alert_levels.contains(&RiskLevel::Critical)
}

/// An AML alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AmlAlert {
    pub id: Uuid,
    pub player_id: AccountId,
    pub rule: String,
    pub risk_score: i32,
    pub risk_level: String,
    pub status: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
    pub reviewed_by: Option<AccountId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// Filters of the AML alert list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<String>,
    pub risk_level: Option<String>,
    pub player_id: Option<AccountId>,
    pub order: AlertOrder,
    pub limit: i64,
    pub offset: i64,
}

string_enum!(
    /// The order of an alert list, by its `sort` parameter (`-` first: descending).
    #[derive(Default)]
    AlertOrder { #[default] Newest = "-created_at", Oldest = "created_at", RiskDesc = "-risk_score", RiskAsc = "risk_score" }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, amount: i64) -> ScreenedEvent {
        ScreenedEvent { kind, amount: Amount::new(amount).unwrap() }
    }

    /// A deposit of `amount` with the given earlier deposits in the last 24 h; the
    /// screened deposit is added to the activity, as the app does.
    fn deposit(amount: i64, earlier_24h: &[i64], deposits_last_hour: u32) -> Vec<AlertCandidate> {
        let t = AmlThresholds::default();
        let mut deposits = earlier_24h.to_vec();
        deposits.push(amount);
        let band = t.structuring_floor()..t.large_deposit;
        let activity = Activity {
            deposits_last_hour,
            deposits_last_24h: deposits.len() as u32,
            deposited_last_24h: deposits.iter().sum(),
            near_threshold_last_24h: deposits.iter().filter(|d| band.contains(d)).count() as u32,
            ..Activity::default()
        };
        screen(&event(EventKind::Deposit, amount), &activity, &t)
    }

    #[test]
    fn screening_reads_only_the_activity_its_kind_needs() {
        // Activity busy enough to trip every rule that reads it.
        let busy = Activity {
            deposits_last_hour: 50,
            bets_last_minute: 500,
            deposits_last_24h: 6,
            deposited_last_24h: 5_400_000,
            near_threshold_last_24h: 6,
            deposits_last_7d: 100_000_000,
            wagered_last_7d: 0,
            manual_credits_recent: 5_000_000,
        };
        for &kind in EventKind::ALL {
            let needs = kind.activity_needs();
            // Keep what the kind needs, blank the rest: the outcome must not change.
            let mut trimmed = Activity::default();
            if needs.deposits {
                trimmed.deposits_last_hour = busy.deposits_last_hour;
                trimmed.deposits_last_24h = busy.deposits_last_24h;
                trimmed.deposited_last_24h = busy.deposited_last_24h;
                trimmed.near_threshold_last_24h = busy.near_threshold_last_24h;
                trimmed.deposits_last_7d = busy.deposits_last_7d;
            }
            if needs.bets_last_minute {
                trimmed.bets_last_minute = busy.bets_last_minute;
            }
            if needs.wagered_last_7d {
                trimmed.wagered_last_7d = busy.wagered_last_7d;
            }
            if needs.manual_credits {
                trimmed.manual_credits_recent = busy.manual_credits_recent;
            }
            for amount in [100, 900_000, 5_000_000] {
                let e = event(kind, amount);
                let full = screen(&e, &busy, &AmlThresholds::default());
                assert_eq!(screen(&e, &trimmed, &AmlThresholds::default()), full, "{kind:?} {amount}");
                // A manual credit's only rule reads the amount alone.
                let trips = kind != EventKind::ManualCredit || amount >= AmlThresholds::default().manual_credit_large;
                assert_eq!(!full.is_empty(), trips, "{kind:?} {amount}: the busy activity trips a rule");
            }
        }
    }

    fn levels_of(alerts: &[AlertCandidate], rule: AmlRule) -> Vec<RiskLevel> {
        alerts.iter().filter(|a| a.rule == rule).map(|a| a.risk_level).collect()
    }

    #[test]
    fn risk_levels_at_band_edges() {
        for (score, level) in [
            (0, RiskLevel::Low),
            (24, RiskLevel::Low),
            (25, RiskLevel::Medium),
            (49, RiskLevel::Medium),
            (50, RiskLevel::High),
            (74, RiskLevel::High),
            (75, RiskLevel::Critical),
            (100, RiskLevel::Critical),
        ] {
            assert_eq!(RiskLevel::from_score(score), level, "{score}");
        }
    }

    #[test]
    fn engine_scores_sit_in_their_bands() {
        assert_eq!([RiskLevel::Medium.score(), RiskLevel::High.score(), RiskLevel::Critical.score()], [40, 65, 90]);
        for level in RiskLevel::ALL {
            assert_eq!(RiskLevel::from_score(level.score()), *level);
        }
    }

    #[test]
    fn default_thresholds_are_the_contract_and_valid() {
        let t = AmlThresholds::default();
        assert_eq!((t.deposit_velocity_medium, t.deposit_velocity_high), (5, 10));
        assert_eq!((t.bet_velocity_medium, t.bet_velocity_high), (15, 30));
        assert_eq!((t.deposit_volume_24h_medium, t.deposit_volume_24h_high), (500_000, 1_000_000));
        assert_eq!(t.large_deposit, 200_000);
        assert_eq!((t.structuring_count, t.structuring_floor()), (3, 180_000));
        assert_eq!((t.withdraw_min_wagering_percent, t.withdraw_critical_deposits_7d), (25, 1_000_000));
        assert_eq!(t.validate(), Ok(()));
    }

    #[test]
    fn thresholds_from_partial_config() {
        let t: AmlThresholds = serde_json::from_str(r#"{"large_deposit": 100000}"#).unwrap();
        assert_eq!(t, AmlThresholds { large_deposit: 100_000, ..AmlThresholds::default() });
        assert_eq!(t.structuring_floor(), 90_000);
        assert!(serde_json::from_str::<AmlThresholds>(r#"{"large_deposits": 1}"#).is_err(), "typos are caught");
        let back: AmlThresholds = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn invalid_thresholds_are_named() {
        let d = AmlThresholds::default;
        for (t, field) in [
            (AmlThresholds { deposit_velocity_medium: 0, ..d() }, "deposit_velocity_medium"),
            (AmlThresholds { deposit_velocity_high: 4, ..d() }, "deposit_velocity_high"),
            (AmlThresholds { bet_velocity_high: 14, ..d() }, "bet_velocity_high"),
            (AmlThresholds { deposit_volume_24h_high: 499_999, ..d() }, "deposit_volume_24h_high"),
            (AmlThresholds { large_deposit: 0, ..d() }, "large_deposit"),
            (AmlThresholds { structuring_band_percent: 0, ..d() }, "structuring_band_percent"),
            (AmlThresholds { structuring_band_percent: 101, ..d() }, "structuring_band_percent"),
            (AmlThresholds { withdraw_min_wagering_percent: 101, ..d() }, "withdraw_min_wagering_percent"),
        ] {
            assert_eq!(t.validate().map_err(|e| e.field), Err(field));
        }
        assert!(AmlThresholds { deposit_velocity_high: 5, ..d() }.validate().is_ok(), "high may equal medium");
    }

    #[test]
    fn deposit_velocity() {
        for (n, expected) in
            [(4, vec![]), (5, vec![RiskLevel::Medium]), (9, vec![RiskLevel::Medium]), (10, vec![RiskLevel::High])]
        {
            let alerts = deposit(100, &[], n);
            assert_eq!(levels_of(&alerts, AmlRule::DepositVelocity), expected, "{n} deposits in the last hour");
        }
        let alerts = deposit(100, &[], 5);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].risk_score, 40);
        assert_eq!(alerts[0].details["deposits_last_hour"], 5);
    }

    #[test]
    fn bet_velocity() {
        let t = AmlThresholds::default();
        for (n, expected) in
            [(14, vec![]), (15, vec![RiskLevel::Medium]), (29, vec![RiskLevel::Medium]), (30, vec![RiskLevel::High])]
        {
            let activity = Activity { bets_last_minute: n, ..Activity::default() };
            let alerts = screen(&event(EventKind::Bet, 100), &activity, &t);
            assert_eq!(levels_of(&alerts, AmlRule::BetVelocity), expected, "{n} bets in the last minute");
            assert!(alerts.iter().all(|a| a.rule == AmlRule::BetVelocity));
        }
    }

    #[test]
    fn deposit_volume_24h() {
        for (earlier, expected) in [
            (499_999 - 100, vec![]),
            (500_000 - 100, vec![RiskLevel::Medium]),
            (999_999 - 100, vec![RiskLevel::Medium]),
            (1_000_000 - 100, vec![RiskLevel::High]),
        ] {
            // Earlier deposits split into amounts that trigger no other rule.
            let mut rest = earlier;
            let mut parts = Vec::new();
            while rest > 0 {
                let p = rest.min(100_000);
                parts.push(p);
                rest -= p;
            }
            let alerts = deposit(100, &parts, 1);
            assert_eq!(levels_of(&alerts, AmlRule::DepositVolume24h), expected, "volume {}", earlier + 100);
            assert_eq!(alerts.len(), expected.len(), "no other rule fires: {alerts:?}");
        }
    }

    #[test]
    fn large_deposit() {
        assert!(levels_of(&deposit(199_999, &[], 1), AmlRule::LargeDeposit).is_empty());
        let alerts = deposit(200_000, &[], 1);
        assert_eq!(levels_of(&alerts, AmlRule::LargeDeposit), [RiskLevel::Medium]);
        assert_eq!(alerts[0].details, json!({"amount": 200_000, "threshold": 200_000}));
    }

    #[test]
    fn structuring() {
        let structuring = |amount, earlier: &[i64]| levels_of(&deposit(amount, earlier, 1), AmlRule::Structuring);
        assert_eq!(structuring(195_000, &[195_000, 195_000]), [RiskLevel::High]);
        assert_eq!(structuring(195_000, &[195_000]), [], "two are not");
        assert_eq!(structuring(179_999, &[179_999, 179_999]), [], "just outside the band");
        assert_eq!(structuring(180_000, &[180_000, 180_000]), [RiskLevel::High], "the band's floor is in");
        assert_eq!(structuring(199_999, &[199_999, 199_999]), [RiskLevel::High]);
        assert_eq!(structuring(200_000, &[199_999, 199_999]), [], "a large deposit is not below the threshold");
        assert_eq!(structuring(100, &[195_000, 195_000, 195_000]), [], "only the completing deposit raises it");

        let alerts = deposit(195_000, &[195_000, 195_000], 3);
        let a = alerts.iter().find(|a| a.rule == AmlRule::Structuring).unwrap();
        assert_eq!(a.risk_score, 65);
        assert_eq!(a.details["deposits_in_band_24h"], 3);
        assert_eq!((a.details["band_from"].as_i64(), a.details["band_to"].as_i64()), (Some(180_000), Some(200_000)));
        // 585,000 in 24 h is also a medium volume alert.
        assert_eq!(levels_of(&alerts, AmlRule::DepositVolume24h), [RiskLevel::Medium]);
    }

    fn withdrawal(deposits_last_7d: i64, wagered_last_7d: i64) -> Vec<RiskLevel> {
        let activity = Activity { deposits_last_7d, wagered_last_7d, ..Activity::default() };
        let alerts = screen(&event(EventKind::Withdrawal, 50_000), &activity, &AmlThresholds::default());
        assert!(alerts.iter().all(|a| a.rule == AmlRule::DepositThenWithdraw));
        levels_of(&alerts, AmlRule::DepositThenWithdraw)
    }

    #[test]
    fn deposit_then_withdraw() {
        assert_eq!(withdrawal(400_000, 99_999), [RiskLevel::High]);
        assert_eq!(withdrawal(400_000, 100_000), [], "exactly 25 % wagered is enough");
        assert_eq!(withdrawal(400_000, 0), [RiskLevel::High]);
        assert_eq!(withdrawal(999_999, 0), [RiskLevel::High]);
        assert_eq!(withdrawal(1_000_000, 0), [RiskLevel::Critical]);
        assert_eq!(withdrawal(1_000_000, 249_999), [RiskLevel::Critical]);
        assert_eq!(withdrawal(1_000_000, 250_000), []);
        assert_eq!(withdrawal(0, 0), [], "nothing deposited, nothing to launder");
        assert_eq!(withdrawal(i64::MAX, 0), [RiskLevel::Critical], "no overflow");
    }

    #[test]
    fn manual_credits_large_ones_and_withdrawals_soon_after() {
        let t = AmlThresholds::default();
        let credit = |amount| {
            levels_of(&screen(&event(EventKind::ManualCredit, amount), &Activity::default(), &t), AmlRule::ManualCredit)
        };
        assert_eq!(credit(99_999), vec![]);
        assert_eq!(credit(100_000), vec![RiskLevel::High]);
        // The finding: 10,000,000,000.00 credited by hand.
        assert_eq!(credit(1_000_000_000_000), vec![RiskLevel::High]);
        let withdrawal = |manual_credits_recent| {
            // Well wagered, so only the manual-credit rule can speak.
            let activity =
                Activity { manual_credits_recent, deposits_last_7d: 100, wagered_last_7d: 100, ..Activity::default() };
            screen(&event(EventKind::Withdrawal, 5_000), &activity, &t)
        };
        assert!(withdrawal(0).is_empty());
        assert_eq!(levels_of(&withdrawal(1), AmlRule::WithdrawalAfterManualCredit), vec![RiskLevel::High]);
        assert_eq!(levels_of(&withdrawal(100_000), AmlRule::WithdrawalAfterManualCredit), vec![RiskLevel::Critical]);
        assert!(withdrawals_frozen(&[RiskLevel::Critical]), "a withdrawal after a large credit freezes the next");
    }

    #[test]
    fn deposits_and_bets_do_not_trip_the_withdrawal_rule() {
        let activity = Activity { deposits_last_7d: 1_000_000, ..Activity::default() };
        for kind in [EventKind::Deposit, EventKind::Bet] {
            assert!(screen(&event(kind, 100), &activity, &AmlThresholds::default()).is_empty(), "{kind}");
        }
    }

    #[test]
    fn configured_thresholds_are_used() {
        let t = AmlThresholds { large_deposit: 50_000, ..AmlThresholds::default() };
        let activity = Activity { deposits_last_24h: 1, deposited_last_24h: 50_000, ..Activity::default() };
        let alerts = screen(&event(EventKind::Deposit, 50_000), &activity, &t);
        assert_eq!(levels_of(&alerts, AmlRule::LargeDeposit), [RiskLevel::Medium]);
    }

    #[test]
    fn dedup_windows() {
        use AmlRule::*;
        for (rule, window) in [
            (DepositVelocity, TimeDelta::hours(1)),
            (BetVelocity, TimeDelta::minutes(1)),
            (DepositVolume24h, TimeDelta::hours(24)),
            (LargeDeposit, TimeDelta::hours(24)),
            (Structuring, TimeDelta::hours(24)),
            (DepositThenWithdraw, TimeDelta::days(7)),
            (ManualCredit, TimeDelta::hours(24)),
            (WithdrawalAfterManualCredit, TimeDelta::hours(24)),
        ] {
            assert_eq!(rule.dedup_window(), window, "{rule}");
        }
    }

    #[test]
    fn one_open_alert_per_rule_and_window() {
        let t0 = DateTime::parse_from_rfc3339("2025-06-15T12:00:00Z").unwrap().to_utc();
        let second = TimeDelta::seconds(1);
        for rule in AmlRule::ALL.iter().copied() {
            let w = rule.dedup_window();
            let open = [(rule, t0)];
            assert!(should_raise(rule, &[], t0), "{rule}: nothing open");
            assert!(!should_raise(rule, &open, t0), "{rule}: same instant");
            assert!(!should_raise(rule, &open, t0 + w - second), "{rule}: just inside the window");
            assert!(should_raise(rule, &open, t0 + w), "{rule}: the window has passed");
            let other = AmlRule::ALL.iter().copied().find(|r| *r != rule).unwrap();
            assert!(should_raise(rule, &[(other, t0)], t0), "{rule}: another rule's alert does not count");
            assert!(!should_raise(rule, &[(other, t0), (rule, t0 - w + second)], t0), "{rule}: any match counts");
        }
    }

    #[test]
    fn reviews() {
        use AlertStatus as S;
        use ReviewOutcome as O;
        for o in ReviewOutcome::ALL.iter().copied() {
            assert_eq!(review(S::Open, o), Ok(o.into()));
        }
        assert_eq!(review(S::Escalated, O::SarFiled), Ok(S::SarFiled));
        assert_eq!(review(S::Escalated, O::Dismissed), Ok(S::Dismissed));
        assert_eq!(review(S::Escalated, O::Escalated), Err(AmlError::AlreadyReviewed));
        for done in [S::Dismissed, S::SarFiled] {
            for o in ReviewOutcome::ALL.iter().copied() {
                assert_eq!(review(done, o), Err(AmlError::AlreadyReviewed), "{done} → {o}");
            }
        }
    }

    #[test]
    fn only_an_open_critical_alert_freezes_withdrawals() {
        assert!(!withdrawals_frozen(&[]));
        assert!(!withdrawals_frozen(&[RiskLevel::Low, RiskLevel::Medium, RiskLevel::High]));
        assert!(withdrawals_frozen(&[RiskLevel::Medium, RiskLevel::Critical]));
    }
}
