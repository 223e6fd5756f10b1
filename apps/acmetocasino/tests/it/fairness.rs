//! Seed pairs: every pair comes from fresh entropy, the next pair's hash is published
//! before a client seed can be chosen, and no revealed seed is ever the one in use.

use crate::support::{Options, TestApp, try_on_database};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

fn sha256_hex(seed_hex: &str) -> String {
    hex::encode(Sha256::digest(hex::decode(seed_hex).unwrap()))
}

/// The player's first fairness-related call, each of which may create their first pair.
#[derive(Debug, Clone, Copy)]
enum FirstCall {
    Fairness,
    Launch,
    Play,
    Rotate,
    ClientSeed,
}

async fn rotate(app: &TestApp, t: &str, client_seed: Option<&str>) -> Value {
    match client_seed {
        None => app.post("/api/v2/gal/fairness/rotate", Some(t), json!({})).await.ok(200).clone(),
        Some(seed) => app
            .request(Method::PUT, "/api/v2/gal/fairness/client-seed", Some(t), Some(json!({"client_seed": seed})))
            .await
            .ok(200)
            .clone(),
    }
}

/// Checks one rotation: the revealed seed matches its commitment, is not the seed now in
/// use, was never revealed before, and the new pair is the one whose hash was published.
fn check_rotation(rot: &Value, published_next: Option<&str>, revealed: &mut HashSet<String>) {
    let seed = rot["revealed_server_seed"].as_str().unwrap();
    let seed_hash = sha256_hex(seed);
    let current = &rot["current"];
    assert_eq!(seed_hash, rot["revealed_server_seed_hash"].as_str().unwrap(), "{rot:#}");
    assert_ne!(seed_hash, current["server_seed_hash"].as_str().unwrap(), "the revealed seed is in use: {rot:#}");
    assert_ne!(seed_hash, current["next_server_seed_hash"].as_str().unwrap(), "{rot:#}");
    assert_ne!(current["server_seed_hash"], current["next_server_seed_hash"], "{rot:#}");
    assert!(revealed.insert(seed.to_owned()), "a seed was revealed twice: {rot:#}");
    if let Some(next) = published_next {
        assert_eq!(current["server_seed_hash"].as_str(), Some(next), "the new pair is not the committed one");
    }
}

crate::both_backends! {
    async fn no_path_to_a_seed_pair_reveals_the_seed_in_use(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let mut revealed = HashSet::new();
        for (i, first) in [FirstCall::Rotate, FirstCall::ClientSeed, FirstCall::Fairness, FirstCall::Launch, FirstCall::Play]
            .into_iter()
            .enumerate()
        {
            let (_, t) = app.player(&format!("seeds{i}")).await;
            app.deposit(&t, 100_000, &format!("seeds{i}")).await.ok(201);
            let first_rotation = match first {
                FirstCall::Fairness => {
                    app.get("/api/v2/gal/fairness", Some(&t)).await.ok(200);
                    None
                }
                FirstCall::Launch => {
                    let l = app.post("/api/v2/gal/launch", Some(&t), json!({"game_slug": "dice"})).await.ok(201).clone();
                    assert!(l["next_server_seed_hash"].is_string(), "{l:#}");
                    None
                }
                FirstCall::Play => {
                    app.post("/api/v2/gal/play", Some(&t), json!({"game_slug": "coin-flip", "amount": 5_000,
                        "params": {"side": "heads"}, "idempotency_key": format!("first{i}")})).await.ok(200);
                    None
                }
                FirstCall::Rotate => Some(rotate(&app, &t, None).await),
                FirstCall::ClientSeed => Some(rotate(&app, &t, Some("chosen first")).await),
            };
            if let Some(rot) = first_rotation {
                check_rotation(&rot, None, &mut revealed);
            }
            // Then each kind of rotation, twice, against the commitment published before it.
            for (k, client_seed) in [None, Some("lucky"), None, Some("lucky again")].into_iter().enumerate() {
                let before = app.get("/api/v2/gal/fairness", Some(&t)).await.ok(200).clone();
                let published = before["next_server_seed_hash"].as_str().unwrap().to_owned();
                app.post("/api/v2/gal/play", Some(&t), json!({"game_slug": "coin-flip", "amount": 5_000,
                    "params": {"side": "heads"}, "idempotency_key": format!("p{i}-{k}")})).await.ok(200);
                let rot = rotate(&app, &t, client_seed).await;
                check_rotation(&rot, Some(&published), &mut revealed);
                assert_eq!(rot["revealed_server_seed_hash"], before["server_seed_hash"], "{first:?}");
                if let Some(seed) = client_seed {
                    assert_eq!(rot["current"]["client_seed"], seed);
                }
                let after = app.get("/api/v2/gal/fairness", Some(&t)).await.ok(200).clone();
                assert_eq!(after, rot["current"], "{first:?}");
            }
        }
    }

    async fn the_database_refuses_a_second_pair_with_the_same_server_seed(backend) {
        let Some(app) = TestApp::spawn(backend, Options::default()).await else { return };
        let (id, t) = app.player("dupseed").await;
        let pair = app.get("/api/v2/gal/fairness", Some(&t)).await.ok(200).clone();
        let hash = pair["server_seed_hash"].as_str().unwrap();
        let next = pair["next_server_seed_hash"].as_str().unwrap();
        // An inactive pair of this player's with the given hashes.
        let insert = async |server_hash: &str, next_hash: &str| {
            let sql = |active: &str, at: &str| {
                format!(
                    "INSERT INTO seed_pairs (id, player_id, server_seed, server_seed_hash, client_seed, next_nonce, active, \
                     created_at, next_server_seed, next_server_seed_hash) \
                     VALUES ('{}', '{id}', 'x', '{server_hash}', 'c', 0, {active}, {at}, 'y', '{next_hash}')",
                    uuid::Uuid::new_v4()
                )
            };
            try_on_database(&app, &sql("0", "'2026-12-03T00:00:00.000000Z'"), &sql("FALSE", "now()")).await
        };
        // The statement itself is sound: fresh hashes are stored.
        insert("fresh-1", "fresh-2").await.unwrap();
        for (server_hash, next_hash) in [(hash, "n1"), ("s2", next), ("fresh-1", "n3"), ("s4", "fresh-2")] {
            let refused = insert(server_hash, next_hash).await.expect_err("a duplicate seed hash was stored");
            assert!(refused.to_string().to_lowercase().contains("unique"), "{refused}");
        }
    }
}
