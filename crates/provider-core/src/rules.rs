//! The canonical seamless-wallet rules, decided on plain values: given what the wallet
//! already holds about a provider transaction, what a new call may do. The application
//! loads the [`Snapshot`] (behind the player's wallet lock), asks [`decide`], and writes
//! the decision in one transaction with the wallet events it moves.

use crate::{Failure, ProviderConfig, Transaction, TxKind};
use sha2::{Digest, Sha256};

kernel::string_enum! {
    /// Where a provider transaction stands.
    TxStatus {
        /// It moved money (or recorded a zero win) and stands.
        Applied = "applied",
        /// A bet later rolled back.
        RolledBack = "rolled_back",
        /// A rollback that arrived before its bet: the bet is refused when it comes.
        Tombstone = "tombstone",
    }
}

/// A provider transaction as the wallet keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    pub kind: TxKind,
    pub id: String,
    pub player: String,
    pub round: String,
    /// Minor units.
    pub amount: i64,
    pub fingerprint: String,
    pub status: TxStatus,
}

/// What the wallet holds that a call's decision depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// A transaction with the call's id and kind, if one was seen.
    pub same: Option<StoredTx>,
    /// For a win or a rollback: the bet it refers to (by reference; a win without a
    /// reference refers to its round's bet).
    pub bet: Option<StoredTx>,
    /// For a bet: a rollback already naming its id (it overtook the bet).
    pub rollback_of_bet: Option<StoredTx>,
    /// For a rollback: the bet's round already paid a win.
    pub round_paid: bool,
}

/// What a call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Same id and fingerprint: answer as before, with the current balance; nothing moves.
    Replay(StoredTx),
    /// Refused; nothing is written.
    Refuse(Failure),
    /// Take the stake (minor units; the platform's own bet checks still apply).
    Debit(i64),
    /// Pay the win (minor units; 0 only records it).
    Credit(i64),
    /// Return this bet's stake and mark it rolled back.
    Reverse(StoredTx),
    /// A rollback with nothing to undo: the bet is unknown (record a tombstone that
    /// refuses it later) or already rolled back.
    Acknowledge { tombstone: bool },
}

/// The fingerprint of a call's canonical fields: amount, currency, round, player, game
/// and the referenced transaction. The per-call request id is not part of it: it
/// changes on every retry.
pub fn fingerprint(kind: TxKind, tx: &Transaction) -> String {
    let fields = [
        kind.as_str(),
        &tx.amount.to_string(),
        tx.currency.as_deref().unwrap_or(""),
        &tx.round,
        &tx.player,
        &tx.game,
        tx.reference.as_deref().unwrap_or(""),
    ];
    let mut hash = Sha256::new();
    for field in fields {
        // Length-prefixed, so no two different field lists hash the same bytes.
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Decides a bet, win or rollback against what the wallet holds.
pub fn decide(kind: TxKind, tx: &Transaction, fingerprint: &str, snap: &Snapshot, config: &ProviderConfig) -> Decision {
    if let Some(same) = &snap.same {
        return if same.fingerprint != fingerprint {
            Decision::Refuse(Failure::DuplicateTransaction)
        } else if kind == TxKind::Bet && same.status == TxStatus::RolledBack {
            Decision::Refuse(Failure::TransactionRolledBack)
        } else {
            Decision::Replay(same.clone())
        };
    }
    let own_bet = snap.bet.as_ref().filter(|bet| bet.player == tx.player);
    match kind {
        TxKind::Bet if snap.rollback_of_bet.is_some() => Decision::Refuse(Failure::TransactionRolledBack),
        TxKind::Bet => Decision::Debit(tx.amount),
        TxKind::Win => match own_bet {
            None => Decision::Refuse(Failure::TransactionDoesNotExist { final_: config.win_without_bet_is_final }),
            Some(bet) if bet.status != TxStatus::Applied => Decision::Refuse(Failure::TransactionRolledBack),
            Some(_) => Decision::Credit(tx.amount),
        },
        TxKind::Rollback => match own_bet {
            None => Decision::Acknowledge { tombstone: true },
            Some(bet) if bet.status != TxStatus::Applied => Decision::Acknowledge { tombstone: false },
            Some(_) if snap.round_paid => Decision::Refuse(Failure::RoundAlreadySettled),
            Some(bet) => Decision::Reverse(bet.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AmountScale;

    const CONFIG: ProviderConfig =
        ProviderConfig { scale: AmountScale::HUB88, win_without_bet_is_final: false, token_ttl_seconds: 60 };

    fn tx(id: &str, amount: i64, reference: Option<&str>) -> Transaction {
        Transaction {
            id: id.into(),
            player: "p1".into(),
            token: Some("t".into()),
            round: "r1".into(),
            game: "g1".into(),
            amount,
            currency: Some("EUR".into()),
            reference: reference.map(Into::into),
            round_closed: false,
        }
    }

    fn stored(kind: TxKind, t: &Transaction, status: TxStatus) -> StoredTx {
        StoredTx {
            kind,
            id: t.id.clone(),
            player: t.player.clone(),
            round: t.round.clone(),
            amount: t.amount,
            fingerprint: fingerprint(kind, t),
            status,
        }
    }

    fn decide_on(kind: TxKind, t: &Transaction, snap: &Snapshot) -> Decision {
        decide(kind, t, &fingerprint(kind, t), snap, &CONFIG)
    }

    #[test]
    fn a_new_bet_debits_and_a_new_win_credits_its_bet() {
        let bet = tx("b1", 500, None);
        assert_eq!(decide_on(TxKind::Bet, &bet, &Snapshot::default()), Decision::Debit(500));
        let win = tx("w1", 900, Some("b1"));
        let snap = Snapshot { bet: Some(stored(TxKind::Bet, &bet, TxStatus::Applied)), ..Snapshot::default() };
        assert_eq!(decide_on(TxKind::Win, &win, &snap), Decision::Credit(900));
    }

    #[test]
    fn the_same_id_and_fields_replay_and_different_fields_are_a_duplicate() {
        let bet = tx("b1", 500, None);
        let snap = Snapshot { same: Some(stored(TxKind::Bet, &bet, TxStatus::Applied)), ..Snapshot::default() };
        assert!(matches!(decide_on(TxKind::Bet, &bet, &snap), Decision::Replay(_)));
        for changed in [
            Transaction { amount: 501, ..bet.clone() },
            Transaction { currency: Some("USD".into()), ..bet.clone() },
            Transaction { round: "r2".into(), ..bet.clone() },
            Transaction { player: "p2".into(), ..bet.clone() },
            Transaction { game: "g2".into(), ..bet.clone() },
            Transaction { reference: Some("x".into()), ..bet.clone() },
        ] {
            assert_eq!(
                decide_on(TxKind::Bet, &changed, &snap),
                Decision::Refuse(Failure::DuplicateTransaction),
                "{changed:?}"
            );
        }
        // The token (and the per-call request id, which is not even part of the
        // transaction) may change between retries.
        let retried = Transaction { token: Some("other".into()), ..bet.clone() };
        assert!(matches!(decide_on(TxKind::Bet, &retried, &snap), Decision::Replay(_)));
    }

    #[test]
    fn a_rollback_of_an_unknown_bet_succeeds_as_a_tombstone_that_refuses_the_bet_later() {
        let rollback = tx("rb1", 500, Some("b1"));
        assert_eq!(
            decide_on(TxKind::Rollback, &rollback, &Snapshot::default()),
            Decision::Acknowledge { tombstone: true }
        );
        let late_bet = tx("b1", 500, None);
        let snap = Snapshot {
            rollback_of_bet: Some(stored(TxKind::Rollback, &rollback, TxStatus::Tombstone)),
            ..Snapshot::default()
        };
        assert_eq!(decide_on(TxKind::Bet, &late_bet, &snap), Decision::Refuse(Failure::TransactionRolledBack));
    }

    #[test]
    fn a_win_without_its_bet_does_not_exist_final_or_retryable_by_configuration() {
        let win = tx("w1", 900, Some("b1"));
        assert_eq!(
            decide_on(TxKind::Win, &win, &Snapshot::default()),
            Decision::Refuse(Failure::TransactionDoesNotExist { final_: false })
        );
        let final_ = ProviderConfig { win_without_bet_is_final: true, ..CONFIG };
        assert_eq!(
            decide(TxKind::Win, &win, &fingerprint(TxKind::Win, &win), &Snapshot::default(), &final_),
            Decision::Refuse(Failure::TransactionDoesNotExist { final_: true })
        );
        // Another player's bet is not this win's bet.
        let other = Transaction { player: "p2".into(), ..tx("b1", 500, None) };
        let snap = Snapshot { bet: Some(stored(TxKind::Bet, &other, TxStatus::Applied)), ..Snapshot::default() };
        assert!(matches!(
            decide_on(TxKind::Win, &win, &snap),
            Decision::Refuse(Failure::TransactionDoesNotExist { .. })
        ));
    }

    #[test]
    fn a_win_or_a_bet_after_its_rollback_is_rolled_back() {
        let bet = tx("b1", 500, None);
        let rolled = Snapshot { bet: Some(stored(TxKind::Bet, &bet, TxStatus::RolledBack)), ..Snapshot::default() };
        assert_eq!(
            decide_on(TxKind::Win, &tx("w1", 900, Some("b1")), &rolled),
            Decision::Refuse(Failure::TransactionRolledBack)
        );
        let retried = Snapshot { same: Some(stored(TxKind::Bet, &bet, TxStatus::RolledBack)), ..Snapshot::default() };
        assert_eq!(decide_on(TxKind::Bet, &bet, &retried), Decision::Refuse(Failure::TransactionRolledBack));
    }

    #[test]
    fn a_rollback_reverses_its_bet_unless_the_round_paid_a_win() {
        let bet = stored(TxKind::Bet, &tx("b1", 500, None), TxStatus::Applied);
        let rollback = tx("rb1", 500, Some("b1"));
        let snap = Snapshot { bet: Some(bet.clone()), ..Snapshot::default() };
        assert_eq!(decide_on(TxKind::Rollback, &rollback, &snap), Decision::Reverse(bet.clone()));
        let paid = Snapshot { round_paid: true, ..snap };
        assert_eq!(decide_on(TxKind::Rollback, &rollback, &paid), Decision::Refuse(Failure::RoundAlreadySettled));
        // A second rollback of a bet already rolled back moves nothing.
        let twice = Snapshot { bet: Some(StoredTx { status: TxStatus::RolledBack, ..bet }), ..Snapshot::default() };
        assert_eq!(
            decide_on(TxKind::Rollback, &tx("rb2", 500, Some("b1")), &twice),
            Decision::Acknowledge { tombstone: false }
        );
    }

    #[test]
    fn fingerprints_do_not_collide_by_moving_bytes_between_fields() {
        let a = Transaction { round: "ab".into(), game: "c".into(), ..tx("x", 1, None) };
        let b = Transaction { round: "a".into(), game: "bc".into(), ..tx("x", 1, None) };
        assert_ne!(fingerprint(TxKind::Bet, &a), fingerprint(TxKind::Bet, &b));
        assert_ne!(fingerprint(TxKind::Bet, &a), fingerprint(TxKind::Win, &a));
    }
}
