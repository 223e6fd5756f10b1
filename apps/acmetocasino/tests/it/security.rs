//! Abuse controls of issue 12: bounded password hashing, per-client limits on sign-in
//! and registration, the bet rate limit, `no-store`, and access-token revocation.

use crate::support::{Options, Reply, TestApp, decode};
use serde_json::{Value, json};

/// Sends every body to `path` at once, each request on its own task; the answers in order.
async fn parallel_posts(app: &TestApp, path: &str, bodies: Vec<(Option<String>, Value)>) -> Vec<Reply> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|(forwarded_for, body)| {
            let (client, url) = (app.client.clone(), format!("{}{path}", app.base));
            tokio::spawn(async move {
                let mut req = client.post(url).json(&body);
                if let Some(ip) = forwarded_for {
                    req = req.header("X-Forwarded-For", ip);
                }
                decode(req.send().await.unwrap()).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

/// Asserts a `429 rate_limited` with a `Retry-After` of at least a second.
#[track_caller]
fn assert_rate_limited(r: &Reply) -> u64 {
    r.problem(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert_eq!(r.body["retry_after"].as_u64(), Some(retry));
    retry
}

crate::both_backends! {
    async fn hashing_beyond_its_bound_and_queue_is_refused_for_known_and_unknown_names(backend) {
        // One hash at a time and none waiting, at a cost that makes the 300 overlap.
        let env = vec![
            ("ACMETOCASINO_HASHING_CONCURRENCY", "1".to_owned()),
            ("ACMETOCASINO_HASHING_QUEUE", "0".to_owned()),
            ("ACMETOCASINO_ARGON2_MEMORY_KIB", "4096".to_owned()),
            ("ACMETOCASINO_ARGON2_ITERATIONS", "4".to_owned()),
        ];
        let Some(app) = TestApp::spawn(backend, Options { env, ..Options::default() }).await else { return };
        app.player_without_kyc("storm_known").await;
        // Even requests: the known name with its password; odd ones: unknown names.
        let bodies = (0..300)
            .map(|i| {
                let name = if i % 2 == 0 { "storm_known".to_owned() } else { format!("storm_ghost_{i}") };
                (Some(format!("198.51.100.{}", i % 250)), json!({"username": name, "password": "correct horse"}))
            })
            .collect();
        let replies = parallel_posts(&app, "/api/v2/auth/login", bodies).await;
        let (mut refused, mut answered) = ([0, 0], [0, 0]);
        for (i, r) in replies.iter().enumerate() {
            match (i % 2, r.status.as_u16()) {
                (0, 200) => answered[0] += 1,
                (1, 401) => {
                    r.problem(401, "unauthorized");
                    answered[1] += 1;
                }
                (k, _) => {
                    assert_rate_limited(r);
                    refused[k] += 1;
                }
            }
        }
        // Unknown names are refused like known ones: they would hash the same.
        assert!(refused[1] > 0, "no unknown name was refused: {answered:?} answered, {refused:?} refused");
        assert!(answered.iter().all(|n| *n > 0), "{answered:?} answered, {refused:?} refused");
        // The storm over, every slot is free again: registration and sign-in hash as before.
        app.player_without_kyc("after_storm").await;
    }
}
