//! An in-memory [`RoundRepository`], for domain tests and as the reference behaviour the
//! contract suite pins down.

use crate::port::{RoundRepository, StoreError};
use crate::{ClientSeed, NewSeedPair, Rotation, Round, SeedPairView, ServerSeed, Session};
use chrono::{DateTime, Utc};
use kernel::AccountId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// A seed pair as kept.
#[derive(Clone)]
struct Pair {
    server_seed: ServerSeed,
    next_server_seed: ServerSeed,
    client_seed: ClientSeed,
    nonce: u64,
    revealed: bool,
}

impl Pair {
    fn new(fresh: &NewSeedPair) -> Self {
        Pair {
            server_seed: fresh.server_seed.clone(),
            next_server_seed: fresh.next_server_seed.clone(),
            client_seed: fresh.client_seed.clone(),
            nonce: 0,
            revealed: false,
        }
    }

    fn view(&self) -> SeedPairView {
        SeedPairView {
            server_seed_hash: self.server_seed.hash(),
            next_server_seed_hash: Some(self.next_server_seed.hash()),
            client_seed: self.client_seed.as_str().to_owned(),
            nonce: self.nonce,
            revealed_server_seed: self.revealed.then(|| self.server_seed.to_hex()),
        }
    }
}

#[derive(Default)]
struct State {
    /// Each player's active pair (revealed ones are not read again).
    pairs: HashMap<AccountId, Pair>,
    rounds: HashMap<Uuid, Round>,
    sessions: HashMap<Uuid, Session>,
}

impl State {
    fn active(&mut self, player: AccountId, fresh: &NewSeedPair) -> &mut Pair {
        self.pairs.entry(player).or_insert_with(|| Pair::new(fresh))
    }
}

/// Seed pairs, rounds and sessions in a mutex-guarded map; cheap to clone (shared state).
#[derive(Clone, Default)]
pub struct InMemoryRounds(Arc<Mutex<State>>);

impl InMemoryRounds {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RoundRepository for InMemoryRounds {
    async fn seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        _at: DateTime<Utc>,
    ) -> Result<SeedPairView, StoreError> {
        Ok(self.lock().active(player, &fresh).view())
    }

    async fn rotate_seed_pair(
        &self,
        player: AccountId,
        fresh: NewSeedPair,
        rotation: Rotation,
        _at: DateTime<Utc>,
    ) -> Result<(SeedPairView, SeedPairView), StoreError> {
        let mut state = self.lock();
        let old = state.active(player, &fresh).clone();
        let new = Pair {
            server_seed: old.next_server_seed.clone(),
            next_server_seed: rotation.next_server_seed,
            client_seed: rotation.client_seed.unwrap_or_else(|| old.client_seed.clone()),
            nonce: 0,
            revealed: false,
        };
        let view = new.view();
        state.pairs.insert(player, new);
        Ok((Pair { revealed: true, ..old }.view(), view))
    }

    async fn round(&self, id: Uuid) -> Result<Option<Round>, StoreError> {
        Ok(self.lock().rounds.get(&id).cloned())
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        Ok(self.lock().sessions.get(&id).cloned())
    }

    async fn end_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let mut state = self.lock();
        let Some(session) = state.sessions.get_mut(&id) else { return Ok(None) };
        if session.open {
            session.open = false;
            session.ended_at = Some(at);
        }
        Ok(Some(session.clone()))
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::InMemoryRounds;
    use crate::contract::{self, Fixture};
    use kernel::AccountId;

    struct Memory;
    impl Fixture for Memory {
        type Repo = InMemoryRounds;
        async fn new_player(&self) -> AccountId {
            AccountId::from_uuid(uuid::Uuid::new_v4())
        }
    }

    #[tokio::test]
    async fn the_in_memory_rounds_pass_the_contract() {
        contract::run_all(&Memory, InMemoryRounds::default()).await;
    }
}
