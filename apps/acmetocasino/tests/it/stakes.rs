//! Real stakes (issue 13): minimum bets of a few cents paid without bias and reproduced
//! from the seeds, bets that cannot be won refused, operators' limits per game, the GB
//! slot stake caps by age, and statistics that stay exact at any mix of stakes.

use crate::support::{Options, Reply, TestApp, kyc_documents, on_database};
use chrono::{DateTime, Duration, Utc};
use kernel::testkit::ManualClock;
use pam_core::Role;
use serde_json::{Value, json};
use std::sync::Arc;

async fn funded(app: &TestApp, name: &str, amount: i64) -> (String, String) {
    let (id, t) = app.player(name).await;
    app.deposit(&t, amount, &format!("{name}-fund")).await.ok(201);
    (id, t)
}

fn game<'a>(catalogue: &'a Value, slug: &str) -> &'a Value {
    catalogue.as_array().unwrap().iter().find(|g| g["slug"] == slug).unwrap()
}

async fn play(app: &TestApp, t: &str, slug: &str, amount: i64, params: &Value, key: &str) -> Reply {
    app.post(
        "/api/v2/gal/play",
        Some(t),
        json!({"game_slug": slug, "amount": amount, "params": params, "idempotency_key": key}),
    )
    .await
}

/// `won` and `net` as the contract defines them, on a bet answer or a round record.
#[track_caller]
fn assert_won_and_net(r: &Value) {
    let (amount, payout) = (r["amount"].as_i64().unwrap(), r["payout"].as_i64().unwrap());
    assert_eq!(r["net"].as_i64(), Some(payout - amount), "{r:#}");
    assert_eq!(r["won"].as_bool(), Some(payout > amount), "{r:#}");
}

crate::both_backends! {
    async fn every_game_plays_from_its_minimum_stake_and_every_round_verifies(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (_, t) = funded(&app, "smallstakes", 100_000).await;
        let catalogue = app.get("/api/v2/gal/games", None).await.ok(200).clone();
        let mut rounds = Vec::new();
        for g in catalogue.as_array().unwrap() {
            let slug = g["slug"].as_str().unwrap();
            let min = g["min_bet"].as_i64().unwrap();
            assert!((1..=10).contains(&min), "{slug}: min_bet {min}");
            // The stakes players use: the minimum, a few cents, an odd amount.
            for (i, amount) in [min, 7.max(min), 99, 1_234].into_iter().enumerate() {
                let r = play(&app, &t, slug, amount, &g["default_params"], &format!("{slug}-{i}")).await.ok(200).clone();
                assert_eq!(r["amount"].as_i64(), Some(amount));
                assert_won_and_net(&r);
                rounds.push(r["round_id"].as_str().unwrap().to_owned());
            }
        }
        // Reveal the seed: every round, its rounding draw included, recomputes.
        app.post("/api/v2/gal/fairness/rotate", Some(&t), json!({})).await.ok(200);
        let mut rounding_draws = 0;
        for id in rounds {
            let round = app.get(&format!("/api/v2/gal/rounds/{id}"), Some(&t)).await.ok(200).clone();
            assert_eq!(round["rng"]["payout_rounding"], "unbiased");
            assert_won_and_net(&round);
            let draws = round["rng"]["draws"].as_array().unwrap();
            let exact = round["amount"].as_i64().unwrap() as i128 * (round["multiplier"].as_f64().unwrap() * 1e6).round() as i128;
            let (whole, fraction) = ((exact / 1_000_000) as i64, (exact % 1_000_000) as u64);
            if fraction > 0 {
                // One more draw, uniform(10^6), after the game's: one unit more below the fraction.
                let last = draws.last().unwrap();
                assert_eq!(last["n"], 1_000_000, "{round:#}");
                let up = last["value"].as_u64().unwrap() < fraction;
                assert_eq!(round["payout"].as_i64(), Some(whole + i64::from(up)), "{round:#}");
                rounding_draws += 1;
            } else {
                assert_eq!(round["payout"].as_i64(), Some(whole), "{round:#}");
            }
            let v = app.get(&format!("/api/v2/gal/rounds/{id}/verify"), Some(&t)).await.ok(200).clone();
            assert_eq!(v["verified"], true, "{v:#}");
            assert_eq!(v["recomputed_payout"], round["payout"]);
        }
        assert!(rounding_draws > 0, "some payouts were not whole at these stakes");
    }

    async fn a_round_is_verified_by_the_rounding_rule_it_was_played_under(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (_, t) = funded(&app, "legacy", 10_000).await;
        // A coin won at a stake of 1 pays 1.93: 1, or 2 with probability 0.93.
        let mut won = None;
        for i in 0..64 {
            let r = play(&app, &t, "coin-flip", 1, &json!({"side": "heads"}), &format!("l{i}")).await.ok(200).clone();
            if r["multiplier"].as_f64() > Some(0.0) {
                won = Some(r);
                break;
            }
        }
        let won = won.expect("a coin flip is won within 64 tries");
        let id = won["round_id"].as_str().unwrap().to_owned();
        app.post("/api/v2/gal/fairness/rotate", Some(&t), json!({})).await.ok(200);
        // Make it a round from before unbiased rounding: rounded down, no rounding draw.
        let round = app.get(&format!("/api/v2/gal/rounds/{id}"), Some(&t)).await.ok(200).clone();
        let game_draws = json!([round["rng"]["draws"][0]]).to_string();
        let sql = format!("UPDATE rounds SET payout_rounding = 'floor', payout = 1, draws = '{game_draws}' WHERE id = '{id}'");
        on_database(&app, &sql, &sql).await;
        let v = app.get(&format!("/api/v2/gal/rounds/{id}/verify"), Some(&t)).await.ok(200).clone();
        assert_eq!((v["verified"].as_bool(), v["recomputed_payout"].as_i64()), (Some(true), Some(1)), "{v:#}");
        let legacy = app.get(&format!("/api/v2/gal/rounds/{id}"), Some(&t)).await.ok(200).clone();
        assert_eq!(legacy["rng"]["payout_rounding"], "floor");
        // A payout that no rule gives is caught.
        let sql = format!("UPDATE rounds SET payout = 2 WHERE id = '{id}'");
        on_database(&app, &sql, &sql).await;
        let v = app.get(&format!("/api/v2/gal/rounds/{id}/verify"), Some(&t)).await.ok(200).clone();
        assert_eq!((v["verified"].as_bool(), v["outcome_matches"].as_bool()), (Some(false), Some(false)), "{v:#}");
    }

    async fn a_bet_whose_win_would_pay_less_than_the_stake_is_not_offered(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = funded(&app, "chances", 100_000).await;
        let op = app.staff("chances_op", Role::Operator).await;
        let dice = |catalogue: &Value| game(catalogue, "dice")["accepted_params"].clone();
        let at_96_5 = dice(&app.get("/api/v2/gal/games", None).await.ok(200).clone());
        assert_eq!(at_96_5["under"], json!({"min": 100, "max": 9650}));
        assert_eq!(at_96_5["over"], json!({"min": 349, "max": 9899}));
        assert_eq!(at_96_5["win_chance_percent"], json!({"min": 1.0, "max": 96.5}));
        app.request(reqwest::Method::PUT, "/api/v2/game-control/rtp/dice", Some(&op), Some(json!({"rtp": 80}))).await.ok(200);
        let at_80 = dice(&app.get("/api/v2/gal/games", None).await.ok(200).clone());
        assert_eq!((at_80["under"]["max"].as_u64(), at_80["over"]["min"].as_u64()), (Some(8000), Some(1999)));

        // 80.01 % would pay 0.9999x on a "win": refused, nothing written.
        for (params, key) in [(json!({"target": 8001, "direction": "under"}), "u"), (json!({"target": 1998, "direction": "over"}), "o")] {
            let r = play(&app, &t, "dice", 100, &params, key).await;
            r.problem(422, "bet_out_of_range");
            assert!(r.body["detail"].as_str().unwrap().contains("less than the stake"), "{:#}", r.body);
        }
        let history = app.get(&format!("/api/v2/wallet/{id}/history"), Some(&t)).await.ok(200).clone();
        assert_eq!(history["events"].as_array().unwrap().len(), 1, "only the deposit");
        // The edge of the range plays: a win returns the stake, which is not a win.
        for i in 0..12 {
            let r = play(&app, &t, "dice", 100, &json!({"target": 8000, "direction": "under"}), &format!("edge{i}")).await.ok(200).clone();
            assert_won_and_net(&r);
            assert!(r["payout"] == 0 || r["payout"] == 100, "{r:#}");
            assert_eq!(r["won"], false, "a return of the stake is no win: {r:#}");
        }
        play(&app, &t, "dice", 100, &json!({"target": 1999, "direction": "over"}), "over-edge").await.ok(200);
    }

    async fn operators_set_bet_limits_per_game_audited_for_new_rounds_only(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (_, t) = funded(&app, "limited_bettor", 100_000).await;
        let op = app.staff("limits_op", Role::Operator).await;
        let admin = app.staff("limits_admin", Role::Admin).await;
        let compliance = app.staff("limits_cmp", Role::Compliance).await;
        let coin = json!({"side": "heads"});
        let before = play(&app, &t, "coin-flip", 5, &coin, "before").await.ok(200).clone();
        let put = async |slug: &str, body: Value, token: &str| {
            app.request(reqwest::Method::PUT, &format!("/api/v2/game-control/limits/{slug}"), Some(token), Some(body)).await
        };
        put("coin-flip", json!({"min_bet": 100, "max_bet": 1_000}), &t).await.problem(403, "forbidden");
        put("coin-flip", json!({"min_bet": 100, "max_bet": 1_000}), &compliance).await.problem(403, "forbidden");
        put("blackjack", json!({"min_bet": 100, "max_bet": 1_000}), &op).await.problem(404, "not_found");
        let supported = app.get("/api/v2/game-control/rtp", Some(&op)).await.ok(200).clone();
        let keno_ceiling = game(&supported, "keno")["max_bet_supported"].as_i64().unwrap();
        assert!((5_000_000..10_000_000).contains(&keno_ceiling), "10 of 10 pays about 104,000x: {keno_ceiling}");
        for (slug, body, field) in [
            ("coin-flip", json!({"min_bet": 0, "max_bet": 1_000}), "min_bet"),
            ("coin-flip", json!({"min_bet": 100, "max_bet": 99}), "max_bet"),
            ("keno", json!({"min_bet": 10, "max_bet": keno_ceiling + 1}), "max_bet"),
            ("coin-flip", json!({"min_bet": 100}), "body"),
            ("coin-flip", json!({"min_bet": 1.5, "max_bet": 1_000}), "min_bet"),
        ] {
            let r = put(slug, body.clone(), &op).await;
            r.problem(400, "validation_error");
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {:#}", r.body);
        }
        put("keno", json!({"min_bet": 10, "max_bet": keno_ceiling}), &admin).await.ok(200);

        let set = put("coin-flip", json!({"min_bet": 100, "max_bet": 1_000}), &op).await.ok(200).clone();
        assert_eq!((set["min_bet"].as_i64(), set["max_bet"].as_i64()), (Some(100), Some(1_000)));
        assert!(set["limits_updated_by"].is_string() && set["limits_updated_at"].is_string());
        let listed = app.get("/api/v2/game-control/rtp", Some(&compliance)).await.ok(200).clone();
        let c = game(&listed, "coin-flip");
        assert_eq!((c["min_bet"].as_i64(), c["max_bet"].as_i64(), c["rtp_target"].as_f64()), (Some(100), Some(1_000), Some(96.5)));
        assert!(game(&listed, "dice")["limits_updated_by"].is_null(), "untouched games keep the catalogue's");
        let shown = app.get("/api/v2/gal/games", None).await.ok(200).clone();
        let c = game(&shown, "coin-flip");
        assert_eq!((c["min_bet"].as_i64(), c["max_bet"].as_i64()), (Some(100), Some(1_000)));

        // New rounds meet the new limits; the earlier round stands as played.
        for (amount, key) in [(99, "below"), (1_001, "above")] {
            let r = play(&app, &t, "coin-flip", amount, &coin, key).await;
            r.problem(422, "bet_out_of_range");
            assert!(r.body["detail"].as_str().unwrap().contains("between 100 and 1000"), "{:#}", r.body);
        }
        play(&app, &t, "coin-flip", 100, &coin, "inside").await.ok(200);
        let old = app.get(&format!("/api/v2/gal/rounds/{}", before["round_id"].as_str().unwrap()), Some(&t)).await.ok(200).clone();
        assert_eq!(old["amount"], 5);

        // Audited with the old and new limits; the next change starts from the stored ones.
        put("coin-flip", json!({"min_bet": 1, "max_bet": 2_000}), &op).await.ok(200);
        let audit = app.get("/api/v2/audit-log?action=game.limits_changed", Some(&admin)).await.ok(200).clone();
        let coin_changes: Vec<&Value> = audit.as_array().unwrap().iter().filter(|a| a["target"] == "game:coin-flip").collect();
        assert_eq!(coin_changes.len(), 2, "{audit:#}");
        assert_eq!(coin_changes[0]["before"], json!({"min_bet": 100, "max_bet": 1_000}));
        assert_eq!(coin_changes[0]["after"], json!({"min_bet": 1, "max_bet": 2_000}));
        assert_eq!(coin_changes[1]["before"], json!({"min_bet": 1, "max_bet": 10_000_000}), "the catalogue's");
        play(&app, &t, "coin-flip", 1, &coin, "back-to-one").await.ok(200);
    }

    async fn gb_slot_stakes_are_capped_by_age_on_the_day_of_the_bet(backend) {
        // Noon UTC on the day before the player's 25th birthday.
        let t0 = DateTime::parse_from_rfc3339("2026-06-14T12:00:00Z").unwrap().with_timezone(&Utc);
        let clock = Arc::new(ManualClock::starting_at(t0));
        let Some(app) = TestApp::spawn(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await else { return };
        let body = json!({"username": "young_brit", "email": "young_brit@example.com", "password": "correct horse",
                          "date_of_birth": "2001-06-15", "country": "GB", "currency": "GBP"});
        let id = app.post("/api/v2/players", None, body).await.ok(201)["id"].as_str().unwrap().to_owned();
        let t = app.login("young_brit", "correct horse").await;
        app.post(&format!("/api/v2/compliance/kyc/{id}/submit"), Some(&t), kyc_documents("young_brit")).await.ok(201);
        app.deposit(&t, 100_000, "fund").await.ok(201);
        let slots = ["classic-slot", "video-slot"];

        // 24 today: 2.00 per game cycle on slots, shown to the player in the catalogue.
        let own = app.get("/api/v2/gal/games", Some(&t)).await.ok(200).clone();
        for slot in slots {
            let g = game(&own, slot);
            assert_eq!(g["max_bet"].as_i64(), Some(200), "{g:#}");
            assert!(g["max_bet_rule"].as_str().unwrap().contains("18 to 24"), "{g:#}");
        }
        assert_eq!((game(&own, "dice")["max_bet"].as_i64(), game(&own, "dice")["max_bet_rule"].is_null()), (Some(10_000_000), true));
        let public = app.get("/api/v2/gal/games", None).await.ok(200).clone();
        assert_eq!(game(&public, "video-slot")["max_bet"].as_i64(), Some(10_000_000), "strangers see the game's limit");
        app.get("/api/v2/gal/games", Some("not-a-token")).await.problem(401, "unauthorized");

        for slot in slots {
            let r = play(&app, &t, slot, 201, &json!({}), &format!("{slot}-201")).await;
            r.problem(422, "bet_out_of_range");
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("GB online slots") && detail.contains("18 to 24") && detail.contains("200"), "{detail}");
            play(&app, &t, slot, 200, &json!({}), &format!("{slot}-200")).await.ok(200);
        }
        play(&app, &t, "dice", 5_000, &json!({"target": 5000, "direction": "under"}), "dice").await.ok(200);

        // Midnight UTC: the birthday moves the cap to 5.00.
        clock.advance(Duration::hours(12));
        let own = app.get("/api/v2/gal/games", Some(&t)).await.ok(200).clone();
        assert_eq!(game(&own, "video-slot")["max_bet"].as_i64(), Some(500));
        assert!(game(&own, "video-slot")["max_bet_rule"].as_str().unwrap().contains("25 and over"));
        play(&app, &t, "video-slot", 500, &json!({}), "birthday-500").await.ok(200);
        let r = play(&app, &t, "classic-slot", 501, &json!({}), "birthday-501").await;
        r.problem(422, "bet_out_of_range");
        assert!(r.body["detail"].as_str().unwrap().contains("25 and over"), "{:#}", r.body);
    }

    async fn stake_caps_come_from_the_configured_profile_table(backend) {
        // A table without GB caps, and one on dice for everyone elsewhere.
        let profiles = r#"[
            {"code": "GB", "limit_increase_cooling_off_hours": 24, "min_self_exclusion": "6_months"},
            {"code": "default", "limit_increase_cooling_off_hours": 24, "min_self_exclusion": "6_months",
             "stake_caps": [{"rule": "house dice limit", "game_slugs": ["dice"], "min_age": 18, "max_stake": 50}]}
        ]"#;
        let env = vec![("ACMETOCASINO_RG_PROFILES", profiles.to_owned())];
        let Some(app) = TestApp::spawn(backend, Options { env, ..Options::default() }).await else { return };
        let (_, t) = funded(&app, "capped_swede", 100_000).await;
        let own = app.get("/api/v2/gal/games", Some(&t)).await.ok(200).clone();
        assert_eq!((game(&own, "dice")["max_bet"].as_i64(), game(&own, "dice")["max_bet_rule"].as_str()), (Some(50), Some("house dice limit")));
        let dice = json!({"target": 5000, "direction": "under"});
        let r = play(&app, &t, "dice", 51, &dice, "d51").await;
        r.problem(422, "bet_out_of_range");
        assert!(r.body["detail"].as_str().unwrap().contains("house dice limit"));
        play(&app, &t, "dice", 50, &dice, "d50").await.ok(200);
        play(&app, &t, "video-slot", 600, &json!({}), "slot").await.ok(200);
    }

    async fn published_statistics_stay_exact_at_any_mix_of_stakes(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (_, t) = funded(&app, "mixed", 1_000_000).await;
        let op = app.staff("stats_op", Role::Operator).await;
        let stakes = [1_i64, 7, 10, 99, 1_234];
        let (mut wagered, mut paid) = (0_i64, 0_i64);
        for (i, amount) in stakes.iter().cycle().take(40).enumerate() {
            let r = play(&app, &t, "coin-flip", *amount, &json!({"side": "tails"}), &format!("m{i}")).await.ok(200).clone();
            wagered += amount;
            paid += r["payout"].as_i64().unwrap();
        }
        let stats = app.get("/api/v2/game-control/stats", Some(&op)).await.ok(200).clone();
        let coin = game(&stats["games"], "coin-flip");
        assert_eq!((coin["rounds"].as_i64(), coin["wagered"].as_i64(), coin["paid"].as_i64()), (Some(40), Some(wagered), Some(paid)));
        // Every stake returns exactly 96.5 % on average, rounding included: a coin won at
        // stake a pays 1.93a, so E = 0.965a at every stake (rounding down would give 0.5
        // at a stake of 1).
        assert!((coin["target_rtp"].as_f64().unwrap() - 96.5).abs() < 1e-9, "{coin:#}");
        // The band from each round's own variance: ½·(1.93a)² spread, plus the rounding
        // coin's f(1 − f) on a win, computed here by hand.
        let variance: f64 = stakes.iter().cycle().take(40).map(|&a| {
            let x = 1.93 * a as f64;
            let f = x - x.floor();
            let second = 0.5 * ((1.0 - f) * x.floor().powi(2) + f * (x.floor() + 1.0).powi(2));
            second - (0.965 * a as f64).powi(2)
        }).sum();
        let half = 2.575_829_303_548_901 * variance.sqrt() / wagered as f64 * 100.0;
        assert!((coin["ci99_high"].as_f64().unwrap() - (96.5 + half)).abs() < 1e-6, "{coin:#} vs ±{half}");
        assert!((coin["ci99_low"].as_f64().unwrap() - (96.5 - half)).abs() < 1e-6, "{coin:#}");
        assert!((coin["actual_rtp"].as_f64().unwrap() - paid as f64 / wagered as f64 * 100.0).abs() < 1e-9);
        assert_eq!(stats["platform"]["wagered"].as_i64(), Some(wagered));
    }
}
