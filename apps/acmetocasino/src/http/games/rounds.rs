//! Game aggregation layer routes: rounds, their search, provably fair verification
//! and rollback.

use super::{known_game, searched_player};
use crate::app::play;
use crate::auth::AuthUser;
use crate::error::{ApiError, Refusal};
use crate::events::Channel;
use crate::extract::{OptionalJson, free_text};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use gal_core::{ClientSeed, ExactPayout, MICRO, RandomStream, Round, ServerSeed};
use gamectl_core::{BigWin, RoundFilter, RoundOrder};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct DrawResponse {
    pub n: u64,
    pub value: u64,
}

/// A round's provably fair audit record.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RngRecord {
    pub server_seed_hash: String,
    pub client_seed: String,
    pub nonce: u64,
    /// Every uniform draw the round made, in order: the game's, then (unbiased rounding
    /// of a payout that is not a whole number of minor units) one `uniform(1000000)`.
    pub draws: Vec<DrawResponse>,
    /// How the payout was rounded to a minor unit: `unbiased` (floor, plus one unit when
    /// the last draw is below the fraction in millionths) or `floor` (rounds played
    /// before unbiased rounding).
    pub payout_rounding: String,
    /// The server seed, once its pair has been rotated (revealed).
    pub server_seed: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RoundResponse {
    pub id: Uuid,
    pub session_id: Uuid,
    pub player_id: Uuid,
    pub game_slug: String,
    pub amount: i64,
    pub payout: i64,
    /// payout − amount.
    pub net: i64,
    /// True only when the payout exceeds the stake.
    pub won: bool,
    pub multiplier: f64,
    /// The RTP target in force when the round was played, percent.
    pub rtp: f64,
    pub params: Value,
    pub outcome: Value,
    /// `settled` or `rolled_back`.
    pub status: String,
    /// The multiplier or the payout reached the big-win threshold
    /// (`ACMETOCASINO_BIG_WIN_MULTIPLIER`, `ACMETOCASINO_BIG_WIN_AMOUNT`).
    pub big_win: bool,
    pub created_at: DateTime<Utc>,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub rng: RngRecord,
}

pub(crate) fn round_response(r: Round, big_win: BigWin) -> RoundResponse {
    let (net, won) = (r.net(), r.won());
    RoundResponse {
        big_win: big_win.flags(r.multiplier_micro, r.payout.minor_units()),
        id: r.id,
        session_id: r.session_id,
        player_id: r.player_id.as_uuid(),
        game_slug: r.game_slug,
        amount: r.amount.minor_units(),
        payout: r.payout.minor_units(),
        net,
        won,
        multiplier: r.multiplier_micro as f64 / MICRO as f64,
        rtp: r.rtp.percent(),
        params: r.params,
        outcome: r.outcome,
        status: if r.rolled_back { "rolled_back" } else { "settled" }.into(),
        created_at: r.created_at,
        rolled_back_at: r.rolled_back_at,
        rng: RngRecord {
            server_seed_hash: r.server_seed_hash,
            client_seed: r.client_seed,
            nonce: r.nonce,
            draws: r.draws.into_iter().map(|d| DrawResponse { n: d.n, value: d.value }).collect(),
            payout_rounding: r.rounding.as_str().into(),
            server_seed: r.server_seed,
        },
    }
}

async fn visible_round(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Round, ApiError> {
    let r = play::round(state, id).await?.ok_or_else(|| ApiError::NotFound("no such round".into()))?;
    user.require_self_or_staff(r.player_id)?;
    Ok(r)
}

/// A round with its RNG audit record (owner or staff)
#[api_v2_operation(tags(Games))]
pub async fn round(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundResponse>, ApiError> {
    Ok(web::Json(round_response(visible_round(&state, &user, id.into_inner()).await?, state.big_win)))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct LimitParams {
    /// 1–500 (default 50).
    pub limit: Option<i64>,
}

/// Latest rounds platform-wide (staff)
#[api_v2_operation(tags(Games))]
pub async fn recent_rounds(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<LimitParams>,
) -> Result<web::Json<Vec<RoundResponse>>, ApiError> {
    user.require_staff()?;
    let limit = crate::http::bounded("limit", query.limit, 50, 1, 500)?;
    Ok(web::Json(
        play::recent_rounds(&state, limit).await?.into_iter().map(|r| round_response(r, state.big_win)).collect(),
    ))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RoundSearchParams {
    /// Staff: any player (absent: every player). Players: only their own id (the default).
    pub player_id: Option<Uuid>,
    pub game_slug: Option<String>,
    /// `settled` or `rolled_back`.
    pub status: Option<String>,
    /// `true`: only big wins (see `big_win`).
    pub big_win: Option<bool>,
    /// From this instant (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// `-created_at` (the default), `created_at`, `-amount`, `amount`, `-payout`, `payout`,
    /// `-multiplier` or `multiplier`.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Rounds to skip (default 0).
    pub offset: Option<i64>,
}

/// A page of rounds.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RoundPage {
    pub items: Vec<RoundResponse>,
    /// Rounds matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// The big-win thresholds in force: this many times the stake…
    pub big_win_multiplier: u64,
    /// …or a payout of this many minor units.
    pub big_win_amount: i64,
}

/// Search rounds (staff: every player; a player: their own)
///
/// Filters combine; big wins are rounds whose multiplier or payout reaches the
/// configured thresholds.
#[api_v2_operation(tags(Games))]
pub async fn search_rounds(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RoundSearchParams>,
) -> Result<web::Json<RoundPage>, ApiError> {
    let q = query.into_inner();
    let (from, to) = crate::http::time_range(q.from, q.to)?;
    let filter = RoundFilter {
        player: searched_player(&user, q.player_id)?,
        game_slug: known_game(&state, q.game_slug)?,
        rolled_back: match q.status.as_deref() {
            None => None,
            Some("settled") => Some(false),
            Some("rolled_back") => Some(true),
            Some(_) => return Err(ApiError::validation("status", "must be settled or rolled_back")),
        },
        big_wins: q.big_win.unwrap_or(false).then_some(state.big_win),
        from,
        to,
        order: crate::http::one_of("sort", q.sort, RoundOrder::ALL, RoundOrder::as_str)?.unwrap_or_default(),
        limit: crate::http::bounded("limit", q.limit, 50, 1, 200)?,
        offset: crate::http::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    let (rounds, total) = play::search_rounds(&state, &filter).await?;
    Ok(web::Json(RoundPage {
        items: rounds.into_iter().map(|r| round_response(r, state.big_win)).collect(),
        total,
        limit: filter.limit,
        offset: filter.offset,
        big_win_multiplier: state.big_win.multiplier,
        big_win_amount: state.big_win.payout,
    }))
}

/// The result of recomputing a round from its seeds.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct VerifyRoundResponse {
    pub round_id: Uuid,
    /// Whether the server seed has been revealed (only then can anyone recompute it).
    pub revealed: bool,
    /// The revealed server seed matches the committed hash.
    pub seed_matches_hash: bool,
    /// The recomputed draws equal the recorded ones.
    pub draws_match: bool,
    /// The recomputed outcome, multiplier and payout equal the recorded ones.
    pub outcome_matches: bool,
    pub verified: bool,
    pub recomputed_outcome: Value,
    /// The payout recomputed from the draws by the round's rounding rule.
    pub recomputed_payout: i64,
    pub server_seed: Option<String>,
}

/// Recompute a round from its (revealed) seeds and compare (owner or staff)
///
/// Before the seed pair is rotated the server seed is secret: a player's own round
/// answers `422 rule_violation` (rotate first); staff can always verify.
#[api_v2_operation(tags(Games))]
pub async fn verify_round(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<VerifyRoundResponse>, ApiError> {
    let r = visible_round(&state, &user, id.into_inner()).await?;
    let revealed = r.server_seed.is_some();
    let seed_hex = match (&r.server_seed, user.is_staff()) {
        (Some(s), _) => s.clone(),
        (None, true) => {
            play::server_seed_of_round(&state, r.id).await?.ok_or_else(|| ApiError::NotFound("no such round".into()))?
        }
        (None, false) => {
            return Err(ApiError::refused(
                Refusal::RuleViolation,
                "the server seed is not revealed yet: rotate the seed pair (POST /gal/fairness/rotate) to verify",
            ));
        }
    };
    let seed = ServerSeed::from_hex(&seed_hex).ok_or_else(|| ApiError::Internal("stored server seed".into()))?;
    let client = ClientSeed::parse(&r.client_seed).map_err(|e| ApiError::Internal(e.to_string()))?;
    let game = state.catalogue.get(&r.game_slug).ok_or_else(|| ApiError::Internal("game left the catalogue".into()))?;
    let mut rng = RandomStream::new(&seed, &client, r.nonce);
    let outcome = game.play(r.rtp, &r.params, &mut rng).map_err(|e| ApiError::Internal(e.to_string()))?;
    let payout = ExactPayout::of(r.amount.minor_units(), outcome.multiplier_micro).settle(r.rounding, &mut rng);
    let seed_matches_hash = seed.hash() == r.server_seed_hash;
    let draws_match = rng.draws() == r.draws.as_slice();
    let outcome_matches = outcome.detail == r.outcome
        && outcome.multiplier_micro == r.multiplier_micro
        && payout == r.payout.minor_units();
    Ok(web::Json(VerifyRoundResponse {
        round_id: r.id,
        revealed,
        seed_matches_hash,
        draws_match,
        outcome_matches,
        verified: seed_matches_hash && draws_match && outcome_matches,
        recomputed_outcome: outcome.detail,
        recomputed_payout: payout,
        server_seed: r.server_seed,
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RollbackRequest {
    /// Why the round is cancelled (1–500 characters), kept in the audit entry.
    #[openapi(example = "game client crashed mid-round, ticket 5521")]
    pub reason: Option<String>,
}

/// Cancel a round (operator)
///
/// One `ROLLBACK` refunds the bet and, if the round paid, another reverses the win;
/// a second rollback is `409`. The body (`{reason}`) may be left out; the back office
/// always sends a reason, which the audit entry `round.rolled_back` records.
#[api_v2_operation(tags(Games))]
pub async fn rollback_round(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: OptionalJson<RollbackRequest>,
) -> Result<web::Json<RoundResponse>, ApiError> {
    user.require(&[Role::Operator, Role::Admin])?;
    let reason = body.0.and_then(|b| b.reason).map(|r| free_text("reason", &r, 1..=500)).transpose()?;
    let round = play::rollback_round(&state, id.into_inner(), user.id, reason).await?;
    tracing::info!(actor = %user.id, round_id = %round.id, "round rolled back");
    state.publish(
        Channel::GameRounds,
        "round.rolled_back",
        serde_json::json!({"round_id": round.id, "player_id": round.player_id, "by": user.id}),
    );
    Ok(web::Json(round_response(round, state.big_win)))
}
