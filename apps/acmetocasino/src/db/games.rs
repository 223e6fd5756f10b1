//! Seed pairs, game sessions, rounds and game control.
//!
//! A round runs in one transaction, load → decide → write. Load: lock the wallet
//! (which also serialises the player's seed pair and nonce) and, in the same pipeline,
//! read everything the round needs ([`RoundSnapshot`]); a reused idempotency key, a
//! session that is not the player's or a player without a seed pair read a little
//! more. Decide: the application's [`RoundRules`] (`app::play`) replay or refuse the
//! key, choose the session, check the stake, draw and post the `BET` and `WIN`
//! ([`RoundDecision`]); the compliance rules check the player and screen the bet here,
//! and the rules decide a reality check. Write: the sessions opened or closed, a new
//! seed pair, the events, the wallet's head, the round with its RNG audit data, the
//! nonce and the session totals in one pipeline (on PostgreSQL with the `COMMIT` behind
//! them, see [`pipelined_transaction`]). Any failure rolls all of it back. On SQLite
//! that transaction is a savepoint inside a batch of rounds committed together (see
//! [`RoundWriter`]).

use super::compliance::{AmlAlert, HarmAlert, MoneyFailure, Policy, Refused};
use super::compliance::{
    BetsLastMinute, ContextQuery, ContextRow, OpenAlertRow, OpenAlerts, RegisterCandidates, RegisterEntry,
};
use super::faults::FaultPoints;
use super::schema::{game_limits, game_sessions, rounds, rtp_changes, rtp_targets, seed_pairs, wallet_events};
use super::statement::{Pipelined, PipelinedTransaction, depth, pipelined_transaction, prepared};
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::wallet::PostFailure;
use super::wallet::{InsertEvent, LockWallet, SetWalletHead, WalletRow};
use super::{Backend, Db, DbError, Dialect, SqliteConn, SqliteWriter, backend_queries, dispatch, run_inline};
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::FutureExt;
use gal_core::{
    ClientSeed, NewSeedPair, ParamsError, Rotation, Round, RoundRepository, Rounding, Rtp, SeedPair, SeedPairView,
    ServerSeed, Session, SessionTarget, StakeRefusal, StakeTheory, StoreError, Theory,
};
use gamectl_core::{
    BetLimits, GameControlRepository, LimitsChange, LimitsSetting, PlayDay, RoundFilter, RoundOrder, RoundTotals,
    RtpChange, RtpSetting, SessionFilter, SessionOrder, SessionTotals,
};
use kernel::{AccountId, Amount};
use rg_core::{RealityCheck, RgSettings};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{MappedMutexGuard, mpsc, oneshot};
use uuid::Uuid;
use wallet_core::{Balances, IdempotencyKey, PostError, Posting, Reference, WalletEvent, WalletHead};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = seed_pairs)]
pub(crate) struct SeedPairRow {
    id: DbId,
    player_id: DbId,
    server_seed: String,
    server_seed_hash: String,
    client_seed: String,
    next_nonce: i64,
    active: bool,
    created_at: DbTime,
    revealed_at: Option<DbTime>,
    /// The server seed of the pair that follows this one, committed to by its hash.
    /// `None` only on pairs revealed by the migration that introduced it.
    next_server_seed: Option<String>,
    next_server_seed_hash: Option<String>,
}

impl SeedPairRow {
    /// The successor's server seed; an active pair without one is corrupt.
    fn next_server_seed(&self) -> Result<ServerSeed, DbError> {
        self.next_server_seed
            .as_deref()
            .and_then(ServerSeed::from_hex)
            .ok_or_else(|| DbError::Row(format!("seed pair {} has no next server seed", self.id.0)))
    }

    /// The nonce of the pair's next round.
    fn nonce(&self) -> Result<u64, DbError> {
        u64::try_from(self.next_nonce)
            .map_err(|_| DbError::Row(format!("seed pair {} nonce {}", self.id.0, self.next_nonce)))
    }
}

impl SeedPairRow {
    /// The row of a pair created now, at nonce 0.
    fn created(player: DbId, pair: &NewSeedPair, at: DbTime) -> Self {
        SeedPairRow {
            id: DbId(pair.id),
            player_id: player,
            server_seed: pair.server_seed.to_hex(),
            server_seed_hash: pair.server_seed.hash(),
            client_seed: pair.client_seed.as_str().to_owned(),
            next_nonce: 0,
            active: true,
            created_at: at,
            revealed_at: None,
            next_server_seed: Some(pair.next_server_seed.to_hex()),
            next_server_seed_hash: Some(pair.next_server_seed.hash()),
        }
    }
}

impl TryFrom<&SeedPairRow> for SeedPair {
    type Error = DbError;

    fn try_from(r: &SeedPairRow) -> Result<Self, DbError> {
        Ok(SeedPair {
            id: r.id.0,
            server_seed: ServerSeed::from_hex(&r.server_seed)
                .ok_or_else(|| DbError::Row(format!("seed pair {} server seed", r.id.0)))?,
            server_seed_hash: r.server_seed_hash.clone(),
            client_seed: ClientSeed::parse(&r.client_seed).map_err(|e| DbError::Row(e.to_string()))?,
            nonce: r.nonce()?,
        })
    }
}

impl TryFrom<&SeedPairRow> for SeedPairView {
    type Error = DbError;

    /// A negative stored nonce is corrupt: an error, never nonce 0 (which would replay
    /// the pair's first draws).
    fn try_from(r: &SeedPairRow) -> Result<Self, DbError> {
        Ok(SeedPairView {
            server_seed_hash: r.server_seed_hash.clone(),
            next_server_seed_hash: r.next_server_seed_hash.clone(),
            client_seed: r.client_seed.clone(),
            nonce: r.nonce()?,
            revealed_server_seed: r.revealed_at.map(|_| r.server_seed.clone()),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = game_sessions)]
pub(crate) struct SessionRow {
    id: DbId,
    player_id: DbId,
    game_slug: String,
    status: String,
    rounds: i64,
    wagered: i64,
    won: i64,
    started_at: DbTime,
    ended_at: Option<DbTime>,
    last_activity_at: Option<DbTime>,
}

impl SessionRow {
    /// The row of a session opened now.
    fn opened(s: &Session) -> Self {
        SessionRow {
            id: DbId(s.id),
            player_id: DbId(s.player_id.as_uuid()),
            game_slug: s.game_slug.clone(),
            status: "open".into(),
            rounds: s.rounds,
            wagered: s.wagered,
            won: s.won,
            started_at: DbTime(s.started_at),
            ended_at: None,
            last_activity_at: None,
        }
    }
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id.0,
            player_id: AccountId::from_uuid(r.player_id.0),
            game_slug: r.game_slug,
            open: r.status == "open",
            rounds: r.rounds,
            wagered: r.wagered,
            won: r.won,
            started_at: r.started_at.0,
            ended_at: r.ended_at.map(|t| t.0),
            last_activity_at: r.last_activity_at.map(|t| t.0),
        }
    }
}

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
            payout: r.payout,
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
        payout: r.payout,
        multiplier_micro: u64::try_from(r.multiplier_micro)
            .map_err(|_| DbError::Row(format!("round {} multiplier {}", r.id.0, r.multiplier_micro)))?,
        rtp: u32::try_from(r.rtp_bp)
            .ok()
            .and_then(|bp| Rtp::from_bp(bp).ok())
            .ok_or_else(|| DbError::Row("rtp".into()))?,
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

prepared! {
    /// The session a bet plays in: the one it names (`id`) if it is the player's, or
    /// else (`id` NULL) the player's newest open session of the game `slug` (NULL when
    /// the bet names one). Both through `player_id`, as everything a round reads
    /// (docs/operations.md, "Beyond one database").
    pub(crate) struct SessionForBet
        -> (DbUuid, DbUuid, Text, Text, BigInt, BigInt, BigInt, DbTimestamp, Nullable<DbTimestamp>, Nullable<DbTimestamp>) =
        "SELECT id, player_id, game_slug, status, rounds, wagered, won, started_at, ended_at, last_activity_at \
         FROM game_sessions WHERE id = ? AND player_id = ? \
         UNION ALL SELECT * FROM (SELECT id, player_id, game_slug, status, rounds, wagered, won, started_at, ended_at, \
         last_activity_at FROM game_sessions WHERE player_id = ? AND game_slug = ? AND status = 'open' \
         ORDER BY started_at DESC LIMIT 1) AS newest" {
        id: Option<DbId> => Nullable<DbUuid>,
        owner: DbId => DbUuid,
        player: DbId => DbUuid,
        slug: Option<String> => Nullable<Text>,
    }
}

prepared! {
    /// The player's active seed pair and the stored RTP target of the bet's game (its
    /// session's game, or `slug` when the bet names no session).
    pub(crate) struct SeedPairForBet
        -> ((DbUuid, DbUuid, Text, Text, Text, BigInt, Bool, DbTimestamp, Nullable<DbTimestamp>, Nullable<Text>, Nullable<Text>), Nullable<Integer>) =
        "SELECT sp.id, sp.player_id, sp.server_seed, sp.server_seed_hash, sp.client_seed, sp.next_nonce, sp.active, \
         sp.created_at, sp.revealed_at, sp.next_server_seed, sp.next_server_seed_hash, (SELECT t.rtp_bp FROM rtp_targets t WHERE t.slug = \
         COALESCE((SELECT s.game_slug FROM game_sessions s WHERE s.id = ? AND s.player_id = sp.player_id), ?)) \
         FROM seed_pairs sp WHERE sp.player_id = ? AND sp.active = TRUE" {
        session: Option<DbId> => Nullable<DbUuid>,
        slug: Option<String> => Nullable<Text>,
        player: DbId => DbUuid,
    }
}

prepared! {
    /// The operator's bet limits of the bet's game (its session's game, or `slug`), when set.
    pub(crate) struct LimitsForBet -> (BigInt, BigInt) =
        "SELECT l.min_bet, l.max_bet FROM game_limits l WHERE l.slug = \
         COALESCE((SELECT s.game_slug FROM game_sessions s WHERE s.id = ? AND s.player_id = ?), ?)" {
        session: Option<DbId> => Nullable<DbUuid>,
        player: DbId => DbUuid,
        slug: Option<String> => Nullable<Text>,
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

prepared! {
    /// Moves a seed pair's nonce past the round that drew from it.
    pub(crate) struct AdvanceNonce =
        "UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE id = ? AND player_id = ?" {
        seed_pair: DbId => DbUuid,
        player: DbId => DbUuid,
    }
}

prepared! {
    /// Adds a round to its session's totals.
    pub(crate) struct RecordSessionRound = "UPDATE game_sessions SET rounds = rounds + 1, wagered = wagered + ?, \
         won = won + ?, last_activity_at = ? WHERE id = ? AND player_id = ?" {
        wagered: i64 => BigInt,
        won: i64 => BigInt,
        at: DbTime => DbTimestamp,
        session: DbId => DbUuid,
        player: DbId => DbUuid,
    }
}

/// The session a round's transaction found for the bet.
#[derive(Debug, Clone)]
pub enum SessionSnapshot {
    /// The session the bet names, the player's; or (`/gal/play`) the player's newest
    /// open session of the game.
    Found(Session),
    /// The bet names another player's session.
    NotTheirs,
    /// No such session.
    Missing,
}

/// What a round's transaction loaded (behind its lock) for the rules to decide on.
#[derive(Debug, Clone)]
pub struct RoundSnapshot {
    /// The player's wallet, locked.
    pub head: WalletHead,
    /// The player's country and date of birth (their jurisdiction's stake caps).
    pub country: String,
    pub date_of_birth: NaiveDate,
    pub session: SessionSnapshot,
    /// The operator's bet limits of the game, when set.
    pub limits: Option<BetLimits>,
    /// The player's active seed pair; `None` before their first round.
    pub pair: Option<SeedPair>,
    /// The game's stored RTP target; `None`: the default.
    pub target: Option<Rtp>,
}

/// The session a round plays in, as the rules chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChoice {
    /// The session as it was before the round.
    pub session: Session,
    /// The session is new: the round's writes open it.
    pub opened: bool,
    /// The player's open session of the game, idle past the gap: the round's writes close
    /// it at its last activity.
    pub closed: Option<Session>,
}

/// A round as the rules decided it: everything its writes need.
#[derive(Debug, Clone)]
pub struct RoundDecision {
    pub session: SessionChoice,
    /// The player's first seed pair, which the round's writes create (it draws from it).
    pub new_pair: Option<NewSeedPair>,
    pub pair_id: Uuid,
    pub bet: WalletEvent,
    pub win: Option<WalletEvent>,
    /// The wallet's head after the round.
    pub after: WalletHead,
    pub round: Round,
    pub theory: Theory,
    pub at_stake: StakeTheory,
    /// The request's fingerprint, kept with the round for its retries.
    pub fingerprint: String,
}

/// The application's decisions inside a round's transaction (`app::play`): the adapter
/// loads, asks these pure functions, and writes what they decided.
pub trait RoundRules: Send + Sync {
    /// The configuration the bet's screening reads.
    fn policy(&self) -> &Policy;

    /// A key used before, by a request with `stored_fingerprint`: `Ok` replays that
    /// round, else the refusal.
    fn replay(&self, req: &BetRequest, stored_fingerprint: &str) -> Result<(), RoundFailure>;

    /// The round, decided on what the transaction loaded.
    fn decide(&self, snapshot: &RoundSnapshot, req: &BetRequest) -> Result<RoundDecision, RoundFailure>;

    /// A reality check with the round, and the settings that record it, when one is due
    /// by the player's interval or `forced` by a markers-of-harm intervention.
    fn reality_check(
        &self,
        rg: RgSettings,
        forced: bool,
        decision: &RoundDecision,
        at: DateTime<Utc>,
    ) -> Option<(RealityCheck, RgSettings)>;
}

/// Everything a round needs, decided outside the transaction.
#[derive(Debug, Clone)]
pub struct BetRequest {
    pub player: AccountId,
    pub session: SessionTarget,
    pub amount: Amount,
    pub params: Value,
    pub idempotency_key: IdempotencyKey,
    pub round_id: Uuid,
    pub bet_event_id: Uuid,
    pub win_event_id: Uuid,
    /// Used only if the player has no seed pair yet.
    pub first_seed_pair: NewSeedPair,
    pub at: DateTime<Utc>,
}

/// A settled (or replayed) round and the balances after it.
#[derive(Debug, Clone)]
pub struct BetResult {
    pub round: Round,
    pub balances: Balances,
    pub replayed: bool,
    /// Present when a reality check was due with this bet.
    pub reality_check: Option<rg_core::RealityCheck>,
    pub aml_alerts: Vec<AmlAlert>,
    pub harm_alerts: Vec<HarmAlert>,
    /// How many rounds, refused ones included, the transaction that committed this one
    /// held (see [`Db::bet`]).
    pub committed_with: usize,
}

/// Why a round was not played. Nothing was written.
#[derive(Debug)]
pub enum RoundFailure {
    Db(DbError),
    Post(PostError),
    UnknownGame,
    SessionNotFound,
    SessionNotYours,
    SessionClosed,
    IdempotencyConflict,
    Params(ParamsError),
    /// The stake or the bet is outside what the rules allow (`bet_out_of_range`).
    Stake(StakeRefusal),
    RoundNotFound,
    AlreadyRolledBack,
    Refused(Refused),
}

impl From<MoneyFailure> for RoundFailure {
    fn from(e: MoneyFailure) -> Self {
        match e {
            MoneyFailure::Post(p) => RoundFailure::Post(p),
            MoneyFailure::Refused(r) => RoundFailure::Refused(r),
            MoneyFailure::Db(d) => RoundFailure::Db(d),
        }
    }
}

impl From<diesel::result::Error> for RoundFailure {
    fn from(e: diesel::result::Error) -> Self {
        RoundFailure::Db(e.into())
    }
}

impl From<DbError> for RoundFailure {
    fn from(e: DbError) -> Self {
        RoundFailure::Db(e)
    }
}

impl From<PostFailure> for RoundFailure {
    fn from(e: PostFailure) -> Self {
        match e {
            PostFailure::Post(p) => RoundFailure::Post(p),
            PostFailure::Db(d) => RoundFailure::Db(d),
        }
    }
}

/// A round's activity for AML screening: the bets counted before its own (under the
/// same lock), and its own.
fn bet_activity(bets_before: &[(i64,)]) -> compliance_core::Activity {
    let before = bets_before.first().map_or(0, |(n,)| *n);
    let bets_last_minute = u32::try_from(before.saturating_add(1)).unwrap_or(u32::MAX);
    compliance_core::Activity { bets_last_minute, ..Default::default() }
}

/// Per-game sums of settled rounds.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct TotalsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    game_slug: String,
    #[diesel(sql_type = BigInt)]
    rounds: i64,
    #[diesel(sql_type = BigInt)]
    wagered: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = Double)]
    weighted_expected: f64,
    #[diesel(sql_type = Double)]
    weighted_variance: f64,
}

const TOTALS_SQL: &str = "SELECT game_slug, CAST(COUNT(*) AS BIGINT) AS rounds, \
     CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS wagered, CAST(COALESCE(SUM(payout), 0) AS BIGINT) AS paid, \
     CAST(COALESCE(SUM(weighted_expected), 0) AS DOUBLE PRECISION) AS weighted_expected, \
     CAST(COALESCE(SUM(weighted_variance), 0) AS DOUBLE PRECISION) AS weighted_variance \
     FROM rounds WHERE status = 'settled' GROUP BY game_slug ORDER BY game_slug";

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

/// The session-search filters, applied to a boxed query over `game_sessions`.
macro_rules! filter_sessions {
    ($query:expr, $f:expr) => {{
        let f: &SessionFilter = $f;
        let mut q = $query;
        if let Some(p) = f.player {
            q = q.filter(game_sessions::player_id.eq(DbId(p.as_uuid())));
        }
        if let Some(g) = &f.game_slug {
            q = q.filter(game_sessions::game_slug.eq(g.clone()));
        }
        if let Some(open) = f.open {
            q = q.filter(game_sessions::status.eq(if open { "open" } else { "closed" }));
        }
        q
    }};
}

#[backend_queries(siblings(wallet, compliance))]
mod queries {

    pub(crate) async fn active_seed_pair(c: &mut Conn, player: DbId) -> QueryResult<Option<SeedPairRow>> {
        seed_pairs::table
            .filter(seed_pairs::player_id.eq(player))
            .filter(seed_pairs::active.eq(true))
            .select(SeedPairRow::as_select())
            .first(c)
            .await
            .optional()
    }

    pub(crate) async fn insert_seed_pair(
        c: &mut Conn,
        player: DbId,
        pair: &NewSeedPair,
        at: DbTime,
    ) -> QueryResult<SeedPairRow> {
        let row = SeedPairRow::created(player, pair, at);
        diesel::insert_into(seed_pairs::table).values(&row).execute(c).await?;
        Ok(row)
    }

    /// The player's active pair, created from `fresh` if there is none.
    pub(crate) async fn ensure_seed_pair(
        c: &mut Conn,
        player: DbId,
        fresh: &NewSeedPair,
        at: DbTime,
    ) -> QueryResult<SeedPairRow> {
        match active_seed_pair(c, player).await? {
            Some(p) => Ok(p),
            None => insert_seed_pair(c, player, fresh, at).await,
        }
    }

    pub(crate) async fn seed_pair_for_player(
        c: &mut Conn,
        player: DbId,
        fresh: NewSeedPair,
        at: DbTime,
    ) -> Result<SeedPairView, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            SeedPairView::try_from(&ensure_seed_pair(c, player, &fresh, at).await?)
        })
        .await
    }

    /// Reveals the active pair (created from `fresh` if there is none) and starts its
    /// committed successor.
    pub(crate) async fn rotate_seed_pair(
        c: &mut Conn,
        player: DbId,
        fresh: NewSeedPair,
        rotation: Rotation,
        at: DbTime,
    ) -> Result<(SeedPairView, SeedPairView), DbError> {
        c.transaction(async |c| {
            // The wallet lock also serialises the player's rounds, so no round is
            // drawing from the pair while it is revealed.
            wallet::lock_head(c, player).await?;
            let old = ensure_seed_pair(c, player, &fresh, at).await?;
            diesel::update(seed_pairs::table.find(old.id))
                .set((seed_pairs::active.eq(false), seed_pairs::revealed_at.eq(Some(at))))
                .execute(c)
                .await?;
            let client_seed = match rotation.client_seed {
                Some(chosen) => chosen,
                None => ClientSeed::parse(&old.client_seed).map_err(|e| DbError::Row(e.to_string()))?,
            };
            let next = NewSeedPair {
                id: rotation.id,
                server_seed: old.next_server_seed()?,
                next_server_seed: rotation.next_server_seed,
                client_seed,
            };
            let new_row = insert_seed_pair(c, player, &next, at).await?;
            let mut revealed = SeedPairView::try_from(&old)?;
            revealed.revealed_server_seed = Some(old.server_seed.clone());
            Ok((revealed, SeedPairView::try_from(&new_row)?))
        })
        .await
    }

    pub(crate) async fn insert_session(
        c: &mut Conn,
        id: Uuid,
        player: DbId,
        slug: &str,
        at: DbTime,
    ) -> QueryResult<SessionRow> {
        let row = SessionRow::opened(&Session {
            id,
            player_id: AccountId::from_uuid(player.0),
            game_slug: slug.to_owned(),
            open: true,
            rounds: 0,
            wagered: 0,
            won: 0,
            started_at: at.0,
            ended_at: None,
            last_activity_at: None,
        });
        diesel::insert_into(game_sessions::table).values(&row).execute(c).await?;
        Ok(row)
    }

    /// Opens a session (creating the player's seed pair if needed).
    pub(crate) async fn launch(
        c: &mut Conn,
        player: DbId,
        slug: String,
        session_id: Uuid,
        fresh: NewSeedPair,
        at: DbTime,
    ) -> Result<(Session, SeedPairView), RoundFailure> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            compliance::check_play(c, player, at.0, false).await?;
            let pair = ensure_seed_pair(c, player, &fresh, at).await?;
            let session = insert_session(c, session_id, player, &slug, at).await?;
            Ok((Session::from(session), SeedPairView::try_from(&pair)?))
        })
        .await
    }

    pub(crate) async fn session(c: &mut Conn, id: DbId) -> Result<Option<Session>, DbError> {
        let row = game_sessions::table.find(id).select(SessionRow::as_select()).first(c).await.optional()?;
        Ok(row.map(Session::from))
    }

    pub(crate) async fn end_session(c: &mut Conn, id: DbId, at: DbTime) -> Result<Option<Session>, DbError> {
        diesel::update(game_sessions::table.find(id).filter(game_sessions::status.eq("open")))
            .set((game_sessions::status.eq("closed"), game_sessions::ended_at.eq(Some(at))))
            .execute(c)
            .await?;
        session(c, id).await
    }

    pub(crate) async fn target_of(c: &mut Conn, slug: &str) -> QueryResult<Option<i32>> {
        rtp_targets::table.find(slug).select(rtp_targets::rtp_bp).first(c).await.optional()
    }

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
            let mut ctx: crate::db::compliance::PlayerContext =
                contexts.into_iter().next().ok_or(RoundFailure::Post(PostError::WalletNotFound))?.try_into()?;
            ctx.listed = Some(crate::db::compliance::register_lists(
                &register,
                &ctx.email,
                ctx.date_of_birth,
                ctx.known_name.as_deref(),
            ));
            let (ctx, rg) = compliance::check_play_of(c, player, ctx, req.at, true).await?;
            let session = found_session(c, &req.session, sessions).await?;
            let (pair, target) = match pairs.into_iter().next() {
                Some((pair, target)) => (Some(SeedPair::try_from(&pair)?), target),
                // No pair yet: the game's target on its own (the pair's query reads it).
                None => match (&session, slug) {
                    (SessionSnapshot::Found(s), _) => (None, target_of(c, &s.game_slug).await?),
                    (_, Some(game)) => (None, target_of(c, &game).await?),
                    _ => (None, None),
                },
            };
            let snapshot = RoundSnapshot {
                head,
                country: ctx.country.clone(),
                date_of_birth: ctx.date_of_birth,
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
            let forced =
                crate::db::compliance::forced_reality_check(&ctx, &harm_alerts, rg.last_reality_check_at, req.at);
            let reality_check = match rules.reality_check(rg, forced, &decision, req.at) {
                Some((check, rg)) => {
                    compliance::save_rg(c, player, &rg, at).await?;
                    Some(check)
                }
                None => None,
            };
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
            balances: Balances { cash, bonus },
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
            return Ok(SessionSnapshot::Found(row.into()));
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
            if round.rolled_back {
                return Err(RoundFailure::AlreadyRolledBack);
            }
            let reference = Reference::parse(&format!("{}{}", crate::db::wallet::ROUND_REFERENCE_PREFIX, round.id))
                .map_err(|e| DbError::Row(e.to_string()))?;
            let refund = Posting::rollback(
                round.bet_event_id,
                round.amount,
                IdempotencyKey::system("round", round.id, "rollback-bet"),
                Some(reference.clone()),
            );
            wallet::post_in_tx(c, &mut head, &refund, event_ids.0, at, true).await?;
            if let Some(win) = round.win_event_id {
                let reverse = Posting::rollback(
                    win,
                    Amount::new(round.payout).map_err(|e| DbError::Row(e.to_string()))?,
                    IdempotencyKey::system("round", round.id, "rollback-win"),
                    Some(reference),
                );
                wallet::post_in_tx(c, &mut head, &reverse, event_ids.1, at, true).await?;
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
                    game_sessions::won.eq(game_sessions::won - round.payout),
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

    pub(crate) async fn totals(c: &mut Conn) -> Result<Vec<(String, RoundTotals)>, DbError> {
        let rows: Vec<TotalsRow> = diesel::sql_query(TOTALS_SQL).load(c).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.game_slug,
                    RoundTotals {
                        rounds: r.rounds,
                        wagered: r.wagered,
                        paid: r.paid,
                        weighted_expected: r.weighted_expected,
                        weighted_variance: r.weighted_variance,
                    },
                )
            })
            .collect())
    }

    pub(crate) async fn stored_targets(c: &mut Conn) -> Result<Vec<(String, i32, DbTime, Option<DbId>)>, DbError> {
        Ok(rtp_targets::table
            .select((rtp_targets::slug, rtp_targets::rtp_bp, rtp_targets::updated_at, rtp_targets::updated_by))
            .load(c)
            .await?)
    }

    pub(crate) async fn set_target(
        c: &mut Conn,
        slug: String,
        default: Rtp,
        new: Rtp,
        actor: DbId,
        change_id: Uuid,
        at: DbTime,
    ) -> Result<Rtp, DbError> {
        c.transaction(async |c| {
            let bp = bp_of(new)?;
            // The old value as stored (read under the same transaction), else the default.
            let stored = target_of(c, &slug).await?;
            let old_bp = match stored {
                Some(bp) => bp,
                None => bp_of(default)?,
            };
            diesel::insert_into(rtp_targets::table)
                .values((
                    rtp_targets::slug.eq(&slug),
                    rtp_targets::rtp_bp.eq(bp),
                    rtp_targets::updated_at.eq(at),
                    rtp_targets::updated_by.eq(Some(actor)),
                ))
                .on_conflict(rtp_targets::slug)
                .do_update()
                .set((
                    rtp_targets::rtp_bp.eq(bp),
                    rtp_targets::updated_at.eq(at),
                    rtp_targets::updated_by.eq(Some(actor)),
                ))
                .execute(c)
                .await?;
            diesel::insert_into(rtp_changes::table)
                .values((
                    rtp_changes::id.eq(DbId(change_id)),
                    rtp_changes::slug.eq(&slug),
                    rtp_changes::old_bp.eq(old_bp),
                    rtp_changes::new_bp.eq(bp),
                    rtp_changes::changed_by.eq(actor),
                    rtp_changes::changed_at.eq(at),
                ))
                .execute(c)
                .await?;
            compliance::record_audit(
                c,
                actor,
                "rtp.changed",
                &format!("game:{slug}"),
                Some(serde_json::json!({"rtp": f64::from(old_bp) / 100.0})),
                Some(serde_json::json!({"rtp": new.percent()})),
                at,
            )
            .await?;
            rtp_of(old_bp)
        })
        .await
    }

    pub(crate) async fn changes(c: &mut Conn, limit: i64) -> Result<Vec<(String, i32, i32, DbId, DbTime)>, DbError> {
        Ok(rtp_changes::table
            .order(rtp_changes::changed_at.desc())
            .limit(limit)
            .select((
                rtp_changes::slug,
                rtp_changes::old_bp,
                rtp_changes::new_bp,
                rtp_changes::changed_by,
                rtp_changes::changed_at,
            ))
            .load(c)
            .await?)
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

    pub(crate) async fn search_sessions(
        c: &mut Conn,
        f: &SessionFilter,
    ) -> Result<(Vec<Session>, SessionTotals), DbError> {
        let (sessions, rounds, wagered, won): (i64, i64, i64, i64) =
            filter_sessions!(game_sessions::table.into_boxed(), f)
                .select((
                    diesel::dsl::count_star(),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.rounds), 0) AS BIGINT)"),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.wagered), 0) AS BIGINT)"),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.won), 0) AS BIGINT)"),
                ))
                .get_result(c)
                .await?;
        let q = filter_sessions!(game_sessions::table.into_boxed(), f);
        let q = match f.order {
            SessionOrder::Newest => q.order((game_sessions::started_at.desc(), game_sessions::id.desc())),
            SessionOrder::Oldest => q.order((game_sessions::started_at.asc(), game_sessions::id.asc())),
            SessionOrder::WageredDesc => q.order((game_sessions::wagered.desc(), game_sessions::started_at.desc())),
            SessionOrder::RoundsDesc => q.order((game_sessions::rounds.desc(), game_sessions::started_at.desc())),
            SessionOrder::NetDesc => {
                q.order(((game_sessions::won - game_sessions::wagered).desc(), game_sessions::started_at.desc()))
            }
            SessionOrder::NetAsc => {
                q.order(((game_sessions::won - game_sessions::wagered).asc(), game_sessions::started_at.desc()))
            }
        };
        let rows: Vec<SessionRow> = q.limit(f.limit).offset(f.offset).select(SessionRow::as_select()).load(c).await?;
        Ok((rows.into_iter().map(Into::into).collect(), SessionTotals { sessions, rounds, wagered, won }))
    }

    pub(crate) async fn play_by_day(c: &mut Conn, since: DbTime) -> Result<Vec<PlayDay>, DbError> {
        let day = <Conn as Dialect>::utc_day("r.created_at");
        let rows: Vec<(String, String, i64, i64, i64)> =
            diesel::dsl::sql::<(Text, Text, BigInt, BigInt, BigInt)>(&format!(
                "SELECT {day}, w.currency, CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(r.amount), 0) AS BIGINT), \
             CAST(COALESCE(SUM(r.payout), 0) AS BIGINT) FROM rounds r JOIN wallets w ON w.player_id = r.player_id \
             WHERE r.status = 'settled' AND r.created_at >= "
            ))
            .bind::<DbTimestamp, _>(since)
            .sql(" GROUP BY 1, 2 ORDER BY 1, 2")
            .load(c)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(day, currency, rounds, wagered, paid)| PlayDay { day, currency, rounds, wagered, paid })
            .collect())
    }

    pub(crate) async fn rounds_by_hour(c: &mut Conn, since: DbTime) -> Result<Vec<(String, i64)>, DbError> {
        let hour = <Conn as Dialect>::utc_hour("created_at");
        Ok(diesel::dsl::sql::<(Text, BigInt)>(&format!(
            "SELECT {hour}, CAST(COUNT(*) AS BIGINT) FROM rounds WHERE status = 'settled' AND created_at >= "
        ))
        .bind::<DbTimestamp, _>(since)
        .sql(" GROUP BY 1 ORDER BY 1")
        .load(c)
        .await?)
    }

    pub(crate) async fn stored_limits(c: &mut Conn) -> Result<Vec<(String, i64, i64, DbTime, DbId)>, DbError> {
        Ok(game_limits::table
            .select((
                game_limits::slug,
                game_limits::min_bet,
                game_limits::max_bet,
                game_limits::updated_at,
                game_limits::updated_by,
            ))
            .load(c)
            .await?)
    }

    /// Sets a game's limits and audits the change (`game.limits_changed`) in one
    /// transaction; the old limits are the stored ones, else `default`.
    pub(crate) async fn set_limits(
        c: &mut Conn,
        slug: String,
        default: BetLimits,
        new: BetLimits,
        actor: DbId,
        at: DbTime,
    ) -> Result<BetLimits, DbError> {
        c.transaction(async |c| {
            let stored: Option<(i64, i64)> = game_limits::table
                .find(&slug)
                .select((game_limits::min_bet, game_limits::max_bet))
                .first(c)
                .await
                .optional()?;
            let old = match stored {
                Some((min, max)) => BetLimits::new(min, max).map_err(|e| DbError::Row(e.to_string()))?,
                None => default,
            };
            let values = (
                game_limits::min_bet.eq(new.min_bet()),
                game_limits::max_bet.eq(new.max_bet()),
                game_limits::updated_at.eq(at),
                game_limits::updated_by.eq(actor),
            );
            diesel::insert_into(game_limits::table)
                .values((game_limits::slug.eq(&slug), values))
                .on_conflict(game_limits::slug)
                .do_update()
                .set(values)
                .execute(c)
                .await?;
            compliance::record_audit(
                c,
                actor,
                "game.limits_changed",
                &format!("game:{slug}"),
                Some(serde_json::json!({"min_bet": old.min_bet(), "max_bet": old.max_bet()})),
                Some(serde_json::json!({"min_bet": new.min_bet(), "max_bet": new.max_bet()})),
                at,
            )
            .await?;
            Ok(old)
        })
        .await
    }
}

/// The most rounds one SQLite transaction holds.
const MAX_BATCH: usize = 64;

type BetAnswer = Result<BetResult, RoundFailure>;

/// The thread that plays SQLite rounds (see [`Db::bet`]): it takes every round queued
/// by the time the writer is free, up to [`MAX_BATCH`], as one batch. It runs apart
/// from the HTTP workers, so a batch neither waits for a worker to finish other
/// requests nor holds up that worker's requests while it runs; and no request going
/// away can cut short a transaction that holds other players' rounds. It stops when
/// the database is dropped (the queue closes).
pub(crate) struct RoundWriter(mpsc::Sender<QueuedBet>);

/// Rounds that may wait for the writer; past that a round is refused as unavailable
/// rather than queued without bound.
const QUEUE_LIMIT: usize = 4_096;

struct QueuedBet {
    rules: Arc<dyn RoundRules>,
    req: BetRequest,
    reply: oneshot::Sender<BetAnswer>,
}

impl QueuedBet {
    fn answer(self, answer: BetAnswer) {
        // A caller that went away no longer needs its answer.
        let _ = self.reply.send(answer);
    }
}

impl RoundWriter {
    pub(crate) fn start(writer: Arc<SqliteWriter>, faults: Arc<FaultPoints>) -> Result<Self, DbError> {
        let (queue, mut rounds) = mpsc::channel::<QueuedBet>(QUEUE_LIMIT);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Pool(format!("SQLite round writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-rounds".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(first) = rounds.recv().await {
                        let mut batch = vec![first];
                        let c = writer.lock().await;
                        // What queued while the writer was busy goes in the same batch.
                        while batch.len() < MAX_BATCH {
                            match rounds.try_recv() {
                                Ok(bet) => batch.push(bet),
                                Err(_) => break,
                            }
                        }
                        // A round whose caller went away before it was played is not played.
                        batch.retain(|bet| !bet.reply.is_closed());
                        let mut c = match c {
                            Ok(c) => c,
                            Err(e) => {
                                for bet in batch {
                                    bet.answer(Err(DbError::Pool(e.to_string()).into()));
                                }
                                continue;
                            }
                        };
                        // A panic drops the replies (each caller gets an error, nothing
                        // was committed) and the connection; the thread goes on.
                        let work = AssertUnwindSafe(play_batch(&mut c, &writer, &faults, batch));
                        if run_inline(work).catch_unwind().await.is_err() {
                            drop(c);
                            writer.discard().await;
                        }
                    }
                });
            })
            .map_err(|e| DbError::Pool(format!("SQLite round writer: {e}")))?;
        Ok(Self(queue))
    }

    async fn play(&self, rules: Arc<dyn RoundRules>, req: BetRequest) -> BetAnswer {
        let (reply, answer) = oneshot::channel();
        let bet = QueuedBet { rules, req, reply };
        if let Err(e) = self.0.try_send(bet) {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => "too many rounds are waiting for the SQLite writer",
                mpsc::error::TrySendError::Closed(_) => "the SQLite round writer has stopped",
            };
            return Err(DbError::Pool(why.into()).into());
        }
        answer.await.unwrap_or_else(|_| Err(DbError::Pool("the rounds' batch did not finish".into()).into()))
    }
}

/// A batch given up: nothing of it was committed.
struct Abandoned;

impl From<diesel::result::Error> for Abandoned {
    fn from(_: diesel::result::Error) -> Self {
        Abandoned
    }
}

/// Plays `batch` on the writer in one transaction (its first statement takes the write
/// lock: the first round locks its wallet row), each round in a savepoint, and answers
/// every round after the `COMMIT`: a round refused by the rules rolled back to its
/// savepoint, the others stand. A database error is
/// different: SQLite may have ended the whole transaction with it (a full disk, an I/O
/// error), and whatever ran after it would run outside the batch. So on any database
/// error, or a batch no longer inside its transaction, the batch is rolled back at
/// once and each of its rounds is played again alone, in a transaction of its own,
/// exactly as without batching.
async fn play_batch(
    c: &mut MappedMutexGuard<'_, SqliteConn>,
    writer: &SqliteWriter,
    faults: &FaultPoints,
    batch: Vec<QueuedBet>,
) {
    let played = c
        .transaction(async |c| {
            let mut answers = Vec::with_capacity(batch.len());
            for bet in &batch {
                let answer = sqlite::bet(c, &*bet.rules, faults, &bet.req).await;
                if matches!(answer, Err(RoundFailure::Db(_))) || !matches!(depth(c), Ok(1)) {
                    return Err(Abandoned);
                }
                answers.push(answer);
            }
            Ok(answers)
        })
        .await;
    let n = batch.len();
    match played {
        Ok(answers) => {
            for (bet, answer) in batch.into_iter().zip(answers) {
                bet.answer(answer.map(|r| BetResult { committed_with: n, ..r }));
            }
        }
        Err(Abandoned) => {
            for bet in batch {
                // The failure may have left the connection unusable: then a new one.
                let answer = match writer.reopen_if_broken(c).await {
                    Ok(()) => sqlite::bet(c, &*bet.rules, faults, &bet.req).await,
                    Err(e) => Err(e.into()),
                };
                bet.answer(answer);
            }
        }
    }
}

/// An RTP as stored (basis points); every RTP fits.
fn bp_of(rtp: Rtp) -> Result<i32, DbError> {
    i32::try_from(rtp.bp()).map_err(|_| DbError::Row(format!("rtp {} bp", rtp.bp())))
}

fn rtp_of(bp: i32) -> Result<Rtp, DbError> {
    u32::try_from(bp).ok().and_then(|b| Rtp::from_bp(b).ok()).ok_or_else(|| DbError::Row(format!("rtp {bp}")))
}

impl Db {
    pub async fn launch(
        &self,
        player: AccountId,
        slug: &str,
        session_id: Uuid,
        fresh: NewSeedPair,
        at: DateTime<Utc>,
    ) -> Result<(Session, SeedPairView), RoundFailure> {
        dispatch!(write self, self::launch(DbId(player.as_uuid()), slug.to_owned(), session_id, fresh, DbTime(at)))
    }

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
        id: Uuid,
        actor: AccountId,
        reason: Option<String>,
        event_ids: (Uuid, Uuid),
        at: DateTime<Utc>,
    ) -> Result<Round, RoundFailure> {
        dispatch!(write self, self::rollback_round(DbId(id), DbId(actor.as_uuid()), reason, event_ids, at))
    }

    /// The (possibly still secret) server seed a round used; for staff verification.
    pub async fn server_seed_of_round(&self, id: Uuid) -> Result<Option<String>, DbError> {
        Ok(dispatch!(read self, self::server_seed_of_round(DbId(id)))?)
    }

    pub async fn recent_rounds(&self, limit: i64) -> Result<Vec<Round>, DbError> {
        dispatch!(stale self, self::recent_rounds(limit))
    }

    pub async fn round_totals(&self) -> Result<Vec<(String, RoundTotals)>, DbError> {
        dispatch!(stale self, self::totals())
    }

    /// The fault points tests arm (feature `fault-injection`).
    #[cfg(feature = "fault-injection")]
    pub fn faults(&self) -> &FaultPoints {
        &self.faults
    }
}

impl RoundRepository for Db {
    async fn seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        at: DateTime<Utc>,
    ) -> Result<SeedPairView, StoreError> {
        Ok(dispatch!(write self, self::seed_pair_for_player(DbId(player.as_uuid()), fresh, DbTime(at)))?)
    }

    async fn rotate_seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        rotation: Rotation,
        at: DateTime<Utc>,
    ) -> Result<(SeedPairView, SeedPairView), StoreError> {
        Ok(dispatch!(write self, self::rotate_seed_pair(DbId(player.as_uuid()), fresh, rotation, DbTime(at)))?)
    }

    async fn round(&self, id: Uuid) -> Result<Option<Round>, StoreError> {
        Ok(dispatch!(read self, self::round_by_id(DbId(id)))?)
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        Ok(dispatch!(read self, self::session(DbId(id)))?)
    }

    async fn end_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        Ok(dispatch!(write self, self::end_session(DbId(id), DbTime(at)))?)
    }
}

impl GameControlRepository for Db {
    async fn stored_targets(&self) -> Result<Vec<RtpSetting>, gamectl_core::StoreError> {
        let r: Result<Vec<RtpSetting>, DbError> = async {
            let rows: Vec<(String, i32, DbTime, Option<DbId>)> = dispatch!(read self, self::stored_targets())?;
            rows.into_iter()
                .map(|(slug, bp, at, by)| {
                    Ok(RtpSetting {
                        slug,
                        target: rtp_of(bp)?,
                        updated_at: at.0,
                        updated_by: by.map(|b| AccountId::from_uuid(b.0)),
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn set_target(
        &self,
        slug: &str,
        target: Rtp,
        default: Rtp,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<RtpChange, gamectl_core::StoreError> {
        let change_id = Uuid::new_v4();
        let r: Result<Rtp, DbError> = async {
            dispatch!(write self, self::set_target(slug.to_owned(), default, target, DbId(actor.as_uuid()), change_id, DbTime(at)))
        }
        .await;
        let old = r.map_err(gamectl_core::StoreError::from)?;
        Ok(RtpChange { slug: slug.to_owned(), old, new: target, changed_by: actor, changed_at: at })
    }

    async fn changes(&self, limit: i64) -> Result<Vec<RtpChange>, gamectl_core::StoreError> {
        let r: Result<Vec<RtpChange>, DbError> = async {
            let rows: Vec<(String, i32, i32, DbId, DbTime)> = dispatch!(stale self, self::changes(limit))?;
            rows.into_iter()
                .map(|(slug, old, new, by, at)| {
                    Ok(RtpChange {
                        slug,
                        old: rtp_of(old)?,
                        new: rtp_of(new)?,
                        changed_by: AccountId::from_uuid(by.0),
                        changed_at: at.0,
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn stored_limits(&self) -> Result<Vec<LimitsSetting>, gamectl_core::StoreError> {
        let r: Result<Vec<LimitsSetting>, DbError> = async {
            let rows: Vec<(String, i64, i64, DbTime, DbId)> = dispatch!(read self, self::stored_limits())?;
            rows.into_iter()
                .map(|(slug, min, max, at, by)| {
                    Ok(LimitsSetting {
                        slug,
                        limits: BetLimits::new(min, max).map_err(|e| DbError::Row(e.to_string()))?,
                        updated_at: at.0,
                        updated_by: AccountId::from_uuid(by.0),
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn set_limits(
        &self,
        slug: &str,
        limits: BetLimits,
        default: BetLimits,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<LimitsChange, gamectl_core::StoreError> {
        let r: Result<BetLimits, DbError> = async {
            dispatch!(write self, self::set_limits(slug.to_owned(), default, limits, DbId(actor.as_uuid()), DbTime(at)))
        }
        .await;
        let old = r.map_err(gamectl_core::StoreError::from)?;
        Ok(LimitsChange { slug: slug.to_owned(), old, new: limits, changed_by: actor, changed_at: at })
    }
}

impl Db {
    /// Rounds platform-wide matching `filter`, and how many match.
    pub async fn search_rounds(&self, filter: &RoundFilter) -> Result<(Vec<Round>, i64), DbError> {
        dispatch!(stale self, self::search_rounds(filter))
    }

    /// Sessions matching `filter`, and the totals of all of them.
    pub async fn search_sessions(&self, filter: &SessionFilter) -> Result<(Vec<Session>, SessionTotals), DbError> {
        dispatch!(stale self, self::search_sessions(filter))
    }

    /// Settled rounds, stakes and payouts per UTC day and wallet currency, from `since` on.
    pub async fn play_by_day(&self, since: DateTime<Utc>) -> Result<Vec<PlayDay>, DbError> {
        dispatch!(stale self, self::play_by_day(DbTime(since)))
    }

    /// Settled rounds per UTC hour (`YYYY-MM-DDTHH`), from `since` on.
    pub async fn rounds_by_hour(&self, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, DbError> {
        dispatch!(stale self, self::rounds_by_hour(DbTime(since)))
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

    fn pair_row(next_nonce: i64) -> SeedPairRow {
        SeedPairRow {
            id: DbId(Uuid::new_v4()),
            player_id: DbId(Uuid::new_v4()),
            server_seed: "s".into(),
            server_seed_hash: "h".into(),
            client_seed: "c".into(),
            next_nonce,
            active: true,
            created_at: DbTime(Utc::now()),
            revealed_at: None,
            next_server_seed: None,
            next_server_seed_hash: None,
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
    }

    #[test]
    fn a_negative_stored_nonce_is_an_error_not_nonce_zero() {
        assert_eq!(pair_row(7).nonce().unwrap(), 7);
        assert_eq!(SeedPairView::try_from(&pair_row(7)).unwrap().nonce, 7);
        assert!(matches!(pair_row(-1).nonce(), Err(DbError::Row(_))));
        assert!(matches!(SeedPairView::try_from(&pair_row(-1)), Err(DbError::Row(_))));
    }

    #[test]
    fn a_multiplier_past_bigint_is_an_error_not_i64_max() {
        assert_eq!(stored_multiplier(2_500_000).unwrap(), 2_500_000);
        assert!(matches!(stored_multiplier(u64::MAX), Err(DbError::Row(_))));
    }

    #[test]
    fn an_rtp_converts_both_ways_and_a_corrupt_stored_one_is_an_error() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        assert_eq!(rtp_of(bp_of(rtp).unwrap()).unwrap(), rtp);
        assert!(rtp_of(-1).is_err() && rtp_of(12_000).is_err());
    }
}
