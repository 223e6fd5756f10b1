//! Money moved by hand: every staff posting names who made it and why, is audited in
//! its transaction and screened by AML; BET and WIN are admin-only; above the approval
//! threshold nothing moves until a second admin approves.

use crate::support::{Options, TestApp};
use pam_core::Role;
use serde_json::{Value, json};

fn staff_id(app: &TestApp, token: &str) -> String {
    app.state.jwt.verify(token, chrono::Utc::now()).unwrap().sub.to_string()
}

async fn balance(app: &TestApp, id: &str, token: &str) -> (i64, i64) {
    let b = app.get(&format!("/api/v2/wallet/{id}/balance"), Some(token)).await.ok(200).clone();
    (b["cash"].as_i64().unwrap(), b["seq"].as_i64().unwrap())
}

async fn audit(app: &TestApp, admin: &str, action: &str) -> Vec<Value> {
    app.get(&format!("/api/v2/audit-log?action={action}"), Some(admin)).await.ok(200).as_array().unwrap().clone()
}

async fn alerts(app: &TestApp, staff: &str, player: &str, rule: &str) -> Vec<Value> {
    let all = app.get(&format!("/api/v2/compliance/aml/alerts?player_id={player}"), Some(staff)).await.ok(200).clone();
    all.as_array().unwrap().iter().filter(|a| a["rule"] == rule).cloned().collect()
}

crate::both_backends! {
    async fn staff_postings_are_attributed_audited_and_admin_only_for_bets_and_wins(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("manual").await;
        let op = app.staff("manual_op", Role::Operator).await;
        let admin = app.staff("manual_admin", Role::Admin).await;
        let path = format!("/api/v2/wallet/{id}/transaction");

        // No reason, or a bad one: refused, nothing written.
        for body in [
            json!({"type": "BONUS_CREDIT", "amount": 500, "idempotency_key": "b0"}),
            json!({"type": "BONUS_CREDIT", "amount": 500, "idempotency_key": "b0", "reason": "  "}),
            json!({"type": "BONUS_CREDIT", "amount": 500, "idempotency_key": "b0", "reason": "a\u{0}b"}),
        ] {
            let r = app.post(&path, Some(&op), body).await;
            r.problem(400, "validation_error");
            assert_eq!(r.body["errors"][0]["field"], "reason");
        }
        app.post("/api/v2/wallet/deposit", Some(&op), json!({"amount": 500, "idempotency_key": "d0", "player_id": id})).await.problem(400, "validation_error");
        // A player's own posting carries no reason.
        app.post("/api/v2/wallet/deposit", Some(&t), json!({"amount": 500, "idempotency_key": "d0", "reason": "mine"})).await.problem(400, "validation_error");
        assert_eq!(balance(&app, &id, &t).await, (0, 0));

        // BET and WIN by hand: admins only.
        for ty in ["WIN", "BET"] {
            app.post(&path, Some(&op), json!({"type": ty, "amount": 100, "idempotency_key": format!("op-{ty}"), "reason": "r"})).await.problem(403, "forbidden");
        }
        let credit = app.post(&path, Some(&op), json!({"type": "BONUS_CREDIT", "amount": 500, "idempotency_key": "b1", "reason": "welcome bonus"})).await.ok(201).clone();
        assert_eq!((credit["posted_by"].as_str(), credit["reason"].as_str()), (Some(staff_id(&app, &op).as_str()), Some("welcome bonus")));
        assert!(credit["approved_by"].is_null());
        let win = app.post(&path, Some(&admin), json!({"type": "WIN", "amount": 2_500, "idempotency_key": "w1", "reason": "lost round, ticket 17"})).await.ok(201).clone();
        assert_eq!(win["posted_by"].as_str(), Some(staff_id(&app, &admin).as_str()));
        let deposit = app.post("/api/v2/wallet/deposit", Some(&op), json!({"amount": 700, "idempotency_key": "d1", "player_id": id, "reason": "cash desk"})).await.ok(201).clone();
        assert_eq!(deposit["reason"], "cash desk");
        // The player's own deposit names nobody.
        let own = app.deposit(&t, 1_000, "own").await.ok(201).clone();
        assert!(own["posted_by"].is_null() && own["reason"].is_null());

        // History shows who and why.
        let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&t)).await.ok(200).clone();
        let by_key = |k: &str| history["events"].as_array().unwrap().iter().find(|e| e["idempotency_key"] == k).unwrap().clone();
        assert_eq!(by_key("w1")["reason"], "lost round, ticket 17");
        assert_eq!(by_key("b1")["posted_by"], credit["posted_by"]);

        // One audit entry per staff posting, naming player, type, amount and reason.
        let entries = audit(&app, &admin, "wallet.manual_posting").await;
        assert_eq!(entries.len(), 3, "{entries:#?}");
        let w = entries.iter().find(|e| e["after"]["event_id"] == win["id"]).unwrap();
        assert_eq!(w["target"], format!("player:{id}"));
        assert_eq!(w["actor"].as_str(), Some(staff_id(&app, &admin).as_str()));
        assert_eq!((w["after"]["type"].as_str(), w["after"]["amount"].as_i64()), (Some("WIN"), Some(2_500)));
        assert_eq!(w["after"]["reason"], "lost round, ticket 17");
        // A retry is the same posting, not a second one.
        let again = app.post(&path, Some(&admin), json!({"type": "WIN", "amount": 2_500, "idempotency_key": "w1", "reason": "lost round, ticket 17"})).await;
        assert_eq!(again.ok(201)["id"], win["id"]);
        assert_eq!(audit(&app, &admin, "wallet.manual_posting").await.len(), 3);
    }

    async fn large_postings_wait_for_a_second_admin_and_large_credits_are_screened(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("bigwin").await;
        let admin = app.staff("first_admin", Role::Admin).await;
        let second = app.staff("second_admin", Role::Admin).await;
        let op = app.staff("big_op", Role::Operator).await;
        let officer = app.staff("big_officer", Role::Compliance).await;
        let path = format!("/api/v2/wallet/{id}/transaction");
        app.deposit(&t, 5_000, "fund").await.ok(201);

        // The finding: a 10,000,000,000.00 WIN. It waits; no money moves.
        let body = json!({"type": "WIN", "amount": 1_000_000_000_000i64, "idempotency_key": "huge", "reason": "jackpot correction"});
        let queued = app.post(&path, Some(&admin), body.clone()).await;
        let pending = queued.ok(202).clone();
        assert_eq!(queued.headers["idempotent-replayed"], "false");
        assert_eq!((pending["status"].as_str(), pending["type"].as_str()), (Some("pending"), Some("WIN")));
        assert_eq!(pending["requested_by"].as_str(), Some(staff_id(&app, &admin).as_str()));
        assert_eq!(balance(&app, &id, &t).await, (5_000, 1));
        // The same request again is the same queued posting; a different one is a conflict.
        let replay = app.post(&path, Some(&admin), body.clone()).await;
        assert_eq!((replay.ok(202)["id"].clone(), replay.headers["idempotent-replayed"].to_str().unwrap()), (pending["id"].clone(), "true"));
        app.post(&path, Some(&admin), json!({"type": "WIN", "amount": 2_000_000, "idempotency_key": "huge", "reason": "jackpot correction"})).await.problem(409, "conflict");
        app.post(&path, Some(&admin), json!({"type": "WIN", "amount": 10, "idempotency_key": "huge", "reason": "jackpot correction"})).await.problem(409, "conflict");
        let queue = app.get("/api/v2/wallet/manual-postings?status=pending", Some(&op)).await.ok(200).clone();
        assert_eq!(queue.as_array().unwrap().len(), 1);
        app.get("/api/v2/wallet/manual-postings?status=maybe", Some(&op)).await.problem(400, "validation_error");
        assert_eq!(audit(&app, &admin, "wallet.manual_posting_requested").await.len(), 1);

        // Four eyes: not the requester, not an operator.
        let approve = format!("/api/v2/wallet/manual-postings/{}/approve", pending["id"].as_str().unwrap());
        app.post(&approve, Some(&admin), json!({})).await.problem(403, "forbidden");
        app.post(&approve, Some(&op), json!({})).await.problem(403, "forbidden");
        assert_eq!(balance(&app, &id, &t).await, (5_000, 1));
        let approved = app.post(&approve, Some(&second), json!({})).await.ok(200).clone();
        assert_eq!(approved["posting"]["status"], "approved");
        assert_eq!(approved["event"]["approved_by"].as_str(), Some(staff_id(&app, &second).as_str()));
        assert_eq!(approved["event"]["posted_by"].as_str(), Some(staff_id(&app, &admin).as_str()));
        assert_eq!(approved["posting"]["event_id"], approved["event"]["id"]);
        assert_eq!(balance(&app, &id, &t).await, (5_000 + 1_000_000_000_000, 2));
        app.post(&approve, Some(&second), json!({})).await.problem(409, "conflict");
        assert_eq!(balance(&app, &id, &t).await.1, 2, "approved once");
        let manual = audit(&app, &admin, "wallet.manual_posting").await;
        assert_eq!(manual.len(), 1);
        assert_eq!(manual[0]["after"]["approved_by"].as_str(), Some(staff_id(&app, &second).as_str()));
        assert_eq!(audit(&app, &admin, "wallet.manual_posting_approved").await.len(), 1);
        // The original request, retried after the approval, still answers with its posting.
        assert_eq!(app.post(&path, Some(&admin), body).await.ok(202)["status"], "approved");

        // AML: the large credit by hand is an alert; a withdrawal soon after it is a
        // critical one, which freezes further withdrawals.
        assert_eq!(alerts(&app, &officer, &id, "manual_credit").await.len(), 1);
        app.post("/api/v2/wallet/withdraw", Some(&t), json!({"amount": 1_000, "idempotency_key": "out1"})).await.ok(201);
        let after = alerts(&app, &officer, &id, "withdrawal_after_manual_credit").await;
        assert_eq!((after.len(), after[0]["risk_level"].as_str()), (1, Some("critical")));
        app.post("/api/v2/wallet/withdraw", Some(&t), json!({"amount": 1_000, "idempotency_key": "out2"})).await.problem(422, "rule_violation");

        // A rejected posting moves nothing and cannot be approved afterwards.
        let small_admin_bonus = json!({"type": "BONUS_CREDIT", "amount": 200_000, "idempotency_key": "bonus-big", "reason": "vip gift"});
        let queued = app.post(&path, Some(&op), small_admin_bonus).await.ok(202).clone();
        let reject = format!("/api/v2/wallet/manual-postings/{}/reject", queued["id"].as_str().unwrap());
        app.post(&reject, Some(&second), json!({})).await.problem(400, "validation_error");
        app.post(&reject, Some(&op), json!({"reason": "no"})).await.problem(403, "forbidden");
        let rejected = app.post(&reject, Some(&second), json!({"reason": "not agreed with the VIP team"})).await.ok(200).clone();
        assert_eq!((rejected["status"].as_str(), rejected["decision_note"].as_str()), (Some("rejected"), Some("not agreed with the VIP team")));
        app.post(&format!("/api/v2/wallet/manual-postings/{}/approve", queued["id"].as_str().unwrap()), Some(&admin), json!({})).await.problem(409, "conflict");
        assert_eq!(app.get(&format!("/api/v2/wallet/{id}/balance"), Some(&t)).await.ok(200)["bonus"], 0);
        app.get(&format!("/api/v2/wallet/manual-postings/{}", uuid::Uuid::new_v4()), Some(&op)).await.problem(404, "not_found");
        let v = app.get(&format!("/api/v2/wallet/{id}/verify"), Some(&op)).await.ok(200).clone();
        assert_eq!(v["consistent"], true);
    }
}
