//! Pragmatic-style adapter against recorded fixtures: form bodies whose hashes were
//! computed by Python's hashlib (fixtures/pragmatic/make_forms.py), the canonical
//! command each endpoint parses into, the JSON answers, and the client round trip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provider_core::pragmatic::{self, PragmaticAdapter, PragmaticClient};
use provider_core::{
    Account, AmountScale, Command, Failure, Outcome, ProviderAdapter, ProviderClient, ProviderConfig, Request,
    Transaction, WinKind,
};
use std::path::PathBuf;

const CONFIG: ProviderConfig =
    ProviderConfig { scale: AmountScale::DECIMAL, win_without_bet_is_final: false, token_ttl_seconds: 3600 };

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pragmatic").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn secret() -> String {
    fixture("secret_key.txt").trim().to_owned()
}

fn adapter() -> PragmaticAdapter {
    PragmaticAdapter::new(secret(), CONFIG)
}

fn form(name: &str) -> Vec<u8> {
    fixture(&format!("{name}.form")).into_bytes()
}

fn account() -> Account {
    Account { player: "1042".into(), currency: "EUR".into(), cash: 1_234_567, bonus: 250, country: Some("EE".into()) }
}

const TOKEN: &str = "5f3c1a9e-launch";
const GAME: &str = "vs20doghouse";

fn tx(id: &str, round: &str, amount: i64, reference: Option<&str>) -> Transaction {
    Transaction {
        id: id.into(),
        player: "1042".into(),
        token: Some(TOKEN.into()),
        round: round.into(),
        game: GAME.into(),
        amount,
        currency: None,
        reference: reference.map(Into::into),
        round_closed: false,
    }
}

fn expected(name: &str) -> Command {
    match name {
        "authenticate" => Command::Authenticate { token: TOKEN.into(), game: Some(GAME.into()) },
        "balance" => Command::Balance { player: "1042".into(), token: Some(TOKEN.into()), game: Some(GAME.into()) },
        "bet" => Command::Bet(tx("5c4a7f1e8b4d3a2f", "5103188801", 150, None)),
        // No bet reference: the wallet finds the round's bet.
        "result" => {
            Command::Win { transaction: tx("5c4a7f1e8b4d3a30", "5103188801", 375, None), kind: WinKind::Normal }
        }
        "bonusWin" => {
            Command::Win { transaction: tx("5c4a7f1e8b4d3a31", "5103188802", 1240, None), kind: WinKind::Free }
        }
        "jackpotWin" => {
            Command::Win { transaction: tx("5c4a7f1e8b4d3a32", "5103188803", 100_000, None), kind: WinKind::Jackpot }
        }
        // The refund's reference names the bet: it is both the id and the reference.
        "refund" => Command::Rollback(tx("5c4a7f1e8b4d3a2f", "5103188801", 150, Some("5c4a7f1e8b4d3a2f"))),
        "endRound" => Command::EndRound { player: "1042".into(), round: "5103188801".into(), game: GAME.into() },
        other => panic!("no expectation for {other}"),
    }
}

const CALLS: [&str; 8] = ["authenticate", "balance", "bet", "result", "bonusWin", "jackpotWin", "refund", "endRound"];

fn endpoint(name: &str) -> &'static str {
    pragmatic::ENDPOINTS.iter().find(|e| e.strip_suffix(".html") == Some(name)).unwrap()
}

/// Computed with `python3 -c 'import hashlib; print(hashlib.md5(b"amount=10.00&gameId=
/// vs20doghouse&providerId=PragmaticPlay&reference=ref 1&roundId=77&userId=421" +
/// b"s3cr3t").hexdigest())'`.
const PYTHON_HASH: &str = "c7b23be6120806e0e320189999e22267";

#[test]
fn the_hash_matches_an_independently_computed_vector() {
    let params = [
        ("userId", "421"),
        ("roundId", "77"),
        ("reference", "ref 1"),
        ("providerId", "PragmaticPlay"),
        ("hash", "ignored"),
        ("gameId", "vs20doghouse"),
        ("amount", "10.00"),
    ];
    assert_eq!(pragmatic::hash(params, "s3cr3t"), PYTHON_HASH);
    // And the form encoding of the space does not enter the hash: values are decoded.
    let body = format!(
        "userId=421&roundId=77&reference=ref+1&providerId=PragmaticPlay&gameId=vs20doghouse&amount=10.00&hash={PYTHON_HASH}"
    );
    assert_eq!(PragmaticAdapter::new("s3cr3t", CONFIG).verify(None, body.as_bytes()), Ok(()));
}

#[test]
fn every_endpoints_fixture_verifies_and_parses_into_its_canonical_command() {
    let adapter = adapter();
    assert_eq!(adapter.signature_header(), None);
    for name in CALLS {
        let body = form(name);
        assert_eq!(adapter.verify(None, &body), Ok(()), "{name}");
        let parsed = adapter.parse(endpoint(name), &body).unwrap();
        assert_eq!(parsed, Request { command: expected(name), request_id: None }, "{name}");
    }
}

#[test]
fn a_bad_or_missing_hash_a_tampered_body_or_another_secret_is_refused() {
    let adapter = adapter();
    let body = String::from_utf8(form("bet")).unwrap();
    let tampered = body.replace("amount=1.50", "amount=0.50");
    assert_eq!(adapter.verify(None, tampered.as_bytes()), Err(Failure::InvalidSignature));
    let unhashed: Vec<&str> = body.split('&').filter(|kv| !kv.starts_with("hash=")).collect();
    assert_eq!(adapter.verify(None, unhashed.join("&").as_bytes()), Err(Failure::InvalidSignature));
    let bad =
        body.rsplit_once("hash=").map(|(head, _)| format!("{head}hash=00000000000000000000000000000000")).unwrap();
    assert_eq!(adapter.verify(None, bad.as_bytes()), Err(Failure::InvalidSignature));
    assert_eq!(PragmaticAdapter::new("other", CONFIG).verify(None, body.as_bytes()), Err(Failure::InvalidSignature));
    // The hash is compared case-insensitively, as hex.
    let upper = body.rsplit_once("hash=").map(|(head, h)| format!("{head}hash={}", h.to_uppercase())).unwrap();
    assert_eq!(adapter.verify(None, upper.as_bytes()), Ok(()));
}

#[test]
fn malformed_calls_are_wrong_syntax() {
    let adapter = adapter();
    for (endpoint, body) in [
        (pragmatic::BET, "userId=1&gameId=g&roundId=r&reference=x"),
        (pragmatic::BET, "userId=1&gameId=g&roundId=r&reference=x&amount=-1.00"),
        (pragmatic::BET, "userId=1&gameId=g&roundId=r&reference=x&amount=1.005"),
        (pragmatic::BET, "userId=1&gameId=g&roundId=r&reference=x&amount=abc"),
        (pragmatic::BET, "userId=1&userId=2&gameId=g&roundId=r&reference=x&amount=1"),
        (pragmatic::RESULT, "userId=1&gameId=g&reference=x&amount=1"),
        (pragmatic::REFUND, "userId=1"),
        (pragmatic::AUTHENTICATE, "providerId=p"),
        ("promoWin.html", "userId=1"),
    ] {
        assert!(matches!(adapter.parse(endpoint, body.as_bytes()), Err(Failure::WrongSyntax(_))), "{endpoint} {body}");
    }
}

#[test]
fn answers_render_as_recorded() {
    let adapter = adapter();
    let ok = Ok(Outcome { account: account(), transaction: Some("tx-1".into()) });
    for (name, fixture_name) in [
        ("authenticate", "authenticate_ok"),
        ("balance", "balance_ok"),
        ("bet", "bet_ok"),
        ("result", "result_ok"),
        ("bonusWin", "result_ok"),
        ("jackpotWin", "result_ok"),
        ("refund", "refund_ok"),
        ("endRound", "endRound_ok"),
    ] {
        let body = form(name);
        let request = adapter.parse(endpoint(name), &body).unwrap();
        let response = adapter.render(endpoint(name), &body, Some(&request), &ok);
        assert_eq!(response.content_type, "application/json");
        assert!(response.headers.is_empty());
        assert_eq!(
            String::from_utf8(response.body).unwrap(),
            fixture(&format!("responses/{fixture_name}.json")),
            "{name}"
        );
    }
    let body = form("bet");
    let request = adapter.parse(pragmatic::BET, &body).unwrap();
    let poor = Account { cash: 100, bonus: 0, ..account() };
    let response = adapter.render(pragmatic::BET, &body, Some(&request), &Err((Failure::NotEnoughMoney, Some(poor))));
    assert_eq!(String::from_utf8(response.body).unwrap(), fixture("responses/bet_insufficient.json"));
    let response = adapter.render(pragmatic::BET, &body, None, &Err((Failure::InvalidSignature, None)));
    assert_eq!(String::from_utf8(response.body).unwrap(), fixture("responses/bet_bad_hash.json"));
    let body = form("result");
    let request = adapter.parse(pragmatic::RESULT, &body).unwrap();
    let refused = Err((Failure::TransactionDoesNotExist { final_: false }, Some(account())));
    let response = adapter.render(pragmatic::RESULT, &body, Some(&request), &refused);
    assert_eq!(String::from_utf8(response.body).unwrap(), fixture("responses/result_without_bet_retryable.json"));
    // A transaction id falls back to the provider's reference when the wallet gives none.
    let bare = Ok(Outcome { account: account(), transaction: None });
    let response = adapter.render(pragmatic::RESULT, &body, Some(&request), &bare);
    let answer: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["transactionId"], "5c4a7f1e8b4d3a30");
}

#[test]
fn every_failure_renders_as_its_error_code() {
    let table = [
        (Failure::InvalidSignature, 5),
        (Failure::InvalidToken, 4),
        (Failure::TokenExpired, 4),
        (Failure::PlayerNotFound, 2),
        (Failure::NotEnoughMoney, 1),
        (Failure::DuplicateTransaction, 120),
        (Failure::TransactionDoesNotExist { final_: false }, 100),
        (Failure::TransactionDoesNotExist { final_: true }, 120),
        (Failure::TransactionRolledBack, 120),
        (Failure::RoundAlreadySettled, 120),
        (Failure::UserDisabled, 6),
        (Failure::LimitReached("stake cap".into()), 50),
        (Failure::WrongCurrency, 7),
        (Failure::WrongSyntax("x".into()), 7),
        (Failure::Retryable("db".into()), 100),
        (Failure::Unknown("?".into()), 120),
    ];
    let adapter = adapter();
    let body = form("bet");
    for (failure, code) in table {
        assert_eq!(pragmatic::error_code(&failure), code, "{failure:?}");
        let response = adapter.render(pragmatic::BET, &body, None, &Err((failure.clone(), None)));
        let answer: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(answer["error"], code, "{failure:?}");
        assert_eq!(answer["description"], failure.to_string());
    }
}

#[test]
fn the_client_encodes_what_the_adapter_parses_and_reads_what_it_renders() {
    let adapter = adapter();
    let client = PragmaticClient::new(secret(), "PragmaticPlay", CONFIG);
    for name in CALLS {
        let request = Request { command: expected(name), request_id: None };
        let call = client.encode(&request, 1_765_140_000_000).unwrap();
        assert_eq!(call.endpoint, endpoint(name));
        assert_eq!(call.content_type, "application/x-www-form-urlencoded");
        adapter.verify(None, &call.body).unwrap();
        assert_eq!(adapter.parse(call.endpoint, &call.body).unwrap(), request, "{name}");

        let reply = Ok(Outcome { account: account(), transaction: Some("tx-9".into()) });
        let response = adapter.render(call.endpoint, &call.body, Some(&request), &reply);
        let answer = client.decode(call.endpoint, None, &response.body).unwrap();
        assert_eq!((answer.failure.clone(), answer.status.as_str()), (None, "0"), "{name}");
        if !matches!(name, "refund") {
            assert_eq!(answer.balance, Some(1_234_817), "{name}");
        }
        if matches!(name, "bet" | "result" | "bonusWin" | "jackpotWin" | "refund") {
            assert_eq!(answer.transaction.as_deref(), Some("tx-9"), "{name}");
        }

        for (failure, read_back) in [
            (Failure::NotEnoughMoney, Failure::NotEnoughMoney),
            (Failure::Retryable("db".into()), Failure::Retryable("temporary error: db".into())),
            (Failure::TransactionRolledBack, Failure::Unknown("the transaction was rolled back".into())),
        ] {
            let response = adapter.render(call.endpoint, &call.body, Some(&request), &Err((failure, None)));
            assert_eq!(client.decode(call.endpoint, None, &response.body).unwrap().failure, Some(read_back));
        }
    }
    let promo = Request {
        command: Command::Win { transaction: tx("p", "r", 1, None), kind: WinKind::Promo },
        request_id: None,
    };
    assert!(client.encode(&promo, 0).is_err());
    assert!(client.decode(pragmatic::BET, None, b"<html>").is_err());
}
