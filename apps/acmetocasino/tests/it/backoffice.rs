//! The staff searches and figures the back office reads: wallet events, rounds and
//! sessions platform-wide, players by country, staff accounts, the filtered audit log,
//! paged alert lists, key figures over time and request metrics — over HTTP, on both
//! backends.

use crate::support::{Options, TestApp};
use pam_core::Role;
use serde_json::{Value, json};

const STAKE: i64 = 10_000;

async fn funded(app: &TestApp, name: &str, amount: i64) -> (String, String) {
    let (id, t) = app.player(name).await;
    app.deposit(&t, amount, &format!("{name}-fund")).await.ok(201);
    (id, t)
}

async fn flip(app: &TestApp, token: &str, key: &str) -> Value {
    let body = json!({"game_slug": "coin-flip", "amount": STAKE, "params": {"side": "heads"}, "idempotency_key": key});
    app.post("/api/v2/gal/play", Some(token), body).await.ok(200).clone()
}

fn ids(page: &Value, field: &str) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i[field].as_str().unwrap().to_owned()).collect()
}

crate::both_backends! {
    async fn wallet_events_are_searchable_by_player_type_reference_round_and_key(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let op = app.staff("oper", Role::Operator).await;
        let (ann, ta) = funded(&app, "ann", 100_000).await;
        let (bob, tb) = funded(&app, "bob", 50_000).await;
        app.post("/api/v2/wallet/deposit", Some(&tb), json!({"amount": 700, "idempotency_key": "bob-2", "reference": "psp-4711"}))
            .await
            .ok(201);
        let round = flip(&app, &ta, "ann-r1").await;
        let round_id = round["round_id"].as_str().unwrap();
        let search = |q: String| {
            let (app, op) = (&app, &op);
            async move { app.get(&format!("/api/v2/wallet/events?{q}"), Some(op)).await.ok(200).clone() }
        };

        let all = search(String::new()).await;
        let n_round_events = if round["payout"].as_i64().unwrap() > 0 { 2 } else { 1 };
        assert_eq!(all["total"], 3 + n_round_events, "{all:#}");
        let by_player = search(format!("player_id={bob}")).await;
        assert_eq!(by_player["total"], 2);
        assert!(by_player["items"].as_array().unwrap().iter().all(|e| e["player_id"] == bob.as_str()));
        let deposits = search("type=DEPOSIT,WITHDRAWAL&sort=amount".into()).await;
        let amounts: Vec<i64> = deposits["items"].as_array().unwrap().iter().map(|e| e["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [700, 50_000, 100_000], "deposits, smallest first");
        let by_ref = search("reference=psp-4711".into()).await;
        assert_eq!((by_ref["total"].as_i64(), by_ref["items"][0]["idempotency_key"].as_str()), (Some(1), Some("bob-2")));
        let by_key = search("idempotency_key=ann-fund".into()).await;
        assert_eq!(by_key["items"][0]["player_id"], ann.as_str());
        let by_round = search(format!("round_id={round_id}")).await;
        assert_eq!(by_round["total"], n_round_events);
        assert_eq!(by_round["items"][by_round["total"].as_u64().unwrap() as usize - 1]["type"], "BET");
        let page = search("limit=2&offset=2".into()).await;
        assert_eq!((page["limit"].as_i64(), page["offset"].as_i64(), page["items"].as_array().unwrap().len()), (Some(2), Some(2), 2));
        let all_ids = ids(&all, "id");
        assert_eq!(ids(&page, "id"), all_ids[2..4], "pages cut the same order");
        let future = search("from=2999-01-01T00:00:00Z".into()).await;
        assert_eq!(future["total"], 0);

        app.get("/api/v2/wallet/events?type=LOAN", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/wallet/events?sort=-player", Some(&op)).await.problem(400, "validation_error");
        app.get(&format!("/api/v2/wallet/events?reference=x&round_id={round_id}"), Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/wallet/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/wallet/events", Some(&ta)).await.problem(403, "forbidden");
        app.get("/api/v2/wallet/events", None).await.problem(401, "unauthorized");
    }

    async fn rounds_are_searchable_sortable_and_big_wins_flagged(backend) {
        // Any win here (1.93 × the stake) pays at least 150.00: a big win.
        let opts = Options { env: vec![("ACMETOCASINO_BIG_WIN_AMOUNT", "15000".into())], ..Options::default() };
        let Some(app) = TestApp::spawn(backend, opts).await else { return };
        let op = app.staff("oper", Role::Operator).await;
        let (ann, ta) = funded(&app, "ann", 500_000).await;
        let (_, tb) = funded(&app, "bob", 500_000).await;
        let mut wins = 0;
        for i in 0..12 {
            wins += i64::from(flip(&app, &ta, &format!("a{i}")).await["payout"].as_i64().unwrap() > 0);
        }
        let dice = json!({"game_slug": "dice", "amount": STAKE, "params": {"target": 5000, "direction": "under"}, "idempotency_key": "b0"});
        wins += i64::from(app.post("/api/v2/gal/play", Some(&tb), dice).await.ok(200)["payout"].as_i64().unwrap() > 0);

        let all = app.get("/api/v2/gal/rounds", Some(&op)).await.ok(200).clone();
        assert_eq!((all["total"].as_i64(), all["big_win_amount"].as_i64(), all["big_win_multiplier"].as_i64()), (Some(13), Some(15_000), Some(350)));
        let big = app.get("/api/v2/gal/rounds?big_win=true&limit=200", Some(&op)).await.ok(200).clone();
        assert_eq!(big["total"].as_i64(), Some(wins));
        assert!(big["items"].as_array().unwrap().iter().all(|r| r["big_win"] == true && r["payout"].as_i64().unwrap() >= 15_000));
        let flips = app.get(&format!("/api/v2/gal/rounds?game_slug=coin-flip&player_id={ann}&sort=-payout"), Some(&op)).await.ok(200).clone();
        let payouts: Vec<i64> = flips["items"].as_array().unwrap().iter().map(|r| r["payout"].as_i64().unwrap()).collect();
        assert_eq!(payouts.len(), 12);
        assert!(payouts.windows(2).all(|w| w[0] >= w[1]), "{payouts:?}");
        let first = all["items"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(all["items"][0]["game_slug"], "dice", "newest first");
        let path = format!("/api/v2/gal/rounds/{first}/rollback");
        app.post(&path, Some(&op), json!({"reason": "bad\u{0}reason"})).await.problem(400, "validation_error");
        app.post(&path, Some(&op), json!({"reason": "client crashed, ticket 5521"})).await.ok(200);
        // The reason is on the audit entry; a rollback without a body still works.
        let admin = app.staff("boss", Role::Admin).await;
        let entry = app.get(&format!("/api/v2/audit-log?target=round:{first}"), Some(&admin)).await.ok(200).clone();
        assert_eq!(entry[0]["after"]["reason"], "client crashed, ticket 5521");
        let second = all["items"][1]["id"].as_str().unwrap();
        app.request(reqwest::Method::POST, &format!("/api/v2/gal/rounds/{second}/rollback"), Some(&op), None).await.ok(200);
        let rolled = app.get("/api/v2/gal/rounds?status=rolled_back&sort=created_at", Some(&op)).await.ok(200).clone();
        assert_eq!(ids(&rolled, "id"), [second.to_owned(), first.clone()], "oldest first");
        let settled = app.get("/api/v2/gal/rounds?status=settled&limit=5&offset=10", Some(&op)).await.ok(200).clone();
        assert_eq!((settled["total"].as_i64(), settled["items"].as_array().unwrap().len()), (Some(11), 1));

        // A player searches their own rounds only.
        let own = app.get("/api/v2/gal/rounds", Some(&tb)).await.ok(200).clone();
        assert_eq!(ids(&own, "id"), std::slice::from_ref(&first));
        app.get(&format!("/api/v2/gal/rounds?player_id={ann}"), Some(&tb)).await.problem(403, "forbidden");
        app.get("/api/v2/gal/rounds?game_slug=baccarat", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/gal/rounds?status=won", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/gal/rounds?limit=0", Some(&op)).await.problem(400, "validation_error");
    }

    async fn sessions_are_searchable_with_totals(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let op = app.staff("oper", Role::Compliance).await;
        let (ann, ta) = funded(&app, "ann", 500_000).await;
        let (_, tb) = funded(&app, "bob", 500_000).await;
        let mut net = 0;
        for i in 0..3 {
            net += flip(&app, &ta, &format!("a{i}")).await["payout"].as_i64().unwrap() - STAKE;
        }
        let r = flip(&app, &tb, "b0").await;
        let bob_session = r["session_id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v2/gal/sessions/{bob_session}/end"), Some(&tb), json!({})).await.ok(200);

        let all = app.get("/api/v2/gal/sessions", Some(&op)).await.ok(200).clone();
        assert_eq!(all["total"], 2);
        assert_eq!(all["totals"]["rounds"], 4);
        assert_eq!(all["totals"]["wagered"], 4 * STAKE);
        let won = all["totals"]["won"].as_i64().unwrap();
        assert_eq!(all["totals"]["net"].as_i64().unwrap(), won - 4 * STAKE);
        let open = app.get("/api/v2/gal/sessions?status=open", Some(&op)).await.ok(200).clone();
        assert_eq!(open["total"], 1);
        let ann_session = &open["items"][0];
        assert_eq!((ann_session["player_id"].as_str(), ann_session["rounds"].as_i64(), ann_session["net"].as_i64()), (Some(ann.as_str()), Some(3), Some(net)));
        let closed = app.get("/api/v2/gal/sessions?status=closed&sort=-rounds", Some(&op)).await.ok(200).clone();
        assert_eq!(ids(&closed, "id"), std::slice::from_ref(&bob_session));
        assert_eq!(closed["totals"]["sessions"], 1);
        let by_rounds = app.get("/api/v2/gal/sessions?sort=-rounds", Some(&op)).await.ok(200).clone();
        assert_eq!(by_rounds["items"][0]["player_id"], ann.as_str());

        let own = app.get("/api/v2/gal/sessions", Some(&tb)).await.ok(200).clone();
        assert_eq!(ids(&own, "id"), [bob_session]);
        app.get(&format!("/api/v2/gal/sessions?player_id={ann}"), Some(&tb)).await.problem(403, "forbidden");
        app.get("/api/v2/gal/sessions?status=paused", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/gal/sessions?sort=name", Some(&op)).await.problem(400, "validation_error");
    }

    async fn the_overview_has_key_figures_per_currency_and_series_over_time(backend) {
        // A fixed clock: the day and hour buckets are known.
        let now = chrono::DateTime::parse_from_rfc3339("2026-06-15T10:30:00Z").unwrap().with_timezone(&chrono::Utc);
        let clock = std::sync::Arc::new(kernel::testkit::ManualClock::starting_at(now));
        let Some(app) = TestApp::spawn(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await else { return };
        let op = app.staff("oper", Role::Operator).await;
        let (_, ta) = funded(&app, "ann", 300_000).await;
        let (eur_id, te) = {
            let r = app.post("/api/v2/players", None, json!({"username": "eve", "email": "eve@example.com", "password": "correct horse",
                "date_of_birth": "1980-03-03", "country": "MT", "currency": "EUR"})).await;
            let id = r.ok(201)["id"].as_str().unwrap().to_owned();
            (id, app.login("eve", "correct horse").await)
        };
        app.deposit(&te, 20_000, "eve-1").await.ok(201);
        app.post("/api/v2/wallet/withdraw", Some(&ta), json!({"amount": 1_000, "idempotency_key": "w1"})).await.ok(201);
        let mut paid = 0;
        for i in 0..4 {
            paid += flip(&app, &ta, &format!("a{i}")).await["payout"].as_i64().unwrap();
        }
        app.player_without_kyc("idle").await;
        // Yesterday's deposit shows on its own day.
        clock.advance(chrono::Duration::days(-1));
        app.deposit(&te, 5_000, "eve-0").await.ok(201);
        clock.advance(chrono::Duration::days(1));

        let o = app.get("/api/v2/back-office/overview?days=7&hours=24", Some(&op)).await.ok(200).clone();
        assert_eq!((o["players"].as_i64(), o["active_today"].as_i64(), o["rounds"].as_i64()), (Some(3), Some(2), Some(4)));
        let expected_rtp = (paid as f64 / (4 * STAKE) as f64 * 10_000.0).round() / 100.0;
        assert_eq!(o["platform_rtp"].as_f64(), Some(expected_rtp));
        let currencies = o["currencies"].as_array().unwrap();
        assert_eq!(currencies.len(), 2);
        let sek = currencies.iter().find(|c| c["currency"] == "SEK").unwrap();
        assert_eq!((sek["deposits"].as_i64(), sek["withdrawals"].as_i64()), (Some(300_000), Some(1_000)));
        assert_eq!((sek["wagered"].as_i64(), sek["paid"].as_i64(), sek["ggr"].as_i64()), (Some(4 * STAKE), Some(paid), Some(4 * STAKE - paid)));
        let eur = currencies.iter().find(|c| c["currency"] == "EUR").unwrap();
        assert_eq!((eur["deposits"].as_i64(), eur["rounds"].as_i64(), eur["rtp"].as_f64()), (Some(25_000), Some(0), None));
        let daily = o["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 7 * 2, "every day in every currency");
        assert_eq!((daily[0]["day"].as_str(), daily[13]["day"].as_str()), (Some("2026-06-09"), Some("2026-06-15")));
        let on = |day: &str, currency: &str| daily.iter().find(|d| d["currency"] == currency && d["day"] == day).unwrap().clone();
        let sek_today = on("2026-06-15", "SEK");
        assert_eq!((sek_today["rounds"].as_i64(), sek_today["deposits"].as_i64()), (Some(4), Some(300_000)));
        assert_eq!((on("2026-06-14", "EUR")["deposits"].as_i64(), on("2026-06-15", "EUR")["deposits"].as_i64()), (Some(5_000), Some(20_000)));
        assert_eq!(daily.iter().map(|d| d["rounds"].as_i64().unwrap()).sum::<i64>(), 4);
        let hourly = o["hourly"].as_array().unwrap();
        assert_eq!(hourly.len(), 24);
        assert_eq!((hourly[0]["hour"].as_str(), hourly[23]["hour"].as_str()), (Some("2026-06-14T11:00:00Z"), Some("2026-06-15T10:00:00Z")));
        assert_eq!(hourly[23]["rounds"], 4, "this hour's rounds come last");
        assert_eq!(hourly.iter().map(|h| h["rounds"].as_i64().unwrap()).sum::<i64>(), 4);
        let eve = app.get(&format!("/api/v2/wallet/{eur_id}/balance"), Some(&op)).await.ok(200).clone();
        assert_eq!(eve["cash"], 25_000);

        app.get("/api/v2/back-office/overview?days=0", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/back-office/overview?hours=1000", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/back-office/overview", Some(&te)).await.problem(403, "forbidden");
    }

    async fn players_filter_by_country_and_sort_and_admins_list_staff(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let admin = app.staff("boss", Role::Admin).await;
        let op = app.staff("oper", Role::Operator).await;
        app.staff("kim", Role::Compliance).await;
        app.player("zed").await;
        app.player("amy").await;
        let r = app.post("/api/v2/players", None, json!({"username": "gbplayer", "email": "gb@example.com", "password": "correct horse",
            "date_of_birth": "1980-03-03", "country": "GB", "currency": "GBP"})).await;
        r.ok(201);

        let gb = app.get("/api/v2/pam/players?country=gb", Some(&op)).await.ok(200).clone();
        assert_eq!(ids(&gb, "username"), ["gbplayer"]);
        let by_name = app.get("/api/v2/pam/players?country=SE&sort=username", Some(&op)).await.ok(200).clone();
        assert_eq!(ids(&by_name, "username"), ["amy", "zed"]);
        let desc = app.get("/api/v2/pam/players?sort=-username", Some(&op)).await.ok(200).clone();
        assert_eq!(ids(&desc, "username"), ["zed", "gbplayer", "amy"]);
        app.get("/api/v2/pam/players?country=XX", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/pam/players?sort=email", Some(&op)).await.problem(400, "validation_error");

        let staff = app.get("/api/v2/staff", Some(&admin)).await.ok(200).clone();
        assert_eq!(staff["total"], 3);
        assert_eq!(ids(&staff, "username"), ["kim", "oper", "boss"], "newest first");
        let ops = app.get("/api/v2/staff?role=operator", Some(&admin)).await.ok(200).clone();
        assert_eq!((ids(&ops, "username"), ops["items"][0]["role"].as_str()), (vec!["oper".to_owned()], Some("operator")));
        let paged = app.get("/api/v2/staff?limit=1&offset=1", Some(&admin)).await.ok(200).clone();
        assert_eq!(ids(&paged, "username"), ["oper"]);
        app.get("/api/v2/staff?role=player", Some(&admin)).await.problem(400, "validation_error");
        app.get("/api/v2/staff", Some(&op)).await.problem(403, "forbidden");
    }

    async fn the_audit_log_and_alert_lists_filter_sort_and_page(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let admin = app.staff("boss", Role::Admin).await;
        let comp = app.staff("kim", Role::Compliance).await;
        let op = app.staff("oper", Role::Operator).await;
        let admin_id = app.get("/api/v2/staff?role=admin", Some(&admin)).await.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
        for (slug, rtp) in [("dice", 95.0), ("keno", 94.0), ("dice", 93.0)] {
            app.request(reqwest::Method::PUT, &format!("/api/v2/game-control/rtp/{slug}"), Some(&admin), Some(json!({"rtp": rtp}))).await.ok(200);
        }
        app.request(reqwest::Method::PUT, "/api/v2/game-control/rtp/plinko", Some(&op), Some(json!({"rtp": 92.0}))).await.ok(200);
        let (p1, _) = app.player_without_kyc("pia").await;
        let (p2, t2) = app.player_without_kyc("pal").await;
        let (p3, t3) = app.player_without_kyc("pem").await;
        let manual = json!({"document_type": "passport", "document_number": "MANUAL1", "issuing_country": "SE",
            "expires_on": "2035-01-01", "full_name": "Pal Person", "address": "Gatan 1"});
        app.post(&format!("/api/v2/compliance/kyc/{p2}/submit"), Some(&t2), manual.clone()).await.ok(201);
        app.post(&format!("/api/v2/compliance/kyc/{p3}/submit"), Some(&t3), manual).await.ok(201);
        app.post(&format!("/api/v2/compliance/kyc/{p2}/verify"), Some(&comp), json!({"decision": "approve"})).await.ok(200);

        let audit = |q: &str| {
            let (app, comp, path) = (&app, &comp, format!("/api/v2/audit-log?{q}"));
            async move { app.get(&path, Some(comp)).await }
        };
        let rtp_by_admin = audit(&format!("action=rtp.changed&actor={admin_id}")).await.ok(200).clone();
        assert_eq!(rtp_by_admin.as_array().unwrap().len(), 3);
        let dice = audit("target=game:dice").await.ok(200).clone();
        let after: Vec<f64> = dice.as_array().unwrap().iter().map(|e| e["after"]["rtp"].as_f64().unwrap()).collect();
        assert_eq!(after, [93.0, 95.0], "newest first");
        let paged = audit("action=rtp.changed&limit=2&offset=2").await.ok(200).clone();
        assert_eq!(paged.as_array().unwrap().len(), 2);
        let kyc = audit(&format!("target=player:{p2}")).await.ok(200).clone();
        assert_eq!(kyc[0]["action"], "kyc.decided");
        assert_eq!(audit(&format!("target=player:{p1}")).await.ok(200).as_array().unwrap().len(), 0);
        assert_eq!(audit("from=2999-01-01T00:00:00Z").await.ok(200).as_array().unwrap().len(), 0);
        audit("actor=nobody").await.problem(400, "validation_error");

        let pending = app.get("/api/v2/compliance/kyc?status=pending&sort=-submitted_at", Some(&comp)).await.ok(200).clone();
        assert_eq!(pending.as_array().unwrap().iter().map(|k| k["player_id"].as_str().unwrap()).collect::<Vec<_>>(), [p3.as_str()]);
        let decided = app.get("/api/v2/compliance/kyc?status=approved&offset=1", Some(&comp)).await.ok(200).clone();
        assert_eq!(decided.as_array().unwrap().len(), 0);
        app.get("/api/v2/compliance/kyc?sort=name", Some(&comp)).await.problem(400, "validation_error");

        // A deposit of 2,000.00 is a medium alert; three just under it in a day are structuring (high).
        let (_, tr) = funded(&app, "rich", 199_000).await;
        for i in 0..3 {
            app.deposit(&tr, 195_000, &format!("s{i}")).await;
        }
        let by_risk = app.get("/api/v2/compliance/aml/alerts?sort=-risk_score", Some(&comp)).await.ok(200).clone();
        let scores: Vec<i64> = by_risk.as_array().unwrap().iter().map(|a| a["risk_score"].as_i64().unwrap()).collect();
        assert!(scores.len() >= 2 && scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        let rest = app.get("/api/v2/compliance/aml/alerts?sort=-risk_score&offset=1", Some(&comp)).await.ok(200).clone();
        assert_eq!(rest.as_array().unwrap().len(), scores.len() - 1);
        app.get("/api/v2/compliance/aml/alerts?sort=rule", Some(&comp)).await.problem(400, "validation_error");
        app.get("/api/v2/responsible-gaming/alerts?offset=-1", Some(&comp)).await.problem(400, "validation_error");
        app.get("/api/v2/wallet/manual-postings?offset=0&limit=5", Some(&op)).await.ok(200);
    }

    async fn staff_list_players_by_responsible_gaming_measure(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let op = app.staff("oper", Role::Operator).await;
        let (lim, tl) = app.player("limited").await;
        let (out, to) = app.player("onbreak").await;
        let (ses, ts) = app.player("timed").await;
        app.player("carefree").await;
        let limit = |t: &str, amount: i64| {
            let (app, t) = (&app, t.to_owned());
            async move { app.post("/api/v2/responsible-gaming/limits", Some(&t), json!({"period": "daily", "amount": amount})).await.ok(200).clone() }
        };
        limit(&tl, 10_000).await;
        // A raise waits for the jurisdiction's cooling-off (SE: 72 h).
        limit(&tl, 20_000).await;
        app.post(&format!("/api/v2/responsible-gaming/exclude/{out}"), Some(&to), json!({"kind": "timeout", "duration": "24_hours"})).await.ok(200);
        app.post(&format!("/api/v2/responsible-gaming/session-limits/{ses}"), Some(&ts), json!({"daily_minutes": 60})).await.ok(200);

        let page = |q: &str| {
            let (app, op, path) = (&app, &op, format!("/api/v2/responsible-gaming/measures?{q}"));
            async move { app.get(&path, Some(op)).await.ok(200).clone() }
        };
        let players = |p: &Value| -> Vec<String> { p["items"].as_array().unwrap().iter().map(|i| i["username"].as_str().unwrap().to_owned()).collect() };
        assert_eq!(players(&page("").await), ["timed", "onbreak", "limited"], "any measure, latest change first");
        let pending = page("kind=pending").await;
        assert_eq!(players(&pending), ["limited"]);
        let daily = &pending["items"][0]["limits"][0];
        assert_eq!((daily["period"].as_str(), daily["active"].as_i64(), daily["pending"]["amount"].as_i64()), (Some("daily"), Some(10_000), Some(20_000)));
        assert_eq!((pending["items"][0]["currency"].as_str(), pending["items"][0]["jurisdiction"].as_str()), (Some("SEK"), Some("SE")));
        let excluded = page("kind=exclusion").await;
        assert_eq!(players(&excluded), ["onbreak"]);
        assert_eq!((excluded["items"][0]["exclusion"]["kind"].as_str(), excluded["items"][0]["exclusion"]["active"].as_bool()), (Some("timeout"), Some(true)));
        assert_eq!(players(&page("kind=deposit_limit").await), ["limited"]);
        let timed = page("kind=session_limit").await;
        assert_eq!((players(&timed), timed["items"][0]["session_limits"]["daily_minutes"].as_i64()), (vec!["timed".to_owned()], Some(60)));
        let second = page("limit=1&offset=1").await;
        assert_eq!((players(&second), second["total"].as_i64()), (vec!["onbreak".to_owned()], Some(3)));
        assert!(!lim.is_empty());
        app.get("/api/v2/responsible-gaming/measures?kind=everything", Some(&op)).await.problem(400, "validation_error");
        app.get("/api/v2/responsible-gaming/measures", Some(&tl)).await.problem(403, "forbidden");
    }

    async fn request_metrics_summarize_each_route(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let op = app.staff("oper", Role::Operator).await;
        for _ in 0..3 {
            app.get("/api/v2/stats", None).await.ok(200);
        }
        app.get("/api/v2/players/not-a-uuid", Some(&op)).await;
        let m = app.get("/api/v2/back-office/request-metrics", Some(&op)).await.ok(200).clone();
        let routes = m["routes"].as_array().unwrap();
        let stats = routes.iter().find(|r| r["route"] == "/api/v2/stats").unwrap();
        assert_eq!((stats["method"].as_str(), stats["requests"].as_u64(), stats["client_errors"].as_u64()), (Some("GET"), Some(3), Some(0)));
        assert!(stats["mean_ms"].as_f64().unwrap() > 0.0 && stats["p95_ms"].as_f64().unwrap() > 0.0);
        let bad = routes.iter().find(|r| r["route"] == "/api/v2/players/{id}").unwrap();
        assert_eq!(bad["client_errors"], 1);
        assert!(m["requests"].as_u64().unwrap() >= 5 && m["client_errors"].as_u64().unwrap() >= 1);
        let (_, player) = app.player_without_kyc("pia").await;
        app.get("/api/v2/back-office/request-metrics", Some(&player)).await.problem(403, "forbidden");
    }
}
