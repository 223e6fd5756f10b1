use chrono::{DateTime, Utc};
use kernel::{AccountId, Amount, Currency, Money};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// What happened to a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    Deposit,
    Withdrawal,
    Bet,
    Win,
    BonusCredit,
    BonusDebit,
    /// Compensates exactly one earlier `BET` (refunding it to where it was taken
    /// from) or `WIN` (taking it back from cash), once.
    Rollback,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::Deposit,
        EventType::Withdrawal,
        EventType::Bet,
        EventType::Win,
        EventType::BonusCredit,
        EventType::BonusDebit,
        EventType::Rollback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Deposit => "DEPOSIT",
            EventType::Withdrawal => "WITHDRAWAL",
            EventType::Bet => "BET",
            EventType::Win => "WIN",
            EventType::BonusCredit => "BONUS_CREDIT",
            EventType::BonusDebit => "BONUS_DEBIT",
            EventType::Rollback => "ROLLBACK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Cash and bonus balances; never negative (each is [`Money`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balances {
    pub cash: Money,
    pub bonus: Money,
}

impl Balances {
    /// Cash and bonus together; `None` past `i64`.
    pub fn total(&self) -> Option<Money> {
        self.cash.checked_add(self.bonus)
    }

    /// [`total`](Self::total) as a figure to show, saturating past `i64` (never in practice).
    pub fn shown_total(&self) -> i64 {
        self.total().map_or(i64::MAX, Money::minor_units)
    }

    /// Balances of `cash` and `bonus` minor units; `None` if either is negative.
    pub fn of(cash: i64, bonus: i64) -> Option<Self> {
        Some(Self { cash: Money::new(cash).ok()?, bonus: Money::new(bonus).ok()? })
    }
}

/// The current state of a wallet: what a posting is decided against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletHead {
    pub player_id: AccountId,
    pub currency: Currency,
    /// The `seq` of the last event; 0 for an empty wallet.
    pub seq: i64,
    pub balances: Balances,
    /// Sum of bets less rolled-back bets: what VIP tiers are derived from.
    pub lifetime_wagered: i64,
    /// Sum of deposits ever (the pre-KYC allowance counts it).
    pub lifetime_deposited: i64,
    /// Number of deposits ever: with each event's `deposits_after`, the deposits in
    /// any window are counted by one subtraction.
    pub lifetime_deposits: i64,
    /// Won − wagered ever, rollbacks netted: with each event's `net_after`, the net
    /// position over any window is one subtraction.
    pub lifetime_net: i64,
}

impl WalletHead {
    /// A wallet with no events.
    pub fn empty(player_id: AccountId, currency: Currency) -> Self {
        Self {
            player_id,
            currency,
            seq: 0,
            balances: Balances::default(),
            lifetime_wagered: 0,
            lifetime_deposited: 0,
            lifetime_deposits: 0,
            lifetime_net: 0,
        }
    }
}

impl WalletHead {
    /// The deposits the wallet ever had.
    pub fn deposits(&self) -> DepositTotals {
        DepositTotals { count: self.lifetime_deposits, sum: self.lifetime_deposited }
    }
}

/// How many deposits, and their sum in minor units: ever, or within a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepositTotals {
    pub count: i64,
    pub sum: i64,
}

impl DepositTotals {
    /// The deposits made after the moment the totals were `before` (running totals are
    /// never lower later); `None` when `before` is not an earlier state of these totals.
    pub fn since(self, before: DepositTotals) -> Option<DepositTotals> {
        let count = self.count.checked_sub(before.count).filter(|c| *c >= 0)?;
        let sum = self.sum.checked_sub(before.sum).filter(|s| *s >= 0)?;
        Some(DepositTotals { count, sum })
    }
}

/// A client-chosen key that makes a mutating request safe to retry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency_key must be 1 to 128 printable ASCII characters")]
pub struct IdempotencyKeyError;

impl IdempotencyKey {
    /// A key the platform makes for its own postings (`"{scope} {id} {leg}"`). It contains
    /// spaces, which client keys never do, so no client request can collide with it.
    pub fn system(scope: &str, id: uuid::Uuid, leg: &str) -> Self {
        Self(format!("{scope} {id} {leg}"))
    }

    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        let ok = !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| (0x21..0x7f).contains(&b));
        if ok { Ok(Self(raw.to_owned())) } else { Err(IdempotencyKeyError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-form external reference (round id, payment reference, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Reference(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reference must be 1 to 200 characters without control characters")]
pub struct ReferenceError;

impl Reference {
    pub fn parse(raw: &str) -> Result<Self, ReferenceError> {
        let ok = !raw.is_empty() && raw.chars().count() <= 200 && !raw.chars().any(char::is_control);
        if ok { Ok(Self(raw.to_owned())) } else { Err(ReferenceError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a staff member moved money by hand: 1 to 500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Reason(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reason must be 1 to 500 characters without control characters")]
pub struct ReasonError;

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, ReasonError> {
        let trimmed = raw.trim();
        let ok = !trimmed.is_empty() && trimmed.chars().count() <= 500 && !trimmed.chars().any(char::is_control);
        if ok { Ok(Self(trimmed.to_owned())) } else { Err(ReasonError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who posted a staff posting, and why; `approved_by` once a second admin approved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    pub posted_by: AccountId,
    pub reason: Reason,
    pub approved_by: Option<AccountId>,
}

/// A request to append one event to a wallet. Built only from valid parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub event_type: EventType,
    pub amount: Amount,
    pub idempotency_key: IdempotencyKey,
    pub reference: Option<Reference>,
    /// For `ROLLBACK`: the `BET` or `WIN` event it compensates.
    pub compensates: Option<Uuid>,
    /// Set on every posting a staff member makes by hand; `None` for the player's own
    /// postings and the platform's (rounds).
    pub attribution: Option<Attribution>,
}

impl Posting {
    pub fn new(
        event_type: EventType,
        amount: Amount,
        idempotency_key: IdempotencyKey,
        reference: Option<Reference>,
    ) -> Self {
        Self { event_type, amount, idempotency_key, reference, compensates: None, attribution: None }
    }

    /// The same posting, made by hand by staff member `posted_by` for `reason`.
    pub fn by_staff(self, posted_by: AccountId, reason: Reason) -> Self {
        Self { attribution: Some(Attribution { posted_by, reason, approved_by: None }), ..self }
    }

    /// Whether this is money a staff member credits by hand outside any game: what the
    /// AML rules on manual credits screen.
    pub fn is_manual_credit(&self) -> bool {
        self.attribution.is_some()
            && matches!(self.event_type, EventType::Deposit | EventType::Win | EventType::BonusCredit)
    }

    /// A `ROLLBACK` of the `BET` event `bet_event_id`.
    pub fn rollback(
        bet_event_id: Uuid,
        amount: Amount,
        idempotency_key: IdempotencyKey,
        reference: Option<Reference>,
    ) -> Self {
        Self {
            event_type: EventType::Rollback,
            amount,
            idempotency_key,
            reference,
            compensates: Some(bet_event_id),
            attribution: None,
        }
    }

    /// A digest of everything that makes two requests "the same request" for
    /// idempotency: same key with a different fingerprint is a conflict.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.event_type.as_str());
        h.update([0]);
        h.update(self.amount.minor_units().to_be_bytes());
        h.update([0]);
        if let Some(r) = &self.reference {
            h.update(r.as_str());
        }
        h.update([0]);
        if let Some(c) = &self.compensates {
            h.update(c.as_bytes());
        }
        // Who asked and why make the request, not who approved it later. (Postings
        // without attribution hash exactly as before it existed.)
        if let Some(a) = &self.attribution {
            h.update([0]);
            h.update(a.posted_by.as_uuid().as_bytes());
            h.update([0]);
            h.update(a.reason.as_str());
        }
        hex::encode(h.finalize())
    }
}

/// Why a posting was refused. Nothing is written when it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("insufficient funds: available {available}, requested {requested}")]
    InsufficientFunds { available: i64, requested: i64 },
    #[error("a ROLLBACK must name the BET event it compensates")]
    RollbackTargetMissing,
    #[error("the event to roll back does not exist in this wallet")]
    RollbackTargetNotFound,
    #[error("only a BET or WIN event can be rolled back")]
    RollbackTargetNotBet,
    #[error("that BET has already been rolled back")]
    AlreadyRolledBack,
    #[error("a ROLLBACK must be for exactly the amount of the event it compensates ({bet_amount})")]
    RollbackAmountMismatch { bet_amount: i64 },
    #[error("only a ROLLBACK may name an event it compensates")]
    UnexpectedCompensation,
    #[error("that event belongs to a game round: roll back the round instead")]
    RoundEvent,
    #[error("the balance would exceed the largest representable amount")]
    Overflow,
}

/// What `decide` says a posting does: changes to cash and bonus, and to the amount
/// wagered. Signed on purpose (a debit is negative): a delta is not a sum of money but
/// a move of one, and [`Money::checked_add_signed`] applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    pub cash_delta: i64,
    pub bonus_delta: i64,
    pub wagered_delta: i64,
}

impl Effect {
    /// What the event does to the player's net position from play (won − wagered):
    /// bets, wins and their rollbacks count; money in and out does not.
    pub fn net_delta(&self, event_type: EventType) -> i64 {
        match event_type {
            EventType::Bet | EventType::Win | EventType::Rollback => self.cash_delta + self.bonus_delta,
            _ => 0,
        }
    }
}

/// The one rule book of the wallet: what `posting` does to a wallet in state `head`.
///
/// `target` is the event named by `posting.compensates` as found in this wallet (with
/// `already_compensated` telling whether a ROLLBACK of it exists).
pub fn decide(
    head: &WalletHead,
    posting: &Posting,
    target: Option<(&WalletEvent, bool)>,
) -> Result<(Effect, Balances), PostingError> {
    let amount = posting.amount.minor_units();
    let b = head.balances;
    let (cash, bonus) = (b.cash.minor_units(), b.bonus.minor_units());
    // Past `i64` together, the two certainly cover any amount.
    let total = b.total().map_or(i64::MAX, Money::minor_units);
    if posting.event_type != EventType::Rollback && posting.compensates.is_some() {
        return Err(PostingError::UnexpectedCompensation);
    }
    let effect = match posting.event_type {
        EventType::Deposit | EventType::Win => Effect { cash_delta: amount, bonus_delta: 0, wagered_delta: 0 },
        EventType::BonusCredit => Effect { cash_delta: 0, bonus_delta: amount, wagered_delta: 0 },
        EventType::Withdrawal => {
            if cash < amount {
                return Err(PostingError::InsufficientFunds { available: cash, requested: amount });
            }
            Effect { cash_delta: -amount, bonus_delta: 0, wagered_delta: 0 }
        }
        EventType::BonusDebit => {
            if bonus < amount {
                return Err(PostingError::InsufficientFunds { available: bonus, requested: amount });
            }
            Effect { cash_delta: 0, bonus_delta: -amount, wagered_delta: 0 }
        }
        EventType::Bet => {
            // Cash first, then bonus.
            if total < amount {
                return Err(PostingError::InsufficientFunds { available: total, requested: amount });
            }
            let from_cash = amount.min(cash);
            Effect { cash_delta: -from_cash, bonus_delta: -(amount - from_cash), wagered_delta: amount }
        }
        EventType::Rollback => {
            if posting.compensates.is_none() {
                return Err(PostingError::RollbackTargetMissing);
            }
            let (target, already) = target.ok_or(PostingError::RollbackTargetNotFound)?;
            if !matches!(target.event_type, EventType::Bet | EventType::Win) {
                return Err(PostingError::RollbackTargetNotBet);
            }
            if already {
                return Err(PostingError::AlreadyRolledBack);
            }
            if target.amount.minor_units() != amount {
                return Err(PostingError::RollbackAmountMismatch { bet_amount: target.amount.minor_units() });
            }
            if target.event_type == EventType::Bet {
                // Refund each part to where the bet took it from.
                Effect { cash_delta: -target.cash_delta, bonus_delta: -target.bonus_delta, wagered_delta: -amount }
            } else {
                // Reverse a win: take it back from cash.
                if cash < amount {
                    return Err(PostingError::InsufficientFunds { available: cash, requested: amount });
                }
                Effect { cash_delta: -amount, bonus_delta: 0, wagered_delta: 0 }
            }
        }
    };
    let moved = |balance: i64, delta: i64| -> Result<Money, PostingError> {
        let after = balance.checked_add(delta).ok_or(PostingError::Overflow)?;
        Money::new(after).map_err(|_| PostingError::InsufficientFunds { available: total, requested: amount })
    };
    let after = Balances { cash: moved(cash, effect.cash_delta)?, bonus: moved(bonus, effect.bonus_delta)? };
    Ok((effect, after))
}

/// One event of a wallet's stream, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletEvent {
    pub id: Uuid,
    pub player_id: AccountId,
    pub seq: i64,
    pub event_type: EventType,
    pub amount: Money,
    pub currency: Currency,
    /// What the event did to each balance: signed (a debit is negative).
    pub cash_delta: i64,
    pub bonus_delta: i64,
    pub cash_balance_after: Money,
    pub bonus_balance_after: Money,
    pub idempotency_key: String,
    pub request_fingerprint: String,
    pub reference: Option<String>,
    pub compensates: Option<Uuid>,
    /// The staff member who posted it by hand, with their reason.
    pub posted_by: Option<AccountId>,
    pub reason: Option<String>,
    /// The second admin who approved it, for postings above the approval threshold.
    pub approved_by: Option<AccountId>,
    /// The wallet's `lifetime_wagered`, `lifetime_net`, `lifetime_deposited` and
    /// `lifetime_deposits` after this event: running totals, so that play or deposits
    /// over a window are the difference of two of them.
    pub wagered_after: i64,
    pub net_after: i64,
    pub deposited_after: i64,
    pub deposits_after: i64,
    pub created_at: DateTime<Utc>,
}

impl WalletEvent {
    /// The event that `posting` makes on a wallet in state `head`, once decided; fails
    /// only when a running total would overflow.
    pub fn from_decision(
        id: Uuid,
        head: &WalletHead,
        posting: &Posting,
        effect: Effect,
        after: Balances,
        at: DateTime<Utc>,
    ) -> Result<Self, PostingError> {
        let add = |total: i64, delta: i64| total.checked_add(delta).ok_or(PostingError::Overflow);
        let deposit = posting.event_type == EventType::Deposit;
        Ok(Self {
            id,
            player_id: head.player_id,
            seq: head.seq.checked_add(1).ok_or(PostingError::Overflow)?,
            event_type: posting.event_type,
            amount: posting.amount.into(),
            currency: head.currency,
            cash_delta: effect.cash_delta,
            bonus_delta: effect.bonus_delta,
            cash_balance_after: after.cash,
            bonus_balance_after: after.bonus,
            idempotency_key: posting.idempotency_key.as_str().to_owned(),
            request_fingerprint: posting.fingerprint(),
            reference: posting.reference.as_ref().map(|r| r.as_str().to_owned()),
            compensates: posting.compensates,
            posted_by: posting.attribution.as_ref().map(|a| a.posted_by),
            reason: posting.attribution.as_ref().map(|a| a.reason.as_str().to_owned()),
            approved_by: posting.attribution.as_ref().and_then(|a| a.approved_by),
            wagered_after: add(head.lifetime_wagered, effect.wagered_delta)?,
            net_after: add(head.lifetime_net, effect.net_delta(posting.event_type))?,
            deposited_after: add(head.lifetime_deposited, if deposit { posting.amount.minor_units() } else { 0 })?,
            deposits_after: add(head.lifetime_deposits, i64::from(deposit))?,
            created_at: at,
        })
    }

    /// The wallet head after this event, given the head before it.
    pub fn advance(&self, head: &WalletHead) -> WalletHead {
        WalletHead {
            seq: self.seq,
            balances: Balances { cash: self.cash_balance_after, bonus: self.bonus_balance_after },
            lifetime_wagered: self.wagered_after,
            lifetime_deposited: self.deposited_after,
            lifetime_deposits: self.deposits_after,
            lifetime_net: self.net_after,
            ..*head
        }
    }
}

/// Filters for reading a wallet's history, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryQuery {
    pub limit: i64,
    pub before_seq: Option<i64>,
    pub event_type: Option<EventType>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(cash: i64, bonus: i64) -> WalletHead {
        WalletHead {
            seq: 3,
            balances: Balances::of(cash, bonus).unwrap(),
            ..WalletHead::empty(AccountId::from_uuid(Uuid::nil()), Currency::EUR)
        }
    }

    fn posting(t: EventType, amount: i64) -> Posting {
        Posting::new(t, Amount::new(amount).unwrap(), IdempotencyKey::parse("k").unwrap(), None)
    }

    #[test]
    fn each_event_type_moves_the_right_balance() {
        let cases = [
            (EventType::Deposit, 100, (600, 50)),
            (EventType::Win, 100, (600, 50)),
            (EventType::BonusCredit, 100, (500, 150)),
            (EventType::Withdrawal, 100, (400, 50)),
            (EventType::BonusDebit, 50, (500, 0)),
            (EventType::Bet, 100, (400, 50)),
            (EventType::Bet, 520, (0, 30)),
            (EventType::Bet, 550, (0, 0)),
        ];
        for (t, amount, (cash, bonus)) in cases {
            let (_, after) = decide(&head(500, 50), &posting(t, amount), None).unwrap();
            assert_eq!(after, Balances::of(cash, bonus).unwrap(), "{t} {amount}");
        }
    }

    #[test]
    fn nothing_goes_below_zero() {
        let cases = [(EventType::Withdrawal, 501), (EventType::BonusDebit, 51), (EventType::Bet, 551)];
        for (t, amount) in cases {
            let err = decide(&head(500, 50), &posting(t, amount), None).unwrap_err();
            assert!(matches!(err, PostingError::InsufficientFunds { .. }), "{t} {amount}: {err}");
        }
        // Withdrawals never touch bonus money.
        assert!(decide(&head(0, 50), &posting(EventType::Withdrawal, 1), None).is_err());
    }

    #[test]
    fn rollback_refunds_the_bet_split_once() {
        let h = head(500, 50);
        let bet_posting = posting(EventType::Bet, 520);
        let (effect, after) = decide(&h, &bet_posting, None).unwrap();
        let bet = WalletEvent::from_decision(Uuid::from_u128(7), &h, &bet_posting, effect, after, Utc::now()).unwrap();
        let h2 = bet.advance(&h);
        assert_eq!(h2.lifetime_wagered, 520);
        let rb = Posting::rollback(bet.id, Amount::new(520).unwrap(), IdempotencyKey::parse("r").unwrap(), None);
        let (_, refunded) = decide(&h2, &rb, Some((&bet, false))).unwrap();
        assert_eq!(refunded, Balances::of(500, 50).unwrap());
        assert_eq!(decide(&h2, &rb, Some((&bet, true))).unwrap_err(), PostingError::AlreadyRolledBack);
        assert_eq!(decide(&h2, &rb, None).unwrap_err(), PostingError::RollbackTargetNotFound);
        let wrong = Posting::rollback(bet.id, Amount::new(519).unwrap(), IdempotencyKey::parse("r").unwrap(), None);
        assert_eq!(
            decide(&h2, &wrong, Some((&bet, false))).unwrap_err(),
            PostingError::RollbackAmountMismatch { bet_amount: 520 }
        );
        let deposit = posting(EventType::Deposit, 1);
        let (e, a) = decide(&h, &deposit, None).unwrap();
        let dep = WalletEvent::from_decision(Uuid::from_u128(8), &h, &deposit, e, a, Utc::now()).unwrap();
        let rb_dep = Posting::rollback(dep.id, Amount::new(1).unwrap(), IdempotencyKey::parse("r").unwrap(), None);
        assert_eq!(decide(&h, &rb_dep, Some((&dep, false))).unwrap_err(), PostingError::RollbackTargetNotBet);
    }

    #[test]
    fn running_totals_make_any_window_one_subtraction() {
        let mut h = head(0, 0);
        let mut events = Vec::new();
        let steps = [
            (EventType::Deposit, 10_000),
            (EventType::Bet, 300),
            (EventType::Win, 900),
            (EventType::BonusCredit, 50),
            (EventType::Bet, 400),
            (EventType::Withdrawal, 100),
            (EventType::Deposit, 2_000),
            (EventType::Bet, 250),
        ];
        for (i, (t, amount)) in steps.into_iter().enumerate() {
            let p = posting(t, amount);
            let (effect, after) = decide(&h, &p, None).unwrap();
            let e = WalletEvent::from_decision(Uuid::from_u128(i as u128), &h, &p, effect, after, Utc::now()).unwrap();
            h = e.advance(&h);
            events.push(e);
        }
        // A rollback of the last bet un-wagers it and returns its stake to the net.
        let bet = events.last().unwrap().clone();
        let rb = Posting::rollback(bet.id, Amount::new(250).unwrap(), IdempotencyKey::parse("rb").unwrap(), None);
        let (effect, after) = decide(&h, &rb, Some((&bet, false))).unwrap();
        let e = WalletEvent::from_decision(Uuid::from_u128(99), &h, &rb, effect, after, Utc::now()).unwrap();
        h = e.advance(&h);
        events.push(e);
        assert_eq!((h.lifetime_deposited, h.lifetime_wagered, h.lifetime_net), (12_000, 700, 900 - 700));
        // Play after event k is the head's total less event k's.
        for k in 0..events.len() {
            let later = &events[k + 1..];
            let wagered: i64 = later
                .iter()
                .map(|e| match e.event_type {
                    EventType::Bet => e.amount.minor_units(),
                    EventType::Rollback => -e.amount.minor_units(),
                    _ => 0,
                })
                .sum();
            let net: i64 = later
                .iter()
                .filter(|e| matches!(e.event_type, EventType::Bet | EventType::Win | EventType::Rollback))
                .map(|e| e.cash_delta + e.bonus_delta)
                .sum();
            assert_eq!(
                (h.lifetime_wagered - events[k].wagered_after, h.lifetime_net - events[k].net_after),
                (wagered, net),
                "after {k}"
            );
            let deposits: Vec<i64> =
                later.iter().filter(|e| e.event_type == EventType::Deposit).map(|e| e.amount.minor_units()).collect();
            assert_eq!(
                (h.lifetime_deposits - events[k].deposits_after, h.lifetime_deposited - events[k].deposited_after),
                (deposits.len() as i64, deposits.iter().sum()),
                "deposits after {k}"
            );
        }
        assert_eq!(h.lifetime_deposits, 2);
    }

    #[test]
    fn deposits_since_an_earlier_state_are_a_difference_and_never_negative() {
        let now = DepositTotals { count: 5, sum: 700 };
        assert_eq!(now.since(DepositTotals { count: 2, sum: 100 }), Some(DepositTotals { count: 3, sum: 600 }));
        assert_eq!(now.since(DepositTotals::default()), Some(now));
        assert_eq!(now.since(now), Some(DepositTotals::default()));
        assert_eq!(now.since(DepositTotals { count: 6, sum: 100 }), None);
        assert_eq!(now.since(DepositTotals { count: 1, sum: 701 }), None);
        assert_eq!(DepositTotals { count: 0, sum: i64::MIN }.since(DepositTotals { count: 0, sum: 1 }), None);
    }

    #[test]
    fn a_running_total_past_i64_refuses_the_posting() {
        let p = posting(EventType::Deposit, 1);
        let full = WalletHead { lifetime_deposited: i64::MAX, ..head(0, 0) };
        let (effect, after) = decide(&full, &p, None).unwrap();
        let made = WalletEvent::from_decision(Uuid::nil(), &full, &p, effect, after, Utc::now());
        assert_eq!(made.unwrap_err(), PostingError::Overflow);
    }

    #[test]
    fn fingerprint_distinguishes_requests() {
        let a = posting(EventType::Deposit, 100);
        assert_eq!(a.fingerprint(), posting(EventType::Deposit, 100).fingerprint());
        assert_ne!(a.fingerprint(), posting(EventType::Deposit, 101).fingerprint());
        assert_ne!(a.fingerprint(), posting(EventType::Withdrawal, 100).fingerprint());
        let mut with_ref = a.clone();
        with_ref.reference = Some(Reference::parse("x").unwrap());
        assert_ne!(a.fingerprint(), with_ref.fingerprint());
    }

    #[test]
    fn who_posted_and_why_is_part_of_the_request_but_not_who_approved() {
        let plain = posting(EventType::Win, 100);
        let staff = AccountId::from_uuid(Uuid::from_u128(1));
        let by_staff = plain.clone().by_staff(staff, Reason::parse("goodwill").unwrap());
        assert_ne!(plain.fingerprint(), by_staff.fingerprint());
        let other_reason = plain.clone().by_staff(staff, Reason::parse("correction").unwrap());
        assert_ne!(by_staff.fingerprint(), other_reason.fingerprint());
        let mut approved = by_staff.clone();
        if let Some(a) = approved.attribution.as_mut() {
            a.approved_by = Some(AccountId::from_uuid(Uuid::from_u128(2)));
        }
        assert_eq!(by_staff.fingerprint(), approved.fingerprint());
        assert!(by_staff.is_manual_credit() && !plain.is_manual_credit());
        assert!(!posting(EventType::Withdrawal, 1).by_staff(staff, Reason::parse("x").unwrap()).is_manual_credit());
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", &"x".repeat(501)] {
            assert!(Reason::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Reason::parse("  padded  ").unwrap().as_str(), "padded");
    }

    #[test]
    fn system_keys_never_collide_with_client_keys() {
        let k = IdempotencyKey::system("round", Uuid::nil(), "bet");
        assert_eq!(k.as_str(), "round 00000000-0000-0000-0000-000000000000 bet");
        assert!(IdempotencyKey::parse(k.as_str()).is_err(), "clients cannot send it");
    }

    #[test]
    fn idempotency_key_rules() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"a".repeat(129)).is_err());
        assert!(IdempotencyKey::parse(&"a".repeat(128)).is_ok());
        assert!(IdempotencyKey::parse("dep-2026-11-24:0001").is_ok());
    }
}
