//! Hub88 adapter against recorded fixtures: signed request bodies with their signature
//! vectors (made by openssl from the checked-in keys, see fixtures/make_vectors.sh), the
//! canonical command each endpoint parses into, the rendered and signed answers, and the
//! provider's client round trip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provider_core::hub88::{self, Hub88Adapter, Hub88Client, PrivateKey, PublicKey, Status};
use provider_core::{
    Account, AmountScale, Command, Failure, Outcome, ProviderAdapter, ProviderClient, ProviderConfig, Request,
    Transaction, WinKind,
};
use std::path::PathBuf;

const CONFIG: ProviderConfig =
    ProviderConfig { scale: AmountScale::HUB88, win_without_bet_is_final: false, token_ttl_seconds: 3600 };

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hub88").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn key(name: &str) -> String {
    fixture(&format!("keys/{name}.pem"))
}

fn adapter() -> Hub88Adapter {
    Hub88Adapter::new(&key("provider_public"), &key("operator_private"), CONFIG).unwrap()
}

fn client() -> Hub88Client {
    Hub88Client::new(&key("provider_private"), &key("operator_public"), CONFIG).unwrap()
}

/// A request fixture's body and signature.
fn request(name: &str) -> (Vec<u8>, String) {
    (fixture(&format!("requests/{name}.json")).into_bytes(), fixture(&format!("requests/{name}.sig")))
}

fn account(cash: i64) -> Account {
    Account { player: "1042".into(), currency: "EUR".into(), cash, bonus: 0, country: Some("EE".into()) }
}

const TOKEN: &str = "55b7518e-b89e-11e7-81be-58404eea6d16";
const BET_ID: &str = "16d2dcfe-b89e-11e7-854a-58404eea6d16";

fn tx(
    id: &str,
    round: &str,
    amount: i64,
    currency: Option<&str>,
    reference: Option<&str>,
    closed: bool,
) -> Transaction {
    Transaction {
        id: id.into(),
        player: "1042".into(),
        token: Some(TOKEN.into()),
        round: round.into(),
        game: "clt_dragonrising".into(),
        amount,
        currency: currency.map(Into::into),
        reference: reference.map(Into::into),
        round_closed: closed,
    }
}

fn expected(name: &str) -> Request {
    let (command, request_id) = match name {
        "user_info" => (
            Command::Balance { player: "1042".into(), token: None, game: None },
            "583c985f-fee6-4c0e-bbf5-308aad6265af",
        ),
        "user_balance" => (
            Command::Balance {
                player: "1042".into(),
                token: Some(TOKEN.into()),
                game: Some("clt_dragonrising".into()),
            },
            "583c985f-fee6-4c0e-bbf5-308aad6265b0",
        ),
        "bet" => (
            Command::Bet(tx(BET_ID, "rNEMwgzJAOZ6eR3V", 150, Some("EUR"), None, false)),
            "583c985f-fee6-4c0e-bbf5-308aad6265b1",
        ),
        // A free bet stakes nothing from the wallet.
        "bet_free" => (
            Command::Bet(tx("16d2dcfe-b89e-11e7-854a-58404eea6d17", "rNEMwgzJAOZ6eR3W", 0, Some("EUR"), None, false)),
            "583c985f-fee6-4c0e-bbf5-308aad6265b2",
        ),
        "win" => (
            Command::Win {
                transaction: tx(
                    "6b8f4f8a-f4d3-4e8b-9d4e-2f1c3a9b7e01",
                    "rNEMwgzJAOZ6eR3V",
                    375,
                    Some("EUR"),
                    Some(BET_ID),
                    true,
                ),
                kind: WinKind::Normal,
            },
            "583c985f-fee6-4c0e-bbf5-308aad6265b3",
        ),
        "win_free" => (
            Command::Win {
                transaction: tx(
                    "6b8f4f8a-f4d3-4e8b-9d4e-2f1c3a9b7e02",
                    "rNEMwgzJAOZ6eR3W",
                    50,
                    Some("EUR"),
                    Some("16d2dcfe-b89e-11e7-854a-58404eea6d17"),
                    true,
                ),
                kind: WinKind::Free,
            },
            "583c985f-fee6-4c0e-bbf5-308aad6265b4",
        ),
        "win_promo" => (
            Command::Win {
                transaction: tx(
                    "6b8f4f8a-f4d3-4e8b-9d4e-2f1c3a9b7e03",
                    "rNEMwgzJAOZ6eR3V",
                    1000,
                    Some("EUR"),
                    Some(BET_ID),
                    true,
                ),
                kind: WinKind::Promo,
            },
            "583c985f-fee6-4c0e-bbf5-308aad6265b5",
        ),
        "rollback" => (
            Command::Rollback(tx(
                "0d5f4a4e-1b7c-4b55-8a0f-5b8e7c6d5e4f",
                "rNEMwgzJAOZ6eR3V",
                0,
                None,
                Some(BET_ID),
                true,
            )),
            "583c985f-fee6-4c0e-bbf5-308aad6265b6",
        ),
        other => panic!("no expectation for {other}"),
    };
    Request { command, request_id: Some(request_id.into()) }
}

const CALLS: [(&str, &str); 8] = [
    ("user_info", hub88::USER_INFO),
    ("user_balance", hub88::USER_BALANCE),
    ("bet", hub88::BET),
    ("bet_free", hub88::BET),
    ("win", hub88::WIN),
    ("win_free", hub88::WIN),
    ("win_promo", hub88::WIN),
    ("rollback", hub88::ROLLBACK),
];

#[test]
fn every_endpoints_signed_fixture_verifies_and_parses_into_its_canonical_command() {
    let adapter = adapter();
    assert_eq!(adapter.signature_header(), Some("X-Hub88-Signature"));
    for (name, endpoint) in CALLS {
        let (body, signature) = request(name);
        assert_eq!(adapter.verify(Some(&signature), &body), Ok(()), "{name}");
        assert_eq!(adapter.parse(endpoint, &body), Ok(expected(name)), "{name}");
    }
}

#[test]
fn the_provider_key_is_read_from_spki_and_pkcs1_pems_alike() {
    let pkcs1 = key("provider_public_pkcs1");
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    let adapter = Hub88Adapter::new(&pkcs1, &key("operator_private"), CONFIG).unwrap();
    let (body, signature) = request("bet");
    assert_eq!(adapter.verify(Some(&signature), &body), Ok(()));
    assert_eq!(hub88::public_pem_as_pkcs1(&key("provider_public")).unwrap().trim(), pkcs1.trim());
    assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----").is_err());
    assert!(PrivateKey::from_pem(&key("provider_public")).is_err());
}

#[test]
fn a_tampered_body_a_wrong_key_or_a_missing_header_is_an_invalid_signature() {
    let adapter = adapter();
    let (body, signature) = request("bet");
    let tampered = String::from_utf8(body.clone()).unwrap().replace("150000", "150");
    assert_eq!(adapter.verify(Some(&signature), tampered.as_bytes()), Err(Failure::InvalidSignature));
    assert_eq!(adapter.verify(None, &body), Err(Failure::InvalidSignature));
    assert_eq!(adapter.verify(Some(""), &body), Err(Failure::InvalidSignature));
    assert_eq!(adapter.verify(Some("%%% not base64"), &body), Err(Failure::InvalidSignature));
    // Signed by a key that is not the provider's.
    let stranger = PrivateKey::from_pem(&key("stranger_private")).unwrap();
    assert_eq!(adapter.verify(Some(&stranger.sign(&body)), &body), Err(Failure::InvalidSignature));
    // Another request's valid signature.
    let (_, other) = request("win");
    assert_eq!(adapter.verify(Some(&other), &body), Err(Failure::InvalidSignature));
}

#[test]
fn malformed_calls_are_wrong_syntax() {
    let adapter = adapter();
    let (fraction, _) = request("bet_fraction");
    assert!(matches!(adapter.parse(hub88::BET, &fraction), Err(Failure::WrongSyntax(_))));
    for (endpoint, body) in [
        (hub88::BET, "not json"),
        (hub88::BET, r#"{"user":"1042","request_uuid":"r"}"#),
        (
            hub88::BET,
            r#"{"user":"1042","transaction_uuid":"t","request_uuid":"r","round":"x","game_code":"g","currency":"EUR","amount":-1000}"#,
        ),
        (
            hub88::BET,
            r#"{"user":"1042","transaction_uuid":"t","request_uuid":"r","round":"x","game_code":"g","currency":"EUR","amount":1.5}"#,
        ),
        (
            hub88::WIN,
            r#"{"user":"1042","transaction_uuid":"t","request_uuid":"r","round":"x","game_code":"g","currency":"EUR","amount":1000}"#,
        ),
        (hub88::ROLLBACK, r#"{"user":"1042","transaction_uuid":"t","request_uuid":"r","round":"x"}"#),
        (hub88::USER_INFO, r#"{"user":"","request_uuid":"r"}"#),
        ("transaction/other", r#"{}"#),
    ] {
        assert!(matches!(adapter.parse(endpoint, body.as_bytes()), Err(Failure::WrongSyntax(_))), "{endpoint} {body}");
    }
}

/// The rendered answer equals the recorded body, and its signature the openssl vector.
fn assert_rendered(response: provider_core::Response, name: &str) {
    let expected_body = fixture(&format!("responses/{name}.json"));
    assert_eq!(String::from_utf8(response.body.clone()).unwrap(), expected_body, "{name}");
    assert_eq!(response.content_type, "application/json");
    assert_eq!(response.headers, vec![("X-Hub88-Signature", fixture(&format!("responses/{name}.sig")))], "{name}");
}

#[test]
fn answers_render_as_recorded_and_are_signed_with_the_operator_key() {
    let adapter = adapter();
    let ok = |cash| Ok(Outcome { account: account(cash), transaction: Some("tx-1".into()) });
    for (name, endpoint, reply) in [
        ("user_info", hub88::USER_INFO, ok(1_234_567)),
        ("user_balance", hub88::USER_BALANCE, ok(1_234_567)),
        ("bet", hub88::BET, ok(1_234_417)),
        ("bet", hub88::BET, Err((Failure::NotEnoughMoney, Some(account(100))))),
        ("win", hub88::WIN, Err((Failure::TransactionDoesNotExist { final_: false }, Some(account(1_234_417))))),
    ] {
        let (body, _) = request(name);
        let request = adapter.parse(endpoint, &body).unwrap();
        let rendered = adapter.render(endpoint, &body, Some(&request), &reply);
        let fixture = match (name, &reply) {
            ("user_info", _) => "user_info_ok",
            ("user_balance", _) => "balance_ok",
            ("bet", Ok(_)) => "bet_ok",
            ("bet", Err(_)) => "bet_not_enough_money",
            _ => "win_does_not_exist",
        };
        assert_rendered(rendered, fixture);
    }
    // A call that could not be verified still echoes its ids from the raw body.
    let (body, _) = request("bet");
    let rendered = adapter.render(hub88::BET, &body, None, &Err((Failure::InvalidSignature, None)));
    assert_rendered(rendered, "bet_invalid_signature");
}

#[test]
fn every_failure_renders_as_its_status() {
    let adapter = adapter();
    let (body, _) = request("bet");
    let request = adapter.parse(hub88::BET, &body).unwrap();
    let table = [
        (Failure::InvalidSignature, "RS_ERROR_INVALID_SIGNATURE"),
        (Failure::InvalidToken, "RS_ERROR_INVALID_TOKEN"),
        (Failure::TokenExpired, "RS_ERROR_TOKEN_EXPIRED"),
        (Failure::PlayerNotFound, "RS_ERROR_UNKNOWN"),
        (Failure::NotEnoughMoney, "RS_ERROR_NOT_ENOUGH_MONEY"),
        (Failure::DuplicateTransaction, "RS_ERROR_DUPLICATE_TRANSACTION"),
        (Failure::TransactionDoesNotExist { final_: false }, "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"),
        (Failure::TransactionDoesNotExist { final_: true }, "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"),
        (Failure::TransactionRolledBack, "RS_ERROR_TRANSACTION_ROLLED_BACK"),
        (Failure::RoundAlreadySettled, "RS_ERROR_UNKNOWN"),
        (Failure::UserDisabled, "RS_ERROR_USER_DISABLED"),
        (Failure::LimitReached("stake cap".into()), "RS_ERROR_LIMIT_REACHED"),
        (Failure::WrongCurrency, "RS_ERROR_WRONG_CURRENCY"),
        (Failure::WrongSyntax("x".into()), "RS_ERROR_WRONG_SYNTAX"),
        (Failure::Retryable("db".into()), "RS_ERROR_UNKNOWN"),
        (Failure::Unknown("?".into()), "RS_ERROR_UNKNOWN"),
    ];
    let operator = PublicKey::from_pem(&key("operator_public")).unwrap();
    for (failure, status) in table {
        assert_eq!(Status::of(&failure).as_str(), status, "{failure:?}");
        let rendered = adapter.render(hub88::BET, &body, Some(&request), &Err((failure.clone(), None)));
        let answer: serde_json::Value = serde_json::from_slice(&rendered.body).unwrap();
        assert_eq!(answer["status"], status, "{failure:?}");
        assert_eq!(answer["user"], "1042");
        assert_eq!(answer["request_uuid"], "583c985f-fee6-4c0e-bbf5-308aad6265b1");
        assert!(operator.verify(&rendered.body, &rendered.headers[0].1));
    }
}

#[test]
fn the_client_encodes_what_the_adapter_parses_and_reads_what_it_renders() {
    let (adapter, client) = (adapter(), client());
    for (name, endpoint) in CALLS {
        let request = expected(name);
        let call = client.encode(&request, 0).unwrap();
        assert_eq!(call.endpoint, endpoint, "{name}");
        let signature = call.headers.iter().find(|(h, _)| *h == hub88::SIGNATURE_HEADER).map(|(_, s)| s.as_str());
        adapter.verify(signature, &call.body).unwrap();
        assert_eq!(adapter.parse(call.endpoint, &call.body).unwrap(), request, "{name}");

        let reply = Ok(Outcome { account: account(2_500), transaction: None });
        let response = adapter.render(call.endpoint, &call.body, Some(&request), &reply);
        let answer = client.decode(call.endpoint, Some(&response.headers[0].1), &response.body).unwrap();
        assert_eq!(answer.failure, None);
        assert_eq!(answer.status, "RS_OK");
        assert_eq!(answer.balance, Some(2_500));
        assert_eq!(answer.currency.as_deref(), Some("EUR"));
        assert_eq!(answer.player.as_deref(), Some("1042"));
        assert_eq!(answer.request_id, request.request_id);

        let refused = Err((Failure::NotEnoughMoney, Some(account(7))));
        let response = adapter.render(call.endpoint, &call.body, Some(&request), &refused);
        let answer = client.decode(call.endpoint, Some(&response.headers[0].1), &response.body).unwrap();
        assert_eq!((answer.failure, answer.balance), (Some(Failure::NotEnoughMoney), Some(7)));

        // The client refuses an answer the operator did not sign.
        let mut forged = response.body.clone();
        forged.extend_from_slice(b" ");
        assert_eq!(client.decode(call.endpoint, Some(&response.headers[0].1), &forged), Err(Failure::InvalidSignature));
        assert_eq!(client.decode(call.endpoint, None, &response.body), Err(Failure::InvalidSignature));
    }
    // A jackpot win, an authentication or an end of round are not Hub88 calls.
    let jackpot = Request {
        command: Command::Win { transaction: tx("w", "r", 1, Some("EUR"), Some("b"), true), kind: WinKind::Jackpot },
        request_id: Some("r".into()),
    };
    assert!(client.encode(&jackpot, 0).is_err());
}

#[test]
fn generated_key_pairs_sign_and_verify_and_the_seed_decides_the_pair() {
    let pair = hub88::generate_key_pair([7; 32]).unwrap();
    assert!(pair.private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let private = PrivateKey::from_pem(&pair.private_pem).unwrap();
    assert_eq!(private.public_key_pem(), pair.public_pem);
    let public = PublicKey::from_pem(&pair.public_pem).unwrap();
    let signature = private.sign(b"{}");
    assert!(public.verify(b"{}", &signature));
    assert!(!public.verify(b"{ }", &signature));
    // Deterministic signatures: the same body signs the same.
    assert_eq!(private.sign(b"{}"), signature);
    let other = hub88::generate_key_pair([8; 32]).unwrap();
    assert_ne!(other.public_pem, pair.public_pem);
    // The adapter takes a generated operator key as it is stored.
    Hub88Adapter::new(&key("provider_public"), &pair.private_pem, CONFIG).unwrap();
}
