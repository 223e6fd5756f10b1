//! Third-party game providers behind one seamless wallet.
//!
//! A provider's game server calls the operator's wallet for each bet, win and rollback,
//! in its own protocol. Each [`ProviderAdapter`] only translates: it checks a call's
//! signature, turns the call into a canonical [`Command`], and renders the wallet's
//! [`Reply`] back. One set of canonical [`rules`] decides every protocol's money
//! movements on plain values (idempotent replays, duplicates, rollbacks that overtake
//! their bets); how a provider counts money is configuration ([`ProviderConfig`]).
//!
//! Two protocols: [`hub88`] (JSON, RSA-SHA256 signatures both ways) and [`pragmatic`]
//! (form-encoded calls with an MD5 hash, JSON answers with error codes). Each module has
//! the wallet's side ([`hub88::Hub88Adapter`], [`pragmatic::PragmaticAdapter`]) and the
//! provider's side ([`ProviderClient`]: [`hub88::Hub88Client`],
//! [`pragmatic::PragmaticClient`]) over one codec, so the simulated provider and the
//! wallet agree by construction. Everything here is pure: no IO, no clock (callers pass
//! timestamps and key-generation seeds); the one exception is the system randomness
//! aws-lc-rs draws to blind RSA signatures.
//!
//! The registry's types ([`Provider`], [`ProviderGame`], [`ProviderSecrets`]) describe
//! the onboarded providers; [`ProviderRound`] one round of their play as the wallet
//! keeps it; [`ReconciliationDay`] and [`StuckRound`] what reconciliation reports.

mod adapter;
mod canonical;
mod config;
pub mod hub88;
pub mod pragmatic;
mod registry;
pub mod rules;

pub use adapter::{Answer, Call, Protocol, ProviderAdapter, ProviderClient, Response};
pub use canonical::{Account, Command, Failure, Outcome, Reply, Request, Transaction, TxKind, WinKind};
pub use config::{AmountRounding, AmountScale, ProviderConfig, format_decimal, parse_decimal};
pub use registry::{
    Provider, ProviderGame, ProviderRound, ProviderRoundFilter, ProviderSecrets, ReconciliationDay, StuckRound,
};
pub use rules::{Decision, Snapshot, StoredTx, TxStatus};
