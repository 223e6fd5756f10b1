//! Security hardening (issue 12): what error answers disclose, what the national
//! register discloses and how it matches, and the settings that lock a deployment down.

use crate::support::{Backend, FreshDb, Options, PG_ENV, TestApp, kyc_documents, on_database, service_url};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use pam_core::Role;
use serde_json::{Value, json};

/// Text that only a database, a driver or a library would write.
const INTERNALS: &[&str] = &[
    "database",
    "diesel",
    "record not found",
    "sqlite",
    "postgres",
    "pool",
    "timeout(",
    "jsonwebtoken",
    "invalidtoken",
    "expiredsignature",
    "base64",
    "secret-cause",
];

#[track_caller]
fn discloses_nothing(body: &Value) {
    let text = body.to_string().to_lowercase();
    for word in INTERNALS {
        assert!(!text.contains(word), "{word:?} in {body:#}");
    }
}

fn staff_id(app: &TestApp, token: &str) -> String {
    app.state.jwt.verify(token, chrono::Utc::now()).unwrap().sub.to_string()
}

crate::both_backends! {
    async fn a_malformed_path_beside_a_token_is_400_not_a_dropped_connection(backend) {
        // The token's session is read while the path fails to parse: that read is
        // cancelled mid-statement. On SQLite its wait crashed the actix worker (a
        // current-thread runtime), and the client got no answer at all.
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        app.staff("pathfinder", Role::Operator).await;
        for _ in 0..8 {
            // A fresh sign-in: its session is not cached yet, so the read goes to the database.
            let token = app.login("pathfinder", "staff password").await;
            app.get("/api/v2/players/not-a-uuid", Some(&token)).await.problem(400, "validation_error");
        }
    }

    async fn staff_acting_on_their_own_id_get_a_4xx_never_a_5xx(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        for (name, role) in [("self_officer", Role::Compliance), ("self_op", Role::Operator), ("self_admin", Role::Admin)] {
            let t = app.staff(name, role).await;
            let s = staff_id(&app, &t);
            let calls: Vec<(reqwest::Method, String, Option<Value>)> = vec![
                (reqwest::Method::POST, format!("/api/v2/compliance/kyc/{s}/submit"), Some(kyc_documents(name))),
                (reqwest::Method::POST, format!("/api/v2/compliance/kyc/{s}/verify"), Some(json!({"decision": "approve"}))),
                (reqwest::Method::GET, format!("/api/v2/compliance/kyc/{s}"), None),
                (reqwest::Method::GET, format!("/api/v2/players/{s}"), None),
                (reqwest::Method::GET, format!("/api/v2/wallet/{s}/balance"), None),
                (reqwest::Method::GET, format!("/api/v2/wallet/{s}/history"), None),
                (reqwest::Method::GET, format!("/api/v2/wallet/{s}/verify"), None),
                (reqwest::Method::POST, format!("/api/v2/wallet/{s}/transaction"), Some(json!({"type": "DEPOSIT", "amount": 100, "idempotency_key": "own"}))),
                (reqwest::Method::POST, "/api/v2/wallet/deposit".into(), Some(json!({"amount": 100, "idempotency_key": "own", "player_id": s}))),
                (reqwest::Method::POST, "/api/v2/wallet/withdraw".into(), Some(json!({"amount": 100, "idempotency_key": "own", "player_id": s}))),
                (reqwest::Method::GET, format!("/api/v2/responsible-gaming/limits/{s}"), None),
                (reqwest::Method::GET, format!("/api/v2/responsible-gaming/status/{s}"), None),
                (reqwest::Method::POST, format!("/api/v2/responsible-gaming/limits/{s}"), Some(json!({"period": "daily", "amount": 100}))),
                (reqwest::Method::POST, format!("/api/v2/responsible-gaming/exclude/{s}"), Some(json!({"kind": "timeout", "duration": "24_hours"}))),
                (reqwest::Method::GET, "/api/v2/gal/fairness".into(), None),
                (reqwest::Method::POST, "/api/v2/gal/launch".into(), Some(json!({"game_slug": "dice"}))),
            ];
            for (method, path, body) in calls {
                let r = app.request(method.clone(), &path, Some(&t), body).await;
                assert!(r.status.is_client_error(), "{name}: {method} {path}: {} {:#}", r.status, r.body);
                discloses_nothing(&r.body);
            }
        }
    }

    async fn a_write_the_database_refuses_is_500_with_a_generic_body(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("refused").await;
        on_database(
            &app,
            "CREATE TRIGGER refuse BEFORE INSERT ON wallet_events BEGIN SELECT RAISE(ABORT, 'secret-cause'); END;",
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'secret-cause'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON wallet_events FOR EACH ROW EXECUTE FUNCTION refuse();",
        ).await;
        let r = app.deposit(&t, 100, "refused").await;
        r.problem(500, "internal_error");
        discloses_nothing(&r.body);
        assert!(r.headers.get("x-correlation-id").is_some(), "the id to find the cause in the log by");
        let balance = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&t)).await.ok(200).clone();
        assert_eq!(balance["seq"], 0, "nothing written");
    }

    async fn free_text_fields_refuse_nul_and_control_characters(backend) {
        let Some(app) = TestApp::spawn(backend, Options { env: vec![("ACMETOCASINO_KYC_AUTO_DECIDE", "false".into())], ..Options::default() }).await else { return };
        let officer = app.staff("text_officer", Role::Compliance).await;
        let (id, t) = app.player_without_kyc("texter").await;
        let mut docs = kyc_documents("texter");
        docs["address"] = json!("Storgatan 1\u{0}, Stockholm");
        let r = app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), docs).await;
        r.problem(400, "validation_error");
        assert_eq!(r.body["errors"][0]["field"], "address");
        app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), kyc_documents("texter")).await.ok(201);
        for reason in ["blurred\u{0}", "line\nbreak", "bell\u{7}", "c1\u{85}"] {
            let r = app.post(&format!("/api/v2/compliance/kyc/{id}/verify"), Some(&officer), json!({"decision": "reject", "reason": reason})).await;
            r.problem(400, "validation_error");
            assert_eq!(r.body["errors"][0]["field"], "reason");
        }
        let kyc = app.get(&format!("/api/v2/compliance/kyc/{id}"), Some(&officer)).await.ok(200).clone();
        assert_eq!(kyc["kyc_status"], "pending", "no decision was written");
        let entry = json!({"full_name": "Nul\u{0}Person", "date_of_birth": "1980-05-05", "email": "nul@example.com"});
        let r = app.post("/api/v2/compliance/exclusion-register", Some(&officer), entry).await;
        r.problem(400, "validation_error");
        assert_eq!(r.body["errors"][0]["field"], "full_name");
        let r = app.post("/api/v2/wallet/deposit", Some(&t), json!({"amount": 100, "idempotency_key": "ref", "reference": "pay\u{1b}[31m"})).await;
        r.problem(400, "validation_error");
        for login in ["texter\u{0}", "texter@example.com\u{0}"] {
            let r = app.post("/api/v2/auth/login", None, json!({"username": login, "password": "correct horse"})).await;
            r.problem(400, "validation_error");
        }
        let audit = app.get("/api/v2/audit-log", Some(&officer)).await.ok(200).clone();
        assert!(audit.as_array().unwrap().is_empty(), "nothing audited: {audit:#}");
    }

    async fn registering_answers_a_listed_person_like_anyone_else(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let officer = app.staff("oracle_officer", Role::Compliance).await;
        app.post("/api/v2/compliance/exclusion-register", Some(&officer), listed_person()).await.ok(201);
        // A form that is wrong anyway is refused the same way, listed or not.
        let listed = app.post("/api/v2/players", None, registration("x", "listed@example.com", "short", "1990-01-31")).await;
        let unlisted = app.post("/api/v2/players", None, registration("x", "free@example.com", "short", "1990-01-31")).await;
        listed.problem(400, "validation_error");
        assert_eq!(listed.body, unlisted.body);
        // A valid one opens the account, already self-excluded: no deposit, no play.
        let r = app.post("/api/v2/players", None, registration("second_try", "LISTED@example.com", "correct horse", "1985-03-03")).await;
        let player = r.ok(201).clone();
        assert_eq!(player["status"], "self_excluded");
        let t = app.login("second_try", "correct horse").await;
        app.deposit(&t, 100, "d").await.problem(422, "self_excluded");
        let id = player["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v2/players/{id}"), Some(&officer)).await.ok(200)["status"], "self_excluded");
        // Anyone else is registered active.
        let other = app.post("/api/v2/players", None, registration("free_one", "free@example.com", "correct horse", "1985-03-03")).await;
        assert_eq!(other.ok(201)["status"], "active");
    }

    async fn a_close_name_on_a_listed_birth_date_holds_kyc_for_review(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let officer = app.staff("match_officer", Role::Compliance).await;
        app.post("/api/v2/compliance/exclusion-register", Some(&officer), listed_person()).await.ok(201);
        for (i, name) in ["Gambler Persson", "G. Person", "Person Gambler", "Gambler Middle Person", "Gamble Parson"].into_iter().enumerate() {
            let (id, t) = app.player_without_kyc(&format!("close_{i}")).await;
            let mut docs = kyc_documents("x");
            docs["full_name"] = json!(name);
            let sub = app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), docs).await.ok(201).clone();
            assert_eq!(sub["status"], "pending", "{name}: held for staff review, not auto-approved");
            assert!(sub["reason"].is_null(), "the player is not told about someone else's entry: {sub:#}");
            // Pending: the pre-KYC allowance only, and no play.
            app.deposit(&t, 200_000, &format!("allowance{i}")).await.ok(201);
            app.deposit(&t, 1, &format!("beyond{i}")).await.problem(422, "kyc_required");
            app.post("/api/v2/gal/launch", Some(&t), json!({"game_slug": "dice"})).await.problem(422, "kyc_required");
            let queue = app.get("/api/v2/compliance/kyc?status=pending", Some(&officer)).await.ok(200).clone();
            assert!(queue.as_array().unwrap().iter().any(|s| s["player_id"] == id.as_str()), "{name}: in the staff queue");
        }
        let held = app.get("/api/v2/audit-log?action=kyc.held_for_register_review", Some(&officer)).await.ok(200).clone();
        assert_eq!(held.as_array().unwrap().len(), 5, "{held:#}");
        // Staff review decides; a different name on the same birth date is approved at once.
        let (id, t) = app.player_without_kyc("someone_else").await;
        let mut docs = kyc_documents("x");
        docs["full_name"] = json!("Ada Lovelace");
        let sub = app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), docs).await.ok(201).clone();
        assert_eq!(sub["status"], "approved");
        // The exact name on the listed birth date: listed, so the account is self-excluded.
        let (id, t) = app.player_without_kyc("exact").await;
        let mut docs = kyc_documents("x");
        docs["full_name"] = json!("  GAMBLER   person ");
        assert_eq!(app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), docs).await.ok(201)["status"], "pending");
        assert_eq!(app.get(&format!("/api/v2/players/{id}"), Some(&officer)).await.ok(200)["status"], "self_excluded");
        app.deposit(&t, 100, "exact").await.problem(422, "self_excluded");
    }

    async fn stats_show_no_staff_count(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        app.staff("stats_admin", Role::Admin).await;
        let s = app.get("/api/v2/stats", None).await.ok(200).clone();
        assert!(s.get("staff_accounts").is_none(), "{s:#}");
        assert!(s["players_registered"].is_i64() && s["games_available"].is_i64());
    }

    async fn a_money_sum_that_overflows_is_refused_not_wrapped(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("overflow").await;
        let officer = app.staff("overflow_officer", Role::Compliance).await;
        app.deposit(&t, 100, "first").await.ok(201);
        app.deposit(&t, 100, "second").await.ok(201);
        // Two deposits whose sum exceeds i64::MAX, written behind the API's back (the
        // database's own checks, which keep each amount within 10^12, switched off).
        let huge = i64::MAX / 2 + 1;
        on_database(
            &app,
            &format!("DROP TRIGGER wallet_events_no_update; PRAGMA ignore_check_constraints = ON; \
                      UPDATE wallet_events SET amount = {huge} WHERE player_id = '{id}';"),
            &format!("ALTER TABLE wallet_events DROP CONSTRAINT wallet_events_amount_check; \
                      ALTER TABLE wallet_events DISABLE TRIGGER wallet_events_append_only; \
                      UPDATE wallet_events SET amount = {huge} WHERE player_id = '{id}';"),
        ).await;
        let today = chrono::Utc::now().date_naive();
        let q = format!("/api/v2/compliance/reports?from={}&to={}", today - chrono::Days::new(1), today + chrono::Days::new(1));
        let r = app.get(&q, Some(&officer)).await;
        r.problem(500, "internal_error");
        discloses_nothing(&r.body);
        // A deposit reads the projection's running totals, not those amounts: one that
        // would carry the total deposited past i64::MAX is refused and writes nothing.
        let sql = format!("UPDATE wallets SET lifetime_deposited = {} WHERE player_id = '{id}';", i64::MAX - 50);
        on_database(&app, &sql, &sql).await;
        let r = app.deposit(&t, 100, "third").await;
        r.problem(422, "rule_violation");
        discloses_nothing(&r.body);
        let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&t)).await;
        assert_eq!(history.ok(200)["events"].as_array().map(Vec::len), Some(2));
    }

    async fn metrics_need_the_configured_token(backend) {
        let token = "metrics-7Gx2Lq9Vw4Zr8Kp3";
        let Some(app) = TestApp::spawn(backend, Options { env: vec![("ACMETOCASINO_METRICS_TOKEN", token.into())], ..Options::default() }).await else { return };
        let url = format!("{}/metrics", app.base);
        for wrong in [None, Some("metrics-7Gx2Lq9Vw4Zr8Kp4"), Some("short")] {
            let mut req = app.client.get(&url);
            if let Some(w) = wrong {
                req = req.bearer_auth(w);
            }
            let r = crate::support::decode(req.send().await.unwrap()).await;
            r.problem(401, "unauthorized");
            assert!(!r.body.to_string().contains("acmetocasino_"), "{:#}", r.body);
        }
        let m = app.client.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(m.status(), 200);
        assert!(m.text().await.unwrap().contains("acmetocasino_http_requests_total"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_503_with_a_generic_detail() {
    let Some(admin) = service_url(PG_ENV) else { return };
    let fresh = FreshDb::new(Backend::Postgres).await.unwrap();
    let app = TestApp::spawn_on(&fresh.url, Options::default(), None).await.unwrap();
    let (_, t) = app.player("gone").await;
    let name = fresh.url.rsplit('/').next().unwrap().to_owned();
    let mut c = AsyncPgConnection::establish(&admin).await.unwrap();
    c.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
    let health = app.get("/api/v2/health", None).await;
    assert_eq!(health.status.as_u16(), 503);
    let text = health.body.to_string();
    assert!(!text.contains(&name) && !text.contains("does not exist"), "the driver's words stay in the log: {text}");
    for _ in 0..3 {
        let r = app.deposit(&t, 100, "gone").await;
        r.problem(503, "unavailable");
        discloses_nothing(&r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_answers_name_no_library_internals() {
    let app = TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap();
    let (_, t) = app.player("tokened").await;
    let (head, rest) = t.split_once('.').unwrap();
    let forged = format!("{head}.{}x", rest);
    let other_key = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": uuid::Uuid::new_v4(), "role": "admin", "exp": 4_000_000_000_i64, "iat": 0, "jti": "j"}),
        &jsonwebtoken::EncodingKey::from_secret(b"another key, another key, another key"),
    )
    .unwrap();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": uuid::Uuid::new_v4(), "role": "admin", "exp": 1_000, "iat": 0, "jti": "j"}),
        &jsonwebtoken::EncodingKey::from_secret(crate::support::TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    for token in ["garbage", "a.b.c", forged.as_str(), other_key.as_str(), expired.as_str()] {
        let r = app.get("/api/v2/players/me", Some(token)).await;
        r.problem(401, "unauthorized");
        discloses_nothing(&r.body);
    }
}

fn registration(name: &str, email: &str, password: &str, date_of_birth: &str) -> Value {
    json!({"username": name, "email": email, "password": password, "date_of_birth": date_of_birth, "country": "SE"})
}

/// The register entry the register tests share; the test players are born on 1990-01-31.
fn listed_person() -> Value {
    json!({"full_name": "Gambler Person", "date_of_birth": "1990-01-31", "email": "listed@example.com"})
}

fn config(pairs: &[(&str, &str)]) -> Result<acmetocasino::config::Config, acmetocasino::config::ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let mut map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    map.entry("ACMETOCASINO_DATA_DIR".into()).or_insert_with(|| dir.path().display().to_string());
    acmetocasino::config::Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn production_refuses_a_guessable_jwt_secret() {
    let prod = |secret: &str| {
        config(&[
            ("ACMETOCASINO_MODE", "production"),
            ("ACMETOCASINO_JWT_SECRET", secret),
            ("ACMETOCASINO_KYC_AUTO_DECIDE", "false"),
        ])
    };
    for weak in [
        "k".repeat(32),
        "abcd".repeat(8),
        "test-secret-test-secret-test-secret-0123".to_owned(),
        "01234567890123456789012345678901".to_owned(),
        "passwordpasswordpasswordpassword1".to_owned(),
    ] {
        let err = prod(&weak).unwrap_err();
        assert!(err.0.contains("ACMETOCASINO_JWT_SECRET"), "{weak}: {err}");
    }
    prod("q7Vd9-LmZx2Rt8wKp4Ns6Yb3Hc1Gf0Ja5Ue").unwrap();
    // The embedded demo keeps accepting any 32 bytes.
    config(&[("ACMETOCASINO_JWT_SECRET", &"k".repeat(32))]).unwrap();
}

#[test]
fn production_refuses_the_simulated_kyc_provider() {
    let secret = "q7Vd9-LmZx2Rt8wKp4Ns6Yb3Hc1Gf0Ja5Ue";
    let err = config(&[
        ("ACMETOCASINO_MODE", "production"),
        ("ACMETOCASINO_JWT_SECRET", secret),
        ("ACMETOCASINO_KYC_AUTO_DECIDE", "true"),
    ])
    .unwrap_err();
    assert!(err.0.contains("ACMETOCASINO_KYC_AUTO_DECIDE"), "{err}");
    let c = config(&[("ACMETOCASINO_MODE", "production"), ("ACMETOCASINO_JWT_SECRET", secret)]).unwrap();
    assert!(!c.kyc_auto_decide);
}

#[test]
fn database_urls_are_masked_by_parsing_them() {
    let secret = "q7Vd9-LmZx2Rt8wKp4Ns6Yb3Hc1Gf0Ja5Ue";
    for (url, shown) in [
        ("postgres://app:p%40ss@word@db:5432/casino", "postgres://***@db:5432/casino"),
        ("postgres://app:hunter2@db/casino?sslmode=require&password=hunter2", "postgres://***@db/casino"),
        ("postgresql://db/casino?user=app&password=hunter2", "postgresql://db/casino"),
        ("postgres://app@db/casino", "postgres://***@db/casino"),
    ] {
        let c = config(&[("DATABASE_URL", url), ("ACMETOCASINO_JWT_SECRET", secret)]).unwrap();
        assert_eq!(c.database_display(), shown, "{url}");
        assert!(!format!("{c:?}").contains("hunter2") && !format!("{c:?}").contains("word@"));
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let db = data.join("acmetocasino.db");
    let url = db.display().to_string();
    let app = TestApp::spawn_on(
        &url,
        Options { env: vec![("ACMETOCASINO_DATA_DIR", data.display().to_string())], ..Options::default() },
        None,
    )
    .await
    .unwrap();
    app.player("private").await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    for f in ["acmetocasino.db", "acmetocasino.db-wal", "acmetocasino.db-shm"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
}
