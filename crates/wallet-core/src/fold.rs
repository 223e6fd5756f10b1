use crate::event::{Balances, EventType, WalletEvent};
use serde::Serialize;

/// Why a stream does not fold: it is not a valid history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("seq gap: expected {expected}, found {found}")]
    SeqGap { expected: i64, found: i64 },
    #[error(
        "event {seq}: stored balances after ({stored_cash}, {stored_bonus}) differ from the fold ({folded_cash}, {folded_bonus})"
    )]
    BalanceMismatch { seq: i64, stored_cash: i64, stored_bonus: i64, folded_cash: i64, folded_bonus: i64 },
    #[error("event {seq}: a balance went below zero")]
    Negative { seq: i64 },
    #[error("event {seq}: amount {amount} does not match its balance changes for {event_type}")]
    AmountMismatch { seq: i64, amount: i64, event_type: EventType },
}

/// Folds a wallet's stream (in `seq` order) into its balances, checking every
/// invariant of the stream on the way: gapless seq from 1, non-negative balances,
/// each event's deltas consistent with its type and amount, and each stored
/// `*_balance_after` equal to the running fold.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a WalletEvent>) -> Result<Balances, FoldError> {
    let mut b = Balances::default();
    for (expected, e) in (1..).zip(events) {
        if e.seq != expected {
            return Err(FoldError::SeqGap { expected, found: e.seq });
        }
        let consistent = match e.event_type {
            EventType::Deposit | EventType::Win => e.cash_delta == e.amount && e.bonus_delta == 0,
            EventType::BonusCredit => e.cash_delta == 0 && e.bonus_delta == e.amount,
            EventType::Withdrawal => e.cash_delta == -e.amount && e.bonus_delta == 0,
            EventType::BonusDebit => e.cash_delta == 0 && e.bonus_delta == -e.amount,
            EventType::Bet => e.cash_delta <= 0 && e.bonus_delta <= 0 && e.cash_delta + e.bonus_delta == -e.amount,
            EventType::Rollback => {
                // A refunded bet, or a reversed win.
                (e.cash_delta >= 0 && e.bonus_delta >= 0 && e.cash_delta + e.bonus_delta == e.amount)
                    || (e.cash_delta == -e.amount && e.bonus_delta == 0)
            }
        };
        if !consistent {
            return Err(FoldError::AmountMismatch { seq: e.seq, amount: e.amount, event_type: e.event_type });
        }
        b.cash += e.cash_delta;
        b.bonus += e.bonus_delta;
        if b.cash < 0 || b.bonus < 0 {
            return Err(FoldError::Negative { seq: e.seq });
        }
        if (b.cash, b.bonus) != (e.cash_balance_after, e.bonus_balance_after) {
            return Err(FoldError::BalanceMismatch {
                seq: e.seq,
                stored_cash: e.cash_balance_after,
                stored_bonus: e.bonus_balance_after,
                folded_cash: b.cash,
                folded_bonus: b.bonus,
            });
        }
    }
    Ok(b)
}

/// The report of replaying a stream against a projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub events: i64,
    pub folded_cash: i64,
    pub folded_bonus: i64,
    pub projection_cash: i64,
    pub projection_bonus: i64,
    pub consistent: bool,
    /// Why the stream is inconsistent, when it is.
    pub problem: Option<String>,
}

/// Replays `events` and compares the result with the `projection`.
pub fn verify(events: &[WalletEvent], projection: Balances, projection_seq: i64) -> Verification {
    let (folded, problem) = match fold(events) {
        Ok(b) => {
            let last = events.last().map_or(0, |e| e.seq);
            let problem = if b != projection {
                Some("the projection differs from the folded stream".to_owned())
            } else if last != projection_seq {
                Some(format!("the projection is at seq {projection_seq}, the stream at {last}"))
            } else {
                None
            };
            (b, problem)
        }
        Err(e) => {
            // Report the plain sums so the operator sees how far off the stream is.
            let sums = events.iter().fold(Balances::default(), |acc, e| Balances {
                cash: acc.cash + e.cash_delta,
                bonus: acc.bonus + e.bonus_delta,
            });
            (sums, Some(e.to_string()))
        }
    };
    Verification {
        events: events.len() as i64,
        folded_cash: folded.cash,
        folded_bonus: folded.bonus,
        projection_cash: projection.cash,
        projection_bonus: projection.bonus,
        consistent: problem.is_none(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{IdempotencyKey, Posting, WalletHead, decide};
    use chrono::Utc;
    use kernel::{AccountId, Amount, Currency};
    use uuid::Uuid;

    /// A valid stream built through `decide`, from a table of (type, amount).
    fn stream(steps: &[(EventType, i64)]) -> Vec<WalletEvent> {
        let mut head = WalletHead::empty(AccountId::from_uuid(Uuid::nil()), Currency::EUR);
        let mut out = Vec::new();
        for (i, (t, amount)) in steps.iter().enumerate() {
            let p =
                Posting::new(*t, Amount::new(*amount).unwrap(), IdempotencyKey::parse(&format!("k{i}")).unwrap(), None);
            let (effect, after) = decide(&head, &p, None).unwrap();
            let e = WalletEvent::from_decision(Uuid::from_u128(i as u128), &head, &p, effect, after, Utc::now());
            head = e.advance(&head);
            out.push(e);
        }
        out
    }

    const STEPS: &[(EventType, i64)] = &[
        (EventType::Deposit, 1000),
        (EventType::BonusCredit, 300),
        (EventType::Bet, 1200),
        (EventType::Win, 50),
        (EventType::Withdrawal, 40),
        (EventType::BonusDebit, 100),
    ];

    #[test]
    fn a_valid_stream_folds_to_its_last_balances() {
        let events = stream(STEPS);
        let b = fold(&events).unwrap();
        assert_eq!(b, Balances { cash: 10, bonus: 0 });
        let v = verify(&events, b, 6);
        assert!(v.consistent, "{v:?}");
    }

    #[test]
    fn every_kind_of_tampering_is_caught() {
        let base = stream(STEPS);
        let mut gap = base.clone();
        gap.remove(2);
        assert!(matches!(fold(&gap), Err(FoldError::SeqGap { expected: 3, found: 4 })));
        let mut amount = base.clone();
        amount[0].amount += 1;
        assert!(matches!(fold(&amount), Err(FoldError::AmountMismatch { seq: 1, .. })));
        let mut after = base.clone();
        after[3].cash_balance_after += 1;
        assert!(matches!(fold(&after), Err(FoldError::BalanceMismatch { seq: 4, .. })));
        assert!(!verify(&base, Balances { cash: 11, bonus: 0 }, 6).consistent);
        assert!(!verify(&base, Balances { cash: 10, bonus: 0 }, 5).consistent);
        assert!(!verify(&gap, Balances { cash: 10, bonus: 0 }, 6).consistent);
    }
}
