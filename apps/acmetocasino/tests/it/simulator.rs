//! The simulated players against the real server: every profile acts, nothing fails
//! that was not provoked on purpose, and every wallet they touched still folds to its
//! projection.

use crate::support::TestApp;
use ::simulator::{self, Alerts, Profile, SimConfig, StaffLogin};
use pam_core::Role;
use std::time::{Duration, Instant};

crate::both_backends! {
    async fn twelve_bots_play_every_profile_without_errors(backend) {
        let Some(app) = TestApp::spawn(backend, Default::default()).await else { return };
        // An admin: the simulator onboards its studio and the bots play its game too.
        let staff = app.staff("sim_operator", Role::Admin).await;
        let mut config = SimConfig::new(app.base.clone(), 12, Duration::from_secs(3));
        config.seed = Some(42);
        config.think_min = Duration::from_millis(5);
        config.think_max = Duration::from_millis(25);
        config.staff = Some(StaffLogin { username: "sim_operator".into(), password: "staff password".into() });
        let started = Instant::now();
        let progress_calls = std::cell::Cell::new(0u32);
        let report = simulator::run(config, |_| progress_calls.set(progress_calls.get() + 1)).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "took {took:?}\n{report}");
        assert!(progress_calls.get() > 5);

        assert_eq!(report.error_count(), 0, "{report}");
        assert!(report.totals.rounds > 0, "{report}");
        let studio = report.studio.clone().unwrap_or_else(|why| panic!("no studio: {why}\n{report}"));
        assert!(report.totals.provider_rounds > 0, "no provider round\n{report}");
        let played = app.get(&format!("/api/v2/providers/{studio}/reconciliation?from={d}&to={d}", d = chrono::Utc::now().date_naive()), Some(&staff)).await;
        assert!(played.ok(200)["days"][0]["bets"].as_u64() >= Some(report.totals.provider_rounds), "{:#}", played.body);
        assert_eq!(report.totals.players, 12, "{report}");
        assert_eq!(report.bots.len(), 12);
        for profile in Profile::ALL {
            let t = report.profile(profile);
            assert_eq!(t.players, 2, "{profile}\n{report}");
            assert!(t.rounds > 0 && t.deposits > 0, "{profile} did not play\n{report}");
        }
        // Real stakes: ordinary players 0.10 to 20.00 a round, high rollers more.
        for profile in [Profile::Casual, Profile::NightOwl] {
            let stake = report.profile(profile).average_stake().unwrap();
            assert!((10..=2_000).contains(&stake), "{profile}: average stake {stake}\n{report}");
        }
        assert!(report.profile(Profile::HighRoller).average_stake() > report.profile(Profile::Casual).average_stake(), "{report}");
        assert!(report.to_string().contains("avg stake"));
        let provoked = |b: &simulator::BotReport, code: &str| b.refusals.get(code).copied().unwrap_or(0) > 0;
        for bot in &report.bots {
            let id = bot.player_id.as_deref().unwrap_or_else(|| panic!("{} never registered\n{report}", bot.username));
            let v = app.get(&format!("/api/v2/wallet/{id}/verify"), Some(&staff)).await;
            assert_eq!(v.ok(200)["consistent"], true, "{}: {:#}", bot.username, v.body);
            match bot.profile {
                Profile::Chaser => {
                    assert!(bot.limit_set, "{bot:?}");
                    assert!(provoked(bot, "limit_exceeded") || provoked(bot, "self_excluded"), "{bot:?}\n{report}");
                    assert_eq!(bot.exclusion.as_deref(), Some("timeout"), "{bot:?}");
                }
                Profile::SelfExcluder => {
                    assert_eq!(bot.exclusion.as_deref(), Some("self_exclusion"), "{bot:?}");
                    assert!(provoked(bot, "self_excluded"), "{bot:?}");
                    let s = app.get(&format!("/api/v2/responsible-gaming/status/{id}"), Some(&staff)).await;
                    assert_eq!(s.ok(200)["excluded"], true, "{:#}", s.body);
                    assert_eq!(s.body["exclusion"]["kind"], "self_exclusion", "{:#}", s.body);
                }
                _ => assert!(bot.refusals.keys().all(|c| c == "insufficient_funds"), "{bot:?}"),
            }
        }
        // Refusals are only ever the ones the profiles provoke.
        assert!(report.refusals.keys().all(|c| ["limit_exceeded", "self_excluded", "insufficient_funds"].contains(&c.as_str())));
        match &report.alerts {
            Alerts::Counted { aml, failed_queries, .. } => {
                assert_eq!(*failed_queries, 0);
                assert!(aml.contains_key("structuring"), "{report}");
            }
            Alerts::NotAvailable(why) => panic!("alerts not counted: {why}"),
        }
        let text = report.to_string();
        assert!(text.contains("platform RTP") && text.contains("self-excluder"), "{text}");
    }
}

/// A platform that is not there is one error, not a hang.
#[tokio::test]
async fn an_unreachable_platform_is_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = SimConfig::new(format!("http://127.0.0.1:{port}"), 6, Duration::from_secs(1));
    let report = simulator::run(config, |_| {}).await;
    assert_eq!(report.error_count(), 1, "{report}");
    assert!(report.setup_error.as_deref().is_some_and(|e| e.contains("/gal/games")), "{report}");
    let https = simulator::run(SimConfig::new("https://example.com", 1, Duration::from_secs(1)), |_| {}).await;
    assert!(https.setup_error.is_some());
}
