//! The providers an operator has onboarded, their games, and what reconciliation
//! reports of their play.

use crate::{Protocol, ProviderConfig, TxKind, TxStatus};
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

/// One day of a provider's play, as the wallet recorded it (minor units). Each call is
/// counted on the day it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReconciliationDay {
    pub day: NaiveDate,
    /// Bets that stand.
    pub bets: i64,
    pub bet_amount: i64,
    /// Bets a rollback refunded.
    pub rolled_back_bets: i64,
    pub rolled_back_amount: i64,
    /// Wins, zero wins (a lost round's close) included.
    pub wins: i64,
    pub win_amount: i64,
    /// Rollbacks accepted: each refunded its bet, or arrived before it (a tombstone).
    pub rollbacks: i64,
    /// Of those, the ones that arrived before their bet.
    pub tombstones: i64,
}

impl ReconciliationDay {
    /// Counts one recorded transaction; `None` when a sum would overflow.
    pub fn add(&mut self, kind: TxKind, status: TxStatus, amount: i64) -> Option<()> {
        let (count, sum) = match (kind, status) {
            (TxKind::Bet, TxStatus::RolledBack) => (&mut self.rolled_back_bets, Some(&mut self.rolled_back_amount)),
            (TxKind::Bet, _) => (&mut self.bets, Some(&mut self.bet_amount)),
            (TxKind::Win, _) => (&mut self.wins, Some(&mut self.win_amount)),
            (TxKind::Rollback, TxStatus::Tombstone) => {
                self.tombstones += 1;
                (&mut self.rollbacks, None)
            }
            (TxKind::Rollback, _) => (&mut self.rollbacks, None),
        };
        *count += 1;
        if let Some(sum) = sum {
            *sum = sum.checked_add(amount)?;
        }
        Some(())
    }
}

/// A provider's round as the wallet keeps it: the money of its bets, wins and
/// rollbacks for one player, and whether the provider has closed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRound {
    /// The platform's id of the round.
    pub id: uuid::Uuid,
    /// The provider's round id (a live table's may be shared by several players).
    pub round: String,
    pub player: AccountId,
    pub game_slug: String,
    /// The game session it was played in.
    pub session_id: uuid::Uuid,
    pub wagered: i64,
    pub won: i64,
    pub refunded: i64,
    pub open: bool,
    pub opened_at: DateTime<Utc>,
    /// The round's last call.
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Which of a provider's rounds to list: the filters combine; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderRoundFilter {
    pub player: Option<AccountId>,
    /// `Some(true)`: open rounds only; `Some(false)`: closed ones only.
    pub open: Option<bool>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_counts_standing_and_refunded_bets_wins_and_rollbacks_apart() {
        let mut day = ReconciliationDay::default();
        day.add(TxKind::Bet, TxStatus::Applied, 500).unwrap();
        day.add(TxKind::Bet, TxStatus::RolledBack, 300).unwrap();
        day.add(TxKind::Win, TxStatus::Applied, 0).unwrap();
        day.add(TxKind::Win, TxStatus::Applied, 900).unwrap();
        day.add(TxKind::Rollback, TxStatus::Applied, 300).unwrap();
        day.add(TxKind::Rollback, TxStatus::Tombstone, 0).unwrap();
        assert_eq!((day.bets, day.bet_amount, day.rolled_back_bets, day.rolled_back_amount), (1, 500, 1, 300));
        assert_eq!((day.wins, day.win_amount, day.rollbacks, day.tombstones), (2, 900, 2, 1));
        day.bet_amount = i64::MAX;
        assert_eq!(day.add(TxKind::Bet, TxStatus::Applied, 1), None);
    }
}
