use crate::event::{HistoryQuery, Posting, PostingError, WalletEvent, WalletHead};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Currency};
use std::future::Future;
use uuid::Uuid;

pub use kernel::StoreError;

/// Why a posting was not appended.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// No wallet exists for that player. Nothing was written.
    #[error("no wallet for that player")]
    WalletNotFound,
    /// The rule book refused the posting. Nothing was written.
    #[error(transparent)]
    Rejected(#[from] PostingError),
    /// The idempotency key was used before by a different request. Nothing was written.
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a successful posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostOutcome {
    pub event: WalletEvent,
    /// True when the idempotency key had been seen with the same request: `event` is
    /// the original event and nothing new was written.
    pub replayed: bool,
}

/// The wallet's repository port.
///
/// Every implementation MUST make `post` atomic and serialised per wallet across
/// every process sharing the store: the head it decides against is the latest
/// committed one, the new event gets `seq = head.seq + 1`, and the event and any
/// projection are written together or not at all.
pub trait WalletRepository: Send + Sync {
    /// Opens an empty wallet. Opening an existing one is a no-op.
    fn open(
        &self,
        player_id: AccountId,
        currency: Currency,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Applies `posting` with [`crate::decide`] and appends the resulting event with id
    /// `event_id`; replays the original event when the key was already used for the
    /// same request.
    fn post(
        &self,
        player_id: AccountId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<PostOutcome, PostError>> + Send;

    /// The wallet's current head (from the projection), if the wallet exists.
    fn head(&self, player_id: AccountId) -> impl Future<Output = Result<Option<WalletHead>, StoreError>> + Send;

    /// Events newest first, filtered by `query`.
    fn history(
        &self,
        player_id: AccountId,
        query: HistoryQuery,
    ) -> impl Future<Output = Result<Vec<WalletEvent>, StoreError>> + Send;

    /// The head and the whole stream as of one instant (no posting in between), for
    /// verification; `None` if the wallet does not exist.
    fn snapshot(
        &self,
        player_id: AccountId,
    ) -> impl Future<Output = Result<Option<(WalletHead, Vec<WalletEvent>)>, StoreError>> + Send;

    /// The whole stream in `seq` order.
    fn stream(&self, player_id: AccountId) -> impl Future<Output = Result<Vec<WalletEvent>, StoreError>> + Send;

    /// The latest events across all wallets, newest first.
    fn recent(&self, limit: i64) -> impl Future<Output = Result<Vec<WalletEvent>, StoreError>> + Send;
}
