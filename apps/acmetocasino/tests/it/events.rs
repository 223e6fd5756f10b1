//! The live event feed: `GET /api/v2/ws` on a real server, through a real WebSocket
//! client, in process and across two instances through Redis.

use crate::support::{Backend, Options, TestApp};
use acmetocasino::events::{Channel, DomainEvent};
use futures_util::{SinkExt, StreamExt};
use pam_core::Role;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Upper bound for anything that should happen promptly.
const PROMPT: Duration = Duration::from_secs(10);

fn ws_url(app: &TestApp, query: &str) -> String {
    format!("{}/api/v2/ws{query}", app.base.replacen("http", "ws", 1))
}

async fn connect(app: &TestApp, query: &str) -> Ws {
    let (ws, resp) = timeout(PROMPT, tokio_tungstenite::connect_async(ws_url(app, query))).await.unwrap().unwrap();
    assert_eq!(resp.status().as_u16(), 101);
    ws
}

/// The handshake is refused with `status` (a problem document, when the body came along).
async fn refused(app: &TestApp, query: &str, status: u16, code: &str) {
    match timeout(PROMPT, tokio_tungstenite::connect_async(ws_url(app, query))).await.unwrap() {
        Err(WsError::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), status);
            let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
            assert_eq!(ct, "application/problem+json");
            if let Some(body) = resp.body().as_deref().filter(|b| !b.is_empty()) {
                let body: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(body["code"], code, "{body:#}");
            }
        }
        Ok(_) => panic!("{query}: the upgrade was accepted, expected {status}"),
        Err(e) => panic!("{query}: {e}"),
    }
    // The same answer as a problem document to a plain request.
    app.get(&format!("/api/v2/ws{query}"), None).await.problem(status, code);
}

fn event(channel: Channel, kind: &str, marker: &str) -> DomainEvent {
    DomainEvent::new(channel, kind, chrono::Utc::now(), json!({"marker": marker}))
}

/// The next text frame as JSON; pings and pongs are skipped. `None` after `within`.
async fn next_json(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, ws.next()).await.ok()? {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// The next frame that carries `marker`, skipping others (probes, other tests' events).
async fn next_marked(ws: &mut Ws, marker: &str) -> Value {
    let deadline = Instant::now() + PROMPT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = next_json(ws, left).await.unwrap_or_else(|| panic!("no event marked {marker} in time"));
        if v["payload"]["marker"] == marker {
            return v;
        }
    }
}

/// Publishes probes on `channel` through `publisher` until one reaches `ws`: the
/// subscription is live end to end (bounded).
async fn wait_live(publisher: &TestApp, ws: &mut Ws, channel: Channel) {
    let marker = uuid::Uuid::new_v4().to_string();
    let deadline = Instant::now() + PROMPT;
    while Instant::now() < deadline {
        publisher.state.events.publish(event(channel, "test.probe", &marker));
        while let Some(v) = next_json(ws, Duration::from_millis(100)).await {
            if v["payload"]["marker"] == marker.as_str() {
                return;
            }
        }
    }
    panic!("the feed never went live");
}

/// The close frame the server sends (bounded by `within`).
async fn close_frame(ws: &mut Ws, within: Duration) -> (CloseCode, String) {
    loop {
        match timeout(within, ws.next()).await.expect("no close frame in time") {
            Some(Ok(Message::Close(Some(frame)))) => return (frame.code, frame.reason.to_string()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

async fn plain_app() -> TestApp {
    TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_receive_published_events_as_json_frames() {
    let app = plain_app().await;
    for (name, role) in [("operator1", Role::Operator), ("comp", Role::Compliance), ("boss", Role::Admin)] {
        let token = app.staff(name, role).await;
        let mut ws = connect(&app, &format!("?token={token}")).await;
        // Subscribed before the handshake completed: the first publish arrives.
        let marker = uuid::Uuid::new_v4().to_string();
        app.state.events.publish(event(Channel::WalletTransactions, "wallet.event_appended", &marker));
        let v = next_json(&mut ws, PROMPT).await.expect("no event");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{v:#}");
        assert_eq!(v["channel"], "wallet.transactions");
        assert_eq!(v["kind"], "wallet.event_appended");
        assert_eq!(v["payload"], json!({"marker": marker}));
        assert!(chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).is_ok(), "{v:#}");

        // Pings are answered; a close is answered with a close.
        ws.send(Message::Ping(b"hi"[..].into())).await.unwrap();
        loop {
            match timeout(PROMPT, ws.next()).await.unwrap() {
                Some(Ok(Message::Pong(p))) => {
                    assert_eq!(&p[..], b"hi");
                    break;
                }
                Some(Ok(Message::Ping(_))) => {}
                other => panic!("expected a pong, got {other:?}"),
            }
        }
        ws.close(None).await.unwrap();
        loop {
            match timeout(PROMPT, ws.next()).await.unwrap() {
                Some(Ok(Message::Close(_))) | None | Some(Err(WsError::ConnectionClosed)) => break,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected the close handshake, got {other:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_the_query_are_checked_before_the_upgrade() {
    let app = plain_app().await;
    let (_, player) = app.player("punter").await;
    refused(&app, &format!("?token={player}"), 403, "forbidden").await;
    refused(&app, "?token=", 401, "unauthorized").await;
    refused(&app, "?token=not.a.jwt", 401, "unauthorized").await;
    // Signed with another key.
    let forged = player.rsplit_once('.').map(|(head, _)| format!("{head}.c2lnbmF0dXJl")).unwrap();
    refused(&app, &format!("?token={forged}"), 401, "unauthorized").await;
    // A valid staff token but no upgrade: a problem, not a framework error page.
    let staff = app.staff("operator1", Role::Operator).await;
    app.get(&format!("/api/v2/ws?token={staff}"), None).await.problem(400, "validation_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_filter_the_feed() {
    let app = plain_app().await;
    let token = app.staff("operator1", Role::Operator).await;
    refused(&app, &format!("?token={token}&channels=wallet.transactions,casino.gossip"), 400, "validation_error").await;
    refused(&app, "?channels=casino.gossip", 400, "validation_error").await;
    refused(&app, &format!("?token={token}&channels=,"), 400, "validation_error").await;

    let mut ws = connect(&app, &format!("?token={token}&channels=wallet.transactions,%20game.rounds")).await;
    let m = uuid::Uuid::new_v4().to_string();
    for (channel, kind) in [
        (Channel::PlayerEvents, "one"),
        (Channel::WalletTransactions, "two"),
        (Channel::ComplianceAlerts, "three"),
        (Channel::GameRounds, "four"),
        (Channel::WalletTransactions, "end"),
    ] {
        app.state.events.publish(event(channel, kind, &m));
    }
    let mut got = Vec::new();
    while got.last().map(String::as_str) != Some("end") {
        let v = next_marked(&mut ws, &m).await;
        got.push(v["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, ["two", "four", "end"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_may_come_as_the_first_message() {
    let app = plain_app().await;
    let staff = app.staff("comp", Role::Compliance).await;
    let (_, player) = app.player("punter").await;

    let mut ws = connect(&app, "?channels=game.rounds").await;
    ws.send(Message::text(json!({ "token": staff }).to_string())).await.unwrap();
    wait_live(&app, &mut ws, Channel::GameRounds).await;
    let m = uuid::Uuid::new_v4().to_string();
    app.state.events.publish(event(Channel::WalletTransactions, "filtered.out", &m));
    app.state.events.publish(event(Channel::GameRounds, "game.round_settled", &m));
    assert_eq!(next_marked(&mut ws, &m).await["kind"], "game.round_settled");

    for (first, reason) in [
        (Message::text(json!({ "token": player }).to_string()), "forbidden"),
        (Message::text(json!({ "token": "nonsense" }).to_string()), "unauthorized"),
        (Message::text("hello"), "expected {\"token\""),
        (Message::binary(&b"\x00"[..]), "expected {\"token\""),
    ] {
        let mut ws = connect(&app, "").await;
        ws.send(first).await.unwrap();
        let (code, text) = close_frame(&mut ws, PROMPT).await;
        assert_eq!(code, CloseCode::Policy);
        assert!(text.starts_with(reason), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_token_is_closed_after_ten_seconds() {
    let app = plain_app().await;
    let mut ws = connect(&app, "").await;
    let started = Instant::now();
    let (code, reason) = close_frame(&mut ws, acmetocasino::http::ws::AUTH_TIMEOUT + PROMPT).await;
    assert_eq!(code, CloseCode::Policy);
    assert!(reason.contains("token"), "{reason}");
    assert!(started.elapsed() >= acmetocasino::http::ws::AUTH_TIMEOUT - Duration::from_secs(1));
}

/// Two instances on one database and one Redis; `None` when Redis is absent and allowed.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let redis = Options { redis: true, ..Options::default() };
    let a = TestApp::spawn(Backend::Sqlite, redis.clone()).await?;
    let b = TestApp::spawn_on(&a.db_url, redis, None).await?;
    assert_ne!(a.state.events.instance_id(), b.state.events.instance_id());
    Some((a, b))
}

/// Reads `ws` up to the event of kind `last` marked `marker`; how many of kind `kind` came.
async fn count_until(ws: &mut Ws, marker: &str, kind: &str, last: &str) -> usize {
    let mut seen = 0;
    loop {
        let v = next_marked(ws, marker).await;
        match v["kind"].as_str() {
            Some(k) if k == last => return seen,
            Some(k) if k == kind => seen += 1,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_fans_events_out_to_other_instances_exactly_once() {
    let Some((a, b)) = two_instances().await else { return };
    let token = b.staff("operator1", Role::Operator).await;
    let mut ws = connect(&b, &format!("?token={token}")).await;
    wait_live(&a, &mut ws, Channel::PlayerEvents).await;

    let m = uuid::Uuid::new_v4().to_string();
    a.state.events.publish(event(Channel::WalletTransactions, "wallet.event_appended", &m));
    // A publishes in order: everything about the first event arrives before this one.
    a.state.events.publish(event(Channel::WalletTransactions, "test.sentinel", &m));
    assert_eq!(count_until(&mut ws, &m, "wallet.event_appended", "test.sentinel").await, 1);
}

/// A round played through instance A's API reaches a staff WebSocket client of instance B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_played_on_one_instance_reaches_a_feed_client_of_another() {
    let Some((a, b)) = two_instances().await else { return };
    let token = b.staff("operator1", Role::Operator).await;
    let mut ws = connect(&b, &format!("?token={token}&channels=game.rounds")).await;
    wait_live(&a, &mut ws, Channel::GameRounds).await;

    let (player, t) = a.player("roamer").await;
    a.deposit(&t, 100_000, "roam").await.ok(201);
    let body =
        json!({"game_slug": "coin-flip", "amount": 10_000, "params": {"side": "heads"}, "idempotency_key": "r1"});
    let round = a.post("/api/v2/gal/play", Some(&t), body).await.ok(200).clone();
    let deadline = Instant::now() + PROMPT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = next_json(&mut ws, left).await.expect("the round never reached instance B's client");
        if v["kind"] == "round.settled" && v["payload"]["round_id"] == round["round_id"] {
            assert_eq!(
                (v["channel"].as_str(), v["payload"]["player_id"].as_str()),
                (Some("game.rounds"), Some(player.as_str()))
            );
            assert_eq!(v["payload"]["payout"], round["payout"]);
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_does_not_echo_its_own_events_back_from_redis() {
    let Some((a, b)) = two_instances().await else { return };
    let token = b.staff("operator1", Role::Operator).await;
    let mut ws = connect(&b, &format!("?token={token}")).await;
    // B's subscription is live (A → B), and A's too (B → A).
    wait_live(&a, &mut ws, Channel::PlayerEvents).await;
    let mut on_a = a.state.events.subscribe();
    let probe = uuid::Uuid::new_v4().to_string();
    let mut a_live = false;
    let deadline = Instant::now() + PROMPT;
    while !a_live && Instant::now() < deadline {
        b.state.events.publish(event(Channel::PlayerEvents, "test.probe", &probe));
        while let Ok(Ok(e)) = timeout(Duration::from_millis(100), on_a.recv()).await {
            a_live |= e.payload["marker"] == probe.as_str();
        }
    }
    assert!(a_live, "A never heard from B");

    let m = uuid::Uuid::new_v4().to_string();
    b.state.events.publish(event(Channel::GameRounds, "game.round_settled", &m));
    // Once A has it from Redis, Redis has queued it for B's subscription too, ahead
    // of anything published after; A's sentinel therefore arrives after any echo.
    timeout(PROMPT, async {
        loop {
            let e = on_a.recv().await.unwrap();
            if e.payload["marker"] == m.as_str() {
                break;
            }
        }
    })
    .await
    .expect("the event never reached A");
    a.state.events.publish(event(Channel::GameRounds, "test.sentinel", &m));
    assert_eq!(count_until(&mut ws, &m, "game.round_settled", "test.sentinel").await, 1);
}

/// Committed changes reach the feed: a registration, a deposit, a round, and the AML
/// alert a large deposit raises, each on its channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_changes_are_published_on_their_channels() {
    let app = TestApp::spawn(Backend::Sqlite, Options::default()).await.unwrap();
    let mut feed = app.state.events.subscribe();
    let (_, t) = app.player("feedy").await;
    app.deposit(&t, 200_000, "big").await.ok(201);
    app.post(
        "/api/v2/gal/play",
        Some(&t),
        json!({"game_slug": "coin-flip", "amount": 5_000, "params": {"side": "heads"}, "idempotency_key": "r"}),
    )
    .await
    .ok(200);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < 5 && Instant::now() < deadline {
        if let Ok(Ok(e)) = timeout(Duration::from_millis(500), feed.recv()).await {
            seen.push((e.channel.as_str().to_owned(), e.kind.clone()));
        }
    }
    for (channel, kind) in [
        ("player.events", "player.registered"),
        ("player.events", "player.kyc_updated"),
        ("wallet.transactions", "wallet.event_appended"),
        ("compliance.alerts", "aml.alert_raised"),
        ("game.rounds", "round.settled"),
    ] {
        assert!(seen.iter().any(|(c, k)| c == channel && k == kind), "{kind} missing from {seen:?}");
    }
}
