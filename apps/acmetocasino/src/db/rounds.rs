//! Rounds: a round's transaction (load → decide → write, see `round_rules` and
//! `app::play`), its rollback, and the round searches.
//!
//! A round runs in one transaction. Load: lock the wallet (which also serialises the
//! player's seed pair and nonce) and, in the same pipeline, read everything the round
//! needs ([`RoundSnapshot`]); a reused idempotency key, a session that is not the
//! player's or a player without a seed pair read a little more. Decide: the
//! application's [`RoundRules`] (`app::play`) replay or refuse the key, choose the
//! session, check the stake, draw and post the `BET` and `WIN` ([`RoundDecision`]), the
//! player first passing pam-core's play rules on what was loaded; the bet is screened
//! here, and the rules decide a reality check. Write: the sessions opened or closed, a
//! new seed pair, the events, the wallet's head, the round with its RNG audit data, the
//! nonce and the session totals in one pipeline (on PostgreSQL with the `COMMIT` behind
//! them, see [`pipelined_transaction`]). Any failure rolls all of it back. On SQLite
//! that transaction is a savepoint inside a batch of rounds committed together (see
//! [`RoundWriter`](super::round_writer::RoundWriter)).

use super::compliance::{
    BetsLastMinute, ContextQuery, ContextRow, OpenAlertRow, OpenAlerts, RegisterCandidates, RegisterEntry, context_of,
};
use super::faults::FaultPoints;
use super::game_control::LimitsForBet;
use super::game_control::{bp_of, rtp_of};
use super::round_rules::{
    BetRequest, BetResult, RoundDecision, RoundFailure, RoundRules, RoundSnapshot, SessionSnapshot,
};
use super::schema::{game_sessions, rounds, seed_pairs, wallet_events};
use super::seed_pairs as pair_store;
use super::seed_pairs::{AdvanceNonce, SeedPairForBet, SeedPairRow};
use super::sessions::{RecordSessionRound, SessionForBet, SessionRow};
use super::statement::{Pipelined, PipelinedTransaction, pipelined_transaction, prepared};
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::wallet::{InsertEvent, LockWallet, SetWalletHead, WalletRow};
use super::{Backend, Db, DbError, backend_queries, dispatch, money_of, sessions};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gal_core::{
    NewSeedPair, Rotation, Round, RoundRepository, Rounding, SeedPair, SeedPairView, Session, SessionTarget, StoreError,
};
use gamectl_core::{BetLimits, RoundFilter, RoundOrder};
use kernel::{AccountId, Amount};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;
use wallet_core::{Balances, IdempotencyKey, PostError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rounds)]
pub(crate) struct RoundRow {
    id: DbId,
    session_id: DbId,
    player_id: DbId,
    game_slug: String,
    amount: i64,
    payout: i64,
    multiplier_micro: i64,
    rtp_bp: i32,
    expected_rtp: f64,
    variance: f64,
    weighted_expected: f64,
    weighted_variance: f64,
    params: String,
    outcome: String,
    seed_pair_id: DbId,
    server_seed_hash: String,
    client_seed: String,
    nonce: i64,
    draws: String,
    idempotency_key: String,
    request_fingerprint: String,
    bet_event_id: DbId,
    win_event_id: Option<DbId>,
    status: String,
    rolled_back_at: Option<DbTime>,
    rolled_back_by: Option<DbId>,
    created_at: DbTime,
    payout_rounding: String,
}

/// A multiplier as stored (millionths, `BIGINT`).
fn stored_multiplier(micro: u64) -> Result<i64, DbError> {
    i64::try_from(micro).map_err(|_| DbError::Row(format!("multiplier {micro} past BIGINT")))
}

impl RoundRow {
    /// The row of a round just decided, played with `key`.
    fn settled(d: &RoundDecision, key: &IdempotencyKey) -> Result<Self, DbError> {
        let r = &d.round;
        Ok(RoundRow {
            id: DbId(r.id),
            session_id: DbId(r.session_id),
            player_id: DbId(r.player_id.as_uuid()),
            game_slug: r.game_slug.clone(),
            amount: r.amount.minor_units(),
            payout: r.payout.minor_units(),
            multiplier_micro: stored_multiplier(r.multiplier_micro)?,
            rtp_bp: bp_of(r.rtp)?,
            expected_rtp: d.theory.rtp,
            variance: d.theory.variance,
            // The payout's own figures at this stake, rounding included, so the
            // statistics stay exact at any mix of stakes.
            weighted_expected: d.at_stake.expected_payout,
            weighted_variance: d.at_stake.variance,
            params: r.params.to_string(),
            outcome: r.outcome.to_string(),
            seed_pair_id: DbId(d.pair_id),
            server_seed_hash: r.server_seed_hash.clone(),
            client_seed: r.client_seed.clone(),
            nonce: i64::try_from(r.nonce).map_err(|_| DbError::Row(format!("nonce {} past BIGINT", r.nonce)))?,
            draws: serde_json::to_string(&r.draws).map_err(|e| DbError::Row(e.to_string()))?,
            idempotency_key: key.as_str().to_owned(),
            request_fingerprint: d.fingerprint.clone(),
            bet_event_id: DbId(r.bet_event_id),
            win_event_id: r.win_event_id.map(DbId),
            status: "settled".into(),
            rolled_back_at: None,
            rolled_back_by: None,
            created_at: DbTime(r.created_at),
            payout_rounding: r.rounding.as_str().to_owned(),
        })
    }
}

fn to_round(r: RoundRow, revealed: Option<String>) -> Result<Round, DbError> {
    let json = |s: &str| serde_json::from_str::<Value>(s).map_err(|e| DbError::Row(e.to_string()));
    Ok(Round {
        id: r.id.0,
        session_id: r.session_id.0,
        player_id: AccountId::from_uuid(r.player_id.0),
        game_slug: r.game_slug,
        amount: Amount::new(r.amount).map_err(|e| DbError::Row(format!("round {} amount: {e}", r.id.0)))?,
        payout: money_of("payout", r.payout)?,
        multiplier_micro: u64::try_from(r.multiplier_micro)
            .map_err(|_| DbError::Row(format!("round {} multiplier {}", r.id.0, r.multiplier_micro)))?,
        rtp: rtp_of(r.rtp_bp)?,
        expected_rtp: r.expected_rtp,
        params: json(&r.params)?,
        outcome: json(&r.outcome)?,
        server_seed_hash: r.server_seed_hash,
        client_seed: r.client_seed,
        nonce: u64::try_from(r.nonce).map_err(|_| DbError::Row(format!("round {} nonce {}", r.id.0, r.nonce)))?,
        draws: serde_json::from_str(&r.draws).map_err(|e| DbError::Row(e.to_string()))?,
        rounding: Rounding::parse(&r.payout_rounding)
            .ok_or_else(|| DbError::Row(format!("payout rounding {:?}", r.payout_rounding)))?,
        server_seed: revealed,
        bet_event_id: r.bet_event_id.0,
        win_event_id: r.win_event_id.map(|w| w.0),
        rolled_back: r.status == "rolled_back",
        rolled_back_at: r.rolled_back_at.map(|t| t.0),
        created_at: r.created_at.0,
    })
}

prepared! {
    /// Writes a settled round.
    pub(crate) struct InsertRound<'a>(&RoundRow) = "INSERT INTO rounds (id, session_id, player_id, game_slug, \
         amount, payout, multiplier_micro, rtp_bp, expected_rtp, variance, weighted_expected, weighted_variance, \
         params, outcome, seed_pair_id, server_seed_hash, client_seed, nonce, draws, idempotency_key, \
         request_fingerprint, bet_event_id, win_event_id, status, rolled_back_at, rolled_back_by, created_at, \
         payout_rounding) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" {
        id => DbUuid,
        session_id => DbUuid,
        player_id => DbUuid,
        game_slug => Text,
        amount => BigInt,
        payout => BigInt,
        multiplier_micro => BigInt,
        rtp_bp => Integer,
        expected_rtp => Double,
        variance => Double,
        weighted_expected => Double,
        weighted_variance => Double,
        params => Text,
        outcome => Text,
        seed_pair_id => DbUuid,
        server_seed_hash => Text,
        client_seed => Text,
        nonce => BigInt,
        draws => Text,
        idempotency_key => Text,
        request_fingerprint => Text,
        bet_event_id => DbUuid,
        win_event_id => Nullable<DbUuid>,
        status => Text,
        rolled_back_at => Nullable<DbTimestamp>,
        rolled_back_by => Nullable<DbUuid>,
        created_at => DbTimestamp,
        payout_rounding => Text,
    }
}

prepared! {
    /// The round a player already played with an idempotency key.
    pub(crate) struct RoundByKey -> (DbUuid) = "SELECT id FROM rounds WHERE player_id = ? AND idempotency_key = ?" {
        player: DbId => DbUuid,
        key: String => Text,
    }
}

/// The session id and game a bet names, as [`SessionForBet`] and [`SeedPairForBet`]
/// take them.
fn bet_target(target: &SessionTarget) -> (Option<DbId>, Option<String>) {
    match target {
        SessionTarget::Existing(id) => (Some(DbId(*id)), None),
        SessionTarget::LaunchOrReuse { game_slug, .. } => (None, Some(game_slug.clone())),
    }
}

/// A round's activity for AML screening: the bets counted before its own (under the
/// same lock), and its own.
fn bet_activity(bets_before: &[(i64,)]) -> compliance_core::Activity {
    let before = bets_before.first().map_or(0, |(n,)| *n);
    let bets_last_minute = u32::try_from(before.saturating_add(1)).unwrap_or(u32::MAX);
    compliance_core::Activity { bets_last_minute, ..Default::default() }
}

/// The round-search filters, applied to a boxed query over `rounds`.
macro_rules! filter_rounds {
    ($query:expr, $f:expr) => {{
        let f: &RoundFilter = $f;
        let mut q = $query;
        if let Some(p) = f.player {
            q = q.filter(rounds::player_id.eq(DbId(p.as_uuid())));
        }
        if let Some(g) = &f.game_slug {
            q = q.filter(rounds::game_slug.eq(g.clone()));
        }
        if let Some(rolled_back) = f.rolled_back {
            q = q.filter(rounds::status.eq(if rolled_back { "rolled_back" } else { "settled" }));
        }
        if let Some(rule) = f.big_wins {
            let m = i64::try_from(rule.multiplier_micro()).unwrap_or(i64::MAX);
            q = q.filter(rounds::multiplier_micro.ge(m).or(rounds::payout.ge(rule.payout)));
        }
        if let Some(t) = f.from {
            q = q.filter(rounds::created_at.ge(DbTime(t)));
        }
        if let Some(t) = f.to {
            q = q.filter(rounds::created_at.lt(DbTime(t)));
        }
        q
    }};
}

#[backend_queries(siblings(wallet, compliance, game_control))]
mod queries {
    pub(crate) async fn round_by_id(c: &mut Conn, id: DbId) -> Result<Option<Round>, DbError> {
        let row = rounds::table
            .inner_join(seed_pairs::table)
            .filter(rounds::id.eq(id))
            .select((RoundRow::as_select(), seed_pairs::server_seed, seed_pairs::revealed_at))
            .first::<(RoundRow, String, Option<DbTime>)>(c)
            .await
            .optional()?;
        row.map(|(r, seed, revealed)| to_round(r, revealed.map(|_| seed))).transpose()
    }

    pub(crate) async fn bet(
        c: &mut Conn,
        rules: &dyn RoundRules,
        faults: &FaultPoints,
        req: &BetRequest,
    ) -> Result<BetResult, RoundFailure> {
        pipelined_transaction(c, async |c| {
            let player = DbId(req.player.as_uuid());
            let at = DbTime(req.at);
            // Load. The lock first; the reads behind it in the same pipeline see what it
            // locked. Everything the round reads goes out here, behind the `BEGIN` (one
            // round trip on PostgreSQL).
            let (named, slug) = bet_target(&req.session);
            let (heads, previous, contexts, bets, register, sessions, limits, pairs, open) = together!(c; begin;
                LockWallet { player } => WalletRow,
                RoundByKey { player, key: req.idempotency_key.as_str().to_owned() } => (DbId,),
                ContextQuery::of(player) => ContextRow,
                BetsLastMinute::at(player, req.at) => (i64,),
                RegisterCandidates { player } => RegisterEntry,
                SessionForBet { id: named, owner: player, player, slug: slug.clone() } => SessionRow,
                LimitsForBet { session: named, player, slug: slug.clone() } => (i64, i64),
                SeedPairForBet { session: named, slug: slug.clone(), player } => (SeedPairRow, Option<i32>),
                OpenAlerts { player } => OpenAlertRow,
            )?;
            let head = heads
                .into_iter()
                .next()
                .map(wallet_core::WalletHead::try_from)
                .transpose()?
                .ok_or(RoundFailure::Post(PostError::WalletNotFound))?;
            if let Some((id,)) = previous.into_iter().next() {
                return replay(c, rules, req, id).await;
            }
            let mut ctx =
                context_of(contexts.into_iter().next().ok_or(RoundFailure::Post(PostError::WalletNotFound))?)?;
            ctx.listed = Some(crate::db::compliance::register_lists(
                &register,
                &ctx.email,
                ctx.date_of_birth,
                ctx.known_name.as_deref(),
            ));
            let play = compliance::load_play(c, player, &ctx, req.at, true).await?;
            let session = found_session(c, &req.session, sessions).await?;
            let (pair, target) = match pairs.into_iter().next() {
                Some((pair, target)) => (Some(SeedPair::try_from(&pair)?), target),
                // No pair yet: the game's target on its own (the pair's query reads it).
                None => match (&session, slug) {
                    (SessionSnapshot::Found(s), _) => (None, game_control::target_of(c, &s.game_slug).await?),
                    (_, Some(game)) => (None, game_control::target_of(c, &game).await?),
                    _ => (None, None),
                },
            };
            let snapshot = RoundSnapshot {
                head,
                player: ctx,
                play,
                session,
                limits: limits
                    .into_iter()
                    .next()
                    .map(|(min, max)| BetLimits::new(min, max))
                    .transpose()
                    .map_err(|e| DbError::Row(e.to_string()))?,
                pair,
                target: target.map(rtp_of).transpose()?,
            };
            // Decide.
            let decision = rules.decide(&snapshot, req)?;
            let started_at = decision.session.session.started_at;
            let (aml_alerts, harm_alerts) = compliance::screen_bet(
                c,
                player,
                req.amount,
                bet_activity(&bets),
                &open,
                started_at,
                req.at,
                rules.policy(),
            )
            .await?;
            let rg = decision.rg;
            let forced = snapshot.player.forced_reality_check(&harm_alerts, rg.last_reality_check_at, req.at);
            let (reality_check, rg) = match rules.reality_check(rg, forced, &decision, req.at) {
                Some((check, rg)) => (Some(check), Some(rg)),
                None => (None, decision.rg_settled.then_some(rg)),
            };
            if let Some(rg) = &rg {
                compliance::save_rg(c, player, rg, at).await?;
            }
            // Write.
            write_round(c, &decision, &req.idempotency_key, faults).await?;
            Ok(BetResult {
                round: decision.round,
                balances: decision.after.balances,
                replayed: false,
                reality_check,
                aml_alerts,
                harm_alerts,
                committed_with: 1,
            })
        })
        .await
    }

    /// A key used before: once the rules take the request for the same one, the original
    /// round and the balances right after its last event.
    async fn replay(
        c: &mut Conn,
        rules: &dyn RoundRules,
        req: &BetRequest,
        id: DbId,
    ) -> Result<BetResult, RoundFailure> {
        let round = round_by_id(c, id).await?.ok_or(RoundFailure::RoundNotFound)?;
        let stored: String = rounds::table.find(id).select(rounds::request_fingerprint).first(c).await?;
        rules.replay(req, &stored)?;
        let last = DbId(round.win_event_id.unwrap_or(round.bet_event_id));
        let (cash, bonus) = wallet_events::table
            .find(last)
            .select((wallet_events::cash_balance_after, wallet_events::bonus_balance_after))
            .first::<(i64, i64)>(c)
            .await?;
        Ok(BetResult {
            round,
            balances: Balances {
                cash: money_of("cash_balance_after", cash)?,
                bonus: money_of("bonus_balance_after", bonus)?,
            },
            replayed: true,
            reality_check: None,
            aml_alerts: Vec::new(),
            harm_alerts: Vec::new(),
            committed_with: 1,
        })
    }

    /// The session the first pipeline found for a bet. A session the bet names that is
    /// not the player's is looked up by its id alone, only to tell "not yours" from "none".
    async fn found_session(
        c: &mut Conn,
        target: &SessionTarget,
        rows: Vec<SessionRow>,
    ) -> Result<SessionSnapshot, DbError> {
        if let Some(row) = rows.into_iter().next() {
            return Ok(SessionSnapshot::Found(row.try_into()?));
        }
        let SessionTarget::Existing(id) = target else { return Ok(SessionSnapshot::Missing) };
        let exists = game_sessions::table.find(DbId(*id)).count().get_result::<i64>(c).await? > 0;
        Ok(if exists { SessionSnapshot::NotTheirs } else { SessionSnapshot::Missing })
    }

    /// Writes a decided round: every write in one pipeline, and on PostgreSQL the `COMMIT`
    /// behind them (one round trip): nothing may fail after it.
    async fn write_round(
        c: &mut Conn,
        d: &RoundDecision,
        key: &IdempotencyKey,
        faults: &FaultPoints,
    ) -> Result<(), RoundFailure> {
        let round = &d.round;
        let (player, at) = (DbId(round.player_id.as_uuid()), DbTime(round.created_at));
        let closed = d.session.closed.as_ref().map(|s| {
            diesel::update(game_sessions::table.find(DbId(s.id)))
                .set((game_sessions::status.eq("closed"), game_sessions::ended_at.eq(Some(DbTime(s.last_active())))))
        });
        let opened = d.session.opened.then(|| SessionRow::opened(&d.session.session));
        let opened = opened.as_ref().map(|row| diesel::insert_into(game_sessions::table).values(row));
        let pair = d.new_pair.as_ref().map(|p| SeedPairRow::created(player, p, at));
        let pair = pair.as_ref().map(|row| diesel::insert_into(seed_pairs::table).values(row));
        let row = RoundRow::settled(d, key)?;
        let (bet, win) = (InsertEvent::from(&d.bet), d.win.as_ref().map(InsertEvent::from));
        let (head, insert, nonce, totals) = (
            SetWalletHead::of(&d.after, round.created_at),
            InsertRound(&row),
            AdvanceNonce { seed_pair: DbId(d.pair_id), player },
            RecordSessionRound { wagered: row.amount, won: row.payout, at, session: DbId(round.session_id), player },
        );
        let mut writes: Vec<&dyn Pipelined> = Vec::with_capacity(10);
        if let Some(w) = &closed {
            writes.push(w);
        }
        if let Some(w) = &opened {
            writes.push(w);
        }
        if let Some(w) = &pair {
            writes.push(w);
        }
        writes.push(&bet);
        if let Some(w) = &win {
            writes.push(w);
        }
        writes.extend([&head as &dyn Pipelined, &insert, &nonce, &totals]);
        writes.extend(faults.after_bet());
        c.execute_and_commit(&writes).await?;
        Ok(())
    }

    /// Cancels a settled round: one `ROLLBACK` refunds the bet and, if the round paid,
    /// another reverses the win. Exactly once.
    pub(crate) async fn rollback_round(
        c: &mut Conn,
        rules: &dyn RoundRules,
        id: DbId,
        actor: DbId,
        reason: Option<String>,
        event_ids: (Uuid, Uuid),
        at: DateTime<Utc>,
    ) -> Result<Round, RoundFailure> {
        c.transaction(async |c| {
            let player = rounds::table
                .find(id)
                .select(rounds::player_id)
                .first::<DbId>(c)
                .await
                .optional()?
                .ok_or(RoundFailure::RoundNotFound)?;
            let mut head = wallet::lock_head(c, player).await?.ok_or(RoundFailure::Post(PostError::WalletNotFound))?;
            let round = round_by_id(c, id).await?.ok_or(RoundFailure::RoundNotFound)?;
            for (posting, event_id) in rules.rollback(&round, event_ids)? {
                wallet::post_in_tx(c, &mut head, &posting, event_id, at, true).await?;
            }
            compliance::record_audit(
                c,
                actor,
                "round.rolled_back",
                &format!("round:{}", round.id),
                Some(serde_json::json!({"status": "settled", "amount": round.amount, "payout": round.payout})),
                Some(serde_json::json!({"status": "rolled_back", "reason": reason})),
                DbTime(at),
            )
            .await?;
            diesel::update(rounds::table.find(id))
                .set((
                    rounds::status.eq("rolled_back"),
                    rounds::rolled_back_at.eq(Some(DbTime(at))),
                    rounds::rolled_back_by.eq(Some(actor)),
                ))
                .execute(c)
                .await?;
            diesel::update(game_sessions::table.find(DbId(round.session_id)))
                .set((
                    game_sessions::wagered.eq(game_sessions::wagered - round.amount.minor_units()),
                    game_sessions::won.eq(game_sessions::won - round.payout.minor_units()),
                ))
                .execute(c)
                .await?;
            round_by_id(c, id).await?.ok_or(RoundFailure::RoundNotFound)
        })
        .await
    }

    pub(crate) async fn server_seed_of_round(c: &mut Conn, id: DbId) -> QueryResult<Option<String>> {
        rounds::table
            .inner_join(seed_pairs::table)
            .filter(rounds::id.eq(id))
            .select(seed_pairs::server_seed)
            .first(c)
            .await
            .optional()
    }

    pub(crate) async fn recent_rounds(c: &mut Conn, limit: i64) -> Result<Vec<Round>, DbError> {
        let rows = rounds::table
            .inner_join(seed_pairs::table)
            .order(rounds::position.desc())
            .limit(limit)
            .select((RoundRow::as_select(), seed_pairs::server_seed, seed_pairs::revealed_at))
            .load::<(RoundRow, String, Option<DbTime>)>(c)
            .await?;
        rows.into_iter().map(|(r, seed, revealed)| to_round(r, revealed.map(|_| seed))).collect()
    }

    pub(crate) async fn search_rounds(c: &mut Conn, f: &RoundFilter) -> Result<(Vec<Round>, i64), DbError> {
        let total: i64 = filter_rounds!(rounds::table.into_boxed(), f).count().get_result(c).await?;
        let q = filter_rounds!(rounds::table.inner_join(seed_pairs::table).into_boxed(), f);
        let q = match f.order {
            RoundOrder::Newest => q.order(rounds::position.desc()),
            RoundOrder::Oldest => q.order(rounds::position.asc()),
            RoundOrder::AmountDesc => q.order((rounds::amount.desc(), rounds::position.desc())),
            RoundOrder::AmountAsc => q.order((rounds::amount.asc(), rounds::position.asc())),
            RoundOrder::PayoutDesc => q.order((rounds::payout.desc(), rounds::position.desc())),
            RoundOrder::PayoutAsc => q.order((rounds::payout.asc(), rounds::position.asc())),
            RoundOrder::MultiplierDesc => q.order((rounds::multiplier_micro.desc(), rounds::position.desc())),
            RoundOrder::MultiplierAsc => q.order((rounds::multiplier_micro.asc(), rounds::position.asc())),
        };
        let rows = q
            .limit(f.limit)
            .offset(f.offset)
            .select((RoundRow::as_select(), seed_pairs::server_seed, seed_pairs::revealed_at))
            .load::<(RoundRow, String, Option<DbTime>)>(c)
            .await?;
        let rounds = rows
            .into_iter()
            .map(|(r, seed, revealed)| to_round(r, revealed.map(|_| seed)))
            .collect::<Result<_, _>>()?;
        Ok((rounds, total))
    }
}

impl Db {
    /// Plays a round in a transaction of its own on PostgreSQL. On SQLite the rounds that
    /// arrive while the writer is busy queue up, and the writer's next turn plays them
    /// all in one transaction, each inside its own savepoint (a refused round rolls back
    /// only itself; a database error has the batch replayed round by round), then
    /// answers each one after the single `COMMIT` (see [`RoundWriter`]). A commit per
    /// round was a third of the writer's time; a round answered is as durable as
    /// before, and one that fails still leaves nothing behind.
    pub async fn bet(&self, rules: Arc<dyn RoundRules>, req: BetRequest) -> Result<BetResult, RoundFailure> {
        match &*self.backend {
            Backend::Pg(pool) => {
                let mut c = super::pg_connection(pool).await?;
                pg::bet(&mut c, &*rules, &self.faults, &req).await
            }
            Backend::Sqlite { rounds, .. } => rounds.play(rules, req).await,
        }
    }

    /// Rolls a round back for `actor`, with their `reason` in the audit entry.
    pub async fn rollback_round(
        &self,
        rules: &dyn RoundRules,
        id: Uuid,
        actor: AccountId,
        reason: Option<String>,
        event_ids: (Uuid, Uuid),
        at: DateTime<Utc>,
    ) -> Result<Round, RoundFailure> {
        dispatch!(write self, self::rollback_round(rules, DbId(id), DbId(actor.as_uuid()), reason, event_ids, at))
    }

    /// The (possibly still secret) server seed a round used; for staff verification.
    pub async fn server_seed_of_round(&self, id: Uuid) -> Result<Option<String>, DbError> {
        Ok(dispatch!(read self, self::server_seed_of_round(DbId(id)))?)
    }

    pub async fn recent_rounds(&self, limit: i64) -> Result<Vec<Round>, DbError> {
        dispatch!(stale self, self::recent_rounds(limit))
    }

    /// Rounds platform-wide matching `filter`, and how many match.
    pub async fn search_rounds(&self, filter: &RoundFilter) -> Result<(Vec<Round>, i64), DbError> {
        dispatch!(stale self, self::search_rounds(filter))
    }
}

impl RoundRepository for Db {
    async fn seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        at: DateTime<Utc>,
    ) -> Result<SeedPairView, StoreError> {
        Ok(dispatch!(write self, pair_store::seed_pair_for_player(DbId(player.as_uuid()), fresh, DbTime(at)))?)
    }

    async fn rotate_seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        rotation: Rotation,
        at: DateTime<Utc>,
    ) -> Result<(SeedPairView, SeedPairView), StoreError> {
        Ok(dispatch!(write self, pair_store::rotate_seed_pair(DbId(player.as_uuid()), fresh, rotation, DbTime(at)))?)
    }

    async fn round(&self, id: Uuid) -> Result<Option<Round>, StoreError> {
        Ok(dispatch!(read self, self::round_by_id(DbId(id)))?)
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        Ok(dispatch!(read self, sessions::session(DbId(id)))?)
    }

    async fn end_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        Ok(dispatch!(write self, sessions::end_session(DbId(id), DbTime(at)))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_row() -> RoundRow {
        let at = DbTime(Utc::now());
        RoundRow {
            id: DbId(Uuid::new_v4()),
            session_id: DbId(Uuid::new_v4()),
            player_id: DbId(Uuid::new_v4()),
            game_slug: "dice".into(),
            amount: 100,
            payout: 0,
            multiplier_micro: 0,
            rtp_bp: 9_650,
            expected_rtp: 0.965,
            variance: 1.0,
            weighted_expected: 96.5,
            weighted_variance: 1.0,
            params: "{}".into(),
            outcome: "{}".into(),
            seed_pair_id: DbId(Uuid::new_v4()),
            server_seed_hash: "h".into(),
            client_seed: "c".into(),
            nonce: 3,
            draws: "[]".into(),
            idempotency_key: "k".into(),
            request_fingerprint: "f".into(),
            bet_event_id: DbId(Uuid::new_v4()),
            win_event_id: None,
            status: "settled".into(),
            rolled_back_at: None,
            rolled_back_by: None,
            created_at: at,
            payout_rounding: "unbiased".into(),
        }
    }

    #[test]
    fn a_stored_round_converts_and_corrupt_figures_are_errors_not_zeros() {
        let round = to_round(round_row(), None).unwrap();
        assert_eq!((round.amount.minor_units(), round.multiplier_micro, round.nonce), (100, 0, 3));
        let corrupt: [fn(&mut RoundRow); 4] =
            [|r| r.multiplier_micro = -1, |r| r.nonce = -1, |r| r.amount = 0, |r| r.rtp_bp = -9_650];
        for corrupt in corrupt {
            let mut row = round_row();
            corrupt(&mut row);
            assert!(matches!(to_round(row, None), Err(DbError::Row(_))));
        }
        let negative_payout = RoundRow { payout: -1, ..round_row() };
        assert!(matches!(to_round(negative_payout, None), Err(DbError::Row(_))), "money is never negative");
    }

    #[test]
    fn a_multiplier_past_bigint_is_an_error_not_i64_max() {
        assert_eq!(stored_multiplier(2_500_000).unwrap(), 2_500_000);
        assert!(matches!(stored_multiplier(u64::MAX), Err(DbError::Row(_))));
    }
}
