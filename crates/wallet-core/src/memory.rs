//! An in-memory [`WalletRepository`], for domain tests and as the reference
//! behaviour the contract suite pins down.

use crate::event::{HistoryQuery, Posting, WalletEvent, WalletHead, decide};
use crate::port::{PostError, PostOutcome, StoreError, WalletRepository};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Currency};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

#[derive(Default)]
struct State {
    wallets: HashMap<AccountId, (WalletHead, Vec<WalletEvent>)>,
    /// Every event in commit order, for `recent`.
    log: Vec<(AccountId, usize)>,
}

/// Wallets kept in a mutex-guarded map; cheap to clone (shared state).
#[derive(Clone, Default)]
pub struct InMemoryWallets(Arc<Mutex<State>>);

impl InMemoryWallets {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl WalletRepository for InMemoryWallets {
    async fn open(&self, player_id: AccountId, currency: Currency, _at: DateTime<Utc>) -> Result<(), StoreError> {
        let head = WalletHead::empty(player_id, currency);
        self.lock().wallets.entry(player_id).or_insert((head, Vec::new()));
        Ok(())
    }

    async fn post(
        &self,
        player_id: AccountId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<PostOutcome, PostError> {
        let mut state = self.lock();
        let (head, events) = state.wallets.get_mut(&player_id).ok_or(PostError::WalletNotFound)?;
        if let Some(e) = events.iter().find(|e| e.idempotency_key == posting.idempotency_key.as_str()) {
            return if e.request_fingerprint == posting.fingerprint() {
                Ok(PostOutcome { event: e.clone(), replayed: true })
            } else {
                Err(PostError::IdempotencyConflict)
            };
        }
        let target = posting.compensates.and_then(|id| {
            let bet = events.iter().find(|e| e.id == id)?;
            Some((bet, events.iter().any(|e| e.compensates == Some(id))))
        });
        let (effect, after) = decide(head, &posting, target)?;
        let event = WalletEvent::from_decision(event_id, head, &posting, effect, after, at)?;
        *head = event.advance(head);
        events.push(event.clone());
        let index = events.len() - 1;
        state.log.push((player_id, index));
        Ok(PostOutcome { event, replayed: false })
    }

    async fn head(&self, player_id: AccountId) -> Result<Option<WalletHead>, StoreError> {
        Ok(self.lock().wallets.get(&player_id).map(|(h, _)| *h))
    }

    async fn history(&self, player_id: AccountId, q: HistoryQuery) -> Result<Vec<WalletEvent>, StoreError> {
        let state = self.lock();
        let Some((_, events)) = state.wallets.get(&player_id) else {
            return Ok(Vec::new());
        };
        Ok(events
            .iter()
            .rev()
            .filter(|e| q.before_seq.is_none_or(|b| e.seq < b))
            .filter(|e| q.event_type.is_none_or(|t| e.event_type == t))
            .take(usize::try_from(q.limit).unwrap_or(0))
            .cloned()
            .collect())
    }

    async fn snapshot(&self, player_id: AccountId) -> Result<Option<(WalletHead, Vec<WalletEvent>)>, StoreError> {
        Ok(self.lock().wallets.get(&player_id).cloned())
    }

    async fn stream(&self, player_id: AccountId) -> Result<Vec<WalletEvent>, StoreError> {
        Ok(self.lock().wallets.get(&player_id).map(|(_, e)| e.clone()).unwrap_or_default())
    }

    async fn recent(&self, limit: i64) -> Result<Vec<WalletEvent>, StoreError> {
        let state = self.lock();
        Ok(state
            .log
            .iter()
            .rev()
            .take(usize::try_from(limit).unwrap_or(0))
            .filter_map(|(p, i)| state.wallets.get(p).and_then(|(_, e)| e.get(*i)).cloned())
            .collect())
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::InMemoryWallets;
    use crate::contract::{self, Fixture};
    use kernel::AccountId;

    struct Memory;
    impl Fixture for Memory {
        type Repo = InMemoryWallets;
        async fn new_player(&self, _currency: kernel::Currency) -> AccountId {
            AccountId::from_uuid(uuid::Uuid::new_v4())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_wallets_pass_the_contract() {
        contract::run_all(&Memory, InMemoryWallets::default()).await;
    }
}
