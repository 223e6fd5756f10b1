//! The game aggregation layer's repository port: its seed pairs, rounds and sessions.
//!
//! A round itself is written by the application in the wallet's transaction (its
//! `BET` and `WIN` with it, see the app's `app::play`); the port keeps what a player's
//! provable fairness and a round's audit need on their own.

use crate::{NewSeedPair, Rotation, Round, SeedPairView, Session};
use chrono::{DateTime, Utc};
use kernel::AccountId;
use std::future::Future;
use uuid::Uuid;

pub use kernel::StoreError;

/// Where seed pairs, rounds and game sessions are kept.
///
/// Every implementation MUST serialise a player's seed-pair changes with that player's
/// rounds (no round draws from a pair while it is revealed), keep exactly one active pair
/// per player, and start a rotation's new pair from the server seed the revealed pair
/// committed to.
pub trait RoundRepository: Send + Sync {
    /// The player's active seed pair, created from `fresh` when they have none.
    fn seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<SeedPairView, StoreError>> + Send;

    /// Reveals the active pair (created from `fresh` when there is none) and starts its
    /// committed successor: `(revealed, new)`.
    fn rotate_seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        rotation: Rotation,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(SeedPairView, SeedPairView), StoreError>> + Send;

    /// A round with its audit record; the server seed only once its pair is revealed.
    fn round(&self, id: Uuid) -> impl Future<Output = Result<Option<Round>, StoreError>> + Send;

    /// A game session with its totals.
    fn session(&self, id: Uuid) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Ends a session (a closed one stays as it ended); `None` when there is no such session.
    fn end_session(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;
}
