//! Registration, sign-in, token rotation and who may see what.

use crate::support::{Options, TEST_JWT_SECRET, TestApp};
use pam_core::Role;
use serde_json::json;

fn form(name: &str) -> serde_json::Value {
    json!({"username": name, "email": format!("{name}@example.com"), "password": "correct horse",
           "date_of_birth": "1990-01-31", "country": "gb"})
}

crate::both_backends! {
    async fn rotating_the_jwt_key_signs_nobody_out(backend) {
        // docs/operations.md, "JWT key rotation": instances of each phase share one database.
        const NEXT: &str = "a-second-test-key-9f86d081884c7d659a2feaa0c55ad0";
        let Some(before) = TestApp::spawn(backend, Options::default()).await else { return };
        let url = before.db_url.clone();
        let phase = |signs: &str, accepts: Option<&str>| {
            let mut env = vec![("ACMETOCASINO_JWT_SECRET", signs.to_owned())];
            env.extend(accepts.map(|k| ("ACMETOCASINO_JWT_ACCEPTED_SECRET", k.to_owned())));
            let url = url.clone();
            async move { TestApp::spawn_on(&url, Options { env, ..Options::default() }, None).await.unwrap() }
        };
        let (next_accepted, next_signs, old_gone) =
            (phase(TEST_JWT_SECRET, Some(NEXT)).await, phase(NEXT, Some(TEST_JWT_SECRET)).await, phase(NEXT, None).await);
        before.post("/api/v2/players", None, form("rotor")).await.ok(201);
        let r = before.post("/api/v2/auth/login", None, json!({"username": "rotor", "password": "correct horse"})).await;
        let (old_access, refresh) = (r.ok(200)["access_token"].as_str().unwrap().to_owned(), r.body["refresh_token"].clone());

        // 1. The next key is accepted everywhere first; 2. then it signs, the old one is still accepted.
        next_accepted.get("/api/v2/players/me", Some(&old_access)).await.ok(200);
        next_signs.get("/api/v2/players/me", Some(&old_access)).await.ok(200);
        let new_access = next_signs.login("rotor", "correct horse").await;
        next_accepted.get("/api/v2/players/me", Some(&new_access)).await.ok(200);
        // Why step 1 comes first: an instance that does not know the new key refuses its tokens.
        before.get("/api/v2/players/me", Some(&new_access)).await.problem(401, "unauthorized");
        // 3. Once the old tokens have expired, the old key goes: a token signed with it
        // is refused, but its session goes on with a refresh.
        old_gone.get("/api/v2/players/me", Some(&old_access)).await.problem(401, "unauthorized");
        let renewed = old_gone.post("/api/v2/auth/refresh", None, json!({"refresh_token": refresh})).await;
        let access = renewed.ok(200)["access_token"].as_str().unwrap().to_owned();
        old_gone.get("/api/v2/players/me", Some(&access)).await.ok(200);
    }

    async fn registration_validates_and_creates_a_player_with_a_wallet(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let r = app.post("/api/v2/players", None, form("Alice")).await;
        let p = r.ok(201);
        assert_eq!(p["username"], "alice");
        assert_eq!((p["country"].as_str(), p["currency"].as_str()), (Some("GB"), Some("EUR")));
        assert_eq!((p["status"].as_str(), p["kyc_status"].as_str(), p["vip_tier"].as_str()), (Some("active"), Some("none"), Some("bronze")));
        let id = p["id"].as_str().unwrap().to_owned();
        // The alias route, and duplicates (case-insensitive) are conflicts.
        app.post("/api/v2/pam/register", None, form("alice")).await.problem(409, "conflict");
        let mut same_email = form("alice2");
        same_email["email"] = json!("ALICE@example.com");
        app.post("/api/v2/pam/register", None, same_email).await.problem(409, "conflict");
        // Every invalid field is reported at once.
        let bad = json!({"username": "a", "email": "nope", "password": "short", "date_of_birth": "2015-01-01",
                         "country": "XX", "currency": "BTC"});
        let r = app.post("/api/v2/players", None, bad).await;
        r.problem(400, "validation_error");
        let fields: Vec<_> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, ["username", "email", "password", "date_of_birth", "country", "currency"]);
        // A missing field names itself.
        let r = app.post("/api/v2/players", None, json!({"username": "bob"})).await;
        r.problem(400, "validation_error");
        assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("missing field"), "{:#}", r.body);

        let token = app.login("alice", "correct horse").await;
        let me = app.get("/api/v2/players/me", Some(&token)).await;
        assert_eq!(me.ok(200)["id"], id.as_str());
        let b = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&token)).await;
        assert_eq!(b.ok(200)["currency"], "EUR");
        assert_eq!((b.body["cash"].as_i64(), b.body["seq"].as_i64()), (Some(0), Some(0)));
    }

    async fn sign_in_rotation_reuse_detection_and_logout(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        app.player("carol").await;
        let by_email = app.post("/api/v2/pam/login", None, json!({"email": "CAROL@example.com", "password": "correct horse"})).await;
        let pair = by_email.ok(200).clone();
        assert_eq!((pair["token_type"].as_str(), pair["expires_in"].as_i64()), (Some("Bearer"), Some(900)));
        assert_eq!(pair["refresh_expires_in"].as_i64(), Some(30 * 24 * 3600));
        app.post("/api/v2/auth/login", None, json!({"username": "carol", "password": "wrong password"})).await.problem(401, "unauthorized");
        app.post("/api/v2/auth/login", None, json!({"username": "nobody", "password": "whatever1"})).await.problem(401, "unauthorized");
        app.post("/api/v2/auth/login", None, json!({"password": "whatever1"})).await.problem(400, "validation_error");

        let r1 = pair["refresh_token"].as_str().unwrap().to_owned();
        let second = app.post("/api/v2/auth/refresh", None, json!({"refresh_token": r1})).await.ok(200).clone();
        let r2 = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(r1, r2);
        let third = app.post("/api/v2/auth/refresh", None, json!({"refresh_token": r2})).await.ok(200).clone();
        let r3 = third["refresh_token"].as_str().unwrap().to_owned();
        // Reusing r1 revokes the family: r3 dies with it.
        app.post("/api/v2/auth/refresh", None, json!({"refresh_token": r1})).await.problem(401, "unauthorized");
        app.post("/api/v2/auth/refresh", None, json!({"refresh_token": r3})).await.problem(401, "unauthorized");

        // Logout revokes the presented family only.
        let a = app.post("/api/v2/auth/login", None, json!({"username": "carol", "password": "correct horse"})).await.ok(200).clone();
        let b = app.post("/api/v2/auth/login", None, json!({"username": "carol", "password": "correct horse"})).await.ok(200).clone();
        let access = a["access_token"].as_str().unwrap();
        let r = app.post("/api/v2/auth/logout", Some(access), json!({"refresh_token": a["refresh_token"]})).await;
        assert_eq!(r.status.as_u16(), 204);
        app.post("/api/v2/auth/refresh", None, json!({"refresh_token": a["refresh_token"]})).await.problem(401, "unauthorized");
        app.post("/api/v2/auth/refresh", None, json!({"refresh_token": b["refresh_token"]})).await.ok(200);
        app.post("/api/v2/auth/logout", None, json!({"refresh_token": b["refresh_token"]})).await.problem(401, "unauthorized");
    }

    async fn five_failures_lock_the_account_with_retry_after(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        app.player("dave").await;
        for _ in 0..5 {
            app.post("/api/v2/auth/login", None, json!({"username": "dave", "password": "bad password"})).await.problem(401, "unauthorized");
        }
        let r = app.post("/api/v2/auth/login", None, json!({"email": "dave@example.com", "password": "correct horse"})).await;
        r.problem(429, "rate_limited");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
        // Another account is unaffected.
        app.player("erin").await;
    }

    async fn tokens_that_are_expired_tampered_or_unsigned_are_refused(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, token) = app.player("frank").await;
        let path = format!("/api/v2/wallet/{id}/balance");
        app.get(&path, Some(&token)).await.ok(200);
        app.get(&path, None).await.problem(401, "unauthorized");
        app.get(&path, Some("not-a-jwt")).await.problem(401, "unauthorized");
        // Flip one character of the signature.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        app.get(&path, Some(&tampered)).await.problem(401, "unauthorized");
        // Claims forged with another key, expired claims, and alg "none".
        let now = chrono::Utc::now().timestamp();
        // Forged claims name the player's live session, so only key, expiry and algorithm differ.
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
        let sid = serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["sid"].clone();
        let claims = |exp: i64| json!({"sub": id, "role": "admin", "iat": now - 3600, "exp": exp, "jti": uuid::Uuid::new_v4(), "sid": sid});
        let sign = |claims: &serde_json::Value, key: &str| {
            jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &jsonwebtoken::EncodingKey::from_secret(key.as_bytes())).unwrap()
        };
        app.get(&path, Some(&sign(&claims(now + 600), "another-secret-another-secret-012345"))).await.problem(401, "unauthorized");
        app.get(&path, Some(&sign(&claims(now - 60), TEST_JWT_SECRET))).await.problem(401, "unauthorized");
        let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let unsigned = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims(now + 600)));
        app.get("/api/v2/wallet/recent-events", Some(&unsigned)).await.problem(401, "unauthorized");
        // The genuine key still works, so the refusals above are about the tokens.
        app.get(&path, Some(&sign(&claims(now + 600), TEST_JWT_SECRET))).await.ok(200);
    }

    async fn players_see_only_their_own_and_staff_routes_need_staff(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (a, ta) = app.player("gina").await;
        let (b, tb) = app.player("hugo").await;
        app.deposit(&tb, 1_000, "hugo-1").await.ok(201);
        for path in [format!("/api/v2/players/{b}"), format!("/api/v2/pam/players/{b}"), format!("/api/v2/wallet/{b}/balance"), format!("/api/v2/wallet/{b}/history")] {
            app.get(&path, Some(&ta)).await.problem(403, "forbidden");
        }
        app.post(&format!("/api/v2/wallet/{b}/transaction"), Some(&ta), json!({"type": "WITHDRAWAL", "amount": 1, "idempotency_key": "steal"})).await.problem(403, "forbidden");
        app.post("/api/v2/wallet/withdraw", Some(&ta), json!({"amount": 1, "idempotency_key": "steal", "player_id": b})).await.problem(403, "forbidden");
        // A player's own wallet, but an operator-only event type.
        app.post(&format!("/api/v2/wallet/{a}/transaction"), Some(&ta), json!({"type": "BONUS_CREDIT", "amount": 1, "idempotency_key": "gift"})).await.problem(403, "forbidden");
        for path in ["/api/v2/pam/players", "/api/v2/wallet/recent-events", &format!("/api/v2/wallet/{a}/verify")] {
            app.get(path, Some(&ta)).await.problem(403, "forbidden");
            app.get(path, None).await.problem(401, "unauthorized");
        }
        let staff = json!({"username": "mallory", "email": "m@example.com", "password": "long enough", "role": "admin"});
        app.post("/api/v2/staff", Some(&ta), staff.clone()).await.problem(403, "forbidden");
        assert_eq!(app.get(&format!("/api/v2/wallet/{b}/balance"), Some(&tb)).await.ok(200)["cash"], 1_000);

        // Staff: an operator reads anyone; only an admin creates staff.
        let op = app.staff("olga", Role::Operator).await;
        assert_eq!(app.get(&format!("/api/v2/players/{b}"), Some(&op)).await.ok(200)["username"], "hugo");
        app.get("/api/v2/players/me", Some(&op)).await.problem(403, "forbidden");
        app.post("/api/v2/staff", Some(&op), staff.clone()).await.problem(403, "forbidden");
        let compliance = app.staff("cora", Role::Compliance).await;
        app.post("/api/v2/wallet/deposit", Some(&compliance), json!({"amount": 1, "idempotency_key": "k", "player_id": a, "reason": "r"})).await.problem(403, "forbidden");
        let admin = app.staff("root", Role::Admin).await;
        let created = app.post("/api/v2/staff", Some(&admin), staff.clone()).await;
        assert_eq!(created.ok(201)["role"], "admin");
        app.post("/api/v2/staff", Some(&admin), staff).await.problem(409, "conflict");
        let bad_role = json!({"username": "pete", "email": "p@example.com", "password": "long enough", "role": "player"});
        app.post("/api/v2/staff", Some(&admin), bad_role).await.problem(400, "validation_error");
        app.login("mallory", "long enough").await;
    }

    async fn staff_list_players_with_filters_and_paging(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        for n in ["lp_one", "lp_two", "lp_three", "other"] {
            app.player(n).await;
        }
        let op = app.staff("ops", Role::Operator).await;
        let r = app.get("/api/v2/pam/players?q=LP_&limit=2", Some(&op)).await;
        let page = r.ok(200);
        assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(3), 2));
        assert_eq!(page["items"][0]["username"], "lp_three", "newest first");
        let r = app.get("/api/v2/pam/players?q=lp_&limit=2&offset=2", Some(&op)).await;
        assert_eq!(r.ok(200)["items"][0]["username"], "lp_one");
        let r = app.get("/api/v2/pam/players?status=active&kyc_status=approved&vip_tier=bronze", Some(&op)).await;
        assert_eq!(r.ok(200)["total"].as_i64(), Some(4), "staff are not listed");
        assert_eq!(app.get("/api/v2/pam/players?vip_tier=gold", Some(&op)).await.ok(200)["total"].as_i64(), Some(0));
        app.get("/api/v2/pam/players?status=sleeping", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/pam/players?limit=0", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/pam/players?limit=abc", Some(&op)).await.problem(400, "validation_error");
    }
}
