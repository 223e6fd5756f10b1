//! Adapters for the ports that are not the database: Argon2id hashing, the OS
//! random source, and the login throttle on Redis (with an in-process stand-in).

use crate::config::Argon2Cost;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use deadpool_redis::redis::AsyncCommands;
use kernel::{Entropy, SystemClock};
use pam_core::memory::{InMemoryThrottle, ThrottlePolicy};
use pam_core::port::{HashError, LoginThrottle, PasswordHasher, StoreError};
use std::time::{Duration, Instant};

/// Argon2id on tokio's blocking pool, never on an HTTP worker.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// A hash of a random password, verified against when the account is unknown.
    decoy: String,
}

impl Argon2Hasher {
    pub fn new(cost: Argon2Cost) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashError(e.to_string()))?;
        let mut seed = [0u8; 16];
        getrandom::fill(&mut seed).map_err(|e| HashError(e.to_string()))?;
        let decoy = hash_with(&params, &hex::encode(seed))?;
        Ok(Self { params, decoy })
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    argon2(params).hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| HashError(e.to_string()))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| HashError(e.to_string()))
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        let params = self.params.clone();
        blocking(move || hash_with(&params, &password)).await?
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        let params = self.params.clone();
        // The stored hash carries its own parameters; `params` only builds the instance.
        blocking(move || argon2(&params).verify_password(password.as_bytes(), hash.as_str()).is_ok()).await
    }

    async fn waste_time(&self, password: String) {
        let _ = self.verify(password, self.decoy.clone()).await;
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

/// Login throttling shared by every instance through Redis when configured; the
/// in-process counter stands in without Redis and while Redis is unreachable.
pub struct Throttle {
    redis: Option<deadpool_redis::Pool>,
    local: InMemoryThrottle<SystemClock>,
    policy: ThrottlePolicy,
}

const THROTTLE_PREFIX: &str = "acmetocasino:login-failures:";

impl Throttle {
    pub fn new(redis: Option<deadpool_redis::Pool>, policy: ThrottlePolicy) -> Self {
        Self { redis, local: InMemoryThrottle::new(policy, SystemClock), policy }
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
    StoreError::unreachable(format!("redis: {e}"))
}

impl LoginThrottle for Throttle {
    async fn reserve(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let Some(mut c) = self.conn().await else { return self.local.reserve(key).await };
        let k = format!("{THROTTLE_PREFIX}{key}");
        let window = self.policy.window.num_seconds();
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
        Ok((count > self.policy.max_failures).then(|| u64::try_from((ttl_ms.max(1) + 999) / 1000).unwrap_or(1)))
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let Some(mut c) = self.conn().await else { return self.local.reset(key).await };
        let _: () = c.del(format!("{THROTTLE_PREFIX}{key}")).await.map_err(redis_err)?;
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
