//! The contract every [`WalletRepository`] adapter must pass. The in-memory wallets
//! run it in this crate; the application runs it on SQLite and PostgreSQL.
//!
//! Each case works on fresh players, so one store can serve all cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{
    Balances, EventType, HistoryQuery, IdempotencyKey, PostError, Posting, PostingError, Reference, WalletRepository,
    fold, verify,
};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Amount, Currency};
use std::future::Future;
use uuid::Uuid;

/// Supplies players that the store under test knows about. Their wallet may not be
/// open yet, or may have been opened, empty, in `currency` (as registration does).
pub trait Fixture: Send + Sync {
    type Repo: WalletRepository + Clone + 'static;
    fn new_player(&self, currency: Currency) -> impl Future<Output = AccountId> + Send;
}

fn now() -> DateTime<Utc> {
    kernel::clock::truncate_to_micros(Utc::now())
}

fn posting(t: EventType, amount: i64, key: &str) -> Posting {
    Posting::new(t, Amount::new(amount).unwrap(), IdempotencyKey::parse(key).unwrap(), None)
}

async fn post<R: WalletRepository>(repo: &R, p: AccountId, posting: Posting) -> Result<crate::PostOutcome, PostError> {
    repo.post(p, posting, Uuid::new_v4(), now()).await
}

async fn funded<F: Fixture>(fx: &F, repo: &F::Repo, cash: i64) -> AccountId {
    let p = fx.new_player(Currency::EUR).await;
    repo.open(p, Currency::EUR, now()).await.unwrap();
    if cash > 0 {
        post(repo, p, posting(EventType::Deposit, cash, "funding")).await.unwrap();
    }
    p
}

/// Runs every case of the contract.
pub async fn run_all<F: Fixture>(fx: &F, repo: F::Repo) {
    unknown_wallets(fx, &repo).await;
    stream_is_gapless_and_folds(fx, &repo).await;
    refusals_write_nothing(fx, &repo).await;
    idempotency(fx, &repo).await;
    rollback_exactly_once(fx, &repo).await;
    concurrent_withdrawals_never_overdraw(fx, &repo).await;
    concurrent_same_key_makes_one_event(fx, &repo).await;
    recent_is_newest_first(fx, &repo).await;
}

pub async fn unknown_wallets<F: Fixture>(fx: &F, repo: &F::Repo) {
    let stranger = AccountId::from_uuid(Uuid::new_v4());
    assert_eq!(repo.head(stranger).await.unwrap(), None);
    let err = post(repo, stranger, posting(EventType::Deposit, 1, "a")).await.unwrap_err();
    assert!(matches!(err, PostError::WalletNotFound), "{err:?}");
    assert!(repo.stream(stranger).await.unwrap().is_empty());
    let p = fx.new_player(Currency::parse("SEK").unwrap()).await;
    repo.open(p, Currency::parse("SEK").unwrap(), now()).await.unwrap();
    repo.open(p, Currency::parse("SEK").unwrap(), now()).await.unwrap();
    let head = repo.head(p).await.unwrap().unwrap();
    assert_eq!((head.seq, head.balances, head.currency.as_str()), (0, Balances::default(), "SEK"));
    assert!(repo.stream(p).await.unwrap().is_empty());
}

pub async fn stream_is_gapless_and_folds<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 0).await;
    let steps = [
        (EventType::Deposit, 10_000),
        (EventType::BonusCredit, 2_000),
        (EventType::Bet, 10_500),
        (EventType::Win, 700),
        (EventType::Withdrawal, 200),
        (EventType::BonusDebit, 1_000),
    ];
    for (i, (t, amount)) in steps.iter().enumerate() {
        let mut ps = posting(*t, *amount, &format!("step-{i}"));
        ps.reference = Some(Reference::parse(&format!("ref {i}")).unwrap());
        let out = post(repo, p, ps).await.unwrap();
        assert!(!out.replayed);
        assert_eq!(out.event.seq, i as i64 + 1);
        assert_eq!(out.event.reference.as_deref(), Some(format!("ref {i}").as_str()));
    }
    let head = repo.head(p).await.unwrap().unwrap();
    assert_eq!(head.balances, Balances::of(500, 500).unwrap());
    assert_eq!(head.seq, 6);
    assert_eq!(head.lifetime_wagered, 10_500);
    let stream = repo.stream(p).await.unwrap();
    assert_eq!(stream.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(fold(&stream).unwrap(), head.balances);
    assert!(verify(&stream, head.balances, head.seq).consistent);
    // The bet took all the cash first (10,000), then 500 of the bonus.
    assert_eq!((stream[2].cash_delta, stream[2].bonus_delta), (-10_000, -500));

    let all = repo.history(p, HistoryQuery { limit: 100, before_seq: None, event_type: None }).await.unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 5, 4, 3, 2, 1]);
    let page = repo.history(p, HistoryQuery { limit: 2, before_seq: Some(5), event_type: None }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 3]);
    let bets =
        repo.history(p, HistoryQuery { limit: 100, before_seq: None, event_type: Some(EventType::Bet) }).await.unwrap();
    assert_eq!(bets.len(), 1);
    assert_eq!(bets[0], stream[2]);
}

pub async fn refusals_write_nothing<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 1_000).await;
    repo.post(p, posting(EventType::BonusCredit, 100, "bonus"), Uuid::new_v4(), now()).await.unwrap();
    let before = repo.head(p).await.unwrap().unwrap();
    for (t, amount) in [(EventType::Withdrawal, 1_001), (EventType::Bet, 1_101), (EventType::BonusDebit, 101)] {
        let err = post(repo, p, posting(t, amount, &format!("too-much-{t}"))).await.unwrap_err();
        assert!(matches!(err, PostError::Rejected(PostingError::InsufficientFunds { .. })), "{err:?}");
    }
    assert_eq!(repo.head(p).await.unwrap().unwrap(), before);
    assert_eq!(repo.stream(p).await.unwrap().len(), 2);
    // A refused key was not consumed: the same key may carry a valid request later.
    post(repo, p, posting(EventType::Withdrawal, 1_000, "too-much-WITHDRAWAL")).await.unwrap();
}

pub async fn idempotency<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 0).await;
    let first = post(repo, p, posting(EventType::Deposit, 500, "dep-1")).await.unwrap();
    let again = post(repo, p, posting(EventType::Deposit, 500, "dep-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.event, first.event);
    let err = post(repo, p, posting(EventType::Deposit, 501, "dep-1")).await.unwrap_err();
    assert!(matches!(err, PostError::IdempotencyConflict), "{err:?}");
    let err = post(repo, p, posting(EventType::Withdrawal, 500, "dep-1")).await.unwrap_err();
    assert!(matches!(err, PostError::IdempotencyConflict), "{err:?}");
    assert_eq!(repo.stream(p).await.unwrap().len(), 1);
    // Keys are scoped to one wallet.
    let q = funded(fx, repo, 0).await;
    let other = post(repo, q, posting(EventType::Deposit, 500, "dep-1")).await.unwrap();
    assert!(!other.replayed);
    assert_ne!(other.event.id, first.event.id);
}

pub async fn rollback_exactly_once<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 300).await;
    post(repo, p, posting(EventType::BonusCredit, 200, "bonus")).await.unwrap();
    let bet = post(repo, p, posting(EventType::Bet, 400, "bet")).await.unwrap().event;
    assert_eq!((bet.cash_delta, bet.bonus_delta), (-300, -100));
    let rb = |key: &str, amount: i64, target: Uuid| {
        Posting::rollback(target, Amount::new(amount).unwrap(), IdempotencyKey::parse(key).unwrap(), None)
    };
    let err = post(repo, p, rb("rb-wrong", 399, bet.id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::RollbackAmountMismatch { bet_amount: 400 })), "{err:?}");
    let err = post(repo, p, rb("rb-missing", 400, Uuid::new_v4())).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::RollbackTargetNotFound)), "{err:?}");
    let stream = repo.stream(p).await.unwrap();
    let err = post(repo, p, rb("rb-dep", 300, stream[0].id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::RollbackTargetNotBet)), "{err:?}");
    // Another wallet's bet is not found from this wallet.
    let q = funded(fx, repo, 0).await;
    let err = post(repo, q, rb("rb-foreign", 400, bet.id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::RollbackTargetNotFound)), "{err:?}");

    let done = post(repo, p, rb("rb-1", 400, bet.id)).await.unwrap().event;
    assert_eq!((done.cash_delta, done.bonus_delta), (300, 100));
    assert_eq!(done.compensates, Some(bet.id));
    let head = repo.head(p).await.unwrap().unwrap();
    assert_eq!((head.balances, head.lifetime_wagered), (Balances::of(300, 200).unwrap(), 0));
    let err = post(repo, p, rb("rb-2", 400, bet.id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::AlreadyRolledBack)), "{err:?}");
    assert!(post(repo, p, rb("rb-1", 400, bet.id)).await.unwrap().replayed);
    assert!(verify(&repo.stream(p).await.unwrap(), head.balances, head.seq).consistent);

    // A WIN is reversed from cash, once; not beyond the cash there is.
    let win = post(repo, p, posting(EventType::Win, 250, "win")).await.unwrap().event;
    let reversed = post(repo, p, rb("rb-win", 250, win.id)).await.unwrap().event;
    assert_eq!((reversed.cash_delta, reversed.bonus_delta), (-250, 0));
    let err = post(repo, p, rb("rb-win-2", 250, win.id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::AlreadyRolledBack)), "{err:?}");
    let big = post(repo, p, posting(EventType::Win, 1_000, "big-win")).await.unwrap().event;
    post(repo, p, posting(EventType::Withdrawal, 1_300, "cash-out")).await.unwrap();
    let err = post(repo, p, rb("rb-big", 1_000, big.id)).await.unwrap_err();
    assert!(matches!(err, PostError::Rejected(PostingError::InsufficientFunds { .. })), "{err:?}");
    let head = repo.head(p).await.unwrap().unwrap();
    assert_eq!((head.balances, head.lifetime_wagered), (Balances::of(0, 200).unwrap(), 0));
    assert!(verify(&repo.stream(p).await.unwrap(), head.balances, head.seq).consistent);
}

pub async fn concurrent_withdrawals_never_overdraw<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 3_000).await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let repo = repo.clone();
            let t = if i % 2 == 0 { EventType::Withdrawal } else { EventType::Bet };
            tokio::spawn(async move { post(&repo, p, posting(t, 100, &format!("w-{i}"))).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(PostError::Rejected(PostingError::InsufficientFunds { .. })) => {}
            Err(e) => panic!("unexpected error under concurrency: {e:?}"),
        }
    }
    assert_eq!(ok, 30);
    let head = repo.head(p).await.unwrap().unwrap();
    assert_eq!((head.balances.cash.minor_units(), head.seq), (0, 31));
    let stream = repo.stream(p).await.unwrap();
    assert_eq!(fold(&stream).unwrap(), head.balances);
    let (snap_head, snap_stream) = repo.snapshot(p).await.unwrap().unwrap();
    assert_eq!((snap_head, snap_stream), (head, stream));
    assert!(repo.snapshot(AccountId::from_uuid(Uuid::new_v4())).await.unwrap().is_none());
}

pub async fn concurrent_same_key_makes_one_event<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 0).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { post(&repo, p, posting(EventType::Deposit, 777, "same-key")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().event.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer is the one event");
    let stream = repo.stream(p).await.unwrap();
    assert_eq!(stream.len(), 1);
    assert_eq!(repo.head(p).await.unwrap().unwrap().balances.cash.minor_units(), 777);
}

pub async fn recent_is_newest_first<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = funded(fx, repo, 0).await;
    let q = funded(fx, repo, 0).await;
    let a = post(repo, p, posting(EventType::Deposit, 1, "r1")).await.unwrap().event;
    let b = post(repo, q, posting(EventType::Deposit, 2, "r2")).await.unwrap().event;
    let recent = repo.recent(2).await.unwrap();
    assert_eq!(recent.iter().map(|e| e.id).collect::<Vec<_>>(), vec![b.id, a.id]);
}
