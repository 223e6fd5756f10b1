//! The contract every [`RoundRepository`] adapter must pass. The in-memory store runs
//! it in this crate; the application runs it on SQLite and PostgreSQL.
//!
//! Each case works on fresh players, so one store can serve all cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{ClientSeed, NewSeedPair, Rotation, RoundRepository, ServerSeed};
use chrono::{DateTime, Utc};
use kernel::AccountId;
use std::future::Future;
use uuid::Uuid;

/// Supplies players that the store under test knows about.
pub trait Fixture: Send + Sync {
    type Repo: RoundRepository + Clone + 'static;
    fn new_player(&self) -> impl Future<Output = AccountId> + Send;
}

fn now() -> DateTime<Utc> {
    kernel::clock::truncate_to_micros(Utc::now())
}

fn seed(byte: u8) -> ServerSeed {
    ServerSeed::from_bytes([byte; 32])
}

fn fresh(byte: u8, client: &str) -> NewSeedPair {
    NewSeedPair {
        id: Uuid::new_v4(),
        server_seed: seed(byte),
        next_server_seed: seed(byte.wrapping_add(1)),
        client_seed: ClientSeed::parse(client).unwrap(),
    }
}

/// Runs every case of the contract.
pub async fn run_all<F: Fixture>(fx: &F, repo: F::Repo) {
    a_player_gets_one_pair(fx, &repo).await;
    a_rotation_reveals_the_pair_and_starts_its_committed_successor(fx, &repo).await;
    a_rotation_without_a_pair_reveals_a_fresh_one(fx, &repo).await;
    players_have_pairs_of_their_own(fx, &repo).await;
    unknown_rounds_and_sessions_are_none(&repo).await;
}

/// The first request creates the pair from `fresh`; later ones return it, whatever
/// seeds they offer.
pub async fn a_player_gets_one_pair<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let first = repo.seed_pair(p, fresh(10, "first"), now()).await.unwrap();
    assert_eq!(first.server_seed_hash, seed(10).hash());
    assert_eq!(first.next_server_seed_hash, Some(seed(11).hash()));
    assert_eq!((first.client_seed.as_str(), first.nonce, first.revealed_server_seed.as_deref()), ("first", 0, None));
    let again = repo.seed_pair(p, fresh(20, "second"), now()).await.unwrap();
    assert_eq!(again, first);
}

pub async fn a_rotation_reveals_the_pair_and_starts_its_committed_successor<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let before = repo.seed_pair(p, fresh(30, "mine"), now()).await.unwrap();
    let rotation = Rotation { id: Uuid::new_v4(), next_server_seed: seed(40), client_seed: None };
    let (revealed, current) = repo.rotate_seed_pair(p, fresh(50, "unused"), rotation, now()).await.unwrap();
    assert_eq!(revealed.revealed_server_seed, Some(seed(30).to_hex()));
    assert_eq!(
        (revealed.server_seed_hash.as_str(), revealed.client_seed.as_str()),
        (before.server_seed_hash.as_str(), "mine")
    );
    // The new pair uses the seed the old one committed to, and commits to the next.
    assert_eq!(Some(current.server_seed_hash.clone()), before.next_server_seed_hash);
    assert_eq!(current.next_server_seed_hash, Some(seed(40).hash()));
    assert_eq!(
        (current.client_seed.as_str(), current.nonce, current.revealed_server_seed.as_deref()),
        ("mine", 0, None)
    );
    assert_eq!(repo.seed_pair(p, fresh(60, "unused"), now()).await.unwrap(), current);

    let chosen = ClientSeed::parse("chosen").unwrap();
    let rotation = Rotation { id: Uuid::new_v4(), next_server_seed: seed(70), client_seed: Some(chosen) };
    let (revealed, current) = repo.rotate_seed_pair(p, fresh(80, "unused"), rotation, now()).await.unwrap();
    assert_eq!(revealed.revealed_server_seed, Some(seed(31).to_hex()));
    assert_eq!((revealed.client_seed.as_str(), current.client_seed.as_str()), ("mine", "chosen"));
    assert_eq!(current.server_seed_hash, seed(40).hash());
}

pub async fn a_rotation_without_a_pair_reveals_a_fresh_one<F: Fixture>(fx: &F, repo: &F::Repo) {
    let p = fx.new_player().await;
    let rotation = Rotation { id: Uuid::new_v4(), next_server_seed: seed(100), client_seed: None };
    let (revealed, current) = repo.rotate_seed_pair(p, fresh(90, "fresh"), rotation, now()).await.unwrap();
    assert_eq!(revealed.revealed_server_seed, Some(seed(90).to_hex()));
    assert_eq!(current.server_seed_hash, seed(91).hash());
    assert_eq!(current.client_seed, "fresh");
}

pub async fn players_have_pairs_of_their_own<F: Fixture>(fx: &F, repo: &F::Repo) {
    let (a, b) = (fx.new_player().await, fx.new_player().await);
    let pa = repo.seed_pair(a, fresh(110, "a"), now()).await.unwrap();
    let pb = repo.seed_pair(b, fresh(120, "b"), now()).await.unwrap();
    assert_ne!(pa.server_seed_hash, pb.server_seed_hash);
    let rotation = Rotation { id: Uuid::new_v4(), next_server_seed: seed(130), client_seed: None };
    repo.rotate_seed_pair(a, fresh(0, "x"), rotation, now()).await.unwrap();
    assert_eq!(repo.seed_pair(b, fresh(0, "x"), now()).await.unwrap(), pb, "b's pair is untouched");
}

pub async fn unknown_rounds_and_sessions_are_none<R: RoundRepository>(repo: &R) {
    let id = Uuid::new_v4();
    assert_eq!(repo.round(id).await.unwrap(), None);
    assert_eq!(repo.session(id).await.unwrap(), None);
    assert_eq!(repo.end_session(id, now()).await.unwrap(), None);
}
