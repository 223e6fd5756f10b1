//! Playing: the use cases of the game routes (place a bet, roll a round back, launch a
//! game, sessions, rounds, seed pairs) and the pure decisions a round's transaction
//! takes between the adapter's loads and its writes.
//!
//! A round is load → decide → write. The adapter locks the wallet and loads one snapshot
//! behind the transaction's `BEGIN` ([`RoundSnapshot`]); [`decide`] settles it on plain
//! values: the session and its idle gap, the stake, the RTP, the seed pair, the draw by
//! gal-core's [`settle`], the `BET` and the `WIN` by wallet-core's
//! [`wallet_core::decide`]. The adapter screens the bet (AML, markers of harm),
//! [`reality_check`] decides whether one is due, and the adapter writes the decision in
//! one pipeline with the `COMMIT`.

pub use crate::db::round_rules::{BetRequest, BetResult, RoundFailure};

use crate::db::DbError;
use crate::db::compliance::{Policy, SESSION_IDLE_GAP};
use crate::db::round_rules::{RoundDecision, RoundRules, RoundSnapshot, SessionChoice, SessionSnapshot};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use gal_core::settle::{Seeds, SettleError, settle};
use gal_core::{
    Catalogue, ClientSeed, NewSeedPair, Rotation, Round, RoundRepository, Rtp, SeedPair, SeedPairView, ServerSeed,
    Session, SessionTarget, StoreError,
};
use gamectl_core::{GameControlRepository, LimitsSetting, RoundFilter, SessionFilter, SessionTotals};
use kernel::{AccountId, Amount, Clock, Entropy, Money};
use rg_core::{RealityCheck, RgSettings};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;
use wallet_core::{EventType, IdempotencyKey, PostError, Posting, Reference, WalletEvent, WalletHead};

/// The rules a round's transaction applies: the catalogue, the policy, and the target
/// of a game nobody has configured.
pub struct PlayRules {
    pub catalogue: Arc<Catalogue>,
    pub policy: Arc<Policy>,
    pub default_rtp: Rtp,
}

impl RoundRules for PlayRules {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    fn replay(&self, req: &BetRequest, stored_fingerprint: &str) -> Result<(), RoundFailure> {
        replay(req, stored_fingerprint)
    }

    fn decide(&self, snapshot: &RoundSnapshot, req: &BetRequest) -> Result<RoundDecision, RoundFailure> {
        decide(&self.catalogue, &self.policy, self.default_rtp, snapshot, req)
    }

    fn rollback(&self, round: &Round, event_ids: (Uuid, Uuid)) -> Result<Vec<(Posting, Uuid)>, RoundFailure> {
        rollback(round, event_ids)
    }

    fn reality_check(
        &self,
        rg: RgSettings,
        forced: bool,
        decision: &RoundDecision,
        at: DateTime<Utc>,
    ) -> Option<(RealityCheck, RgSettings)> {
        reality_check(rg, forced, decision, at)
    }
}

/// A new pair, in case the player has none: every seed in it fresh from the OS.
fn fresh_pair(state: &AppState) -> NewSeedPair {
    let client = hex::encode(&state.entropy.bytes32()[..8]);
    NewSeedPair {
        id: state.entropy.new_id(),
        server_seed: ServerSeed::from_bytes(state.entropy.bytes32()),
        next_server_seed: ServerSeed::from_bytes(state.entropy.bytes32()),
        client_seed: ClientSeed::parse(&client).unwrap_or_else(|_| unreachable!("16 hex digits are a client seed")),
    }
}

/// Plays a round (`/gal/bet`, `/gal/play`) for `player` in `session`: the ids it needs
/// and its instant are taken here, the rest is decided in its transaction.
pub async fn place_bet(
    state: &AppState,
    player: AccountId,
    session: SessionTarget,
    amount: Amount,
    params: serde_json::Value,
    idempotency_key: IdempotencyKey,
) -> Result<BetResult, RoundFailure> {
    let req = BetRequest {
        player,
        session,
        amount,
        params,
        idempotency_key,
        round_id: state.entropy.new_id(),
        bet_event_id: state.entropy.new_id(),
        win_event_id: state.entropy.new_id(),
        first_seed_pair: fresh_pair(state),
        at: state.clock.now(),
    };
    state.db.bet(Arc::new(rules(state)), req).await
}

/// The rules of this server's rounds.
fn rules(state: &AppState) -> PlayRules {
    PlayRules {
        catalogue: state.catalogue.clone(),
        policy: state.policy.clone(),
        default_rtp: gamectl_core::default_target(),
    }
}

/// Cancels a settled round for `actor`, with their `reason` in the audit entry.
pub async fn rollback_round(
    state: &AppState,
    id: Uuid,
    actor: AccountId,
    reason: Option<String>,
) -> Result<Round, RoundFailure> {
    let ids = (state.entropy.new_id(), state.entropy.new_id());
    state.db.rollback_round(&rules(state), id, actor, reason, ids, state.clock.now()).await
}

/// Opens a session of `slug` for `player` (creating their seed pair if needed).
pub async fn launch(state: &AppState, player: AccountId, slug: &str) -> Result<(Session, SeedPairView), RoundFailure> {
    state.db.launch(player, slug, state.entropy.new_id(), fresh_pair(state), state.clock.now()).await
}

/// The player's seed pair (created on first sight).
pub async fn seed_pair(state: &AppState, player: AccountId) -> Result<SeedPairView, StoreError> {
    state.db.seed_pair(player, fresh_pair(state), state.clock.now()).await
}

/// Reveals the player's pair and starts its successor, with `client_seed` if chosen.
pub async fn rotate_seed_pair(
    state: &AppState,
    player: AccountId,
    client_seed: Option<ClientSeed>,
) -> Result<(SeedPairView, SeedPairView), StoreError> {
    let rotation = Rotation {
        id: state.entropy.new_id(),
        next_server_seed: ServerSeed::from_bytes(state.entropy.bytes32()),
        client_seed,
    };
    state.db.rotate_seed_pair(player, fresh_pair(state), rotation, state.clock.now()).await
}

pub async fn session(state: &AppState, id: Uuid) -> Result<Option<Session>, StoreError> {
    state.db.session(id).await
}

pub async fn end_session(state: &AppState, id: Uuid) -> Result<Option<Session>, StoreError> {
    state.db.end_session(id, state.clock.now()).await
}

pub async fn round(state: &AppState, id: Uuid) -> Result<Option<Round>, StoreError> {
    state.db.round(id).await
}

/// The (possibly still secret) server seed a round used; for staff verification.
pub async fn server_seed_of_round(state: &AppState, id: Uuid) -> Result<Option<String>, DbError> {
    state.db.server_seed_of_round(id).await
}

pub async fn recent_rounds(state: &AppState, limit: i64) -> Result<Vec<Round>, DbError> {
    state.db.recent_rounds(limit).await
}

pub async fn search_rounds(state: &AppState, filter: &RoundFilter) -> Result<(Vec<Round>, i64), DbError> {
    state.db.search_rounds(filter).await
}

pub async fn search_sessions(
    state: &AppState,
    filter: &SessionFilter,
) -> Result<(Vec<Session>, SessionTotals), DbError> {
    state.db.search_sessions(filter).await
}

/// The operator's stored bet limits (the lobby shows each game's).
pub async fn game_limits(state: &AppState) -> Result<Vec<LimitsSetting>, StoreError> {
    state.db.stored_limits().await
}

/// A player's account, for the stake caps of their jurisdiction and age.
pub async fn player(state: &AppState, id: AccountId) -> Result<Option<pam_core::Player>, StoreError> {
    pam_core::port::AccountRepository::player(&state.db, id).await
}

/// What makes two bet requests "the same request" for idempotency.
pub fn fingerprint(req: &BetRequest) -> String {
    let mut h = Sha256::new();
    match &req.session {
        SessionTarget::Existing(id) => h.update(format!("session:{id}")),
        SessionTarget::LaunchOrReuse { game_slug, .. } => h.update(format!("game:{game_slug}")),
    }
    h.update(req.amount.minor_units().to_be_bytes());
    h.update(req.params.to_string());
    hex::encode(h.finalize())
}

/// A key used before by a request with `stored_fingerprint`: the same request gets the
/// original round again; any other is refused.
pub fn replay(req: &BetRequest, stored_fingerprint: &str) -> Result<(), RoundFailure> {
    if fingerprint(req) == stored_fingerprint { Ok(()) } else { Err(RoundFailure::IdempotencyConflict) }
}

/// The session a bet plays in. A bet naming a session plays in it if it is the player's
/// and open. Otherwise the player's open session of the game is reused, unless it has
/// been idle for longer than [`SESSION_IDLE_GAP`]: then it ends at its last activity and
/// a new one starts, so session time and reality checks measure actual play.
pub fn choose_session(
    target: &SessionTarget,
    found: &SessionSnapshot,
    player: AccountId,
    at: DateTime<Utc>,
) -> Result<SessionChoice, RoundFailure> {
    let keep = |s: &Session| SessionChoice { session: s.clone(), opened: false, closed: None };
    match (target, found) {
        (SessionTarget::Existing(_), SessionSnapshot::Found(s)) if s.open => Ok(keep(s)),
        (SessionTarget::Existing(_), SessionSnapshot::Found(_)) => Err(RoundFailure::SessionClosed),
        (SessionTarget::Existing(_), SessionSnapshot::NotTheirs) => Err(RoundFailure::SessionNotYours),
        (SessionTarget::Existing(_), SessionSnapshot::Missing) => Err(RoundFailure::SessionNotFound),
        (SessionTarget::LaunchOrReuse { .. }, SessionSnapshot::Found(s))
            if at - s.last_active() <= SESSION_IDLE_GAP =>
        {
            Ok(keep(s))
        }
        (SessionTarget::LaunchOrReuse { game_slug, new_session_id }, stale) => Ok(SessionChoice {
            session: Session {
                id: *new_session_id,
                player_id: player,
                game_slug: game_slug.clone(),
                open: true,
                rounds: 0,
                wagered: Money::ZERO,
                won: Money::ZERO,
                started_at: at,
                ended_at: None,
                last_activity_at: None,
            },
            opened: true,
            closed: match stale {
                SessionSnapshot::Found(s) => Some(s.clone()),
                _ => None,
            },
        }),
    }
}

/// The reference every posting of a round carries.
fn round_reference(round_id: Uuid) -> Result<Reference, RoundFailure> {
    Reference::parse(&format!("{}{}", crate::db::wallet::ROUND_REFERENCE_PREFIX, round_id))
        .map_err(|e| DbError::Row(e.to_string()).into())
}

/// One of the round's postings (`step`: `bet` or `win`), decided against `head` by
/// wallet-core.
fn post(
    head: &WalletHead,
    kind: EventType,
    amount: Amount,
    req: &BetRequest,
    step: &str,
    event_id: Uuid,
) -> Result<WalletEvent, RoundFailure> {
    let reference = round_reference(req.round_id)?;
    let posting = Posting::new(kind, amount, IdempotencyKey::system("round", req.round_id, step), Some(reference));
    let refused = |e: wallet_core::PostingError| RoundFailure::Post(PostError::Rejected(e));
    let (effect, after) = wallet_core::decide(head, &posting, None).map_err(refused)?;
    WalletEvent::from_decision(event_id, head, &posting, effect, after, req.at).map_err(refused)
}

/// Decides a round on what its transaction loaded; nothing here reads or writes.
pub fn decide(
    catalogue: &Catalogue,
    policy: &Policy,
    default_rtp: Rtp,
    s: &RoundSnapshot,
    req: &BetRequest,
) -> Result<RoundDecision, RoundFailure> {
    let allowed = pam_core::check_play(&s.player, s.play, true, req.at)?;
    let choice = choose_session(&req.session, &s.session, req.player, req.at)?;
    let session = &choice.session;
    let game = catalogue.get(&session.game_slug).ok_or(RoundFailure::UnknownGame)?;
    let bettor = crate::stakes::Bettor { country: &s.player.country, date_of_birth: s.player.date_of_birth };
    let rules = crate::stakes::rules(&game.info(), s.limits, &policy.profiles, Some(bettor), req.at.date_naive());
    gal_core::stake::check_stake(req.amount.minor_units(), &rules).map_err(RoundFailure::Stake)?;
    // The player's first round creates their pair and draws from it.
    let (pair, new_pair) = match &s.pair {
        Some(pair) => (pair.clone(), None),
        None => (SeedPair::from(&req.first_seed_pair), Some(req.first_seed_pair.clone())),
    };
    let rtp = s.target.unwrap_or(default_rtp);
    let seeds = Seeds { server_seed: &pair.server_seed, client_seed: &pair.client_seed, nonce: pair.nonce };
    let settled = settle(game, rtp, &req.params, req.amount, seeds).map_err(|e| match e {
        SettleError::Params(p) => RoundFailure::Params(p),
        SettleError::Stake(r) => RoundFailure::Stake(r),
    })?;
    let bet = post(&s.head, EventType::Bet, req.amount, req, "bet", req.bet_event_id)?;
    let mut after = bet.advance(&s.head);
    let mut win = None;
    if settled.payout > 0 {
        let won = Amount::new(settled.payout).map_err(|e| DbError::Row(e.to_string()))?;
        let event = post(&after, EventType::Win, won, req, "win", req.win_event_id)?;
        after = event.advance(&after);
        win = Some(event);
    }
    let round = Round {
        id: req.round_id,
        session_id: session.id,
        player_id: req.player,
        game_slug: session.game_slug.clone(),
        amount: req.amount,
        payout: Money::new(settled.payout).map_err(|e| DbError::Row(e.to_string()))?,
        multiplier_micro: settled.outcome.multiplier_micro,
        rtp,
        expected_rtp: settled.theory.rtp,
        params: req.params.clone(),
        outcome: settled.outcome.detail,
        server_seed_hash: pair.server_seed_hash,
        client_seed: pair.client_seed.as_str().to_owned(),
        nonce: pair.nonce,
        draws: settled.draws,
        rounding: settled.rounding,
        server_seed: None,
        bet_event_id: bet.id,
        win_event_id: win.as_ref().map(|w| w.id),
        rolled_back: false,
        rolled_back_at: None,
        created_at: req.at,
    };
    Ok(RoundDecision {
        rg: allowed.rg,
        rg_settled: allowed.settled,
        session: choice,
        new_pair,
        pair_id: pair.id,
        bet,
        win,
        after,
        round,
        theory: settled.theory,
        at_stake: settled.at_stake,
        fingerprint: fingerprint(req),
    })
}

/// The postings that cancel a settled round, exactly once: a `ROLLBACK` refunding its
/// `BET` and, when it paid, one reversing its `WIN` (`event_ids`: their events' ids).
pub fn rollback(round: &Round, event_ids: (Uuid, Uuid)) -> Result<Vec<(Posting, Uuid)>, RoundFailure> {
    if round.rolled_back {
        return Err(RoundFailure::AlreadyRolledBack);
    }
    let reference = round_reference(round.id)?;
    let key = |step| IdempotencyKey::system("round", round.id, step);
    let mut postings = vec![(
        Posting::rollback(round.bet_event_id, round.amount, key("rollback-bet"), Some(reference.clone())),
        event_ids.0,
    )];
    if let Some(win) = round.win_event_id {
        let payout = Amount::new(round.payout.minor_units()).map_err(|e| DbError::Row(e.to_string()))?;
        postings.push((Posting::rollback(win, payout, key("rollback-win"), Some(reference)), event_ids.1));
    }
    Ok(postings)
}

/// A reality check with this round, when the player's interval says one is due or a
/// markers-of-harm intervention forces one (`forced`): the check, and the settings that
/// record it.
pub fn reality_check(
    mut rg: RgSettings,
    forced: bool,
    decision: &RoundDecision,
    at: DateTime<Utc>,
) -> Option<(RealityCheck, RgSettings)> {
    let session = &decision.session.session;
    if !forced && !rg.reality_check_due(session.started_at, at) {
        return None;
    }
    rg.last_reality_check_at = Some(at);
    let round = &decision.round;
    // Figures to show the player: past `i64` (never in practice) they saturate.
    let shown = |total: Option<Money>| total.map_or(i64::MAX, Money::minor_units);
    let check = RealityCheck::new(
        session.started_at,
        at,
        shown(session.wagered.checked_add(round.amount)),
        shown(session.won.checked_add(round.payout)),
    );
    Some((check, rg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};
    use gal_core::{ExactPayout, RandomStream, Rounding};
    use kernel::{Currency, Refusal};
    use pam_core::{PlayState, PlayerContext};
    use serde_json::json;
    use wallet_core::{Balances, PostingError};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    fn policy() -> Policy {
        Policy {
            profiles: rg_core::Profiles::defaults(),
            aml: compliance_core::AmlThresholds::default(),
            kyc_provider: compliance_core::SimulatedProvider { enabled: false },
            manual_posting_approval_above: 0,
        }
    }

    fn player() -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(7))
    }

    fn pair(byte: u8, nonce: u64) -> SeedPair {
        let server_seed = ServerSeed::from_bytes([byte; 32]);
        SeedPair {
            id: Uuid::from_u128(u128::from(byte)),
            server_seed_hash: server_seed.hash(),
            server_seed,
            client_seed: ClientSeed::parse("mine").unwrap(),
            nonce,
        }
    }

    fn session(started_at: DateTime<Utc>, last: Option<DateTime<Utc>>, open: bool) -> Session {
        Session {
            id: Uuid::from_u128(1),
            player_id: player(),
            game_slug: "dice".into(),
            open,
            rounds: 3,
            wagered: Money::new(300).unwrap(),
            won: Money::new(150).unwrap(),
            started_at,
            ended_at: None,
            last_activity_at: last,
        }
    }

    fn snapshot(cash: i64, found: SessionSnapshot, pair: Option<SeedPair>) -> RoundSnapshot {
        let mut head = WalletHead::empty(player(), Currency::EUR);
        head.balances = Balances::of(cash, 0).unwrap();
        RoundSnapshot {
            head,
            player: PlayerContext {
                country: "DE".into(),
                date_of_birth: NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
                listed: Some(false),
                ..pam_core::example_player(pam_core::AccountStatus::Active, compliance_core::KycState::Approved)
            },
            play: PlayState { listed: false, rg: RgSettings::default(), minutes_played_today: 0 },
            session: found,
            limits: None,
            pair,
            target: None,
        }
    }

    fn request(target: SessionTarget, amount: i64, at: DateTime<Utc>) -> BetRequest {
        BetRequest {
            player: player(),
            session: target,
            amount: Amount::new(amount).unwrap(),
            params: json!({"target": 5000, "direction": "under"}),
            idempotency_key: IdempotencyKey::parse("k1").unwrap(),
            round_id: Uuid::from_u128(100),
            bet_event_id: Uuid::from_u128(101),
            win_event_id: Uuid::from_u128(102),
            first_seed_pair: NewSeedPair {
                id: Uuid::from_u128(200),
                server_seed: ServerSeed::from_bytes([9; 32]),
                next_server_seed: ServerSeed::from_bytes([10; 32]),
                client_seed: ClientSeed::parse("first").unwrap(),
            },
            at,
        }
    }

    fn play(s: &RoundSnapshot, req: &BetRequest) -> Result<RoundDecision, RoundFailure> {
        decide(&Catalogue::standard(), &policy(), gamectl_core::default_target(), s, req)
    }

    fn dice() -> SessionTarget {
        SessionTarget::LaunchOrReuse { game_slug: "dice".into(), new_session_id: Uuid::from_u128(50) }
    }

    #[test]
    fn a_first_round_opens_a_session_creates_the_pair_and_draws_from_it() {
        let req = request(dice(), 1_000, t0());
        let d = play(&snapshot(5_000, SessionSnapshot::Missing, None), &req).unwrap();
        assert!(d.session.opened && d.session.closed.is_none());
        assert_eq!((d.session.session.id, d.session.session.started_at), (Uuid::from_u128(50), t0()));
        assert_eq!(d.new_pair.as_ref().map(|p| p.id), Some(Uuid::from_u128(200)));
        assert_eq!((d.pair_id, d.round.nonce), (Uuid::from_u128(200), 0));
        assert_eq!(d.round.server_seed_hash, ServerSeed::from_bytes([9; 32]).hash());
        // The draw is gal-core's: recomputed from the seeds, the same outcome and payout.
        let mut rng = RandomStream::new(&ServerSeed::from_bytes([9; 32]), &ClientSeed::parse("first").unwrap(), 0);
        let dice = Catalogue::standard();
        let dice = dice.get("dice").unwrap();
        let outcome = dice.play(gamectl_core::default_target(), &req.params, &mut rng).unwrap();
        let payout = ExactPayout::of(1_000, outcome.multiplier_micro).settle(Rounding::Unbiased, &mut rng);
        assert_eq!((d.round.outcome.clone(), d.round.payout.minor_units()), (outcome.detail, payout));
        assert_eq!(d.round.draws.as_slice(), rng.draws());
        // BET then (if it paid) WIN, each by wallet-core against the head before it.
        assert_eq!((d.bet.id, d.bet.seq), (Uuid::from_u128(101), 1));
        assert_eq!(d.win.is_some(), payout > 0);
        assert_eq!(d.after.balances.cash.minor_units(), 5_000 - 1_000 + payout);
        assert_eq!(d.fingerprint, fingerprint(&req));
        assert_eq!(d.round.rtp, gamectl_core::default_target());
    }

    #[test]
    fn a_round_draws_from_the_players_pair_at_its_nonce_and_the_stored_target() {
        let mut s = snapshot(5_000, SessionSnapshot::Found(session(t0(), Some(t0()), true)), Some(pair(3, 41)));
        s.target = Some(Rtp::from_bp(9_900).unwrap());
        let d = play(&s, &request(dice(), 100, t0() + Duration::minutes(5))).unwrap();
        assert!(!d.session.opened && d.new_pair.is_none());
        assert_eq!((d.pair_id, d.round.nonce, d.round.rtp.bp()), (Uuid::from_u128(3), 41, 9_900));
        assert_eq!(d.round.session_id, Uuid::from_u128(1));
    }

    #[test]
    fn an_open_session_idle_past_the_gap_is_closed_and_a_new_one_started() {
        let last = t0();
        let idle = SessionSnapshot::Found(session(t0() - Duration::hours(1), Some(last), true));
        let at = last + SESSION_IDLE_GAP + Duration::seconds(1);
        let choice = choose_session(&dice(), &idle, player(), at).unwrap();
        assert!(choice.opened);
        assert_eq!(choice.closed.map(|s| s.last_active()), Some(last));
        assert_eq!((choice.session.started_at, choice.session.rounds), (at, 0));
        let kept = choose_session(&dice(), &idle, player(), last + SESSION_IDLE_GAP).unwrap();
        assert!(!kept.opened && kept.closed.is_none());
        assert_eq!(kept.session.id, Uuid::from_u128(1));
    }

    #[test]
    fn a_named_session_must_be_the_players_and_open() {
        let named = SessionTarget::Existing(Uuid::from_u128(1));
        let choose = |found: SessionSnapshot| choose_session(&named, &found, player(), t0());
        assert!(choose(SessionSnapshot::Found(session(t0(), None, true))).is_ok());
        assert!(matches!(choose(SessionSnapshot::Found(session(t0(), None, false))), Err(RoundFailure::SessionClosed)));
        assert!(matches!(choose(SessionSnapshot::NotTheirs), Err(RoundFailure::SessionNotYours)));
        assert!(matches!(choose(SessionSnapshot::Missing), Err(RoundFailure::SessionNotFound)));
    }

    #[test]
    fn stakes_out_of_range_bets_not_offered_and_missing_funds_are_refused() {
        let s = snapshot(500, SessionSnapshot::Missing, None);
        let mut limited = s.clone();
        limited.limits = Some(gamectl_core::BetLimits::new(100, 1_000).unwrap());
        let low = play(&limited, &request(dice(), 50, t0()));
        assert!(
            matches!(low, Err(RoundFailure::Stake(gal_core::StakeRefusal::OutOfRange { min: 100, max: 1_000 }))),
            "{low:?}"
        );
        let mut greedy = request(dice(), 100, t0());
        greedy.params = json!({"target": 9_800, "direction": "under"});
        assert!(matches!(play(&s, &greedy), Err(RoundFailure::Stake(_))));
        let broke = play(&s, &request(dice(), 1_000, t0()));
        assert!(
            matches!(broke, Err(RoundFailure::Post(PostError::Rejected(PostingError::InsufficientFunds { .. })))),
            "{broke:?}"
        );
        let mut unknown = request(dice(), 100, t0());
        unknown.session = SessionTarget::LaunchOrReuse { game_slug: "nope".into(), new_session_id: Uuid::nil() };
        assert!(matches!(play(&s, &unknown), Err(RoundFailure::UnknownGame)));
    }

    #[test]
    fn a_reused_key_replays_the_same_request_and_refuses_another() {
        let req = request(dice(), 100, t0());
        assert!(replay(&req, &fingerprint(&req)).is_ok());
        let mut other = req.clone();
        other.amount = Amount::new(101).unwrap();
        assert!(matches!(replay(&other, &fingerprint(&req)), Err(RoundFailure::IdempotencyConflict)));
    }

    #[test]
    fn a_rollback_refunds_the_bet_reverses_a_win_and_happens_once() {
        let s = snapshot(5_000, SessionSnapshot::Missing, None);
        let ids = (Uuid::from_u128(300), Uuid::from_u128(301));
        let mut round = play(&s, &request(dice(), 1_000, t0())).unwrap().round;
        round.payout = Money::new(1_980).unwrap();
        round.win_event_id = Some(Uuid::from_u128(102));
        let postings = rollback(&round, ids).unwrap();
        let summary: Vec<_> = postings.iter().map(|(p, id)| (p.compensates, p.amount.minor_units(), *id)).collect();
        assert_eq!(
            summary,
            [
                (Some(Uuid::from_u128(101)), 1_000, Uuid::from_u128(300)),
                (Some(Uuid::from_u128(102)), 1_980, Uuid::from_u128(301)),
            ]
        );
        assert!(postings.iter().all(|(p, _)| p.event_type == EventType::Rollback));
        round.win_event_id = None;
        assert_eq!(rollback(&round, ids).unwrap().len(), 1, "a losing round refunds its bet only");
        round.rolled_back = true;
        assert!(matches!(rollback(&round, ids), Err(RoundFailure::AlreadyRolledBack)));
    }

    #[test]
    fn a_reality_check_comes_when_due_or_forced_and_is_recorded() {
        let s = snapshot(5_000, SessionSnapshot::Found(session(t0(), Some(t0()), true)), Some(pair(3, 0)));
        let at = t0() + Duration::minutes(10);
        let d = play(&s, &request(dice(), 100, at)).unwrap();
        assert_eq!(reality_check(RgSettings::default(), false, &d, at), None);
        let (check, rg) = reality_check(RgSettings::default(), true, &d, at).unwrap();
        assert_eq!(rg.last_reality_check_at, Some(at));
        assert_eq!(check, RealityCheck::new(t0(), at, 300 + 100, 150 + d.round.payout.minor_units()));
    }

    #[test]
    fn a_player_who_may_not_play_is_refused_before_the_session_and_the_stake() {
        let mut s = snapshot(5_000, SessionSnapshot::NotTheirs, None);
        let named = request(SessionTarget::Existing(Uuid::from_u128(1)), 1, t0());
        s.play.listed = true;
        assert!(matches!(play(&s, &named), Err(RoundFailure::Refused(r)) if r.refusal == Refusal::SelfExcluded));
        s.play.listed = false;
        s.player.kyc = compliance_core::KycState::Pending;
        assert!(matches!(play(&s, &named), Err(RoundFailure::Refused(r)) if r.refusal == Refusal::KycRequired));
        s.player.kyc = compliance_core::KycState::Approved;
        assert!(matches!(play(&s, &named), Err(RoundFailure::SessionNotYours)));
    }

    #[test]
    fn rg_changes_that_fell_due_are_decided_for_the_rounds_writes() {
        let mut s = snapshot(5_000, SessionSnapshot::Missing, None);
        let profile = policy().profiles.for_country("DE").clone();
        let (period, at) = (rg_core::LimitPeriod::Daily, t0());
        s.play.rg.limits =
            rg_core::change_limit(&s.play.rg.limits, period, Amount::new(5_000).ok(), &profile, at).unwrap();
        s.play.rg.limits = rg_core::change_limit(&s.play.rg.limits, period, None, &profile, at).unwrap();
        let now = play(&s, &request(dice(), 100, at)).unwrap();
        assert!(!now.rg_settled && now.rg.limits.daily.pending.is_some());
        let later = play(&s, &request(dice(), 100, at + Duration::days(30))).unwrap();
        assert!(later.rg_settled && later.rg.limits.daily.pending.is_none());
    }
}
