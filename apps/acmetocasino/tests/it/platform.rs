//! Health, statistics, metrics, correlation IDs, errors for unknown routes, the
//! OpenAPI document and the documentation pages.

use crate::support::{Backend, FreshDb, Options, PG_ENV, TestApp, service_url};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;

/// Every route of the contract this server implements, as (method, path).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v2/players"),
    ("post", "/api/v2/pam/register"),
    ("post", "/api/v2/auth/login"),
    ("post", "/api/v2/pam/login"),
    ("post", "/api/v2/auth/refresh"),
    ("post", "/api/v2/auth/logout"),
    ("get", "/api/v2/players/me"),
    ("get", "/api/v2/players/{id}"),
    ("get", "/api/v2/pam/players/{id}"),
    ("get", "/api/v2/pam/players"),
    ("post", "/api/v2/staff"),
    ("get", "/api/v2/wallet/{player_id}/balance"),
    ("post", "/api/v2/wallet/{player_id}/transaction"),
    ("post", "/api/v2/wallet/deposit"),
    ("post", "/api/v2/wallet/withdraw"),
    ("get", "/api/v2/wallet/{player_id}/history"),
    ("get", "/api/v2/wallet/recent-events"),
    ("get", "/api/v2/wallet/manual-postings"),
    ("get", "/api/v2/wallet/manual-postings/{id}"),
    ("post", "/api/v2/wallet/manual-postings/{id}/approve"),
    ("post", "/api/v2/wallet/manual-postings/{id}/reject"),
    ("get", "/api/v2/wallet/{player_id}/verify"),
    ("get", "/api/v2/gal/games"),
    ("post", "/api/v2/gal/launch"),
    ("post", "/api/v2/gal/bet"),
    ("post", "/api/v2/gal/play"),
    ("get", "/api/v2/gal/sessions/{id}"),
    ("post", "/api/v2/gal/sessions/{id}/end"),
    ("get", "/api/v2/gal/recent-rounds"),
    ("get", "/api/v2/gal/rounds/{id}"),
    ("get", "/api/v2/gal/fairness"),
    ("put", "/api/v2/gal/fairness/client-seed"),
    ("post", "/api/v2/gal/fairness/rotate"),
    ("get", "/api/v2/gal/rounds/{id}/verify"),
    ("post", "/api/v2/gal/rounds/{id}/rollback"),
    ("get", "/api/v2/game-control/rtp"),
    ("put", "/api/v2/game-control/rtp/{slug}"),
    ("put", "/api/v2/game-control/limits/{slug}"),
    ("get", "/api/v2/game-control/stats"),
    ("get", "/api/v2/health"),
    ("get", "/api/v2/health/live"),
    ("get", "/api/v2/health/ready"),
    ("get", "/api/v2/stats"),
    // The back office's searches and figures.
    ("get", "/api/v2/staff"),
    ("get", "/api/v2/wallet/events"),
    ("get", "/api/v2/gal/rounds"),
    ("get", "/api/v2/gal/sessions"),
    ("get", "/api/v2/back-office/overview"),
    ("get", "/api/v2/back-office/request-metrics"),
    ("get", "/api/v2/responsible-gaming/measures"),
    ("post", "/api/v2/providers"),
    ("get", "/api/v2/providers"),
    ("put", "/api/v2/providers/{slug}"),
    ("get", "/api/v2/providers/{slug}/reconciliation"),
    ("get", "/api/v2/providers/{slug}/rounds"),
];

crate::both_backends! {
    async fn readiness_ends_when_the_instance_drains_and_liveness_does_not(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let live = app.get("/api/v2/health/live", None).await;
        assert_eq!(live.ok(200)["status"], "live");
        let ready = app.get("/api/v2/health/ready", None).await;
        assert_eq!(ready.ok(200)["status"], "ready");
        assert_eq!((ready.body["draining"].as_bool(), ready.body["database"].as_str()), (Some(false), Some("up")));
        // What SIGTERM does first (see processes::sigterm_*): not ready, still serving.
        app.state.begin_draining();
        let ready = app.get("/api/v2/health/ready", None).await;
        assert_eq!(ready.status.as_u16(), 503, "{:#}", ready.body);
        assert_eq!((ready.body["status"].as_str(), ready.body["draining"].as_bool()), (Some("draining"), Some(true)));
        app.get("/api/v2/health/live", None).await.ok(200);
        app.get("/api/v2/stats", None).await.ok(200);
    }

    async fn health_stats_metrics_and_correlation_ids(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let r = app.client.get(format!("{}/api/v2/health", app.base)).header("X-Correlation-ID", "trace-abc.123").send().await.unwrap();
        assert_eq!(r.headers()["x-correlation-id"], "trace-abc.123");
        let h = crate::support::decode(r).await;
        let body = h.ok(200);
        assert_eq!((body["status"].as_str(), body["database"]["status"].as_str()), (Some("healthy"), Some("up")));
        let expected_backend = if backend == Backend::Sqlite { "sqlite" } else { "postgresql" };
        assert_eq!(body["database"]["backend"], expected_backend);
        assert!(body["database"]["latency_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(body["redis"]["status"], "disabled");
        assert_eq!(body["services"]["wallet"], "up");
        assert!(body["version"].is_string() && body["uptime_seconds"].is_u64());
        // An unusable correlation id is replaced by a fresh one.
        let r = app.client.get(format!("{}/api/v2/stats", app.base)).header("X-Correlation-ID", "bad id with spaces").send().await.unwrap();
        let id = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

        let (_, t) = app.player("stat_one").await;
        app.player("stat_two").await;
        app.deposit(&t, 100, "s1").await.ok(201);
        let s = app.get("/api/v2/stats", None).await.ok(200).clone();
        assert_eq!((s["players_registered"].as_i64(), s["wallet_events"].as_i64(), s["rounds_played"].as_i64()), (Some(2), Some(1), Some(0)));
        assert!(s["platform_rtp"].is_null());
        assert_eq!(s["games_available"], 8);

        let m = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert!(m.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = m.text().await.unwrap();
        assert!(text.contains(r#"acmetocasino_http_requests_total{method="GET",route="/api/v2/health",status="200"}"#), "{text}");
        assert!(text.contains(r#"acmetocasino_wallet_events_total{type="DEPOSIT"} 1"#), "{text}");
        assert!(text.contains(r#"acmetocasino_logins_total{outcome="success"} 2"#), "{text}");
    }

    async fn unknown_routes_and_methods_are_problem_documents(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        app.get("/api/v2/nope", None).await.problem(404, "not_found");
        app.get("/nowhere", None).await.problem(404, "not_found");
        app.request(reqwest::Method::DELETE, "/api/v2/health", None, None).await.problem(405, "method_not_allowed");
        app.request(reqwest::Method::PUT, "/api/v2/players", None, Some(json!({}))).await.problem(405, "method_not_allowed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_every_route_and_matches_the_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap();
    let doc = app.get("/api/v2/openapi.json", None).await.ok(200).clone();
    assert_eq!(doc["openapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "AcmeToCasino API");
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        let op = &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))[*method];
        assert!(op.is_object(), "{method} {path} missing");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.keys().any(|k| k.starts_with('2')), "{method} {path}: no success response");
        for code in ["400", "401", "403", "404", "409", "422", "429", "503"] {
            let schema = &responses[code]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(schema, "#/components/schemas/Problem", "{method} {path} {code}");
        }
    }
    // Protected operations declare the bearer scheme; public ones do not.
    assert!(paths["/api/v2/wallet/deposit"]["post"]["security"].is_array());
    assert!(paths["/api/v2/players"]["post"]["security"].is_null());
    assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["type"], "apiKey");
    // The request schemas carry their constraints' documentation.
    let tx = &doc["components"]["schemas"]["TransactionRequest"]["properties"];
    assert!(tx["type"]["enum"].as_array().unwrap().contains(&json!("ROLLBACK")));

    // Snapshot: an accidental contract change shows up in review.
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let rendered = format!("{}\n", serde_json::to_string_pretty(&doc).unwrap());
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&snapshot, &rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        stored == rendered,
        "docs/openapi.json differs from the served document; review the change and rerun with UPDATE_SNAPSHOTS=1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documentation_pages_work_offline_and_unknown_assets_do_not_crash() {
    let app = TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap();
    for (page, marker) in
        [("/api/v2/docs", "swagger-ui-bundle.js"), ("/api/v2/redoc", "redoc.standalone.js"), ("/", "stat-players")]
    {
        let r = app.client.get(format!("{}{page}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{page}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let html = r.text().await.unwrap();
        assert!(html.contains(marker), "{page}");
        // No CDN: every script and stylesheet is ours.
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!html.contains(attr), "{page} loads {attr}");
        }
    }
    for asset in [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/redoc/redoc.standalone.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
    ] {
        let r = app.client.get(format!("{}{asset}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.bytes().await.unwrap().len() > 100_000, "{asset}");
    }
    // Unknown files under the UI paths: a clean 404 and the server keeps serving.
    for missing in [
        "/static/vendor/swagger-ui/swagger-ui.js.map",
        "/static/../Cargo.toml",
        "/api/v2/docs/favicon-32x32.png",
        "/static/vendor/swagger-ui/",
    ] {
        let r = app.get(missing, None).await;
        r.problem(404, "not_found");
    }
    app.get("/api/v2/health", None).await.ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_shares_throttling_across_instances_and_its_loss_only_degrades() {
    let Some(a) = TestApp::spawn(Backend::Postgres, Options { redis: true, ..Options::default() }).await else {
        return;
    };
    let b = TestApp::spawn_on(&a.db_url, Options { redis: true, ..Options::default() }, None).await.unwrap();
    let h = a.get("/api/v2/health", None).await.ok(200).clone();
    assert_eq!((h["status"].as_str(), h["redis"]["status"].as_str()), (Some("healthy"), Some("connected")));
    let name = format!("shared_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    a.player(&name).await;
    for _ in 0..5 {
        a.post("/api/v2/auth/login", None, json!({"username": name, "password": "wrong password"}))
            .await
            .problem(401, "unauthorized");
    }
    // The other instance sees the same count.
    b.post("/api/v2/auth/login", None, json!({"username": name, "password": "correct horse"}))
        .await
        .problem(429, "rate_limited");

    // Redis unreachable: health says degraded (still 200) and sign-in still works.
    let c = TestApp::spawn_on(
        &a.db_url,
        Options { redis_url: Some("redis://127.0.0.1:1/".into()), ..Options::default() },
        None,
    )
    .await
    .unwrap();
    let h = c.get("/api/v2/health", None).await.ok(200).clone();
    assert_eq!((h["status"].as_str(), h["redis"]["status"].as_str()), (Some("degraded"), Some("error")));
    c.player(&format!("{name}_2")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_the_database_is_gone() {
    let Some(admin) = service_url(PG_ENV) else { return };
    let fresh = FreshDb::new(Backend::Postgres).await.unwrap();
    let app = TestApp::spawn_on(&fresh.url, Options::default(), None).await.unwrap();
    app.get("/api/v2/health", None).await.ok(200);
    let name = fresh.url.rsplit('/').next().unwrap().to_owned();
    let mut c = AsyncPgConnection::establish(&admin).await.unwrap();
    c.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
    let r = app.get("/api/v2/health", None).await;
    assert_eq!(r.status.as_u16(), 503, "{:#}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["database"]["status"].as_str()), (Some("degraded"), Some("down")));
    let ready = app.get("/api/v2/health/ready", None).await;
    assert_eq!(ready.status.as_u16(), 503, "{:#}", ready.body);
    assert_eq!((ready.body["status"].as_str(), ready.body["database"].as_str()), (Some("unavailable"), Some("down")));
    app.get("/api/v2/health/live", None).await.ok(200);
    // Requests that need the database answer 503 unavailable, not 500.
    app.post("/api/v2/auth/login", None, json!({"username": "anyone", "password": "whatever1"}))
        .await
        .problem(503, "unavailable");
}
