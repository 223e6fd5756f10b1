//! Live domain events: an in-process bus that every WebSocket client subscribes to,
//! fanned out across server instances through Redis pub/sub when `REDIS_URL` is set.
//!
//! Callers publish **after** their transaction commits; publishing never blocks and
//! never fails the caller. The feed is best effort: an event may be lost when a client
//! falls behind or Redis is unreachable, never duplicated by the fan-out itself.
//!
//! With Redis, each instance PUBLISHes its events (tagged with its random instance id)
//! from one publisher task, in order, and SUBSCRIBEs on a dedicated pub/sub connection
//! (not the pool); events from other instances are forwarded to the local subscribers,
//! its own are skipped since they were delivered locally when published.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

/// Prefix of the Redis pub/sub channels (`acmetocasino:wallet.transactions`, …).
pub const REDIS_CHANNEL_PREFIX: &str = "acmetocasino:";
/// Events buffered per local subscriber before a slow one starts skipping.
const LOCAL_CAPACITY: usize = 1024;
/// Events waiting to be PUBLISHed to Redis before new ones are dropped.
const OUTBOX_CAPACITY: usize = 4096;
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);
const PING_EVERY: Duration = Duration::from_secs(30);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The channels of the live feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Channel {
    #[serde(rename = "player.events")]
    PlayerEvents,
    #[serde(rename = "wallet.transactions")]
    WalletTransactions,
    #[serde(rename = "game.rounds")]
    GameRounds,
    #[serde(rename = "compliance.alerts")]
    ComplianceAlerts,
}

impl Channel {
    pub const ALL: [Channel; 4] =
        [Channel::PlayerEvents, Channel::WalletTransactions, Channel::GameRounds, Channel::ComplianceAlerts];

    /// The public name (`wallet.transactions`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::PlayerEvents => "player.events",
            Channel::WalletTransactions => "wallet.transactions",
            Channel::GameRounds => "game.rounds",
            Channel::ComplianceAlerts => "compliance.alerts",
        }
    }

    /// The channel with this public name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The Redis pub/sub channel carrying it (`acmetocasino:wallet.transactions`).
    pub fn redis_channel(self) -> String {
        format!("{REDIS_CHANNEL_PREFIX}{}", self.as_str())
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One domain event, exactly as WebSocket clients receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub channel: Channel,
    /// What happened, e.g. `wallet.event_appended`, `game.round_settled`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

impl DomainEvent {
    pub fn new(channel: Channel, kind: impl Into<String>, at: DateTime<Utc>, payload: serde_json::Value) -> Self {
        Self { channel, kind: kind.into(), at, payload }
    }
}

/// What travels through Redis: the event and the instance that published it.
#[derive(Serialize)]
struct OutgoingEnvelope<'a> {
    origin: Uuid,
    event: &'a DomainEvent,
}

#[derive(Deserialize)]
struct IncomingEnvelope {
    origin: Uuid,
    event: DomainEvent,
}

struct Outgoing {
    channel: Channel,
    json: String,
}

struct RedisLink {
    client: redis::Client,
    pool: deadpool_redis::Pool,
    outbox: mpsc::Sender<Outgoing>,
    /// Taken by the publisher task when `spawn_redis_listener` starts it.
    outbox_rx: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    /// Events dropped because the outbox was full.
    overflowed: AtomicU64,
}

struct Inner {
    /// This instance's id, tagged on everything it PUBLISHes.
    origin: Uuid,
    local: broadcast::Sender<Arc<DomainEvent>>,
    redis: Option<RedisLink>,
    /// Dropped with the bus: stops the Redis subscriber task.
    shutdown: watch::Sender<()>,
}

/// The domain-event bus of one server instance. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

impl fmt::Debug for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBus")
            .field("origin", &self.inner.origin)
            .field("redis", &self.inner.redis.is_some())
            .field("subscribers", &self.inner.local.receiver_count())
            .finish()
    }
}

impl EventBus {
    /// A bus; with `redis_url`, fanned out across instances once
    /// [`spawn_redis_listener`](Self::spawn_redis_listener) runs. Connects lazily.
    pub fn new(redis_url: Option<&str>) -> Result<Self, String> {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let redis = match redis_url {
            None => None,
            Some(url) => {
                let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL is not usable: {e}"))?;
                let pool = crate::infra::redis_pool(url)?;
                let (outbox, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
                Some(RedisLink {
                    client,
                    pool,
                    outbox,
                    outbox_rx: Mutex::new(Some(outbox_rx)),
                    overflowed: AtomicU64::new(0),
                })
            }
        };
        let (shutdown, _) = watch::channel(());
        Ok(Self { inner: Arc::new(Inner { origin: Uuid::new_v4(), local, redis, shutdown }) })
    }

    /// This instance's random id (tags what it publishes to Redis).
    pub fn instance_id(&self) -> Uuid {
        self.inner.origin
    }

    /// Whether events are fanned out through Redis.
    pub fn uses_redis(&self) -> bool {
        self.inner.redis.is_some()
    }

    /// Delivers `event` to this instance's subscribers at once and queues it for the
    /// other instances (Redis). Never blocks, never fails: problems are logged.
    pub fn publish(&self, event: DomainEvent) {
        let event = Arc::new(event);
        if let Some(link) = &self.inner.redis {
            match serde_json::to_string(&OutgoingEnvelope { origin: self.inner.origin, event: &event }) {
                Ok(json) => match link.outbox.try_send(Outgoing { channel: event.channel, json }) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        let dropped = link.overflowed.fetch_add(1, Ordering::Relaxed);
                        if dropped % 1000 == 0 {
                            tracing::warn!(
                                dropped = dropped + 1,
                                "event outbox full (Redis slow or down): events not sent to other instances"
                            );
                        }
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        tracing::warn!(kind = %event.kind, "event publisher stopped: event not sent to other instances");
                    }
                },
                Err(e) => tracing::error!(error = %e, kind = %event.kind, "serialising a domain event"),
            }
        }
        // No subscriber is not an error.
        let _ = self.inner.local.send(event);
    }

    /// Every event published from now on, on this instance or (with Redis) another.
    /// A receiver that falls more than 1024 events behind skips the oldest
    /// (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DomainEvent>> {
        self.inner.local.subscribe()
    }

    /// Starts the Redis fan-out on the current tokio runtime: the publisher task and the
    /// subscriber (a dedicated pub/sub connection, reconnecting with backoff). Both stop
    /// when the bus is dropped. Without Redis, or when already started, does nothing.
    pub fn spawn_redis_listener(&self) {
        let Some(link) = &self.inner.redis else { return };
        let Some(outbox_rx) = link.outbox_rx.lock().unwrap_or_else(PoisonError::into_inner).take() else { return };
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "no async runtime: events are not fanned out through Redis");
                return;
            }
        };
        runtime.spawn(publish_loop(link.pool.clone(), outbox_rx));
        runtime.spawn(listen(
            link.client.clone(),
            self.inner.origin,
            self.inner.local.clone(),
            self.inner.shutdown.subscribe(),
        ));
    }
}

/// PUBLISHes queued events one after another (so other instances see them in order).
/// Ends when the bus is dropped.
async fn publish_loop(pool: deadpool_redis::Pool, mut outbox: mpsc::Receiver<Outgoing>) {
    let mut failed = 0u64;
    while let Some(out) = outbox.recv().await {
        let result = tokio::time::timeout(REDIS_TIMEOUT, async {
            let mut c = pool.get().await.map_err(|e| e.to_string())?;
            deadpool_redis::redis::cmd("PUBLISH")
                .arg(out.channel.redis_channel())
                .arg(&out.json)
                .query_async::<i64>(&mut c)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
        match result {
            Ok(_) if failed > 0 => {
                tracing::info!(lost = failed, "publishing events to Redis again");
                failed = 0;
            }
            Ok(_) => {}
            Err(e) => {
                if failed == 0 {
                    tracing::warn!(error = %e, "publishing an event to Redis failed: other instances miss it");
                }
                failed += 1;
            }
        }
    }
}

/// Subscribes to every channel and forwards other instances' events, reconnecting
/// with exponential backoff, until the bus is dropped.
async fn listen(
    client: redis::Client,
    origin: Uuid,
    local: broadcast::Sender<Arc<DomainEvent>>,
    mut shutdown: watch::Receiver<()>,
) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let ended = tokio::select! {
            _ = shutdown.changed() => return,
            ended = subscribe_and_forward(&client, origin, &local, &mut backoff) => ended,
        };
        tracing::warn!(error = %ended, retry_in_ms = backoff.as_millis(), "Redis event subscription lost; reconnecting");
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One subscription's lifetime; returns why it ended.
async fn subscribe_and_forward(
    client: &redis::Client,
    origin: Uuid,
    local: &broadcast::Sender<Arc<DomainEvent>>,
    backoff: &mut Duration,
) -> String {
    let connected = tokio::time::timeout(REDIS_TIMEOUT, async {
        let mut pubsub = client.get_async_pubsub().await?;
        let names: Vec<String> = Channel::ALL.iter().map(|c| c.redis_channel()).collect();
        pubsub.subscribe(&names).await?;
        Ok::<_, redis::RedisError>(pubsub)
    })
    .await;
    let pubsub = match connected {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return e.to_string(),
        Err(_) => return "connecting timed out".into(),
    };
    tracing::info!("subscribed to domain events on Redis");
    *backoff = MIN_BACKOFF;
    let (mut sink, mut messages) = pubsub.split();
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            msg = messages.next() => match msg {
                Some(msg) => forward(&msg, origin, local),
                None => return "connection closed".into(),
            },
            _ = keepalive.tick() => {
                // Detects a connection that died without closing.
                match tokio::time::timeout(REDIS_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return format!("ping: {e}"),
                    Err(_) => return "ping timed out".into(),
                }
            }
        }
    }
}

fn forward(msg: &redis::Msg, origin: Uuid, local: &broadcast::Sender<Arc<DomainEvent>>) {
    let envelope: IncomingEnvelope = match serde_json::from_slice(msg.get_payload_bytes()) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(channel = msg.get_channel_name(), error = %e, "ignoring a malformed event from Redis");
            return;
        }
    };
    if envelope.origin == origin {
        return; // Ours: delivered locally when published.
    }
    if envelope.event.channel.redis_channel() != msg.get_channel_name() {
        tracing::warn!(channel = msg.get_channel_name(), "ignoring an event published on the wrong Redis channel");
        return;
    }
    let _ = local.send(Arc::new(envelope.event));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
            assert_eq!(c.redis_channel(), format!("acmetocasino:{c}"));
        }
        assert_eq!(Channel::parse("wallet"), None);
    }

    #[tokio::test]
    async fn in_process_fan_out() {
        let bus = EventBus::new(None).unwrap();
        bus.publish(DomainEvent::new(Channel::GameRounds, "nobody.listens", Utc::now(), serde_json::Value::Null));
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        let e = DomainEvent::new(Channel::GameRounds, "game.round_settled", Utc::now(), serde_json::json!({"n": 1}));
        bus.publish(e.clone());
        assert_eq!(*a.recv().await.unwrap(), e);
        assert_eq!(*b.recv().await.unwrap(), e);
        assert!(a.try_recv().is_err());
    }
}
