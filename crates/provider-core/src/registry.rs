//! The providers an operator has onboarded, their games, and what reconciliation
//! reports of their play.

use crate::{Protocol, ProviderConfig};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::{AccountId, Rtp};

/// An onboarded provider, as staff see it (its secrets are not part of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub slug: String,
    pub name: String,
    pub protocol: Protocol,
    pub enabled: bool,
    pub config: ProviderConfig,
    pub games: Vec<ProviderGame>,
    /// Hub88: the public half of the key our responses are signed with.
    pub operator_public_key_pem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider's game in the platform's catalogue. Its RTP is what the provider
/// declared: the operator cannot set it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderGame {
    /// The platform's slug (unique across every game, in-house or not).
    pub slug: String,
    /// The provider's own game code.
    pub code: String,
    pub name: String,
    pub kind: String,
    pub rtp: Rtp,
    /// Minor units.
    pub min_bet: i64,
    /// Minor units.
    pub max_bet: i64,
}

/// A provider's secrets: its key (Hub88: its RSA public key; Pragmatic: the shared
/// secret) and, for Hub88, the private key our responses are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSecrets {
    pub provider_key: String,
    pub operator_private_key: Option<String>,
}

/// One day of a provider's play, as the wallet recorded it (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReconciliationDay {
    pub day: NaiveDate,
    pub bets: i64,
    pub bet_amount: i64,
    pub wins: i64,
    pub win_amount: i64,
    pub rollbacks: i64,
    pub rollback_amount: i64,
}

/// A round still open after the stuck-round threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckRound {
    pub round: String,
    pub player: AccountId,
    pub game_slug: String,
    pub wagered: i64,
    pub won: i64,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
