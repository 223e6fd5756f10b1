//! Adapters for the ports that are not the database: Argon2id hashing, the OS
//! random source, the attempt throttle on Redis (with an in-process stand-in), and
//! the in-process rate limiter of bets.

use crate::config::{Argon2Cost, HashingBound};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use deadpool_redis::redis::AsyncCommands;
use kernel::{AccountId, Entropy, SystemClock};
use pam_core::memory::InMemoryThrottle;
use pam_core::port::{AttemptThrottle, HashError, Limit, PasswordHasher, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Argon2id on tokio's blocking pool, never on an HTTP worker, under a bound: at most
/// `concurrency` hashes run and `queue` more wait; any further one is refused at once
/// (`HashError::Busy`), so a flood of sign-ins costs neither memory nor threads.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// A hash of a random password, verified against when the account is unknown.
    decoy: String,
    /// Running plus waiting hashes (`concurrency + queue` permits).
    admitted: Arc<Semaphore>,
    /// Running hashes (`concurrency` permits).
    running: Arc<Semaphore>,
}

impl Argon2Hasher {
    pub fn new(cost: Argon2Cost, bound: HashingBound) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let mut seed = [0u8; 16];
        getrandom::fill(&mut seed).map_err(|e| HashError::Failed(e.to_string()))?;
        let decoy = hash_with(&params, &hex::encode(seed))?;
        Ok(Self {
            params,
            decoy,
            admitted: Arc::new(Semaphore::new(bound.concurrency + bound.queue)),
            running: Arc::new(Semaphore::new(bound.concurrency)),
        })
    }

    /// Runs `f` on the blocking pool once a hashing slot is free, or refuses when the
    /// queue is full. The permits go with the work: a caller that gives up while its
    /// hash runs does not free a slot before the hash is done.
    async fn bounded<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| HashError::Busy)?;
        let running = self.running.clone().acquire_owned().await.map_err(|e| HashError::Failed(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _permits = (admitted, running);
            f()
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    argon2(params)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        let params = self.params.clone();
        self.bounded(move || hash_with(&params, &password)).await?
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        let params = self.params.clone();
        // The stored hash carries its own parameters; `params` only builds the instance.
        self.bounded(move || argon2(&params).verify_password(password.as_bytes(), hash.as_str()).is_ok()).await
    }

    async fn waste_time(&self, password: String) -> Result<(), HashError> {
        self.verify(password, self.decoy.clone()).await.map(|_| ())
    }
}

/// The OS CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn bytes32(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut b) {
            // Without an OS random source no secret can be made safely.
            panic!("the OS random source failed: {e}");
        }
        b
    }
}

/// Sign-in and registration throttling shared by every instance through Redis when
/// configured (each key expires with its window); the in-process counter, of at most
/// [`LOCAL_THROTTLE_KEYS`] keys, stands in without Redis and while Redis is unreachable.
pub struct Throttle {
    redis: Option<deadpool_redis::Pool>,
    local: InMemoryThrottle<SystemClock>,
}

const THROTTLE_PREFIX: &str = "acmetocasino:attempts:";

/// Keys the in-process throttle holds at most (about 150 bytes each).
pub const LOCAL_THROTTLE_KEYS: usize = 100_000;

impl Throttle {
    pub fn new(redis: Option<deadpool_redis::Pool>) -> Self {
        Self { redis, local: InMemoryThrottle::new(SystemClock, LOCAL_THROTTLE_KEYS) }
    }

    async fn conn(&self) -> Option<deadpool_redis::Connection> {
        let pool = self.redis.as_ref()?;
        match pool.get().await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "redis unavailable; throttling in-process");
                None
            }
        }
    }
}

fn redis_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl AttemptThrottle for Throttle {
    async fn reserve(&self, key: &str, limit: Limit) -> Result<Option<u64>, StoreError> {
        let Some(mut c) = self.conn().await else { return self.local.reserve(key, limit).await };
        let k = format!("{THROTTLE_PREFIX}{key}");
        let window = limit.window.num_seconds();
        // Count the attempt and read the window in one atomic step; the window opens
        // with the first attempt (EXPIRE … NX keeps it from sliding).
        let (count, ttl_ms): (u32, i64) = deadpool_redis::redis::pipe()
            .atomic()
            .incr(&k, 1)
            .cmd("EXPIRE")
            .arg(&k)
            .arg(window)
            .arg("NX")
            .ignore()
            .pttl(&k)
            .query_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok((count > limit.max).then(|| u64::try_from((ttl_ms.max(1) + 999) / 1000).unwrap_or(1)))
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let Some(mut c) = self.conn().await else { return self.local.reset(key).await };
        let _: () = c.del(format!("{THROTTLE_PREFIX}{key}")).await.map_err(redis_err)?;
        Ok(())
    }
}

/// A per-key rate: `burst` requests at once, then one every `interval` (GCRA, the
/// integer form of a token bucket). Each key holds one instant, its theoretical arrival
/// time; at most `capacity` keys are kept, idle ones (a full bucket) dropped first.
pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of now a key's arrival time may run: `interval × (burst − 1)`.
    tolerance: Duration,
    capacity: usize,
    arrivals: std::sync::Mutex<HashMap<AccountId, Instant>>,
}

/// Keys a [`RateLimiter`] holds at most (one per player betting within its burst).
pub const RATE_LIMITER_KEYS: usize = 100_000;

impl RateLimiter {
    pub fn new(limit: crate::config::RateLimit, capacity: usize) -> Self {
        let interval = Duration::from_secs(60) / limit.per_minute.max(1);
        Self {
            interval,
            tolerance: interval * (limit.burst.max(1) - 1),
            capacity: capacity.max(1),
            arrivals: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Admits one request of `key` now, or says in how many seconds it may retry.
    pub fn admit(&self, key: AccountId) -> Result<(), u64> {
        let now = Instant::now();
        let mut arrivals = self.arrivals.lock().unwrap_or_else(|e| e.into_inner());
        if arrivals.len() >= self.capacity && !arrivals.contains_key(&key) {
            arrivals.retain(|_, tat| *tat > now);
            if arrivals.len() >= self.capacity {
                // Every key is busy: forget the one nearest to idle (the least harm).
                if let Some(oldest) = arrivals.iter().min_by_key(|(_, tat)| **tat).map(|(k, _)| *k) {
                    arrivals.remove(&oldest);
                }
            }
        }
        let tat = arrivals.get(&key).copied().filter(|t| *t > now).unwrap_or(now);
        let ahead = tat - now;
        if ahead > self.tolerance {
            let wait = ahead - self.tolerance;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        arrivals.insert(key, tat + self.interval);
        Ok(())
    }
}

/// A Redis pool for `url`, with short timeouts so a dead Redis degrades quickly.
pub fn redis_pool(url: &str) -> Result<deadpool_redis::Pool, String> {
    let mut cfg = deadpool_redis::Config::from_url(url);
    let mut pool = deadpool_redis::PoolConfig::new(32);
    pool.timeouts.wait = Some(Duration::from_secs(2));
    pool.timeouts.create = Some(Duration::from_secs(2));
    pool.timeouts.recycle = Some(Duration::from_secs(2));
    cfg.pool = Some(pool);
    cfg.create_pool(Some(deadpool_redis::Runtime::Tokio1)).map_err(|e| e.to_string())
}

/// PINGs Redis; returns the latency.
pub async fn redis_ping(pool: &deadpool_redis::Pool) -> Result<Duration, String> {
    let start = Instant::now();
    let mut c = pool.get().await.map_err(|e| e.to_string())?;
    let pong: String = deadpool_redis::redis::cmd("PING").query_async(&mut c).await.map_err(|e| e.to_string())?;
    if pong == "PONG" { Ok(start.elapsed()) } else { Err(format!("unexpected PING reply {pong:?}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limiter_admits_a_burst_then_asks_to_wait_and_stays_bounded() {
        let limiter = RateLimiter::new(crate::config::RateLimit { per_minute: 1, burst: 3 }, 2);
        let [a, b, c] = [1, 2, 3].map(|n| AccountId::from_uuid(uuid::Uuid::from_u128(n)));
        for _ in 0..3 {
            assert_eq!(limiter.admit(a), Ok(()));
        }
        let wait = limiter.admit(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(limiter.admit(b), Ok(()), "another key has its own bucket");
        // Full (two keys): a third key makes room by forgetting the one nearest to idle.
        assert_eq!(limiter.admit(c), Ok(()));
        assert!(limiter.arrivals.lock().unwrap().len() <= 2);
    }
}
