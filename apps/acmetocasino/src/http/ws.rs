//! `GET /api/v2/ws`: the live feed of domain events for staff, as a WebSocket.
//!
//! A plain actix handler (WebSockets are outside the OpenAPI document).
//!
//! - The access token comes as `?token=…` (checked before the upgrade: `401`/`403`
//!   problem documents) or as the first text message `{"token": "…"}` within 10 s
//!   (otherwise, or when refused, a close frame `1008` with the reason).
//! - `?channels=wallet.transactions,game.rounds` limits the feed (default: every
//!   channel); an unknown name is a `400` before the upgrade.
//! - Each event is one JSON text frame `{channel, kind, at, payload}`. Messages from
//!   the client after authentication are ignored; pings are answered; the server pings
//!   every 20 s and drops a client silent for 60 s; the socket is closed (`1008`) when
//!   the access token expires.

use crate::auth::Claims;
use crate::error::ApiError;
use crate::events::{Channel, DomainEvent};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// How long a client has to send `{"token": "…"}` when none was in the query.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const HEARTBEAT: Duration = Duration::from_secs(20);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest message accepted from a client (a token fits many times over).
const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// The token verifier's leeway on `exp`.
const EXPIRY_LEEWAY_SECS: i64 = 5;

#[derive(Debug, Deserialize)]
pub struct WsParams {
    token: Option<String>,
    channels: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AuthMessage {
    token: String,
}

/// The channels a client receives.
#[derive(Debug, Clone, Copy)]
struct Filter([bool; 4]);

impl Filter {
    fn parse(param: Option<&str>) -> Result<Self, ApiError> {
        let Some(param) = param else { return Ok(Self([true; 4])) };
        let mut on = [false; 4];
        for name in param.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let channel = Channel::parse(name).ok_or_else(|| {
                let known: Vec<_> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                ApiError::validation("channels", format!("unknown channel `{name}`; known: {}", known.join(", ")))
            })?;
            on[Self::index(channel)] = true;
        }
        if on.iter().any(|&b| b) {
            Ok(Self(on))
        } else {
            Err(ApiError::validation("channels", "must name at least one channel"))
        }
    }

    fn index(channel: Channel) -> usize {
        Channel::ALL.iter().position(|&c| c == channel).unwrap_or(0)
    }

    fn allows(self, channel: Channel) -> bool {
        self.0[Self::index(channel)]
    }
}

/// A staff member's verified claims, or the refusal.
async fn authorize(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::Unauthorized("missing access token".into()));
    }
    let claims = crate::auth::authenticate(state, token).await?;
    if claims.role.is_staff() {
        Ok(claims)
    } else {
        Err(ApiError::Forbidden("the event feed requires one of the roles: operator, compliance, admin".into()))
    }
}

/// The close frame for a refused token (the reason stays within 123 bytes).
fn refusal(err: &ApiError) -> CloseReason {
    let description = match err {
        ApiError::Forbidden(_) => "forbidden: the event feed is for staff (operator, compliance, admin)",
        _ => "unauthorized: missing, invalid or expired access token",
    };
    CloseReason { code: CloseCode::Policy, description: Some(description.into()) }
}

fn policy(description: &str) -> Option<CloseReason> {
    Some(CloseReason { code: CloseCode::Policy, description: Some(description.into()) })
}

/// `GET /api/v2/ws`.
pub async fn ws(
    req: HttpRequest,
    body: web::Payload,
    params: web::Query<WsParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let claims = match params.token.as_deref() {
        Some(t) => Some(authorize(&state, t).await?),
        None => None,
    };
    let filter = Filter::parse(params.channels.as_deref())?;
    let (response, session, messages) = actix_ws::handle(&req, body)
        .map_err(|_| ApiError::validation("upgrade", "expected a WebSocket upgrade request"))?;
    let messages =
        messages.max_frame_size(MAX_MESSAGE_BYTES).aggregate_continuations().max_continuation_size(MAX_MESSAGE_BYTES);
    // Subscribed before the handshake completes: nothing published after it is missed.
    let authorized = claims.map(|c| (c, state.events.subscribe()));
    actix_web::rt::spawn(run(session, messages, state.into_inner(), filter, authorized));
    Ok(response)
}

async fn run(
    mut session: Session,
    mut messages: AggregatedMessageStream,
    state: Arc<AppState>,
    filter: Filter,
    authorized: Option<(Claims, broadcast::Receiver<Arc<DomainEvent>>)>,
) {
    let (claims, events) = match authorized {
        Some(a) => a,
        None => match authenticate(&mut session, &mut messages, &state).await {
            Ok(claims) => (claims, state.events.subscribe()),
            Err(reason) => {
                let _ = session.close(reason).await;
                return;
            }
        },
    };
    drop(state);
    tracing::debug!(account = %claims.sub, role = %claims.role, "event feed client connected");
    let reason = stream_events(&mut session, &mut messages, events, filter, &claims).await;
    let _ = session.close(reason).await;
}

/// Waits for `{"token": "…"}`; `Err` holds the close frame to send.
async fn authenticate(
    session: &mut Session,
    messages: &mut AggregatedMessageStream,
    state: &AppState,
) -> Result<Claims, Option<CloseReason>> {
    let deadline = tokio::time::sleep(AUTH_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        let msg = tokio::select! {
            () = &mut deadline => return Err(policy("no access token within 10 s: send {\"token\": \"…\"} first")),
            msg = messages.recv() => msg,
        };
        match msg {
            None => return Err(None),
            Some(Err(e)) => return Err(protocol_error(&e)),
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                if session.pong(&bytes).await.is_err() {
                    return Err(None);
                }
            }
            Some(Ok(AggregatedMessage::Pong(_))) => {}
            Some(Ok(AggregatedMessage::Close(reason))) => return Err(reason),
            Some(Ok(AggregatedMessage::Text(text))) => {
                let Ok(AuthMessage { token }) = serde_json::from_str(&text) else {
                    return Err(policy("expected {\"token\": \"…\"} as the first message"));
                };
                return authorize(state, &token).await.map_err(|e| Some(refusal(&e)));
            }
            Some(Ok(AggregatedMessage::Binary(_))) => {
                return Err(policy("expected {\"token\": \"…\"} as the first (text) message"));
            }
        }
    }
}

fn protocol_error(e: &actix_ws::ProtocolError) -> Option<CloseReason> {
    let code = match e {
        actix_ws::ProtocolError::Overflow => CloseCode::Size,
        _ => CloseCode::Protocol,
    };
    Some(CloseReason { code, description: Some(e.to_string()) })
}

/// Sends events until the client leaves or must go; returns the close frame to send.
async fn stream_events(
    session: &mut Session,
    messages: &mut AggregatedMessageStream,
    mut events: broadcast::Receiver<Arc<DomainEvent>>,
    filter: Filter,
    claims: &Claims,
) -> Option<CloseReason> {
    let left = claims.exp + EXPIRY_LEEWAY_SECS - chrono::Utc::now().timestamp();
    let expiry = tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap_or(0)));
    tokio::pin!(expiry);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) if filter.allows(event.channel) => {
                    let json = match serde_json::to_string(&*event) {
                        Ok(j) => j,
                        Err(e) => {
                            tracing::error!(error = %e, kind = %event.kind, "serialising a domain event");
                            continue;
                        }
                    };
                    if session.text(json).await.is_err() {
                        return None;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "an event feed client fell behind; events skipped");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return Some(CloseReason { code: CloseCode::Away, description: Some("server shutting down".into()) });
                }
            },
            msg = messages.recv() => {
                last_heard = Instant::now();
                match msg {
                    None => return None,
                    Some(Err(e)) => return protocol_error(&e),
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return None;
                        }
                    }
                    // The client's close code is echoed back, as RFC 6455 asks.
                    Some(Ok(AggregatedMessage::Close(reason))) => return reason.map(|r| CloseReason { code: r.code, description: None }),
                    Some(Ok(AggregatedMessage::Pong(_) | AggregatedMessage::Text(_) | AggregatedMessage::Binary(_))) => {}
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > CLIENT_TIMEOUT {
                    return Some(CloseReason { code: CloseCode::Away, description: Some("no answer to pings".into()) });
                }
                if session.ping(b"").await.is_err() {
                    return None;
                }
            }
            () = &mut expiry => return policy("access token expired: reconnect with a fresh one"),
        }
    }
}
