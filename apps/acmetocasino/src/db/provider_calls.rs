//! A provider's bet, win or rollback in the store, load → decide → write in one
//! transaction. Load: lock the player's wallet and, in the same pipeline behind the lock
//! (one round trip on PostgreSQL), read the provider transactions the canonical rules
//! look at (the same id and kind, the referenced bet, a rollback that overtook its bet);
//! a rollback also counts the round's wins. Decide: the application's [`ProviderRules`]
//! (`app::providers`, composing provider-core's rules, the play rules a bet of ours
//! passes and the stake rules). Write: the wallet event, the provider transaction with
//! its status and the event it wrote, the provider round and the game session's totals,
//! and the bet's screening — all or nothing.
use super::compliance::{MoneyFailure, Policy, Refused, id};
use super::providers::{Launch, LaunchRow};
use super::schema::{game_sessions, provider_launches, provider_rounds, provider_transactions};
use super::types::{DbId, DbTime};
use super::wallet::{LockWallet, PostFailure, WalletRow};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::EventKind;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::{AccountId, Amount, Currency, Refusal};
use pam_core::{PlayAllowed, PlayState, PlayerContext};
use provider_core::{Decision, Failure, ProviderGame, Snapshot, StoredTx, Transaction, TxKind, TxStatus, WinKind};
use uuid::Uuid;
use wallet_core::{Balances, EventType, IdempotencyKey, PostError, Posting, PostingError, Reference};

/// A bet, win or rollback a provider asked for, with the ids and instant its writes use.
#[derive(Debug, Clone)]
pub struct ProviderCall {
    pub provider: String,
    pub kind: TxKind,
    pub win_kind: Option<WinKind>,
    pub tx: Transaction,
    pub player: AccountId,
    pub game: ProviderGame,
    pub fingerprint: String,
    /// The hash of the launch token the call carries, if any.
    pub token_hash: Option<String>,
    /// The id of the provider transaction's row (the platform's transaction id).
    pub row_id: Uuid,
    pub event_id: Uuid,
    /// The id of the provider round, should this call open it.
    pub round_id: Uuid,
    pub at: DateTime<Utc>,
}

/// The application's decisions inside a provider call's transaction.
pub trait ProviderRules: Send + Sync {
    /// The canonical decision on what the transaction loaded (`currency`: the wallet's).
    fn decide(&self, call: &ProviderCall, snapshot: &Snapshot, currency: Currency) -> Decision;

    /// Whether a bet may be placed with this launch (`None`: no launch found).
    fn check_launch(&self, call: &ProviderCall, launch: Option<&Launch>) -> Result<(), Failure>;

    /// The stake against the game's limits and the player's stake caps.
    fn check_stake(&self, call: &ProviderCall, player: &PlayerContext) -> Result<(), Refused>;

    /// Whether the player may bet at all (status, KYC, register, exclusions, session time).
    fn check_play(&self, player: &PlayerContext, state: PlayState, at: DateTime<Utc>) -> Result<PlayAllowed, Refused>;

    fn policy(&self) -> &Policy;
}

/// What a call left in the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    pub balances: Balances,
    pub currency: Currency,
    /// The platform's id of the provider transaction.
    pub transaction: Uuid,
    /// The call was answered from what was stored: nothing moved.
    pub replayed: bool,
}

/// Why a call moved nothing.
#[derive(Debug)]
pub enum CallFailure {
    /// Refused by a rule; the wallet as it stands, when the player has one.
    Refused(Failure, Option<(Balances, Currency)>),
    Db(DbError),
}

impl From<DbError> for CallFailure {
    fn from(e: DbError) -> Self {
        CallFailure::Db(e)
    }
}

impl From<diesel::result::Error> for CallFailure {
    fn from(e: diesel::result::Error) -> Self {
        CallFailure::Db(e.into())
    }
}

/// A rule's refusal of a bet, in the seamless-wallet contract's terms.
pub(crate) fn refused_bet(e: MoneyFailure) -> CallFailure {
    match e {
        MoneyFailure::Refused(r) => CallFailure::Refused(
            match r.refusal {
                Refusal::SelfExcluded | Refusal::AccountBlocked | Refusal::KycRequired => Failure::UserDisabled,
                _ => Failure::LimitReached(r.detail),
            },
            None,
        ),
        MoneyFailure::Post(_) => CallFailure::Refused(Failure::PlayerNotFound, None),
        MoneyFailure::Db(e) => CallFailure::Db(e),
    }
}

/// A provider transaction as stored.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = provider_transactions)]
struct TxRow {
    id: DbId,
    kind: String,
    transaction_id: String,
    player_id: DbId,
    round: String,
    amount: i64,
    fingerprint: String,
    status: String,
    event_id: Option<DbId>,
    created_at: DbTime,
}

/// A stored provider transaction with the row's id and the event it wrote.
struct Stored {
    tx: StoredTx,
    row_id: Uuid,
    event_id: Option<Uuid>,
}

/// What a call's transaction loads behind the wallet lock.
struct Loaded {
    head: wallet_core::WalletHead,
    same: Option<Stored>,
    bet: Option<Stored>,
    rollback_of_bet: Option<Stored>,
}

/// The latest of the rows found (a round may hold several bets; a bet, several
/// rollbacks naming it), as the rules read it.
fn latest(rows: Vec<TxRow>) -> Result<Option<Stored>, DbError> {
    let Some(r) = rows.into_iter().max_by_key(|r| r.created_at) else { return Ok(None) };
    let kind = TxKind::parse(&r.kind).ok_or_else(|| DbError::Row(format!("provider transaction kind {:?}", r.kind)))?;
    let status = TxStatus::parse(&r.status)
        .ok_or_else(|| DbError::Row(format!("provider transaction status {:?}", r.status)))?;
    Ok(Some(Stored {
        tx: StoredTx {
            kind,
            id: r.transaction_id,
            player: r.player_id.0.to_string(),
            round: r.round,
            amount: r.amount,
            fingerprint: r.fingerprint,
            status,
        },
        row_id: r.id.0,
        event_id: r.event_id.map(|e| e.0),
    }))
}

/// The reference every posting of a provider's round carries.
fn round_reference(call: &ProviderCall) -> Result<Reference, DbError> {
    let raw = format!("provider:{}:{}", call.provider, call.tx.round);
    let raw: String = raw.chars().take(200).collect();
    Reference::parse(&raw).map_err(|e| DbError::Row(e.to_string()))
}

#[backend_queries(siblings(wallet, compliance))]
mod queries {
    use compliance::{activity, load_play, open_alerts, player_context, save_rg, screen_bet};

    /// The lock on the player's wallet and the provider transactions the rules look at,
    /// in one pipeline behind it (one round trip on PostgreSQL): the call's own id and
    /// kind; for a bet, a rollback that named it ahead of it; for a win or rollback, its
    /// bet (by reference, else the player's latest of the round). Each lookup is a
    /// cached statement its own index answers; the latest of the rows is picked here (an
    /// `ORDER BY created_at` could lead a planner to walk the provider's history).
    async fn load(c: &mut Conn, call: &ProviderCall) -> Result<Loaded, CallFailure> {
        use provider_transactions as t;
        let (provider, tx, player) = (call.provider.as_str(), &call.tx, id(call.player));
        let of = |kind: TxKind| t::table.filter(t::provider.eq(provider)).filter(t::kind.eq(kind.as_str()));
        let by_id =
            |kind: TxKind, id: &str| of(kind).filter(t::transaction_id.eq(id.to_owned())).select(TxRow::as_select());
        let lock = || LockWallet { player };
        let (heads, same, other) = match (call.kind, &tx.reference) {
            (TxKind::Bet, _) => {
                let rollback = of(TxKind::Rollback).filter(t::reference.eq(tx.id.clone())).select(TxRow::as_select());
                together!(c; lock() => WalletRow, by_id(call.kind, &tx.id) => TxRow, rollback => TxRow)?
            }
            (_, Some(reference)) => {
                together!(c; lock() => WalletRow, by_id(call.kind, &tx.id) => TxRow, by_id(TxKind::Bet, reference) => TxRow)?
            }
            (_, None) => {
                let of_round = of(TxKind::Bet)
                    .filter(t::round.eq(tx.round.clone()))
                    .filter(t::player_id.eq(player))
                    .select(TxRow::as_select());
                together!(c; lock() => WalletRow, by_id(call.kind, &tx.id) => TxRow, of_round => TxRow)?
            }
        };
        let head = heads
            .into_iter()
            .next()
            .map(wallet_core::WalletHead::try_from)
            .transpose()?
            .ok_or(CallFailure::Refused(Failure::PlayerNotFound, None))?;
        let (bet, rollback_of_bet) = match call.kind {
            TxKind::Bet => (None, latest(other)?),
            _ => (latest(other)?, None),
        };
        Ok(Loaded { head, same: latest(same)?, bet, rollback_of_bet })
    }

    /// The launch a bet plays under: its token's, or the player's latest of the game.
    async fn launch_for_bet(c: &mut Conn, call: &ProviderCall) -> Result<Option<Launch>, DbError> {
        // Always through the player (a launch token is theirs alone, and the shard key).
        let q = provider_launches::table
            .filter(provider_launches::provider.eq(&call.provider))
            .filter(provider_launches::player_id.eq(id(call.player)))
            .into_boxed();
        let q = match &call.token_hash {
            Some(hash) => q.filter(provider_launches::token_hash.eq(hash.clone())),
            None => q.filter(provider_launches::game_slug.eq(call.game.slug.clone())),
        };
        let row =
            q.order(provider_launches::created_at.desc()).select(LaunchRow::as_select()).first(c).await.optional()?;
        Ok(row.map(Launch::from))
    }

    pub(crate) async fn provider_call(
        c: &mut Conn,
        rules: &dyn ProviderRules,
        call: &ProviderCall,
    ) -> Result<CallOutcome, CallFailure> {
        c.transaction(async |c| {
            let player = id(call.player);
            let at = DbTime(call.at);
            // Load.
            let Loaded { mut head, same, bet, rollback_of_bet } = load(c, call).await?;
            let wallet = |head: &wallet_core::WalletHead| Some((head.balances, head.currency));
            let provider = call.provider.as_str();
            let round_paid = match (&bet, call.kind) {
                (Some(b), TxKind::Rollback) => {
                    let paid: i64 = provider_transactions::table
                        .filter(provider_transactions::provider.eq(provider))
                        .filter(provider_transactions::round.eq(&b.tx.round))
                        .filter(provider_transactions::player_id.eq(player))
                        .filter(provider_transactions::kind.eq(TxKind::Win.as_str()))
                        .filter(provider_transactions::amount.gt(0))
                        .count()
                        .get_result(c)
                        .await?;
                    paid > 0
                }
                _ => false,
            };
            let snapshot = Snapshot {
                same: same.as_ref().map(|s| s.tx.clone()),
                bet: bet.as_ref().map(|s| s.tx.clone()),
                rollback_of_bet: rollback_of_bet.map(|s| s.tx),
                round_paid,
            };
            // Decide, then write.
            let outcome = |head: &wallet_core::WalletHead, transaction, replayed| CallOutcome {
                balances: head.balances,
                currency: head.currency,
                transaction,
                replayed,
            };
            match rules.decide(call, &snapshot, head.currency) {
                Decision::Replay(_) => {
                    let row = same.map(|s| s.row_id).unwrap_or(call.row_id);
                    Ok(outcome(&head, row, true))
                }
                Decision::Refuse(f) => Err(CallFailure::Refused(f, wallet(&head))),
                Decision::Debit(amount) => {
                    let launch = launch_for_bet(c, call).await?;
                    rules.check_launch(call, launch.as_ref()).map_err(|f| CallFailure::Refused(f, wallet(&head)))?;
                    let launch = launch.ok_or(CallFailure::Refused(Failure::InvalidToken, wallet(&head)))?;
                    let ctx =
                        player_context(c, player).await?.ok_or(CallFailure::Refused(Failure::InvalidToken, None))?;
                    let refuse = |e: MoneyFailure, head: &wallet_core::WalletHead| match refused_bet(e) {
                        CallFailure::Refused(f, _) => CallFailure::Refused(f, wallet(head)),
                        other => other,
                    };
                    rules.check_stake(call, &ctx).map_err(|r| refuse(r.into(), &head))?;
                    let state = load_play(c, player, &ctx, call.at, true).await?;
                    let allowed = rules.check_play(&ctx, state, call.at).map_err(|r| refuse(r.into(), &head))?;
                    if allowed.settled {
                        save_rg(c, player, &allowed.rg, at).await?;
                    }
                    let event = post(c, &mut head, call, EventType::Bet, amount, None).await?;
                    if let Ok(stake) = Amount::new(amount) {
                        let policy = rules.policy();
                        let act = activity(c, player, EventKind::Bet, head.deposits(), call.at, &policy.aml).await?;
                        let open = open_alerts(c, player).await?;
                        let started = game_sessions::table
                            .find(DbId(launch.session_id))
                            .select(game_sessions::started_at)
                            .first::<DbTime>(c)
                            .await?;
                        screen_bet(c, player, stake, act, &open, started.0, call.at, policy).await?;
                    }
                    insert_row(c, call, TxStatus::Applied, event).await?;
                    record_round(c, call, launch.session_id, amount, 0, 0).await?;
                    Ok(outcome(&head, call.row_id, false))
                }
                Decision::Credit(amount) => {
                    let event = post(c, &mut head, call, EventType::Win, amount, None).await?;
                    insert_row(c, call, TxStatus::Applied, event).await?;
                    record_round(c, call, Uuid::nil(), 0, amount, 0).await?;
                    Ok(outcome(&head, call.row_id, false))
                }
                Decision::Reverse(reversed) => {
                    let bet =
                        bet.filter(|b| b.tx.id == reversed.id).ok_or_else(|| DbError::Row("bet vanished".into()))?;
                    let event = post(c, &mut head, call, EventType::Rollback, reversed.amount, bet.event_id).await?;
                    diesel::update(provider_transactions::table.find(DbId(bet.row_id)))
                        .set((
                            provider_transactions::status.eq(TxStatus::RolledBack.as_str()),
                            provider_transactions::updated_at.eq(at),
                        ))
                        .execute(c)
                        .await?;
                    let mut rollback = call.clone();
                    rollback.tx.amount = reversed.amount;
                    insert_row(c, &rollback, TxStatus::Applied, event).await?;
                    let round_call = ProviderCall {
                        tx: Transaction { round: bet.tx.round.clone(), ..call.tx.clone() },
                        ..call.clone()
                    };
                    record_round(c, &round_call, Uuid::nil(), 0, 0, reversed.amount).await?;
                    Ok(outcome(&head, call.row_id, false))
                }
                Decision::Acknowledge { tombstone } => {
                    let status = if tombstone { TxStatus::Tombstone } else { TxStatus::Applied };
                    let mut ack = call.clone();
                    ack.tx.amount = 0;
                    insert_row(c, &ack, status, None).await?;
                    Ok(outcome(&head, call.row_id, false))
                }
            }
        })
        .await
    }

    /// Posts a provider's money movement (nothing for 0) and returns the event's id.
    async fn post(
        c: &mut Conn,
        head: &mut wallet_core::WalletHead,
        call: &ProviderCall,
        kind: EventType,
        amount: i64,
        compensates: Option<Uuid>,
    ) -> Result<Option<Uuid>, CallFailure> {
        if amount == 0 {
            return Ok(None);
        }
        let amount =
            Amount::new(amount).map_err(|e| CallFailure::Refused(Failure::WrongSyntax(e.to_string()), None))?;
        let key = IdempotencyKey::system("provider", call.row_id, call.kind.as_str());
        let reference = Some(round_reference(call)?);
        let posting = match compensates {
            Some(bet) => Posting::rollback(bet, amount, key, reference),
            None => Posting::new(kind, amount, key, reference),
        };
        let before = (head.balances, head.currency);
        match wallet::post_in_tx(c, head, &posting, call.event_id, call.at, false).await {
            Ok(outcome) => Ok(Some(outcome.event.id)),
            Err(PostFailure::Post(PostError::Rejected(PostingError::InsufficientFunds { .. }))) => {
                Err(CallFailure::Refused(Failure::NotEnoughMoney, Some(before)))
            }
            Err(PostFailure::Post(e)) => Err(CallFailure::Refused(Failure::Unknown(e.to_string()), Some(before))),
            Err(PostFailure::Db(e)) => Err(CallFailure::Db(e)),
        }
    }

    async fn insert_row(
        c: &mut Conn,
        call: &ProviderCall,
        status: TxStatus,
        event: Option<Uuid>,
    ) -> Result<(), DbError> {
        let win_kind = call.win_kind.map(|k| match k {
            WinKind::Normal => "normal",
            WinKind::Free => "free",
            WinKind::Jackpot => "jackpot",
            WinKind::Promo => "promo",
        });
        diesel::insert_into(provider_transactions::table)
            .values((
                provider_transactions::id.eq(DbId(call.row_id)),
                provider_transactions::provider.eq(&call.provider),
                provider_transactions::transaction_id.eq(&call.tx.id),
                provider_transactions::kind.eq(call.kind.as_str()),
                provider_transactions::win_kind.eq(win_kind),
                provider_transactions::player_id.eq(id(call.player)),
                provider_transactions::round.eq(&call.tx.round),
                provider_transactions::game_slug.eq(&call.game.slug),
                provider_transactions::reference.eq(&call.tx.reference),
                provider_transactions::amount.eq(call.tx.amount),
                provider_transactions::fingerprint.eq(&call.fingerprint),
                provider_transactions::status.eq(status.as_str()),
                provider_transactions::event_id.eq(event.map(DbId)),
                provider_transactions::created_at.eq(DbTime(call.at)),
                provider_transactions::updated_at.eq(DbTime(call.at)),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    /// Adds a call's money to its round (opening it on its first bet, closing it when the
    /// provider says so) and to the round's game session.
    async fn record_round(
        c: &mut Conn,
        call: &ProviderCall,
        session_if_new: Uuid,
        wagered: i64,
        won: i64,
        refunded: i64,
    ) -> Result<(), DbError> {
        let at = DbTime(call.at);
        let found: Option<(DbId, DbId)> = provider_rounds::table
            .filter(provider_rounds::provider.eq(&call.provider))
            .filter(provider_rounds::round.eq(&call.tx.round))
            .filter(provider_rounds::player_id.eq(id(call.player)))
            .select((provider_rounds::id, provider_rounds::session_id))
            .first(c)
            .await
            .optional()?;
        let status = if call.tx.round_closed { "closed" } else { "open" };
        let closed_at = call.tx.round_closed.then_some(at);
        let (session, new_round) = match found {
            Some((round, session)) => {
                diesel::update(provider_rounds::table.find(round))
                    .set((
                        provider_rounds::wagered.eq(provider_rounds::wagered + wagered),
                        provider_rounds::won.eq(provider_rounds::won + won),
                        provider_rounds::refunded.eq(provider_rounds::refunded + refunded),
                        provider_rounds::updated_at.eq(at),
                    ))
                    .execute(c)
                    .await?;
                // Closed when the provider says so, or once every bet of it is refunded
                // and nothing was won: no money is left at stake in it.
                let q = provider_rounds::table.find(round).filter(provider_rounds::status.eq("open"));
                let close = (provider_rounds::status.eq("closed"), provider_rounds::closed_at.eq(Some(at)));
                if call.tx.round_closed {
                    diesel::update(q).set(close).execute(c).await?;
                } else if refunded > 0 {
                    let settled = q
                        .filter(provider_rounds::won.eq(0))
                        .filter(provider_rounds::refunded.eq(provider_rounds::wagered));
                    diesel::update(settled).set(close).execute(c).await?;
                }
                (session, false)
            }
            None if session_if_new.is_nil() => return Ok(()),
            None => {
                diesel::insert_into(provider_rounds::table)
                    .values((
                        provider_rounds::id.eq(DbId(call.round_id)),
                        provider_rounds::provider.eq(&call.provider),
                        provider_rounds::round.eq(&call.tx.round),
                        provider_rounds::player_id.eq(id(call.player)),
                        provider_rounds::game_slug.eq(&call.game.slug),
                        provider_rounds::session_id.eq(DbId(session_if_new)),
                        provider_rounds::wagered.eq(wagered),
                        provider_rounds::won.eq(won),
                        provider_rounds::refunded.eq(refunded),
                        provider_rounds::status.eq(status),
                        provider_rounds::opened_at.eq(at),
                        provider_rounds::updated_at.eq(at),
                        provider_rounds::closed_at.eq(closed_at),
                    ))
                    .execute(c)
                    .await?;
                (DbId(session_if_new), true)
            }
        };
        diesel::update(game_sessions::table.find(session))
            .set((
                game_sessions::rounds.eq(game_sessions::rounds + i64::from(new_round)),
                game_sessions::wagered.eq(game_sessions::wagered + (wagered - refunded)),
                game_sessions::won.eq(game_sessions::won + won),
                game_sessions::last_activity_at.eq(Some(at)),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    /// Closes a provider's round (its `endRound`); the wallet as it stands.
    pub(crate) async fn end_provider_round(
        c: &mut Conn,
        provider: &str,
        round: &str,
        player: DbId,
        at: DbTime,
    ) -> Result<Option<(Balances, Currency)>, DbError> {
        diesel::update(
            provider_rounds::table
                .filter(provider_rounds::provider.eq(provider))
                .filter(provider_rounds::round.eq(round))
                .filter(provider_rounds::player_id.eq(player))
                .filter(provider_rounds::status.eq("open")),
        )
        .set((
            provider_rounds::status.eq("closed"),
            provider_rounds::closed_at.eq(Some(at)),
            provider_rounds::updated_at.eq(at),
        ))
        .execute(c)
        .await?;
        Ok(wallet::head(c, player).await?.map(|h| (h.balances, h.currency)))
    }
}

impl Db {
    pub async fn provider_call(
        &self,
        rules: &dyn ProviderRules,
        call: &ProviderCall,
    ) -> Result<CallOutcome, CallFailure> {
        dispatch!(write self, self::provider_call(rules, call))
    }

    pub async fn end_provider_round(
        &self,
        provider: &str,
        round: &str,
        player: AccountId,
        at: DateTime<Utc>,
    ) -> Result<Option<(Balances, Currency)>, DbError> {
        dispatch!(write self, self::end_provider_round(provider, round, id(player), DbTime(at)))
    }
}
