//! An in-memory [`RgRepository`], for domain tests and as the reference behaviour the
//! contract suite pins down.

use crate::port::{RgRepository, RgSettings, StoreError};
use kernel::AccountId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Settings kept in a mutex-guarded map; cheap to clone (shared state).
#[derive(Debug, Clone, Default)]
pub struct InMemoryRg(Arc<Mutex<HashMap<AccountId, RgSettings>>>);

impl InMemoryRg {
    fn lock(&self) -> MutexGuard<'_, HashMap<AccountId, RgSettings>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RgRepository for InMemoryRg {
    async fn load(&self, player_id: AccountId) -> Result<RgSettings, StoreError> {
        Ok(self.lock().get(&player_id).copied().unwrap_or_default())
    }

    async fn save(&self, player_id: AccountId, settings: RgSettings) -> Result<(), StoreError> {
        self.lock().insert(player_id, settings);
        Ok(())
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::InMemoryRg;
    use crate::contract::{self, Fixture};
    use kernel::AccountId;

    struct Memory;
    impl Fixture for Memory {
        type Repo = InMemoryRg;
        async fn new_player(&self) -> AccountId {
            AccountId::from_uuid(uuid::Uuid::new_v4())
        }
    }

    #[tokio::test]
    async fn in_memory_settings_pass_the_contract() {
        contract::run_all(&Memory, InMemoryRg::default()).await;
    }
}
