//! The published test vectors of docs/provably-fair.md, checked against the
//! production code: changing one byte of the algorithm (or of a game's use of the
//! stream) breaks this test. `PRINT_VECTORS=1` prints the rows for the document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gal_core::{Catalogue, ClientSeed, ExactPayout, Outcome, RandomStream, Rounding, Rtp, ServerSeed};
use serde_json::{Value, json};

const DOC: &str = include_str!("../../../docs/provably-fair.md");

fn seed(i: u8) -> ServerSeed {
    ServerSeed::from_bytes(std::array::from_fn(|j| (j as u8).wrapping_mul(7).wrapping_add(i)))
}

/// The cases the document publishes: (game, seed index, client seed, nonce, rtp, params).
fn cases() -> Vec<(&'static str, u8, &'static str, u64, f64, Value)> {
    vec![
        ("dice", 1, "alice-seed", 0, 96.5, json!({"target": 5000, "direction": "under"})),
        ("dice", 1, "alice-seed", 1, 99.0, json!({"target": 2500, "direction": "over"})),
        ("roulette", 2, "roulette fan", 7, 97.3, json!({"bet": "straight", "numbers": [17]})),
        ("roulette", 2, "roulette fan", 8, 80.0, json!({"bet": "red"})),
        ("classic-slot", 3, "fruit", 42, 96.5, json!({})),
        ("video-slot", 4, "reels", 3, 96.5, json!({})),
        ("keno", 5, "lucky-numbers", 11, 88.5, json!({"picks": [3, 17, 22, 41, 58, 77]})),
        ("plinko", 6, "drop", 0, 99.0, json!({"rows": 16, "risk": "high"})),
        ("crash", 7, "rocket", 123, 96.5, json!({"cashout": 2.5})),
        ("coin-flip", 8, "heads-or-tails", 5, 96.5, json!({"side": "tails"})),
    ]
}

/// The settlements the document publishes: (game, seed index, client seed, nonce, rtp,
/// params, stake). Stakes of a few minor units, so most payouts need the rounding draw.
fn settlements() -> Vec<(&'static str, u8, &'static str, u64, f64, Value, i64)> {
    vec![
        ("coin-flip", 8, "heads-or-tails", 0, 96.5, json!({"side": "tails"}), 1),
        ("coin-flip", 8, "heads-or-tails", 0, 96.5, json!({"side": "tails"}), 100),
        ("dice", 1, "alice-seed", 0, 96.5, json!({"target": 5000, "direction": "under"}), 7),
        ("dice", 1, "alice-seed", 1, 96.5, json!({"target": 5000, "direction": "under"}), 7),
        ("dice", 1, "alice-seed", 3, 96.5, json!({"target": 5000, "direction": "under"}), 7),
        ("crash", 7, "rocket", 3, 96.5, json!({"cashout": 2.5}), 3),
        ("plinko", 6, "drop", 1, 99.0, json!({"rows": 8, "risk": "low"}), 10),
        ("video-slot", 4, "reels", 7, 96.5, json!({}), 10),
    ]
}

fn draws_text(rng: &RandomStream) -> String {
    rng.draws().iter().map(|d| format!("{}:{}", d.n, d.value)).collect::<Vec<_>>().join(" ")
}

/// Plays one round of `game`: the stream after it, and its outcome.
fn played(game: &str, s: &ServerSeed, client: &str, nonce: u64, rtp: f64, params: &Value) -> (RandomStream, Outcome) {
    let c = Catalogue::standard();
    let mut rng = RandomStream::new(s, &ClientSeed::parse(client).unwrap(), nonce);
    let o = c.get(game).unwrap().play(Rtp::from_percent(rtp).unwrap(), params, &mut rng).unwrap();
    (rng, o)
}

fn row(game: &str, s: &ServerSeed, client: &str, nonce: u64, rtp: f64, params: &Value) -> String {
    let (rng, o) = played(game, s, client, nonce, rtp, params);
    format!(
        "| {game} | {} | {client} | {nonce} | {rtp} | `{params}` | {} | {} |",
        s.to_hex(),
        draws_text(&rng),
        o.multiplier_micro
    )
}

fn table_rows(section: &str) -> Vec<Vec<String>> {
    let start = DOC.find(section).unwrap_or_else(|| panic!("{section} missing from docs/provably-fair.md"));
    DOC[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect())
        .collect()
}

#[test]
fn stream_vectors_match_the_document() {
    if std::env::var("PRINT_VECTORS").is_ok() {
        for (i, client, nonce) in [(1u8, "alice-seed", 0u64), (9, "x", 1_000_000)] {
            let s = seed(i);
            let mut rng = RandomStream::new(&s, &ClientSeed::parse(client).unwrap(), nonce);
            let raw: Vec<String> = (0..3).map(|_| rng.uniform(1 << 32).to_string()).collect();
            let r37: Vec<String> = (0..3).map(|_| rng.uniform(37).to_string()).collect();
            println!("| {} | {} | {client} | {nonce} | {} | {} |", s.to_hex(), s.hash(), raw.join(" "), r37.join(" "));
        }
    }
    let rows = table_rows("## Stream vectors");
    assert!(rows.len() >= 2);
    for r in rows {
        let s = ServerSeed::from_hex(&r[0]).unwrap();
        assert_eq!(s.hash(), r[1], "server_seed_hash");
        let mut rng = RandomStream::new(&s, &ClientSeed::parse(&r[2]).unwrap(), r[3].parse().unwrap());
        let raw: Vec<String> = (0..3).map(|_| rng.uniform(1 << 32).to_string()).collect();
        let r37: Vec<String> = (0..3).map(|_| rng.uniform(37).to_string()).collect();
        assert_eq!(raw.join(" "), r[4]);
        assert_eq!(r37.join(" "), r[5]);
    }
}

#[test]
fn game_vectors_match_the_document() {
    if std::env::var("PRINT_VECTORS").is_ok() {
        for (game, i, client, nonce, rtp, params) in cases() {
            println!("{}", row(game, &seed(i), client, nonce, rtp, &params));
        }
    }
    let rows = table_rows("## Game vectors");
    assert_eq!(rows.len(), cases().len());
    for r in rows {
        let s = ServerSeed::from_hex(&r[1]).unwrap();
        let params: Value = serde_json::from_str(&r[5]).unwrap();
        let expected = format!("| {} |", r.join(" | "));
        let expected = expected.replace(&format!("| {} |", r[5]), &format!("| `{}` |", r[5]));
        assert_eq!(row(&r[0], &s, &r[2], r[3].parse().unwrap(), r[4].parse().unwrap(), &params), expected);
    }
}

fn settlement_row(
    game: &str,
    s: &ServerSeed,
    client: &str,
    nonce: u64,
    rtp: f64,
    params: &Value,
    stake: i64,
) -> String {
    let (mut rng, o) = played(game, s, client, nonce, rtp, params);
    let payout = ExactPayout::of(stake, o.multiplier_micro).settle(Rounding::Unbiased, &mut rng);
    format!(
        "| {game} | {} | {client} | {nonce} | {rtp} | `{params}` | {stake} | {} | {} | {payout} | {} |",
        s.to_hex(),
        draws_text(&rng),
        o.multiplier_micro,
        payout > stake
    )
}

#[test]
fn settlement_vectors_match_the_document() {
    if std::env::var("PRINT_VECTORS").is_ok() {
        for (game, i, client, nonce, rtp, params, stake) in settlements() {
            println!("{}", settlement_row(game, &seed(i), client, nonce, rtp, &params, stake));
        }
    }
    let rows = table_rows("## Settlement vectors");
    assert_eq!(rows.len(), settlements().len());
    for r in rows {
        let s = ServerSeed::from_hex(&r[1]).unwrap();
        let params: Value = serde_json::from_str(&r[5]).unwrap();
        let expected = format!("| {} |", r.join(" | "));
        let expected = expected.replace(&format!("| {} |", r[5]), &format!("| `{}` |", r[5]));
        let row = settlement_row(
            &r[0],
            &s,
            &r[2],
            r[3].parse().unwrap(),
            r[4].parse().unwrap(),
            &params,
            r[6].parse().unwrap(),
        );
        assert_eq!(row, expected);
    }
}
