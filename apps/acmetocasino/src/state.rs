//! What every handler shares: the database, the PAM service, keys, Redis, metrics.

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::Db;
use crate::infra::{Argon2Hasher, OsEntropy, Throttle, redis_pool};
use crate::telemetry::Metrics;
use kernel::{SharedClock, SystemClock};
use pam_core::{PamService, TokenPolicy};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub type Pam = PamService<Db, Argon2Hasher, Throttle, SharedClock, OsEntropy>;

pub struct AppState {
    pub db: Db,
    pub pam: Pam,
    pub jwt: JwtKeys,
    /// What this instance last read about each session's standing (see `auth`).
    pub sessions: crate::auth::SessionCache,
    /// Bets per player per minute (in-process: each instance counts its own).
    pub bet_rate: crate::infra::RateLimiter,
    /// Whose `X-Forwarded-For` names the client that per-client limits count.
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    pub redis: Option<deadpool_redis::Pool>,
    pub metrics: Metrics,
    /// The Bearer token `/metrics` requires, when configured.
    pub metrics_token: Option<crate::config::Secret>,
    /// Every rule that depends on time reads this clock (a test clock in tests).
    pub clock: SharedClock,
    /// Responsible-gaming profiles, AML thresholds and the KYC provider.
    pub policy: std::sync::Arc<compliance_core::Policy>,
    pub entropy: OsEntropy,
    pub started_at: Instant,
    /// When this instance started: the `updated_at` of settings never changed.
    pub installed_at: chrono::DateTime<chrono::Utc>,
    pub catalogue: std::sync::Arc<gal_core::Catalogue>,
    /// Live domain events (WebSocket feed), fanned out through Redis when configured.
    pub events: crate::events::EventBus,
    /// Which rounds the back office flags as big wins.
    pub big_win: gamectl_core::BigWin,
    /// This instance's copy of the third-party provider registry.
    pub providers: crate::app::providers::Directory,
    /// Set on SIGTERM: `/health/ready` answers `503` from then on (see `server`).
    draining: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

impl AppState {
    /// Publishes a domain event on the live feed (call after the transaction committed).
    pub fn publish(&self, channel: crate::events::Channel, kind: &str, payload: serde_json::Value) {
        let at = kernel::Clock::now(&self.clock);
        self.events.publish(crate::events::DomainEvent::new(channel, kind, at, payload));
    }

    /// Publishes the alerts a transaction raised.
    pub fn publish_alerts(&self, aml: &[compliance_core::AmlAlert], harm: &[compliance_core::HarmAlert]) {
        for a in aml {
            self.publish(
                crate::events::Channel::ComplianceAlerts,
                "aml.alert_raised",
                serde_json::json!({"alert_id": a.id, "player_id": a.player_id, "rule": a.rule, "risk_level": a.risk_level}),
            );
        }
        for h in harm {
            self.publish(
                crate::events::Channel::ComplianceAlerts,
                "harm.alert_raised",
                serde_json::json!({"alert_id": h.id, "player_id": h.player_id, "marker": h.marker, "intervention": h.intervention}),
            );
        }
    }

    /// Every catalogue game's RTP setting, defaults included.
    pub async fn rtp_settings(&self) -> Result<Vec<gamectl_core::RtpSetting>, gamectl_core::StoreError> {
        use gamectl_core::GameControlRepository;
        let stored = self.db.stored_targets().await?;
        let slugs: Vec<&str> = self.catalogue.iter().map(|g| g.info().slug).collect();
        Ok(gamectl_core::with_defaults(&slugs, &stored, self.installed_at))
    }

    /// Builds the state on an already-migrated database.
    pub fn new(config: &Config, db: Db) -> Result<Self, StartupError> {
        Self::with_clock(config, db, std::sync::Arc::new(SystemClock))
    }

    /// Builds the state with the given clock (tests move a manual one).
    pub fn with_clock(config: &Config, db: Db, clock: SharedClock) -> Result<Self, StartupError> {
        let redis = config.redis_url.as_deref().map(redis_pool).transpose().map_err(StartupError)?;
        let policy = TokenPolicy::default();
        let hasher = Argon2Hasher::new(config.argon2, config.hashing).map_err(|e| StartupError(e.to_string()))?;
        Ok(Self {
            pam: PamService {
                store: db.clone(),
                hasher,
                throttle: Throttle::new(redis.clone()),
                clock: clock.clone(),
                entropy: OsEntropy,
                policy,
                limits: config.attempt_limits,
            },
            trusted_proxies: config.trusted_proxies.clone(),
            bet_rate: crate::infra::RateLimiter::new(config.bet_rate, crate::infra::RATE_LIMITER_KEYS),
            db,
            sessions: crate::auth::SessionCache::new(crate::auth::SESSION_CACHE_KEYS),
            jwt: match &config.jwt_accepted_secret {
                Some(second) => JwtKeys::new(config.jwt_secret.expose(), policy.access_ttl).accepting(second.expose()),
                None => JwtKeys::new(config.jwt_secret.expose(), policy.access_ttl),
            },
            redis,
            metrics: Metrics::new().map_err(|e| StartupError(e.to_string()))?,
            metrics_token: config.metrics_token.clone(),
            installed_at: kernel::Clock::now(&clock),
            clock,
            policy: std::sync::Arc::new(compliance_core::Policy {
                profiles: config.rg_profiles.clone(),
                aml: config.aml_thresholds.clone(),
                kyc_provider: compliance_core::SimulatedProvider { enabled: config.kyc_auto_decide },
                manual_posting_approval_above: config.manual_posting_approval_above,
            }),
            entropy: OsEntropy,
            started_at: Instant::now(),
            catalogue: std::sync::Arc::new(gal_core::Catalogue::standard()),
            events: crate::events::EventBus::new(config.redis_url.as_deref()).map_err(StartupError)?,
            big_win: config.big_win,
            providers: Default::default(),
            draining: AtomicBool::new(false),
        })
    }

    /// Whether this instance is shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Marks the instance as shutting down: it is no longer ready for new traffic.
    pub fn begin_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Closes the database and Redis pools (once the server has stopped): idle
    /// connections are closed, and nothing may check one out any more.
    pub fn close_pools(&self) {
        self.db.close();
        if let Some(redis) = &self.redis {
            redis.close();
        }
    }
}
