//! Game aggregation layer routes: the catalogue, launching, bets and sessions; rounds
//! are in [`rounds`], the player's seed pair in [`fairness`].

mod fairness;
mod rounds;

pub use fairness::{fairness, rotate_seed, set_client_seed};
pub use rounds::{recent_rounds, rollback_round, round, search_rounds, verify_round};

use super::wallet::idempotency_key;
use crate::app;
use crate::app::play::{self, BetResult, RoundFailure};
use crate::auth::{AuthUser, MaybeUser};
use crate::error::ApiError;
use crate::events::Channel;
use crate::extract::ApiJson;
use crate::state::AppState;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use gal_core::{MICRO, Session, SessionTarget};
use gamectl_core::{SessionFilter, SessionOrder};
use kernel::{AccountId, Amount, Clock, Entropy};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, CreatedJson, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use wallet_core::IdempotencyKey;

/// A game of the catalogue.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct GameResponse {
    pub slug: String,
    pub name: String,
    pub provider: String,
    /// A third-party provider's game: `POST /gal/launch` gives its `launch_token`, and the
    /// provider's game server plays it through the seamless wallet (not `/gal/play`).
    pub third_party: bool,
    /// `dice`, `table`, `slot`, `lottery`, `arcade` or `crash`.
    pub kind: String,
    /// The smallest stake, minor units: the operator's limit, else the catalogue's.
    pub min_bet: i64,
    /// The largest stake for the caller, minor units: the game's limit, or less where
    /// the caller's jurisdiction caps the game for their age today (an authenticated
    /// player sees their own; `max_bet_rule` then names the rule).
    pub max_bet: i64,
    /// The jurisdiction's rule that sets `max_bet` for this player, when one does.
    pub max_bet_rule: Option<String>,
    /// The configured RTP target, percent (a provider's game: the RTP it declared,
    /// read-only).
    pub rtp: f64,
    /// The exact theoretical RTP of `default_params` at that target, percent.
    pub rtp_theoretical: f64,
    /// `low`, `medium` or `high`; `unknown` for a third-party provider's game.
    pub volatility: String,
    /// The bet parameters, in words.
    pub params_help: String,
    /// Typical bet parameters.
    pub default_params: Value,
    /// The bet parameters offered at the current target, machine-readable. Ranges can
    /// narrow with the target: a bet whose best outcome would return less than the
    /// stake is not offered (dice: no win chance above the target).
    pub accepted_params: Value,
}

fn name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The game catalogue
///
/// Anyone may read it. With a player's access token, `max_bet` is that player's own:
/// the game's limit, or the cap their jurisdiction puts on the game for their age
/// today (GB slots: 2.00 per game cycle at 18–24, 5.00 from 25).
#[api_v2_operation(tags(Games))]
pub async fn games(state: web::Data<AppState>, caller: MaybeUser) -> Result<web::Json<Vec<GameResponse>>, ApiError> {
    let settings = state.rtp_settings().await?;
    let limits = play::game_limits(&state).await?;
    let player = match caller.0 {
        Some(user) if user.role == Role::Player => play::player(&state, user.id).await?,
        _ => None,
    };
    let bettor = player.as_ref().map(|p| crate::stakes::Bettor {
        country: p.profile.country.as_str(),
        date_of_birth: p.profile.date_of_birth.date(),
    });
    let today = state.clock.now().date_naive();
    let mut out = Vec::new();
    for g in state.catalogue.iter() {
        let info = g.info();
        let Some(setting) = settings.iter().find(|s| s.slug == info.slug) else { continue };
        let theory = g.theory(setting.target, &g.default_params()).map_err(|e| ApiError::Internal(e.to_string()))?;
        let stored = limits.iter().find(|l| l.slug == info.slug).map(|l| l.limits);
        let rules = crate::stakes::rules(&info, stored, &state.policy.profiles, bettor, today);
        let (max_bet, max_bet_rule) = rules.max_stake();
        out.push(GameResponse {
            slug: info.slug.into(),
            name: info.name.into(),
            provider: info.provider.into(),
            third_party: false,
            kind: info.kind.as_str().into(),
            min_bet: rules.min_bet,
            max_bet,
            max_bet_rule: max_bet_rule.map(str::to_owned),
            rtp: setting.target.percent(),
            rtp_theoretical: theory.rtp * 100.0,
            volatility: name(info.volatility),
            params_help: info.params_help.into(),
            default_params: g.default_params(),
            accepted_params: g.accepted_params(setting.target),
        });
    }
    for entry in app::providers::directory(&state).await?.iter().filter(|e| e.provider.enabled) {
        for g in &entry.provider.games {
            let cap = crate::stakes::cap(&state.policy.profiles, &g.kind, &g.slug, bettor, today);
            let rules = gal_core::StakeRules { min_bet: g.min_bet, max_bet: g.max_bet, cap };
            let (max_bet, max_bet_rule) = rules.max_stake();
            out.push(GameResponse {
                slug: g.slug.clone(),
                name: g.name.clone(),
                provider: entry.provider.name.clone(),
                third_party: true,
                kind: g.kind.clone(),
                min_bet: g.min_bet,
                max_bet,
                max_bet_rule: max_bet_rule.map(str::to_owned),
                rtp: g.rtp.percent(),
                rtp_theoretical: g.rtp.percent(),
                volatility: "unknown".into(),
                params_help: format!(
                    "played on {}'s game server (POST /gal/launch for a launch token)",
                    entry.provider.name
                ),
                default_params: Value::Null,
                accepted_params: Value::Null,
            });
        }
    }
    Ok(web::Json(out))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct LaunchRequest {
    #[openapi(example = "dice")]
    pub game_slug: String,
}

/// A new game session: for an in-house game, the seed pair its rounds will use; for a
/// third-party provider's game, the launch token its game server sends back.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct LaunchResponse {
    pub session_id: Uuid,
    pub game_slug: String,
    /// Who runs the game (`AcmeToCasino` for in-house games).
    pub provider: String,
    /// `hex(SHA-256(server_seed))`, committed before any round (in-house games).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_seed_hash: Option<String>,
    /// The commitment to the next pair's server seed (see `GET /gal/fairness`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_server_seed_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_seed: Option<String>,
    /// The nonce of the next round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
    /// A provider's game: what its game server sends back as `token` (single player,
    /// single game; bets need it unexpired, wins and rollbacks do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_token: Option<String>,
    /// When `launch_token` stops taking bets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_token_expires_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
}

/// Launch a game
///
/// An in-house game opens a session with the player's seed pair; a third-party
/// provider's game also issues the `launch_token` its game server authenticates with.
#[api_v2_operation(tags(Games))]
pub async fn launch(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<LaunchRequest>,
) -> Result<CreatedJson<LaunchResponse>, ApiError> {
    user.require(&[Role::Player])?;
    let slug = body.0.game_slug;
    if let Some((entry, game)) = app::providers::game(&state, &slug).await? {
        let launch = app::providers::launch(&state, user.id, &entry, &game).await?;
        return Ok(CreatedJson(LaunchResponse {
            session_id: launch.session.id,
            game_slug: launch.session.game_slug,
            provider: launch.provider,
            server_seed_hash: None,
            next_server_seed_hash: None,
            client_seed: None,
            nonce: None,
            launch_token: Some(launch.launch_token),
            launch_token_expires_at: Some(launch.expires_at),
            started_at: launch.session.started_at,
        }));
    }
    let Some(game) = state.catalogue.get(&slug) else {
        return Err(ApiError::NotFound(format!("no game {slug:?}")));
    };
    let (session, pair) = play::launch(&state, user.id, &slug).await?;
    Ok(CreatedJson(LaunchResponse {
        session_id: session.id,
        game_slug: session.game_slug,
        provider: game.info().provider.into(),
        server_seed_hash: Some(pair.server_seed_hash),
        next_server_seed_hash: Some(pair.next_server_seed_hash.unwrap_or_default()),
        client_seed: Some(pair.client_seed),
        nonce: Some(pair.nonce),
        launch_token: None,
        launch_token_expires_at: None,
        started_at: session.started_at,
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct BetBody {
    pub session_id: Uuid,
    /// Minor units, within the game's `min_bet`..`max_bet`.
    pub amount: i64,
    /// The game's bet parameters (see `/gal/games`).
    pub params: Option<Value>,
    /// Makes the bet safe to retry (or send the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct PlayBody {
    #[openapi(example = "coin-flip")]
    pub game_slug: String,
    /// Minor units, within the game's `min_bet`..`max_bet`.
    pub amount: i64,
    pub params: Option<Value>,
    /// Makes the bet safe to retry (or send the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RngCommitment {
    pub server_seed_hash: String,
    pub client_seed: String,
    pub nonce: u64,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BalanceAfter {
    pub cash: i64,
    pub bonus: i64,
    pub total: i64,
}

/// The result of a round.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct BetResponse {
    pub round_id: Uuid,
    pub session_id: Uuid,
    pub game_slug: String,
    pub amount: i64,
    /// What happened, in the game's terms.
    pub outcome: Value,
    /// Minor units credited (0 for a loss).
    pub payout: i64,
    /// payout − amount: what the round made or cost the player.
    pub net: i64,
    /// True only when the payout exceeds the stake: a return of the stake or less is
    /// not a win.
    pub won: bool,
    /// The return multiple: payout = amount × multiplier, rounded to a minor unit
    /// without bias (one more unit with the probability of the fraction; see
    /// `rng.payout_rounding` in the round record).
    pub multiplier: f64,
    pub balance: BalanceAfter,
    pub rng: RngCommitment,
    /// True when this answers a retried request with the original round.
    pub replayed: bool,
    /// Present when a reality check is due: how long and how much the player has played.
    pub reality_check: Option<RealityCheckResponse>,
}

/// A reality check: the current session so far.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RealityCheckResponse {
    pub session_minutes: i64,
    pub wagered: i64,
    pub won: i64,
    /// won − wagered.
    pub net_position: i64,
}

fn bet_response(r: BetResult) -> BetResponse {
    let round = r.round;
    let (net, won) = (round.net(), round.won());
    BetResponse {
        round_id: round.id,
        session_id: round.session_id,
        game_slug: round.game_slug,
        amount: round.amount.minor_units(),
        outcome: round.outcome,
        payout: round.payout.minor_units(),
        net,
        won,
        multiplier: round.multiplier_micro as f64 / MICRO as f64,
        balance: BalanceAfter {
            cash: r.balances.cash.minor_units(),
            bonus: r.balances.bonus.minor_units(),
            total: r.balances.shown_total(),
        },
        rng: RngCommitment {
            server_seed_hash: round.server_seed_hash,
            client_seed: round.client_seed,
            nonce: round.nonce,
        },
        replayed: r.replayed,
        reality_check: r.reality_check.map(|c| RealityCheckResponse {
            session_minutes: c.session_minutes,
            wagered: c.wagered,
            won: c.won,
            net_position: c.net_position,
        }),
    }
}

async fn place(
    state: &AppState,
    user: &AuthUser,
    session: SessionTarget,
    amount: i64,
    params: Option<Value>,
    key: IdempotencyKey,
) -> Result<web::Json<BetResponse>, ApiError> {
    user.require(&[Role::Player])?;
    // Before anything is read or written: a refused bet costs nothing.
    state.bet_rate.admit(user.id).map_err(|retry_after_secs| ApiError::RateLimited {
        retry_after_secs,
        detail: format!("too many bets; retry in {retry_after_secs} s"),
    })?;
    let amount = Amount::new(amount).map_err(|e| ApiError::validation("amount", e.to_string()))?;
    let params = params.unwrap_or_else(|| Value::Object(Default::default()));
    // Parameters are checked before anything is written (the game is known here for
    // /gal/play; for /gal/bet the session's game checks them again in the round).
    if let SessionTarget::LaunchOrReuse { game_slug, .. } = &session {
        let game =
            state.catalogue.get(game_slug).ok_or_else(|| ApiError::NotFound(format!("no game {game_slug:?}")))?;
        game.validate(&params).map_err(|p| ApiError::from(RoundFailure::Params(p)))?;
    }
    let result = play::place_bet(state, user.id, session, amount, params, key).await?;
    if !result.replayed {
        state.metrics.rounds.with_label_values(&[result.round.game_slug.as_str()]).inc();
        state.metrics.rounds_per_commit.observe(result.committed_with as f64);
        let r = &result.round;
        state.publish(
            Channel::GameRounds,
            "round.settled",
            serde_json::json!({"round_id": r.id, "player_id": r.player_id, "game_slug": r.game_slug,
                               "amount": r.amount, "payout": r.payout}),
        );
        state.publish_alerts(&result.aml_alerts, &result.harm_alerts);
    }
    Ok(web::Json(bet_response(result)))
}

/// Place a bet in a session
///
/// The `BET`, the draw, the `WIN` and the round record commit together or not at all.
#[api_v2_operation(tags(Games))]
pub async fn bet(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<BetBody>,
) -> Result<web::Json<BetResponse>, ApiError> {
    let b = body.0;
    let key = idempotency_key(&req, b.idempotency_key)?;
    place(&state, &user, SessionTarget::Existing(b.session_id), b.amount, b.params, key).await
}

/// Launch (or reuse the open session) and bet in one call
#[api_v2_operation(tags(Games))]
pub async fn play(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<PlayBody>,
) -> Result<web::Json<BetResponse>, ApiError> {
    let b = body.0;
    let key = idempotency_key(&req, b.idempotency_key)?;
    let target = SessionTarget::LaunchOrReuse { game_slug: b.game_slug, new_session_id: state.entropy.new_id() };
    place(&state, &user, target, b.amount, b.params, key).await
}

/// A session with its totals.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SessionResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    pub game_slug: String,
    /// `open` or `closed`.
    pub status: String,
    pub rounds: i64,
    pub wagered: i64,
    pub won: i64,
    /// won − wagered, from the player's side.
    pub net: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<Session> for SessionResponse {
    fn from(s: Session) -> Self {
        SessionResponse {
            id: s.id,
            player_id: s.player_id.as_uuid(),
            game_slug: s.game_slug,
            status: if s.open { "open" } else { "closed" }.into(),
            rounds: s.rounds,
            wagered: s.wagered.minor_units(),
            won: s.won.minor_units(),
            net: s.won.minor_units() - s.wagered.minor_units(),
            started_at: s.started_at,
            ended_at: s.ended_at,
        }
    }
}

async fn owned_session(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Session, ApiError> {
    let s = play::session(state, id).await?.ok_or_else(|| ApiError::NotFound("no such session".into()))?;
    user.require_self_or_staff(s.player_id)?;
    Ok(s)
}

/// A session (owner or staff)
#[api_v2_operation(tags(Games))]
pub async fn session(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionResponse>, ApiError> {
    Ok(web::Json(owned_session(&state, &user, id.into_inner()).await?.into()))
}

/// End a session (owner or staff)
#[api_v2_operation(tags(Games))]
pub async fn end_session(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionResponse>, ApiError> {
    let id = id.into_inner();
    owned_session(&state, &user, id).await?;
    let s = play::end_session(&state, id).await?.ok_or_else(|| ApiError::NotFound("no such session".into()))?;
    Ok(web::Json(s.into()))
}

/// Whose rounds or sessions a search covers: staff name anyone (or no one: everyone);
/// a player only themself.
pub(super) fn searched_player(user: &AuthUser, named: Option<Uuid>) -> Result<Option<AccountId>, ApiError> {
    let named = named.map(AccountId::from_uuid);
    match named {
        _ if user.is_staff() => Ok(named),
        None => Ok(Some(user.id)),
        Some(p) if p == user.id => Ok(Some(p)),
        Some(_) => Err(ApiError::Forbidden("players may only search their own rounds and sessions".into())),
    }
}

/// A known game's slug, when one is named.
pub(super) fn known_game(state: &AppState, slug: Option<String>) -> Result<Option<String>, ApiError> {
    match slug {
        Some(s) if state.catalogue.get(&s).is_none() => {
            Err(ApiError::validation("game_slug", format!("no game {s:?}")))
        }
        other => Ok(other),
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct SessionSearchParams {
    /// Staff: any player (absent: every player). Players: only their own id (the default).
    pub player_id: Option<Uuid>,
    pub game_slug: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// `-started_at` (the default), `started_at`, `-wagered`, `-rounds`, `-net` or `net`.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Sessions to skip (default 0).
    pub offset: Option<i64>,
}

/// The totals of every session matching a search.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SessionTotalsResponse {
    pub sessions: i64,
    pub rounds: i64,
    /// Minor units, summed over the sessions' wallets (mixed currencies add up as numbers).
    pub wagered: i64,
    pub won: i64,
    /// won − wagered, from the players' side.
    pub net: i64,
}

/// A page of sessions with the totals of all matching ones.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SessionPage {
    pub items: Vec<SessionResponse>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub totals: SessionTotalsResponse,
}

/// Search game sessions (staff: every player; a player: their own)
#[api_v2_operation(tags(Games))]
pub async fn search_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SessionSearchParams>,
) -> Result<web::Json<SessionPage>, ApiError> {
    let q = query.into_inner();
    let filter = SessionFilter {
        player: searched_player(&user, q.player_id)?,
        game_slug: known_game(&state, q.game_slug)?,
        open: match q.status.as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(ApiError::validation("status", "must be open or closed")),
        },
        order: super::one_of("sort", q.sort, SessionOrder::ALL, SessionOrder::as_str)?.unwrap_or_default(),
        limit: super::bounded("limit", q.limit, 50, 1, 200)?,
        offset: super::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    let (sessions, t) = play::search_sessions(&state, &filter).await?;
    let net =
        kernel::checked_sum([t.won, -t.wagered]).ok_or_else(|| ApiError::Internal("session totals overflow".into()))?;
    Ok(web::Json(SessionPage {
        items: sessions.into_iter().map(Into::into).collect(),
        total: t.sessions,
        limit: filter.limit,
        offset: filter.offset,
        totals: SessionTotalsResponse { sessions: t.sessions, rounds: t.rounds, wagered: t.wagered, won: t.won, net },
    }))
}
