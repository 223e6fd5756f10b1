//! Money use cases: deposits, withdrawals and staff postings with their approval queue.
//!
//! Each is load → decide → write in one transaction: the adapter loads what the rules
//! read behind the wallet's lock ([`MoneyState`]), [`decide`] rules on those plain
//! values, and the adapter writes the decision with the posting and its screening.

use crate::db::money::{MoneyDecision, MoneyFailure, MoneyState};
use crate::db::postings::ApprovalFailure;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use compliance_core::{KYC_DEPOSIT_THRESHOLD, MoneyResult, Policy};
use kernel::{AccountId, Refusal, Refused};
use pam_core::AccountStatus;
use uuid::Uuid;
use wallet_core::{ManualPosting, Posting, needs_approval};

/// What a posting did: moved money, or (a staff posting above the approval threshold)
/// waits for a second admin; `replayed`: the same request was queued before.
#[derive(Debug)]
pub enum Posted {
    Moved(MoneyResult),
    Queued { posting: ManualPosting, replayed: bool },
}

/// A deposit, a withdrawal or an operator's posting to `player`'s wallet; `id` names
/// the event, or the queued posting.
pub async fn post(
    state: &AppState,
    player: AccountId,
    posting: Posting,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Posted, ApprovalFailure> {
    if needs_approval(&posting, state.policy.manual_posting_approval_above) {
        let (posting, replayed) = state.db.request_manual_posting(player, posting, id, at).await?;
        return Ok(Posted::Queued { posting, replayed });
    }
    let moved: Result<MoneyResult, MoneyFailure> =
        state.db.move_money(player, posting, id, at, &state.policy, decide).await;
    Ok(Posted::Moved(moved?))
}

/// A second admin approves a queued staff posting: it goes through every money rule.
pub async fn approve(
    state: &AppState,
    queued: Uuid,
    approver: AccountId,
    event_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(ManualPosting, MoneyResult), ApprovalFailure> {
    state.db.approve_manual_posting(queued, approver, event_id, at, &state.policy, decide).await
}

/// The rule book of deposits and withdrawals, on the state loaded for `posting`.
/// Refusals come in the order a player fixes them: the account, the register and any
/// exclusion, KYC, then the limits.
pub fn decide(
    posting: &Posting,
    state: &MoneyState,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<MoneyDecision, Refused> {
    match state {
        MoneyState::Deposit { player, listed, rg, deposited_before, usage } => {
            match player.status {
                AccountStatus::Active => {}
                AccountStatus::SelfExcluded => {
                    return Err(Refused::new(
                        Refusal::SelfExcluded,
                        "the player is self-excluded: only withdrawals are possible",
                    ));
                }
                other => return Err(Refused::new(Refusal::AccountBlocked, format!("the account is {other}"))),
            }
            compliance_core::check_not_listed(*listed)?;
            let mut rg = *rg;
            let settled = rg.settle(at);
            rg_core::check_not_excluded(rg.exclusion.as_ref(), at)?;
            if compliance_core::deposit_requires_kyc(player.kyc, deposited_before.sum, posting.amount) {
                return Err(Refused::new(
                    Refusal::KycRequired,
                    format!("deposits beyond {KYC_DEPOSIT_THRESHOLD} in total need approved KYC"),
                ));
            }
            rg.check_deposit(policy.profiles.for_country(&player.country), *usage, posting.amount, at)?;
            Ok(MoneyDecision { settled_rg: settled.then_some(rg) })
        }
        MoneyState::Withdrawal { player, open_risks } => {
            if !matches!(player.status, AccountStatus::Active | AccountStatus::SelfExcluded) {
                return Err(Refused::new(Refusal::AccountBlocked, format!("the account is {}", player.status)));
            }
            if !player.kyc.is_approved() {
                return Err(Refused::new(Refusal::KycRequired, "withdrawals need approved KYC"));
            }
            if compliance_core::withdrawals_frozen(open_risks) {
                return Err(Refused::new(
                    Refusal::RuleViolation,
                    "withdrawals are frozen while a critical AML alert is under review",
                ));
            }
            Ok(MoneyDecision::default())
        }
        MoneyState::Play { player, state, betting } => {
            let allowed = pam_core::check_play(player, *state, *betting, at)?;
            Ok(MoneyDecision { settled_rg: allowed.settled.then_some(allowed.rg) })
        }
        MoneyState::Unruled => Ok(MoneyDecision::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use compliance_core::{AmlThresholds, RiskLevel, SimulatedProvider};
    use kernel::Amount;
    use pam_core::{PlayState, PlayerContext};
    use rg_core::{DepositUsage, LimitPeriod, Profiles, RgSettings};
    use wallet_core::{DepositTotals, EventType, IdempotencyKey};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap()
    }

    fn policy() -> Policy {
        Policy {
            profiles: Profiles::defaults(),
            aml: AmlThresholds::default(),
            kyc_provider: SimulatedProvider { enabled: false },
            manual_posting_approval_above: 100_000,
        }
    }

    fn player(status: &str, kyc: &str) -> PlayerContext {
        pam_core::example_player(AccountStatus::parse(status).unwrap(), compliance_core::KycState::parse(kyc).unwrap())
    }

    fn posting(kind: EventType, amount: i64) -> Posting {
        Posting::new(kind, Amount::new(amount).unwrap(), IdempotencyKey::parse("k1").unwrap(), None)
    }

    fn deposit(status: &str, kyc: &str, listed: bool, rg: RgSettings, before: i64) -> MoneyState {
        MoneyState::Deposit {
            player: player(status, kyc),
            listed,
            rg,
            deposited_before: DepositTotals { count: 1, sum: before },
            usage: DepositUsage::default(),
        }
    }

    fn refusal(r: Result<MoneyDecision, Refused>) -> Refusal {
        r.unwrap_err().refusal
    }

    #[test]
    fn a_deposit_is_refused_for_the_account_then_the_register_then_kyc_then_the_limits() {
        let (p, at) = (policy(), at());
        let small = posting(EventType::Deposit, 1_000);
        let ok = decide(&small, &deposit("active", "none", false, RgSettings::default(), 0), &p, at);
        assert_eq!(ok, Ok(MoneyDecision::default()), "within the pre-KYC allowance, nothing else to write");
        let excluded = deposit("self_excluded", "approved", true, RgSettings::default(), 0);
        assert_eq!(refusal(decide(&small, &excluded, &p, at)), Refusal::SelfExcluded);
        let blocked = deposit("suspended", "approved", true, RgSettings::default(), 0);
        assert_eq!(refusal(decide(&small, &blocked, &p, at)), Refusal::AccountBlocked);
        let listed = deposit("active", "none", true, RgSettings::default(), 10_000_000);
        assert_eq!(refusal(decide(&small, &listed, &p, at)), Refusal::SelfExcluded, "the register before KYC");
        let beyond = deposit("active", "pending", false, RgSettings::default(), compliance_core::KYC_DEPOSIT_THRESHOLD);
        let refused = decide(&small, &beyond, &p, at).unwrap_err();
        assert_eq!(refused.refusal, Refusal::KycRequired);
        assert!(refused.detail.contains("200000"), "{}", refused.detail);
        let mut limited = RgSettings::default();
        limited.limits.daily.active = Some(Amount::new(500).unwrap());
        let over = deposit("active", "approved", false, limited, 0);
        assert_eq!(refusal(decide(&small, &over, &p, at)), Refusal::LimitExceeded);
    }

    #[test]
    fn a_deposit_writes_the_rg_settings_only_when_a_change_fell_due() {
        let (p, at) = (policy(), at());
        let mut rg = RgSettings::default();
        let profile = p.profiles.for_country("MT");
        rg.limits =
            rg_core::change_limit(&rg.limits, LimitPeriod::Daily, Amount::new(5_000).ok(), profile, at).unwrap();
        rg.limits = rg_core::change_limit(&rg.limits, LimitPeriod::Daily, None, profile, at).unwrap();
        assert!(rg.limits.daily.pending.is_some(), "a removal waits for the cooling-off");
        let later = at + Duration::days(30);
        let decided =
            decide(&posting(EventType::Deposit, 1_000), &deposit("active", "approved", false, rg, 0), &p, later);
        let settled = decided.unwrap().settled_rg.expect("the due removal is saved");
        assert_eq!((settled.limits.daily.active, settled.limits.daily.pending), (None, None));
    }

    #[test]
    fn a_withdrawal_needs_a_standing_account_approved_kyc_and_no_critical_alert() {
        let (p, at) = (policy(), at());
        let w = posting(EventType::Withdrawal, 1_000);
        let state = |status: &str, kyc: &str, open_risks: Vec<RiskLevel>| MoneyState::Withdrawal {
            player: player(status, kyc),
            open_risks,
        };
        assert_eq!(
            decide(&w, &state("self_excluded", "approved", vec![RiskLevel::High]), &p, at),
            Ok(MoneyDecision::default())
        );
        assert_eq!(refusal(decide(&w, &state("suspended", "approved", vec![]), &p, at)), Refusal::AccountBlocked);
        assert_eq!(refusal(decide(&w, &state("active", "pending", vec![]), &p, at)), Refusal::KycRequired);
        let frozen = state("active", "approved", vec![RiskLevel::Critical]);
        assert_eq!(refusal(decide(&w, &frozen, &p, at)), Refusal::RuleViolation);
    }

    #[test]
    fn an_operators_bet_or_bonus_passes_the_play_rules_and_saves_due_rg_changes() {
        let (p, at) = (policy(), at());
        let play = |status: &str, kyc: &str, listed: bool, betting: bool| MoneyState::Play {
            player: player(status, kyc),
            state: PlayState { listed, rg: RgSettings::default(), minutes_played_today: 0 },
            betting,
        };
        let bet = posting(EventType::Bet, 100);
        assert_eq!(decide(&bet, &play("active", "approved", false, true), &p, at), Ok(MoneyDecision::default()));
        assert_eq!(refusal(decide(&bet, &play("active", "pending", false, true), &p, at)), Refusal::KycRequired);
        let bonus = posting(EventType::BonusCredit, 100);
        assert_eq!(refusal(decide(&bonus, &play("active", "approved", true, false), &p, at)), Refusal::SelfExcluded);
        let mut rg = RgSettings::default();
        let profile = p.profiles.for_country("MT");
        rg.limits =
            rg_core::change_limit(&rg.limits, LimitPeriod::Daily, Amount::new(5_000).ok(), profile, at).unwrap();
        rg.limits = rg_core::change_limit(&rg.limits, LimitPeriod::Daily, None, profile, at).unwrap();
        let due = MoneyState::Play {
            player: player("active", "approved"),
            state: PlayState { listed: false, rg, minutes_played_today: 0 },
            betting: false,
        };
        let settled = decide(&bonus, &due, &p, at + Duration::days(30)).unwrap().settled_rg.expect("saved");
        assert_eq!(settled.limits.daily.active, None);
    }
}
