//! Responsible-gaming settings in the store: loaded and saved (rg-core's port),
//! changed under the wallet's lock, and exclusions recorded.
use super::compliance::id;
use super::schema::{accounts, exclusions, players, rg_settings};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::Policy;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use rg_core::{RgRecord, RgRepository, RgSettings, StoreError};
use serde_json::Value;
use uuid::Uuid;

/// Stored RG settings, or the defaults when none were saved.
pub(crate) fn parse_rg(raw: Option<&str>) -> Result<RgSettings, DbError> {
    raw.map(|r| serde_json::from_str(r).map_err(|e| DbError::Row(format!("rg settings: {e}"))))
        .transpose()
        .map(Option::unwrap_or_default)
}

#[backend_queries(siblings(wallet, compliance))]
mod queries {
    use compliance::player_context;

    pub(crate) async fn load_rg(c: &mut Conn, player: DbId) -> Result<RgSettings, DbError> {
        let raw: Option<String> =
            rg_settings::table.find(player).select(rg_settings::settings).first(c).await.optional()?;
        parse_rg(raw.as_deref())
    }

    /// Every player's stored settings whose JSON contains `contains` (a cheap prefilter;
    /// the caller decides on the parsed settings), most recently changed first.
    pub(crate) async fn rg_records(c: &mut Conn, contains: Option<&'static str>) -> Result<Vec<RgRecord>, DbError> {
        let mut q = rg_settings::table
            .inner_join(accounts::table.on(accounts::id.eq(rg_settings::player_id)))
            .inner_join(players::table.on(players::account_id.eq(rg_settings::player_id)))
            .into_boxed();
        if let Some(text) = contains {
            q = q.filter(rg_settings::settings.like(format!("%{text}%")));
        }
        let rows: Vec<(DbId, String, String, String, String, DbTime)> = q
            .order((rg_settings::updated_at.desc(), rg_settings::player_id.desc()))
            .select((
                rg_settings::player_id,
                accounts::username,
                players::country,
                players::currency,
                rg_settings::settings,
                rg_settings::updated_at,
            ))
            .load(c)
            .await?;
        rows.into_iter()
            .map(|(player, username, country, currency, raw, at)| {
                Ok(RgRecord {
                    player: AccountId::from_uuid(player.0),
                    username,
                    country,
                    currency,
                    settings: parse_rg(Some(&raw))?,
                    updated_at: at.0,
                })
            })
            .collect()
    }

    pub(crate) async fn save_rg(c: &mut Conn, player: DbId, settings: &RgSettings, at: DbTime) -> Result<(), DbError> {
        let json = serde_json::to_string(settings).map_err(|e| DbError::Row(e.to_string()))?;
        diesel::insert_into(rg_settings::table)
            .values((
                rg_settings::player_id.eq(player),
                rg_settings::settings.eq(&json),
                rg_settings::updated_at.eq(at),
            ))
            .on_conflict(rg_settings::player_id)
            .do_update()
            .set((rg_settings::settings.eq(&json), rg_settings::updated_at.eq(at)))
            .execute(c)
            .await?;
        Ok(())
    }

    /// Applies a self-imposed exclusion (under the wallet lock), recording it.
    pub(crate) async fn exclude(
        c: &mut Conn,
        player: DbId,
        request: rg_core::ExclusionRequest,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<rg_core::Exclusion, rg_core::RgError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            let mut rg = ctx.rg()?;
            rg.settle(at);
            let profile = policy.profiles.for_country(&ctx.country);
            let excl = match rg_core::request_exclusion(rg.exclusion.as_ref(), request, profile, at) {
                Ok(e) => e,
                Err(e) => return Ok(Err(e)),
            };
            if rg.exclusion == Some(excl) {
                // Nothing changed (a shorter request keeps the longer exclusion).
                return Ok(Ok(excl));
            }
            rg.exclusion = Some(excl);
            save_rg(c, player, &rg, DbTime(at)).await?;
            let kind = serde_json::to_value(request).unwrap_or(Value::Null);
            diesel::insert_into(exclusions::table)
                .values((
                    exclusions::id.eq(DbId(Uuid::new_v4())),
                    exclusions::player_id.eq(player),
                    exclusions::kind.eq(kind["kind"].as_str().unwrap_or("")),
                    exclusions::duration.eq(kind["duration"].as_str().unwrap_or("")),
                    exclusions::started_at.eq(DbTime(at)),
                    exclusions::ends_at.eq(excl.ends_at.map(DbTime)),
                ))
                .execute(c)
                .await?;
            Ok(Ok(excl))
        })
        .await
    }

    /// Loads, changes and saves the player's RG settings under the wallet lock.
    pub(crate) async fn update_rg<
        F: FnOnce(&mut RgSettings, &rg_core::JurisdictionProfile) -> Result<(), rg_core::RgError> + Send,
    >(
        c: &mut Conn,
        player: DbId,
        policy: &Policy,
        at: DateTime<Utc>,
        change: F,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            let mut rg = ctx.rg()?;
            rg.settle(at);
            if let Err(e) = change(&mut rg, policy.profiles.for_country(&ctx.country)) {
                return Ok(Err(e));
            }
            save_rg(c, player, &rg, DbTime(at)).await?;
            Ok(Ok(rg))
        })
        .await
    }
}

impl Db {
    /// The stored settings of every player whose settings hold `measure` now (any
    /// measure for `None`), most recently changed first.
    pub async fn rg_measures(
        &self,
        measure: Option<rg_core::Measure>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RgRecord>, DbError> {
        let contains = match measure {
            Some(rg_core::Measure::Pending) => Some("\"pending\":{"),
            Some(rg_core::Measure::Exclusion) => Some("\"exclusion\":{"),
            _ => None,
        };
        let records: Vec<RgRecord> = dispatch!(stale self, self::rg_records(contains))?;
        Ok(records.into_iter().filter(|r| r.settings.holds(measure, now)).collect())
    }

    pub async fn exclude(
        &self,
        player: AccountId,
        request: rg_core::ExclusionRequest,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<rg_core::Exclusion, rg_core::RgError>, DbError> {
        dispatch!(write self, self::exclude(id(player), request, policy, at))
    }

    pub async fn update_rg<F>(
        &self,
        player: AccountId,
        policy: &Policy,
        at: DateTime<Utc>,
        change: F,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError>
    where
        F: FnOnce(&mut RgSettings, &rg_core::JurisdictionProfile) -> Result<(), rg_core::RgError> + Send,
    {
        dispatch!(write self, self::update_rg(id(player), policy, at, change))
    }
}

/// The settings as the rules read them outside a round (a round reads and saves them
/// in its own pipelines).
impl RgRepository for Db {
    async fn load(&self, player: AccountId) -> Result<RgSettings, StoreError> {
        Ok(dispatch!(read self, self::load_rg(id(player)))?)
    }

    /// Stamped with the database host's time: the port carries no clock, and the stamp
    /// only orders the staff's list of measures.
    async fn save(&self, player: AccountId, settings: RgSettings) -> Result<(), StoreError> {
        Ok(dispatch!(write self, self::save_rg(id(player), &settings, DbTime(Utc::now())))?)
    }
}
