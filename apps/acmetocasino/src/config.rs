//! Typed configuration from environment variables, validated at start-up.
//! Every variable is documented in the README and `deploy/.env.example`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the server is deployed: `embedded` fills in safe defaults (a generated JWT
/// key persisted in the data directory); `production` requires every secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// How much password hashing may run at once, and wait for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingBound {
    pub concurrency: usize,
    pub queue: usize,
}

/// A sustained rate per minute, with a burst allowed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

/// A secret that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    /// A PostgreSQL streaming replica for reads that tolerate its lag (`DATABASE_READ_URL`).
    pub database_read_url: Option<String>,
    pub redis_url: Option<String>,
    pub mode: Mode,
    pub jwt_secret: Secret,
    /// A second HS256 key whose tokens are accepted, though it never signs
    /// (`ACMETOCASINO_JWT_ACCEPTED_SECRET`): for a key rotation.
    pub jwt_accepted_secret: Option<Secret>,
    pub data_dir: PathBuf,
    pub db_pool_size: usize,
    pub workers: usize,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub argon2: Argon2Cost,
    pub hashing: HashingBound,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`ACMETOCASINO_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    /// Sign-in and registration limits per account and per client.
    pub attempt_limits: pam_core::AttemptLimits,
    /// Bets per player (`ACMETOCASINO_BET_RATE_LIMIT` per minute, `ACMETOCASINO_BET_BURST`).
    pub bet_rate: RateLimit,
    /// Responsible-gaming jurisdiction profiles (`ACMETOCASINO_RG_PROFILES`, JSON).
    pub rg_profiles: rg_core::Profiles,
    /// AML rule thresholds (`ACMETOCASINO_AML_THRESHOLDS`, JSON).
    pub aml_thresholds: compliance_core::AmlThresholds,
    /// Whether the simulated KYC provider decides well-formed submissions at once.
    pub kyc_auto_decide: bool,
    /// Staff postings above this many minor units wait for a second admin's approval.
    pub manual_posting_approval_above: i64,
    /// The Bearer token `GET /metrics` requires (`ACMETOCASINO_METRICS_TOKEN`); unset:
    /// metrics are open, as for a scraper on a private network.
    pub metrics_token: Option<Secret>,
    /// Rounds the back office flags as big wins (`ACMETOCASINO_BIG_WIN_MULTIPLIER`,
    /// `ACMETOCASINO_BIG_WIN_AMOUNT`).
    pub big_win: gamectl_core::BigWin,
    /// After SIGTERM, how long requests in flight may still take before they are cut
    /// (`ACMETOCASINO_SHUTDOWN_GRACE_SECONDS`).
    pub shutdown_grace: Duration,
    /// After SIGTERM, how long to go on serving while `/health/ready` answers `503`, so
    /// that load balancers polling it stop routing here before the listener closes
    /// (`ACMETOCASINO_SHUTDOWN_DELAY_SECONDS`).
    pub shutdown_delay: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database", &self.database_display())
            .field("database_read", &self.database_read_url.as_deref().map(masked_url))
            .field("redis", &self.redis_url.as_ref().map(|_| "configured"))
            .field("mode", &self.mode)
            .field("jwt_secret", &self.jwt_secret)
            .field("jwt_accepted_secret", &self.jwt_accepted_secret)
            .field("data_dir", &self.data_dir)
            .field("db_pool_size", &self.db_pool_size)
            .field("workers", &self.workers)
            .field("log_filter", &self.log_filter)
            .field("log_format", &self.log_format)
            .field("argon2", &self.argon2)
            .field("hashing", &self.hashing)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("attempt_limits", &self.attempt_limits)
            .field("bet_rate", &self.bet_rate)
            .field("kyc_auto_decide", &self.kyc_auto_decide)
            .field("manual_posting_approval_above", &self.manual_posting_approval_above)
            .field("metrics_token", &self.metrics_token)
            .field("big_win", &self.big_win)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("shutdown_delay", &self.shutdown_delay)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

pub const DEFAULT_BIND: &str = "127.0.0.1:8090";
const JWT_KEY_FILE: &str = "jwt.key";

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mode = match get("ACMETOCASINO_MODE").as_deref() {
            None | Some("embedded") => Mode::Embedded,
            Some("production") => Mode::Production,
            Some(other) => {
                return Err(ConfigError(format!("ACMETOCASINO_MODE must be embedded or production, not {other:?}")));
            }
        };
        let data_dir = PathBuf::from(get("ACMETOCASINO_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| data_dir.join("acmetocasino.db").display().to_string());
        let log_format = match get("ACMETOCASINO_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!("ACMETOCASINO_LOG_FORMAT must be text or json, not {other:?}")));
            }
        };
        let jwt_secret = match jwt_key(&get, "ACMETOCASINO_JWT_SECRET", mode)? {
            Some(secret) => secret,
            None if mode == Mode::Production => {
                return Err(ConfigError("ACMETOCASINO_JWT_SECRET is required in production mode".into()));
            }
            None => load_or_create_key(&data_dir)?,
        };
        let jwt_accepted_secret = jwt_key(&get, "ACMETOCASINO_JWT_ACCEPTED_SECRET", mode)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let hashing_concurrency = number(&get, "ACMETOCASINO_HASHING_CONCURRENCY", 2 * cores, 1..=1024)?;
        let hashing = HashingBound {
            concurrency: hashing_concurrency,
            queue: number(&get, "ACMETOCASINO_HASHING_QUEUE", 4 * hashing_concurrency, 0..=65_536)?,
        };
        let trusted_proxies = get("ACMETOCASINO_TRUSTED_PROXIES")
            .map(|list| crate::client_ip::TrustedProxies::parse(&list))
            .transpose()
            .map_err(|e| ConfigError(format!("ACMETOCASINO_TRUSTED_PROXIES: {e}")))?
            .unwrap_or_default();
        let mut attempt_limits = pam_core::AttemptLimits::default();
        let limits = &mut attempt_limits;
        for (key, limit) in [
            ("ACMETOCASINO_LOGIN_LIMIT_PER_IP", &mut limits.sign_in_client),
            ("ACMETOCASINO_LOGIN_LIMIT_PER_ACCOUNT", &mut limits.account),
            ("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", &mut limits.registration_client),
        ] {
            limit.max = number(&get, key, limit.max, 1..=10_000_000)?;
        }
        let rg_profiles = match get("ACMETOCASINO_RG_PROFILES") {
            None => rg_core::Profiles::defaults(),
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| ConfigError(format!("ACMETOCASINO_RG_PROFILES is not a valid profile table: {e}")))?,
        };
        let aml_thresholds: compliance_core::AmlThresholds = match get("ACMETOCASINO_AML_THRESHOLDS") {
            None => compliance_core::AmlThresholds::default(),
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| ConfigError(format!("ACMETOCASINO_AML_THRESHOLDS is not valid: {e}")))?,
        };
        aml_thresholds
            .validate()
            .map_err(|e| ConfigError(format!("ACMETOCASINO_AML_THRESHOLDS: {}: {}", e.field, e.message)))?;
        let kyc_auto_decide = match get("ACMETOCASINO_KYC_AUTO_DECIDE").as_deref() {
            None => mode == Mode::Embedded,
            Some("true" | "1") if mode == Mode::Production => {
                return Err(ConfigError(
                    "ACMETOCASINO_KYC_AUTO_DECIDE=true is refused in production mode: the simulated provider \
                     approves any well-formed document"
                        .into(),
                ));
            }
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                return Err(ConfigError(format!("ACMETOCASINO_KYC_AUTO_DECIDE must be true or false, not {other:?}")));
            }
        };
        let metrics_token = match get("ACMETOCASINO_METRICS_TOKEN") {
            None => None,
            Some(t) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => Some(Secret::new(t.into_bytes())),
            Some(_) => {
                return Err(ConfigError(
                    "ACMETOCASINO_METRICS_TOKEN must be at least 16 printable ASCII characters without spaces".into(),
                ));
            }
        };
        let database_read_url = get("DATABASE_READ_URL");
        let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if let Some(read) = &database_read_url
            && !(postgres(read) && postgres(&database_url))
        {
            return Err(ConfigError(
                "DATABASE_READ_URL must be a postgres:// URL of a streaming replica, beside a PostgreSQL DATABASE_URL"
                    .into(),
            ));
        }
        Ok(Self {
            bind: get("ACMETOCASINO_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            database_url,
            database_read_url,
            redis_url: get("REDIS_URL"),
            mode,
            jwt_secret,
            jwt_accepted_secret,
            data_dir,
            // Four per core, as deadpool itself defaults to: with more, PostgreSQL's
            // backends on a small machine mostly wait for one another (docs/benchmarks.md).
            // At most 16, the earlier fixed size: the database's cores, not ours, and its
            // `max_connections` bound what helps beyond that.
            db_pool_size: number(&get, "ACMETOCASINO_DB_POOL_SIZE", (4 * cores).min(16), 1..=1000)?,
            workers: number(&get, "ACMETOCASINO_WORKERS", cores, 1..=256)?,
            log_filter: get("ACMETOCASINO_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            argon2: Argon2Cost {
                memory_kib: number(&get, "ACMETOCASINO_ARGON2_MEMORY_KIB", 19_456, 8..=4_194_304)?,
                iterations: number(&get, "ACMETOCASINO_ARGON2_ITERATIONS", 2, 1..=64)?,
                parallelism: number(&get, "ACMETOCASINO_ARGON2_PARALLELISM", 1, 1..=64)?,
            },
            hashing,
            trusted_proxies,
            attempt_limits,
            // 100 a second sustained and 1,000 at once: far above any person's play, and
            // above what `cargo xtask bench` drives per player (docs/security-auth-notes.md).
            bet_rate: RateLimit {
                per_minute: number(&get, "ACMETOCASINO_BET_RATE_LIMIT", 6_000, 1..=6_000_000)?,
                burst: number(&get, "ACMETOCASINO_BET_BURST", 1_000, 1..=1_000_000)?,
            },
            rg_profiles,
            aml_thresholds,
            kyc_auto_decide,
            manual_posting_approval_above: number(
                &get,
                "ACMETOCASINO_MANUAL_POSTING_APPROVAL_ABOVE",
                100_000,
                0..=kernel::MAX_AMOUNT,
            )?,
            metrics_token,
            big_win: gamectl_core::BigWin {
                multiplier: number(&get, "ACMETOCASINO_BIG_WIN_MULTIPLIER", 350, 1..=1_000_000)?,
                payout: number(&get, "ACMETOCASINO_BIG_WIN_AMOUNT", 4_000_000, 1..=kernel::MAX_AMOUNT)?,
            },
            shutdown_grace: Duration::from_secs(number(&get, "ACMETOCASINO_SHUTDOWN_GRACE_SECONDS", 30, 0..=3_600)?),
            shutdown_delay: Duration::from_secs(number(&get, "ACMETOCASINO_SHUTDOWN_DELAY_SECONDS", 0, 0..=3_600)?),
        })
    }

    /// The database URL without credentials, for logs (see [`masked_url`]).
    pub fn database_display(&self) -> String {
        masked_url(&self.database_url)
    }
}

/// A database URL without credentials, for logs: parsed, so that an `@` in a password
/// or a `password=` query parameter cannot slip through. User and password become
/// `***`, the query (where libpq takes options, passwords included) is dropped. A
/// SQLite path is shown as it is.
pub fn masked_url(url: &str) -> String {
    if !url.contains("://") || url.starts_with("sqlite://") {
        return url.to_owned();
    }
    match url::Url::parse(url) {
        Ok(u) => {
            let credentials = if u.username().is_empty() && u.password().is_none() { "" } else { "***@" };
            let host = u.host_str().unwrap_or("");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{credentials}{host}{port}{}", u.scheme(), u.path())
        }
        Err(_) => "(unparsable database URL)".to_owned(),
    }
}

/// An HS256 key from `key`: at least 32 bytes, and in production not guessable.
fn jwt_key(get: &impl Fn(&str) -> Option<String>, key: &str, mode: Mode) -> Result<Option<Secret>, ConfigError> {
    match get(key) {
        None => Ok(None),
        Some(s) if s.len() < 32 => Err(ConfigError(format!("{key} must be at least 32 bytes"))),
        Some(s) if mode == Mode::Production && guessable(s.as_bytes()) => Err(ConfigError(format!(
            "{key} is guessable (too few distinct bytes or a repeated pattern); \
             use 32 random bytes, e.g. `openssl rand -hex 32`"
        ))),
        Some(s) => Ok(Some(Secret::new(s.into_bytes()))),
    }
}

/// Whether a secret of at least 32 bytes is still guessable: fewer than 8 distinct
/// bytes (`kkkk…`, `0101…`), or made of one unit repeated (`abcdabcd…`,
/// `test-secret-test-secret-…`: the same 2–16 bytes at least three times over most of
/// it), or a run of consecutive bytes (`0123456789…`, `abcdef…`). Random keys (hex,
/// base64 or raw) pass with overwhelming probability.
fn guessable(secret: &[u8]) -> bool {
    let distinct = secret.iter().collect::<std::collections::HashSet<_>>().len();
    let repeated = (2..=16).any(|unit| {
        let copies = secret.windows(unit).filter(|w| *w == &secret[..unit]).count();
        copies >= 3 && copies * unit * 4 >= secret.len() * 3
    });
    let run = secret.windows(2).filter(|w| w[1] == w[0].wrapping_add(1)).count();
    distinct < 8 || repeated || run * 2 >= secret.len()
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match get(key) {
        None => Ok(default),
        Some(raw) => match raw.parse::<T>() {
            Ok(v) if range.contains(&v) => Ok(v),
            _ => Err(ConfigError(format!(
                "{key} must be a number from {} to {}, not {raw:?}",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// The embedded install's JWT key: generated once, kept next to the database.
fn load_or_create_key(data_dir: &Path) -> Result<Secret, ConfigError> {
    let path = data_dir.join(JWT_KEY_FILE);
    let err = |e: std::io::Error| ConfigError(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(hex_key) => hex::decode(hex_key.trim())
            .ok()
            .filter(|k| k.len() >= 32)
            .map(Secret::new)
            .ok_or_else(|| ConfigError(format!("{} does not hold a hex key of at least 32 bytes", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(data_dir).map_err(err)?;
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| ConfigError(format!("OS random source: {e}")))?;
            write_private(&path, hex::encode(key).as_bytes()).map_err(err)?;
            Ok(Secret::new(key.to_vec()))
        }
        Err(e) => Err(err(e)),
    }
}

/// Creates `dir` and any missing parent, readable by the owner only (0700 on Unix):
/// it holds the database and the token key.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `path` (created if missing) readable and writable by the owner only (0600 on
/// Unix), before SQLite opens it: SQLite gives its `-wal` and `-shm` files the
/// database file's permissions.
pub(crate) fn make_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    drop(file);
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn embedded_defaults_generate_and_keep_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let a = cfg(&[("ACMETOCASINO_DATA_DIR", &d)]).unwrap();
        assert_eq!(a.bind, DEFAULT_BIND);
        assert_eq!(a.mode, Mode::Embedded);
        assert!(a.database_url.ends_with("acmetocasino.db"));
        assert_eq!(a.jwt_secret.expose().len(), 32);
        let b = cfg(&[("ACMETOCASINO_DATA_DIR", &d)]).unwrap();
        assert_eq!(a.jwt_secret, b.jwt_secret, "the key survives restarts");
        assert_eq!(format!("{:?}", a.jwt_secret), "Secret(***)");
    }

    #[test]
    fn production_requires_a_strong_secret() {
        assert!(cfg(&[("ACMETOCASINO_MODE", "production")]).is_err());
        assert!(cfg(&[("ACMETOCASINO_MODE", "production"), ("ACMETOCASINO_JWT_SECRET", "short")]).is_err());
        // 32 bytes of one letter were accepted until issue 12; now the secret must look random.
        assert!(cfg(&[("ACMETOCASINO_MODE", "production"), ("ACMETOCASINO_JWT_SECRET", &"k".repeat(32))]).is_err());
        let strong = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let ok = cfg(&[("ACMETOCASINO_MODE", "production"), ("ACMETOCASINO_JWT_SECRET", strong)]).unwrap();
        assert_eq!(ok.jwt_secret.expose(), strong.as_bytes());
        // The key accepted during a rotation must be as strong.
        let weak = "0123456789abcdef0123456789abcdef";
        for second in ["short", weak] {
            let pairs = [
                ("ACMETOCASINO_MODE", "production"),
                ("ACMETOCASINO_JWT_SECRET", strong),
                ("ACMETOCASINO_JWT_ACCEPTED_SECRET", second),
            ];
            assert!(cfg(&pairs).unwrap_err().0.contains("ACMETOCASINO_JWT_ACCEPTED_SECRET"));
        }
    }

    #[test]
    fn bad_values_are_named() {
        let secret = "k".repeat(32);
        for (k, v) in [
            ("ACMETOCASINO_MODE", "staging"),
            ("ACMETOCASINO_DB_POOL_SIZE", "0"),
            ("ACMETOCASINO_WORKERS", "many"),
            ("ACMETOCASINO_LOG_FORMAT", "xml"),
            ("ACMETOCASINO_ARGON2_ITERATIONS", "0"),
            ("ACMETOCASINO_HASHING_CONCURRENCY", "0"),
            ("ACMETOCASINO_HASHING_QUEUE", "-1"),
            ("ACMETOCASINO_TRUSTED_PROXIES", "127.0.0.1,proxy.internal"),
            ("ACMETOCASINO_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("ACMETOCASINO_LOGIN_LIMIT_PER_IP", "0"),
            ("ACMETOCASINO_LOGIN_LIMIT_PER_ACCOUNT", "lots"),
            ("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", "-5"),
            ("ACMETOCASINO_BET_RATE_LIMIT", "0"),
            ("ACMETOCASINO_BET_BURST", "1.5"),
            ("ACMETOCASINO_SHUTDOWN_GRACE_SECONDS", "3601"),
            ("ACMETOCASINO_SHUTDOWN_DELAY_SECONDS", "soon"),
        ] {
            let err = cfg(&[(k, v), ("ACMETOCASINO_JWT_SECRET", &secret)]).unwrap_err();
            assert!(err.0.contains(k), "{err}");
        }
    }

    #[test]
    fn a_read_replica_needs_postgresql_on_both_sides() {
        let secret = "k".repeat(32);
        let primary = "postgres://app:pw@db:5432/casino";
        let replica = "postgres://app:hunter2@replica:5432/casino";
        let c = cfg(&[("DATABASE_URL", primary), ("DATABASE_READ_URL", replica), ("ACMETOCASINO_JWT_SECRET", &secret)])
            .unwrap();
        assert_eq!(c.database_read_url.as_deref(), Some(replica));
        assert!(!format!("{c:?}").contains("hunter2"));
        for (db, read) in [("./data/a.db", replica), (primary, "./replica.db")] {
            let err = cfg(&[("DATABASE_URL", db), ("DATABASE_READ_URL", read), ("ACMETOCASINO_JWT_SECRET", &secret)])
                .unwrap_err();
            assert!(err.0.contains("DATABASE_READ_URL"), "{err}");
        }
    }

    #[test]
    fn credentials_never_reach_the_logs() {
        let secret = "k".repeat(32);
        let c = cfg(&[("DATABASE_URL", "postgres://app:hunter2@db:5432/casino"), ("ACMETOCASINO_JWT_SECRET", &secret)])
            .unwrap();
        assert_eq!(c.database_display(), "postgres://***@db:5432/casino");
        let debug = format!("{c:?}");
        assert!(!debug.contains(&secret) && !debug.contains("hunter2"), "{debug}");
    }
}
