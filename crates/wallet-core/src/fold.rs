use crate::event::{Balances, EventType, WalletEvent};
use kernel::Money;
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
    #[error("event {seq}: a sum overflowed")]
    Overflow { seq: i64 },
    #[error("event {seq}: its running total {total} is {stored}, the fold gives {folded}")]
    RunningTotalMismatch { seq: i64, total: &'static str, stored: i64, folded: i64 },
}

/// The running totals every event carries, as the fold recomputes them.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    wagered: i64,
    net: i64,
    deposited: i64,
    deposits: i64,
}

impl Totals {
    /// The totals after `e`, checked against what `e` stored.
    fn after(self, e: &WalletEvent) -> Result<Self, FoldError> {
        let overflow = FoldError::Overflow { seq: e.seq };
        let add = |total: i64, delta: i64| total.checked_add(delta).ok_or(overflow.clone());
        let refund = e.event_type == EventType::Rollback && e.cash_delta >= 0 && e.bonus_delta >= 0;
        let amount = e.amount.minor_units();
        let wagered_delta = match e.event_type {
            EventType::Bet => amount,
            EventType::Rollback if refund => -amount,
            _ => 0,
        };
        let net_delta = match e.event_type {
            EventType::Bet | EventType::Win | EventType::Rollback => add(e.cash_delta, e.bonus_delta)?,
            _ => 0,
        };
        let deposit = e.event_type == EventType::Deposit;
        let next = Totals {
            wagered: add(self.wagered, wagered_delta)?,
            net: add(self.net, net_delta)?,
            deposited: add(self.deposited, if deposit { amount } else { 0 })?,
            deposits: add(self.deposits, i64::from(deposit))?,
        };
        let pairs = [
            ("wagered_after", e.wagered_after, next.wagered),
            ("net_after", e.net_after, next.net),
            ("deposited_after", e.deposited_after, next.deposited),
            ("deposits_after", e.deposits_after, next.deposits),
        ];
        for (total, stored, folded) in pairs {
            if stored != folded {
                return Err(FoldError::RunningTotalMismatch { seq: e.seq, total, stored, folded });
            }
        }
        Ok(next)
    }
}

/// Folds a wallet's stream (in `seq` order) into its balances, checking every
/// invariant of the stream on the way: gapless seq from 1, non-negative balances,
/// each event's deltas consistent with its type and amount, each stored
/// `*_balance_after` equal to the running fold, and each running total (`*_after`)
/// equal to the sum it stands for. Every sum is checked.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a WalletEvent>) -> Result<Balances, FoldError> {
    let mut b = Balances::default();
    let mut totals = Totals::default();
    for (expected, e) in (1..).zip(events) {
        if e.seq != expected {
            return Err(FoldError::SeqGap { expected, found: e.seq });
        }
        let amount = e.amount.minor_units();
        let consistent = match e.event_type {
            EventType::Deposit | EventType::Win => e.cash_delta == amount && e.bonus_delta == 0,
            EventType::BonusCredit => e.cash_delta == 0 && e.bonus_delta == amount,
            EventType::Withdrawal => e.cash_delta == -amount && e.bonus_delta == 0,
            EventType::BonusDebit => e.cash_delta == 0 && e.bonus_delta == -amount,
            EventType::Bet => e.cash_delta <= 0 && e.bonus_delta <= 0 && e.cash_delta + e.bonus_delta == -amount,
            EventType::Rollback => {
                // A refunded bet, or a reversed win.
                (e.cash_delta >= 0 && e.bonus_delta >= 0 && e.cash_delta + e.bonus_delta == amount)
                    || (e.cash_delta == -amount && e.bonus_delta == 0)
            }
        };
        if !consistent {
            return Err(FoldError::AmountMismatch { seq: e.seq, amount, event_type: e.event_type });
        }
        let moved = |balance: Money, delta: i64| {
            balance.minor_units().checked_add(delta).ok_or(FoldError::Overflow { seq: e.seq })
        };
        let (cash, bonus) = (moved(b.cash, e.cash_delta)?, moved(b.bonus, e.bonus_delta)?);
        totals = totals.after(e)?;
        let money = |after: i64| Money::new(after).map_err(|_| FoldError::Negative { seq: e.seq });
        b = Balances { cash: money(cash)?, bonus: money(bonus)? };
        if (b.cash, b.bonus) != (e.cash_balance_after, e.bonus_balance_after) {
            return Err(FoldError::BalanceMismatch {
                seq: e.seq,
                stored_cash: e.cash_balance_after.minor_units(),
                stored_bonus: e.bonus_balance_after.minor_units(),
                folded_cash: b.cash.minor_units(),
                folded_bonus: b.bonus.minor_units(),
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
            let folded = (b.cash.minor_units(), b.bonus.minor_units());
            let last = events.last().map_or(0, |e| e.seq);
            let problem = if b != projection {
                Some("the projection differs from the folded stream".to_owned())
            } else if last != projection_seq {
                Some(format!("the projection is at seq {projection_seq}, the stream at {last}"))
            } else {
                None
            };
            (folded, problem)
        }
        Err(e) => {
            // Report the plain sums (signed: an invalid stream may go below zero) so the
            // operator sees how far off the stream is.
            let sums = events.iter().fold((0_i64, 0_i64), |(cash, bonus), e| {
                (cash.saturating_add(e.cash_delta), bonus.saturating_add(e.bonus_delta))
            });
            (sums, Some(e.to_string()))
        }
    };
    Verification {
        events: events.len() as i64,
        folded_cash: folded.0,
        folded_bonus: folded.1,
        projection_cash: projection.cash.minor_units(),
        projection_bonus: projection.bonus.minor_units(),
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
            let e =
                WalletEvent::from_decision(Uuid::from_u128(i as u128), &head, &p, effect, after, Utc::now()).unwrap();
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
        assert_eq!(b, Balances::of(10, 0).unwrap());
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
        amount[0].amount = amount[0].amount.checked_add(Money::new(1).unwrap()).unwrap();
        assert!(matches!(fold(&amount), Err(FoldError::AmountMismatch { seq: 1, .. })));
        let mut after = base.clone();
        after[3].cash_balance_after = after[3].cash_balance_after.checked_add(Money::new(1).unwrap()).unwrap();
        assert!(matches!(fold(&after), Err(FoldError::BalanceMismatch { seq: 4, .. })));
        assert!(!verify(&base, Balances::of(11, 0).unwrap(), 6).consistent);
        assert!(!verify(&base, Balances::of(10, 0).unwrap(), 5).consistent);
        assert!(!verify(&gap, Balances::of(10, 0).unwrap(), 6).consistent);
    }

    #[test]
    fn a_running_total_that_disagrees_with_the_stream_is_caught() {
        let base = stream(STEPS);
        for (i, total) in [(2, "wagered_after"), (3, "net_after"), (4, "deposited_after"), (5, "deposits_after")] {
            let mut tampered = base.clone();
            let e = &mut tampered[i];
            match total {
                "wagered_after" => e.wagered_after += 1,
                "net_after" => e.net_after -= 1,
                "deposited_after" => e.deposited_after += 1,
                _ => e.deposits_after += 1,
            }
            let seq = e.seq;
            match fold(&tampered) {
                Err(FoldError::RunningTotalMismatch { seq: s, total: t, .. }) => assert_eq!((s, t), (seq, total)),
                other => panic!("{total}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_sum_past_i64_is_an_error_not_a_wrap() {
        let mut events = stream(&[(EventType::Deposit, 1000)]);
        let mut second = events[0].clone();
        second.seq = 2;
        second.amount = Money::new(i64::MAX).unwrap();
        second.cash_delta = i64::MAX;
        events.push(second);
        assert_eq!(fold(&events), Err(FoldError::Overflow { seq: 2 }));
        // The report of an invalid stream saturates rather than panicking.
        assert!(!verify(&events, Balances::default(), 2).consistent);
    }
}
