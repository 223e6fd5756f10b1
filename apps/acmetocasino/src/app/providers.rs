//! Third-party providers: onboarding, launching their games, and the seamless wallet
//! their game servers call. A call is verified and translated by the provider's
//! protocol adapter (provider-core), settled by one command handler for every protocol
//! ([`callback`]: load → decide → write in the store, with [`ProviderPlayRules`]), and
//! its reply rendered back by the adapter.

use crate::db::DbError;
use crate::db::compliance::{MoneyFailure, Policy, Refused};
use crate::db::provider_calls::{CallFailure, CallOutcome, ProviderCall, ProviderRules};
use crate::db::providers::{Launch, NewProvider, RegisterFailure};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gal_core::Session;
use kernel::{AccountId, Clock, Currency, Entropy, Refusal, StoreError};
use pam_core::{PlayAllowed, PlayState, PlayerContext};
use provider_core::{
    Account, Command, Decision, Failure, Outcome, Protocol, Provider, ProviderAdapter, ProviderConfig, ProviderGame,
    ProviderRound, ProviderRoundFilter, ProviderSecrets, ReconciliationDay, Reply, Request, Response, Snapshot,
    StuckRound,
};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use uuid::Uuid;

/// How long an instance trusts its copy of the registry: an enable or disable on another
/// instance takes effect here within this time.
const DIRECTORY_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// The registry as this instance holds it.
type Entries = Arc<Vec<Arc<Entry>>>;

/// A provider ready to take calls: its registry entry and its protocol's adapter.
pub struct Entry {
    pub provider: Provider,
    pub adapter: Arc<dyn ProviderAdapter>,
}

/// This instance's copy of the provider registry, reloaded when older than
/// [`DIRECTORY_TTL`] or after a change made here.
#[derive(Default)]
pub struct Directory {
    loaded: Mutex<Option<(Instant, Entries)>>,
}

impl Directory {
    fn fresh(&self) -> Option<Entries> {
        let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded.as_ref().filter(|(at, _)| at.elapsed() < DIRECTORY_TTL).map(|(_, entries)| entries.clone())
    }

    fn forget(&self) {
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The adapter of a registered provider.
pub fn adapter_for(provider: &Provider, secrets: &ProviderSecrets) -> Result<Arc<dyn ProviderAdapter>, String> {
    Ok(match provider.protocol {
        Protocol::Hub88 => {
            let operator = secrets.operator_private_key.as_deref().ok_or("a Hub88 provider without an operator key")?;
            Arc::new(
                provider_core::hub88::Hub88Adapter::new(&secrets.provider_key, operator, provider.config)
                    .map_err(|e| e.to_string())?,
            )
        }
        Protocol::Pragmatic => {
            Arc::new(provider_core::pragmatic::PragmaticAdapter::new(&secrets.provider_key, provider.config))
        }
    })
}

/// Every provider with its adapter (from this instance's copy of the registry).
pub async fn directory(state: &AppState) -> Result<Entries, DbError> {
    if let Some(entries) = state.providers.fresh() {
        return Ok(entries);
    }
    let mut entries = Vec::new();
    for (provider, secrets) in state.db.providers().await? {
        let adapter =
            adapter_for(&provider, &secrets).map_err(|e| DbError::Row(format!("provider {}: {e}", provider.slug)))?;
        entries.push(Arc::new(Entry { provider, adapter }));
    }
    let entries = Arc::new(entries);
    *state.providers.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), entries.clone()));
    Ok(entries)
}

/// A provider by slug.
pub async fn provider(state: &AppState, slug: &str) -> Result<Option<Arc<Entry>>, DbError> {
    Ok(directory(state).await?.iter().find(|e| e.provider.slug == slug).cloned())
}

/// The provider game with this slug, with its provider.
pub async fn game(state: &AppState, slug: &str) -> Result<Option<(Arc<Entry>, ProviderGame)>, DbError> {
    for entry in directory(state).await?.iter() {
        if let Some(g) = entry.provider.games.iter().find(|g| g.slug == slug) {
            return Ok(Some((entry.clone(), g.clone())));
        }
    }
    Ok(None)
}

/// A provider to onboard, as an admin sent it (already validated).
pub struct Onboarding {
    pub slug: String,
    pub name: String,
    pub protocol: Protocol,
    /// Hub88: the provider's public key (PEM); Pragmatic: the shared secret.
    pub provider_key: String,
    pub games: Vec<ProviderGame>,
    pub config: Option<ProviderConfig>,
}

/// Why onboarding failed.
#[derive(Debug)]
pub enum OnboardFailure {
    /// The provider's key does not parse, or a game clashes with an in-house one.
    Invalid(String, String),
    Taken(String),
    Db(DbError),
}

/// Onboards a provider (enabled); for Hub88 a fresh operator key signs our responses.
pub async fn register(state: &AppState, actor: AccountId, o: Onboarding) -> Result<Provider, OnboardFailure> {
    if let Some(g) = o.games.iter().find(|g| state.catalogue.get(&g.slug).is_some()) {
        return Err(OnboardFailure::Taken(format!("a game {:?} exists", g.slug)));
    }
    let (operator_private_key, operator_public_key_pem) = match o.protocol {
        Protocol::Hub88 => {
            let (private, public) = operator_key_pair(state).await?;
            (Some(private), Some(public))
        }
        Protocol::Pragmatic => (None, None),
    };
    let at = state.clock.now();
    let provider = Provider {
        slug: o.slug,
        name: o.name,
        protocol: o.protocol,
        enabled: true,
        config: o.config.unwrap_or_else(|| ProviderConfig::default_for(o.protocol)),
        games: o.games,
        operator_public_key_pem,
        created_at: at,
        updated_at: at,
    };
    let secrets = ProviderSecrets { provider_key: o.provider_key, operator_private_key };
    adapter_for(&provider, &secrets).map_err(|e| {
        let field = if provider.protocol == Protocol::Hub88 { "public_key_pem" } else { "secret_key" };
        OnboardFailure::Invalid(field.into(), e)
    })?;
    let new = NewProvider { provider, secrets };
    state.db.register_provider(&new, actor, at).await.map_err(|e| match e {
        RegisterFailure::Taken(why) => OnboardFailure::Taken(why),
        RegisterFailure::Db(e) => OnboardFailure::Db(e),
    })?;
    state.providers.forget();
    Ok(new.provider)
}

/// A fresh RSA key pair for a Hub88 provider's responses (PEM: private, public), seeded
/// from the OS and generated off the async workers.
async fn operator_key_pair(state: &AppState) -> Result<(String, String), OnboardFailure> {
    let seed = state.entropy.bytes32();
    let pair = tokio::task::spawn_blocking(move || provider_core::hub88::generate_key_pair(seed))
        .await
        .map_err(|e| OnboardFailure::Db(DbError::Row(e.to_string())))?
        .map_err(|e| OnboardFailure::Db(DbError::Row(e.to_string())))?;
    Ok((pair.private_pem, pair.public_pem))
}

/// Enables or disables a provider; `None` when there is none.
pub async fn set_enabled(
    state: &AppState,
    slug: &str,
    enabled: bool,
    actor: AccountId,
) -> Result<Option<Provider>, DbError> {
    if state.db.set_provider_enabled(slug, enabled, actor, state.clock.now()).await?.is_none() {
        return Ok(None);
    }
    state.providers.forget();
    Ok(provider(state, slug).await?.map(|e| e.provider.clone()))
}

/// A provider game's launch: its session and the token the provider sends back.
pub struct ProviderLaunch {
    pub session: Session,
    pub provider: String,
    pub launch_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a provider game could not be launched.
#[derive(Debug)]
pub enum LaunchFailure {
    ProviderDisabled(String),
    Money(MoneyFailure),
}

/// Opens a session of a provider's game for `player` and issues its launch token.
pub async fn launch(
    state: &AppState,
    player: AccountId,
    entry: &Entry,
    game: &ProviderGame,
) -> Result<ProviderLaunch, LaunchFailure> {
    if !entry.provider.enabled {
        return Err(LaunchFailure::ProviderDisabled(format!("provider {} is disabled", entry.provider.slug)));
    }
    let token = hex::encode(state.entropy.bytes32());
    let at = state.clock.now();
    let expires_at = at + Duration::seconds(entry.provider.config.token_ttl_seconds);
    let session = state
        .db
        .launch_provider_game(
            player,
            game,
            &entry.provider.slug,
            state.entropy.new_id(),
            token_hash(&token),
            at,
            expires_at,
        )
        .await
        .map_err(LaunchFailure::Money)?;
    Ok(ProviderLaunch { session, provider: entry.provider.name.clone(), launch_token: token, expires_at })
}

/// Only a token's hash is stored.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A provider's day-by-day totals and its stuck rounds.
pub async fn reconciliation(
    state: &AppState,
    slug: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    stuck_after: Duration,
) -> Result<(Vec<ReconciliationDay>, Vec<StuckRound>), DbError> {
    let days = state.db.reconciliation(slug, from, to).await?;
    let stuck = state.db.stuck_rounds(slug, state.clock.now() - stuck_after).await?;
    Ok((days, stuck))
}

/// A provider's rounds matching `filter`, newest first, and how many match in all
/// (`None`: no such provider).
pub async fn rounds(
    state: &AppState,
    slug: &str,
    filter: &ProviderRoundFilter,
) -> Result<Option<(Vec<ProviderRound>, i64)>, DbError> {
    if provider(state, slug).await?.is_none() {
        return Ok(None);
    }
    state.db.provider_rounds(slug, filter).await.map(Some)
}

/// A provider's call to its wallet endpoint `endpoint` (e.g. `transaction/bet`), from
/// its raw body to the rendered reply. `None`: no such provider.
pub async fn callback(
    state: &AppState,
    slug: &str,
    endpoint: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Option<Response>, DbError> {
    let Some(entry) = provider(state, slug).await? else { return Ok(None) };
    let adapter = entry.adapter.as_ref();
    let request = adapter.verify(signature, body).and_then(|()| adapter.parse(endpoint, body));
    let (request, reply) = match request {
        Err(f) => (None, Err((f, None))),
        Ok(_) if !entry.provider.enabled => (None, Err((Failure::Unknown("the provider is disabled".into()), None))),
        Ok(request) => {
            let reply = settle(state, &entry, &request).await;
            (Some(request), reply)
        }
    };
    Ok(Some(adapter.render(endpoint, body, request.as_ref(), &reply)))
}

/// The player a provider names (its `user`: the platform's player id).
fn player_of(raw: &str) -> Result<AccountId, Failure> {
    Uuid::parse_str(raw).map(AccountId::from_uuid).map_err(|_| Failure::PlayerNotFound)
}

/// The wallet a provider sees, as it stands.
async fn account(
    state: &AppState,
    player: AccountId,
    with_country: bool,
) -> Result<Account, (Failure, Option<Account>)> {
    let head = crate::app::wallet::head(state, player).await.map_err(|e| (Failure::Retryable(e.to_string()), None))?;
    let head = head.ok_or((Failure::PlayerNotFound, None))?;
    let country = if with_country {
        crate::app::play::player(state, player)
            .await
            .map_err(|e| (Failure::Retryable(e.to_string()), None))?
            .map(|p| p.profile.country.as_str().to_owned())
    } else {
        None
    };
    Ok(to_account(player, head.balances, head.currency, country))
}

fn to_account(
    player: AccountId,
    balances: wallet_core::Balances,
    currency: Currency,
    country: Option<String>,
) -> Account {
    Account {
        player: player.to_string(),
        currency: currency.to_string(),
        cash: balances.cash.minor_units(),
        bonus: balances.bonus.minor_units(),
        country,
    }
}

/// The one command handler: settles a canonical request for every protocol.
async fn settle(state: &AppState, entry: &Entry, request: &Request) -> Reply {
    let slug = entry.provider.slug.as_str();
    match &request.command {
        Command::Authenticate { token, .. } => {
            let launch = state
                .db
                .launch_by_token(&token_hash(token))
                .await
                .map_err(|e| (Failure::Retryable(e.to_string()), None))?;
            let launch = launch.filter(|l| l.provider == slug).ok_or((Failure::InvalidToken, None))?;
            if state.clock.now() > launch.expires_at {
                return Err((Failure::TokenExpired, None));
            }
            Ok(Outcome { account: account(state, launch.player, true).await?, transaction: None })
        }
        Command::Balance { player, .. } => {
            let player = player_of(player).map_err(|f| (f, None))?;
            Ok(Outcome { account: account(state, player, true).await?, transaction: None })
        }
        Command::EndRound { player, round, .. } => {
            let player = player_of(player).map_err(|f| (f, None))?;
            let wallet = state
                .db
                .end_provider_round(slug, round, player, state.clock.now())
                .await
                .map_err(|e| (Failure::Retryable(e.to_string()), None))?;
            let (balances, currency) = wallet.ok_or((Failure::PlayerNotFound, None))?;
            Ok(Outcome { account: to_account(player, balances, currency, None), transaction: None })
        }
        Command::Bet(tx) | Command::Rollback(tx) | Command::Win { transaction: tx, .. } => {
            let (kind, _) = request.command.transaction().unwrap_or_else(|| unreachable!("a money command"));
            let win_kind = match &request.command {
                Command::Win { kind, .. } => Some(*kind),
                _ => None,
            };
            let player = player_of(&tx.player).map_err(|f| (f, None))?;
            let game = entry.provider.games.iter().find(|g| g.code == tx.game).cloned();
            let game = game.ok_or_else(|| (Failure::WrongSyntax(format!("unknown game {:?}", tx.game)), None))?;
            let call = ProviderCall {
                provider: slug.to_owned(),
                kind,
                win_kind,
                tx: tx.clone(),
                player,
                game,
                fingerprint: provider_core::rules::fingerprint(kind, tx),
                token_hash: tx.token.as_deref().map(token_hash),
                row_id: state.entropy.new_id(),
                event_id: state.entropy.new_id(),
                round_id: state.entropy.new_id(),
                at: state.clock.now(),
            };
            let rules = ProviderPlayRules { config: entry.provider.config, policy: state.policy.clone() };
            match state.db.provider_call(&rules, &call).await {
                Ok(CallOutcome { balances, currency, transaction, .. }) => Ok(Outcome {
                    account: to_account(player, balances, currency, None),
                    transaction: Some(transaction.to_string()),
                }),
                Err(CallFailure::Refused(f, wallet)) => {
                    Err((f, wallet.map(|(balances, currency)| to_account(player, balances, currency, None))))
                }
                // The provider retries (or rolls its bet back) when we could not answer.
                Err(CallFailure::Db(e)) => Err((Failure::Retryable(e.to_string()), None)),
            }
        }
    }
}

/// The rules of a provider's bet, win or rollback: the canonical seamless-wallet rules,
/// the wallet's currency, the launch token, and the stake rules a bet of ours passes.
pub struct ProviderPlayRules {
    pub config: ProviderConfig,
    pub policy: Arc<Policy>,
}

impl ProviderRules for ProviderPlayRules {
    fn decide(&self, call: &ProviderCall, snapshot: &Snapshot, currency: Currency) -> Decision {
        let decision = provider_core::rules::decide(call.kind, &call.tx, &call.fingerprint, snapshot, &self.config);
        let moves = matches!(decision, Decision::Debit(_) | Decision::Credit(_));
        match &call.tx.currency {
            Some(c) if moves && !c.eq_ignore_ascii_case(currency.as_str()) => Decision::Refuse(Failure::WrongCurrency),
            _ => decision,
        }
    }

    fn check_launch(&self, call: &ProviderCall, launch: Option<&Launch>) -> Result<(), Failure> {
        let launch = launch.ok_or(Failure::InvalidToken)?;
        if launch.player != call.player || launch.game_slug != call.game.slug {
            return Err(Failure::InvalidToken);
        }
        if call.tx.token.is_some() && call.at > launch.expires_at {
            return Err(Failure::TokenExpired);
        }
        Ok(())
    }

    fn check_stake(&self, call: &ProviderCall, player: &PlayerContext) -> Result<(), Refused> {
        let game = &call.game;
        let bettor = crate::stakes::Bettor { country: &player.country, date_of_birth: player.date_of_birth };
        let cap = crate::stakes::cap(&self.policy.profiles, &game.kind, &game.slug, Some(bettor), call.at.date_naive());
        let rules = gal_core::StakeRules { min_bet: game.min_bet, max_bet: game.max_bet, cap };
        gal_core::stake::check_stake(call.tx.amount, &rules)
            .map_err(|r| Refused::new(Refusal::BetOutOfRange, r.to_string()))
    }

    fn check_play(&self, player: &PlayerContext, state: PlayState, at: DateTime<Utc>) -> Result<PlayAllowed, Refused> {
        pam_core::check_play(player, state, true, at)
    }

    fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl From<StoreError> for OnboardFailure {
    fn from(e: StoreError) -> Self {
        OnboardFailure::Db(DbError::Row(e.to_string()))
    }
}

/// Whether `kind` names a game kind the jurisdiction profiles know.
pub fn known_kind(kind: &str) -> bool {
    ["dice", "table", "slot", "lottery", "arcade", "crash"].contains(&kind)
}

/// Whether the slug names a provider's game (its RTP is the provider's to declare).
pub async fn is_provider_game(state: &AppState, slug: &str) -> Result<bool, DbError> {
    Ok(game(state, slug).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use provider_core::{AmountScale, StoredTx, Transaction, TxKind, TxStatus};

    fn call(kind: TxKind, currency: Option<&str>) -> ProviderCall {
        ProviderCall {
            provider: "p".into(),
            kind,
            win_kind: None,
            tx: Transaction {
                id: "t1".into(),
                player: "p1".into(),
                token: None,
                round: "r1".into(),
                game: "g".into(),
                amount: 100,
                currency: currency.map(Into::into),
                reference: None,
                round_closed: false,
            },
            player: AccountId::from_uuid(Uuid::nil()),
            game: ProviderGame {
                slug: "g".into(),
                code: "g".into(),
                name: "G".into(),
                kind: "slot".into(),
                rtp: kernel::Rtp::from_bp(9600).unwrap(),
                min_bet: 10,
                max_bet: 1000,
            },
            fingerprint: "f".into(),
            token_hash: None,
            row_id: Uuid::nil(),
            event_id: Uuid::nil(),
            round_id: Uuid::nil(),
            at: Utc::now(),
        }
    }

    fn rules() -> ProviderPlayRules {
        let config =
            ProviderConfig { scale: AmountScale::HUB88, win_without_bet_is_final: true, token_ttl_seconds: 60 };
        let policy = Policy {
            profiles: rg_core::Profiles::defaults(),
            aml: compliance_core::AmlThresholds::default(),
            kyc_provider: compliance_core::SimulatedProvider { enabled: false },
            manual_posting_approval_above: 0,
        };
        ProviderPlayRules { config, policy: Arc::new(policy) }
    }

    #[test]
    fn money_in_another_currency_is_refused_but_a_replay_is_answered() {
        let eur = Currency::parse("EUR").unwrap();
        let usd = call(TxKind::Bet, Some("USD"));
        assert_eq!(rules().decide(&usd, &Snapshot::default(), eur), Decision::Refuse(Failure::WrongCurrency));
        assert_eq!(rules().decide(&call(TxKind::Bet, Some("eur")), &Snapshot::default(), eur), Decision::Debit(100));
        let same = StoredTx {
            kind: TxKind::Bet,
            id: "t1".into(),
            player: "p1".into(),
            round: "r1".into(),
            amount: 100,
            fingerprint: "f".into(),
            status: TxStatus::Applied,
        };
        let snap = Snapshot { same: Some(same.clone()), ..Snapshot::default() };
        assert_eq!(rules().decide(&usd, &snap, eur), Decision::Replay(same));
    }

    #[test]
    fn a_bet_needs_the_players_unexpired_launch_of_the_game() {
        let mut bet = call(TxKind::Bet, None);
        bet.tx.token = Some("t".into());
        let launch = Launch {
            provider: "p".into(),
            player: bet.player,
            game_slug: "g".into(),
            session_id: Uuid::nil(),
            expires_at: bet.at + Duration::seconds(1),
        };
        assert_eq!(rules().check_launch(&bet, Some(&launch)), Ok(()));
        assert_eq!(rules().check_launch(&bet, None), Err(Failure::InvalidToken));
        let other = Launch { player: AccountId::from_uuid(Uuid::from_u128(7)), ..launch.clone() };
        assert_eq!(rules().check_launch(&bet, Some(&other)), Err(Failure::InvalidToken));
        let expired = Launch { expires_at: bet.at - Duration::seconds(1), ..launch };
        assert_eq!(rules().check_launch(&bet, Some(&expired)), Err(Failure::TokenExpired));
    }
}
