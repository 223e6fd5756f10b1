//! Platform-wide figures for `/stats`, start-up checks, and the read replica's lag.

use super::schema::{accounts, wallet_events};
use super::{Backend, Db, DbError, backend_queries, dispatch, pg_connection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Text};
use diesel_async::RunQueryDsl;
use std::time::{Duration, Instant};

/// Counts shown on the landing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformCounts {
    pub players: i64,
    pub admins: i64,
    pub wallet_events: i64,
}

#[backend_queries]
mod queries {
    pub(crate) async fn counts(c: &mut Conn) -> Result<PlatformCounts, DbError> {
        let by_role: Vec<(String, i64)> = accounts::table
            .group_by(accounts::role)
            .select((accounts::role, diesel::dsl::count_star()))
            .load(c)
            .await?;
        let count = |pred: fn(&str) -> bool| by_role.iter().filter(|(r, _)| pred(r)).map(|(_, n)| n).sum();
        let wallet_events = wallet_events::table.count().get_result(c).await?;
        Ok(PlatformCounts { players: count(|r| r == "player"), admins: count(|r| r == "admin"), wallet_events })
    }
}

/// How far the read replica is behind the primary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaLag {
    /// The replica is in recovery (a standby), as it should be.
    pub standby: bool,
    /// WAL the primary has written that the replica has not replayed yet.
    pub bytes: i64,
    /// Since the replica replayed its last transaction, while it is behind; 0 when it
    /// has replayed everything the primary had written.
    pub seconds: f64,
    /// The round trip of the replica query.
    pub latency: Duration,
}

#[derive(QueryableByName)]
struct WalPosition {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct Replay {
    #[diesel(sql_type = Bool)]
    standby: bool,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
    #[diesel(sql_type = Double)]
    seconds: f64,
}

impl Db {
    pub async fn counts(&self) -> Result<PlatformCounts, DbError> {
        dispatch!(stale self, self::counts())
    }

    /// The replica's lag behind the primary's current WAL position; `None` without a
    /// replica (`DATABASE_READ_URL`).
    pub async fn replica_lag(&self) -> Option<Result<ReplicaLag, DbError>> {
        let replica = self.replica.as_ref()?;
        let Backend::Pg(primary) = &*self.backend else { return None };
        Some(
            async {
                // Where the primary inserts WAL: ahead of what it has written out (with
                // asynchronous commit a commit is in the WAL buffers for a moment).
                let position: WalPosition = diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn")
                    .get_result(&mut *pg_connection(primary).await?)
                    .await?;
                let start = Instant::now();
                // On a standby the replay position is its own; on a primary (a
                // misconfigured "replica") its current write position.
                let replay: Replay = diesel::sql_query(
                    "WITH r AS (SELECT pg_is_in_recovery() AS standby, \
                       CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END AS at) \
                     SELECT standby, \
                       GREATEST(pg_wal_lsn_diff($1::pg_lsn, at), 0)::bigint AS bytes, \
                       CASE WHEN at >= $1::pg_lsn OR NOT standby THEN 0 \
                         ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS seconds \
                     FROM r",
                )
                .bind::<Text, _>(position.lsn)
                .get_result(&mut *pg_connection(replica).await?)
                .await?;
                Ok(ReplicaLag {
                    standby: replay.standby,
                    bytes: replay.bytes,
                    seconds: replay.seconds,
                    latency: start.elapsed(),
                })
            }
            .await,
        )
    }
}
