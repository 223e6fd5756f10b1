//! The pages in a real headless Chromium (see `cdp`): the landing page, the player UI
//! from registration to a verified round, and the back office's seventeen tabs for each
//! staff role. Every page and tab is checked for console errors and failed requests and
//! with axe-core, at 1280 px and at 390 px, and saved as a screenshot under
//! `target/xtask/screenshots/`.

use crate::cdp::{self, Page, js};
use crate::support::{Backend, Options, TestApp, kyc_documents};
use kernel::testkit::ManualClock;
use pam_core::Role;
use serde_json::{Value, json};
use std::sync::Arc;

const STAFF_PASSWORD: &str = "staff password";
const GAMES: [&str; 8] = ["dice", "roulette", "classic-slot", "video-slot", "keno", "plinko", "crash", "coin-flip"];

/// The back office's tabs, in order (their `#id`).
const TABS: [&str; 17] = [
    "overview",
    "live",
    "players",
    "player",
    "wallet-events",
    "payments",
    "games",
    "sessions",
    "rounds",
    "rtp",
    "game-control",
    "kyc",
    "aml",
    "rg",
    "reports",
    "audit",
    "system",
];

/// Checks a page or tab: no problems, accessible, a screenshot; at 1280 px and 390 px.
async fn check(page: &Page, label: &str) {
    page.assert_accessible(label).await;
    page.screenshot(label).await;
    page.assert_no_problems(label);
}

/// The same at the width of a phone, then back.
async fn check_phone(page: &Page, label: &str) {
    page.resize(390, 844).await;
    page.assert_fits(label).await;
    page.assert_accessible(&format!("{label} at 390 px")).await;
    page.screenshot(&format!("{label}-390")).await;
    page.resize(page.width, page.height).await;
    page.assert_no_problems(label);
}

async fn staff_sign_in(page: &Page, base: &str, username: &str) {
    page.goto(&format!("{base}/dashboard.html")).await;
    page.type_into("#login-name", username).await;
    page.type_into("#login-password", STAFF_PASSWORD).await;
    page.click("#login-form button[type=submit]").await;
    page.wait_for("!document.getElementById('console').hidden && document.querySelector('#tab-nav a')", "the console")
        .await;
}

/// Opens a tab from the navigation and waits until its tables have loaded.
async fn open_tab(page: &Page, id: &str) {
    page.click(&format!("#nav-{id}")).await;
    page.wait_for(
        &format!(
            "(() => {{ const t = document.getElementById('tab-{id}'); return t && !t.hidden && location.hash.startsWith('#{id}') \
             && !t.querySelector('[aria-busy=true]'); }})()"
        ),
        &format!("tab {id}"),
    )
    .await;
}

/// Opens a view of the player UI from its navigation and waits until it is ready.
async fn open_view(page: &Page, hash: &str) {
    page.click(&format!("#player-nav a[href='#{hash}']")).await;
    page.wait_for(&format!("document.querySelector('#view-{hash}')?.dataset.ready"), &format!("the {hash} view")).await;
}

fn funded_play(amount: i64, key: &str) -> Value {
    json!({"game_slug": "coin-flip", "amount": amount, "params": {"side": "heads"}, "idempotency_key": key})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_shows_a_healthy_database_and_live_stats() {
    let Some(browser) = cdp::browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap();
    let (_, t) = app.player("lander").await;
    app.deposit(&t, 100_000, "land").await.ok(201);
    app.post("/api/v2/gal/play", Some(&t), funded_play(10_000, "land-1")).await.ok(200);

    let page = browser.page("landing", 1280, 900).await;
    page.goto(&format!("{}/", app.base)).await;
    page.wait_for("document.getElementById('db-status').textContent === 'up'", "the database to show up").await;
    assert_eq!(page.text("#health-status").await, "healthy");
    assert_eq!(page.text("#redis-status").await, "disabled");
    assert!(page.text("#db-latency").await.ends_with("ms"));
    assert_eq!(page.text("#stat-players").await, "1");
    assert_eq!(page.text("#stat-rounds").await, "1");
    assert_eq!(page.text("#stat-games").await, "8");
    let rtp: f64 = page.text("#stat-rtp").await.parse().unwrap();
    assert!((0.0..=1_000.0).contains(&rtp));
    // Live: a second player shows at the next poll (every 5 s).
    app.player("lander_two").await;
    page.wait_for("document.getElementById('stat-players').textContent === '2'", "the stats to refresh").await;
    check(&page, "1280").await;
    check_phone(&page, "page").await;

    // The API reference pages, vendored third-party UIs, load offline without a problem.
    // ReDoc passes axe; Swagger UI 5 does not (its own colour contrast and buttons
    // nested in its operation headers), so it is only loaded and photographed.
    page.goto(&format!("{}/api/v2/redoc", app.base)).await;
    page.wait_for("document.querySelector('.api-content')", "ReDoc").await;
    check(&page, "redoc").await;
    page.goto(&format!("{}/api/v2/docs", app.base)).await;
    page.wait_for("document.querySelector('.opblock')", "Swagger UI").await;
    page.screenshot("swagger-ui").await;
    page.assert_no_problems("Swagger UI");
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_registers_passes_kyc_sets_a_limit_deposits_plays_every_game_and_verifies_a_round() {
    let Some(browser) = cdp::browser().await else { return };
    // The server's rules read a clock the test moves (for the reality check); tokens outlive it.
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let app =
        TestApp::spawn(Backend::Sqlite, Options { clock: Some(clock.clone()), ..Options::default() }).await.unwrap();
    let base = app.base.clone();
    app.staff("watcher", Role::Operator).await;

    // An operator watches the live feed while the player plays.
    let staff = browser.page("player-flow-operator", 1280, 900).await;
    staff_sign_in(&staff, &base, "watcher").await;
    open_tab(&staff, "live").await;
    staff
        .wait_for("document.querySelector('#tab-live [data-role=state]').textContent === 'live'", "the feed to go live")
        .await;

    let page = browser.page("play", 1280, 900).await;
    page.goto(&format!("{base}/play.html")).await;
    page.wait_for("document.querySelector('#view-auth')?.dataset.ready", "the sign-in view").await;
    check(&page, "01-sign-in").await;

    // Registration: the server's validation errors show at their fields.
    page.type_into("#rg-user", "x!").await;
    page.type_into("#rg-email", "not-an-email").await;
    page.type_into("#rg-pass", "short").await;
    page.choose("#rg-dob", "2015-06-01").await;
    page.click("[data-role=register] button[type=submit]").await;
    page.wait_for("document.querySelectorAll('[data-role=register] .field.invalid').length >= 4", "field errors").await;
    for field in ["rg-user", "rg-email", "rg-pass", "rg-dob"] {
        let message = page
            .eval(&format!(
                "document.getElementById('{field}').closest('.field').querySelector('.field-error').textContent"
            ))
            .await;
        assert!(message.as_str().is_some_and(|m| m.len() > 5), "{field}: {message}");
        assert_eq!(
            page.eval(&format!("document.getElementById('{field}').getAttribute('aria-invalid')")).await,
            "true"
        );
    }
    assert!(page.text("[data-role=register-error]").await.starts_with("Please check what you entered."));
    page.screenshot("02-register-errors").await;
    let expected: Vec<String> = page.take_problems();
    assert!(!expected.is_empty() && expected.iter().all(|p| p.contains("400")), "{expected:#?}");

    page.type_into("#rg-user", "lena_plays").await;
    page.type_into("#rg-email", "lena@example.com").await;
    page.type_into("#rg-pass", "correct horse battery").await;
    page.choose("#rg-dob", "1990-04-17").await;
    page.choose("#rg-country", "SE").await;
    page.choose("#rg-currency", "SEK").await;
    page.click("[data-role=register] button[type=submit]").await;
    page.wait_for(
        "!document.getElementById('status').hidden && document.querySelector('#view-lobby')?.dataset.ready",
        "the lobby",
    )
    .await;
    assert_eq!(page.eval("document.querySelectorAll('.game-card').length").await, 8);
    assert_eq!(page.text("#who").await, "lena_plays");
    let op = app.login("watcher", STAFF_PASSWORD).await;
    let me = app.get("/api/v2/pam/players?q=lena_plays", Some(&op)).await.ok(200)["items"][0].clone();
    let player_id = me["id"].as_str().unwrap().to_owned();
    assert_eq!(me["kyc_status"], "none");
    check(&page, "03-lobby-before-kyc").await;

    // KYC with the simulated provider.
    open_view(&page, "account").await;
    let docs = kyc_documents("Lena");
    page.choose("#kyc-type", "passport").await;
    page.type_into("#kyc-number", docs["document_number"].as_str().unwrap()).await;
    page.type_into("#kyc-country", "SE").await;
    page.choose("#kyc-expires", "2035-01-01").await;
    page.type_into("#kyc-name", "Lena Player").await;
    page.type_into("#kyc-address", "Storgatan 1, Stockholm").await;
    page.click("[data-role=kyc] button[type=submit]").await;
    page.wait_for("document.querySelector('[data-role=kyc-result]').textContent.includes('verified')", "KYC approval")
        .await;
    check(&page, "04-account-kyc").await;
    check_phone(&page, "04-account-kyc").await;

    // Before the first deposit: the prompt to set a deposit limit.
    open_view(&page, "wallet").await;
    page.wait_for("!document.querySelector('[data-role=limit-prompt]').hidden", "the deposit-limit prompt").await;
    assert!(page.eval("document.querySelector('[data-role=deposit-card]').hidden").await.as_bool().unwrap());
    page.screenshot("05-wallet-limit-prompt").await;
    page.choose("#pr-period", "daily").await;
    page.type_into("#pr-amount", "5000").await;
    page.click("[data-role=prompt-form] button[type=submit]").await;
    page.wait_for("!document.querySelector('[data-role=deposit-card]').hidden", "the deposit form").await;
    page.type_into("#dep-amount", "1500.00").await;
    page.click("[data-role=deposit] button[type=submit]").await;
    page.wait_for(
        "document.querySelector('[data-role=money-result]').textContent.startsWith('Deposited')",
        "the deposit",
    )
    .await;
    page.wait_for("document.querySelectorAll('[data-role=history] tbody tr').length === 1 && document.getElementById('st-balance').textContent.includes('1,500.00')", "the history").await;
    let limits = app.get(&format!("/api/v2/responsible-gaming/limits/{player_id}"), Some(&op)).await.ok(200).clone();
    assert_eq!(
        (limits["limits"][0]["active"].as_i64(), limits["limits"][0]["used"].as_i64()),
        (Some(500_000), Some(150_000))
    );
    check(&page, "06-wallet").await;
    check_phone(&page, "06-wallet").await;

    // Responsible gaming: a reality check every minute.
    open_view(&page, "rg").await;
    page.type_into("#sl-rc", "1").await;
    page.click("[data-role=session] button[type=submit]").await;
    page.wait_for(
        "document.querySelector('[data-role=rg-result]').textContent === 'Session limits saved.'",
        "session limits",
    )
    .await;
    assert!(page.text("[data-role=limits]").await.contains("5,000.00"));
    check(&page, "07-responsible-gaming").await;
    check_phone(&page, "07-responsible-gaming").await;

    // Every game once, each with its own bet controls.
    let mut rounds = Vec::new();
    for slug in GAMES {
        open_view(&page, "lobby").await;
        page.click(&format!("#play-{slug}")).await;
        page.wait_for("document.querySelector('#view-game')?.dataset.ready", "the game").await;
        match slug {
            "dice" => {
                page.type_into("[data-role=controls] input[name=target]", "30.00").await;
                page.click("input[name=direction][value=over]").await;
            }
            "roulette" => {
                page.choose("[data-role=controls] select[name=bet]", "straight").await;
                page.type_into("[data-role=controls] input[name=numbers]", "17").await;
            }
            "keno" => page.click(".keno-board button[aria-label='Number 1']").await,
            "plinko" => {
                page.choose("[data-role=controls] select[name=rows]", "8").await;
                page.choose("[data-role=controls] select[name=risk]", "high").await;
            }
            "crash" => page.type_into("[data-role=controls] input[name=cashout]", "1.50").await,
            "coin-flip" => page.click("input[name=side][value=tails]").await,
            _ => {}
        }
        page.click("[data-role=play]").await;
        page.wait_for(
            "(() => { const r = document.querySelector('[data-role=result]'); return (r.classList.contains('win') || r.classList.contains('loss')) \
             && !document.querySelector('[data-role=play]').disabled; })()",
            &format!("a round of {slug}"),
        )
        .await;
        let round = page.text("[data-role=round-link]").await;
        rounds.push(round.clone());
        let stored = app.get(&format!("/api/v2/gal/rounds/{round}"), Some(&op)).await.ok(200).clone();
        assert_eq!(stored["game_slug"], slug);
        match slug {
            "dice" => assert_eq!(stored["params"], json!({"target": 3000, "direction": "over"})),
            "roulette" => assert_eq!(stored["params"], json!({"bet": "straight", "numbers": [17]})),
            "keno" => assert_eq!(stored["params"]["picks"].as_array().unwrap().len(), 6),
            "plinko" => assert_eq!(stored["params"], json!({"rows": 8, "risk": "high"})),
            "crash" => assert_eq!(stored["params"], json!({"cashout": 1.5})),
            "coin-flip" => assert_eq!(stored["params"], json!({"side": "tails"})),
            _ => {}
        }
        check(&page, &format!("08-game-{slug}")).await;
    }
    check_phone(&page, "08-game-coin-flip").await;
    let played = app.get("/api/v2/gal/rounds?limit=20", Some(&op)).await.ok(200)["total"].clone();
    assert_eq!(played, 8);

    // The operator saw the player's rounds arrive on the live feed.
    staff
        .wait_for(
            &format!("[...document.querySelectorAll('#tab-live li[data-kind=\"round.settled\"]')].some(li => li.dataset.round === {} && li.querySelector('a[href=\"#player/{player_id}\"]'))", js(&rounds[0])),
            "the player's round on the live feed",
        )
        .await;
    check(&staff, "live-feed-with-the-players-rounds").await;

    // A reality check is due a minute into the session: the next bet carries it.
    clock.advance(chrono::Duration::minutes(2));
    page.click("[data-role=play]").await;
    page.wait_for("document.querySelector('dialog[open]')?.textContent.includes('Reality check')", "the reality check")
        .await;
    let text = page.text("dialog[open] p").await;
    assert!(text.contains("minute(s)") && text.contains("staked"), "{text}");
    check(&page, "09-reality-check").await;
    page.click("dialog[open] button[type=submit]").await;
    page.wait_for("!document.querySelector('dialog[open]')", "the dialog to close").await;

    // The session's time and net position stay in the header.
    let net = page.text("#st-net").await;
    let rounds_net: i64 = app.get("/api/v2/gal/rounds?limit=20", Some(&op)).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["payout"].as_i64().unwrap() - r["amount"].as_i64().unwrap())
        .sum();
    assert!(
        net.replace(['−', '-', ','], "").contains(&format!("{:.2}", (rounds_net.abs() as f64) / 100.0)),
        "{net} vs {rounds_net}"
    );
    assert!(page.text("#st-time").await.ends_with('s'));

    // Provable fairness: rotate to reveal the seed, then verify a round in the browser.
    open_view(&page, "fairness").await;
    page.wait_for("document.querySelectorAll('[data-role=rounds] tbody tr').length === 9", "the player's rounds").await;
    // A new client seed rotates the pair: the seed of every round so far is revealed.
    page.type_into("#cs-seed", "lena-lucky-7").await;
    page.click("[data-role=client-seed] button[type=submit]").await;
    page.wait_for(
        "document.querySelector('[data-role=rotation]').textContent.includes('for the 9 round(s)')",
        "the new client seed",
    )
    .await;
    assert!(page.text("[data-role=rotation]").await.contains("committed before you chose"));
    // The note shows before the page reloads the pair: wait for the reload (under load it
    // lagged behind the note).
    page.wait_for(
        "document.querySelector('#view-fairness [data-field=client_seed]').textContent === 'lena-lucky-7'",
        "the new pair",
    )
    .await;
    assert_eq!(page.text("#view-fairness [data-field=client_seed]").await, "lena-lucky-7");
    page.click("[data-role=rotate]").await;
    page.wait_for(
        "document.querySelector('[data-role=rotation]').textContent.includes('for the 0 round(s)')",
        "the rotation",
    )
    .await;
    page.type_into("#vr-id", &rounds[3]).await;
    page.click("[data-role=verify] button[type=submit]").await;
    page.wait_for("document.querySelector('[data-verified]')", "the verification").await;
    assert_eq!(page.eval("document.querySelector('[data-verified]').dataset.verified").await, "true");
    assert_eq!(page.eval("document.querySelectorAll('[data-role=verify-result] .verify-ok').length").await, 3);
    check(&page, "10-fairness-verified").await;
    check_phone(&page, "10-fairness-verified").await;

    // Self-exclusion: chosen, explained, confirmed explicitly; then play is refused in plain words.
    open_view(&page, "rg").await;
    page.choose("#se-duration", "1_month").await;
    page.click("[data-role=se-step1] button[type=submit]").await;
    page.wait_for("!document.querySelector('[data-role=se-step2]').hidden", "the second step").await;
    assert_eq!(
        page.eval("document.querySelector('[data-role=se-confirm]').disabled").await,
        true,
        "not before ticking the box"
    );
    assert!(page.text("[data-role=se-summary]").await.contains("nobody can shorten or lift it"));
    check(&page, "11-self-exclusion-confirm").await;
    page.click("[data-role=se-understand]").await;
    page.click("[data-role=se-confirm]").await;
    page.wait_for(
        "document.querySelector('[data-role=rg-result]').textContent.startsWith('You are self-excluded')",
        "the self-exclusion",
    )
    .await;
    assert!(page.text("[data-role=exclusion-now]").await.starts_with("You are on a self-exclusion until"));
    open_view(&page, "lobby").await;
    page.click("#play-coin-flip").await;
    page.wait_for("document.querySelector('#view-game')?.dataset.ready", "the game").await;
    page.click("[data-role=play]").await;
    let refusal = page.text("[data-role=error]").await;
    assert!(refusal.starts_with("The account is excluded from play and deposits right now."), "{refusal}");
    let refused = page.take_problems();
    assert!(
        !refused.is_empty() && refused.iter().all(|p| p.contains("422") && p.contains("/api/v2/gal/play")),
        "{refused:#?}"
    );
    check(&page, "12-refused-while-excluded").await;

    page.click("#logout").await;
    page.wait_for(
        "document.querySelector('[data-role=login]') && document.getElementById('status').hidden",
        "signing out",
    )
    .await;
    page.assert_no_problems("the whole player flow");
    staff.assert_no_problems("watching the live feed");
    page.close().await;
    staff.close().await;
}

/// A platform with something in every tab: players, money, rounds, alerts, limits, a
/// queued posting, a pending KYC submission. Returns (the pending player's id, a round id).
async fn seed(app: &TestApp) -> (String, String) {
    let admin2 = app.staff("second_admin", Role::Admin).await;
    let mut round = String::new();
    for (i, name) in ["astrid", "bertil", "cecilia"].into_iter().enumerate() {
        let (id, t) = app.player(name).await;
        app.deposit(&t, 150_000 + 10_000 * i as i64, &format!("{name}-d")).await.ok(201);
        for k in 0..4 {
            round = app.post("/api/v2/gal/play", Some(&t), funded_play(10_000, &format!("{name}-{k}"))).await.ok(200)["round_id"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        if i == 0 {
            // A large deposit raises an AML alert; then a limit, and a raise that waits.
            app.deposit(&t, 250_000, "big").await.ok(201);
            app.post("/api/v2/responsible-gaming/limits", Some(&t), json!({"period": "weekly", "amount": 500_000}))
                .await
                .ok(200);
            app.post("/api/v2/responsible-gaming/limits", Some(&t), json!({"period": "weekly", "amount": 900_000}))
                .await
                .ok(200);
        }
        if i == 1 {
            app.post(
                &format!("/api/v2/responsible-gaming/exclude/{id}"),
                Some(&t),
                json!({"kind": "timeout", "duration": "24_hours"}),
            )
            .await
            .ok(200);
        }
        if i == 2 {
            // A posting above the approval threshold waits for a second admin.
            let body = json!({"type": "BONUS_CREDIT", "amount": 150_000, "idempotency_key": "goodwill", "reason": "goodwill for ticket 77"});
            assert_eq!(
                app.post(&format!("/api/v2/wallet/{id}/transaction"), Some(&admin2), body).await.status.as_u16(),
                202
            );
        }
    }
    let (pending, t) = app.player_without_kyc("dagny").await;
    let mut docs = kyc_documents("Dagny");
    docs["document_number"] = json!("MANUAL-2231");
    assert_eq!(
        app.post(&format!("/api/v2/compliance/kyc/{pending}/submit"), Some(&t), docs).await.ok(201)["status"],
        "pending"
    );
    (pending, round)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_open_every_back_office_tab_change_an_rtp_and_approve_a_kyc() {
    let Some(browser) = cdp::browser().await else { return };
    // Any coin-flip win here pays 193.00: a big win, to be flagged.
    let opts = Options { env: vec![("ACMETOCASINO_BIG_WIN_AMOUNT", "15000".into())], ..Options::default() };
    let app = TestApp::spawn(Backend::Sqlite, opts).await.unwrap();
    let base = app.base.clone();
    app.staff("chief", Role::Admin).await;
    app.staff("olle_operator", Role::Operator).await;
    app.staff("cora_compliance", Role::Compliance).await;
    let (pending, round) = seed(&app).await;

    // An admin may use every tab.
    let page = browser.page("back-office-admin", 1280, 900).await;
    // Keyboard: the first Tab lands on the skip link, which shows a focus ring.
    page.goto(&format!("{base}/dashboard.html")).await;
    page.key("Tab").await;
    assert_eq!(page.eval("document.activeElement.className").await, "skip-link");
    assert_ne!(page.eval("getComputedStyle(document.activeElement).outlineStyle").await, "none");
    check(&page, "00-sign-in").await;
    staff_sign_in(&page, &base, "chief").await;
    // Signed in, focus moves to the console; Tab reaches the first tab's link.
    assert_eq!(page.eval("document.activeElement.id").await, "main");
    page.key("Tab").await;
    assert_eq!(page.eval("document.activeElement.id").await, "nav-overview");
    assert_ne!(page.eval("getComputedStyle(document.activeElement).outlineStyle").await, "none");
    let visible = page.eval("[...document.querySelectorAll('#tab-nav li')].filter(li => !li.hidden).length").await;
    assert_eq!(visible, 17);
    for (i, id) in TABS.iter().enumerate() {
        open_tab(&page, id).await;
        match *id {
            "overview" => {
                page.wait_for(
                    "[...document.querySelectorAll('#tab-overview canvas')].every(c => Chart.getChart(c))",
                    "the charts",
                )
                .await;
                assert_eq!(page.text("#tab-overview [data-field=players]").await, "4");
            }
            "live" => {
                page.wait_for(
                    "document.querySelector('#tab-live [data-role=state]').textContent === 'live'",
                    "the feed",
                )
                .await;
            }
            "players" => {
                page.wait_for("document.querySelectorAll('#tab-players tbody tr').length === 4", "the players").await;
            }
            "player" => {
                // Player 360 opens from a player's link (a deep link, no page load).
                let astrid = app
                    .get("/api/v2/pam/players?q=astrid", Some(&app.login("chief", STAFF_PASSWORD).await))
                    .await
                    .ok(200)["items"][0]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                page.click("#nav-players").await;
                page.click(&format!("#tab-players a[href='#player/{astrid}']")).await;
                page.wait_for("location.hash.startsWith('#player/') && !document.querySelector('#tab-player [data-role=body]').hidden \
                               && !document.querySelector('#tab-player [aria-busy=true]')", "player 360").await;
                page.click("#tab-player [data-role=verify]").await;
                page.wait_for("document.querySelector('#tab-player [data-role=verify-result]').textContent.startsWith('Consistent')", "the stream check").await;
            }
            "rounds" => {
                page.wait_for("document.querySelectorAll('#tab-rounds tbody tr').length === 12", "the rounds").await;
                let big = app
                    .get("/api/v2/gal/rounds?big_win=true", Some(&app.login("chief", STAFF_PASSWORD).await))
                    .await
                    .ok(200)["total"]
                    .clone();
                assert_eq!(page.eval("document.querySelectorAll('#tab-rounds tbody tr.flagged').length").await, big);
                page.click(&format!("#tab-rounds a[href='#rounds/{round}']")).await;
                page.wait_for("!document.querySelector('#tab-rounds [data-role=detail]').hidden", "the round").await;
                page.click("#tab-rounds [data-role=verify]").await;
                page.wait_for("document.querySelector('#tab-rounds [data-role=verify-result]').textContent.startsWith('Verified')", "the round's verification").await;
                // Rollback: confirmed, with a reason.
                page.click("#tab-rounds [data-role=rollback]").await;
                page.type_into("dialog[open] textarea[name=reason]", "disputed round, ticket 991").await;
                page.click("dialog[open] button[type=submit]").await;
                page.wait_for("document.querySelector('#tab-rounds [data-role=detail] [data-field=\"r.status\"]').textContent === 'rolled_back'", "the rollback").await;
            }
            "game-control" => {
                // The stake-limit editor calls the contract's PUT /game-control/limits/{slug}.
                let served = app.get("/api/v2/openapi.json", None).await.ok(200)["paths"]
                    .get("/api/v2/game-control/limits/{slug}")
                    .is_some();
                page.click("button[aria-label='Change the stake limits of Keno']").await;
                page.type_into("dialog[open] input[name=min]", "1.00").await;
                page.type_into("dialog[open] input[name=max]", "500.00").await;
                page.click("dialog[open] button[type=submit]").await;
                if served {
                    page.wait_for("[...document.querySelectorAll('#toasts .notice')].some(n => n.textContent.startsWith('Stake limits of Keno set'))", "the new stake limits").await;
                    let keno = app
                        .get("/api/v2/gal/games", None)
                        .await
                        .ok(200)
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|g| g["slug"] == "keno")
                        .unwrap()
                        .clone();
                    assert_eq!((keno["min_bet"].as_i64(), keno["max_bet"].as_i64()), (Some(100), Some(50_000)));
                    page.wait_for(
                        "document.querySelectorAll('#tab-game-control [data-role=limits-history] tbody tr:not(.empty-row)').length === 1",
                        "the stake-limit history",
                    )
                    .await;
                } else {
                    // Not on this branch yet: the refusal is shown in plain words.
                    page.wait_for("[...document.querySelectorAll('#toasts .notice.error')].some(n => n.textContent.startsWith('That could not be found.'))", "the refusal").await;
                    let refused = page.take_problems();
                    assert!(
                        !refused.is_empty()
                            && refused
                                .iter()
                                .all(|p| p.contains("404") && p.contains("/api/v2/game-control/limits/keno")),
                        "{refused:#?}"
                    );
                }
                page.click("button[aria-label='Change the RTP of Dice']").await;
                page.type_into("dialog[open] input[name=rtp]", "95.5").await;
                page.click("dialog[open] button[type=submit]").await;
                page.wait_for("document.querySelectorAll('#tab-game-control [data-role=history] tbody tr:not(.empty-row)').length === 1", "the RTP change").await;
                let dice = app
                    .get("/api/v2/gal/games", None)
                    .await
                    .ok(200)
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["slug"] == "dice")
                    .unwrap()
                    .clone();
                assert_eq!(dice["rtp"], 95.5);
            }
            "kyc" => {
                page.wait_for(
                    &format!("document.querySelector('#tab-kyc a[href=\"#player/{pending}\"]')"),
                    "the pending submission",
                )
                .await;
            }
            "payments" => {
                // A posting by hand: a reason, a confirmation, then the event.
                let cecilia = app
                    .get("/api/v2/pam/players?q=cecilia", Some(&app.login("chief", STAFF_PASSWORD).await))
                    .await
                    .ok(200)["items"][0]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                page.type_into("#mp-player", &cecilia).await;
                page.choose("#mp-type", "BONUS_CREDIT").await;
                page.type_into("#mp-amount", "25.00").await;
                page.type_into("#mp-reason", "goodwill for ticket 88").await;
                page.click("#tab-payments [data-role=posting] button[type=submit]").await;
                page.wait_for(
                    "document.querySelector('dialog[open]')?.textContent.replace(/\\s/g, ' ').includes('BONUS_CREDIT of SEK 25.00')",
                    "the posting's confirmation",
                )
                .await;
                page.click("dialog[open] button[type=submit]").await;
                page.wait_for("document.querySelector('#tab-payments [data-role=post-result]').textContent.startsWith('Posted: BONUS_CREDIT')", "the posting").await;
                // The queued posting: this admin may approve it (another admin asked).
                page.click("#tab-payments [data-role=queue] button.btn-primary").await;
                page.click("dialog[open] button[type=submit]").await;
                page.wait_for("document.querySelector('#tab-payments [data-role=queue] .empty-row')", "the approval")
                    .await;
            }
            "aml" => {
                page.wait_for(
                    "document.querySelectorAll('#tab-aml tbody tr:not(.empty-row)').length >= 1",
                    "the alerts",
                )
                .await;
                page.click("#tab-aml button[aria-label^='Review']").await;
                page.choose("dialog[open] select[name=outcome]", "escalated").await;
                page.type_into("dialog[open] textarea[name=reason]", "source of funds to be checked").await;
                page.click("dialog[open] button[type=submit]").await;
                page.wait_for(
                    "[...document.querySelectorAll('#toasts .notice')].some(n => n.textContent === 'Review recorded.')",
                    "the review",
                )
                .await;
                let token = app.login("chief", STAFF_PASSWORD).await;
                let escalated =
                    app.get("/api/v2/compliance/aml/alerts?status=escalated", Some(&token)).await.ok(200).clone();
                assert_eq!(escalated[0]["note"], "source of funds to be checked");
            }
            "reports" => {
                page.wait_for("document.querySelectorAll('#tab-reports tbody tr').length >= 1", "the report").await;
                page.click("#tab-reports [data-role=csv]").await;
                page.wait_for(
                    "[...document.querySelectorAll('#toasts .notice')].some(n => n.textContent === 'CSV downloaded.')",
                    "the CSV",
                )
                .await;
            }
            "audit" => {
                page.wait_for(
                    "document.querySelector('#tab-audit tbody tr td')?.textContent.length > 3",
                    "the audit log",
                )
                .await;
                let actions = page.text("#tab-audit tbody").await;
                assert!(actions.contains("rtp.changed") && actions.contains("round.rolled_back"), "{actions}");
            }
            "system" => {
                page.wait_for(
                    "document.querySelector('#tab-system [data-field=db]').textContent.startsWith('up')",
                    "the health",
                )
                .await;
                page.type_into("#st-user", "newbie_ops").await;
                page.type_into("#st-email", "newbie@acme.example").await;
                page.type_into("#st-pass", "a long password").await;
                page.choose("#st-role", "operator").await;
                page.click("#tab-system [data-role=create] button[type=submit]").await;
                page.wait_for("document.querySelector('#tab-system [data-role=create-result]').textContent === 'Created operator newbie_ops.'", "the new account").await;
            }
            _ => {}
        }
        let label = format!("{:02}-{id}", i + 1);
        check(&page, &label).await;
        check_phone(&page, &label).await;
    }
    page.close().await;

    // An operator sees only the tabs of the role; the others' API calls are refused anyway.
    let op = browser.page("back-office-operator", 1280, 900).await;
    staff_sign_in(&op, &base, "olle_operator").await;
    let hidden = op.eval("[...document.querySelectorAll('#tab-nav li')].filter(li => li.hidden).map(li => li.querySelector('a').getAttribute('href'))").await;
    assert_eq!(hidden, json!(["#kyc", "#aml", "#audit"]));
    // A deep link to a hidden tab shows that it is not available.
    op.eval("location.hash = '#audit'").await;
    op.wait_for(
        "document.querySelector('#tab-denied') && !document.querySelector('#tab-denied').hidden",
        "the refusal",
    )
    .await;
    check(&op, "hidden-tab").await;
    let token = app.login("olle_operator", STAFF_PASSWORD).await;
    app.get("/api/v2/audit-log", Some(&token)).await.problem(403, "forbidden");
    app.post(&format!("/api/v2/compliance/kyc/{pending}/verify"), Some(&token), json!({"decision": "approve"}))
        .await
        .problem(403, "forbidden");
    op.close().await;

    // A compliance officer approves the pending KYC.
    let comp = browser.page("back-office-compliance", 1280, 900).await;
    staff_sign_in(&comp, &base, "cora_compliance").await;
    let visible = comp.eval("[...document.querySelectorAll('#tab-nav li')].filter(li => !li.hidden).length").await;
    assert_eq!(visible, 15, "no payments or game control");
    open_tab(&comp, "kyc").await;
    comp.click("#tab-kyc button[aria-label='Approve Dagny Testsson']").await;
    comp.wait_for("document.querySelector('dialog[open]')", "the confirmation").await;
    comp.screenshot("kyc-confirm").await;
    comp.click("dialog[open] button[type=submit]").await;
    comp.wait_for("document.querySelector('#tab-kyc .empty-row')", "the queue to empty").await;
    let token = app.login("cora_compliance", STAFF_PASSWORD).await;
    let record = app.get(&format!("/api/v2/compliance/kyc/{pending}"), Some(&token)).await.ok(200).clone();
    assert_eq!(record["kyc_status"], "approved");
    check(&comp, "kyc-approved").await;
    comp.close().await;
}
