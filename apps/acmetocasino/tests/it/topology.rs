//! The production topology on loopback: a PostgreSQL primary and its streaming
//! replica (`pg_basebackup`), Redis, two server processes, and Debian's nginx running
//! the shipped deploy/nginx.conf over TLS with a certificate made here. Through it:
//! the player flows, history from the replica, the WebSocket feed, SIGKILL of an
//! instance under concurrent bets, and SIGTERM of one with bets in flight.

use crate::processes::{Server, admin_create, coin_flip, free_port};
use crate::support::{
    ALLOW_MISSING_ENV, Options, REDIS_ENV, Reply, TestApp, eventually, lock_waiters, lock_wallets, pg_number,
    service_url,
};
use bytes::Bytes;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use testbed::{Nginx, Postgres, Tool};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, pki_types};

/// Whether every tool is installed; a missing one fails the test unless the run allows
/// missing services (then it is skipped).
pub fn installed(tools: &[Tool]) -> bool {
    let missing: Vec<&str> = tools.iter().filter(|t| !t.is_installed()).map(|t| t.apt_package()).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var(ALLOW_MISSING_ENV).is_ok_and(|v| v == "1"),
        "not installed: {} (`cargo xtask test` installs them as root)",
        missing.join(", ")
    );
    eprintln!("SKIPPED: not installed: {}", missing.join(", "));
    false
}

/// A PostgreSQL primary and a hot-standby streaming replica of it, with one database.
struct Replicated {
    primary: Postgres,
    replica: Postgres,
}

const DB: &str = "casino";

impl Replicated {
    async fn start() -> Self {
        let primary = tokio::task::spawn_blocking(Postgres::start).await.unwrap().unwrap();
        let mut c = AsyncPgConnection::establish(&primary.url()).await.unwrap();
        c.batch_execute(&format!("CREATE DATABASE {DB}")).await.unwrap();
        let (primary, replica) = tokio::task::spawn_blocking(move || {
            let replica = primary.replica().unwrap();
            (primary, replica)
        })
        .await
        .unwrap();
        Self { primary, replica }
    }

    fn primary_url(&self) -> String {
        self.primary.url_for(DB)
    }

    fn replica_url(&self) -> String {
        self.replica.url_for(DB)
    }

    /// Stops (or resumes) applying the WAL the replica receives: what it serves stays
    /// as it was, however far the primary moves on.
    async fn pause_replay(&self, paused: bool) {
        let mut c = AsyncPgConnection::establish(&self.replica_url()).await.unwrap();
        let f = if paused { "pg_wal_replay_pause" } else { "pg_wal_replay_resume" };
        c.batch_execute(&format!("SELECT {f}()")).await.unwrap();
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    async fn caught_up(&self) {
        let mut primary = AsyncPgConnection::establish(&self.primary_url()).await.unwrap();
        let mut replica = AsyncPgConnection::establish(&self.replica_url()).await.unwrap();
        #[derive(diesel::QueryableByName)]
        struct Lsn {
            #[diesel(sql_type = diesel::sql_types::Text)]
            lsn: String,
        }
        let lsn: Lsn = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn"),
            &mut primary,
        )
        .await
        .unwrap();
        let behind = format!(
            "SELECT GREATEST(pg_wal_lsn_diff('{}'::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint AS n",
            lsn.lsn
        );
        eventually("the replica catches up", async || pg_number(&mut replica, &behind).await == 0).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_replica_serves_history_and_lists_while_money_reads_the_primary() {
    if !installed(&[Tool::Postgres]) {
        return;
    }
    let pg = Replicated::start().await;
    let options = Options { env: vec![("DATABASE_READ_URL", pg.replica_url())], ..Options::default() };
    let app = TestApp::spawn_on(&pg.primary_url(), options, None).await.unwrap();
    let (id, token) = app.player("reader").await;
    let staff = app.staff("reader_ops", pam_core::Role::Operator).await;
    app.deposit(&token, 7_000, "first").await.ok(201);
    pg.caught_up().await;
    let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&token)).await;
    assert_eq!(history.ok(200)["events"].as_array().unwrap().len(), 1);

    // The replica stands still: whatever reads it goes on seeing the past.
    pg.pause_replay(true).await;
    app.deposit(&token, 3_000, "second").await.ok(201);
    let balance = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&token)).await;
    assert_eq!(balance.ok(200)["cash"], 10_000, "money reads the primary");
    let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&token)).await;
    assert_eq!(history.ok(200)["events"].as_array().unwrap().len(), 1, "history reads the replica");
    let recent = app.get("/api/v2/wallet/recent-events", Some(&staff)).await;
    assert_eq!(recent.ok(200).as_array().unwrap().len(), 1, "staff lists read the replica");
    let verify = app.get(&format!("/api/v2/wallet/{id}/verify"), Some(&staff)).await;
    assert_eq!(verify.ok(200)["events"], 2, "verification reads the primary");
    // A second deposit with the first one's key is still answered from the primary.
    let replay = app.deposit(&token, 3_000, "second").await;
    assert_eq!(replay.ok(201)["seq"], 2);
    let health = app.get("/api/v2/health", None).await;
    let replica = &health.ok(200)["replica"];
    assert_eq!((replica["status"].as_str(), replica["standby"].as_bool()), (Some("up"), Some(true)), "{health:#?}");
    assert!(replica["lag_bytes"].as_i64().unwrap() > 0, "{replica:#}");

    pg.pause_replay(false).await;
    pg.caught_up().await;
    let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&token)).await;
    assert_eq!(history.ok(200)["events"].as_array().unwrap().len(), 2);
    let health = app.get("/api/v2/health", None).await;
    assert_eq!(health.ok(200)["replica"]["lag_bytes"], 0, "{:#}", health.body);

    // Without the replica those reads go to the primary; /health says it is down.
    let Replicated { primary, replica } = pg;
    tokio::task::spawn_blocking(move || replica.stop().unwrap()).await.unwrap();
    let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&token)).await;
    assert_eq!(history.ok(200)["events"].as_array().unwrap().len(), 2);
    let health = app.get("/api/v2/health", None).await;
    assert_eq!(
        (health.ok(200)["status"].as_str(), health.body["replica"]["status"].as_str()),
        (Some("degraded"), Some("down"))
    );
    drop(app);
    tokio::task::spawn_blocking(move || drop(primary)).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// nginx with the shipped configuration

/// deploy/nginx.conf as the test runs it: each replacement must match (so a change to
/// the file's shape fails here rather than testing something else), and nothing else
/// changes.
fn render_nginx_conf(prefix: &Path, upstreams: [u16; 2], http: u16, https: u16) -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx.conf")).unwrap();
    let prefix = prefix.display();
    let replacements = [
        ("server app1:8090 ", format!("server 127.0.0.1:{} ", upstreams[0])),
        ("server app2:8090 ", format!("server 127.0.0.1:{} ", upstreams[1])),
        ("listen 80 default_server;", format!("listen 127.0.0.1:{http} default_server;")),
        ("listen [::]:80 default_server;", String::new()),
        ("listen 443 ssl http2 default_server;", format!("listen 127.0.0.1:{https} ssl http2 default_server;")),
        ("listen [::]:443 ssl http2 default_server;", String::new()),
        ("/etc/nginx/certs/", format!("{prefix}/certs/")),
        ("/var/cache/nginx/", format!("{prefix}/temp/")),
    ];
    let mut conf = shipped;
    for (from, to) in replacements {
        assert!(conf.contains(from), "deploy/nginx.conf no longer has `{from}`");
        conf = conf.replace(from, &to);
    }
    conf
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made with the openssl CLI.
fn make_certificate(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let status = std::process::Command::new(Tool::Openssl.find().unwrap())
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth", "-keyout"])
        .arg(dir.join("privkey.pem"))
        .arg("-out")
        .arg(dir.join("fullchain.pem"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl req failed");
}

/// The HTTPS side of nginx, as a client that trusts only the test's certificate.
#[derive(Clone)]
struct Edge {
    https: SocketAddr,
    tls: TlsConnector,
}

impl Edge {
    fn new(port: u16, ca: &Path, versions: &[&'static rustls::SupportedProtocolVersion]) -> Self {
        use pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        // ring lacks post-quantum key exchange, which a loopback test does not need;
        // aws-lc-rs would add minutes of C compilation to every CI run.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { https: SocketAddr::from(([127, 0, 0, 1], port)), tls: TlsConnector::from(Arc::new(config)) }
    }

    async fn tls(&self) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
        let tcp = tokio::net::TcpStream::connect(self.https).await?;
        let name = pki_types::ServerName::try_from("localhost").unwrap();
        self.tls.connect(name, tcp).await
    }

    async fn connect(&self) -> Result<Conn, String> {
        let tls = self.tls().await.map_err(|e| format!("TLS: {e}"))?;
        let version = tls.get_ref().1.protocol_version();
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(Conn { sender, version })
    }

    /// One request on a connection of its own.
    async fn call(&self, method: hyper::Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.connect().await.unwrap().send(method, path, token, body, None).await.unwrap()
    }
}

/// One HTTP/1.1 connection through nginx.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    version: Option<rustls::ProtocolVersion>,
}

impl Conn {
    async fn send(
        &mut self,
        method: hyper::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        correlation_id: Option<&str>,
    ) -> Result<Reply, String> {
        let mut request = hyper::Request::builder().method(method).uri(path).header("host", "localhost");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(id) = correlation_id {
            request = request.header("x-correlation-id", id);
        }
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(&body).unwrap())
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(bytes)).unwrap();
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok(Reply { status: parts.status, headers: parts.headers, body })
    }
}

/// The whole topology: replicated PostgreSQL, two instances, nginx in front.
struct Topology {
    pg: Replicated,
    redis_url: String,
    dir: tempfile::TempDir,
    a: Server,
    b: Server,
    nginx: Nginx,
    edge: Edge,
    http_port: u16,
}

impl Topology {
    fn env(&self) -> Vec<(&'static str, String)> {
        instance_env(&self.pg, &self.redis_url)
    }

    /// Requests whose correlation ids an instance's log shows it served.
    fn served_by(server: &Server, ids: &[String]) -> usize {
        let log = server.log();
        ids.iter().filter(|id| log.contains(id.as_str())).count()
    }
}

fn instance_env(pg: &Replicated, redis_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_READ_URL", pg.replica_url()),
        ("REDIS_URL", redis_url.to_owned()),
        ("ACMETOCASINO_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("ACMETOCASINO_LOGIN_LIMIT_PER_IP", "100000".into()),
        ("ACMETOCASINO_REGISTRATION_LIMIT_PER_IP", "100000".into()),
        ("ACMETOCASINO_SHUTDOWN_GRACE_SECONDS", "120".into()),
        // Each request's completion line carries its correlation id: which instance
        // served a request is read from the logs.
        ("ACMETOCASINO_LOG", "info".into()),
    ]
}

async fn topology() -> Option<Topology> {
    if !installed(&[Tool::Postgres, Tool::Nginx, Tool::Openssl]) {
        return None;
    }
    let redis_url = service_url(REDIS_ENV)?;
    let pg = Replicated::start().await;
    let dir = tempfile::tempdir().unwrap();
    let admin = admin_create(&pg.primary_url(), dir.path(), "edge_admin", "admin", "edge admin pass");
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    let env = instance_env(&pg, &redis_url);
    let a = Server::start_with(&pg.primary_url(), dir.path(), &env).await;
    let b = Server::start_with(&pg.primary_url(), dir.path(), &env).await;

    let mut nginx = Nginx::prepare().unwrap();
    let prefix = nginx.prefix().to_path_buf();
    make_certificate(&prefix.join("certs"));
    std::fs::create_dir_all(prefix.join("temp")).unwrap();
    let (http_port, https_port) = (free_port(), free_port());
    let conf = render_nginx_conf(&prefix, [a.port, b.port], http_port, https_port);
    let said = nginx.check(&conf).unwrap();
    assert!(said.contains("syntax is ok") && said.contains("test is successful"), "{said}");
    assert!(!said.contains("[emerg]") && !said.contains("[warn]"), "nginx -t: {said}");
    tokio::task::block_in_place(|| nginx.start(&conf, &[http_port, https_port])).unwrap();
    let edge = Edge::new(https_port, &prefix.join("certs/fullchain.pem"), rustls::ALL_VERSIONS);
    Some(Topology { pg, redis_url, dir, a, b, nginx, edge, http_port })
}

/// Registers a player through nginx, passes KYC, deposits `amount`; (id, token).
async fn edge_player(edge: &Edge, name: &str, amount: i64) -> (String, String) {
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "correct horse",
                      "date_of_birth": "1984-03-01", "country": "MT"});
    let id = edge.call(hyper::Method::POST, "/api/v2/players", None, Some(body)).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = edge_login(edge, name, "correct horse").await;
    let kyc = edge
        .call(
            hyper::Method::POST,
            &format!("/api/v2/compliance/kyc/{id}/submit"),
            Some(&token),
            Some(crate::support::kyc_documents(name)),
        )
        .await;
    assert_eq!(kyc.ok(201)["status"], "approved");
    let deposit = json!({"amount": amount, "idempotency_key": format!("fund-{name}")});
    edge.call(hyper::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(deposit)).await.ok(201);
    (id, token)
}

async fn edge_login(edge: &Edge, name: &str, password: &str) -> String {
    let body = json!({"username": name, "password": password});
    let r = edge.call(hyper::Method::POST, "/api/v2/auth/login", None, Some(body)).await;
    r.ok(200)["access_token"].as_str().unwrap().to_owned()
}

/// What became of one bet sent through nginx.
#[derive(Debug, Clone)]
enum Outcome {
    /// Acknowledged: the round id and its payout.
    Played { round: String, payout: i64 },
    /// Refused by a rule (`422`): nothing written.
    Refused(String),
    /// No answer from an instance: a `502` from nginx, or the connection failed.
    Failed(String),
}

async fn bet(conn: &mut Option<Conn>, edge: &Edge, token: &str, key: &str) -> Outcome {
    if conn.is_none() {
        match edge.connect().await {
            Ok(c) => *conn = Some(c),
            Err(e) => return Outcome::Failed(e),
        }
    }
    let c = conn.as_mut().unwrap();
    match c.send(hyper::Method::POST, "/api/v2/gal/play", Some(token), Some(coin_flip(key)), Some(key)).await {
        Ok(r) if r.status == 200 => Outcome::Played {
            round: r.body["round_id"].as_str().unwrap().to_owned(),
            payout: r.body["payout"].as_i64().unwrap(),
        },
        Ok(r) if r.status == 422 => Outcome::Refused(r.code().to_owned()),
        Ok(r) => {
            *conn = None;
            Outcome::Failed(r.status.to_string())
        }
        Err(e) => {
            *conn = None;
            Outcome::Failed(e)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_nginx_over_tls_survive_sigkill_and_drain_on_sigterm() {
    let Some(mut t) = topology().await else { return };
    let edge = t.edge.clone();

    // ---- the edge: HTTP redirects, TLS 1.2 and 1.3, headers, correlation ids
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect = plain.get(format!("http://127.0.0.1:{}/api/v2/health?x=1", t.http_port)).send().await.unwrap();
    assert_eq!(redirect.status(), 301);
    assert_eq!(redirect.headers()["location"], "https://127.0.0.1/api/v2/health?x=1");
    for (versions, expected) in [
        (&[&rustls::version::TLS12], rustls::ProtocolVersion::TLSv1_2),
        (&[&rustls::version::TLS13], rustls::ProtocolVersion::TLSv1_3),
    ] {
        let only = Edge::new(edge.https.port(), &t.nginx.prefix().join("certs/fullchain.pem"), versions);
        let mut conn = only.connect().await.unwrap();
        assert_eq!(conn.version, Some(expected));
        let ready =
            conn.send(hyper::Method::GET, "/api/v2/health/ready", None, None, Some("edge-ready.1")).await.unwrap();
        assert_eq!(ready.ok(200)["status"], "ready");
        assert_eq!(ready.headers["x-correlation-id"], "edge-ready.1", "the correlation id passes through");
        assert!(ready.headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
        for header in ["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"] {
            assert_eq!(ready.headers.get_all(header).iter().count(), 1, "one {header}: {:?}", ready.headers);
        }
        assert_eq!(ready.headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
        assert!(!ready.headers.contains_key("server") || ready.headers["server"] == "nginx", "no version shown");
    }
    let page = edge.call(hyper::Method::GET, "/", None, None).await;
    assert!(
        page.headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"),
        "pages keep theirs"
    );
    let metrics = edge.call(hyper::Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 404, "metrics are not published at the edge");
    let big = json!({"username": "x".repeat(70_000)});
    let too_big = edge.call(hyper::Method::POST, "/api/v2/auth/login", None, Some(big)).await;
    assert_eq!(too_big.status, 413, "the request size limit");

    // ---- a player's flows and the staff feed, through nginx
    let staff = edge_login(&edge, "edge_admin", "edge admin pass").await;
    let tls = edge.tls().await.unwrap();
    let url = format!("wss://localhost:{}/api/v2/ws?token={staff}&channels=game.rounds", edge.https.port());
    let (mut ws, upgrade) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    assert_eq!(upgrade.status(), 101);
    let (id, token) = edge_player(&edge, "edge_player", 200_000).await;
    let mut played = HashSet::new();
    let mut conn = None;
    for i in 0..6 {
        match bet(&mut conn, &edge, &token, &format!("edge-{i}")).await {
            Outcome::Played { round, .. } => played.insert(round),
            other => panic!("{other:?}"),
        };
    }
    let ids: Vec<String> = (0..6).map(|i| format!("edge-{i}")).collect();
    assert!(Topology::served_by(&t.a, &ids) > 0 && Topology::served_by(&t.b, &ids) > 0, "both instances played");
    // Every round reaches the feed, whichever instance played it (Redis fans out).
    let mut seen = HashSet::new();
    while seen.len() < played.len() {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next()).await.unwrap().unwrap().unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
            let event: Value = serde_json::from_str(&text).unwrap();
            if let Some(round) = event["payload"]["round_id"].as_str().filter(|r| played.contains(*r)) {
                seen.insert(round.to_owned());
            }
        }
    }
    ws.close(None).await.unwrap();

    // ---- history comes from the replica: paused, it shows the past
    t.pg.caught_up().await;
    t.pg.pause_replay(true).await;
    let deposit = json!({"amount": 1_000, "idempotency_key": "while-paused"});
    let posted = edge.call(hyper::Method::POST, "/api/v2/wallet/deposit", Some(&token), Some(deposit)).await;
    let seq = posted.ok(201)["seq"].as_i64().unwrap();
    let history = edge.call(hyper::Method::GET, &format!("/api/v2/wallet/{id}/history"), Some(&token), None).await;
    assert_eq!(history.ok(200)["events"][0]["seq"].as_i64(), Some(seq - 1), "the replica has not replayed it");
    let balance = edge.call(hyper::Method::GET, &format!("/api/v2/wallet/{id}/balance"), Some(&token), None).await;
    assert_eq!(balance.ok(200)["seq"].as_i64(), Some(seq), "the primary has");
    t.pg.pause_replay(false).await;
    t.pg.caught_up().await;
    let history = edge.call(hyper::Method::GET, &format!("/api/v2/wallet/{id}/history"), Some(&token), None).await;
    assert_eq!(history.ok(200)["events"][0]["seq"].as_i64(), Some(seq));

    // ---- SIGKILL of an instance in the middle of concurrent bets
    const PLAYERS: usize = 8;
    const BETS: usize = 30;
    let mut players = Vec::new();
    for p in 0..PLAYERS {
        players.push(edge_player(&edge, &format!("load{p}"), 200_000).await);
    }
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = players
        .iter()
        .enumerate()
        .map(|(p, (_, token))| {
            let (edge, token, acknowledged) = (edge.clone(), token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let mut conn = None;
                let mut outcomes = Vec::new();
                for i in 0..BETS {
                    let key = format!("load{p}-{i}");
                    let outcome = bet(&mut conn, &edge, &token, &key).await;
                    if !matches!(outcome, Outcome::Failed(_)) {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    outcomes.push((key, outcome));
                }
                outcomes
            })
        })
        .collect();
    eventually("a third of the bets are answered", async || acknowledged.load(Ordering::SeqCst) >= PLAYERS * BETS / 3)
        .await;
    t.a.signal("KILL");
    let answered_at_kill = acknowledged.load(Ordering::SeqCst);
    let mut outcomes: Vec<(String, String, Outcome)> = Vec::new();
    for (task, (_, token)) in tasks.into_iter().zip(&players) {
        for (key, outcome) in task.await.unwrap() {
            outcomes.push((key, token.clone(), outcome));
        }
    }
    let failed: Vec<&(String, String, Outcome)> =
        outcomes.iter().filter(|(_, _, o)| matches!(o, Outcome::Failed(_))).collect();
    let after_kill = outcomes.iter().filter(|(_, _, o)| !matches!(o, Outcome::Failed(_))).count() - answered_at_kill;
    eprintln!(
        "SIGKILL at {answered_at_kill} answered bets; {} answered after it, {} failed: {:?}",
        after_kill,
        failed.len(),
        failed.iter().map(|(k, _, o)| format!("{k}: {o:?}")).collect::<Vec<_>>()
    );
    assert!(after_kill > 0, "traffic continued through the other instance");
    // A failed request is answered on a retry with the same key, by the survivor:
    // with its round if the killed instance had committed it, else with a new one.
    let mut rounds_by_key: BTreeMap<String, (String, i64)> = BTreeMap::new();
    let mut conn = None;
    for (key, token, outcome) in &outcomes {
        let outcome = match outcome {
            Outcome::Failed(_) => bet(&mut conn, &edge, token, key).await,
            answered => answered.clone(),
        };
        match outcome {
            Outcome::Played { round, payout } => {
                rounds_by_key.insert(key.clone(), (round, payout));
            }
            Outcome::Refused(code) => assert_eq!(code, "insufficient_funds", "{key}"),
            Outcome::Failed(e) => panic!("{key} failed again, with an instance still up: {e}"),
        }
    }

    // Every acknowledged round is in the database exactly once, whole.
    let mut db = AsyncPgConnection::establish(&t.pg.primary_url()).await.unwrap();
    for (key, (round, payout)) in &rounds_by_key {
        let sql = format!(
            "SELECT count(*) AS n FROM rounds r \
             JOIN wallet_events b ON b.id = r.bet_event_id AND b.event_type = 'BET' AND b.amount = r.amount \
             LEFT JOIN wallet_events w ON w.id = r.win_event_id AND w.event_type = 'WIN' AND w.amount = r.payout \
             WHERE r.id = '{round}' AND r.idempotency_key = '{key}' AND r.payout = {payout} \
               AND (r.payout = 0) = (w.id IS NULL)"
        );
        assert_eq!(pg_number(&mut db, &sql).await, 1, "round {round} ({key}) is not there, once and whole");
    }
    let load_rounds = "SELECT count(*) AS n FROM rounds WHERE idempotency_key LIKE 'load%'";
    assert_eq!(pg_number(&mut db, load_rounds).await as usize, rounds_by_key.len(), "no round twice, none unasked");
    let half_written = "SELECT count(*) AS n FROM rounds r \
         LEFT JOIN wallet_events b ON b.id = r.bet_event_id AND b.event_type = 'BET' \
         LEFT JOIN wallet_events w ON w.id = r.win_event_id AND w.event_type = 'WIN' \
         WHERE b.id IS NULL OR (r.payout > 0) <> (w.id IS NOT NULL)";
    assert_eq!(pg_number(&mut db, half_written).await, 0, "a round without its BET, or its WIN");
    let orphans = "SELECT count(*) AS n FROM wallet_events e WHERE e.event_type IN ('BET', 'WIN') \
         AND NOT EXISTS (SELECT 1 FROM rounds r WHERE r.bet_event_id = e.id OR r.win_event_id = e.id)";
    assert_eq!(pg_number(&mut db, orphans).await, 0, "a BET or WIN without its round");
    for (player, _) in players.iter().chain(std::iter::once(&(id.clone(), token.clone()))) {
        let verify =
            edge.call(hyper::Method::GET, &format!("/api/v2/wallet/{player}/verify"), Some(&staff), None).await;
        assert_eq!(verify.ok(200)["consistent"], true, "{:#}", verify.body);
    }

    // ---- SIGTERM with bets in flight: the restarted instance drains
    let env = t.env();
    let a_port = t.a.port;
    t.a = Server::start_at(a_port, &t.pg.primary_url(), t.dir.path(), &env).await;
    // nginx leaves a failed instance out for fail_timeout; wait until it serves again.
    let mut probe = 0;
    eventually("nginx routes to the restarted instance", async || {
        probe += 1;
        let id = format!("probe-{probe}");
        let mut conn = edge.connect().await.unwrap();
        conn.send(hyper::Method::GET, "/api/v2/health/live", None, None, Some(&id)).await.unwrap().ok(200);
        Topology::served_by(&t.a, &[id]) == 1
    })
    .await;
    let in_flight: Vec<(String, String)> = players.iter().take(6).cloned().collect();
    let ids: Vec<String> = in_flight.iter().map(|(id, _)| id.clone()).collect();
    let mut lock = lock_wallets(&t.pg.primary_url(), &ids).await;
    let keys: Vec<String> = (0..in_flight.len()).map(|i| format!("drain-{i}")).collect();
    let bets: Vec<_> = in_flight
        .iter()
        .zip(&keys)
        .map(|((_, token), key)| {
            let (edge, token, key) = (edge.clone(), token.clone(), key.clone());
            tokio::spawn(async move { bet(&mut None, &edge, &token, &key).await })
        })
        .collect();
    eventually("every bet waits inside an instance", async || lock_waiters(&mut db).await == keys.len() as i64).await;
    t.a.signal("TERM");
    eventually("the instance stops accepting", async || t.a.refuses_connections()).await;
    lock.batch_execute("COMMIT").await.unwrap();
    for bet in bets {
        let outcome = bet.await.unwrap();
        assert!(matches!(outcome, Outcome::Played { .. }), "accepted before SIGTERM, so answered: {outcome:?}");
    }
    assert!(t.a.exited().await.success(), "{}", t.a.log());
    assert!(Topology::served_by(&t.a, &keys) > 0, "some of the bets were in flight on the drained instance");
    // New traffic goes to the other instance; nothing fails.
    let mut conn = None;
    for (i, (_, token)) in players.iter().enumerate() {
        let outcome = bet(&mut conn, &edge, token, &format!("after-drain-{i}")).await;
        assert!(!matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    }

    // ---- nothing that authenticates reached the access log
    let access = std::fs::read_to_string(t.nginx.stdout_log()).unwrap();
    assert!(access.contains("POST /api/v2/gal/play"), "{access}");
    assert!(access.contains("GET /api/v2/ws"), "{access}");
    for secret in players.iter().map(|(_, token)| token).chain([&token, &staff]) {
        assert!(!access.contains(secret.as_str()), "a token in the access log");
    }
    assert!(!access.contains("token="), "a query string in the access log");
}
