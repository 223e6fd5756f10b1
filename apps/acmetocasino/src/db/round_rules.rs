//! What a round's transaction and the application's rules exchange: the snapshot the
//! adapter loads, the decision the rules take on it, and the rules themselves
//! ([`RoundRules`], implemented by `app::play`), with a round's request, result and
//! failures.

use super::DbError;
use super::compliance::{AmlAlert, HarmAlert, MoneyFailure, Policy, Refused};
use super::wallet::PostFailure;
use chrono::{DateTime, Utc};
use gal_core::{
    NewSeedPair, ParamsError, Round, Rtp, SeedPair, Session, SessionTarget, StakeRefusal, StakeTheory, Theory,
};
use gamectl_core::BetLimits;
use kernel::{AccountId, Amount};
use pam_core::{PlayState, PlayerContext};
use rg_core::{RealityCheck, RgSettings};
use serde_json::Value;
use uuid::Uuid;
use wallet_core::{Balances, IdempotencyKey, PostError, Posting, WalletEvent, WalletHead};

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
    /// The player (their standing, and their country and date of birth for their
    /// jurisdiction's stake caps) and what the play rules read with it.
    pub player: PlayerContext,
    pub play: PlayState,
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
    /// The player's RG settings with due changes applied; `rg_settled`: some fell due,
    /// and the round's writes save them.
    pub rg: RgSettings,
    pub rg_settled: bool,
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

    /// The postings that cancel a settled `round` (its `BET` refunded, its `WIN`
    /// reversed), each with the id of its event.
    fn rollback(&self, round: &Round, event_ids: (Uuid, Uuid)) -> Result<Vec<(Posting, Uuid)>, RoundFailure>;

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

impl From<Refused> for RoundFailure {
    fn from(r: Refused) -> Self {
        RoundFailure::Refused(r)
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
