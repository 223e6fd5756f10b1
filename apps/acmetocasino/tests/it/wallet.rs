//! The wallet over HTTP: postings, refusals that write nothing, idempotency and
//! concurrency.

use crate::support::{Options, TestApp};
use pam_core::Role;
use serde_json::{Value, json};

async fn events(app: &TestApp, id: &str, token: &str) -> Vec<Value> {
    app.get(&format!("/api/v2/wallet/{id}/history?limit=500"), Some(token)).await.ok(200)["events"]
        .as_array()
        .unwrap()
        .clone()
}

async fn verify_consistent(app: &TestApp, id: &str, staff: &str) -> Value {
    let v = app.get(&format!("/api/v2/wallet/{id}/verify"), Some(staff)).await.ok(200).clone();
    assert_eq!(v["consistent"], true, "{v:#}");
    v
}

crate::both_backends! {
    async fn every_event_type_moves_money_as_the_contract_says(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("ivy").await;
        let op = app.staff("oscar", Role::Operator).await;
        let admin = app.staff("ada", Role::Admin).await;
        let tx = |ty: &str, amount: i64, key: &str| json!({"type": ty, "amount": amount, "idempotency_key": key});
        // A staff posting, with its reason.
        let stx = |ty: &str, amount: i64, key: &str| json!({"type": ty, "amount": amount, "idempotency_key": key, "reason": "test"});
        let path = format!("/api/v2/wallet/{id}/transaction");
        let dep = app.post(&path, Some(&t), tx("DEPOSIT", 10_000, "d1")).await;
        let e = dep.ok(201);
        assert_eq!((e["seq"].as_i64(), e["type"].as_str(), e["currency"].as_str()), (Some(1), Some("DEPOSIT"), Some("SEK")));
        assert_eq!(e["cash_balance_after"], 10_000);
        assert_eq!(dep.headers["idempotent-replayed"], "false");
        app.post(&path, Some(&op), stx("BONUS_CREDIT", 2_000, "b1")).await.ok(201);
        let bet = app.post(&path, Some(&admin), stx("BET", 10_500, "bet1")).await.ok(201).clone();
        assert_eq!((bet["cash_balance_after"].as_i64(), bet["bonus_balance_after"].as_i64()), (Some(0), Some(1_500)));
        app.post(&path, Some(&admin), stx("WIN", 700, "w1")).await.ok(201);
        app.post("/api/v2/wallet/withdraw", Some(&t), json!({"amount": 200, "idempotency_key": "wd1"})).await.ok(201);
        app.post(&path, Some(&op), stx("BONUS_DEBIT", 500, "bd1")).await.ok(201);
        // Over-withdrawal and over-betting are refused; bonus money is not withdrawable.
        app.post("/api/v2/wallet/withdraw", Some(&t), json!({"amount": 501, "idempotency_key": "wd2"})).await.problem(422, "insufficient_funds");
        app.post(&path, Some(&admin), stx("BET", 1_501, "bet2")).await.problem(422, "insufficient_funds");
        // A ROLLBACK refunds the bet where it came from, once.
        let mut rb = stx("ROLLBACK", 10_500, "rb1");
        rb["reference"] = bet["id"].clone();
        let done = app.post(&path, Some(&op), rb.clone()).await.ok(201).clone();
        assert_eq!(done["compensates"], bet["id"]);
        assert_eq!((done["cash_balance_after"].as_i64(), done["bonus_balance_after"].as_i64()), (Some(10_500), Some(1_500)));
        rb["idempotency_key"] = json!("rb2");
        app.post(&path, Some(&op), rb.clone()).await.problem(409, "conflict");
        rb["reference"] = json!(uuid::Uuid::new_v4().to_string());
        app.post(&path, Some(&op), rb.clone()).await.problem(404, "not_found");
        rb["reference"] = json!("not-a-uuid");
        app.post(&path, Some(&op), rb).await.problem(400, "validation_error");

        let bal = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&t)).await.ok(200).clone();
        assert_eq!((bal["cash"].as_i64(), bal["bonus"].as_i64(), bal["total"].as_i64(), bal["seq"].as_i64()), (Some(10_500), Some(1_500), Some(12_000), Some(7)));
        let v = verify_consistent(&app, &id, &op).await;
        assert_eq!((v["events"].as_i64(), v["folded_cash"].as_i64()), (Some(7), Some(10_500)));

        // History: newest first, paging by before_seq, filtering by type.
        let page = app.get(&format!("/api/v2/wallet/{id}/history?limit=3"), Some(&t)).await.ok(200).clone();
        let seqs: Vec<_> = page["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, [7, 6, 5]);
        let next = page["next_before_seq"].as_i64().unwrap();
        let page2 = app.get(&format!("/api/v2/wallet/{id}/history?limit=3&before_seq={next}"), Some(&t)).await.ok(200).clone();
        assert_eq!(page2["events"][0]["seq"], 4);
        let bets = app.get(&format!("/api/v2/wallet/{id}/history?type=BET"), Some(&t)).await.ok(200).clone();
        assert_eq!(bets["events"].as_array().unwrap().len(), 1);
        app.get(&format!("/api/v2/wallet/{id}/history?type=JACKPOT"), Some(&t)).await.problem(400, "validation_error");
        app.get(&format!("/api/v2/wallet/{id}/history?limit=501"), Some(&t)).await.problem(400, "validation_error");
        let recent = app.get("/api/v2/wallet/recent-events?limit=2", Some(&op)).await.ok(200).clone();
        assert_eq!(recent[0]["seq"], 7);
        // Unknown wallets.
        let nobody = uuid::Uuid::new_v4();
        app.get(&format!("/api/v2/wallet/{nobody}/balance"), Some(&op)).await.problem(404, "not_found");
        app.post(&format!("/api/v2/wallet/{nobody}/transaction"), Some(&op), stx("DEPOSIT", 1, "x")).await.problem(404, "not_found");
        app.post("/api/v2/wallet/deposit", Some(&op), json!({"amount": 1, "idempotency_key": "x", "reason": "r"})).await.problem(400, "validation_error");
        app.post("/api/v2/wallet/deposit", Some(&op), json!({"amount": 1, "idempotency_key": "op-dep", "player_id": id, "reason": "r"})).await.ok(201);
    }

    async fn bad_input_is_a_validation_error_and_writes_nothing(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("jack").await;
        let path = format!("/api/v2/wallet/{id}/transaction");
        let cases: Vec<(&str, String)> = vec![
            ("negative", r#"{"type":"DEPOSIT","amount":-100,"idempotency_key":"k1"}"#.into()),
            ("zero", r#"{"type":"DEPOSIT","amount":0,"idempotency_key":"k2"}"#.into()),
            ("fractional", r#"{"type":"DEPOSIT","amount":10.5,"idempotency_key":"k3"}"#.into()),
            ("over 10^12", r#"{"type":"DEPOSIT","amount":1000000000001,"idempotency_key":"k4"}"#.into()),
            ("beyond i64", r#"{"type":"DEPOSIT","amount":100000000000000000000,"idempotency_key":"k5"}"#.into()),
            ("string", r#"{"type":"DEPOSIT","amount":"100","idempotency_key":"k6"}"#.into()),
            ("null", r#"{"type":"DEPOSIT","amount":null,"idempotency_key":"k7"}"#.into()),
            ("unknown type", r#"{"type":"JACKPOT","amount":100,"idempotency_key":"k8"}"#.into()),
            ("lower-case type", r#"{"type":"deposit","amount":100,"idempotency_key":"k9"}"#.into()),
            ("no key", r#"{"type":"DEPOSIT","amount":100}"#.into()),
            ("bad key", r#"{"type":"DEPOSIT","amount":100,"idempotency_key":"has space"}"#.into()),
            ("invalid JSON", r#"{"type":"DEPOSIT","amount":100,"#.into()),
            ("not an object", "[1,2,3]".into()),
            ("empty body", String::new()),
            ("oversized", format!(r#"{{"type":"DEPOSIT","amount":100,"idempotency_key":"k10","reference":"{}"}}"#, "x".repeat(70_000))),
            ("long reference", format!(r#"{{"type":"DEPOSIT","amount":100,"idempotency_key":"k11","reference":"{}"}}"#, "x".repeat(201))),
        ];
        for (what, body) in cases {
            let resp = app.client.post(format!("{}{path}", app.base)).bearer_auth(&t)
                .header("content-type", "application/json").body(body).send().await.unwrap();
            let r = crate::support::decode(resp).await;
            assert_eq!(r.status.as_u16(), 400, "{what}: {:#}", r.body);
            r.problem(400, "validation_error");
            assert!(r.body["errors"][0]["field"].is_string(), "{what}: {:#}", r.body);
        }
        let r = app.client.post(format!("{}{path}", app.base)).bearer_auth(&t).header("content-type", "text/plain")
            .body(r#"{"type":"DEPOSIT","amount":1,"idempotency_key":"k"}"#).send().await.unwrap();
        crate::support::decode(r).await.problem(400, "validation_error");
        // The offending field is named.
        let r = app.post(&path, Some(&t), json!({"type": "DEPOSIT", "amount": "100", "idempotency_key": "k"})).await;
        assert_eq!(r.body["errors"][0]["field"], "amount");
        let r = app.post(&path, Some(&t), json!({"type": "DEPOSIT", "amount": 0, "idempotency_key": "k"})).await;
        assert_eq!(r.body["errors"][0]["field"], "amount");
        app.post(&format!("/api/v2/wallet/{}/transaction", "not-a-uuid"), Some(&t), json!({})).await.problem(400, "validation_error");

        let bal = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&t)).await.ok(200).clone();
        assert_eq!((bal["cash"].as_i64(), bal["seq"].as_i64()), (Some(0), Some(0)));
        assert!(events(&app, &id, &t).await.is_empty());
        // The keys of refused requests were not consumed.
        app.post(&path, Some(&t), json!({"type": "DEPOSIT", "amount": 100, "idempotency_key": "k1"})).await.ok(201);
    }

    async fn idempotency_keys_replay_or_conflict_even_concurrently(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("kate").await;
        let first = app.deposit(&t, 2_500, "pay-1").await;
        let original = first.ok(201).clone();
        let again = app.deposit(&t, 2_500, "pay-1").await;
        assert_eq!(again.ok(201)["id"], original["id"]);
        assert_eq!(again.headers["idempotent-replayed"], "true");
        app.deposit(&t, 2_501, "pay-1").await.problem(409, "conflict");
        // The header form of the key is the same key.
        let r = app.client.post(format!("{}/api/v2/wallet/deposit", app.base)).bearer_auth(&t)
            .header("Idempotency-Key", "pay-1").json(&json!({"amount": 2_500})).send().await.unwrap();
        assert_eq!(crate::support::decode(r).await.ok(201)["id"], original["id"]);
        let r = app.client.post(format!("{}/api/v2/wallet/deposit", app.base)).bearer_auth(&t)
            .header("Idempotency-Key", "pay-2").json(&json!({"amount": 1, "idempotency_key": "pay-3"})).send().await.unwrap();
        crate::support::decode(r).await.problem(400, "validation_error");

        // 20 concurrent requests with one key: exactly one event.
        let tasks: Vec<_> = (0..20).map(|_| {
            let (client, base, t) = (app.client.clone(), app.base.clone(), t.clone());
            tokio::spawn(async move {
                let r = client.post(format!("{base}/api/v2/wallet/deposit")).bearer_auth(&t)
                    .json(&json!({"amount": 999, "idempotency_key": "burst"})).send().await.unwrap();
                crate::support::decode(r).await
            })
        }).collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().ok(201)["id"].as_str().unwrap().to_owned());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1);
        let evs = events(&app, &id, &t).await;
        assert_eq!(evs.len(), 2);
        assert_eq!(evs.iter().filter(|e| e["idempotency_key"] == "burst").count(), 1);
    }

    async fn concurrent_withdrawals_and_bets_never_overdraw(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("liam").await;
        let op = app.staff("otto", Role::Admin).await;
        app.deposit(&t, 3_000, "fund").await.ok(201);
        let tasks: Vec<_> = (0..64).map(|i| {
            let (client, base, t, op, id) = (app.client.clone(), app.base.clone(), t.clone(), op.clone(), id.clone());
            tokio::spawn(async move {
                let req = if i % 2 == 0 {
                    client.post(format!("{base}/api/v2/wallet/withdraw")).bearer_auth(&t).json(&json!({"amount": 100, "idempotency_key": format!("w{i}")}))
                } else {
                    client.post(format!("{base}/api/v2/wallet/{id}/transaction")).bearer_auth(&op).json(&json!({"type": "BET", "amount": 100, "idempotency_key": format!("b{i}"), "reason": "test"}))
                };
                crate::support::decode(req.send().await.unwrap()).await
            })
        }).collect();
        let mut ok = 0;
        for task in tasks {
            let r = task.await.unwrap();
            match r.status.as_u16() {
                201 => ok += 1,
                422 => assert_eq!(r.code(), "insufficient_funds"),
                s => panic!("unexpected {s}: {:#}", r.body),
            }
        }
        assert_eq!(ok, 30);
        let bal = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&t)).await.ok(200).clone();
        assert_eq!((bal["cash"].as_i64(), bal["seq"].as_i64()), (Some(0), Some(31)));
        let mut seqs: Vec<_> = events(&app, &id, &t).await.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=31).collect::<Vec<_>>());
        verify_consistent(&app, &id, &op).await;
    }
}
