//! Game sessions: a player's play of one game, with its totals.

use super::round_rules::RoundFailure;
use super::schema::game_sessions;
use super::statement::prepared;
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch, money_of};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gal_core::{NewSeedPair, SeedPairView, Session};
use gamectl_core::{SessionFilter, SessionOrder, SessionTotals};
use kernel::AccountId;
use kernel::Money;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = game_sessions)]
pub(crate) struct SessionRow {
    id: DbId,
    player_id: DbId,
    game_slug: String,
    status: String,
    rounds: i64,
    wagered: i64,
    won: i64,
    started_at: DbTime,
    ended_at: Option<DbTime>,
    last_activity_at: Option<DbTime>,
}

impl SessionRow {
    /// The row of a session opened now.
    pub(super) fn opened(s: &Session) -> Self {
        SessionRow {
            id: DbId(s.id),
            player_id: DbId(s.player_id.as_uuid()),
            game_slug: s.game_slug.clone(),
            status: "open".into(),
            rounds: s.rounds,
            wagered: s.wagered.minor_units(),
            won: s.won.minor_units(),
            started_at: DbTime(s.started_at),
            ended_at: None,
            last_activity_at: None,
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = DbError;
    fn try_from(r: SessionRow) -> Result<Self, DbError> {
        Ok(Session {
            id: r.id.0,
            player_id: AccountId::from_uuid(r.player_id.0),
            game_slug: r.game_slug,
            open: r.status == "open",
            rounds: r.rounds,
            wagered: money_of("session wagered", r.wagered)?,
            won: money_of("session won", r.won)?,
            started_at: r.started_at.0,
            ended_at: r.ended_at.map(|t| t.0),
            last_activity_at: r.last_activity_at.map(|t| t.0),
        })
    }
}

prepared! {
    /// The session a bet plays in: the one it names (`id`) if it is the player's, or
    /// else (`id` NULL) the player's newest open session of the game `slug` (NULL when
    /// the bet names one). Both through `player_id`, as everything a round reads
    /// (docs/operations.md, "Beyond one database").
    pub(crate) struct SessionForBet
        -> (DbUuid, DbUuid, Text, Text, BigInt, BigInt, BigInt, DbTimestamp, Nullable<DbTimestamp>, Nullable<DbTimestamp>) =
        "SELECT id, player_id, game_slug, status, rounds, wagered, won, started_at, ended_at, last_activity_at \
         FROM game_sessions WHERE id = ? AND player_id = ? \
         UNION ALL SELECT * FROM (SELECT id, player_id, game_slug, status, rounds, wagered, won, started_at, ended_at, \
         last_activity_at FROM game_sessions WHERE player_id = ? AND game_slug = ? AND status = 'open' \
         ORDER BY started_at DESC LIMIT 1) AS newest" {
        id: Option<DbId> => Nullable<DbUuid>,
        owner: DbId => DbUuid,
        player: DbId => DbUuid,
        slug: Option<String> => Nullable<Text>,
    }
}

prepared! {
    /// Adds a round to its session's totals.
    pub(crate) struct RecordSessionRound = "UPDATE game_sessions SET rounds = rounds + 1, wagered = wagered + ?, \
         won = won + ?, last_activity_at = ? WHERE id = ? AND player_id = ?" {
        wagered: i64 => BigInt,
        won: i64 => BigInt,
        at: DbTime => DbTimestamp,
        session: DbId => DbUuid,
        player: DbId => DbUuid,
    }
}

/// The session-search filters, applied to a boxed query over `game_sessions`.
macro_rules! filter_sessions {
    ($query:expr, $f:expr) => {{
        let f: &SessionFilter = $f;
        let mut q = $query;
        if let Some(p) = f.player {
            q = q.filter(game_sessions::player_id.eq(DbId(p.as_uuid())));
        }
        if let Some(g) = &f.game_slug {
            q = q.filter(game_sessions::game_slug.eq(g.clone()));
        }
        if let Some(open) = f.open {
            q = q.filter(game_sessions::status.eq(if open { "open" } else { "closed" }));
        }
        q
    }};
}

#[backend_queries(siblings(wallet, compliance, seed_pairs))]
mod queries {
    pub(crate) async fn insert_session(
        c: &mut Conn,
        id: Uuid,
        player: DbId,
        slug: &str,
        at: DbTime,
    ) -> QueryResult<SessionRow> {
        let row = SessionRow::opened(&Session {
            id,
            player_id: AccountId::from_uuid(player.0),
            game_slug: slug.to_owned(),
            open: true,
            rounds: 0,
            wagered: Money::ZERO,
            won: Money::ZERO,
            started_at: at.0,
            ended_at: None,
            last_activity_at: None,
        });
        diesel::insert_into(game_sessions::table).values(&row).execute(c).await?;
        Ok(row)
    }

    /// Opens a session (creating the player's seed pair if needed).
    pub(crate) async fn launch(
        c: &mut Conn,
        player: DbId,
        slug: String,
        session_id: Uuid,
        fresh: NewSeedPair,
        at: DbTime,
    ) -> Result<(Session, SeedPairView), RoundFailure> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            compliance::check_play(c, player, at.0, false).await?;
            let pair = seed_pairs::ensure_seed_pair(c, player, &fresh, at).await?;
            let session = insert_session(c, session_id, player, &slug, at).await?;
            Ok((Session::try_from(session)?, SeedPairView::try_from(&pair)?))
        })
        .await
    }

    pub(crate) async fn session(c: &mut Conn, id: DbId) -> Result<Option<Session>, DbError> {
        let row = game_sessions::table.find(id).select(SessionRow::as_select()).first(c).await.optional()?;
        row.map(Session::try_from).transpose()
    }

    pub(crate) async fn end_session(c: &mut Conn, id: DbId, at: DbTime) -> Result<Option<Session>, DbError> {
        diesel::update(game_sessions::table.find(id).filter(game_sessions::status.eq("open")))
            .set((game_sessions::status.eq("closed"), game_sessions::ended_at.eq(Some(at))))
            .execute(c)
            .await?;
        session(c, id).await
    }

    pub(crate) async fn search_sessions(
        c: &mut Conn,
        f: &SessionFilter,
    ) -> Result<(Vec<Session>, SessionTotals), DbError> {
        let (sessions, rounds, wagered, won): (i64, i64, i64, i64) =
            filter_sessions!(game_sessions::table.into_boxed(), f)
                .select((
                    diesel::dsl::count_star(),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.rounds), 0) AS BIGINT)"),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.wagered), 0) AS BIGINT)"),
                    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(game_sessions.won), 0) AS BIGINT)"),
                ))
                .get_result(c)
                .await?;
        let q = filter_sessions!(game_sessions::table.into_boxed(), f);
        let q = match f.order {
            SessionOrder::Newest => q.order((game_sessions::started_at.desc(), game_sessions::id.desc())),
            SessionOrder::Oldest => q.order((game_sessions::started_at.asc(), game_sessions::id.asc())),
            SessionOrder::WageredDesc => q.order((game_sessions::wagered.desc(), game_sessions::started_at.desc())),
            SessionOrder::RoundsDesc => q.order((game_sessions::rounds.desc(), game_sessions::started_at.desc())),
            SessionOrder::NetDesc => {
                q.order(((game_sessions::won - game_sessions::wagered).desc(), game_sessions::started_at.desc()))
            }
            SessionOrder::NetAsc => {
                q.order(((game_sessions::won - game_sessions::wagered).asc(), game_sessions::started_at.desc()))
            }
        };
        let rows: Vec<SessionRow> = q.limit(f.limit).offset(f.offset).select(SessionRow::as_select()).load(c).await?;
        let sessions_found = rows.into_iter().map(Session::try_from).collect::<Result<_, _>>()?;
        Ok((sessions_found, SessionTotals { sessions, rounds, wagered, won }))
    }
}

impl Db {
    pub async fn launch(
        &self,
        player: AccountId,
        slug: &str,
        session_id: Uuid,
        fresh: NewSeedPair,
        at: DateTime<Utc>,
    ) -> Result<(Session, SeedPairView), RoundFailure> {
        dispatch!(write self, self::launch(DbId(player.as_uuid()), slug.to_owned(), session_id, fresh, DbTime(at)))
    }

    /// Sessions matching `filter`, and the totals of all of them.
    pub async fn search_sessions(&self, filter: &SessionFilter) -> Result<(Vec<Session>, SessionTotals), DbError> {
        dispatch!(stale self, self::search_sessions(filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sessions_stored_totals_are_money_and_a_negative_one_is_a_corrupt_row() {
        let at = DbTime(Utc::now());
        let row = |wagered, won| SessionRow {
            id: DbId(Uuid::nil()),
            player_id: DbId(Uuid::nil()),
            game_slug: "dice".into(),
            status: "open".into(),
            rounds: 2,
            wagered,
            won,
            started_at: at,
            ended_at: None,
            last_activity_at: None,
        };
        let s = Session::try_from(row(300, 150)).unwrap();
        assert_eq!((s.wagered.minor_units(), s.won.minor_units()), (300, 150));
        assert!(matches!(Session::try_from(row(-1, 0)), Err(DbError::Row(_))));
        assert!(matches!(Session::try_from(row(0, -1)), Err(DbError::Row(_))));
    }
}
