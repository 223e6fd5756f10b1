//! The real binary, as separate processes: restarts keep data, the admin command
//! works, two instances on one PostgreSQL serialise one wallet correctly, and SIGTERM
//! shuts an instance down gracefully.

use crate::support::{Backend, FreshDb, PG_ENV, TEST_JWT_SECRET, decode, service_url};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_acmetocasino");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(db_url: &str, data_dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("ACMETOCASINO_JWT_SECRET", TEST_JWT_SECRET)
        .env("ACMETOCASINO_DATA_DIR", data_dir)
        .env("ACMETOCASINO_WORKERS", "2")
        .env("ACMETOCASINO_ARGON2_MEMORY_KIB", "256")
        .env("ACMETOCASINO_ARGON2_ITERATIONS", "1")
        .env("ACMETOCASINO_LOG", "warn");
    c
}

/// A server process, killed on drop; its log (stdout) in a file.
pub struct Server {
    child: Child,
    pub port: u16,
    pub base: String,
    log: PathBuf,
}

impl Server {
    pub async fn start(db_url: &str, data_dir: &Path) -> Self {
        Self::start_with(db_url, data_dir, &[]).await
    }

    /// A server with more configuration variables, ready (migrations included) once
    /// this returns.
    pub async fn start_with(db_url: &str, data_dir: &Path, env: &[(&str, String)]) -> Self {
        Self::start_at(free_port(), db_url, data_dir, env).await
    }

    /// [`Server::start_with`] on a given port (a restarted instance where a proxy
    /// expects it).
    pub async fn start_at(port: u16, db_url: &str, data_dir: &Path, env: &[(&str, String)]) -> Self {
        let log = data_dir.join(format!("server-{port}.log"));
        let child = command(db_url, data_dir)
            .env("ACMETOCASINO_BIND", format!("127.0.0.1:{port}"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let server = Server { child, port, base: format!("http://127.0.0.1:{port}"), log };
        // Wait for readiness by polling it, with a deadline.
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/api/v2/health/ready", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not become ready:\n{}", server.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends `signal` (`TERM`, `KILL`, …) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -s {signal} failed");
    }

    /// Waits for the process to exit, without blocking the runtime's threads.
    pub async fn exited(&mut self) -> ExitStatus {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether a new connection to the server is refused (its listener is closed).
    pub fn refuses_connections(&self) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> crate::support::Reply {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    decode(req.send().await.unwrap()).await
}

pub async fn login(base: &str, user: &str, password: &str) -> String {
    let r = call(
        base,
        reqwest::Method::POST,
        "/api/v2/auth/login",
        None,
        Some(json!({"username": user, "password": password})),
    )
    .await;
    r.ok(200)["access_token"].as_str().unwrap().to_owned()
}

pub fn admin_create(db_url: &str, data_dir: &Path, user: &str, role: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = command(db_url, data_dir)
        .args([
            "admin",
            "create",
            "--username",
            user,
            "--email",
            &format!("{user}@acme.example"),
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

crate::both_backends! {
    async fn restarting_the_server_keeps_all_data(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(&fresh.url, dir.path()).await;
        let reg = call(&server.base, reqwest::Method::POST, "/api/v2/players", None, Some(json!({
            "username": "persist", "email": "persist@example.com", "password": "correct horse",
            "date_of_birth": "1980-02-29", "country": "MT"}))).await;
        let id = reg.ok(201)["id"].as_str().unwrap().to_owned();
        let token = login(&server.base, "persist", "correct horse").await;
        let dep = call(&server.base, reqwest::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(json!({"amount": 4_200, "idempotency_key": "before-restart"}))).await;
        let event_id = dep.ok(201)["id"].clone();
        // A hard kill: nothing gets a chance to flush.
        server.kill();

        let server = Server::start(&fresh.url, dir.path()).await;
        let token = login(&server.base, "persist", "correct horse").await;
        let bal = call(&server.base, reqwest::Method::GET, &format!("/api/v2/wallet/{id}/balance"), Some(&token), None).await;
        assert_eq!((bal.ok(200)["cash"].as_i64(), bal.body["seq"].as_i64()), (Some(4_200), Some(1)));
        // The idempotency record survived too.
        let again = call(&server.base, reqwest::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(json!({"amount": 4_200, "idempotency_key": "before-restart"}))).await;
        assert_eq!(again.ok(201)["id"], event_id);
    }

    async fn the_admin_command_creates_staff_who_can_sign_in(backend) {
        let Some(fresh) = FreshDb::new(backend).await else { return };
        let dir = tempfile::tempdir().unwrap();
        let out = admin_create(&fresh.url, dir.path(), "first_admin", "admin", "very secret pass");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("created admin account first_admin"));
        let dup = admin_create(&fresh.url, dir.path(), "first_admin", "admin", "very secret pass");
        assert!(!dup.status.success());
        assert!(String::from_utf8_lossy(&dup.stderr).contains("already taken"), "{}", String::from_utf8_lossy(&dup.stderr));
        let bad = admin_create(&fresh.url, dir.path(), "someone", "player", "very secret pass");
        assert!(!bad.status.success());
        let server = Server::start(&fresh.url, dir.path()).await;
        let admin = login(&server.base, "first_admin", "very secret pass").await;
        let staff = call(&server.base, reqwest::Method::POST, "/api/v2/staff", Some(&admin), Some(json!({
            "username": "second", "email": "second@acme.example", "password": "another secret", "role": "operator"}))).await;
        assert_eq!(staff.ok(201)["role"], "operator");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_on_one_postgres_never_overdraw_a_wallet() {
    if service_url(PG_ENV).is_none() {
        return;
    }
    let fresh = FreshDb::new(Backend::Postgres).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(admin_create(&fresh.url, dir.path(), "ops", "admin", "operator pass").status.success());
    let a = Server::start(&fresh.url, dir.path()).await;
    let b = Server::start(&fresh.url, dir.path()).await;
    let reg = call(
        &a.base,
        reqwest::Method::POST,
        "/api/v2/players",
        None,
        Some(json!({
        "username": "shared", "email": "shared@example.com", "password": "correct horse",
        "date_of_birth": "1985-06-01", "country": "DE"})),
    )
    .await;
    let id = reg.ok(201)["id"].as_str().unwrap().to_owned();
    let player = login(&b.base, "shared", "correct horse").await;
    let kyc = call(
        &b.base,
        reqwest::Method::POST,
        &format!("/api/v2/compliance/kyc/{id}/submit"),
        Some(&player),
        Some(crate::support::kyc_documents("shared")),
    )
    .await;
    assert_eq!(kyc.ok(201)["status"], "approved");
    let op = login(&a.base, "ops", "operator pass").await;
    call(
        &a.base,
        reqwest::Method::POST,
        "/api/v2/wallet/deposit",
        Some(&player),
        Some(json!({"amount": 3_200, "idempotency_key": "fund"})),
    )
    .await
    .ok(201);

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
            let (player, op, id) = (player.clone(), op.clone(), id.clone());
            tokio::spawn(async move {
                if i % 4 < 2 {
                    call(
                        &base,
                        reqwest::Method::POST,
                        "/api/v2/wallet/withdraw",
                        Some(&player),
                        Some(json!({"amount": 100, "idempotency_key": format!("w{i}")})),
                    )
                    .await
                } else {
                    call(
                        &base,
                        reqwest::Method::POST,
                        &format!("/api/v2/wallet/{id}/transaction"),
                        Some(&op),
                        Some(json!({"type": "BET", "amount": 100, "idempotency_key": format!("b{i}"), "reason": "test bet"})),
                    )
                    .await
                }
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => ok += 1,
            422 => assert_eq!(r.code(), "insufficient_funds"),
            s => panic!("unexpected {s}: {:#}", r.body),
        }
    }
    assert_eq!(ok, 32, "exactly the funded amount went out");
    let bal = call(&b.base, reqwest::Method::GET, &format!("/api/v2/wallet/{id}/balance"), Some(&player), None).await;
    assert_eq!((bal.ok(200)["cash"].as_i64(), bal.body["seq"].as_i64()), (Some(0), Some(33)));
    let hist =
        call(&a.base, reqwest::Method::GET, &format!("/api/v2/wallet/{id}/history?limit=500"), Some(&player), None)
            .await;
    let events = hist.ok(200)["events"].as_array().unwrap().clone();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=33).rev().collect::<Vec<_>>(), "gapless, newest first");
    assert!(events.iter().all(|e| e["cash_balance_after"].as_i64().unwrap() >= 0));
    let v = call(&b.base, reqwest::Method::GET, &format!("/api/v2/wallet/{id}/verify"), Some(&op), None).await;
    assert_eq!(v.ok(200)["consistent"], true, "{:#}", v.body);
    assert_eq!(v.body["folded_cash"], 0);
}

/// Registers a player on `base`, passes KYC and deposits `amount`; (id, token).
pub async fn funded_player(base: &str, name: &str, amount: i64) -> (String, String) {
    let reg = call(
        base,
        reqwest::Method::POST,
        "/api/v2/players",
        None,
        Some(json!({"username": name, "email": format!("{name}@example.com"), "password": "correct horse",
                    "date_of_birth": "1984-03-01", "country": "MT"})),
    )
    .await;
    let id = reg.ok(201)["id"].as_str().unwrap().to_owned();
    let token = login(base, name, "correct horse").await;
    let path = format!("/api/v2/compliance/kyc/{id}/submit");
    let kyc = call(base, reqwest::Method::POST, &path, Some(&token), Some(crate::support::kyc_documents(name))).await;
    assert_eq!(kyc.ok(201)["status"], "approved");
    let body = json!({"amount": amount, "idempotency_key": format!("fund-{name}")});
    call(base, reqwest::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(body)).await.ok(201);
    (id, token)
}

/// A server process with these settings on a fresh PostgreSQL database; `None` when
/// PostgreSQL is missing and the run allows it.
async fn on_postgres(env: &[(&str, String)]) -> Option<(FreshDb, tempfile::TempDir, Server)> {
    service_url(PG_ENV)?;
    let fresh = FreshDb::new(Backend::Postgres).await?;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&fresh.url, dir.path(), env).await;
    Some((fresh, dir, server))
}

/// A coin-flip round of 50.00 with this idempotency key.
pub fn coin_flip(key: &str) -> Value {
    json!({"game_slug": "coin-flip", "amount": 5_000, "params": {"side": "heads"}, "idempotency_key": key})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_rounds_in_flight_finish_then_stops_with_its_pools_closed() {
    let env = [("ACMETOCASINO_LOG", "info".to_owned()), ("ACMETOCASINO_SHUTDOWN_GRACE_SECONDS", "120".to_owned())];
    let Some((fresh, _dir, mut server)) = on_postgres(&env).await else { return };
    let mut players = Vec::new();
    for i in 0..4 {
        players.push(funded_player(&server.base, &format!("drain{i}"), 100_000).await);
    }
    let ids: Vec<String> = players.iter().map(|(id, _)| id.clone()).collect();
    let mut lock = crate::support::lock_wallets(&fresh.url, &ids).await;
    let bets: Vec<_> = players
        .iter()
        .enumerate()
        .map(|(i, (_, token))| {
            let (base, token) = (server.base.clone(), token.clone());
            tokio::spawn(async move {
                call(&base, reqwest::Method::POST, "/api/v2/gal/play", Some(&token), Some(coin_flip(&format!("r{i}"))))
                    .await
            })
        })
        .collect();
    // Every round is in flight: accepted, and waiting for its wallet inside the server.
    let mut probe = AsyncPgConnection::establish(&fresh.url).await.unwrap();
    crate::support::eventually("the four rounds wait for their wallets", async || {
        crate::support::lock_waiters(&mut probe).await == 4
    })
    .await;

    server.signal("TERM");
    crate::support::eventually("the listener closes", async || server.refuses_connections()).await;
    assert!(server.child.try_wait().unwrap().is_none(), "the server waits for its rounds");
    lock.batch_execute("COMMIT").await.unwrap();

    for bet in bets {
        let r = bet.await.unwrap();
        assert!(r.ok(200)["round_id"].is_string(), "{:#}", r.body);
        assert_eq!(r.headers.get("connection").and_then(|v| v.to_str().ok()), Some("close"));
    }
    let status = server.exited().await;
    assert!(status.success(), "{status}\n{}", server.log());
    let log = server.log();
    assert!(log.contains("shutting down") && log.contains("pools closed"), "{log}");
    let rounds = crate::support::pg_number(&mut probe, "SELECT count(*) AS n FROM rounds").await;
    let bets =
        crate::support::pg_number(&mut probe, "SELECT count(*) AS n FROM wallet_events WHERE event_type = 'BET'").await;
    assert_eq!((rounds, bets), (4, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_round_still_running_when_the_grace_period_ends_is_cut_and_leaves_nothing() {
    let env = [("ACMETOCASINO_SHUTDOWN_GRACE_SECONDS", "1".to_owned())];
    let Some((fresh, dir, mut server)) = on_postgres(&env).await else { return };
    let (id, token) = funded_player(&server.base, "late", 100_000).await;
    let mut lock = crate::support::lock_wallets(&fresh.url, std::slice::from_ref(&id)).await;
    let url = format!("{}/api/v2/gal/play", server.base);
    let bet = tokio::spawn({
        let token = token.clone();
        async move { reqwest::Client::new().post(url).bearer_auth(token).json(&coin_flip("late-1")).send().await }
    });
    let mut probe = AsyncPgConnection::establish(&fresh.url).await.unwrap();
    crate::support::eventually("the round waits for its wallet", async || {
        crate::support::lock_waiters(&mut probe).await == 1
    })
    .await;
    server.signal("TERM");
    // The process ends while the round still waits: the grace period is over.
    server.exited().await;
    assert!(bet.await.unwrap().is_err(), "a cut request gets no answer");
    lock.batch_execute("COMMIT").await.unwrap();

    let server = Server::start(&fresh.url, dir.path()).await;
    let path = format!("/api/v2/wallet/{id}/balance");
    let balance = call(&server.base, reqwest::Method::GET, &path, Some(&token), None).await;
    assert_eq!((balance.ok(200)["cash"].as_i64(), balance.body["seq"].as_i64()), (Some(100_000), Some(1)));
    assert_eq!(crate::support::pg_number(&mut probe, "SELECT count(*) AS n FROM rounds").await, 0);
    // The same request again is a new round, played normally.
    let again =
        call(&server.base, reqwest::Method::POST, "/api/v2/gal/play", Some(&token), Some(coin_flip("late-1"))).await;
    assert_eq!(again.ok(200)["rng"]["nonce"], 0, "{:#}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_shutdown_delay_an_instance_goes_on_serving_while_not_ready() {
    let env = [("ACMETOCASINO_SHUTDOWN_DELAY_SECONDS", "600".to_owned())];
    let Some((_fresh, _dir, server)) = on_postgres(&env).await else { return };
    let (_, token) = funded_player(&server.base, "delayed", 1_000).await;
    // The container health check: `acmetocasino healthcheck [--live]`.
    let healthcheck = |live: bool| {
        let mut c = Command::new(BIN);
        c.arg("healthcheck").env("ACMETOCASINO_BIND", format!("0.0.0.0:{}", server.port)).stderr(Stdio::null());
        if live {
            c.arg("--live");
        }
        c.status().unwrap().success()
    };
    assert!(healthcheck(false) && healthcheck(true));
    server.signal("TERM");
    let ready = async || {
        call(&server.base, reqwest::Method::GET, "/api/v2/health/ready", None, None).await.status.as_u16() == 503
    };
    crate::support::eventually("readiness turns 503", ready).await;
    call(&server.base, reqwest::Method::GET, "/api/v2/health/live", None, None).await.ok(200);
    assert!(!healthcheck(false) && healthcheck(true), "not ready, still live");
    let body = json!({"amount": 500, "idempotency_key": "after-sigterm"});
    call(&server.base, reqwest::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(body)).await.ok(201);
}
