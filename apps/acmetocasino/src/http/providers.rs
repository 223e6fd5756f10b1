//! Third-party providers: onboarding (admin), the registry (staff), reconciliation
//! (staff) and the seamless-wallet callbacks their game servers make in their own
//! protocols (Hub88, Pragmatic-style), answered with HTTP 200 and the protocol's status.

use crate::app;
use crate::app::providers::Onboarding;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kernel::{MAX_AMOUNT, Rtp};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use provider_core::{
    AmountRounding, AmountScale, Protocol, Provider, ProviderConfig, ProviderGame, ProviderRound, ProviderRoundFilter,
};
use reply::Created;
use serde::{Deserialize, Serialize};

use super::reply;

/// A provider's game as onboarding declares it.
#[derive(Debug, Clone, Deserialize, Serialize, Apiv2Schema)]
pub struct ProviderGameBody {
    /// The provider's game code (what its calls name as the game).
    #[openapi(example = "pp_sweet_bonanza")]
    pub code: String,
    /// The platform's slug: lower-case letters, digits and `-`, unique across all games.
    #[openapi(example = "sweet-bonanza")]
    pub slug: String,
    pub name: String,
    /// `slot`, `table`, `dice`, `lottery`, `arcade` or `crash` (stake caps go by kind).
    pub kind: String,
    /// The RTP the provider declares, percent (80.00–99.00); read-only afterwards.
    pub rtp: f64,
    /// Minor units, at least 1.
    pub min_bet: i64,
    /// Minor units, at least `min_bet`.
    pub max_bet: i64,
}

/// How a provider's behaviour departs from its protocol's defaults.
#[derive(Debug, Clone, Deserialize, Serialize, Apiv2Schema)]
pub struct ProviderConfigBody {
    /// Provider amount units in one minor unit (Hub88: 1000, decimal protocols: 1).
    pub units_per_minor: i64,
    /// `exact` (refuse finer amounts) or `down` (round toward zero).
    pub rounding: String,
    /// A win whose bet is unknown tells the provider to stop retrying.
    pub win_without_bet_is_final: bool,
    /// How long a launch token lets its player bet, seconds.
    pub token_ttl_seconds: i64,
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RegisterProviderRequest {
    #[openapi(example = "hub88-demo")]
    pub slug: String,
    pub name: String,
    /// `hub88` or `pragmatic`.
    pub protocol: String,
    /// Hub88: the provider's RSA public key (PEM), which its calls are signed with.
    pub public_key_pem: Option<String>,
    /// Pragmatic: the shared secret its calls' `hash` is keyed with.
    pub secret_key: Option<String>,
    pub games: Vec<ProviderGameBody>,
    /// Absent: the protocol's defaults.
    pub config: Option<ProviderConfigBody>,
}

/// A provider as staff see it (its secrets never leave the server).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ProviderResponse {
    pub slug: String,
    pub name: String,
    pub protocol: String,
    pub enabled: bool,
    pub games: Vec<ProviderGameBody>,
    pub config: ProviderConfigBody,
    /// Hub88: the public key our responses are signed with (`X-Hub88-Signature`).
    pub operator_public_key_pem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn to_response(p: Provider) -> ProviderResponse {
    ProviderResponse {
        slug: p.slug,
        name: p.name,
        protocol: p.protocol.as_str().into(),
        enabled: p.enabled,
        games: p
            .games
            .into_iter()
            .map(|g| ProviderGameBody {
                code: g.code,
                slug: g.slug,
                name: g.name,
                kind: g.kind,
                rtp: g.rtp.percent(),
                min_bet: g.min_bet,
                max_bet: g.max_bet,
            })
            .collect(),
        config: ProviderConfigBody {
            units_per_minor: p.config.scale.units_per_minor,
            rounding: match p.config.scale.rounding {
                AmountRounding::Exact => "exact",
                AmountRounding::Down => "down",
            }
            .into(),
            win_without_bet_is_final: p.config.win_without_bet_is_final,
            token_ttl_seconds: p.config.token_ttl_seconds,
        },
        operator_public_key_pem: p.operator_public_key_pem,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// A slug: 1 to 64 lower-case letters, digits and `-`.
fn slug_ok(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// Validates an onboarding request into what the application registers.
fn onboarding(body: RegisterProviderRequest) -> Result<Onboarding, ApiError> {
    if !slug_ok(&body.slug) {
        return Err(ApiError::validation("slug", "1 to 64 lower-case letters, digits and -"));
    }
    if !text_ok(&body.name, 100) {
        return Err(ApiError::validation("name", "1 to 100 characters"));
    }
    let protocol =
        Protocol::parse(&body.protocol).ok_or_else(|| ApiError::validation("protocol", "hub88 or pragmatic"))?;
    let provider_key = match protocol {
        Protocol::Hub88 => body
            .public_key_pem
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| ApiError::validation("public_key_pem", "a Hub88 provider needs its RSA public key (PEM)"))?,
        Protocol::Pragmatic => body
            .secret_key
            .filter(|k| (8..=256).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| ApiError::validation("secret_key", "8 to 256 printable ASCII characters"))?,
    };
    if body.games.len() > 1000 {
        return Err(ApiError::validation("games", "at most 1000 games"));
    }
    let mut games: Vec<ProviderGame> = Vec::with_capacity(body.games.len());
    for (i, g) in body.games.into_iter().enumerate() {
        let field = |name: &str| format!("games[{i}].{name}");
        if !text_ok(&g.code, 100) {
            return Err(ApiError::validation(&field("code"), "1 to 100 characters"));
        }
        if !slug_ok(&g.slug) {
            return Err(ApiError::validation(&field("slug"), "1 to 64 lower-case letters, digits and -"));
        }
        if games.iter().any(|o| o.slug == g.slug || o.code == g.code) {
            return Err(ApiError::validation(&field("slug"), "each game's slug and code must be unique"));
        }
        if !text_ok(&g.name, 100) {
            return Err(ApiError::validation(&field("name"), "1 to 100 characters"));
        }
        if !app::providers::known_kind(&g.kind) {
            return Err(ApiError::validation(&field("kind"), "one of slot, table, dice, lottery, arcade, crash"));
        }
        let rtp = Rtp::from_percent(g.rtp).map_err(|e| ApiError::validation(&field("rtp"), e.to_string()))?;
        if !(1..=MAX_AMOUNT).contains(&g.min_bet) {
            return Err(ApiError::validation(&field("min_bet"), "between 1 and 10^12 minor units"));
        }
        if !(g.min_bet..=MAX_AMOUNT).contains(&g.max_bet) {
            return Err(ApiError::validation(&field("max_bet"), "between min_bet and 10^12 minor units"));
        }
        games.push(ProviderGame {
            slug: g.slug,
            code: g.code,
            name: g.name,
            kind: g.kind,
            rtp,
            min_bet: g.min_bet,
            max_bet: g.max_bet,
        });
    }
    let config = body
        .config
        .map(|c| {
            let rounding = match c.rounding.as_str() {
                "exact" => AmountRounding::Exact,
                "down" => AmountRounding::Down,
                _ => return Err(ApiError::validation("config.rounding", "exact or down")),
            };
            if !(1..=1_000_000).contains(&c.units_per_minor) {
                return Err(ApiError::validation("config.units_per_minor", "between 1 and 1000000"));
            }
            if !(60..=86_400).contains(&c.token_ttl_seconds) {
                return Err(ApiError::validation("config.token_ttl_seconds", "between 60 and 86400"));
            }
            Ok(ProviderConfig {
                scale: AmountScale { units_per_minor: c.units_per_minor, rounding },
                win_without_bet_is_final: c.win_without_bet_is_final,
                token_ttl_seconds: c.token_ttl_seconds,
            })
        })
        .transpose()?;
    Ok(Onboarding { slug: body.slug, name: body.name, protocol, provider_key, games, config })
}

/// Onboard a provider (admin)
///
/// Its games join the catalogue (`GET /gal/games`) with the RTP it declares. A Hub88
/// provider gets `operator_public_key_pem`: the key our responses are signed with.
/// Audited (`provider.register`).
#[api_v2_operation(tags(Providers))]
pub async fn register(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<RegisterProviderRequest>,
) -> Result<Created<ProviderResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let onboarding = onboarding(body.0)?;
    let provider = app::providers::register(&state, user.id, onboarding).await?;
    Ok(Created { body: to_response(provider), replayed: false })
}

/// List providers (staff)
#[api_v2_operation(tags(Providers))]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<Vec<ProviderResponse>>, ApiError> {
    user.require_staff()?;
    let all = app::providers::directory(&state).await?;
    Ok(web::Json(all.iter().map(|e| to_response(e.provider.clone())).collect()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct UpdateProviderRequest {
    /// A disabled provider's calls are refused and its games cannot be launched.
    pub enabled: bool,
}

/// Enable or disable a provider (admin)
///
/// Audited (`provider.update`, with the old and new state).
#[api_v2_operation(tags(Providers))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: ApiJson<UpdateProviderRequest>,
) -> Result<web::Json<ProviderResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let slug = slug.into_inner();
    let provider = app::providers::set_enabled(&state, &slug, body.0.enabled, user.id).await?;
    let provider = provider.ok_or_else(|| ApiError::NotFound(format!("no provider {slug:?}")))?;
    Ok(web::Json(to_response(provider)))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ReconciliationParams {
    /// First day, `YYYY-MM-DD` (inclusive, UTC).
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD` (inclusive, UTC).
    pub to: NaiveDate,
    /// A round open with no call for this many minutes is stuck (default 60, 0–10080).
    pub stuck_after_minutes: Option<i64>,
}

/// One day of a provider's play as the wallet recorded it (minor units).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReconciliationDayResponse {
    pub day: NaiveDate,
    /// Bets that stand.
    pub bets: i64,
    pub bet_amount: i64,
    /// Bets a rollback refunded.
    pub rolled_back_bets: i64,
    pub rolled_back_amount: i64,
    /// Wins (zero wins, a lost round's close, included).
    pub wins: i64,
    pub win_amount: i64,
    /// Rollbacks accepted (each refunded its bet, or arrived before it).
    pub rollbacks: i64,
    /// Rollbacks that arrived before their bet (the bet is refused when it comes).
    pub tombstones: i64,
}

/// A round open with no call for longer than the threshold.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StuckRoundResponse {
    pub round: String,
    pub player_id: uuid::Uuid,
    pub game_slug: String,
    pub wagered: i64,
    pub won: i64,
    pub opened_at: DateTime<Utc>,
    pub last_call_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReconciliationResponse {
    pub provider: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<ReconciliationDayResponse>,
    pub stuck_after_minutes: i64,
    pub stuck_rounds: Vec<StuckRoundResponse>,
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ProviderRoundParams {
    /// Only this player's rounds.
    pub player_id: Option<uuid::Uuid>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Opened at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Opened before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Rounds to skip (default 0).
    pub offset: Option<i64>,
}

/// One player's round of a provider's game: the money its bets, wins and rollbacks
/// moved (minor units).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ProviderRoundResponse {
    /// The platform's id of the round.
    pub id: uuid::Uuid,
    pub provider: String,
    /// The provider's round id (a live table's is shared by its players).
    pub round: String,
    pub player_id: uuid::Uuid,
    pub game_slug: String,
    /// The game session the round was played in.
    pub session_id: uuid::Uuid,
    /// Staked, refunded bets included.
    pub wagered: i64,
    pub won: i64,
    /// Stakes refunded by rollbacks.
    pub refunded: i64,
    /// won − (wagered − refunded): the player's result.
    pub net: i64,
    /// `open` or `closed`.
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub last_call_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A page of a provider's rounds.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ProviderRoundPage {
    pub items: Vec<ProviderRoundResponse>,
    /// Rounds matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

fn round_response(provider: &str, r: ProviderRound) -> ProviderRoundResponse {
    ProviderRoundResponse {
        id: r.id,
        provider: provider.to_owned(),
        net: r.won.saturating_sub(r.wagered.saturating_sub(r.refunded)),
        round: r.round,
        player_id: r.player.as_uuid(),
        game_slug: r.game_slug,
        session_id: r.session_id,
        wagered: r.wagered,
        won: r.won,
        refunded: r.refunded,
        status: if r.open { "open" } else { "closed" }.into(),
        opened_at: r.opened_at,
        last_call_at: r.updated_at,
        closed_at: r.closed_at,
    }
}

/// A provider's rounds (staff)
///
/// Newest first; the filters combine. A round is one player's bets, wins and rollbacks
/// under the provider's round id; its money is also in the player's wallet history
/// (`BET`, `WIN` and `ROLLBACK` events with the reference `provider:{slug}:{round}`).
#[api_v2_operation(tags(Providers))]
pub async fn rounds(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    params: web::Query<ProviderRoundParams>,
) -> Result<web::Json<ProviderRoundPage>, ApiError> {
    user.require_staff()?;
    let slug = slug.into_inner();
    let p = params.into_inner();
    let (from, to) = super::time_range(p.from, p.to)?;
    let filter = ProviderRoundFilter {
        player: p.player_id.map(kernel::AccountId::from_uuid),
        open: match p.status.as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(ApiError::validation("status", "must be open or closed")),
        },
        from,
        to,
        limit: super::bounded("limit", p.limit, 50, 1, 200)?,
        offset: super::bounded("offset", p.offset, 0, 0, i64::MAX)?,
    };
    let (rounds, total) = app::providers::rounds(&state, &slug, &filter)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no provider {slug:?}")))?;
    Ok(web::Json(ProviderRoundPage {
        items: rounds.into_iter().map(|r| round_response(&slug, r)).collect(),
        total,
        limit: filter.limit,
        offset: filter.offset,
    }))
}

/// A provider's reconciliation (staff)
///
/// Per day, the counts and sums of its bets, wins and rollbacks, to hold against the
/// provider's own ledger; and its rounds still open after `stuck_after_minutes`.
#[api_v2_operation(tags(Providers))]
pub async fn reconciliation(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    params: web::Query<ReconciliationParams>,
) -> Result<web::Json<ReconciliationResponse>, ApiError> {
    user.require_staff()?;
    let slug = slug.into_inner();
    let p = params.into_inner();
    if p.to < p.from {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    if (p.to - p.from).num_days() > 366 {
        return Err(ApiError::validation("to", "at most 366 days after from"));
    }
    let stuck_after = super::bounded("stuck_after_minutes", p.stuck_after_minutes, 60, 0, 10_080)?;
    if app::providers::provider(&state, &slug).await?.is_none() {
        return Err(ApiError::NotFound(format!("no provider {slug:?}")));
    }
    let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let (days, stuck) = app::providers::reconciliation(
        &state,
        &slug,
        start(p.from),
        start(p.to) + Duration::days(1),
        Duration::minutes(stuck_after),
    )
    .await?;
    Ok(web::Json(ReconciliationResponse {
        provider: slug,
        from: p.from,
        to: p.to,
        days: days
            .into_iter()
            .map(|d| ReconciliationDayResponse {
                day: d.day,
                bets: d.bets,
                bet_amount: d.bet_amount,
                rolled_back_bets: d.rolled_back_bets,
                rolled_back_amount: d.rolled_back_amount,
                wins: d.wins,
                win_amount: d.win_amount,
                rollbacks: d.rollbacks,
                tombstones: d.tombstones,
            })
            .collect(),
        stuck_after_minutes: stuck_after,
        stuck_rounds: stuck
            .into_iter()
            .map(|r| StuckRoundResponse {
                round: r.round,
                player_id: r.player.as_uuid(),
                game_slug: r.game_slug,
                wagered: r.wagered,
                won: r.won,
                opened_at: r.opened_at,
                last_call_at: r.updated_at,
            })
            .collect(),
    }))
}

/// A provider's wallet callback (the provider's game server)
///
/// Hub88 protocol: `user/info`, `user/balance`, `transaction/bet`, `transaction/win`,
/// `transaction/rollback` (JSON, signed with `X-Hub88-Signature`: base64 RSA-SHA256 over
/// the raw body; answers signed the same way with the operator key). Pragmatic-style:
/// `authenticate.html`, `balance.html`, `bet.html`, `result.html`, `refund.html`,
/// `bonusWin.html`, `jackpotWin.html`, `endRound.html` (form-encoded, `hash` = MD5 of
/// the sorted parameters followed by the secret). Always HTTP 200 with the protocol's
/// status in the body (see docs/providers.md); `404` only for an unknown provider.
#[api_v2_operation(tags(Providers))]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
    // The protocol's own path below the provider (`transaction/bet`, `bet.html`).
    let prefix = format!("/providers/{slug}/");
    let endpoint = req.path().split_once(&prefix).map(|(_, e)| e.to_owned()).unwrap_or_default();
    let entry = app::providers::provider(&state, &slug).await?;
    let header = entry.as_ref().and_then(|e| e.adapter.signature_header());
    let signature = header.and_then(|h| req.headers().get(h)).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = app::providers::callback(&state, &slug, &endpoint, signature.as_deref(), &body).await?;
    let response = response.ok_or_else(|| ApiError::NotFound(format!("no provider {slug:?}")))?;
    let mut out = HttpResponse::Ok();
    out.content_type(response.content_type);
    for (name, value) in response.headers {
        out.insert_header((name, value));
    }
    Ok(out.body(response.body))
}
