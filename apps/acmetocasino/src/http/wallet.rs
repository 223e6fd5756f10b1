//! Wallet routes: balances, postings, history and verification; the staff posting
//! queue is in `wallet/postings.rs`.

mod postings;

pub use postings::{
    ManualPostingResponse, approve_manual_posting, manual_posting, manual_postings, reject_manual_posting,
};

use super::reply::Created;
use crate::app;
use crate::app::money::{self, Posted};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::Channel;
use crate::extract::{ApiJson, free_text};
use crate::state::AppState;
use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};
use chrono::{DateTime, Utc};
use compliance_core::MoneyResult;
use kernel::{AccountId, Amount, Clock, Entropy};
use pam_core::Role;
use paperclip::actix::{AcceptedJson, OperationModifier};
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;
use wallet_core::{
    ApprovalStatus, EventFilter, EventOrder, EventType, HistoryQuery, IdempotencyKey, ManualPosting, Posting,
    PostingFilter, ROUND_REFERENCE_PREFIX, Reason, Reference, WalletEvent, WalletRepository,
};

/// Wallet event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Apiv2Schema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApiEventType {
    Deposit,
    Withdrawal,
    Bet,
    Win,
    BonusCredit,
    BonusDebit,
    Rollback,
}

impl From<ApiEventType> for EventType {
    fn from(t: ApiEventType) -> Self {
        match t {
            ApiEventType::Deposit => EventType::Deposit,
            ApiEventType::Withdrawal => EventType::Withdrawal,
            ApiEventType::Bet => EventType::Bet,
            ApiEventType::Win => EventType::Win,
            ApiEventType::BonusCredit => EventType::BonusCredit,
            ApiEventType::BonusDebit => EventType::BonusDebit,
            ApiEventType::Rollback => EventType::Rollback,
        }
    }
}

/// One event of a wallet's stream.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    /// 1, 2, 3, … without gaps, per wallet.
    pub seq: i64,
    /// `DEPOSIT`, `WITHDRAWAL`, `BET`, `WIN`, `BONUS_CREDIT`, `BONUS_DEBIT` or `ROLLBACK`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Minor units (`1050` = 10.50).
    pub amount: i64,
    pub currency: String,
    pub cash_balance_after: i64,
    pub bonus_balance_after: i64,
    pub idempotency_key: String,
    pub reference: Option<String>,
    /// For a `ROLLBACK`: the id of the `BET` event it compensates.
    pub compensates: Option<Uuid>,
    /// The staff member who posted it by hand (absent for the player's own postings
    /// and for game rounds), with their reason.
    pub posted_by: Option<Uuid>,
    pub reason: Option<String>,
    /// The second admin who approved it (postings above the approval threshold).
    pub approved_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<WalletEvent> for EventResponse {
    fn from(e: WalletEvent) -> Self {
        EventResponse {
            id: e.id,
            player_id: e.player_id.as_uuid(),
            seq: e.seq,
            event_type: e.event_type.as_str().to_owned(),
            amount: e.amount.minor_units(),
            currency: e.currency.as_str().to_owned(),
            cash_balance_after: e.cash_balance_after.minor_units(),
            bonus_balance_after: e.bonus_balance_after.minor_units(),
            idempotency_key: e.idempotency_key,
            reference: e.reference,
            compensates: e.compensates,
            posted_by: e.posted_by.map(|s| s.as_uuid()),
            reason: e.reason,
            approved_by: e.approved_by.map(|s| s.as_uuid()),
            created_at: e.created_at,
        }
    }
}

/// A wallet's balances, folded from its stream.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BalanceResponse {
    pub player_id: Uuid,
    pub currency: String,
    /// Withdrawable money, minor units.
    pub cash: i64,
    /// Bonus money, minor units (bets spend cash first).
    pub bonus: i64,
    pub total: i64,
    /// `seq` of the latest event (0 for a new wallet).
    pub seq: i64,
}

/// Balances of a wallet
#[api_v2_operation(tags(Wallet))]
pub async fn balance(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
) -> Result<web::Json<BalanceResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    user.require_self_or_staff(player)?;
    let head = app::wallet::head(&state, player)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no wallet for player {player}")))?;
    Ok(web::Json(BalanceResponse {
        player_id: player.as_uuid(),
        currency: head.currency.as_str().to_owned(),
        cash: head.balances.cash.minor_units(),
        bonus: head.balances.bonus.minor_units(),
        total: head.balances.shown_total(),
        seq: head.seq,
    }))
}

/// A posting to a wallet.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct TransactionRequest {
    /// Players may post `DEPOSIT` and `WITHDRAWAL`; operators any type.
    #[serde(rename = "type")]
    pub event_type: ApiEventType,
    /// Minor units, 1 to 10^12.
    #[openapi(example = "2500")]
    pub amount: i64,
    /// Makes the request safe to retry (or send the `Idempotency-Key` header).
    #[openapi(example = "dep-7f3a2c")]
    pub idempotency_key: Option<String>,
    /// External reference (payment reference, round id). For `ROLLBACK`: the id of the
    /// `BET` event to compensate.
    pub reference: Option<String>,
    /// Why a staff member posts this by hand: required for staff (1–500 characters),
    /// refused for players.
    #[openapi(example = "goodwill credit for ticket 4711")]
    pub reason: Option<String>,
}

/// A deposit or withdrawal through the shortcut routes.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct MoveRequest {
    /// Minor units, 1 to 10^12.
    #[openapi(example = "2500")]
    pub amount: i64,
    /// Makes the request safe to retry (or send the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
    pub reference: Option<String>,
    /// Required for operators; players may omit it or give their own id.
    pub player_id: Option<Uuid>,
    /// Why a staff member posts this by hand: required for staff, refused for players.
    pub reason: Option<String>,
}

pub(crate) fn idempotency_key(req: &HttpRequest, body: Option<String>) -> Result<IdempotencyKey, ApiError> {
    let header = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned).map_err(|_| ApiError::validation("Idempotency-Key", "must be ASCII")))
        .transpose()?;
    let raw = match (body, header) {
        (Some(b), Some(h)) if b != h => {
            return Err(ApiError::validation("idempotency_key", "differs from the Idempotency-Key header"));
        }
        (Some(k), _) | (None, Some(k)) => k,
        (None, None) => {
            return Err(ApiError::validation("idempotency_key", "is required (body field or Idempotency-Key header)"));
        }
    };
    IdempotencyKey::parse(&raw).map_err(|e| ApiError::validation("idempotency_key", e.to_string()))
}

fn amount(raw: i64) -> Result<Amount, ApiError> {
    Amount::new(raw).map_err(|e| ApiError::validation("amount", e.to_string()))
}

fn reference(raw: Option<String>) -> Result<Option<Reference>, ApiError> {
    if raw.as_deref().is_some_and(|r| r.starts_with(ROUND_REFERENCE_PREFIX)) {
        return Err(ApiError::validation("reference", "the prefix `round:` is reserved for game rounds"));
    }
    raw.map(|r| Reference::parse(&r).map_err(|e| ApiError::validation("reference", e.to_string()))).transpose()
}

/// A staff member's posting names them and their reason; a player's carries neither.
fn attribute(user: &AuthUser, posting: Posting, reason: Option<String>) -> Result<Posting, ApiError> {
    match (user.is_staff(), reason) {
        (true, Some(raw)) => {
            let reason = Reason::parse(&raw).map_err(|e| ApiError::validation("reason", e.to_string()))?;
            Ok(posting.by_staff(user.id, reason))
        }
        (true, None) => Err(ApiError::validation("reason", "is required for a posting by staff")),
        (false, None) => Ok(posting),
        (false, Some(_)) => Err(ApiError::validation("reason", "only postings by staff carry a reason")),
    }
}

/// The answer to a posting: its event (`201`), or for a staff posting above the
/// approval threshold the queued posting (`202`): no money has moved yet.
pub enum PostingReply {
    Posted(Created<EventResponse>),
    Queued { posting: ManualPostingResponse, replayed: bool },
}

impl Responder for PostingReply {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        match self {
            PostingReply::Posted(created) => created.respond_to(req),
            PostingReply::Queued { posting, replayed } => HttpResponse::Accepted()
                .insert_header(("Idempotent-Replayed", if replayed { "true" } else { "false" }))
                .json(posting),
        }
    }
}

impl paperclip::v2::schema::Apiv2Schema for PostingReply {}

impl OperationModifier for PostingReply {
    fn update_response(op: &mut DefaultOperationRaw) {
        Created::<EventResponse>::update_response(op);
        AcceptedJson::<ManualPostingResponse>::update_response(op);
    }
    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        Created::<EventResponse>::update_definitions(map);
        AcceptedJson::<ManualPostingResponse>::update_definitions(map);
    }
}

/// Tells the live feed and the metrics about a new event and what it raised.
fn announce(state: &AppState, result: &MoneyResult) {
    let e = &result.outcome.event;
    state.metrics.wallet_events.with_label_values(&[e.event_type.as_str()]).inc();
    state.publish(
        Channel::WalletTransactions,
        "wallet.event_appended",
        serde_json::json!({"event_id": e.id, "player_id": e.player_id, "seq": e.seq, "type": e.event_type.as_str(),
                           "amount": e.amount, "currency": e.currency.as_str(), "posted_by": e.posted_by}),
    );
    state.publish_alerts(&result.aml_alerts, &result.harm_alerts);
}

async fn post(
    state: &AppState,
    user: &AuthUser,
    player: AccountId,
    posting: Posting,
    reason: Option<String>,
) -> Result<PostingReply, ApiError> {
    let posting = attribute(user, posting, reason)?;
    let posted = money::post(state, player, posting, state.entropy.new_id(), state.clock.now()).await?;
    match posted {
        Posted::Queued { posting, replayed } => Ok(PostingReply::Queued { posting: posting.into(), replayed }),
        Posted::Moved(result) => {
            if !result.outcome.replayed {
                announce(state, &result);
            }
            Ok(PostingReply::Posted(Created { body: result.outcome.event.into(), replayed: result.outcome.replayed }))
        }
    }
}

/// Post a wallet event
///
/// Players may post their own `DEPOSIT` and `WITHDRAWAL`; operators any other type for
/// any player but `BET` and `WIN`, which only admins post by hand. A staff posting needs
/// a `reason`, records `posted_by` and writes the audit entry `wallet.manual_posting`;
/// above the approval threshold (`ACMETOCASINO_MANUAL_POSTING_APPROVAL_ABOVE`, default
/// 1,000.00) it answers `202` with the queued posting instead, and no money moves until
/// a second admin approves it (`POST /wallet/manual-postings/{id}/approve`).
/// The same `idempotency_key` with the same request returns the original result
/// (`Idempotent-Replayed: true`); with a different request, `409`.
#[api_v2_operation(tags(Wallet))]
pub async fn transaction(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    player_id: web::Path<Uuid>,
    body: ApiJson<TransactionRequest>,
) -> Result<PostingReply, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    let b = body.0;
    let event_type = EventType::from(b.event_type);
    match user.role {
        Role::Player if user.id != player => {
            return Err(ApiError::Forbidden("players may only move their own wallet".into()));
        }
        Role::Player if !matches!(event_type, EventType::Deposit | EventType::Withdrawal) => {
            return Err(ApiError::Forbidden("players may only post DEPOSIT and WITHDRAWAL".into()));
        }
        Role::Compliance => {
            return Err(ApiError::Forbidden("compliance staff do not move money".into()));
        }
        Role::Operator if matches!(event_type, EventType::Bet | EventType::Win) => {
            return Err(ApiError::Forbidden("BET and WIN are posted by hand only by admins".into()));
        }
        _ => {}
    }
    let key = idempotency_key(&req, b.idempotency_key)?;
    let amount = amount(b.amount)?;
    let posting = if event_type == EventType::Rollback {
        let target =
            b.reference.as_deref().and_then(|r| Uuid::parse_str(r).ok()).ok_or_else(|| {
                ApiError::validation("reference", "a ROLLBACK must reference the id of the BET event")
            })?;
        Posting::rollback(target, amount, key, reference(b.reference)?)
    } else {
        Posting::new(event_type, amount, key, reference(b.reference)?)
    };
    post(&state, &user, player, posting, b.reason).await
}

/// Whose wallet a shortcut moves: the caller's own, or the named one for operators.
fn shortcut_target(user: &AuthUser, named: Option<Uuid>) -> Result<AccountId, ApiError> {
    match (user.role, named.map(AccountId::from_uuid)) {
        (Role::Player, None) => Ok(user.id),
        (Role::Player, Some(p)) if p == user.id => Ok(p),
        (Role::Player, Some(_)) => Err(ApiError::Forbidden("players may only move their own wallet".into())),
        (Role::Operator | Role::Admin, Some(p)) => Ok(p),
        (Role::Operator | Role::Admin, None) => Err(ApiError::validation("player_id", "is required for staff")),
        (Role::Compliance, _) => Err(ApiError::Forbidden("compliance staff do not move money".into())),
    }
}

async fn shortcut(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    b: MoveRequest,
    event_type: EventType,
) -> Result<PostingReply, ApiError> {
    let player = shortcut_target(user, b.player_id)?;
    let posting =
        Posting::new(event_type, amount(b.amount)?, idempotency_key(req, b.idempotency_key)?, reference(b.reference)?);
    post(state, user, player, posting, b.reason).await
}

/// Deposit
#[api_v2_operation(tags(Wallet))]
pub async fn deposit(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<MoveRequest>,
) -> Result<PostingReply, ApiError> {
    shortcut(&state, &user, &req, body.0, EventType::Deposit).await
}

/// Withdraw
///
/// Cash only: bonus money cannot be withdrawn.
#[api_v2_operation(tags(Wallet))]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<MoveRequest>,
) -> Result<PostingReply, ApiError> {
    shortcut(&state, &user, &req, body.0, EventType::Withdrawal).await
}

/// Paging and filters of a wallet's history.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct HistoryParams {
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// Only events with a smaller `seq` (for the next page, pass the last `seq` seen).
    pub before_seq: Option<i64>,
    /// Only events of this type.
    #[serde(rename = "type")]
    pub event_type: Option<ApiEventType>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HistoryResponse {
    pub player_id: Uuid,
    /// Newest first.
    pub events: Vec<EventResponse>,
    /// Pass as `before_seq` to get the next page; absent on the last page.
    pub next_before_seq: Option<i64>,
}

/// A wallet's history, newest first
#[api_v2_operation(tags(Wallet))]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    query: web::Query<HistoryParams>,
) -> Result<web::Json<HistoryResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    user.require_self_or_staff(player)?;
    let q = query.into_inner();
    let limit = super::bounded("limit", q.limit, 50, 1, 500)?;
    if app::wallet::head(&state, player).await?.is_none() {
        return Err(ApiError::NotFound(format!("no wallet for player {player}")));
    }
    let events = state
        .db
        .history(player, HistoryQuery { limit, before_seq: q.before_seq, event_type: q.event_type.map(Into::into) })
        .await?;
    let next_before_seq = events.last().filter(|e| events.len() as i64 == limit && e.seq > 1).map(|e| e.seq);
    Ok(web::Json(HistoryResponse {
        player_id: player.as_uuid(),
        events: events.into_iter().map(Into::into).collect(),
        next_before_seq,
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RecentParams {
    /// 1–500 (default 50).
    pub limit: Option<i64>,
}

/// Latest wallet events platform-wide (staff)
#[api_v2_operation(tags(Wallet))]
pub async fn recent(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RecentParams>,
) -> Result<web::Json<Vec<EventResponse>>, ApiError> {
    user.require_staff()?;
    let limit = super::bounded("limit", query.limit, 50, 1, 500)?;
    Ok(web::Json(app::wallet::recent(&state, limit).await?.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct EventSearchParams {
    pub player_id: Option<Uuid>,
    /// One type or several, comma-separated (`DEPOSIT,WITHDRAWAL`).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Exactly this reference (a payment reference, or `round:{id}`).
    pub reference: Option<String>,
    /// The events of this game round (its `BET`, any `WIN`, and `ROLLBACK`s).
    pub round_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    /// From this instant (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// `-created_at` (the default), `created_at`, `-amount` or `amount`.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Events to skip (default 0).
    pub offset: Option<i64>,
}

/// A page of wallet events.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct EventPage {
    pub items: Vec<EventResponse>,
    /// Events matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Search wallet events platform-wide (staff)
///
/// By player, type, reference, round and idempotency key, in a time range.
#[api_v2_operation(tags(Wallet))]
pub async fn search_events(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<EventSearchParams>,
) -> Result<web::Json<EventPage>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let types = q
        .event_type
        .iter()
        .flat_map(|t| t.split(','))
        .map(|t| {
            EventType::parse(t.trim()).ok_or_else(|| {
                ApiError::validation(
                    "type",
                    "must be DEPOSIT, WITHDRAWAL, BET, WIN, BONUS_CREDIT, BONUS_DEBIT or ROLLBACK (comma-separated)",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reference = match (q.reference.map(|r| free_text("reference", &r, 1..=200)).transpose()?, q.round_id) {
        (Some(_), Some(_)) => return Err(ApiError::validation("round_id", "give either reference or round_id")),
        (None, Some(round)) => Some(format!("{ROUND_REFERENCE_PREFIX}{round}")),
        (reference, None) => reference,
    };
    let (from, to) = super::time_range(q.from, q.to)?;
    let filter = EventFilter {
        player: q.player_id.map(AccountId::from_uuid),
        types,
        reference,
        idempotency_key: q.idempotency_key.map(|k| free_text("idempotency_key", &k, 1..=200)).transpose()?,
        from,
        to,
        order: super::one_of("sort", q.sort, EventOrder::ALL, EventOrder::as_str)?.unwrap_or_default(),
        limit: super::bounded("limit", q.limit, 50, 1, 200)?,
        offset: super::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    let (events, total) = app::wallet::search_events(&state, &filter).await?;
    Ok(web::Json(EventPage {
        items: events.into_iter().map(Into::into).collect(),
        total,
        limit: filter.limit,
        offset: filter.offset,
    }))
}

/// The result of replaying a wallet's stream against its projection.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct VerifyResponse {
    pub player_id: Uuid,
    pub events: i64,
    pub folded_cash: i64,
    pub folded_bonus: i64,
    pub projection_cash: i64,
    pub projection_bonus: i64,
    pub consistent: bool,
    /// What is wrong, when not consistent.
    pub problem: Option<String>,
}

/// Replay a wallet's stream and compare it with the projection (staff)
#[api_v2_operation(tags(Wallet))]
pub async fn verify(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
) -> Result<web::Json<VerifyResponse>, ApiError> {
    user.require_staff()?;
    let player = AccountId::from_uuid(player_id.into_inner());
    let (head, events) = app::wallet::snapshot(&state, player)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no wallet for player {player}")))?;
    let v = wallet_core::verify(&events, head.balances, head.seq);
    Ok(web::Json(VerifyResponse {
        player_id: player.as_uuid(),
        events: v.events,
        folded_cash: v.folded_cash,
        folded_bonus: v.folded_bonus,
        projection_cash: v.projection_cash,
        projection_bonus: v.projection_bonus,
        consistent: v.consistent,
        problem: v.problem,
    }))
}
