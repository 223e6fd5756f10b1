//! Wallet reads: balances, history, verification, the event search and the staff
//! posting queue (its approval goes through [`super::money`]).

use crate::db::DbError;
use crate::db::postings::ApprovalFailure;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kernel::{AccountId, StoreError};
use uuid::Uuid;
use wallet_core::{EventFilter, ManualPosting, PostingFilter, WalletEvent, WalletHead, WalletRepository};

pub async fn head(state: &AppState, player: AccountId) -> Result<Option<WalletHead>, StoreError> {
    state.db.head(player).await
}

/// The head and the whole stream, for verification.
pub async fn snapshot(
    state: &AppState,
    player: AccountId,
) -> Result<Option<(WalletHead, Vec<WalletEvent>)>, StoreError> {
    state.db.snapshot(player).await
}

/// The latest events across all wallets, newest first.
pub async fn recent(state: &AppState, limit: i64) -> Result<Vec<WalletEvent>, StoreError> {
    state.db.recent(limit).await
}

/// A page of events matching `filter`, and how many match.
pub async fn search_events(state: &AppState, filter: &EventFilter) -> Result<(Vec<WalletEvent>, i64), DbError> {
    state.db.search_events(filter).await
}

pub async fn manual_postings(state: &AppState, filter: PostingFilter) -> Result<Vec<ManualPosting>, DbError> {
    state.db.manual_postings(filter).await
}

pub async fn manual_posting(state: &AppState, id: Uuid) -> Result<Option<ManualPosting>, DbError> {
    state.db.manual_posting(id).await
}

/// A second admin rejects a queued staff posting; nothing moves.
pub async fn reject(
    state: &AppState,
    id: Uuid,
    by: AccountId,
    note: String,
    at: DateTime<Utc>,
) -> Result<ManualPosting, ApprovalFailure> {
    state.db.reject_manual_posting(id, by, note, at).await
}
