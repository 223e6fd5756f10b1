//! Test harness: fresh databases per test, on SQLite and on the PostgreSQL server
//! that `cargo xtask test` starts (its URL in `ACMETOCASINO_TEST_PG_URL`).

use acmetocasino::db::Db;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::path::PathBuf;

pub const PG_ENV: &str = "ACMETOCASINO_TEST_PG_URL";
pub const REDIS_ENV: &str = "ACMETOCASINO_TEST_REDIS_URL";
pub const ALLOW_MISSING_ENV: &str = "ACMETOCASINO_ALLOW_MISSING_SERVICES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A service URL from the environment. Missing services fail the test loudly unless
/// the run was started with `--allow-missing-services`, in which case `None` (skip).
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var(ALLOW_MISSING_ENV).is_ok_and(|v| v == "1") => {
            eprintln!("SKIPPED: {var} is not set and missing services are allowed");
            None
        }
        _ => panic!(
            "{var} is not set: run the tests with `cargo xtask test`, which starts PostgreSQL and Redis \
             (or pass --allow-missing-services to skip what needs them)"
        ),
    }
}

/// A fresh, empty database of `backend` (not migrated), and its URL.
pub struct FreshDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl FreshDb {
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path: PathBuf = dir.path().join("acmetocasino.db");
                Some(Self { url: path.display().to_string(), _dir: Some(dir) })
            }
            Backend::Postgres => {
                let admin = service_url(PG_ENV)?;
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut c = AsyncPgConnection::establish(&admin).await.unwrap();
                c.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
                Some(Self { url: format!("{base}/{name}"), _dir: None })
            }
        }
    }

    /// A pool on this database with migrations applied.
    pub async fn migrated(&self) -> Db {
        let db = Db::connect(&self.url, 16).unwrap();
        db.migrate().await.unwrap();
        db
    }
}

/// Runs `$body` as a test once per backend: `mod sqlite` and `mod postgres`, each
/// with a `backend` binding.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::support::Backend::Sqlite;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::support::Backend::Postgres;
                    $body
                }
            )*
        }
    };
}

use acmetocasino::config::Config;
use acmetocasino::server;
use acmetocasino::state::AppState;
use actix_web::web::Data;
use pam_core::{Role, StaffRegistration};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Settings of a test server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Use the test Redis (skips the test when missing services are allowed).
    pub redis: bool,
    /// An explicit Redis URL (e.g. an unreachable one).
    pub redis_url: Option<String>,
    /// A test clock the server's rules read (default: the system clock).
    pub clock: Option<std::sync::Arc<kernel::testkit::ManualClock>>,
    /// Extra configuration variables.
    pub env: Vec<(&'static str, String)>,
}

/// The real server, in process, on port 0, against a fresh database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Data<AppState>,
    pub db_url: String,
    handle: actix_web::dev::ServerHandle,
    _fresh: Option<FreshDb>,
}

/// A response, decoded.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        let ct = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(ct, "application/problem+json", "{:#}", self.body);
        assert_eq!(self.body["status"].as_u64(), Some(u64::from(status)));
        assert!(self.body["type"].is_string() && self.body["title"].is_string() && self.body["detail"].is_string());
        self
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        &self.body
    }
}

pub fn test_config(
    db_url: &str,
    redis_url: Option<String>,
    data_dir: &std::path::Path,
    extra: &[(&'static str, String)],
) -> Config {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", db_url.to_owned()),
        ("ACMETOCASINO_JWT_SECRET", TEST_JWT_SECRET.to_owned()),
        ("ACMETOCASINO_WORKERS", "2".to_owned()),
        ("ACMETOCASINO_DATA_DIR", data_dir.display().to_string()),
        // Cheap hashing keeps the suite fast; production costs are measured by the bench.
        ("ACMETOCASINO_ARGON2_MEMORY_KIB", "256".to_owned()),
        ("ACMETOCASINO_ARGON2_ITERATIONS", "1".to_owned()),
        // Every test's clients are 127.0.0.1: the per-client ceilings are the tests' own.
        ("ACMETOCASINO_LOGIN_LIMIT_PER_IP", "1000000".to_owned()),
        ("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", "1000000".to_owned()),
    ]);
    if let Some(r) = redis_url {
        env.insert("REDIS_URL", r);
    }
    env.extend(extra.iter().cloned());
    Config::from_lookup(|k| env.get(k).cloned()).unwrap()
}

impl TestApp {
    /// `None` when a needed service is missing and that is allowed (the test skips).
    pub async fn spawn(backend: Backend, opts: Options) -> Option<Self> {
        let fresh = FreshDb::new(backend).await?;
        let url = fresh.url.clone();
        Self::spawn_on(&url, opts, Some(fresh)).await
    }

    /// A server on an existing database (e.g. a second instance).
    pub async fn spawn_on(db_url: &str, opts: Options, fresh: Option<FreshDb>) -> Option<Self> {
        let redis = match (opts.redis_url, opts.redis) {
            (Some(u), _) => Some(u),
            (None, true) => Some(service_url(REDIS_ENV)?),
            (None, false) => None,
        };
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(db_url, redis, dir.path(), &opts.env);
        let db = server::open_database(&config).await.unwrap();
        let state = match opts.clock {
            // Tests on a manual clock move it by hours or months to exercise the rules,
            // not token expiry (the auth unit tests cover that): their tokens outlive it.
            Some(clock) => AppState::with_clock(&config, db, clock).map(|mut s| {
                s.jwt.ttl = chrono::Duration::days(366);
                s
            }),
            None => AppState::new(&config, db),
        };
        let state = Data::new(state.unwrap());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let running = server::start(&config, state.clone(), listener).unwrap();
        tokio::spawn(running.server);
        Some(Self {
            base: format!("http://127.0.0.1:{}", running.port),
            client: reqwest::Client::new(),
            state,
            db_url: db_url.to_owned(),
            handle: running.handle,
            _fresh: fresh,
        })
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// Registers a player and passes KYC (the simulated provider approves well-formed,
    /// unexpired documents); returns (player id, access token).
    pub async fn player(&self, name: &str) -> (String, String) {
        let (id, token) = self.player_without_kyc(name).await;
        let r = self.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&token), kyc_documents(name)).await;
        assert_eq!(r.ok(201)["status"], "approved", "{:#}", r.body);
        (id, token)
    }

    /// Registers a player who has not been through KYC.
    pub async fn player_without_kyc(&self, name: &str) -> (String, String) {
        let r = self
            .post(
                "/api/v2/players",
                None,
                json!({"username": name, "email": format!("{name}@example.com"), "password": "correct horse",
                       "date_of_birth": "1990-01-31", "country": "SE", "currency": "SEK"}),
            )
            .await;
        let id = r.ok(201)["id"].as_str().unwrap().to_owned();
        (id, self.login(name, "correct horse").await)
    }

    pub async fn login(&self, name: &str, password: &str) -> String {
        let r = self.post("/api/v2/auth/login", None, json!({"username": name, "password": password})).await;
        r.ok(200)["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates a staff account directly; returns its access token.
    pub async fn staff(&self, name: &str, role: Role) -> String {
        self.state
            .pam
            .create_staff(StaffRegistration {
                username: name.into(),
                email: format!("{name}@acme.example"),
                password: "staff password".into(),
                role,
            })
            .await
            .unwrap();
        self.login(name, "staff password").await
    }

    pub async fn deposit(&self, token: &str, amount: i64, key: &str) -> Reply {
        self.post("/api/v2/wallet/deposit", Some(token), json!({"amount": amount, "idempotency_key": key})).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Well-formed, unexpired KYC documents.
pub fn kyc_documents(name: &str) -> Value {
    json!({"document_type": "passport", "document_number": "P1234567", "issuing_country": "SE",
           "expires_on": "2035-01-01", "full_name": format!("{name} Testsson"), "address": "Storgatan 1, Stockholm"})
}

pub async fn decode(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply { status, headers, body }
}

/// Runs `sqlite` or `postgres` (whichever the app's database is) on its own connection.
pub async fn on_database(app: &TestApp, sqlite: &str, postgres: &str) {
    try_on_database(app, sqlite, postgres).await.unwrap();
}

/// [`on_database`], with the database's refusal as the error.
pub async fn try_on_database(app: &TestApp, sqlite: &str, postgres: &str) -> Result<(), diesel::result::Error> {
    use diesel::connection::SimpleConnection;
    if app.state.db.kind() == acmetocasino::db::BackendKind::Sqlite {
        let mut c = <diesel::SqliteConnection as diesel::Connection>::establish(&app.db_url).unwrap();
        c.batch_execute(&format!("PRAGMA busy_timeout = 10000; {sqlite}"))
    } else {
        let mut c = AsyncPgConnection::establish(&app.db_url).await.unwrap();
        c.batch_execute(postgres).await
    }
}

/// One `bigint` (or anything cast to it) that `sql` selects as `n`.
pub async fn pg_number(c: &mut AsyncPgConnection, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(diesel::sql_query(sql), c).await.unwrap();
    assert_eq!(rows.len(), 1, "{sql}");
    rows[0].n
}

/// Polls `condition` until it holds (at most a minute): for states another process
/// reaches on its own time, such as a replica catching up or a server closing its port.
pub async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition().await {
        assert!(std::time::Instant::now() < deadline, "still not true after a minute: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A transaction holding the wallet row locks of `players` until it commits: their
/// postings and rounds wait, in flight, for as long as a test needs.
pub async fn lock_wallets(db_url: &str, players: &[String]) -> AsyncPgConnection {
    let mut c = AsyncPgConnection::establish(db_url).await.unwrap();
    let ids: Vec<String> = players.iter().map(|p| format!("'{p}'")).collect();
    c.batch_execute(&format!("BEGIN; SELECT 1 FROM wallets WHERE player_id IN ({}) FOR UPDATE", ids.join(", ")))
        .await
        .unwrap();
    c
}

/// How many sessions of `c`'s database wait for a lock.
pub async fn lock_waiters(c: &mut AsyncPgConnection) -> i64 {
    pg_number(
        c,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .await
}
