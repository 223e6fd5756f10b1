//! The canonical seamless-wallet vocabulary every provider protocol is translated into:
//! the commands a provider's game server sends, what the wallet answers, and why it
//! refuses. Amounts here are the platform's minor units; each adapter converts its
//! protocol's amounts with the provider's [`crate::AmountScale`].

use std::fmt;

/// A parsed call: the command and the per-call id the reply echoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub command: Command,
    /// The per-call id (changes on every retry; echoed, never part of a fingerprint).
    pub request_id: Option<String>,
}

/// A call from a provider's game server, in the platform's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A game starts: who holds this launch token?
    Authenticate { token: String, game: Option<String> },
    /// The player's balance.
    Balance { player: String, token: Option<String>, game: Option<String> },
    /// Take a stake.
    Bet(Transaction),
    /// Pay a win (possibly 0, which only closes the round).
    Win { transaction: Transaction, kind: WinKind },
    /// Undo a bet (`transaction.reference` names it).
    Rollback(Transaction),
    /// The provider says the round is over.
    EndRound { player: String, round: String, game: String },
}

impl Command {
    /// The provider's player identifier the command is about.
    pub fn player(&self) -> Option<&str> {
        match self {
            Command::Authenticate { .. } => None,
            Command::Balance { player, .. } | Command::EndRound { player, .. } => Some(player),
            Command::Bet(t) | Command::Rollback(t) | Command::Win { transaction: t, .. } => Some(&t.player),
        }
    }

    /// The money movement the command asks for, with its kind, if it is one.
    pub fn transaction(&self) -> Option<(TxKind, &Transaction)> {
        match self {
            Command::Bet(t) => Some((TxKind::Bet, t)),
            Command::Win { transaction, .. } => Some((TxKind::Win, transaction)),
            Command::Rollback(t) => Some((TxKind::Rollback, t)),
            _ => None,
        }
    }
}

/// One money movement asked for by a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The provider's transaction id: with the provider and the kind, the idempotency key.
    pub id: String,
    /// The provider's id of the player (the platform's player id, as text).
    pub player: String,
    /// The launch token, when the protocol sends it.
    pub token: Option<String>,
    /// The provider's round id.
    pub round: String,
    /// The provider's game code.
    pub game: String,
    /// Minor units (0 is allowed for wins only: a losing round's close).
    pub amount: i64,
    /// ISO 4217, as the provider sent it (checked against the wallet's).
    pub currency: Option<String>,
    /// The transaction this one refers to: a win's bet, a rollback's bet.
    pub reference: Option<String>,
    /// The provider closes the round with this call.
    pub round_closed: bool,
}

/// What a win pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WinKind {
    Normal,
    /// A free round's win.
    Free,
    Jackpot,
    /// A promotion's (tournament, prize drop) payout.
    Promo,
}

kernel::string_enum! {
    /// The kind of a provider transaction, part of its idempotency key.
    TxKind {
        Bet = "bet",
        Win = "win",
        Rollback = "rollback",
    }
}

/// A wallet as a provider sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The platform's player id, as text.
    pub player: String,
    pub currency: String,
    /// Minor units.
    pub cash: i64,
    /// Minor units.
    pub bonus: i64,
    /// ISO 3166-1 alpha-2, for the protocols that report it.
    pub country: Option<String>,
}

impl Account {
    /// What the player can stake (cash and bonus), in minor units.
    pub fn balance(&self) -> i64 {
        self.cash.saturating_add(self.bonus)
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub account: Account,
    /// The platform's id of the transaction (the ledger's reference), for the protocols
    /// that echo one.
    pub transaction: Option<String>,
}

/// Why the wallet refused a call, in the seamless-wallet contract's terms; each protocol
/// renders these as its own statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    InvalidSignature,
    InvalidToken,
    TokenExpired,
    /// The player the call names is not ours.
    PlayerNotFound,
    /// The balance is attached to the reply.
    NotEnoughMoney,
    /// Same transaction id, different fields.
    DuplicateTransaction,
    /// A win or rollback whose bet the wallet never saw (for a win: `final_` says
    /// whether the provider must stop retrying).
    TransactionDoesNotExist {
        final_: bool,
    },
    /// The bet was rolled back: a late bet, or a win or bet after the rollback.
    TransactionRolledBack,
    /// The round already paid a win: its bet cannot be rolled back.
    RoundAlreadySettled,
    UserDisabled,
    /// A responsible-gaming limit, a stake cap or a session rule refused the bet.
    LimitReached(String),
    WrongCurrency,
    WrongSyntax(String),
    /// Something went wrong on our side; the provider may retry.
    Retryable(String),
    Unknown(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::InvalidSignature => f.write_str("invalid signature"),
            Failure::InvalidToken => f.write_str("invalid token"),
            Failure::TokenExpired => f.write_str("token expired"),
            Failure::PlayerNotFound => f.write_str("player not found"),
            Failure::NotEnoughMoney => f.write_str("not enough money"),
            Failure::DuplicateTransaction => f.write_str("duplicate transaction with different fields"),
            Failure::TransactionDoesNotExist { .. } => f.write_str("the referenced transaction does not exist"),
            Failure::TransactionRolledBack => f.write_str("the transaction was rolled back"),
            Failure::RoundAlreadySettled => f.write_str("the round already paid a win"),
            Failure::UserDisabled => f.write_str("player disabled"),
            Failure::LimitReached(why) => write!(f, "limit reached: {why}"),
            Failure::WrongCurrency => f.write_str("wrong currency"),
            Failure::WrongSyntax(why) => write!(f, "wrong syntax: {why}"),
            Failure::Retryable(why) => write!(f, "temporary error: {why}"),
            Failure::Unknown(why) => write!(f, "error: {why}"),
        }
    }
}

/// The wallet's answer to a command: an outcome, or a failure with the account when it
/// is known (a refused bet still reports the balance).
pub type Reply = Result<Outcome, (Failure, Option<Account>)>;
