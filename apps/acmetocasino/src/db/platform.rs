//! Platform-wide figures for `/stats` and start-up checks.

use super::schema::{accounts, wallet_events};
use super::{Db, DbError, backend_queries, dispatch};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Counts shown on the landing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformCounts {
    pub players: i64,
    pub admins: i64,
    pub wallet_events: i64,
}

backend_queries! {
    pub(crate) async fn counts(c: &mut Conn) -> Result<PlatformCounts, DbError> {
        let by_role: Vec<(String, i64)> = accounts::table
            .group_by(accounts::role)
            .select((accounts::role, diesel::dsl::count_star()))
            .load(c)
            .await?;
        let count = |pred: fn(&str) -> bool| by_role.iter().filter(|(r, _)| pred(r)).map(|(_, n)| n).sum();
        let wallet_events = wallet_events::table.count().get_result(c).await?;
        Ok(PlatformCounts {
            players: count(|r| r == "player"),
            admins: count(|r| r == "admin"),
            wallet_events,
        })
    }
}

impl Db {
    pub async fn counts(&self) -> Result<PlatformCounts, DbError> {
        dispatch!(read self, self::counts())
    }
}
