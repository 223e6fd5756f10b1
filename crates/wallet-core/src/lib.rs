//! The event-sourced wallet.
//!
//! A wallet is an append-only stream of [`WalletEvent`]s with a gapless per-wallet
//! `seq`. Balances are a [`fold`] over the stream; a projection may be kept beside it
//! but must always equal the fold. [`decide`] is the one place that says what a
//! [`Posting`] does to a wallet; repositories (the [`WalletRepository`] port) apply it
//! atomically, serialising postings per wallet.

mod approval;
mod event;
mod fold;
pub mod memory;
mod port;
mod search;

pub use approval::{ApprovalError, ApprovalStatus, ManualPosting, needs_approval};
pub use event::{
    Attribution, Balances, DepositTotals, EventType, HistoryQuery, IdempotencyKey, IdempotencyKeyError, Posting,
    PostingError, Reason, ReasonError, Reference, ReferenceError, WalletEvent, WalletHead, decide,
};
pub use fold::{FoldError, Verification, fold, verify};
pub use port::{PostError, PostOutcome, StoreError, WalletRepository};
pub use search::{EventFilter, EventOrder, MoneyDay, PostingFilter, ROUND_REFERENCE_PREFIX};

#[cfg(feature = "testkit")]
pub mod contract;
