//! The real binary, as separate processes: restarts keep data, the admin command
//! works, and two instances on one PostgreSQL serialise one wallet correctly.

use crate::support::{Backend, FreshDb, PG_ENV, TEST_JWT_SECRET, decode, service_url};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_acmetocasino");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(db_url: &str, data_dir: &std::path::Path) -> Command {
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

/// A server process, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db_url: &str, data_dir: &std::path::Path) -> Self {
        let port = free_port();
        let child = command(db_url, data_dir)
            .env("ACMETOCASINO_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        // Wait for readiness (migrations included) by polling health, with a deadline.
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/api/v2/health", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

async fn call(
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

async fn login(base: &str, user: &str, password: &str) -> String {
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

fn admin_create(
    db_url: &str,
    data_dir: &std::path::Path,
    user: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
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
