//! Game control: the operator's RTP targets and bet limits (each change audited), and
//! the figures of settled play (totals per game, per day, per hour).

use super::schema::{game_limits, rtp_changes, rtp_targets};
use super::statement::prepared;
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::{Db, DbError, Dialect, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gal_core::Rtp;
use gamectl_core::{
    BetLimits, GameControlRepository, LimitsChange, LimitsSetting, PlayDay, RoundTotals, RtpChange, RtpSetting,
};
use kernel::AccountId;
use uuid::Uuid;

prepared! {
    /// The operator's bet limits of the bet's game (its session's game, or `slug`), when set.
    pub(crate) struct LimitsForBet -> (BigInt, BigInt) =
        "SELECT l.min_bet, l.max_bet FROM game_limits l WHERE l.slug = \
         COALESCE((SELECT s.game_slug FROM game_sessions s WHERE s.id = ? AND s.player_id = ?), ?)" {
        session: Option<DbId> => Nullable<DbUuid>,
        player: DbId => DbUuid,
        slug: Option<String> => Nullable<Text>,
    }
}

/// Per-game sums of settled rounds.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct TotalsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    game_slug: String,
    #[diesel(sql_type = BigInt)]
    rounds: i64,
    #[diesel(sql_type = BigInt)]
    wagered: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = Double)]
    weighted_expected: f64,
    #[diesel(sql_type = Double)]
    weighted_variance: f64,
}

const TOTALS_SQL: &str = "SELECT game_slug, CAST(COUNT(*) AS BIGINT) AS rounds, \
     CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS wagered, CAST(COALESCE(SUM(payout), 0) AS BIGINT) AS paid, \
     CAST(COALESCE(SUM(weighted_expected), 0) AS DOUBLE PRECISION) AS weighted_expected, \
     CAST(COALESCE(SUM(weighted_variance), 0) AS DOUBLE PRECISION) AS weighted_variance \
     FROM rounds WHERE status = 'settled' GROUP BY game_slug ORDER BY game_slug";

/// A third-party provider's rounds by game: what was staked and not refunded, what was
/// won, and what the provider's declared RTP expects of those stakes (a provider
/// discloses no per-round variance, so no band is computed for its games).
const PROVIDER_TOTALS_SQL: &str = "SELECT r.game_slug, CAST(COUNT(*) AS BIGINT) AS rounds, \
     CAST(COALESCE(SUM(r.wagered - r.refunded), 0) AS BIGINT) AS wagered, \
     CAST(COALESCE(SUM(r.won), 0) AS BIGINT) AS paid, \
     CAST(COALESCE(SUM(CAST(r.wagered - r.refunded AS DOUBLE PRECISION) * g.rtp_bp / 10000.0), 0) \
     AS DOUBLE PRECISION) AS weighted_expected, \
     CAST(0 AS DOUBLE PRECISION) AS weighted_variance \
     FROM provider_rounds r JOIN provider_games g ON g.slug = r.game_slug \
     WHERE r.wagered > r.refunded GROUP BY r.game_slug ORDER BY r.game_slug";

/// An RTP as stored (basis points); every RTP fits.
pub(super) fn bp_of(rtp: Rtp) -> Result<i32, DbError> {
    i32::try_from(rtp.bp()).map_err(|_| DbError::Row(format!("rtp {} bp", rtp.bp())))
}

pub(super) fn rtp_of(bp: i32) -> Result<Rtp, DbError> {
    u32::try_from(bp).ok().and_then(|b| Rtp::from_bp(b).ok()).ok_or_else(|| DbError::Row(format!("rtp {bp}")))
}

#[backend_queries(siblings(compliance))]
mod queries {
    pub(crate) async fn target_of(c: &mut Conn, slug: &str) -> QueryResult<Option<i32>> {
        rtp_targets::table.find(slug).select(rtp_targets::rtp_bp).first(c).await.optional()
    }

    pub(crate) async fn totals(c: &mut Conn) -> Result<Vec<(String, RoundTotals)>, DbError> {
        let mut rows: Vec<TotalsRow> = diesel::sql_query(TOTALS_SQL).load(c).await?;
        rows.extend(diesel::sql_query(PROVIDER_TOTALS_SQL).load::<TotalsRow>(c).await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.game_slug,
                    RoundTotals {
                        rounds: r.rounds,
                        wagered: r.wagered,
                        paid: r.paid,
                        weighted_expected: r.weighted_expected,
                        weighted_variance: r.weighted_variance,
                    },
                )
            })
            .collect())
    }

    pub(crate) async fn stored_targets(c: &mut Conn) -> Result<Vec<(String, i32, DbTime, Option<DbId>)>, DbError> {
        Ok(rtp_targets::table
            .select((rtp_targets::slug, rtp_targets::rtp_bp, rtp_targets::updated_at, rtp_targets::updated_by))
            .load(c)
            .await?)
    }

    pub(crate) async fn set_target(
        c: &mut Conn,
        slug: String,
        default: Rtp,
        new: Rtp,
        actor: DbId,
        change_id: Uuid,
        at: DbTime,
    ) -> Result<Rtp, DbError> {
        c.transaction(async |c| {
            let bp = bp_of(new)?;
            // The old value as stored (read under the same transaction), else the default.
            let stored = target_of(c, &slug).await?;
            let old_bp = match stored {
                Some(bp) => bp,
                None => bp_of(default)?,
            };
            diesel::insert_into(rtp_targets::table)
                .values((
                    rtp_targets::slug.eq(&slug),
                    rtp_targets::rtp_bp.eq(bp),
                    rtp_targets::updated_at.eq(at),
                    rtp_targets::updated_by.eq(Some(actor)),
                ))
                .on_conflict(rtp_targets::slug)
                .do_update()
                .set((
                    rtp_targets::rtp_bp.eq(bp),
                    rtp_targets::updated_at.eq(at),
                    rtp_targets::updated_by.eq(Some(actor)),
                ))
                .execute(c)
                .await?;
            diesel::insert_into(rtp_changes::table)
                .values((
                    rtp_changes::id.eq(DbId(change_id)),
                    rtp_changes::slug.eq(&slug),
                    rtp_changes::old_bp.eq(old_bp),
                    rtp_changes::new_bp.eq(bp),
                    rtp_changes::changed_by.eq(actor),
                    rtp_changes::changed_at.eq(at),
                ))
                .execute(c)
                .await?;
            compliance::record_audit(
                c,
                actor,
                "rtp.changed",
                &format!("game:{slug}"),
                Some(serde_json::json!({"rtp": f64::from(old_bp) / 100.0})),
                Some(serde_json::json!({"rtp": new.percent()})),
                at,
            )
            .await?;
            rtp_of(old_bp)
        })
        .await
    }

    pub(crate) async fn changes(c: &mut Conn, limit: i64) -> Result<Vec<(String, i32, i32, DbId, DbTime)>, DbError> {
        Ok(rtp_changes::table
            .order(rtp_changes::changed_at.desc())
            .limit(limit)
            .select((
                rtp_changes::slug,
                rtp_changes::old_bp,
                rtp_changes::new_bp,
                rtp_changes::changed_by,
                rtp_changes::changed_at,
            ))
            .load(c)
            .await?)
    }

    pub(crate) async fn stored_limits(c: &mut Conn) -> Result<Vec<(String, i64, i64, DbTime, DbId)>, DbError> {
        Ok(game_limits::table
            .select((
                game_limits::slug,
                game_limits::min_bet,
                game_limits::max_bet,
                game_limits::updated_at,
                game_limits::updated_by,
            ))
            .load(c)
            .await?)
    }

    /// Sets a game's limits and audits the change (`game.limits_changed`) in one
    /// transaction; the old limits are the stored ones, else `default`.
    pub(crate) async fn set_limits(
        c: &mut Conn,
        slug: String,
        default: BetLimits,
        new: BetLimits,
        actor: DbId,
        at: DbTime,
    ) -> Result<BetLimits, DbError> {
        c.transaction(async |c| {
            let stored: Option<(i64, i64)> = game_limits::table
                .find(&slug)
                .select((game_limits::min_bet, game_limits::max_bet))
                .first(c)
                .await
                .optional()?;
            let old = match stored {
                Some((min, max)) => BetLimits::new(min, max).map_err(|e| DbError::Row(e.to_string()))?,
                None => default,
            };
            let values = (
                game_limits::min_bet.eq(new.min_bet()),
                game_limits::max_bet.eq(new.max_bet()),
                game_limits::updated_at.eq(at),
                game_limits::updated_by.eq(actor),
            );
            diesel::insert_into(game_limits::table)
                .values((game_limits::slug.eq(&slug), values))
                .on_conflict(game_limits::slug)
                .do_update()
                .set(values)
                .execute(c)
                .await?;
            compliance::record_audit(
                c,
                actor,
                "game.limits_changed",
                &format!("game:{slug}"),
                Some(serde_json::json!({"min_bet": old.min_bet(), "max_bet": old.max_bet()})),
                Some(serde_json::json!({"min_bet": new.min_bet(), "max_bet": new.max_bet()})),
                at,
            )
            .await?;
            Ok(old)
        })
        .await
    }

    pub(crate) async fn play_by_day(c: &mut Conn, since: DbTime) -> Result<Vec<PlayDay>, DbError> {
        let day = <Conn as Dialect>::utc_day("r.created_at");
        let rows: Vec<(String, String, i64, i64, i64)> =
            diesel::dsl::sql::<(Text, Text, BigInt, BigInt, BigInt)>(&format!(
                "SELECT {day}, w.currency, CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(r.amount), 0) AS BIGINT), \
             CAST(COALESCE(SUM(r.payout), 0) AS BIGINT) FROM rounds r JOIN wallets w ON w.player_id = r.player_id \
             WHERE r.status = 'settled' AND r.created_at >= "
            ))
            .bind::<DbTimestamp, _>(since)
            .sql(" GROUP BY 1, 2 ORDER BY 1, 2")
            .load(c)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(day, currency, rounds, wagered, paid)| PlayDay { day, currency, rounds, wagered, paid })
            .collect())
    }

    pub(crate) async fn rounds_by_hour(c: &mut Conn, since: DbTime) -> Result<Vec<(String, i64)>, DbError> {
        let hour = <Conn as Dialect>::utc_hour("created_at");
        Ok(diesel::dsl::sql::<(Text, BigInt)>(&format!(
            "SELECT {hour}, CAST(COUNT(*) AS BIGINT) FROM rounds WHERE status = 'settled' AND created_at >= "
        ))
        .bind::<DbTimestamp, _>(since)
        .sql(" GROUP BY 1 ORDER BY 1")
        .load(c)
        .await?)
    }
}

impl Db {
    pub async fn round_totals(&self) -> Result<Vec<(String, RoundTotals)>, DbError> {
        dispatch!(stale self, self::totals())
    }

    /// Settled rounds, stakes and payouts per UTC day and wallet currency, from `since` on.
    pub async fn play_by_day(&self, since: DateTime<Utc>) -> Result<Vec<PlayDay>, DbError> {
        dispatch!(stale self, self::play_by_day(DbTime(since)))
    }

    /// Settled rounds per UTC hour (`YYYY-MM-DDTHH`), from `since` on.
    pub async fn rounds_by_hour(&self, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, DbError> {
        dispatch!(stale self, self::rounds_by_hour(DbTime(since)))
    }
}

impl GameControlRepository for Db {
    async fn stored_targets(&self) -> Result<Vec<RtpSetting>, gamectl_core::StoreError> {
        let r: Result<Vec<RtpSetting>, DbError> = async {
            let rows: Vec<(String, i32, DbTime, Option<DbId>)> = dispatch!(read self, self::stored_targets())?;
            rows.into_iter()
                .map(|(slug, bp, at, by)| {
                    Ok(RtpSetting {
                        slug,
                        target: rtp_of(bp)?,
                        updated_at: at.0,
                        updated_by: by.map(|b| AccountId::from_uuid(b.0)),
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn set_target(
        &self,
        slug: &str,
        target: Rtp,
        default: Rtp,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<RtpChange, gamectl_core::StoreError> {
        let change_id = Uuid::new_v4();
        let r: Result<Rtp, DbError> = async {
            dispatch!(write self, self::set_target(slug.to_owned(), default, target, DbId(actor.as_uuid()), change_id, DbTime(at)))
        }
        .await;
        let old = r.map_err(gamectl_core::StoreError::from)?;
        Ok(RtpChange { slug: slug.to_owned(), old, new: target, changed_by: actor, changed_at: at })
    }

    async fn changes(&self, limit: i64) -> Result<Vec<RtpChange>, gamectl_core::StoreError> {
        let r: Result<Vec<RtpChange>, DbError> = async {
            let rows: Vec<(String, i32, i32, DbId, DbTime)> = dispatch!(stale self, self::changes(limit))?;
            rows.into_iter()
                .map(|(slug, old, new, by, at)| {
                    Ok(RtpChange {
                        slug,
                        old: rtp_of(old)?,
                        new: rtp_of(new)?,
                        changed_by: AccountId::from_uuid(by.0),
                        changed_at: at.0,
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn stored_limits(&self) -> Result<Vec<LimitsSetting>, gamectl_core::StoreError> {
        let r: Result<Vec<LimitsSetting>, DbError> = async {
            let rows: Vec<(String, i64, i64, DbTime, DbId)> = dispatch!(read self, self::stored_limits())?;
            rows.into_iter()
                .map(|(slug, min, max, at, by)| {
                    Ok(LimitsSetting {
                        slug,
                        limits: BetLimits::new(min, max).map_err(|e| DbError::Row(e.to_string()))?,
                        updated_at: at.0,
                        updated_by: AccountId::from_uuid(by.0),
                    })
                })
                .collect()
        }
        .await;
        r.map_err(gamectl_core::StoreError::from)
    }

    async fn set_limits(
        &self,
        slug: &str,
        limits: BetLimits,
        default: BetLimits,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<LimitsChange, gamectl_core::StoreError> {
        let r: Result<BetLimits, DbError> = async {
            dispatch!(write self, self::set_limits(slug.to_owned(), default, limits, DbId(actor.as_uuid()), DbTime(at)))
        }
        .await;
        let old = r.map_err(gamectl_core::StoreError::from)?;
        Ok(LimitsChange { slug: slug.to_owned(), old, new: limits, changed_by: actor, changed_at: at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rtp_converts_both_ways_and_a_corrupt_stored_one_is_an_error() {
        let rtp = Rtp::from_bp(9_650).unwrap();
        assert_eq!(rtp_of(bp_of(rtp).unwrap()).unwrap(), rtp);
        assert!(rtp_of(-1).is_err() && rtp_of(12_000).is_err());
    }
}
