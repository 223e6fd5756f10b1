//! Adapters for the ports that are not the database: Argon2id hashing, the OS
//! random source, the attempt throttle on Redis (with an in-process stand-in), and
//! the in-process rate limiter of bets.

use crate::config::{Argon2Cost, HashingBound};
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use deadpool_redis::redis::AsyncCommands;
use kernel::{AccountId, Entropy, SystemClock};
use pam_core::memory::InMemoryThrottle;
use pam_core::port::{AttemptThrottle, HashError, Limit, PasswordHasher, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Argon2id on `concurrency` threads of its own, never on an HTTP worker, with at most
/// `queue` hashes waiting for them; any further one is refused at once
/// (`HashError::Busy`), so a flood of sign-ins costs neither memory nor threads. Each
/// thread keeps one Argon2 memory (19 MiB at the default cost) for all its hashes:
/// allocated per hash, freed blocks stayed resident in glibc's per-thread arenas and the
/// peak grew with the number of threads that had ever hashed (docs/benchmarks.md).
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// A hash of a random password, verified against when the account is unknown.
    decoy: String,
    jobs: SyncSender<HashJob>,
    /// One per hash running or waiting (`concurrency + queue`): the bound itself. The
    /// channel could not be: a thread is ready for its next job only a moment after it
    /// answered the last one (or started), so a hash sent in that moment was refused.
    slots: Arc<tokio::sync::Semaphore>,
}

/// Work for a hashing thread, given that thread's Argon2 memory.
type HashJob = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

impl Argon2Hasher {
    pub fn new(cost: Argon2Cost, bound: HashingBound) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let mut seed = [0u8; 16];
        getrandom::fill(&mut seed).map_err(|e| HashError::Failed(e.to_string()))?;
        let decoy = hash_with(&params, &hex::encode(seed), &mut Vec::new())?;
        let slots = bound.concurrency + bound.queue;
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(slots);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..bound.concurrency {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    // Ends when the hasher (every sender) is dropped.
                    while let Ok(job) = { queue.lock().unwrap_or_else(|e| e.into_inner()).recv() } {
                        // A job's panic drops its answer (the caller sees a failure);
                        // the thread lives on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
                    }
                })
                .map_err(|e| HashError::Failed(format!("starting a hashing thread: {e}")))?;
        }
        Ok(Self { params, decoy, jobs, slots: Arc::new(tokio::sync::Semaphore::new(slots)) })
    }

    /// Runs `f` on a hashing thread, or refuses at once when every thread is busy and
    /// the queue is full. A caller that gives up does not free its slot before the
    /// hash is done: the thread finishes it.
    async fn bounded<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| HashError::Busy)?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = move |memory: &mut Vec<Block>| {
            let result = f(memory);
            // Free before the answer: whoever it wakes may hash again at once.
            drop(slot);
            drop(answer.send(result));
        };
        // A slot is held for every job in the channel, so it always has room.
        self.jobs.try_send(Box::new(job)).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => HashError::Failed("the hashing threads have stopped".into()),
        })?;
        answered.await.map_err(|_| HashError::Failed("a hashing job failed".into()))
    }
}

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(e.to_string())
}

/// The Argon2 output of `password` and `salt` under `params`, computed in `memory`
/// (grown to the blocks `params` needs, and kept for the next call).
fn output(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &str,
    salt: &[u8],
    memory: &mut Vec<Block>,
) -> Result<Output, HashError> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = buffer
        .get_mut(..params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN))
        .ok_or_else(|| failed("output length"))?;
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
        .map_err(failed)?;
    Output::new(out).map_err(failed)
}

/// A PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh random salt.
fn hash_with(params: &Params, password: &str, memory: &mut Vec<Block>) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(failed)?;
    let hash = output(Algorithm::Argon2id, Version::V0x13, params, password, &salt, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, under the parameters it carries.
fn verify_with(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Result<bool, HashError> {
        let phc = PasswordHash::new(stored).map_err(failed)?;
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else { return Ok(false) };
        let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(failed)?;
        let version = phc.version.map(Version::try_from).transpose().map_err(failed)?.unwrap_or_default();
        let params = Params::try_from(&phc).map_err(failed)?;
        // `Output`'s equality is constant-time.
        Ok(output(algorithm, version, &params, password, salt, memory)? == *expected)
    };
    check().unwrap_or(false)
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        let params = self.params.clone();
        self.bounded(move |memory| hash_with(&params, &password, memory)).await?
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.bounded(move |memory| verify_with(&password, &hash, memory)).await
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
    StoreError::unreachable(format!("redis: {e}"))
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
    fn hashes_in_reused_memory_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(256, 1, 1, None).unwrap();
        let mut memory = Vec::new();
        let ours = hash_with(&params, "correct horse", &mut memory).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{ours}");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        assert!(argon.verify_password(b"correct horse", ours.as_str()).is_ok());
        let theirs = argon.hash_password(b"correct horse").unwrap().to_string();
        // The same memory, and a stored hash of another cost, which grows it.
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(512, 2, 1, None).unwrap());
        let bigger = other.hash_password(b"correct horse").unwrap().to_string();
        for stored in [&ours, &theirs, &bigger] {
            assert!(verify_with("correct horse", stored, &mut memory), "{stored}");
            assert!(!verify_with("wrong horse", stored, &mut memory), "{stored}");
        }
        assert!(!verify_with("correct horse", "not a hash", &mut memory));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slot_is_free_again_once_its_hash_is_answered() {
        // One slot, no queue: each hash waits for the one before it to be answered only.
        let cost = Argon2Cost { memory_kib: 8, iterations: 1, parallelism: 1 };
        let hasher = Argon2Hasher::new(cost, crate::config::HashingBound { concurrency: 1, queue: 0 }).unwrap();
        for i in 0..2_000 {
            assert!(hasher.hash(format!("password {i}")).await.is_ok(), "hash {i} found its slot still taken");
        }
    }

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
