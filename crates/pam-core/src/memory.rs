//! In-memory implementations of the PAM ports: the accounts store for domain tests,
//! and the attempt throttle that also serves as the application's stand-in when no
//! Redis is configured.

use crate::model::{Account, NewAccount, Player, PlayerFilter, PlayerOrder, PlayerPage, RefreshTokenRecord, Role};
use crate::port::{
    AccountRepository, AttemptThrottle, CreateAccountError, Credentials, Limit, RefreshTokenRepository, StoreError,
    UniqueField,
};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Clock};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Accounts {
    rows: Vec<NewAccount>,
    tokens: HashMap<String, RefreshTokenRecord>,
}

/// Accounts and refresh tokens in memory; clones share state.
#[derive(Clone, Default)]
pub struct InMemoryAccounts(Arc<Mutex<Accounts>>);

impl InMemoryAccounts {
    /// Sets a player's lifetime wagered (what a wallet would feed in production).
    pub fn set_lifetime_wagered(&self, id: AccountId, minor_units: i64) {
        let mut s = lock(&self.0);
        if let Some(p) = s.rows.iter_mut().find(|r| r.account.id == id).and_then(|r| r.profile.as_mut()) {
            p.lifetime_wagered = minor_units;
        }
    }
}

fn to_player(row: &NewAccount) -> Option<Player> {
    Some(Player { account: row.account.clone(), profile: row.profile.clone()? })
}

impl AccountRepository for InMemoryAccounts {
    async fn create(&self, new: NewAccount) -> Result<(), CreateAccountError> {
        let mut s = lock(&self.0);
        if s.rows.iter().any(|r| r.account.username == new.account.username) {
            return Err(CreateAccountError::Duplicate(UniqueField::Username));
        }
        if s.rows.iter().any(|r| r.account.email == new.account.email) {
            return Err(CreateAccountError::Duplicate(UniqueField::Email));
        }
        s.rows.push(new);
        Ok(())
    }

    async fn credentials(&self, login: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(lock(&self.0)
            .rows
            .iter()
            .find(|r| r.account.username.as_str() == login || r.account.email.as_str() == login)
            .map(|r| Credentials { account: r.account.clone(), password_hash: r.password_hash.clone() }))
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(lock(&self.0).rows.iter().find(|r| r.account.id == id).map(|r| r.account.clone()))
    }

    async fn player(&self, id: AccountId) -> Result<Option<Player>, StoreError> {
        Ok(lock(&self.0).rows.iter().find(|r| r.account.id == id).and_then(to_player))
    }

    async fn players(&self, f: &PlayerFilter) -> Result<PlayerPage, StoreError> {
        let s = lock(&self.0);
        let q = f.q.as_ref().map(|q| q.to_lowercase());
        let mut matches: Vec<Player> = s
            .rows
            .iter()
            .filter(|r| r.account.role == Role::Player)
            .filter_map(to_player)
            .filter(|p| f.status.is_none_or(|st| p.account.status == st))
            .filter(|p| f.kyc_status.is_none_or(|k| p.profile.kyc_status == k))
            .filter(|p| f.vip_tier.is_none_or(|t| p.vip_tier() == t))
            .filter(|p| f.country.is_none_or(|c| p.profile.country == c))
            .filter(|p| {
                q.as_ref()
                    .is_none_or(|q| p.account.username.as_str().contains(q) || p.account.email.as_str().contains(q))
            })
            .collect();
        match f.order {
            PlayerOrder::NewestFirst => {
                matches.sort_by_key(|p| std::cmp::Reverse((p.account.created_at, p.account.id)))
            }
            PlayerOrder::OldestFirst => matches.sort_by_key(|p| (p.account.created_at, p.account.id)),
            PlayerOrder::UsernameAsc => {
                matches.sort_by(|a, b| a.account.username.as_str().cmp(b.account.username.as_str()))
            }
            PlayerOrder::UsernameDesc => {
                matches.sort_by(|a, b| b.account.username.as_str().cmp(a.account.username.as_str()));
            }
        }
        let total = matches.len() as i64;
        let items = matches
            .into_iter()
            .skip(usize::try_from(f.offset).unwrap_or(0))
            .take(usize::try_from(f.limit).unwrap_or(0))
            .collect();
        Ok(PlayerPage { items, total })
    }
}

impl RefreshTokenRepository for InMemoryAccounts {
    async fn insert_refresh_token(&self, record: RefreshTokenRecord) -> Result<(), StoreError> {
        lock(&self.0).tokens.insert(record.token_hash.clone(), record);
        Ok(())
    }

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRecord>, StoreError> {
        Ok(lock(&self.0).tokens.get(token_hash).cloned())
    }

    async fn mark_refresh_token_used(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut s = lock(&self.0);
        let Some(t) = s.tokens.values_mut().find(|t| t.id == id) else {
            return Ok(false);
        };
        if t.used_at.is_some() {
            return Ok(false);
        }
        t.used_at = Some(at);
        Ok(true)
    }

    async fn revoke_refresh_family(&self, family_id: Uuid, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut s = lock(&self.0);
        let mut n = 0;
        for t in s.tokens.values_mut().filter(|t| t.family_id == family_id && t.revoked_at.is_none()) {
            t.revoked_at = Some(at);
            n += 1;
        }
        Ok(n)
    }
}

/// A single-process attempt throttle: fixed windows opened by each key's first attempt,
/// in a map of at most `capacity` keys. When it is full, expired windows go first, then
/// the oldest eighth of the rest, so a flood of distinct keys costs bounded memory (at
/// the price of forgetting the oldest counts first).
pub struct InMemoryThrottle<C> {
    clock: C,
    capacity: usize,
    attempts: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    started: DateTime<Utc>,
    ends: DateTime<Utc>,
}

impl<C: Clock> InMemoryThrottle<C> {
    pub fn new(clock: C, capacity: usize) -> Self {
        Self { clock, capacity: capacity.max(1), attempts: Mutex::new(HashMap::new()) }
    }

    /// Keys currently counted.
    pub fn len(&self) -> usize {
        lock(&self.attempts).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn make_room(map: &mut HashMap<String, Window>, capacity: usize, now: DateTime<Utc>) {
    map.retain(|_, w| w.ends > now);
    if map.len() < capacity {
        return;
    }
    let mut starts: Vec<DateTime<Utc>> = map.values().map(|w| w.started).collect();
    let evict = (capacity / 8).max(1).min(starts.len() - 1);
    let (_, cutoff, _) = starts.select_nth_unstable(evict);
    let cutoff = *cutoff;
    map.retain(|_, w| w.started > cutoff);
}

impl<C: Clock> AttemptThrottle for InMemoryThrottle<C> {
    async fn reserve(&self, key: &str, limit: Limit) -> Result<Option<u64>, StoreError> {
        let now = self.clock.now();
        let mut map = lock(&self.attempts);
        if map.get(key).is_none_or(|w| w.ends <= now) {
            map.remove(key);
            if map.len() >= self.capacity {
                make_room(&mut map, self.capacity, now);
            }
            map.insert(key.to_owned(), Window { count: 0, started: now, ends: now + limit.window });
        }
        let Some(w) = map.get_mut(key) else { return Ok(None) };
        w.count = w.count.saturating_add(1);
        if w.count <= limit.max {
            return Ok(None);
        }
        let left = (w.ends - now).num_milliseconds();
        Ok(Some(u64::try_from((left + 999) / 1000).unwrap_or(1).max(1)))
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.attempts).remove(key);
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
mod fake_hasher {
    use crate::port::{HashError, PasswordHasher};

    /// A fast, insecure hasher for domain tests only.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct PlainHasher;

    impl PasswordHasher for PlainHasher {
        async fn hash(&self, password: String) -> Result<String, HashError> {
            Ok(format!("plain${}", crate::service::hash_refresh_token(&password)))
        }
        async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
            Ok(self.hash(password).await? == hash)
        }
        async fn waste_time(&self, _password: String) -> Result<(), HashError> {
            Ok(())
        }
    }
}

#[cfg(any(test, feature = "testkit"))]
pub use fake_hasher::PlainHasher;

#[cfg(test)]
mod throttle_tests {
    use super::*;
    use kernel::testkit::ManualClock;

    const LIMIT: Limit = Limit { max: 2, window: chrono::Duration::minutes(15) };

    #[tokio::test]
    async fn the_throttle_map_stays_within_its_capacity_under_a_flood_of_keys() {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let t = InMemoryThrottle::new(clock.clone(), 100);
        for i in 0..10_000 {
            t.reserve(&format!("client:{i}"), LIMIT).await.unwrap();
            assert!(t.len() <= 100, "{} keys after {i}", t.len());
            clock.advance(chrono::Duration::milliseconds(1));
        }
        // The newest keys are still counted: a key at its limit stays locked.
        t.reserve("client:9999", LIMIT).await.unwrap();
        assert!(t.reserve("client:9999", LIMIT).await.unwrap().is_some());
        // Windows end: the key may try again.
        clock.advance(LIMIT.window);
        assert_eq!(t.reserve("client:9999", LIMIT).await.unwrap(), None);
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_accounts_pass_the_contract() {
        crate::contract::run_all(&super::InMemoryAccounts::default()).await;
    }
}
