//! Seed pairs: a player's provably fair seeds. The server seed stays secret, committed
//! to by its hash, until the pair is rotated; then it is revealed, and every round
//! played with it can be recomputed.

use super::schema::seed_pairs;
use super::statement::prepared;
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::{DbError, backend_queries};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gal_core::{ClientSeed, NewSeedPair, Rotation, SeedPair, SeedPairView, ServerSeed};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = seed_pairs)]
pub(crate) struct SeedPairRow {
    id: DbId,
    player_id: DbId,
    server_seed: String,
    server_seed_hash: String,
    client_seed: String,
    next_nonce: i64,
    active: bool,
    created_at: DbTime,
    revealed_at: Option<DbTime>,
    /// The server seed of the pair that follows this one, committed to by its hash.
    /// `None` only on pairs revealed by the migration that introduced it.
    next_server_seed: Option<String>,
    next_server_seed_hash: Option<String>,
}

impl SeedPairRow {
    /// The successor's server seed; an active pair without one is corrupt.
    fn next_server_seed(&self) -> Result<ServerSeed, DbError> {
        self.next_server_seed
            .as_deref()
            .and_then(ServerSeed::from_hex)
            .ok_or_else(|| DbError::Row(format!("seed pair {} has no next server seed", self.id.0)))
    }

    /// The nonce of the pair's next round.
    fn nonce(&self) -> Result<u64, DbError> {
        u64::try_from(self.next_nonce)
            .map_err(|_| DbError::Row(format!("seed pair {} nonce {}", self.id.0, self.next_nonce)))
    }
}

impl SeedPairRow {
    /// The row of a pair created now, at nonce 0.
    pub(super) fn created(player: DbId, pair: &NewSeedPair, at: DbTime) -> Self {
        SeedPairRow {
            id: DbId(pair.id),
            player_id: player,
            server_seed: pair.server_seed.to_hex(),
            server_seed_hash: pair.server_seed.hash(),
            client_seed: pair.client_seed.as_str().to_owned(),
            next_nonce: 0,
            active: true,
            created_at: at,
            revealed_at: None,
            next_server_seed: Some(pair.next_server_seed.to_hex()),
            next_server_seed_hash: Some(pair.next_server_seed.hash()),
        }
    }
}

impl TryFrom<&SeedPairRow> for SeedPair {
    type Error = DbError;

    fn try_from(r: &SeedPairRow) -> Result<Self, DbError> {
        Ok(SeedPair {
            id: r.id.0,
            server_seed: ServerSeed::from_hex(&r.server_seed)
                .ok_or_else(|| DbError::Row(format!("seed pair {} server seed", r.id.0)))?,
            server_seed_hash: r.server_seed_hash.clone(),
            client_seed: ClientSeed::parse(&r.client_seed).map_err(|e| DbError::Row(e.to_string()))?,
            nonce: r.nonce()?,
        })
    }
}

impl TryFrom<&SeedPairRow> for SeedPairView {
    type Error = DbError;

    /// A negative stored nonce is corrupt: an error, never nonce 0 (which would replay
    /// the pair's first draws).
    fn try_from(r: &SeedPairRow) -> Result<Self, DbError> {
        Ok(SeedPairView {
            server_seed_hash: r.server_seed_hash.clone(),
            next_server_seed_hash: r.next_server_seed_hash.clone(),
            client_seed: r.client_seed.clone(),
            nonce: r.nonce()?,
            revealed_server_seed: r.revealed_at.map(|_| r.server_seed.clone()),
        })
    }
}

prepared! {
    /// The player's active seed pair and the stored RTP target of the bet's game (its
    /// session's game, or `slug` when the bet names no session).
    pub(crate) struct SeedPairForBet
        -> ((DbUuid, DbUuid, Text, Text, Text, BigInt, Bool, DbTimestamp, Nullable<DbTimestamp>, Nullable<Text>, Nullable<Text>), Nullable<Integer>) =
        "SELECT sp.id, sp.player_id, sp.server_seed, sp.server_seed_hash, sp.client_seed, sp.next_nonce, sp.active, \
         sp.created_at, sp.revealed_at, sp.next_server_seed, sp.next_server_seed_hash, (SELECT t.rtp_bp FROM rtp_targets t WHERE t.slug = \
         COALESCE((SELECT s.game_slug FROM game_sessions s WHERE s.id = ? AND s.player_id = sp.player_id), ?)) \
         FROM seed_pairs sp WHERE sp.player_id = ? AND sp.active = TRUE" {
        session: Option<DbId> => Nullable<DbUuid>,
        slug: Option<String> => Nullable<Text>,
        player: DbId => DbUuid,
    }
}

prepared! {
    /// Moves a seed pair's nonce past the round that drew from it.
    pub(crate) struct AdvanceNonce =
        "UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE id = ? AND player_id = ?" {
        seed_pair: DbId => DbUuid,
        player: DbId => DbUuid,
    }
}

#[backend_queries(siblings(wallet))]
mod queries {
    pub(crate) async fn active_seed_pair(c: &mut Conn, player: DbId) -> QueryResult<Option<SeedPairRow>> {
        seed_pairs::table
            .filter(seed_pairs::player_id.eq(player))
            .filter(seed_pairs::active.eq(true))
            .select(SeedPairRow::as_select())
            .first(c)
            .await
            .optional()
    }

    pub(crate) async fn insert_seed_pair(
        c: &mut Conn,
        player: DbId,
        pair: &NewSeedPair,
        at: DbTime,
    ) -> QueryResult<SeedPairRow> {
        let row = SeedPairRow::created(player, pair, at);
        diesel::insert_into(seed_pairs::table).values(&row).execute(c).await?;
        Ok(row)
    }

    /// The player's active pair, created from `fresh` if there is none.
    pub(crate) async fn ensure_seed_pair(
        c: &mut Conn,
        player: DbId,
        fresh: &NewSeedPair,
        at: DbTime,
    ) -> QueryResult<SeedPairRow> {
        match active_seed_pair(c, player).await? {
            Some(p) => Ok(p),
            None => insert_seed_pair(c, player, fresh, at).await,
        }
    }

    pub(crate) async fn seed_pair_for_player(
        c: &mut Conn,
        player: DbId,
        fresh: NewSeedPair,
        at: DbTime,
    ) -> Result<SeedPairView, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            SeedPairView::try_from(&ensure_seed_pair(c, player, &fresh, at).await?)
        })
        .await
    }

    /// Reveals the active pair (created from `fresh` if there is none) and starts its
    /// committed successor.
    pub(crate) async fn rotate_seed_pair(
        c: &mut Conn,
        player: DbId,
        fresh: NewSeedPair,
        rotation: Rotation,
        at: DbTime,
    ) -> Result<(SeedPairView, SeedPairView), DbError> {
        c.transaction(async |c| {
            // The wallet lock also serialises the player's rounds, so no round is
            // drawing from the pair while it is revealed.
            wallet::lock_head(c, player).await?;
            let old = ensure_seed_pair(c, player, &fresh, at).await?;
            diesel::update(seed_pairs::table.find(old.id))
                .set((seed_pairs::active.eq(false), seed_pairs::revealed_at.eq(Some(at))))
                .execute(c)
                .await?;
            let client_seed = match rotation.client_seed {
                Some(chosen) => chosen,
                None => ClientSeed::parse(&old.client_seed).map_err(|e| DbError::Row(e.to_string()))?,
            };
            let next = NewSeedPair {
                id: rotation.id,
                server_seed: old.next_server_seed()?,
                next_server_seed: rotation.next_server_seed,
                client_seed,
            };
            let new_row = insert_seed_pair(c, player, &next, at).await?;
            let mut revealed = SeedPairView::try_from(&old)?;
            revealed.revealed_server_seed = Some(old.server_seed.clone());
            Ok((revealed, SeedPairView::try_from(&new_row)?))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn pair_row(next_nonce: i64) -> SeedPairRow {
        SeedPairRow {
            id: DbId(Uuid::new_v4()),
            player_id: DbId(Uuid::new_v4()),
            server_seed: "s".into(),
            server_seed_hash: "h".into(),
            client_seed: "c".into(),
            next_nonce,
            active: true,
            created_at: DbTime(Utc::now()),
            revealed_at: None,
            next_server_seed: None,
            next_server_seed_hash: None,
        }
    }

    #[test]
    fn a_negative_stored_nonce_is_an_error_not_nonce_zero() {
        assert_eq!(pair_row(7).nonce().unwrap(), 7);
        assert_eq!(SeedPairView::try_from(&pair_row(7)).unwrap().nonce, 7);
        assert!(matches!(pair_row(-1).nonce(), Err(DbError::Row(_))));
        assert!(matches!(SeedPairView::try_from(&pair_row(-1)), Err(DbError::Row(_))));
    }
}
