//! Third-party game providers behind one seamless wallet.
//!
//! A provider's game server calls the operator's wallet for each bet, win and rollback,
//! in its own protocol. Each [`ProviderAdapter`] only translates: it checks a call's
//! signature, turns the call into a canonical [`Command`], and renders the wallet's
//! [`Reply`] back. One set of canonical [`rules`] decides every protocol's money
//! movements on plain values (idempotent replays, duplicates, rollbacks that overtake
//! their bets); how a provider counts money is configuration ([`ProviderConfig`]).

mod adapter;
mod canonical;
mod config;
mod registry;
pub mod rules;

pub use adapter::{Protocol, ProviderAdapter, Response};
pub use canonical::{Account, Command, Failure, Outcome, Reply, Request, Transaction, TxKind, WinKind};
pub use config::{AmountRounding, AmountScale, ProviderConfig, format_decimal, parse_decimal};
pub use registry::{Provider, ProviderGame, ProviderSecrets, ReconciliationDay, StuckRound};
pub use rules::{Decision, Snapshot, StoredTx, TxStatus};
