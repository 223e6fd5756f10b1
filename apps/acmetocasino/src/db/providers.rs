//! Third-party providers in the store: the registry (providers, their games, their
//! secrets), launch tokens, and the reconciliation of their play. Provider calls that
//! move money are in `provider_calls`.
use super::compliance::{MoneyFailure, id};
use super::game_control::{bp_of, rtp_of};
use super::schema::{provider_games, provider_launches, provider_rounds, provider_transactions, providers};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gal_core::Session;
use kernel::AccountId;
use provider_core::{
    Protocol, Provider, ProviderConfig, ProviderGame, ProviderRound, ProviderRoundFilter, ProviderSecrets,
    ReconciliationDay, StuckRound, TxKind, TxStatus,
};
use serde_json::json;
use uuid::Uuid;

type ProviderRow = (String, String, String, String, Option<String>, Option<String>, String, bool, DbTime, DbTime);
type GameRow = (String, String, String, String, String, i32, i64, i64);

/// A provider to register, with its secrets and games.
#[derive(Debug, Clone)]
pub struct NewProvider {
    pub provider: Provider,
    pub secrets: ProviderSecrets,
}

/// Why a provider could not be registered.
#[derive(Debug)]
pub enum RegisterFailure {
    /// The slug, or one of its games' slugs, is taken.
    Taken(String),
    Db(DbError),
}

impl From<diesel::result::Error> for RegisterFailure {
    fn from(e: diesel::result::Error) -> Self {
        RegisterFailure::Db(e.into())
    }
}

impl From<DbError> for RegisterFailure {
    fn from(e: DbError) -> Self {
        RegisterFailure::Db(e)
    }
}

/// A launch a provider's call names by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub provider: String,
    pub player: AccountId,
    pub game_slug: String,
    pub session_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// A launch as stored (only its token's hash).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = provider_launches)]
pub(crate) struct LaunchRow {
    provider: String,
    player_id: DbId,
    game_slug: String,
    session_id: DbId,
    expires_at: DbTime,
}

impl From<LaunchRow> for Launch {
    fn from(r: LaunchRow) -> Self {
        Launch {
            provider: r.provider,
            player: AccountId::from_uuid(r.player_id.0),
            game_slug: r.game_slug,
            session_id: r.session_id.0,
            expires_at: r.expires_at.0,
        }
    }
}

fn to_game(r: GameRow) -> Result<ProviderGame, DbError> {
    Ok(ProviderGame { slug: r.0, code: r.2, name: r.3, kind: r.4, rtp: rtp_of(r.5)?, min_bet: r.6, max_bet: r.7 })
}

fn to_provider(r: ProviderRow, games: Vec<ProviderGame>) -> Result<(Provider, ProviderSecrets), DbError> {
    let protocol = Protocol::parse(&r.2).ok_or_else(|| DbError::Row(format!("provider {} protocol {:?}", r.0, r.2)))?;
    let config: ProviderConfig =
        serde_json::from_str(&r.6).map_err(|e| DbError::Row(format!("provider {} config: {e}", r.0)))?;
    let provider = Provider {
        slug: r.0,
        name: r.1,
        protocol,
        enabled: r.7,
        config,
        games,
        operator_public_key_pem: r.5,
        created_at: r.8.0,
        updated_at: r.9.0,
    };
    Ok((provider, ProviderSecrets { provider_key: r.3, operator_private_key: r.4 }))
}

/// A provider round as stored.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = provider_rounds)]
struct RoundRow {
    id: DbId,
    round: String,
    player_id: DbId,
    game_slug: String,
    session_id: DbId,
    wagered: i64,
    won: i64,
    refunded: i64,
    status: String,
    opened_at: DbTime,
    updated_at: DbTime,
    closed_at: Option<DbTime>,
}

impl TryFrom<RoundRow> for ProviderRound {
    type Error = DbError;

    fn try_from(r: RoundRow) -> Result<Self, DbError> {
        let open = match r.status.as_str() {
            "open" => true,
            "closed" => false,
            other => return Err(DbError::Row(format!("provider round status {other:?}"))),
        };
        Ok(ProviderRound {
            id: r.id.0,
            round: r.round,
            player: AccountId::from_uuid(r.player_id.0),
            game_slug: r.game_slug,
            session_id: r.session_id.0,
            wagered: r.wagered,
            won: r.won,
            refunded: r.refunded,
            open,
            opened_at: r.opened_at.0,
            updated_at: r.updated_at.0,
            closed_at: r.closed_at.map(|t| t.0),
        })
    }
}

/// A provider's rounds matching `$f`, as a boxed query over `provider_rounds`.
macro_rules! provider_rounds_where {
    ($provider:expr, $f:expr) => {{
        let f: &ProviderRoundFilter = $f;
        let mut q = provider_rounds::table.filter(provider_rounds::provider.eq($provider.to_owned())).into_boxed();
        if let Some(p) = f.player {
            q = q.filter(provider_rounds::player_id.eq(id(p)));
        }
        if let Some(open) = f.open {
            q = q.filter(provider_rounds::status.eq(if open { "open" } else { "closed" }));
        }
        if let Some(t) = f.from {
            q = q.filter(provider_rounds::opened_at.ge(DbTime(t)));
        }
        if let Some(t) = f.to {
            q = q.filter(provider_rounds::opened_at.lt(DbTime(t)));
        }
        q
    }};
}

#[backend_queries(siblings(wallet, compliance, sessions, audit))]
mod queries {
    use audit::record_audit;

    pub(crate) async fn register_provider(
        c: &mut Conn,
        new: &NewProvider,
        actor: DbId,
        at: DbTime,
    ) -> Result<(), RegisterFailure> {
        c.transaction(async |c| {
            let p = &new.provider;
            let taken: i64 = providers::table.filter(providers::slug.eq(&p.slug)).count().get_result(c).await?;
            if taken > 0 {
                return Err(RegisterFailure::Taken(format!("a provider {:?} exists", p.slug)));
            }
            let slugs: Vec<&str> = p.games.iter().map(|g| g.slug.as_str()).collect();
            let clash: Vec<String> = provider_games::table
                .filter(provider_games::slug.eq_any(&slugs))
                .select(provider_games::slug)
                .load(c)
                .await?;
            if let Some(slug) = <[String]>::first(&clash) {
                return Err(RegisterFailure::Taken(format!("a game {slug:?} exists")));
            }
            let config = serde_json::to_string(&p.config).map_err(|e| DbError::Row(e.to_string()))?;
            diesel::insert_into(providers::table)
                .values((
                    providers::slug.eq(&p.slug),
                    providers::name.eq(&p.name),
                    providers::protocol.eq(p.protocol.as_str()),
                    providers::provider_key.eq(&new.secrets.provider_key),
                    providers::operator_private_key.eq(&new.secrets.operator_private_key),
                    providers::operator_public_key.eq(&p.operator_public_key_pem),
                    providers::config.eq(config),
                    providers::enabled.eq(p.enabled),
                    providers::created_at.eq(at),
                    providers::updated_at.eq(at),
                ))
                .execute(c)
                .await?;
            for g in &p.games {
                diesel::insert_into(provider_games::table)
                    .values((
                        provider_games::slug.eq(&g.slug),
                        provider_games::provider.eq(&p.slug),
                        provider_games::code.eq(&g.code),
                        provider_games::name.eq(&g.name),
                        provider_games::kind.eq(&g.kind),
                        provider_games::rtp_bp.eq(bp_of(g.rtp)?),
                        provider_games::min_bet.eq(g.min_bet),
                        provider_games::max_bet.eq(g.max_bet),
                    ))
                    .execute(c)
                    .await?;
            }
            let games: Vec<_> =
                p.games.iter().map(|g| json!({"slug": g.slug, "code": g.code, "rtp": g.rtp.percent()})).collect();
            let after = json!({"name": p.name, "protocol": p.protocol.as_str(), "enabled": p.enabled, "games": games});
            record_audit(c, actor, "provider.register", &format!("provider:{}", p.slug), None, Some(after), at).await?;
            Ok(())
        })
        .await
    }

    /// Every provider with its games (and secrets, for the callers that verify calls).
    pub(crate) async fn providers(c: &mut Conn) -> Result<Vec<(Provider, ProviderSecrets)>, DbError> {
        let rows: Vec<ProviderRow> = providers::table
            .order(providers::slug)
            .select((
                providers::slug,
                providers::name,
                providers::protocol,
                providers::provider_key,
                providers::operator_private_key,
                providers::operator_public_key,
                providers::config,
                providers::enabled,
                providers::created_at,
                providers::updated_at,
            ))
            .load(c)
            .await?;
        let games: Vec<GameRow> = provider_games::table
            .order(provider_games::slug)
            .select((
                provider_games::slug,
                provider_games::provider,
                provider_games::code,
                provider_games::name,
                provider_games::kind,
                provider_games::rtp_bp,
                provider_games::min_bet,
                provider_games::max_bet,
            ))
            .load(c)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let own = games.iter().filter(|g| g.1 == row.0).cloned().map(to_game).collect::<Result<Vec<_>, _>>()?;
            out.push(to_provider(row, own)?);
        }
        Ok(out)
    }

    /// Enables or disables a provider; `None` when there is none.
    pub(crate) async fn set_provider_enabled(
        c: &mut Conn,
        slug: &str,
        enabled: bool,
        actor: DbId,
        at: DbTime,
    ) -> Result<Option<bool>, DbError> {
        c.transaction(async |c| {
            let before: Option<bool> =
                providers::table.find(slug).select(providers::enabled).first(c).await.optional()?;
            let Some(before) = before else { return Ok(None) };
            diesel::update(providers::table.find(slug))
                .set((providers::enabled.eq(enabled), providers::updated_at.eq(at)))
                .execute(c)
                .await?;
            record_audit(
                c,
                actor,
                "provider.update",
                &format!("provider:{slug}"),
                Some(json!({"enabled": before})),
                Some(json!({"enabled": enabled})),
                at,
            )
            .await?;
            Ok(Some(before))
        })
        .await
    }

    /// Opens a session of a provider's game for `player` (who must be allowed to play)
    /// and keeps the hash of its launch token.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn launch_provider_game(
        c: &mut Conn,
        player: DbId,
        game: &ProviderGame,
        provider: &str,
        session_id: Uuid,
        token_hash: String,
        at: DbTime,
        expires_at: DbTime,
    ) -> Result<Session, MoneyFailure> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            compliance::check_play(c, player, at.0, false).await?;
            let session = sessions::insert_session(c, session_id, player, &game.slug, at).await?;
            diesel::insert_into(provider_launches::table)
                .values((
                    provider_launches::token_hash.eq(token_hash),
                    provider_launches::provider.eq(provider),
                    provider_launches::player_id.eq(player),
                    provider_launches::game_slug.eq(&game.slug),
                    provider_launches::session_id.eq(DbId(session_id)),
                    provider_launches::created_at.eq(at),
                    provider_launches::expires_at.eq(expires_at),
                ))
                .execute(c)
                .await?;
            Ok(Session::try_from(session)?)
        })
        .await
    }

    /// The launch a token hash names.
    pub(crate) async fn launch_by_token(c: &mut Conn, token_hash: &str) -> Result<Option<Launch>, DbError> {
        let row = provider_launches::table.find(token_hash).select(LaunchRow::as_select()).first(c).await.optional()?;
        Ok(row.map(Launch::from))
    }

    /// Per day in `[from, to)`: a provider's bets (standing and rolled back), wins and
    /// rollbacks as recorded (see [`ReconciliationDay`]).
    pub(crate) async fn reconciliation(
        c: &mut Conn,
        provider: &str,
        from: DbTime,
        to: DbTime,
    ) -> Result<Vec<ReconciliationDay>, DbError> {
        let rows: Vec<(DbTime, String, String, i64)> = provider_transactions::table
            .filter(provider_transactions::provider.eq(provider))
            .filter(provider_transactions::created_at.ge(from))
            .filter(provider_transactions::created_at.lt(to))
            .select((
                provider_transactions::created_at,
                provider_transactions::kind,
                provider_transactions::status,
                provider_transactions::amount,
            ))
            .load(c)
            .await?;
        let mut days: Vec<ReconciliationDay> = Vec::new();
        for (at, kind, status, amount) in rows {
            let day: NaiveDate = at.0.date_naive();
            let kind =
                TxKind::parse(&kind).ok_or_else(|| DbError::Row(format!("provider transaction kind {kind:?}")))?;
            let status = TxStatus::parse(&status)
                .ok_or_else(|| DbError::Row(format!("provider transaction status {status:?}")))?;
            let index = match days.iter().position(|d| d.day == day) {
                Some(i) => i,
                None => {
                    days.push(ReconciliationDay { day, ..ReconciliationDay::default() });
                    days.len() - 1
                }
            };
            days[index]
                .add(kind, status, amount)
                .ok_or_else(|| DbError::Row("reconciliation sum past BIGINT".into()))?;
        }
        days.sort_by_key(|d| d.day);
        Ok(days)
    }

    /// A provider's rounds matching `f`, newest first, and how many match in all.
    pub(crate) async fn provider_rounds(
        c: &mut Conn,
        provider: &str,
        f: &ProviderRoundFilter,
    ) -> Result<(Vec<ProviderRound>, i64), DbError> {
        let total: i64 = provider_rounds_where!(provider, f).count().get_result(c).await?;
        let rows: Vec<RoundRow> = provider_rounds_where!(provider, f)
            .order((provider_rounds::opened_at.desc(), provider_rounds::id.desc()))
            .limit(f.limit)
            .offset(f.offset)
            .select(RoundRow::as_select())
            .load(c)
            .await?;
        Ok((rows.into_iter().map(ProviderRound::try_from).collect::<Result<_, _>>()?, total))
    }

    /// A provider's rounds still open with no call since `before`.
    pub(crate) async fn stuck_rounds(c: &mut Conn, provider: &str, before: DbTime) -> Result<Vec<StuckRound>, DbError> {
        let rows: Vec<(String, DbId, String, i64, i64, DbTime, DbTime)> = provider_rounds::table
            .filter(provider_rounds::provider.eq(provider))
            .filter(provider_rounds::status.eq("open"))
            .filter(provider_rounds::updated_at.lt(before))
            .order(provider_rounds::updated_at)
            .limit(1000)
            .select((
                provider_rounds::round,
                provider_rounds::player_id,
                provider_rounds::game_slug,
                provider_rounds::wagered,
                provider_rounds::won,
                provider_rounds::opened_at,
                provider_rounds::updated_at,
            ))
            .load(c)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| StuckRound {
                round: r.0,
                player: AccountId::from_uuid(r.1.0),
                game_slug: r.2,
                wagered: r.3,
                won: r.4,
                opened_at: r.5.0,
                updated_at: r.6.0,
            })
            .collect())
    }
}

impl Db {
    pub async fn register_provider(
        &self,
        new: &NewProvider,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RegisterFailure> {
        dispatch!(write self, self::register_provider(new, id(actor), DbTime(at)))
    }

    pub async fn providers(&self) -> Result<Vec<(Provider, ProviderSecrets)>, DbError> {
        dispatch!(read self, self::providers())
    }

    pub async fn set_provider_enabled(
        &self,
        slug: &str,
        enabled: bool,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<Option<bool>, DbError> {
        dispatch!(write self, self::set_provider_enabled(slug, enabled, id(actor), DbTime(at)))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn launch_provider_game(
        &self,
        player: AccountId,
        game: &ProviderGame,
        provider: &str,
        session_id: Uuid,
        token_hash: String,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Session, MoneyFailure> {
        dispatch!(write self, self::launch_provider_game(id(player), game, provider, session_id, token_hash, DbTime(at), DbTime(expires_at)))
    }

    pub async fn launch_by_token(&self, token_hash: &str) -> Result<Option<Launch>, DbError> {
        dispatch!(read self, self::launch_by_token(token_hash))
    }

    pub async fn reconciliation(
        &self,
        provider: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReconciliationDay>, DbError> {
        dispatch!(stale self, self::reconciliation(provider, DbTime(from), DbTime(to)))
    }

    pub async fn provider_rounds(
        &self,
        provider: &str,
        filter: &ProviderRoundFilter,
    ) -> Result<(Vec<ProviderRound>, i64), DbError> {
        dispatch!(stale self, self::provider_rounds(provider, filter))
    }

    pub async fn stuck_rounds(&self, provider: &str, before: DateTime<Utc>) -> Result<Vec<StuckRound>, DbError> {
        dispatch!(stale self, self::stuck_rounds(provider, DbTime(before)))
    }
}
