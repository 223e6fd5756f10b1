//! The money flow in the store: a deposit's, withdrawal's or staff posting's state
//! loaded behind the wallet's lock, decided by the caller's rules, and written with its
//! posting, screening and audit entry in one transaction.
use super::schema::wallet_events;
use super::types::{DbId, DbTime};
use super::wallet::PostFailure;
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::{Activity, EventKind, RiskLevel, ScreenedEvent};
use compliance_core::{MoneyResult, Policy};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use kernel::Refused;
use rg_core::{DepositUsage, RgSettings};
use serde_json::json;
use uuid::Uuid;
use wallet_core::{DepositTotals, EventType, PostError, Posting, WalletHead};

use super::compliance::id;
use pam_core::{PlayState, PlayerContext};

/// What the rules of a deposit or withdrawal read, loaded behind the wallet's lock.
// One per posting, built and read in place: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MoneyState {
    Deposit {
        player: PlayerContext,
        /// Whether the national register lists the player.
        listed: bool,
        /// As saved, due changes not yet applied.
        rg: RgSettings,
        /// The wallet's deposits ever, before this one.
        deposited_before: DepositTotals,
        /// What was deposited in each deposit-limit window ending now.
        usage: DepositUsage,
    },
    Withdrawal {
        player: PlayerContext,
        /// The risk levels of the player's open AML alerts.
        open_risks: Vec<RiskLevel>,
    },
    /// An operator's BET (play: the rules of a round's player) or bonus (no bonus for a
    /// player who may not play); `betting` for the BET.
    Play { player: PlayerContext, state: PlayState, betting: bool },
    /// A posting no rule reads.
    Unruled,
}

/// What the rules decided a posting writes besides itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MoneyDecision {
    /// The player's RG settings with due changes applied, when there were any.
    pub settled_rg: Option<RgSettings>,
}

/// The rule book of deposits and withdrawals: a pure function of the posting, the state
/// loaded for it, the policy and the time.
pub type MoneyRules = fn(&Posting, &MoneyState, &Policy, DateTime<Utc>) -> Result<MoneyDecision, Refused>;

/// Why a money movement or a round was not made.
#[derive(Debug)]
pub enum MoneyFailure {
    Post(PostError),
    Refused(Refused),
    Db(DbError),
}

impl From<diesel::result::Error> for MoneyFailure {
    fn from(e: diesel::result::Error) -> Self {
        MoneyFailure::Db(e.into())
    }
}

impl From<DbError> for MoneyFailure {
    fn from(e: DbError) -> Self {
        MoneyFailure::Db(e)
    }
}

impl From<PostFailure> for MoneyFailure {
    fn from(e: PostFailure) -> Self {
        match e {
            PostFailure::Post(p) => MoneyFailure::Post(p),
            PostFailure::Db(d) => MoneyFailure::Db(d),
        }
    }
}

impl From<Refused> for MoneyFailure {
    fn from(r: Refused) -> Self {
        MoneyFailure::Refused(r)
    }
}

#[backend_queries(siblings(wallet, postings, compliance, aml, audit, register, rg))]
mod queries {
    use aml::raise_aml;
    use audit::record_audit;
    use compliance::{
        activity, deposit_usage, load_play, open_alerts, player_context, screen_bet, screen_deposit, screen_withdrawal,
    };
    use register::on_register;
    use rg::save_rg;

    /// A deposit or withdrawal (or an operator's other posting) through every rule, in
    /// one transaction with the posting and the alerts it raises: the state the rules read
    /// is loaded behind the wallet's lock, `rules` decide on it, and the decision, the
    /// posting and its screening are written.
    pub(crate) async fn move_money(
        c: &mut Conn,
        player: DbId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        c.transaction(async |c| {
            let mut head = wallet::lock_head(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
            if posting.attribution.is_some() {
                // The key of a staff posting that went to the approval queue stays its own.
                postings::refuse_key_of_a_queued_posting(c, player, &posting).await?;
            }
            apply_money(c, player, &mut head, &posting, event_id, at, policy, rules).await
        })
        .await
    }

    /// [`move_money`] after the wallet's lock (`head`): load, decide with `rules`, then
    /// write the posting, its screening and, for a staff posting, its audit entry.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_money(
        c: &mut Conn,
        player: DbId,
        head: &mut WalletHead,
        posting: &Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        {
            // A retried request gets its original answer, whatever the rules say now.
            let seen: i64 = wallet_events::table
                .filter(wallet_events::player_id.eq(player))
                .filter(wallet_events::idempotency_key.eq(posting.idempotency_key.as_str()))
                .count()
                .get_result(c)
                .await?;
            let kind = posting.event_type;
            if seen == 0 {
                let state = load_money(c, player, posting, head.deposits(), at).await?;
                let decision = rules(posting, &state, policy, at)?;
                if let Some(rg) = &decision.settled_rg {
                    save_rg(c, player, rg, DbTime(at)).await?;
                }
            }
            let outcome = wallet::post_in_tx(c, head, posting, event_id, at, false).await?;
            if outcome.replayed {
                return Ok(MoneyResult { outcome, aml_alerts: Vec::new(), harm_alerts: Vec::new() });
            }
            if let Some(by) = &posting.attribution {
                let e = &outcome.event;
                record_audit(
                    c,
                    DbId(by.posted_by.as_uuid()),
                    "wallet.manual_posting",
                    &format!("player:{}", player.0),
                    None,
                    Some(json!({"event_id": e.id, "seq": e.seq, "type": e.event_type.as_str(), "amount": e.amount,
                                "currency": e.currency.as_str(), "reason": by.reason.as_str(),
                                "approved_by": by.approved_by.map(|a| a.as_uuid())})),
                    DbTime(at),
                )
                .await?;
            }
            let amount = posting.amount;
            let (mut aml_alerts, harm_alerts) = match kind {
                EventType::Deposit => screen_deposit(c, player, amount, head.deposits(), at, policy).await?,
                EventType::Withdrawal => screen_withdrawal(c, player, amount, head.deposits(), at, policy).await?,
                EventType::Bet => {
                    let act = activity(c, player, EventKind::Bet, head.deposits(), at, &policy.aml).await?;
                    let open = open_alerts(c, player).await?;
                    screen_bet(c, player, amount, act, &open, at, at, policy).await?
                }
                _ => (Vec::new(), Vec::new()),
            };
            if posting.is_manual_credit() {
                let candidates = compliance_core::screen(
                    &ScreenedEvent { kind: EventKind::ManualCredit, amount },
                    &Activity::default(),
                    &policy.aml,
                );
                aml_alerts.extend(raise_aml(c, player, candidates, at).await?);
            }
            Ok(MoneyResult { outcome, aml_alerts, harm_alerts })
        }
    }

    /// What the rules of `posting` read about the player, behind the wallet's lock.
    /// `deposited_before`: the wallet's deposits ever, before this posting.
    pub(crate) async fn load_money(
        c: &mut Conn,
        player: DbId,
        posting: &Posting,
        deposited_before: DepositTotals,
        at: DateTime<Utc>,
    ) -> Result<MoneyState, MoneyFailure> {
        let ctx = player_context(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
        Ok(match posting.event_type {
            EventType::Deposit => {
                let listed = match ctx.listed {
                    Some(listed) => listed,
                    None => on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?,
                };
                let rg = ctx.rg().map_err(DbError::from)?;
                let usage = deposit_usage(c, player, deposited_before, at).await?;
                MoneyState::Deposit { player: ctx, listed, rg, deposited_before, usage }
            }
            EventType::Withdrawal => {
                let open = open_alerts(c, player).await?;
                let open_risks = open.iter().filter_map(|(_, _, l)| RiskLevel::parse(l)).collect();
                MoneyState::Withdrawal { player: ctx, open_risks }
            }
            // An operator's BET is play: the same rules as a round's; no bonus for a
            // player who may not play.
            EventType::Bet | EventType::BonusCredit => {
                let betting = posting.event_type == EventType::Bet;
                let state = load_play(c, player, &ctx, at, betting).await?;
                MoneyState::Play { player: ctx, state, betting }
            }
            _ => MoneyState::Unruled,
        })
    }
}

impl Db {
    pub async fn move_money(
        &self,
        player: AccountId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        dispatch!(write self, self::move_money(id(player), posting, event_id, at, policy, rules))
    }
}
