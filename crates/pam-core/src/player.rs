//! A player as the money and play rules read them ([`PlayerContext`]), and the rules a
//! player must pass to play ([`check_play`]): pure, over values the adapter loads.

use crate::AccountStatus;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use compliance_core::{HarmAlert, Intervention, KycState};
use kernel::{Refusal, Refused};
use rg_core::RgSettings;

/// Stored RG settings that do not read as [`RgSettings`]: a corrupt record, which fails
/// only the rules that read the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rg settings: {0}")]
pub struct UnreadableSettings(pub String);

/// What the rules need to know about a player: account standing, profile, KYC state,
/// responsible-gaming settings and the latest forced reality check, read together.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerContext {
    pub status: AccountStatus,
    pub country: String,
    pub kyc: KycState,
    pub email: String,
    pub date_of_birth: NaiveDate,
    /// The full name of the player's latest KYC submission, if any.
    pub known_name: Option<String>,
    /// The saved RG settings (the defaults when none were saved), due changes not
    /// applied; see [`PlayerContext::rg`].
    pub rg: Result<RgSettings, UnreadableSettings>,
    /// When the player's latest harm alert asking for a forced reality check was raised.
    pub forced_check_alert_at: Option<DateTime<Utc>>,
    /// Whether the national register lists the player, when read with the context
    /// (a round does, in its first pipeline); `None`: the adapter looks it up.
    pub listed: Option<bool>,
}

impl PlayerContext {
    /// The saved RG settings, due changes not applied. Stored settings that do not read
    /// fail here, so a rule that does not read them never fails on them.
    pub fn rg(&self) -> Result<RgSettings, UnreadableSettings> {
        self.rg.clone()
    }

    /// Whether a markers-of-harm alert since the last reality check (and within a day)
    /// asks for one now: the latest such alert before this request, or one it raised.
    pub fn forced_reality_check(
        &self,
        raised_now: &[HarmAlert],
        last_check: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> bool {
        let from = last_check.unwrap_or(at - Duration::days(1)).max(at - Duration::days(1));
        self.forced_check_alert_at.is_some_and(|t| t > from)
            || raised_now
                .iter()
                .any(|a| a.intervention == Intervention::ForcedRealityCheck.as_str() && a.created_at > from)
    }
}

/// A player with `status` and `kyc`, for tests: in MT, born on 1 January 1990, with no
/// RG settings saved and the register not yet asked.
#[cfg(any(test, feature = "testkit"))]
pub fn example_player(status: AccountStatus, kyc: KycState) -> PlayerContext {
    PlayerContext {
        status,
        country: "MT".into(),
        kyc,
        email: "a@example.com".into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default(),
        known_name: None,
        rg: Ok(RgSettings::default()),
        forced_check_alert_at: None,
        listed: None,
    }
}

/// What the play rules read besides the player's context, loaded with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayState {
    /// Whether the national register lists the player.
    pub listed: bool,
    /// The saved RG settings, due changes not applied.
    pub rg: RgSettings,
    /// Minutes played today; read only when [`needs_minutes_played`] says the rules do
    /// (0 otherwise).
    pub minutes_played_today: u32,
}

/// Whether [`check_play`] reads the minutes played today: only for a bet, while a daily
/// session-time limit is in force (so the adapter may skip counting them).
pub fn needs_minutes_played(rg: &RgSettings, betting: bool, at: DateTime<Utc>) -> bool {
    betting && rg.limits_play_time(at)
}

/// What the play rules allow: the player's RG settings with due changes applied, and
/// whether any fell due (then they are to be saved).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayAllowed {
    pub rg: RgSettings,
    pub settled: bool,
}

/// The rules a player passes to play (`betting`: a bet; otherwise a launch or a bonus,
/// which skip the session-time limit). Refusals come in the order a player fixes them:
/// the account, KYC, the register, an exclusion, then the session time.
pub fn check_play(
    player: &PlayerContext,
    state: PlayState,
    betting: bool,
    at: DateTime<Utc>,
) -> Result<PlayAllowed, Refused> {
    match player.status {
        AccountStatus::Active => {}
        AccountStatus::SelfExcluded => return Err(Refused::new(Refusal::SelfExcluded, "the player is self-excluded")),
        other => return Err(Refused::new(Refusal::AccountBlocked, format!("the account is {other}"))),
    }
    if !player.kyc.is_approved() {
        return Err(Refused::new(Refusal::KycRequired, "playing needs approved KYC"));
    }
    compliance_core::check_not_listed(state.listed)?;
    let mut rg = state.rg;
    let settled = rg.settle(at);
    rg_core::check_not_excluded(rg.exclusion.as_ref(), at)?;
    if betting {
        rg.check_bet(state.minutes_played_today, at)?;
    }
    Ok(PlayAllowed { rg, settled })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use kernel::AccountId;
    use rg_core::{DailyMinutes, ExclusionRequest, Profiles, SessionLimitsRequest, TimeoutDuration};
    use uuid::Uuid;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap()
    }

    use super::example_player as player;

    fn state(listed: bool, rg: RgSettings, minutes: u32) -> PlayState {
        PlayState { listed, rg, minutes_played_today: minutes }
    }

    fn refusal(r: Result<PlayAllowed, Refused>) -> Refusal {
        r.unwrap_err().refusal
    }

    #[test]
    fn play_is_refused_for_the_account_then_kyc_then_the_register_then_an_exclusion() {
        let ok = player(AccountStatus::Active, KycState::Approved);
        let free = state(false, RgSettings::default(), 0);
        assert_eq!(check_play(&ok, free, true, at()), Ok(PlayAllowed { rg: RgSettings::default(), settled: false }));
        let listed = state(true, RgSettings::default(), 0);
        let excluded = player(AccountStatus::SelfExcluded, KycState::None);
        assert_eq!(refusal(check_play(&excluded, listed, true, at())), Refusal::SelfExcluded);
        let blocked = player(AccountStatus::Suspended, KycState::None);
        let refused = check_play(&blocked, listed, false, at()).unwrap_err();
        assert_eq!((refused.refusal, refused.detail.as_str()), (Refusal::AccountBlocked, "the account is suspended"));
        let unverified = player(AccountStatus::Active, KycState::Pending);
        assert_eq!(
            refusal(check_play(&unverified, listed, false, at())),
            Refusal::KycRequired,
            "KYC before the register"
        );
        assert_eq!(refusal(check_play(&ok, listed, false, at())), Refusal::SelfExcluded);
        let profile = Profiles::defaults().for_country("MT").clone();
        let mut timed_out = RgSettings::default();
        let request = ExclusionRequest::Timeout(TimeoutDuration::Hours24);
        timed_out.exclusion = Some(rg_core::request_exclusion(None, request, &profile, at()).unwrap());
        assert_eq!(refusal(check_play(&ok, state(false, timed_out, 0), false, at())), Refusal::SelfExcluded);
    }

    #[test]
    fn only_a_bet_reads_the_minutes_played_and_only_under_a_session_time_limit() {
        let ok = player(AccountStatus::Active, KycState::Approved);
        let profile = Profiles::defaults().for_country("MT").clone();
        let mut rg = RgSettings::default();
        assert!(!needs_minutes_played(&rg, true, at()));
        let request =
            SessionLimitsRequest { daily_minutes: Some(Some(DailyMinutes::new(60).unwrap())), ..Default::default() };
        rg.session_limits = rg_core::change_session_limits(&rg.session_limits, request, &profile, at());
        assert!(needs_minutes_played(&rg, true, at()) && !needs_minutes_played(&rg, false, at()));
        assert_eq!(refusal(check_play(&ok, state(false, rg, 60), true, at())), Refusal::SessionTimeExceeded);
        assert!(check_play(&ok, state(false, rg, 59), true, at()).is_ok());
        assert!(check_play(&ok, state(false, rg, 60), false, at()).is_ok(), "a launch is no bet");
    }

    #[test]
    fn due_changes_are_applied_and_reported_for_saving() {
        let ok = player(AccountStatus::Active, KycState::Approved);
        let profile = Profiles::defaults().for_country("MT").clone();
        let mut rg = RgSettings::default();
        rg.limits = rg_core::change_limit(
            &rg.limits,
            rg_core::LimitPeriod::Daily,
            kernel::Amount::new(5_000).ok(),
            &profile,
            at(),
        )
        .unwrap();
        rg.limits = rg_core::change_limit(&rg.limits, rg_core::LimitPeriod::Daily, None, &profile, at()).unwrap();
        let later = at() + Duration::days(30);
        let allowed = check_play(&ok, state(false, rg, 0), true, later).unwrap();
        assert!(allowed.settled);
        assert_eq!((allowed.rg.limits.daily.active, allowed.rg.limits.daily.pending), (None, None));
    }

    #[test]
    fn a_forced_reality_check_counts_alerts_since_the_last_check_within_a_day() {
        let mut ctx = player(AccountStatus::Active, KycState::Approved);
        assert!(!ctx.forced_reality_check(&[], None, at()));
        ctx.forced_check_alert_at = Some(at() - Duration::hours(2));
        assert!(ctx.forced_reality_check(&[], None, at()));
        assert!(!ctx.forced_reality_check(&[], Some(at() - Duration::hours(1)), at()), "checked since");
        ctx.forced_check_alert_at = Some(at() - Duration::days(2));
        assert!(!ctx.forced_reality_check(&[], None, at()), "older than a day");
        let raised = HarmAlert {
            id: Uuid::nil(),
            player_id: AccountId::from_uuid(Uuid::nil()),
            marker: "long_session".into(),
            intervention: Intervention::ForcedRealityCheck.as_str().into(),
            details: serde_json::Value::Null,
            created_at: at(),
        };
        assert!(ctx.forced_reality_check(&[raised], Some(at() - Duration::hours(1)), at()));
    }
}
